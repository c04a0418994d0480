//go:build unix

package host

import "syscall"

// readAhead blocks until the client has sent something and reads what
// arrived into a pooled buffer, for Read to return (an idle socket holds no
// read buffer). It returns with nothing read on end of stream or an error,
// which the next Read then meets, and the read deadline's error when that
// passes first.
func (c *sockConn) readAhead() error {
	if c.ahead != nil || c.raw == nil {
		return nil
	}
	return c.raw.Read(func(fd uintptr) bool {
		buf := aheadPool.Get().(*[]byte)
		n, err := syscall.Read(int(fd), *buf)
		for err == syscall.EINTR {
			n, err = syscall.Read(int(fd), *buf)
		}
		if err == syscall.EAGAIN {
			aheadPool.Put(buf)
			return false // nothing yet: wait for the poller
		}
		if err != nil || n <= 0 {
			aheadPool.Put(buf)
			return true
		}
		c.ahead, c.aheadR, c.aheadW = buf, 0, n
		return true
	})
}

// tryWrite writes what the kernel takes of b at once, without waiting.
func (c *sockConn) tryWrite(b []byte) (int, error) {
	var (
		n    int
		werr error
	)
	err := c.raw.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), b)
		for werr == syscall.EINTR {
			n, werr = syscall.Write(int(fd), b)
		}
		return true
	})
	switch {
	case err != nil:
		return 0, err
	case werr == syscall.EAGAIN:
		return 0, nil
	case werr != nil:
		return 0, werr
	}
	return max(n, 0), nil
}
