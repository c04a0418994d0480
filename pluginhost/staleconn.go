package pluginhost

import (
	"errors"
	"net"
	"sync"
	"time"
)

// Stale provider connections. A provider closes a keep-alive connection it
// has kept idle for its own timeout (Apache: 5 s); a client that then writes
// a request on it gets no answer (EOF or a reset). The host keeps idle
// connections for less than that (Config.IdleConnTimeout, 4 s), and, for a
// provider that closes sooner, looks at a reused connection before writing
// a request on it: when the provider has closed it (or sent anything
// unasked, such as a TLS close_notify), the write fails with errStaleConn
// without writing a byte, the connection is dropped, and the request is
// made again on another connection (fasthttp's RetryIfErr, call.go). Only
// this error is retried: nothing of the request reached the provider, so a
// POST that sends an SMS can never be sent twice. A provider that closes
// the connection while the request is being written (a race of
// microseconds) still fails that send.

// errStaleConn is the write error on a reused connection the provider has
// closed. It is a net.Error so that crypto/tls passes it through unchanged
// (wrapped, for errors.Is).
var errStaleConn error = staleConnError{}

type staleConnError struct{}

func (staleConnError) Error() string {
	return "the provider had closed the idle connection (nothing was sent)"
}
func (staleConnError) Timeout() bool   { return false }
func (staleConnError) Temporary() bool { return false }

// probeIdle is how long a connection must have been idle after reading
// before a write looks at it first. A connection reused at once (load) or
// in the middle of a TLS handshake is not looked at: no provider closes a
// connection that fast, and the look costs a system call.
const probeIdle = 50 * time.Millisecond

// probedConn wraps a provider connection (below TLS) to notice, at the
// first write after a read and some idleness, that the peer has closed it.
type probedConn struct {
	net.Conn
	mu       sync.Mutex
	lastRead time.Time // zero until the first read after a write
}

func newProbedConn(c net.Conn) net.Conn { return &probedConn{Conn: c} }

// Read implements net.Conn.
func (c *probedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.lastRead = time.Now()
		c.mu.Unlock()
	}
	return n, err
}

// Write implements net.Conn: the first write after a read that is
// probeIdle old first checks that the peer has not closed the connection.
func (c *probedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	last := c.lastRead
	c.lastRead = time.Time{}
	c.mu.Unlock()
	if !last.IsZero() && time.Since(last) >= probeIdle && peerClosed(c.Conn) {
		return 0, errStaleConn
	}
	return c.Conn.Write(p)
}

// isStale reports whether err is errStaleConn (possibly wrapped by TLS).
func isStale(err error) bool { return errors.Is(err, errStaleConn) }
