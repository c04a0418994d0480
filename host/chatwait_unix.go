//go:build unix

package host

import (
	"syscall"
	"time"
)

// idleWait blocks until the client has sent something, on a shallow stack:
// a goroutine blocked inside the websocket reader holds a 4 KiB stack, one
// blocked here 2 KiB, and an idle socket is mostly this goroutine. The
// client's pongs (one per CHAT.PING_INTERVAL on an idle socket) are taken
// here too, straight from the descriptor, so answering a ping does not
// grow the stack either. It returns at once when the read buffer holds
// bytes or the socket has no descriptor, and with the read deadline's
// error when that passes first.
func (so *socket) idleWait() error {
	if so.raw == nil || so.br.Buffered() > 0 {
		return nil
	}
	var head [6 + 125]byte // a masked control frame's header and payload
	for {
		pong := false
		err := so.raw.Read(func(fd uintptr) bool {
			n, _, err := syscall.Recvfrom(int(fd), head[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if err == syscall.EAGAIN || err == syscall.EWOULDBLOCK {
				return false // nothing yet: wait for the poller
			}
			if err != nil || n < 2 {
				return true // EOF, an error or a partial header: the reader sees it
			}
			// A whole pong (FIN, opcode 10, masked, at most 125 bytes) at
			// the head: take it off the socket here.
			if m := 6 + int(head[1]&0x7f); head[0] == 0x8a && head[1]&0x80 != 0 && m <= len(head) && n >= m {
				k, _, err := syscall.Recvfrom(int(fd), head[:m], syscall.MSG_DONTWAIT)
				pong = err == nil && k == m
			}
			return true
		})
		if err != nil {
			return err
		}
		if !pong {
			return nil
		}
		_ = so.ws.SetReadDeadline(time.Now().Add(so.srv.opts.Chat.IdleTimeout)) // alive
	}
}
