package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/chelseru/chelseru"
)

// maxLimitsPerTake bounds the limits one Take may name.
const maxLimitsPerTake = 16

// window is one limit's counter for the fixed window containing now.
type window struct {
	key  []byte
	max  uint64
	need uint64 // units to take: more than 1 when a limit is named twice
	end  time.Time
	c    *counter // the cached counter, set by counters.attach
	// loaded is set once counters.load has looked for the window's stored
	// count (it was not cached then).
	loaded bool
}

// fixedWindow is the fixed window of length w (in whole milliseconds; w is
// at least 1ms) that contains now. Windows are aligned to the Unix epoch, so
// every caller and every restart agree on them. Both rate limits (Take) and
// the per-number send count (CreateOTP) use it.
func fixedWindow(now time.Time, w time.Duration) (start, end time.Time) {
	wms := w.Milliseconds()
	ms := now.UnixMilli()
	s := ms - ((ms%wms)+wms)%wms // floor, also before 1970
	return time.UnixMilli(s), time.UnixMilli(s + wms)
}

// windows groups limits by counter key and checks them.
func windows(now time.Time, limits []chelseru.Limit) ([]window, error) {
	if len(limits) > maxLimitsPerTake {
		return nil, fmt.Errorf("at most %d limits per call, got %d", maxLimitsPerTake, len(limits))
	}
	ws := make([]window, 0, len(limits))
next:
	for _, l := range limits {
		if l.Key == "" || len(l.Key) > maxLimitKeyLen {
			return nil, fmt.Errorf("limit key must be 1 to %d bytes, got %d", maxLimitKeyLen, len(l.Key))
		}
		if l.Window < time.Millisecond {
			return nil, fmt.Errorf("limit %q: window must be at least 1ms, got %v", l.Key, l.Window)
		}
		start, end := fixedWindow(now, l.Window)
		k := rateLimitKey(l.Key, l.Window, start)
		for i := range ws { // at most maxLimitsPerTake: a scan beats a map
			if w := &ws[i]; string(w.key) == string(k) {
				w.need++
				w.max = min(w.max, uint64(max(l.Max, 0)))
				continue next
			}
		}
		ws = append(ws, window{key: k, max: uint64(max(l.Max, 0)), need: 1, end: end})
	}
	return ws, nil
}

// Take implements chelseru.RateLimiter with fixed windows aligned to the Unix
// epoch. Counts are kept in memory (see counters) and written to Badger under
// rl/{key}/{window ms}/{window start ms} with a TTL at the window's end. All
// limits are checked and counted under one lock, so either all units are
// taken or none; the wait returned is until the latest exhausted window ends.
// A limit with Max <= 0 always refuses. Concurrent Takes never over-admit.
func (db *DB) Take(ctx context.Context, now time.Time, limits ...chelseru.Limit) (time.Duration, error) {
	if len(limits) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("storage: take: %w", err)
	}
	ws, err := windows(now, limits)
	if err != nil {
		return 0, fmt.Errorf("storage: take: %w", err)
	}
	release, err := db.enter("take")
	if err != nil {
		return 0, err
	}
	defer release()
	wait, err := db.counters.take(now, ws)
	if err != nil {
		return 0, fmt.Errorf("storage: take: %w", err)
	}
	return wait, nil
}
