package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chelseru/chelseru/internal/loadgen"
	"github.com/fasthttp/websocket"
)

// Limits of the chat load.
const (
	// chatDialTimeout bounds one socket's TCP connect and upgrade.
	chatDialTimeout = 10 * time.Second
	// chatWriteTimeout bounds one frame's write.
	chatWriteTimeout = 10 * time.Second
	// chatAckTimeout bounds the wait for a message's own copy in the
	// closed loop.
	chatAckTimeout = 10 * time.Second
	// chatMaxFrame is the largest frame the load tool reads.
	chatMaxFrame = 64 << 10
	// chatMaxSeq bounds a socket's messages in one load (the per-socket
	// record of what arrived is a bitmap of this many bits at most).
	chatMaxSeq = 1 << 22
	// chatCloseWait bounds the close handshakes when a load ends.
	chatCloseWait = 5 * time.Second
	// latShards is the number of latency histograms the readers share.
	latShards = 16
	// chatText is every message's text: about a short chat line.
	chatText = "chelseru-bench: a line about as long as a short chat message"
)

// chatMember is one side of a room: the room and the member's access token.
type chatMember struct {
	Room  int64
	Token string
}

// chatSocket is one open chat socket of a load. Sockets come in pairs: the
// two members of one room are sockets 2i and 2i+1, each other's peer.
type chatSocket struct {
	idx  int
	conn *websocket.Conn

	// Counted by the sender.
	sent    atomic.Int64 // frames written
	sentWin atomic.Int64 // of those, written inside the window

	// Counted by the reader.
	acks      atomic.Int64 // own messages echoed back (the server's ack)
	got       atomic.Int64 // distinct messages of the peer received
	gotWin    atomic.Int64 // of those, received inside the window
	dups      atomic.Int64 // a message of the peer received again
	reordered atomic.Int64 // a message of the peer received after a later one
	errEvents atomic.Int64 // {"type": "error"} events
	foreign   atomic.Int64 // frames with no client_id of this load
	sample    atomic.Pointer[string]

	seen []uint64 // the peer's sequence numbers received (reader only)
	next int64    // one past the highest of them (reader only)

	ack  chan struct{} // one token per ack, for the closed loop
	done chan struct{} // closed when the reader stops
	err  error         // why the reader stopped; valid once done is closed
}

// latShard is one of the histograms the readers record latencies in (h),
// and the open-loop senders their lag behind the schedule (lag).
type latShard struct {
	mu  sync.Mutex
	h   loadgen.Histogram
	lag loadgen.Histogram
}

// chatLoad is a set of open chat sockets, a reader goroutine on each, and
// what the readers measured. Times are nanoseconds since base (monotonic).
type chatLoad struct {
	addr   string
	dialer *websocket.Dialer
	base   time.Time
	nonce  uint32 // tags this load's client_ids
	socks  []*chatSocket

	// The measured window, set before the senders start; latencies are
	// recorded for messages sent inside it, deliveries counted when they
	// arrive inside it. Both 0: no window.
	winStart, winEnd atomic.Int64
	lat              [latShards]latShard
}

// newChatLoad returns an empty load against the server at addr, which
// must be on 127.0.0.1.
func newChatLoad(addr string) (*chatLoad, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		return nil, fmt.Errorf("chat load: the server must be on 127.0.0.1, got %q", addr)
	}
	return &chatLoad{
		addr: addr,
		dialer: &websocket.Dialer{
			NetDialContext:   (&net.Dialer{Timeout: chatDialTimeout}).DialContext,
			HandshakeTimeout: chatDialTimeout,
			ReadBufferSize:   2048,
			WriteBufferSize:  1024,
			WriteBufferPool:  &sync.Pool{},
		},
		base:  time.Now(),
		nonce: rand.Uint32(),
	}, nil
}

// now is the time since the load's base.
func (l *chatLoad) now() int64 { return int64(time.Since(l.base)) }

// open dials a socket for every member, workers at a time, and starts each
// one's reader. Members come in pairs (2i and 2i+1 share a room) and are
// appended to the load's sockets. It stops at the first failure.
func (l *chatLoad) open(ctx context.Context, members []chatMember, workers int) error {
	if len(members)%2 != 0 || len(l.socks)%2 != 0 {
		return errors.New("chat load: members must come in pairs")
	}
	start := len(l.socks)
	l.socks = append(l.socks, make([]*chatSocket, len(members))...)
	return parallel(ctx, len(members), workers, func(_, i int) error {
		s, err := l.dial(ctx, start+i, members[i])
		if err != nil {
			return err
		}
		l.socks[start+i] = s
		go l.read(s)
		return nil
	})
}

// dial opens one socket to /ws/chat/{room}/ with the member's token.
func (l *chatLoad) dial(ctx context.Context, idx int, m chatMember) (*chatSocket, error) {
	url := "ws://" + l.addr + "/ws/chat/" + strconv.FormatInt(m.Room, 10) + "/"
	h := http.Header{"Authorization": {"Bearer " + m.Token}}
	conn, resp, err := l.dialer.DialContext(ctx, url, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("opening the socket of room %d: HTTP %d: %w", m.Room, resp.StatusCode, err)
		}
		return nil, fmt.Errorf("opening the socket of room %d: %w", m.Room, err)
	}
	conn.SetReadLimit(chatMaxFrame)
	return &chatSocket{idx: idx, conn: conn, ack: make(chan struct{}, 1), done: make(chan struct{})}, nil
}

// read handles every frame of s until the socket fails or closes.
func (l *chatLoad) read(s *chatSocket) {
	defer close(s.done)
	buf := make([]byte, 0, 512)
	for {
		_, r, err := s.conn.NextReader()
		if err == nil {
			buf, err = readAll(buf[:0], r)
		}
		if err != nil {
			s.err = err
			return
		}
		l.handle(s, buf)
	}
}

// readAll appends everything r holds to dst.
func readAll(dst []byte, r io.Reader) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// handle counts one frame received on s.
func (l *chatLoad) handle(s *chatSocket, frame []byte) {
	now := l.now()
	id, ok := jsonStringField(frame, "client_id")
	if !ok {
		if t, _ := jsonStringField(frame, "type"); string(t) == "error" {
			s.errEvents.Add(1)
			s.keepSample(frame)
		}
		return // other events (read receipts) are not this load's
	}
	nonce, from, seq, at, ok := parseClientID(id)
	if !ok || nonce != l.nonce || seq >= chatMaxSeq {
		s.foreign.Add(1)
		s.keepSample(frame)
		return
	}
	switch from {
	case s.idx:
		s.acks.Add(1)
		select {
		case s.ack <- struct{}{}:
		default:
		}
	case s.idx ^ 1:
		if !s.mark(seq) {
			s.dups.Add(1)
			return
		}
		if seq < s.next {
			s.reordered.Add(1)
		}
		s.next = max(s.next, seq+1)
		s.got.Add(1)
		ws, we := l.winStart.Load(), l.winEnd.Load()
		if at >= ws && at < we {
			sh := &l.lat[s.idx%latShards]
			sh.mu.Lock()
			sh.h.Record(time.Duration(now - at))
			sh.mu.Unlock()
		}
		if now >= ws && now < we {
			s.gotWin.Add(1)
		}
	default:
		s.foreign.Add(1)
		s.keepSample(frame)
	}
}

// mark records the peer's message seq and reports whether it is new.
func (s *chatSocket) mark(seq int64) bool {
	w := int(seq / 64)
	for len(s.seen) <= w {
		s.seen = append(s.seen, 0)
	}
	bit := uint64(1) << (seq % 64)
	if s.seen[w]&bit != 0 {
		return false
	}
	s.seen[w] |= bit
	return true
}

// keepSample keeps the first odd frame for the report.
func (s *chatSocket) keepSample(frame []byte) {
	if s.sample.Load() == nil {
		f := string(frame[:min(len(frame), 200)])
		s.sample.CompareAndSwap(nil, &f)
	}
}

// send writes message seq of s, stamped with the time of sending. An
// open-loop sender gives the time the message was due (else 0): how late
// it is sent is recorded for the messages due inside the window.
func (l *chatLoad) send(s *chatSocket, buf *[]byte, seq, due int64) error {
	at := l.now()
	if due > 0 && due >= l.winStart.Load() && due < l.winEnd.Load() {
		sh := &l.lat[s.idx%latShards]
		sh.mu.Lock()
		sh.lag.Record(time.Duration(at - due))
		sh.mu.Unlock()
	}
	*buf = appendChatFrame((*buf)[:0], l.nonce, s.idx, seq, at)
	if err := s.conn.SetWriteDeadline(time.Now().Add(chatWriteTimeout)); err != nil {
		return fmt.Errorf("sending: %w", err)
	}
	if err := s.conn.WriteMessage(websocket.TextMessage, *buf); err != nil {
		return fmt.Errorf("sending: %w", err)
	}
	s.sent.Add(1)
	if at >= l.winStart.Load() && at < l.winEnd.Load() {
		s.sentWin.Add(1)
	}
	return nil
}

// appendChatFrame appends the client's message frame:
// {"message":"...","client_id":"<nonce>.<socket>.<seq>.<sent at>"}.
func appendChatFrame(dst []byte, nonce uint32, idx int, seq, at int64) []byte {
	dst = append(dst, `{"message":"`+chatText+`","client_id":"`...)
	dst = strconv.AppendUint(dst, uint64(nonce), 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, int64(idx), 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, at, 10)
	return append(dst, `"}`...)
}

// parseClientID splits a client_id made by appendChatFrame.
func parseClientID(id []byte) (nonce uint32, idx int, seq, at int64, ok bool) {
	var f [4]int64
	for i := range f {
		n, rest, ok := leadingInt(id)
		if !ok || (i < 3 && (len(rest) == 0 || rest[0] != '.')) || (i == 3 && len(rest) != 0) {
			return 0, 0, 0, 0, false
		}
		f[i] = n
		if i < 3 {
			id = rest[1:]
		}
	}
	if f[0] > 1<<32-1 || f[1] > 1<<30 {
		return 0, 0, 0, 0, false
	}
	return uint32(f[0]), int(f[1]), f[2], f[3], true
}

// leadingInt parses the decimal digits at the start of b (1 to 18 of them).
func leadingInt(b []byte) (n int64, rest []byte, ok bool) {
	i := 0
	for ; i < len(b) && i < 18 && '0' <= b[i] && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	return n, b[i:], i > 0
}

// jsonStringField finds "key": "value" in a JSON object and returns value
// as it is written (escapes are not decoded: this load's values have none).
// It tolerates spaces around the colon.
func jsonStringField(frame []byte, key string) ([]byte, bool) {
	for i := 0; i+len(key)+2 <= len(frame); i++ {
		if frame[i] != '"' || string(frame[i+1:min(len(frame), i+1+len(key))]) != key || i+1+len(key) >= len(frame) || frame[i+1+len(key)] != '"' {
			continue
		}
		j := skipSpace(frame, i+2+len(key))
		if j >= len(frame) || frame[j] != ':' {
			continue // the key's text inside a value
		}
		j = skipSpace(frame, j+1)
		if j >= len(frame) || frame[j] != '"' {
			return nil, false
		}
		for k := j + 1; k < len(frame); k++ {
			switch frame[k] {
			case '\\':
				return nil, false
			case '"':
				return frame[j+1 : k], true
			}
		}
		return nil, false
	}
	return nil, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// sendOpen sends on s at a fixed rate: message k at phase + k*period, until
// stop (times since the load's base). A sender that falls behind sends at
// once, without skipping: the offered load stays the same.
func (l *chatLoad) sendOpen(ctx context.Context, s *chatSocket, phase, period, stop int64) error {
	var buf []byte
	t := time.NewTimer(0)
	defer t.Stop()
	for k := int64(0); ; k++ {
		due := phase + k*period
		if due >= stop {
			return nil
		}
		if k >= chatMaxSeq {
			return errors.New("too many messages for one socket")
		}
		if d := due - l.now(); d > 0 {
			t.Reset(time.Duration(d))
			select {
			case <-t.C:
			case <-ctx.Done():
				return ctx.Err()
			case <-s.done:
				return fmt.Errorf("socket closed: %w", s.err)
			}
		}
		if err := l.send(s, &buf, k, due); err != nil {
			return err
		}
	}
}

// sendClosed sends on s one message at a time, the next when the server has
// echoed the previous one back (its ack), until stop.
func (l *chatLoad) sendClosed(ctx context.Context, s *chatSocket, stop int64) error {
	var buf []byte
	t := time.NewTimer(chatAckTimeout)
	defer t.Stop()
	for seq := int64(0); l.now() < stop; seq++ {
		if seq >= chatMaxSeq {
			return errors.New("too many messages for one socket")
		}
		if err := l.send(s, &buf, seq, 0); err != nil {
			return err
		}
		t.Reset(chatAckTimeout)
		select {
		case <-s.ack:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return fmt.Errorf("socket closed: %w", s.err)
		case <-t.C:
			return fmt.Errorf("no ack within %s", chatAckTimeout)
		}
	}
	return nil
}

// chatTotals are the counters of every socket of a load, summed; lost is
// what each sender sent that its peer has not received, unacked what it
// sent that has not come back to it, closed the sockets whose reader
// stopped, sample the first odd frame or close seen.
type chatTotals struct {
	sent, sentWin, acks, got, gotWin, dups, reordered, errEvents, foreign int64
	lost, unacked                                                         int64
	closed                                                                int
	sample                                                                string
}

// totals sums the counters of every socket.
func (l *chatLoad) totals() chatTotals {
	var t chatTotals
	for _, s := range l.socks {
		if s == nil {
			continue
		}
		sent := s.sent.Load()
		t.sent += sent
		t.sentWin += s.sentWin.Load()
		t.acks += s.acks.Load()
		t.got += s.got.Load()
		t.gotWin += s.gotWin.Load()
		t.dups += s.dups.Load()
		t.reordered += s.reordered.Load()
		t.errEvents += s.errEvents.Load()
		t.foreign += s.foreign.Load()
		if p := l.socks[s.idx^1]; p != nil {
			t.lost += max(0, sent-p.got.Load())
		}
		t.unacked += max(0, sent-s.acks.Load())
		select {
		case <-s.done:
			t.closed++
			if t.sample == "" {
				t.sample = fmt.Sprintf("socket %d closed: %v", s.idx, s.err)
			}
		default:
		}
		if p := s.sample.Load(); p != nil && t.sample == "" {
			t.sample = *p
		}
	}
	return t
}

// drain waits until every message sent has reached the peer and been
// echoed to its sender, or until timeout.
func (l *chatLoad) drain(ctx context.Context, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for {
		t := l.totals()
		if t.lost == 0 && t.unacked == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// latency merges the readers' histograms, and the senders' lags.
func (l *chatLoad) latency() (latency, lag *loadgen.Histogram) {
	latency, lag = new(loadgen.Histogram), new(loadgen.Histogram)
	for i := range l.lat {
		sh := &l.lat[i]
		sh.mu.Lock()
		latency.Merge(&sh.h)
		lag.Merge(&sh.lag)
		sh.mu.Unlock()
	}
	return latency, lag
}

// openCount reports how many sockets are still open (their reader running).
func (l *chatLoad) openCount() int {
	n := 0
	for _, s := range l.socks {
		if s == nil {
			continue
		}
		select {
		case <-s.done:
		default:
			n++
		}
	}
	return n
}

// close ends every socket: a close frame (1000) to each, a wait for the
// server's answers (bounded by chatCloseWait), then the connections closed.
func (l *chatLoad) close() {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	deadline := time.Now().Add(chatCloseWait)
	for _, s := range l.socks {
		if s != nil {
			_ = s.conn.WriteControl(websocket.CloseMessage, msg, deadline)
		}
	}
	for _, s := range l.socks {
		if s == nil {
			continue
		}
		select {
		case <-s.done:
		case <-time.After(time.Until(deadline)):
		}
		_ = s.conn.Close()
		<-s.done
	}
}

// parallel runs f(w, i) for i in [0, n) on up to workers goroutines (w is
// the goroutine's number, for per-worker state) and returns the first
// error; after an error or the end of ctx no new i starts.
func parallel(ctx context.Context, n, workers int, f func(w, i int) error) error {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		mu   sync.Mutex
		err  error
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return err != nil
	}
	for w := range min(workers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed() {
					return
				}
				if cerr := ctx.Err(); cerr != nil {
					mu.Lock()
					err = cmpErr(err, cerr)
					mu.Unlock()
					return
				}
				if ferr := f(w, i); ferr != nil {
					mu.Lock()
					err = cmpErr(err, ferr)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return err
}

// cmpErr keeps the first error.
func cmpErr(first, next error) error {
	if first != nil {
		return first
	}
	return next
}
