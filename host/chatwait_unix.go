//go:build unix

package host

import "syscall"

// idleWait blocks until the client has sent something, on a shallow stack:
// a goroutine blocked inside the websocket reader holds a 4 KiB stack, one
// blocked here 2 KiB, and an idle socket is mostly this goroutine. It
// returns at once when the read buffer holds bytes or the socket has no
// descriptor, and with the read deadline's error when that passes first.
func (so *socket) idleWait() error {
	if so.raw == nil || so.br.Buffered() > 0 {
		return nil
	}
	var probe [1]byte
	return so.raw.Read(func(fd uintptr) bool {
		// Ready when a byte can be peeked, or the peek reports EOF or an
		// error (the websocket reader then sees it). Only "would block"
		// waits for the poller.
		_, _, err := syscall.Recvfrom(int(fd), probe[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return err != syscall.EAGAIN && err != syscall.EWOULDBLOCK
	})
}
