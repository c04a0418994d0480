package host

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// sockConn is a detached chat connection as the websocket library sees it.
//
// Writes never block the caller: a frame goes to the kernel at once, from
// the goroutine that publishes it, and what the kernel does not take (a
// slow reader's socket buffer is full) waits in the backlog, which one
// flusher goroutine, started only then, writes with a deadline. So a
// publisher is never held up by a receiver, and a fan-out needs no
// goroutine hand-off. Reads return first what idleWait read ahead.
//
// The websocket library serialises its own writes (data and control
// frames), so Write is never called concurrently; Read is called only by
// the socket's reader.
type sockConn struct {
	net.Conn
	raw     syscall.RawConn // nil: no descriptor; every write goes through the flusher
	timeout time.Duration   // bound on each of the flusher's writes

	// ahead holds bytes idleWait read from the descriptor, [aheadR:aheadW]
	// not yet read; nil when none.
	ahead          *[]byte
	aheadR, aheadW int

	mu       sync.Mutex
	backlog  [][]byte      // frames (or their rests) waiting for the flusher, oldest first
	flushing bool          // the flusher runs; writes must queue behind it
	drained  chan struct{} // closed when the flusher has written a batch; nil until asked for
	err      error         // the first write error; every later write fails with it
}

// readAheadSize is the size of the pooled buffers idleWait reads into.
const readAheadSize = 4096

var aheadPool = sync.Pool{New: func() any { b := make([]byte, readAheadSize); return &b }}

// errClosedConn is a write to a connection after a write failed or it was
// closed.
var errClosedConn = errors.New("chat connection closed")

// newSockConn wraps c; timeout bounds each write of the flusher.
func newSockConn(c net.Conn, timeout time.Duration) *sockConn {
	sc := &sockConn{Conn: c, timeout: timeout}
	if r, ok := c.(syscall.Conn); ok {
		sc.raw, _ = r.SyscallConn()
	}
	return sc
}

// Read implements net.Conn: the bytes read ahead first, then the
// connection.
func (c *sockConn) Read(p []byte) (int, error) {
	if c.ahead == nil {
		return c.Conn.Read(p)
	}
	n := copy(p, (*c.ahead)[c.aheadR:c.aheadW])
	c.aheadR += n
	if c.aheadR == c.aheadW {
		aheadPool.Put(c.ahead)
		c.ahead = nil
	}
	return n, nil
}

// SetWriteDeadline implements net.Conn. Writes do not block, so the
// library's per-write deadlines have nothing to bound; the flusher sets
// its own.
func (c *sockConn) SetWriteDeadline(time.Time) error { return nil }

// SetDeadline implements net.Conn for reads only (see SetWriteDeadline).
func (c *sockConn) SetDeadline(t time.Time) error { return c.Conn.SetReadDeadline(t) }

// Write implements net.Conn without blocking: what the kernel takes at
// once is written, the rest is kept for the flusher.
func (c *sockConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	rest := b
	if !c.flushing && c.raw != nil {
		n, err := c.tryWrite(b)
		if err != nil {
			c.err = err
			return 0, err
		}
		rest = b[n:]
	}
	if len(rest) > 0 {
		c.backlog = append(c.backlog, append([]byte(nil), rest...))
		if !c.flushing {
			c.flushing = true
			go c.flush()
		}
	}
	return len(b), nil
}

// Backlog returns how many frames wait for the flusher.
func (c *sockConn) Backlog() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.backlog)
}

// waitBacklog waits until at most n frames wait for the flusher, or the
// connection failed, or timeout passed (an error).
func (c *sockConn) waitBacklog(n int, timeout time.Duration) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	c.mu.Lock()
	for len(c.backlog) > n && c.err == nil {
		if c.drained == nil {
			c.drained = make(chan struct{})
		}
		ch := c.drained
		c.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(timeout)
		}
		select {
		case <-ch:
		case <-timer.C:
			return errors.New("chat connection: write timed out")
		}
		c.mu.Lock()
	}
	err := c.err
	c.mu.Unlock()
	return err
}

// flush writes the backlog, a batch at a time, until it is empty or a
// write fails (then the connection is closed, which ends the socket's
// reader).
func (c *sockConn) flush() {
	for {
		c.mu.Lock()
		batch := c.backlog
		c.backlog = nil
		if len(batch) == 0 || c.err != nil {
			c.flushing = false
			c.wakeDrained()
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		_ = c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
		bufs := net.Buffers(batch)
		_, err := bufs.WriteTo(c.Conn)
		_ = c.Conn.SetWriteDeadline(time.Time{})
		c.mu.Lock()
		if err != nil && c.err == nil {
			c.err = err
		}
		c.wakeDrained()
		failed := c.err != nil
		c.mu.Unlock()
		if failed {
			_ = c.Conn.Close()
		}
	}
}

// wakeDrained wakes the waiters of waitBacklog. c.mu is held.
func (c *sockConn) wakeDrained() {
	if c.drained != nil {
		close(c.drained)
		c.drained = nil
	}
}

// Close implements net.Conn; later writes fail.
func (c *sockConn) Close() error {
	c.mu.Lock()
	if c.err == nil {
		c.err = errClosedConn
	}
	c.backlog = nil
	c.wakeDrained()
	c.mu.Unlock()
	return c.Conn.Close()
}
