// Package chat is the logic of the 1:1 chat: opening rooms, checking and
// storing messages, read marks, history and replay, and the order in which
// a room's events are published. It speaks no wire protocol; package host
// turns it into HTTP and WebSocket. Storage is a chelseru.ChatStore, fan-out
// a chelseru.Broker (LocalBroker in one process).
//
// A message is stored durably first (ChatStore.AppendMessage returns once it
// is in the write-ahead log), then published. A room's appends and publishes
// happen under one per-room lock, so subscribers see a room's messages in
// id order.
package chat

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// Defaults and limits.
const (
	// DefaultMaxMessageChars is CHAT.MAX_MESSAGE_CHARS's default.
	DefaultMaxMessageChars = 4096
	// MaxClientIDChars bounds a client_id.
	MaxClientIDChars = 128
	// DefaultHistoryLimit and MaxHistoryLimit bound a history page.
	DefaultHistoryLimit = 50
	MaxHistoryLimit     = 200
	// replayPage is how many messages a replay reads at a time.
	replayPage = 200
	// orderStripes is the number of per-room ordering locks: rooms that
	// share one wait for each other's commits, so many more than rooms in
	// use at once on an edge box (64 KiB).
	orderStripes = 8192
)

// Client-facing messages.
const (
	MsgInvalidMobile = "Enter a valid mobile number."
	MsgSelfRoom      = "You cannot open a chat room with yourself."
	MsgNotFound      = "Not found."
	MsgNotMember     = "You are not a member of this room."
	MsgEmpty         = "This field may not be blank."
	MsgTooLong       = "Ensure this field has no more than %d characters."
	MsgClientID      = "client_id must be a string of at most %d characters."
)

// Options tune a Service.
type Options struct {
	// MaxMessageChars bounds a message's characters (after trimming);
	// 0 means DefaultMaxMessageChars.
	MaxMessageChars int
}

// Deps are a Service's collaborators.
type Deps struct {
	Rooms  chelseru.ChatStore
	Users  chelseru.UserStore
	Broker chelseru.Broker
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// Service is the chat logic. It is safe for concurrent use.
type Service struct {
	opts   Options
	rooms  chelseru.ChatStore
	users  chelseru.UserStore
	broker chelseru.Broker
	now    func() time.Time
	log    *slog.Logger
	seed   maphash.Seed
	order  [orderStripes]sync.Mutex
}

// New returns a Service.
func New(opts Options, deps Deps) (*Service, error) {
	if opts.MaxMessageChars == 0 {
		opts.MaxMessageChars = DefaultMaxMessageChars
	}
	if opts.MaxMessageChars < 1 {
		return nil, fmt.Errorf("chat: max message characters must be at least 1, got %d", opts.MaxMessageChars)
	}
	if deps.Rooms == nil || deps.Users == nil || deps.Broker == nil {
		return nil, errors.New("chat: rooms, users and a broker are required")
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	return &Service{opts: opts, rooms: deps.Rooms, users: deps.Users, broker: deps.Broker,
		now: deps.Now, log: deps.Logger, seed: maphash.MakeSeed()}, nil
}

// Options returns the options in effect.
func (s *Service) Options() Options { return s.opts }

// Broker returns the broker rooms are published on.
func (s *Service) Broker() chelseru.Broker { return s.broker }

// RoomInfo is a room with its members' user names, what a socket keeps.
type RoomInfo struct {
	chelseru.Room
	// Names are the user names (G{group}-{mobile}) of User1 and User2.
	Names [2]string
}

// Name returns the user name of member user.
func (r *RoomInfo) Name(user int64) string {
	if user == r.User1 {
		return r.Names[0]
	}
	return r.Names[1]
}

func notFound(err error) error {
	return &chelseru.Error{Code: chelseru.ENOTFOUND, Message: MsgNotFound, Err: err}
}

// OpenRoom gets or creates the room between caller and the user named by
// mobile (any accepted spelling) and group; that user is created if they
// never logged in. A bad number, or oneself, is a 400 on mobile_number.
func (s *Service) OpenRoom(ctx context.Context, caller int64, mobile string, group int64) (chelseru.Room, bool, error) {
	m, ok := chelseru.NormalizeMobile(mobile)
	if !ok {
		return chelseru.Room{}, false, chelseru.FieldError("mobile_number", MsgInvalidMobile)
	}
	other, _, err := s.users.GetOrCreateUser(ctx, group, m, s.now())
	if err != nil {
		return chelseru.Room{}, false, chelseru.Internal(fmt.Errorf("open room: %w", err))
	}
	if other.ID == caller {
		return chelseru.Room{}, false, chelseru.FieldError("mobile_number", MsgSelfRoom)
	}
	r, created, err := s.rooms.GetOrCreateRoom(ctx, caller, other.ID, s.now())
	if err != nil {
		return chelseru.Room{}, false, chelseru.Internal(fmt.Errorf("open room: %w", err))
	}
	return r, created, nil
}

// RoomView is one line of a caller's room list.
type RoomView struct {
	chelseru.RoomSummary
	// Other is the other member.
	Other chelseru.User
	// LastSender is the user name of the last message's sender.
	LastSender string
}

// Rooms lists the caller's rooms, most recently active first.
func (s *Service) Rooms(ctx context.Context, caller int64) ([]RoomView, error) {
	list, err := s.rooms.ListRooms(ctx, caller)
	if err != nil {
		return nil, chelseru.Internal(fmt.Errorf("list rooms: %w", err))
	}
	me, err := s.users.GetUser(ctx, caller)
	if err != nil {
		return nil, chelseru.Internal(fmt.Errorf("list rooms: %w", err))
	}
	out := make([]RoomView, 0, len(list))
	for _, r := range list {
		other, err := s.users.GetUser(ctx, r.Room.Other(caller))
		if err != nil {
			return nil, chelseru.Internal(fmt.Errorf("list rooms: %w", err))
		}
		v := RoomView{RoomSummary: r, Other: other}
		if r.Last.ID > 0 {
			v.LastSender = other.Username()
			if r.Last.Sender == caller {
				v.LastSender = me.Username()
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// Join returns the room for a caller who is one of its members: an unknown
// room is ENOTFOUND, a room of others EFORBIDDEN.
func (s *Service) Join(ctx context.Context, caller, room int64) (*RoomInfo, error) {
	r, err := s.rooms.GetRoom(ctx, room)
	if errors.Is(err, chelseru.ErrNotFound) {
		return nil, notFound(err)
	}
	if err != nil {
		return nil, chelseru.Internal(fmt.Errorf("join room: %w", err))
	}
	if !r.Has(caller) {
		return nil, &chelseru.Error{Code: chelseru.EFORBIDDEN, Message: MsgNotMember}
	}
	info := &RoomInfo{Room: r}
	for i, id := range [2]int64{r.User1, r.User2} {
		u, err := s.users.GetUser(ctx, id)
		if err != nil {
			return nil, chelseru.Internal(fmt.Errorf("join room: %w", err))
		}
		info.Names[i] = u.Username()
	}
	return info, nil
}

// History returns a page of the room's messages, newest first, for one of
// its members; anyone else gets ENOTFOUND, as if the room did not exist.
// limit 0 means DefaultHistoryLimit; it is capped at MaxHistoryLimit.
func (s *Service) History(ctx context.Context, caller, room, before int64, limit int) (*RoomInfo, []chelseru.ChatMessage, error) {
	info, err := s.Join(ctx, caller, room)
	if chelseru.ErrorCode(err) == chelseru.EFORBIDDEN {
		return nil, nil, notFound(err)
	}
	if err != nil {
		return nil, nil, err
	}
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	limit = min(limit, MaxHistoryLimit)
	list, err := s.rooms.History(ctx, room, before, limit)
	if err != nil {
		return nil, nil, chelseru.Internal(fmt.Errorf("history: %w", err))
	}
	return info, list, nil
}

// CheckText trims a message and checks it: not empty, at most
// MaxMessageChars characters, valid UTF-8.
func (s *Service) CheckText(text string) (string, error) {
	if !utf8.ValidString(text) {
		return "", chelseru.Errorf(chelseru.EINVALID, "message must be valid UTF-8.")
	}
	text = strings.TrimSpace(text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return "", chelseru.Errorf(chelseru.EINVALID, "message: %s", MsgEmpty)
	case n > s.opts.MaxMessageChars:
		return "", chelseru.Errorf(chelseru.EINVALID, "message: "+MsgTooLong, s.opts.MaxMessageChars)
	}
	return text, nil
}

// lockRoom serialises a room's store-then-publish sequences.
func (s *Service) lockRoom(room int64) *sync.Mutex {
	var b [8]byte
	for i := range b {
		b[i] = byte(room >> (8 * i))
	}
	mu := &s.order[maphash.Bytes(s.seed, b[:])%orderStripes]
	mu.Lock()
	return mu
}

// Send checks text, stores it as sender's message in room and publishes
// it; the frame returned is the message as every connection receives it.
// A retry with a client_id already stored returns the first message's frame
// with dup set and publishes nothing (the caller sends it to the retrying
// connection only).
func (s *Service) Send(ctx context.Context, room *RoomInfo, sender int64, text, clientID string) (frame []byte, dup bool, err error) {
	text, err = s.CheckText(text)
	if err != nil {
		return nil, false, err
	}
	if utf8.RuneCountInString(clientID) > MaxClientIDChars || !utf8.ValidString(clientID) {
		return nil, false, chelseru.Errorf(chelseru.EINVALID, MsgClientID, MaxClientIDChars)
	}
	mu := s.lockRoom(room.ID)
	defer mu.Unlock()
	m, dup, err := s.rooms.AppendMessage(ctx, chelseru.ChatMessage{
		Room: room.ID, Sender: sender, Text: text, ClientID: clientID, CreatedAt: s.now(),
	})
	if errors.Is(err, chelseru.ErrNotFound) {
		return nil, false, notFound(err)
	}
	if err != nil {
		return nil, false, chelseru.Internal(fmt.Errorf("send: %w", err))
	}
	frame = AppendMessage(make([]byte, 0, 128+len(m.Text)+len(m.ClientID)), m, room.Name(m.Sender))
	if dup {
		return frame, true, nil
	}
	err = s.broker.Publish(ctx, chelseru.ChatEvent{
		Kind: chelseru.ChatEventMessage, Room: room.ID, ID: m.ID, From: sender, Frame: frame, Published: time.Now(),
	})
	if err != nil {
		// Stored but not delivered live: receivers get it on reconnect.
		s.log.Error("publish message", "room", room.ID, "id", m.ID, "err", err)
	}
	return frame, false, nil
}

// MarkRead moves reader's read mark in room up to id and, when it moved,
// tells the room (the other member's connections relay it).
func (s *Service) MarkRead(ctx context.Context, room *RoomInfo, reader, id int64) error {
	mu := s.lockRoom(room.ID)
	defer mu.Unlock()
	mark, moved, err := s.rooms.MarkRead(ctx, room.ID, reader, id)
	if errors.Is(err, chelseru.ErrNotFound) {
		return notFound(err)
	}
	if err != nil {
		return chelseru.Internal(fmt.Errorf("mark read: %w", err))
	}
	if !moved {
		return nil
	}
	b := append(make([]byte, 0, 64), `{"type":"read","id":`...)
	b = jsonlite.AppendInt(b, mark)
	b = append(b, `,"reader":`...)
	b = jsonlite.AppendString(b, room.Name(reader))
	b = append(b, '}')
	err = s.broker.Publish(ctx, chelseru.ChatEvent{
		Kind: chelseru.ChatEventRead, Room: room.ID, ID: mark, From: reader, Frame: b, Published: time.Now(),
	})
	if err != nil {
		s.log.Error("publish read mark", "room", room.ID, "id", mark, "err", err)
	}
	return nil
}

// Replay calls fn with every stored message of room after id, oldest first,
// as frames, until fn fails or none is left; it returns the last id given
// to fn (after when none). It reads replayPage messages at a time.
func (s *Service) Replay(ctx context.Context, room *RoomInfo, after int64, fn func(id int64, frame []byte) error) (int64, error) {
	var buf []byte
	for {
		list, err := s.rooms.MessagesAfter(ctx, room.ID, after, replayPage)
		if err != nil {
			return after, chelseru.Internal(fmt.Errorf("replay: %w", err))
		}
		for _, m := range list {
			buf = AppendMessage(buf[:0], m, room.Name(m.Sender))
			if err := fn(m.ID, buf); err != nil {
				return after, err
			}
			after = m.ID
		}
		if len(list) < replayPage {
			return after, nil
		}
	}
}

// AppendMessage appends m as the wire's message object:
// {"message","sender","id","room","timestamp"} and "client_id" when set.
func AppendMessage(b []byte, m chelseru.ChatMessage, sender string) []byte {
	b = append(b, `{"message":`...)
	b = jsonlite.AppendString(b, m.Text)
	b = append(b, `,"sender":`...)
	b = jsonlite.AppendString(b, sender)
	b = append(b, `,"id":`...)
	b = jsonlite.AppendInt(b, m.ID)
	b = append(b, `,"room":`...)
	b = jsonlite.AppendInt(b, m.Room)
	b = append(b, `,"timestamp":"`...)
	b = m.CreatedAt.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
	b = append(b, '"')
	if m.ClientID != "" {
		b = append(b, `,"client_id":`...)
		b = jsonlite.AppendString(b, m.ClientID)
	}
	return append(b, '}')
}

// AppendError appends the error event {"type":"error","detail":...}.
func AppendError(b []byte, detail string) []byte {
	b = append(b, `{"type":"error","detail":`...)
	b = jsonlite.AppendString(b, detail)
	return append(b, '}')
}
