package host

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru"
)

// A client that sends a body over the limit is answered 413 before its body
// has been read. If the server then simply closed the socket, the unread
// bytes would make the kernel send a reset, and the client, still writing,
// would see "connection reset" instead of the answer. So such a connection
// lingers, as nginx's lingering_close does: the server half-closes its side
// (the answer and a FIN reach the client), reads and discards what the client
// still sends for at most lingerTimeout and lingerBytes, then closes. At most
// maxLingering connections linger at once; beyond that they close at once.

// lingerListener wraps accepted connections in lingerConn.
type lingerListener struct {
	net.Listener
	slots chan struct{}
}

// Accept implements net.Listener.
func (l *lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &lingerConn{Conn: c, slots: l.slots}, nil
}

// lingerConn is a connection that can be asked to linger when closed.
type lingerConn struct {
	net.Conn
	slots  chan struct{}
	linger atomic.Bool
}

// Close implements net.Conn.
func (c *lingerConn) Close() error {
	if !c.linger.Load() {
		return c.Conn.Close()
	}
	tc, ok := c.Conn.(*net.TCPConn)
	if !ok {
		return c.Conn.Close()
	}
	select {
	case c.slots <- struct{}{}:
	default:
		return c.Conn.Close()
	}
	if err := tc.CloseWrite(); err != nil {
		<-c.slots
		return c.Conn.Close()
	}
	go func() {
		defer func() { <-c.slots }()
		_ = tc.SetReadDeadline(time.Now().Add(lingerTimeout))
		_, _ = io.CopyN(io.Discard, tc, lingerBytes)
		_ = tc.Close()
	}()
	return nil
}

// serveError answers requests fasthttp could not read: a body over the
// limit (413, and the connection lingers), headers too large (431), a read
// timeout (408), anything else (400), each with a JSON body.
func (s *Server) serveError(ctx *fasthttp.RequestCtx, err error) {
	rs := s.states.Get().(*reqState)
	rs.reset()
	s.requestID(ctx, rs)
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		if lc, ok := ctx.Conn().(*lingerConn); ok {
			lc.linger.Store(true)
		}
		s.writeError(ctx, rs, &chelseru.Error{Code: chelseru.ETOOLARGE, Message: "Request body is too large."})
	case errors.As(err, &small):
		s.writeDetail(ctx, rs, fasthttp.StatusRequestHeaderFieldsTooLarge, "Request headers are too large.")
	case errors.As(err, &ne) && ne.Timeout():
		s.writeDetail(ctx, rs, fasthttp.StatusRequestTimeout, "Request timeout.")
	default:
		s.writeDetail(ctx, rs, fasthttp.StatusBadRequest, "Malformed request.")
	}
	s.metrics.observe(routeNotFound, rs.status, 0)
	s.states.Put(rs)
}
