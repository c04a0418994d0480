package host

import (
	"bytes"
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// route names one endpoint, for dispatch and for metric labels.
type route uint8

const (
	routeNotFound route = iota
	routeOTPSend
	routeAuthenticate
	routeTokenRefresh
	routeTokenVerify
	routeSessions
	routeSession
	routeMessageSend
	routePasswordSet
	routeHealthz
	routeReadyz
	routeMetrics
	routeSchema
	routeChatRooms   // /api/chat/rooms/
	routeChatHistory // /api/chat/rooms/{id}/messages/
	routeChatSocket  // /ws/chat/{id}/
	numRoutes
)

var routeNames = [numRoutes]string{
	routeNotFound:     "not_found",
	routeOTPSend:      "otp_send",
	routeAuthenticate: "authenticate",
	routeTokenRefresh: "token_refresh",
	routeTokenVerify:  "token_verify",
	routeSessions:     "sessions",
	routeSession:      "session",
	routeMessageSend:  "message_send",
	routePasswordSet:  "password_set",
	routeHealthz:      "healthz",
	routeReadyz:       "readyz",
	routeMetrics:      "metrics",
	routeSchema:       "schema",
	routeChatRooms:    "chat_rooms",
	routeChatHistory:  "chat_history",
	routeChatSocket:   "chat_socket",
}

// String is the route's metric label.
func (r route) String() string { return routeNames[r] }

// bearer reports whether the route needs an access token.
func (r route) bearer() bool {
	return r == routeSessions || r == routeSession || r == routeMessageSend || r == routePasswordSet ||
		r == routeChatRooms || r == routeChatHistory
}

// allowed is the Allow header of each route (HEAD is allowed wherever GET is,
// as Django does).
var allowed = [numRoutes]string{
	routeOTPSend:      "POST",
	routeAuthenticate: "POST",
	routeTokenRefresh: "POST",
	routeTokenVerify:  "POST",
	routeSessions:     "GET, HEAD",
	routeSession:      "DELETE",
	routeMessageSend:  "POST",
	routePasswordSet:  "POST",
	routeHealthz:      "GET, HEAD",
	routeReadyz:       "GET, HEAD",
	routeMetrics:      "GET, HEAD",
	routeSchema:       "GET, HEAD",
	routeChatRooms:    "GET, HEAD, POST",
	routeChatHistory:  "GET, HEAD",
	routeChatSocket:   "GET, HEAD",
}

var (
	contentTypeJSON = []byte("application/json")
	sessionsPrefix  = []byte("/api/sessions/")
)

// match finds the route of path; for routeSession it also returns the id
// (an id that is not a positive integer matches nothing, as Django's <int:pk>).
func match(path []byte) (route, int64) {
	switch string(path) {
	case "/api/otp/send/":
		return routeOTPSend, 0
	case "/api/authenticate/":
		return routeAuthenticate, 0
	case "/api/token/refresh/":
		return routeTokenRefresh, 0
	case "/api/token/verify/":
		return routeTokenVerify, 0
	case "/api/sessions/":
		return routeSessions, 0
	case "/api/message/send/":
		return routeMessageSend, 0
	case "/api/password/set/":
		return routePasswordSet, 0
	case "/healthz":
		return routeHealthz, 0
	case "/readyz":
		return routeReadyz, 0
	case "/metrics":
		return routeMetrics, 0
	case "/api/schema/":
		return routeSchema, 0
	case "/api/chat/rooms/":
		return routeChatRooms, 0
	}
	if r, id := matchChat(path); r != routeNotFound {
		return r, id
	}
	if bytes.HasPrefix(path, sessionsPrefix) && len(path) > len(sessionsPrefix)+1 && path[len(path)-1] == '/' {
		digits := path[len(sessionsPrefix) : len(path)-1]
		if len(digits) > 18 {
			return routeNotFound, 0
		}
		var id int64
		for _, c := range digits {
			if c < '0' || c > '9' {
				return routeNotFound, 0
			}
			id = id*10 + int64(c-'0')
		}
		if id > 0 {
			return routeSession, id
		}
	}
	return routeNotFound, 0
}

// methodOK reports whether method is served on r.
func methodOK(r route, method []byte) bool {
	switch r {
	case routeSessions, routeHealthz, routeReadyz, routeMetrics, routeSchema:
		return string(method) == fasthttp.MethodGet || string(method) == fasthttp.MethodHead
	case routeSession:
		return string(method) == fasthttp.MethodDelete
	case routeChatRooms:
		return string(method) == fasthttp.MethodGet || string(method) == fasthttp.MethodHead || string(method) == fasthttp.MethodPost
	case routeChatHistory, routeChatSocket:
		return string(method) == fasthttp.MethodGet || string(method) == fasthttp.MethodHead
	default:
		return string(method) == fasthttp.MethodPost
	}
}

// reqState is the per-request scratch space, pooled.
type reqState struct {
	id      []byte // request id
	route   route
	status  int
	vals    [4]value
	scratch []byte // decoded JSON strings
	out     []byte // response body
}

// maxPooledBuffer keeps an unusually large buffer out of the pool.
const maxPooledBuffer = 64 << 10

func (rs *reqState) reset() {
	rs.route, rs.status = 0, 0
	rs.vals = [4]value{}
	rs.id = rs.id[:0]
	if cap(rs.scratch) > maxPooledBuffer {
		rs.scratch = nil
	}
	if cap(rs.out) > maxPooledBuffer {
		rs.out = nil
	}
}

// serve is the fasthttp handler: request id, routing, method check, metrics.
func (s *Server) serve(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	s.activity.Add(1)
	rs := s.states.Get().(*reqState)
	rs.reset()
	s.requestID(ctx, rs)

	r, id := match(ctx.Path())
	if r == routePasswordSet && !s.passwd {
		r = routeNotFound // the route exists only with the PASSWD method
	}
	if r.chat() && s.chat == nil {
		r = routeNotFound // the chat routes exist only with a chat service
	}
	if r == routeMetrics && s.opts.MetricsOff {
		r = routeNotFound // served on its own or the admin listener
	}
	rs.route = r
	defer s.recoverPanic(ctx, rs)
	switch {
	case s.cors != nil && s.applyCORS(ctx, rs, r):
		// a CORS preflight, answered
	case r == routeNotFound:
		s.writeDetail(ctx, rs, fasthttp.StatusNotFound, "Not found.")
	case !methodOK(r, ctx.Method()):
		ctx.Response.Header.Set(fasthttp.HeaderAllow, allowed[r])
		s.writeDetailCode(ctx, rs, fasthttp.StatusMethodNotAllowed, CodeMethodNotAllowed, `Method "`+string(ctx.Method())+`" not allowed.`)
	default:
		s.dispatch(ctx, rs, r, id)
	}
	s.metrics.observe(r, rs.status, time.Since(start))
	s.states.Put(rs)
}

// recoverPanic turns a panic in a handler into a 500 with the fixed body,
// logged with the request id and the stack, instead of a crashed process.
// The request's state is not returned to the pool (it may be inconsistent).
func (s *Server) recoverPanic(ctx *fasthttp.RequestCtx, rs *reqState) {
	p := recover()
	if p == nil {
		return
	}
	s.log.Error("panic serving request", "request_id", string(rs.id), "route", rs.route.String(),
		"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	ctx.Response.Reset()
	ctx.Response.Header.SetBytesV("X-Request-Id", rs.id)
	rs.out = nil
	s.writeDetail(ctx, rs, fasthttp.StatusInternalServerError, msgInternal)
	s.metrics.observe(rs.route, rs.status, 0)
}

// dispatch runs the handler of r.
func (s *Server) dispatch(ctx *fasthttp.RequestCtx, rs *reqState, r route, id int64) {
	switch r {
	case routeHealthz:
		s.writeJSON(ctx, rs, fasthttp.StatusOK, append(rs.out[:0], `{"status":"ok"}`...))
	case routeReadyz:
		s.handleReady(ctx, rs)
	case routeMetrics:
		s.metricsHandler(ctx)
		rs.status = ctx.Response.StatusCode()
		if rs.status >= 400 { // promhttp's own refusal (too many scrapes at once)
			ctx.Response.Header.Set(HeaderErrorCode, CodeUnavailable)
		}
	case routeOTPSend:
		s.handleOTPSend(ctx, rs)
	case routeAuthenticate:
		s.handleAuthenticate(ctx, rs)
	case routeTokenRefresh:
		s.handleRefresh(ctx, rs)
	case routeTokenVerify:
		s.handleVerify(ctx, rs)
	case routeSessions:
		s.handleSessions(ctx, rs)
	case routeSession:
		s.handleRevoke(ctx, rs, id)
	case routeMessageSend:
		s.handleMessageSend(ctx, rs)
	case routePasswordSet:
		s.handlePasswordSet(ctx, rs)
	case routeSchema:
		s.handleSchema(ctx, rs)
	case routeChatRooms:
		s.handleChatRooms(ctx, rs)
	case routeChatHistory:
		s.handleChatHistory(ctx, rs, id)
	case routeChatSocket:
		s.handleChatSocket(ctx, rs, id)
	}
}

// requestID takes a sane incoming X-Request-Id (1 to 64 characters of
// [A-Za-z0-9._:-]) or makes one: a per-process random prefix and a counter,
// unique within the process's life and cheap (no syscall).
func (s *Server) requestID(ctx *fasthttp.RequestCtx, rs *reqState) {
	in := ctx.Request.Header.Peek("X-Request-Id")
	if saneRequestID(in) {
		rs.id = append(rs.id[:0], in...)
	} else {
		rs.id = append(rs.id[:0], s.idPrefix[:]...)
		rs.id = append(rs.id, '-')
		n := s.idSeq.Add(1)
		var d [16]byte
		for i := len(d) - 1; i >= 0; i-- {
			d[i] = "0123456789abcdef"[n&0xf]
			n >>= 4
		}
		rs.id = append(rs.id, d[:]...)
	}
	ctx.Response.Header.SetBytesV("X-Request-Id", rs.id)
}

func saneRequestID(b []byte) bool {
	if len(b) == 0 || len(b) > 64 {
		return false
	}
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// handleReady answers /readyz.
func (s *Server) handleReady(ctx *fasthttp.RequestCtx, rs *reqState) {
	if s.ready != nil {
		if err := s.ready(); err != nil {
			s.log.Warn("not ready", "request_id", string(rs.id), "err", err)
			ctx.Response.Header.Set(HeaderErrorCode, CodeUnavailable)
			s.writeJSON(ctx, rs, fasthttp.StatusServiceUnavailable, append(rs.out[:0], `{"status":"unavailable"}`...))
			return
		}
	}
	s.writeJSON(ctx, rs, fasthttp.StatusOK, append(rs.out[:0], `{"status":"ready"}`...))
}

// reqContext is the context auth calls run under. It is not the
// RequestCtx: a request that has started is allowed to finish during a
// graceful shutdown, and its own work is bounded by auth's timeouts.
func reqContext() context.Context { return context.Background() }

// formatID is an id as its decimal text.
func formatID(b []byte, id int64) []byte { return strconv.AppendInt(b, id, 10) }
