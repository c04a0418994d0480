package host

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/auth"
	"github.com/chelseru/chelseru/chat"
	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// The chat socket, /ws/chat/{room_id}/.
//
// Memory per idle socket is what the measured prototype showed matters:
// after the upgrade the connection is taken out of fasthttp's hijack handler
// (its descriptor duplicated) and the handler returns, so fasthttp recycles
// its request context and its read buffer; the socket then holds one
// goroutine (the reader, waiting on the descriptor on a shallow stack), a
// 512-byte read buffer and no write buffer (writes borrow one from a shared
// pool). Frames are written by the goroutine that publishes them, under the
// socket's mutex, through a connection that never blocks (sockConn): what a
// slow reader's kernel buffer does not take waits in a bounded backlog.

// WebSocket close codes beyond RFC 6455's.
const (
	CloseUnauthorized = 4401 // no token, a bad one, or the session was revoked
	CloseForbidden    = 4403 // not a member of the room
	CloseNotFound     = 4404 // no such room
	CloseBadRequest   = 4400 // a bad query parameter (since)
	CloseTooMany      = 4429 // CHAT.MAX_CONNECTIONS_PER_USER reached
	// CloseSlowClient is the standard 1013 (try again later): the socket's
	// send queue overflowed; reconnect with ?since=.
	CloseSlowClient = websocket.CloseTryAgainLater
)

// Defaults of ChatOptions.
const (
	DefaultMaxConnectionsPerUser = 10
	DefaultPingInterval          = 30 * time.Second
	DefaultSocketIdleTimeout     = 75 * time.Second
	DefaultSocketWriteTimeout    = 10 * time.Second
	DefaultSendQueue             = 1024
	// socketReadBuffer is the websocket read buffer per socket (a frame
	// larger than it is read in pieces).
	socketReadBuffer = 512
	// socketWriteBuffer is the size of the pooled write buffers.
	socketWriteBuffer = 4096
	// replayBacklog is how many frames a replay lets wait for a slow
	// reader before it waits for them to be written.
	replayBacklog = 64
	// closeGrace is how long a closing socket waits for the client's close
	// frame.
	closeGrace = 2 * time.Second
	// handshakeTimeout bounds writing the 101 answer.
	handshakeTimeout = 10 * time.Second
)

// ChatOptions tune the chat socket. Zero values take the defaults.
type ChatOptions struct {
	// AllowedOrigins is SERVER.ALLOWED_ORIGINS: the Origin values a socket
	// may come from (scheme://host[:port]); empty allows any (native apps
	// send none).
	AllowedOrigins []string
	// MaxConnectionsPerUser is CHAT.MAX_CONNECTIONS_PER_USER.
	MaxConnectionsPerUser int
	// PingInterval is CHAT.PING_INTERVAL: how often the server pings.
	PingInterval time.Duration
	// IdleTimeout is CHAT.IDLE_TIMEOUT: a socket from which nothing (no
	// frame, no pong) arrives for this long is closed.
	IdleTimeout time.Duration
	// WriteTimeout is CHAT.WRITE_TIMEOUT: the bound on one burst of writes.
	WriteTimeout time.Duration
	// SendQueue is CHAT.SEND_QUEUE: frames waiting for one socket before it
	// is disconnected as too slow.
	SendQueue int
}

func (o *ChatOptions) defaults() {
	if o.MaxConnectionsPerUser <= 0 {
		o.MaxConnectionsPerUser = DefaultMaxConnectionsPerUser
	}
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultSocketIdleTimeout
	}
	if o.IdleTimeout <= o.PingInterval {
		o.IdleTimeout = o.PingInterval + o.PingInterval/2
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultSocketWriteTimeout
	}
	if o.SendQueue <= 0 {
		o.SendQueue = DefaultSendQueue
	}
}

// writePool is the shared pool of websocket write buffers.
var writePool = &sync.Pool{}

// upgrader upgrades the detached connection. Origin, method and handshake
// headers are checked before, on the fasthttp request.
var upgrader = websocket.Upgrader{
	HandshakeTimeout: handshakeTimeout,
	ReadBufferSize:   0, // use hijacked.br
	WriteBufferSize:  socketWriteBuffer,
	WriteBufferPool:  writePool,
	CheckOrigin:      func(*http.Request) bool { return true },
	Error:            func(http.ResponseWriter, *http.Request, int, error) {},
}

// socketRequest is what a socket needs from its upgrade request, copied
// before the request context is recycled.
type socketRequest struct {
	req    *http.Request
	code   int // a close code to refuse with after the upgrade, or 0
	reason string
	p      auth.Principal
	room   *chat.RoomInfo
	since  int64 // -1: no replay
}

// handleChatSocket serves /ws/chat/{room}/. Handshake problems are HTTP
// errors; authentication and membership problems are close codes after
// the upgrade (a browser cannot see the status of a refused handshake).
func (s *Server) handleChatSocket(ctx *fasthttp.RequestCtx, rs *reqState, room int64) {
	h := &ctx.Request.Header
	if !websocket.FastHTTPIsWebSocketUpgrade(ctx) || string(h.Peek("Sec-WebSocket-Version")) != "13" || len(h.Peek("Sec-WebSocket-Key")) == 0 {
		ctx.Response.Header.Set("Sec-WebSocket-Version", "13")
		s.writeDetail(ctx, rs, fasthttp.StatusUpgradeRequired, "Expected a WebSocket upgrade (version 13).")
		return
	}
	if !s.originAllowed(h.Peek("Origin")) {
		s.writeDetail(ctx, rs, fasthttp.StatusForbidden, "Origin not allowed.")
		return
	}
	sr := &socketRequest{since: -1}
	sr.req = &http.Request{Method: http.MethodGet, Header: http.Header{
		"Connection":            {"Upgrade"},
		"Upgrade":               {"websocket"},
		"Sec-Websocket-Version": {"13"},
		"Sec-Websocket-Key":     {string(h.Peek("Sec-WebSocket-Key"))},
	}}
	s.checkSocket(ctx, sr, room)
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(c net.Conn) {
		nc, ok := detach(c)
		if !ok {
			s.runSocket(c, sr, false) // no descriptor to take: serve inside the hijack
			return
		}
		go s.runSocket(nc, sr, true)
	})
	rs.status = fasthttp.StatusSwitchingProtocols
}

// checkSocket authenticates the socket and checks the room, recording a
// close code in sr when it must be refused.
func (s *Server) checkSocket(ctx *fasthttp.RequestCtx, sr *socketRequest, room int64) {
	header := string(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization))
	if header == "" {
		if tok := ctx.QueryArgs().Peek("token"); len(tok) > 0 {
			header = "Bearer " + string(tok)
		}
	}
	c := reqContext()
	p, err := s.auth.Authorize(c, header)
	sr.p = p
	if err != nil {
		sr.code, sr.reason = s.refusal(err, CloseUnauthorized)
		return
	}
	sr.room, err = s.chat.Join(c, p.UserID, room)
	if err != nil {
		sr.code, sr.reason = s.refusal(err, websocket.CloseInternalServerErr)
		return
	}
	if v := ctx.QueryArgs().Peek("since"); v != nil {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || n < 0 {
			sr.code, sr.reason = CloseBadRequest, "since must be a message id (an integer >= 0)."
			return
		}
		sr.since = n
	}
}

// refusal maps an error to a close code and a reason safe to show.
func (s *Server) refusal(err error, def int) (int, string) {
	var e *chelseru.Error
	if !errors.As(err, &e) || e.Code == chelseru.EINTERNAL {
		s.log.Error("chat socket", "err", err)
		return websocket.CloseInternalServerErr, msgInternal
	}
	switch e.Code {
	case chelseru.EUNAUTHENTICATED, chelseru.EUNAUTHORIZED:
		return CloseUnauthorized, e.Message
	case chelseru.EFORBIDDEN:
		return CloseForbidden, e.Message
	case chelseru.ENOTFOUND:
		return CloseNotFound, e.Message
	}
	return def, e.Message
}

// originAllowed checks Origin against SERVER.ALLOWED_ORIGINS (empty: any).
func (s *Server) originAllowed(origin []byte) bool {
	if len(s.opts.Chat.AllowedOrigins) == 0 || len(origin) == 0 {
		return true
	}
	for _, o := range s.opts.Chat.AllowedOrigins {
		if string(origin) == o {
			return true
		}
	}
	return false
}

// detach takes the TCP connection out of fasthttp's hijack: it returns a
// duplicate of its descriptor, so fasthttp can close its own and recycle
// the request's buffers when the hijack handler returns. No client data can
// be buffered by fasthttp at this point: the 101 has not been sent, and a
// client must wait for it before sending frames.
func detach(c net.Conn) (net.Conn, bool) {
	if u, ok := c.(interface{ UnsafeConn() net.Conn }); ok {
		c = u.UnsafeConn()
	}
	if lc, ok := c.(*lingerConn); ok {
		c = lc.Conn
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil, false
	}
	f, err := tc.File()
	if err != nil {
		return nil, false
	}
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, false
	}
	return nc, true
}

// hijacked is the http.ResponseWriter and http.Hijacker the upgrader
// writes its 101 through: the detached connection. Its read buffer becomes
// the websocket reader's (the upgrader takes a hijacked reader larger than
// 256 bytes when its own ReadBufferSize is 0), so the socket can see what
// is buffered.
type hijacked struct {
	c  net.Conn
	br *bufio.Reader
}

func (h *hijacked) Header() http.Header         { return http.Header{} }
func (h *hijacked) Write(b []byte) (int, error) { return len(b), nil }
func (h *hijacked) WriteHeader(int)             {}
func (h *hijacked) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.br = bufio.NewReaderSize(h.c, socketReadBuffer)
	return h.c, bufio.NewReadWriter(h.br, bufio.NewWriterSize(h.c, 16)), nil
}

// runSocket upgrades c and serves the socket: until it ends when c is
// still fasthttp's (not detached), else until its reader is started.
func (s *Server) runSocket(c net.Conn, sr *socketRequest, detached bool) {
	// Subscribed before the 101 is sent: a client that sees the socket
	// open misses nothing published after that. Events wait in pending
	// until the socket serves.
	var so *socket
	if sr.code == 0 {
		sr.code, sr.reason = s.sockets.add(sr.p.UserID, s.opts.Chat.MaxConnectionsPerUser)
		if sr.code == 0 {
			so = &socket{srv: s, room: sr.room, p: sr.p, replaying: true}
			sub, err := s.chat.Broker().Subscribe(so.room.ID, so)
			if err != nil {
				s.log.Error("chat subscribe", "room", so.room.ID, "err", err)
				s.sockets.unreserve(so.p.UserID)
				so, sr.code, sr.reason = nil, websocket.CloseInternalServerErr, msgInternal
			} else {
				so.sub = sub
			}
		}
	}
	sc := newSockConn(c, s.opts.Chat.WriteTimeout)
	h := &hijacked{c: sc}
	ws, err := upgrader.Upgrade(h, sr.req, nil)
	if err != nil {
		_ = c.Close()
		if so != nil {
			so.sub.Cancel()
			s.sockets.unreserve(so.p.UserID)
		}
		return
	}
	sr.req = nil
	if sr.code != 0 {
		s.metrics.chat.refused.Inc()
		refuse(ws, sr.code, sr.reason)
		return
	}
	so.ws, so.br, so.conn = ws, h.br, sc
	s.sockets.register(so)
	s.metrics.chat.open.Inc()
	// Registered first, then the session is looked up: a revocation either
	// finds the socket registered or happened before this look-up.
	exp, err := s.auth.SessionExpiry(reqContext(), so.p)
	if err != nil {
		code, reason := s.refusal(err, CloseUnauthorized)
		so.shut(code, reason, closeGrace)
	} else {
		s.sockets.setExpiry(so, exp)
	}
	if err != nil || !so.start(sr.since) {
		so.end()
		return
	}
	if !detached {
		so.read() // returning would let fasthttp close c
		return
	}
	// The reader runs on a fresh goroutine: this one's stack grew while
	// upgrading, looking the session up and replaying, and an idle socket
	// should hold a small one.
	go so.read()
}

// end releases a socket that stopped: its subscription, its connection
// (after lingering when the client sent a frame over the limit) and its
// place in the registry.
func (so *socket) end() {
	s := so.srv
	so.mu.Lock()
	shut := so.closed // closed by the server (shut), not by the client
	so.closed = true
	so.pending = nil
	so.mu.Unlock()
	so.sub.Cancel()
	nc := so.ws.NetConn()
	if so.lingering { // let the client finish writing and read its 1009
		_ = nc.SetReadDeadline(time.Now().Add(closeGrace))
		_, _ = io.CopyN(io.Discard, nc, lingerBytes)
	} else if shut {
		// Closed by the server: give the client grace to answer the close
		// frame.
		_ = nc.SetReadDeadline(time.Now().Add(closeGrace))
		_, _ = io.CopyN(io.Discard, nc, 1<<16)
	}
	_ = nc.Close()
	s.sockets.remove(so)
	s.metrics.chat.open.Dec()
}

// refuse closes a socket with code before it served anything.
func refuse(ws *websocket.Conn, code int, reason string) {
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	_ = ws.SetReadDeadline(time.Now().Add(closeGrace))
	ws.SetReadLimit(1024)
	for { // until the client's close frame, an error or the grace period
		if _, _, err := ws.NextReader(); err != nil {
			break
		}
	}
	_ = ws.NetConn().Close()
}

// socket is one open chat socket. It is a chelseru.Subscriber of its room.
type socket struct {
	srv  *Server
	ws   *websocket.Conn
	room *chat.RoomInfo
	p    auth.Principal
	sub  chelseru.Subscription
	br   *bufio.Reader // the websocket reader's buffer
	conn *sockConn     // the connection under ws

	// expires and nextPing are the sweeper's, under socketHub.mu.
	expires  time.Time
	nextPing time.Time
	checking atomic.Bool // a session check is running
	touched  time.Time   // when the reader last moved the read deadline (the reader's)

	// mu guards what follows and serialises the writes of data frames.
	mu        sync.Mutex
	replaying bool // live events go to pending until the replay is done
	pending   []chelseru.ChatEvent
	// pendingRead is the newest read receipt held during the replay.
	pendingRead chelseru.ChatEvent
	// floor is the last message id the replay wrote; a later event with an
	// id not above it was written by the replay already.
	floor int64
	// missed: pending overflowed during the replay and was dropped; the
	// replay goes on from storage, which has every published message.
	missed bool
	// lingering: the client sent a frame over the limit; its rest is read
	// and discarded before closing, so it sees the 1009 instead of a reset.
	lingering bool
	closed    bool // no more frames are taken
}

var _ chelseru.Subscriber = (*socket)(nil)

// control consumes a ping or pong frame that is whole in the read buffer,
// answering a ping: the websocket reader would handle it too, but then go
// on to wait for the next frame deep in its own calls, holding a 4 KiB
// stack where idleWait holds 2 KiB. Anything else (a data frame, a close, a
// malformed header) is left to the websocket reader.
func (so *socket) control() bool {
	if so.br.Buffered() == 0 {
		// idleWait read something (or met an error): this does not
		// block.
		if _, err := so.br.Peek(1); err != nil {
			return false
		}
	}
	if so.br.Buffered() < 2 {
		return false
	}
	h, _ := so.br.Peek(2)
	op, n := h[0]&0x0f, int(h[1]&0x7f)
	// FIN set, no RSV bits, a ping (9) or pong (10), masked (as every
	// client frame must be), a control-frame length.
	if h[0]&0xf0 != 0x80 || (op != 9 && op != 10) || h[1]&0x80 == 0 || n > 125 || so.br.Buffered() < 6+n {
		return false
	}
	f, _ := so.br.Peek(6 + n)
	if op == 9 {
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = f[6+i] ^ f[2+i%4]
		}
		so.send(websocket.PongMessage, payload, time.Time{})
	}
	_, _ = so.br.Discard(6 + n)
	so.alive()
	return true
}

// alive moves the read deadline out after the client sent something: at
// most every eighth of CHAT.IDLE_TIMEOUT (up to a second), as each move
// re-arms a runtime timer, and not once the socket is closing (shut set a
// short deadline). Only the reader calls it.
func (so *socket) alive() {
	idle := so.srv.opts.Chat.IdleTimeout
	now := time.Now()
	if now.Sub(so.touched) < min(time.Second, idle/8) {
		return
	}
	so.touched = now
	so.mu.Lock()
	if !so.closed {
		_ = so.conn.SetReadDeadline(now.Add(idle))
	}
	so.mu.Unlock()
}

// idleWait blocks until the client has sent something, on a shallow stack:
// a goroutine blocked inside the websocket reader holds a 4 KiB stack, one
// blocked here 2 KiB, and an idle socket is mostly this goroutine. It
// returns at once when the read buffer holds bytes, and with the read
// deadline's error when that passes first.
func (so *socket) idleWait() error {
	if so.br.Buffered() > 0 {
		return nil
	}
	return so.conn.readAhead()
}

// start sets the socket's read limits and deadline and replays what the
// client missed; it reports whether the socket is still usable.
func (so *socket) start(since int64) bool {
	s := so.srv
	ws := so.ws
	opts := &s.opts.Chat
	ws.SetReadLimit(int64(s.chat.Options().MaxMessageChars)*6 + 1024)
	so.touched = time.Now()
	_ = ws.SetReadDeadline(so.touched.Add(opts.IdleTimeout))
	ws.SetPongHandler(func(string) error { so.alive(); return nil })
	return so.replay(since)
}

// read reads frames until the socket ends, then releases it.
func (so *socket) read() {
	defer so.end()
	ws := so.ws
	var buf []byte // allocated with the first frame: none while idle
	for {
		if err := so.idleWait(); err != nil {
			return
		}
		if ok := so.control(); ok {
			continue
		}
		_, r, err := ws.NextReader()
		if err != nil {
			so.lingering = errors.Is(err, websocket.ErrReadLimit)
			return // closed, dead (read deadline), too large (1009 sent), ...
		}
		if buf == nil {
			buf = make([]byte, 0, 256)
		}
		buf = buf[:0]
		for {
			if len(buf) == cap(buf) {
				buf = append(buf, 0)[:len(buf)]
			}
			n, err := r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				so.lingering = errors.Is(err, websocket.ErrReadLimit)
				return
			}
		}
		so.alive()
		so.handle(buf)
		if cap(buf) > 4096 {
			buf = nil // keep no large buffer while idle
		}
	}
}

// replay writes the stored messages after since (since < 0: none), then lets live events
// through without a gap or a duplicate: events that arrived during the
// replay were held in pending, and those the replay already covered are
// dropped. It reports whether the socket is still usable.
func (so *socket) replay(since int64) bool {
	s := so.srv
	write := func(_ int64, frame []byte) error {
		so.mu.Lock()
		err := errClosedConn
		if !so.closed {
			err = so.ws.WriteMessage(websocket.TextMessage, frame)
		}
		so.mu.Unlock()
		if err != nil {
			return err
		}
		s.metrics.chat.out.Inc()
		// A slow reader holds the replay up instead of its memory.
		return so.conn.waitBacklog(replayBacklog, s.opts.Chat.WriteTimeout)
	}
	last := since // -1: no replay, only the events held since subscribing
	for {
		if last >= 0 {
			var err error
			last, err = s.chat.Replay(context.Background(), so.room, last, write)
			if err != nil {
				if chelseru.ErrorCode(err) == chelseru.EINTERNAL {
					s.log.Error("chat replay", "room", so.room.ID, "err", err)
					so.shut(websocket.CloseInternalServerErr, msgInternal, closeGrace)
				}
				return false
			}
		}
		so.mu.Lock()
		if so.missed { // live events were dropped: read on from storage
			so.missed = false
			so.mu.Unlock()
			if last < 0 { // nothing to read on from: the client reconnects with since
				so.Lagged()
				return false
			}
			continue
		}
		break
	}
	defer so.mu.Unlock()
	so.replaying = false
	so.floor = last
	pending, read := so.pending, so.pendingRead
	so.pending, so.pendingRead = nil, chelseru.ChatEvent{}
	for _, ev := range pending {
		if ev.ID > last && !so.closed {
			so.writeLocked(websocket.TextMessage, ev.Frame, ev.Published)
		}
	}
	if read.Frame != nil && !so.closed {
		so.writeLocked(websocket.TextMessage, read.Frame, read.Published)
	}
	return !so.closed
}

// handle acts on one frame from the client.
func (so *socket) handle(frame []byte) {
	s := so.srv
	s.activity.Add(1)
	v, err := jsonlite.Parse(frame)
	if err != nil || v.Kind() != jsonlite.Object {
		so.sendError("Malformed frame: expected a JSON object.")
		return
	}
	if t, ok := v.Get("type"); ok {
		switch {
		case t.Equal("read"):
			id, ok := v.Get("id")
			n, isInt := id.Int()
			if !ok || !isInt || n < 0 {
				so.sendError(`A read event needs "id", a message id.`)
				return
			}
			if err := s.chat.MarkRead(context.Background(), so.room, so.p.UserID, n); err != nil {
				so.sendErr(err)
			}
			return
		case t.Equal("message"):
		case t.Kind() == jsonlite.String:
			so.sendError("Unknown type " + strconv.Quote(t.String()) + ".")
			return
		default:
			so.sendError(`"type" must be a string.`)
			return
		}
	}
	m, ok := v.Get("message")
	if !ok || m.Kind() != jsonlite.String {
		so.sendError(`"message" is required and must be a string.`)
		return
	}
	var clientID string
	if c, ok := v.Get("client_id"); ok && !c.IsNull() {
		if c.Kind() != jsonlite.String {
			so.sendError(`"client_id" must be a string.`)
			return
		}
		clientID = c.String()
	}
	out, dup, err := s.chat.Send(context.Background(), so.room, so.p.UserID, m.String(), clientID)
	if err != nil {
		so.sendErr(err)
		return
	}
	s.metrics.chat.in.Inc()
	if dup {
		so.send(websocket.TextMessage, out, time.Time{})
	}
}

// sendErr sends err as an error event (internal errors are logged and
// shown as the fixed message).
func (so *socket) sendErr(err error) {
	var e *chelseru.Error
	if !errors.As(err, &e) || e.Code == chelseru.EINTERNAL {
		so.srv.log.Error("chat socket", "room", so.room.ID, "err", err)
		so.sendError(msgInternal)
		return
	}
	so.sendError(e.Message)
}

// sendError sends an error event to this socket only.
func (so *socket) sendError(detail string) {
	so.send(websocket.TextMessage, chat.AppendError(nil, detail), time.Time{})
}

// Deliver implements chelseru.Subscriber.
func (so *socket) Deliver(ev chelseru.ChatEvent) bool {
	if ev.Kind == chelseru.ChatEventRead && ev.From == so.p.UserID {
		return true // a read receipt is for the other member
	}
	so.mu.Lock()
	defer so.mu.Unlock()
	switch {
	case so.closed:
		return true
	case ev.Kind == chelseru.ChatEventMessage && ev.ID <= so.floor:
		// Stored before the replay read it, published after: sent already.
		return true
	case so.replaying:
		switch {
		case ev.Kind == chelseru.ChatEventRead:
			so.pendingRead = ev // a later mark covers an earlier one
		case len(so.pending) >= so.srv.opts.Chat.SendQueue:
			// Stored before published: the replay reads them again.
			clear(so.pending)
			so.pending = so.pending[:0]
			so.missed = true
		default:
			so.pending = append(so.pending, ev)
		}
		return true
	case so.conn.Backlog() >= so.srv.opts.Chat.SendQueue:
		return false
	}
	so.writeLocked(websocket.TextMessage, ev.Frame, ev.Published)
	return true
}

// Lagged implements chelseru.Subscriber: the send queue overflowed.
func (so *socket) Lagged() {
	so.srv.metrics.chat.slow.Inc()
	so.shut(CloseSlowClient, "Too slow: reconnect with ?since=", 100*time.Millisecond)
}

// send writes a frame for this socket only (op is a websocket message
// type; at is when it was published, or zero); a backlog of
// CHAT.SEND_QUEUE frames disconnects the socket as too slow.
func (so *socket) send(op int, b []byte, at time.Time) {
	so.mu.Lock()
	if so.closed {
		so.mu.Unlock()
		return
	}
	if so.conn.Backlog() >= so.srv.opts.Chat.SendQueue {
		so.mu.Unlock()
		so.Lagged()
		return
	}
	so.writeLocked(op, b, at)
	so.mu.Unlock()
}

// writeLocked writes one frame (the connection does not block); a failed
// write closes the connection, which ends the reader. so.mu is held.
func (so *socket) writeLocked(op int, b []byte, at time.Time) {
	s := so.srv
	var err error
	if op == websocket.TextMessage {
		err = so.ws.WriteMessage(op, b)
	} else {
		err = so.ws.WriteControl(op, b, time.Time{})
	}
	if err != nil {
		so.closed = true
		so.pending = nil
		_ = so.conn.Close()
		return
	}
	if op == websocket.TextMessage {
		s.metrics.chat.out.Inc()
		if !at.IsZero() {
			s.metrics.chat.fanout.Observe(time.Since(at).Seconds())
		}
	}
}

// shut closes the socket with code: no more frames are taken, the close
// frame is sent, and the reader is given grace to read the client's close
// frame before the connection is dropped.
func (so *socket) shut(code int, reason string, grace time.Duration) {
	so.mu.Lock()
	if so.closed {
		so.mu.Unlock()
		return
	}
	so.closed = true
	so.pending = nil
	_ = so.conn.SetReadDeadline(time.Now().Add(grace))
	so.mu.Unlock()
	_ = so.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}
