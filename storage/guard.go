package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chelseru/chelseru"
)

// ErrFull is wrapped by the error of every write refused because the data
// folder's file system has less free space than Options.MinFreeBytes, or
// because a write failed with ENOSPC. The error is a *chelseru.Error with
// code EUNAVAILABLE (503) and the message MsgFull.
var ErrFull = errors.New("storage full")

// MsgFull is the client-facing message of a write refused for lack of space.
const MsgFull = "Storage is full; try again later."

// fullRetryAfter is the Retry-After of a refused write.
const fullRetryAfter = 30 * time.Second

// guardInterval is how long a measurement of free space is trusted.
const guardInterval = time.Second

// diskGuard refuses writes while the data folder's file system is nearly
// full. Badger writes its memtable log and value log through memory-mapped,
// sparse files: on a full disk a store into such a page kills the process
// with SIGBUS instead of returning an error, so the only safe answer is not
// to write. Free space is measured with statfs at most once a second (and
// again at once after a write failed for lack of space); a check between
// measurements is two atomic loads.
type diskGuard struct {
	dir  string
	min  uint64 // 0: disabled
	free func(string) (uint64, error)
	log  *slog.Logger
	mu   sync.Mutex   // one measurement at a time
	next atomic.Int64 // UnixNano after which to measure again
	low  atomic.Bool
	last atomic.Uint64 // the last measurement
}

func (g *diskGuard) init(dir string, min int64, free func(string) (uint64, error), log *slog.Logger) {
	g.dir, g.log, g.free = dir, log, free
	if g.free == nil {
		g.free = freeBytes
	}
	if min > 0 {
		g.min = uint64(min)
		g.refresh(time.Now().UnixNano())
	}
}

// check returns an ErrFull error when free space is below the threshold.
func (g *diskGuard) check() error {
	if g.min == 0 {
		return nil
	}
	if now := time.Now().UnixNano(); now >= g.next.Load() {
		g.refresh(now)
	}
	if g.low.Load() {
		return fullError(fmt.Errorf("%d bytes free in %s, below the minimum of %d", g.last.Load(), g.dir, g.min))
	}
	return nil
}

// refresh measures free space, unless another caller is doing so.
func (g *diskGuard) refresh(now int64) {
	if !g.mu.TryLock() {
		return
	}
	defer g.mu.Unlock()
	free, err := g.free(g.dir)
	g.next.Store(now + int64(guardInterval))
	if err != nil {
		return // cannot tell: keep the last answer
	}
	g.last.Store(free)
	low := free < g.min
	if was := g.low.Swap(low); was != low && g.log != nil {
		if low {
			g.log.Error("storage: disk nearly full; refusing writes until space is freed", "free_bytes", free, "min_free_bytes", g.min)
		} else {
			g.log.Info("storage: disk space available again; accepting writes", "free_bytes", free)
		}
	}
}

// mapErr turns a write that failed for lack of space into an ErrFull error
// and makes the next check measure again.
func (g *diskGuard) mapErr(err error) error {
	if err == nil || !errors.Is(err, syscall.ENOSPC) {
		return err
	}
	g.next.Store(0)
	return fullError(err)
}

func fullError(cause error) error {
	return &chelseru.Error{
		Code:       chelseru.EUNAVAILABLE,
		Reason:     "storage_full",
		Message:    MsgFull,
		RetryAfter: fullRetryAfter,
		Err:        fmt.Errorf("%w: %w", ErrFull, cause),
	}
}

// DiskFull returns an error wrapping ErrFull while writes are refused for
// lack of space, else nil. Readiness probes use it, so a load balancer
// stops sending traffic before Badger could run out of room.
func (db *DB) DiskFull() error { return db.guard.check() }

// checkRoomToOpen refuses to open Badger on a disk below MinFreeBytes:
// opening replays the write-ahead log through memory-mapped files and makes
// new ones, and on a full disk that is a SIGBUS, not an error. The caller
// exits with one line and a supervisor tries again; once space is freed the
// start succeeds and replays the log, losing nothing.
func checkRoomToOpen(dir string, opts Options) error {
	if opts.MinFreeBytes <= 0 {
		return nil
	}
	measure := opts.FreeBytes
	if measure == nil {
		measure = freeBytes
	}
	at := dir
	for {
		if _, err := os.Stat(at); err == nil {
			break
		}
		parent := filepath.Dir(at)
		if parent == at {
			return nil
		}
		at = parent
	}
	free, err := measure(at)
	if err != nil || free >= uint64(opts.MinFreeBytes) {
		return nil // cannot tell, or room enough
	}
	return fullError(fmt.Errorf("%d bytes free, below the minimum of %d (STORAGE.MIN_FREE_BYTES): free space and start again", free, opts.MinFreeBytes))
}
