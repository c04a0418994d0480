package host

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/chelseru/chelseru"
)

// socketHub keeps the open chat sockets: the per-user connection cap, the
// one sweeper that pings sockets and re-checks sessions that reached their
// expiry, closing a revoked session's sockets, and closing every socket on
// shutdown.
type socketHub struct {
	srv *Server

	mu      sync.Mutex
	all     map[*socket]struct{}
	perUser map[int64]int
	closed  bool
	wg      sync.WaitGroup // one per reserved socket

	stop chan struct{}
	done chan struct{}
}

// sweepEvery is the sweeper's period: pings are due per socket every
// CHAT.PING_INTERVAL, expired sessions are re-checked within it.
const sweepEvery = time.Second

func newSocketHub(s *Server) *socketHub {
	h := &socketHub{srv: s, all: map[*socket]struct{}{}, perUser: map[int64]int{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go h.sweep()
	return h
}

// add reserves a socket for user, or returns the close code to refuse it
// with.
func (h *socketHub) add(user int64, max int) (int, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return websocket.CloseGoingAway, "Server shutting down."
	case h.perUser[user] >= max:
		return CloseTooMany, fmt.Sprintf("Too many connections for this user (at most %d).", max)
	}
	h.perUser[user]++
	h.wg.Add(1)
	return 0, ""
}

// unreserve gives back a reservation of add that was never registered.
func (h *socketHub) unreserve(user int64) {
	h.mu.Lock()
	if h.perUser[user]--; h.perUser[user] <= 0 {
		delete(h.perUser, user)
	}
	h.mu.Unlock()
	h.wg.Done()
}

// setExpiry records when the socket's session ends (zero: never).
func (h *socketHub) setExpiry(so *socket, expires time.Time) {
	h.mu.Lock()
	so.expires = expires
	h.mu.Unlock()
}

// register adds a reserved socket.
func (h *socketHub) register(so *socket) {
	h.mu.Lock()
	so.nextPing = time.Now().Add(h.srv.opts.Chat.PingInterval)
	h.all[so] = struct{}{}
	closed := h.closed
	h.mu.Unlock()
	if closed {
		so.shut(websocket.CloseGoingAway, "Server shutting down.", closeGrace)
	}
}

// remove forgets a socket that ended.
func (h *socketHub) remove(so *socket) {
	h.mu.Lock()
	delete(h.all, so)
	if h.perUser[so.p.UserID]--; h.perUser[so.p.UserID] <= 0 {
		delete(h.perUser, so.p.UserID)
	}
	h.mu.Unlock()
	h.wg.Done()
}

// revoke closes the sockets of a revoked session with 4401.
func (h *socketHub) revoke(sessionID int64) {
	var list []*socket
	h.mu.Lock()
	for so := range h.all {
		if so.p.SessionID == sessionID {
			list = append(list, so)
		}
	}
	h.mu.Unlock()
	for _, so := range list { // shut writes a close frame: not under h.mu
		so.shut(CloseUnauthorized, "Session revoked.", closeGrace)
	}
}

// count returns the open sockets.
func (h *socketHub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.all)
}

// sweep pings sockets that are due and re-checks sessions that reached
// their expiry, until shutdown.
func (h *socketHub) sweep() {
	defer close(h.done)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	var due []*socket
	for {
		select {
		case <-h.stop:
			return
		case now := <-t.C:
			due = due[:0]
			h.mu.Lock()
			for so := range h.all {
				if !so.nextPing.After(now) {
					so.nextPing = now.Add(h.srv.opts.Chat.PingInterval)
					due = append(due, so)
				}
				if !so.expires.IsZero() && !so.expires.After(now) && so.checking.CompareAndSwap(false, true) {
					go h.recheck(so)
				}
			}
			h.mu.Unlock()
			for _, so := range due { // a ping is a write: not under h.mu
				so.send(websocket.PingMessage, nil, time.Time{})
			}
			clear(due)
		}
	}
}

// recheck looks a socket's session up again once its known expiry passed
// (a refresh moves it): gone means 4401.
func (h *socketHub) recheck(so *socket) {
	defer so.checking.Store(false)
	exp, err := h.srv.auth.SessionExpiry(reqContext(), so.p)
	if chelseru.ErrorCode(err) == chelseru.EINTERNAL {
		h.srv.log.Error("chat socket session check", "err", err)
		h.mu.Lock()
		so.expires = time.Now().Add(10 * sweepEvery) // storage trouble: try again later
		h.mu.Unlock()
		return
	}
	if err != nil {
		code, reason := h.srv.refusal(err, CloseUnauthorized)
		so.shut(code, reason, closeGrace)
		return
	}
	h.mu.Lock()
	so.expires = exp
	if !exp.IsZero() && !exp.After(time.Now()) {
		so.expires = time.Now().Add(sweepEvery) // not yet dropped by the store: look again soon
	}
	h.mu.Unlock()
}

// shutdown refuses new sockets, closes every open one with 1001 and waits
// for them to end, or for ctx.
func (h *socketHub) shutdown(ctx context.Context) error {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.stop)
	}
	list := make([]*socket, 0, len(h.all))
	for so := range h.all {
		list = append(list, so)
	}
	h.mu.Unlock()
	// Sockets registered from now on are shut by register (h.closed).
	for _, so := range list { // shut writes a close frame: not under h.mu
		so.shut(websocket.CloseGoingAway, "Server shutting down.", closeGrace)
	}
	<-h.done
	waited := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("chat sockets still open: %w", ctx.Err())
	}
}
