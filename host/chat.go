package host

import (
	"bytes"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/chat"
	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// The chat's HTTP routes: POST and GET /api/chat/rooms/ and
// GET /api/chat/rooms/{id}/messages/. The socket is in chatsocket.go.

var (
	fieldsChatRoom    = []string{"mobile_number", "group"}
	chatRoomsPrefix   = []byte("/api/chat/rooms/")
	chatHistorySuffix = []byte("/messages/")
	chatSocketPrefix  = []byte("/ws/chat/")
)

// Validation messages of the history query.
const (
	msgNotInteger1 = "A valid integer is required."
	msgMinOne      = "Ensure this value is greater than or equal to 1."
)

// chat reports whether r is one of the chat routes.
func (r route) chat() bool {
	return r == routeChatRooms || r == routeChatHistory || r == routeChatSocket
}

// matchChat matches /api/chat/rooms/{id}/messages/ and /ws/chat/{id}/.
func matchChat(path []byte) (route, int64) {
	switch {
	case bytes.HasPrefix(path, chatRoomsPrefix) && bytes.HasSuffix(path, chatHistorySuffix):
		if id, ok := positiveID(path[len(chatRoomsPrefix) : len(path)-len(chatHistorySuffix)]); ok {
			return routeChatHistory, id
		}
	case bytes.HasPrefix(path, chatSocketPrefix) && len(path) > len(chatSocketPrefix)+1 && path[len(path)-1] == '/':
		if id, ok := positiveID(path[len(chatSocketPrefix) : len(path)-1]); ok {
			return routeChatSocket, id
		}
	}
	return routeNotFound, 0
}

// positiveID parses a path segment or query value as Django's <int:pk>: 1
// to 18 digits, above zero.
func positiveID[T string | []byte](digits T) (int64, bool) {
	if len(digits) == 0 || len(digits) > 18 {
		return 0, false
	}
	var id int64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		id = id*10 + int64(c-'0')
	}
	return id, id > 0
}

// handleChatRooms serves POST /api/chat/rooms/ (get or create a room) and
// GET /api/chat/rooms/ (the caller's rooms).
func (s *Server) handleChatRooms(ctx *fasthttp.RequestCtx, rs *reqState) {
	p, ok := s.authorize(ctx, rs)
	if !ok {
		return
	}
	if !ctx.IsPost() {
		s.listChatRooms(ctx, rs, p.UserID)
		return
	}
	if !s.decodeBody(ctx, rs, fieldsChatRoom) {
		return
	}
	var fe fieldErrors
	mobile := fe.char("mobile_number", rs.vals[0], true)
	group := fe.integer("group", rs.vals[1], false, 0)
	var (
		room    chelseru.Room
		created bool
	)
	err := fe.err()
	if err == nil {
		room, created, err = s.chat.OpenRoom(reqContext(), p.UserID, mobile, group)
	}
	if err != nil {
		s.writeError(ctx, rs, err)
		return
	}
	b := appendRoom(append(rs.out[:0], '{'), room)
	b = append(b, '}')
	rs.out = b
	status := fasthttp.StatusOK
	if created {
		status = fasthttp.StatusCreated
	}
	s.writeJSON(ctx, rs, status, b)
}

// appendRoom appends "id","user_1","user_2","created_at" (no braces).
func appendRoom(b []byte, r chelseru.Room) []byte {
	b = append(b, `"id":`...)
	b = formatID(b, r.ID)
	b = append(b, `,"user_1":`...)
	b = formatID(b, r.User1)
	b = append(b, `,"user_2":`...)
	b = formatID(b, r.User2)
	b = append(b, `,"created_at":`...)
	return appendTime(b, r.CreatedAt)
}

// listChatRooms answers GET /api/chat/rooms/: a plain array, most recently
// active first.
func (s *Server) listChatRooms(ctx *fasthttp.RequestCtx, rs *reqState, user int64) {
	list, err := s.chat.Rooms(reqContext(), user)
	if err != nil {
		s.writeError(ctx, rs, err)
		return
	}
	b := append(rs.out[:0], '[')
	for i, v := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRoom(append(b, '{'), v.Room)
		b = append(b, `,"other":{"id":`...)
		b = formatID(b, v.Other.ID)
		b = append(b, `,"username":`...)
		b = jsonlite.AppendString(b, v.Other.Username())
		b = append(b, `,"mobile_number":`...)
		b = jsonlite.AppendString(b, v.Other.Mobile)
		b = append(b, `,"group":`...)
		b = formatID(b, v.Other.Group)
		b = append(b, `},"last_message":`...)
		if v.Last.ID > 0 {
			b = chat.AppendMessage(b, v.Last, v.LastSender)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"unread":`...)
		b = formatID(b, v.Unread)
		b = append(b, '}')
	}
	b = append(b, ']')
	rs.out = b
	s.writeJSON(ctx, rs, fasthttp.StatusOK, b)
}

// handleChatHistory serves GET /api/chat/rooms/{id}/messages/?limit=&before=:
// a plain array, newest first; a room the caller is not in is a 404.
func (s *Server) handleChatHistory(ctx *fasthttp.RequestCtx, rs *reqState, room int64) {
	p, ok := s.authorize(ctx, rs)
	if !ok {
		return
	}
	var fe fieldErrors
	args := ctx.QueryArgs()
	limit := queryInt(&fe, "limit", args.Peek("limit"), chat.DefaultHistoryLimit)
	before := queryInt(&fe, "before", args.Peek("before"), 0)
	if err := fe.err(); err != nil {
		s.writeError(ctx, rs, err)
		return
	}
	info, list, err := s.chat.History(reqContext(), p.UserID, room, before, int(min(limit, chat.MaxHistoryLimit)))
	if err != nil {
		s.writeError(ctx, rs, err)
		return
	}
	b := append(rs.out[:0], '[')
	for i, m := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = chat.AppendMessage(b, m, info.Name(m.Sender))
	}
	b = append(b, ']')
	rs.out = b
	s.writeJSON(ctx, rs, fasthttp.StatusOK, b)
}

// queryInt reads an optional positive integer query parameter.
func queryInt(fe *fieldErrors, name string, v []byte, def int64) int64 {
	if v == nil {
		return def
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	switch {
	case err != nil:
		fe.add(name, msgNotInteger1)
		return def
	case n < 1:
		fe.add(name, msgMinOne)
		return def
	}
	return n
}
