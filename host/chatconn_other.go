//go:build !unix

package host

// readAhead does nothing where the descriptor cannot be read directly: the
// websocket reader waits instead.
func (c *sockConn) readAhead() error { return nil }

// tryWrite takes nothing: every write goes through the flusher.
func (c *sockConn) tryWrite([]byte) (int, error) { return 0, nil }
