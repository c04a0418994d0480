//go:build !unix

package host

// idleWait returns at once where the descriptor cannot be peeked: the
// websocket reader waits instead.
func (so *socket) idleWait() error { return nil }
