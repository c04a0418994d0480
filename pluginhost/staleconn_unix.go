//go:build unix

package pluginhost

import (
	"errors"
	"net"
	"syscall"
)

// peerClosed reports whether the peer of c has closed it or sent data no
// request asked for: a non-blocking peek finds an end of file, an error
// (a reset), or bytes. An idle connection with nothing to read is alive.
func peerClosed(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	var b [1]byte
	// Control, not Read: it takes no read lock, so it can never wait on
	// a reader elsewhere; MSG_DONTWAIT keeps the peek from blocking.
	err = rc.Control(func(fd uintptr) {
		n, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK) || errors.Is(rerr, syscall.EINTR):
		default:
			// n == 0: end of file; n > 0: unasked bytes; rerr: a reset.
			closed = rerr != nil || n >= 0
		}
	})
	return err == nil && closed
}
