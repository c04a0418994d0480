package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Defaults of the rate-limit counter cache.
const (
	// DefaultCounterFlushInterval is how often changed rate-limit counts are
	// written to Badger.
	DefaultCounterFlushInterval = time.Second
	// DefaultMaxCachedCounters bounds the rate-limit windows held in memory.
	DefaultMaxCachedCounters = 1 << 18
)

// counter is one rate-limit window's count, held in memory.
type counter struct {
	n uint64
	// expires is when the window ends by the real clock (Badger's TTL and
	// the cache's eviction use it).
	expires time.Time
	dirty   bool
}

// counters is the in-memory authority for rate-limit windows. Take checks and
// counts here under one short mutex instead of a Badger transaction per call,
// which would serialise every request of one busy client address (a
// carrier's NAT) on its key's lock across a commit (docs/RATIONALE.md, "Write
// path: what each layer earns"). A flusher writes changed windows to Badger
// every flush interval and on Close, with a TTL at the window's end, so
// counts survive a restart; a crash loses at most one interval's counts.
// Windows are loaded from Badger on first use, and clean or ended ones are
// dropped when the cache is full.
type counters struct {
	db  *DB
	max int

	mu     sync.Mutex
	m      map[string]*counter
	stored *presence // windows that may be in Badger but not in m (by the real clock)

	// flushMu serialises flushes (the timer's, Close's, Backup's and a full
	// cache's), so an entry is never dropped while its write is in flight.
	flushMu sync.Mutex
	stop    chan struct{}
	done    chan struct{}
}

func newCounters(db *DB, maxEntries int) *counters {
	return &counters{db: db, max: maxEntries, m: make(map[string]*counter), stored: newPresence(time.Now),
		stop: make(chan struct{}), done: make(chan struct{})}
}

// run flushes every interval until close.
func (c *counters) run(interval time.Duration) {
	defer close(c.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			if err := c.flush(false); err != nil && !errors.Is(err, ErrFull) {
				c.db.log.Warn("rate-limit counters: flush failed (will retry)", "err", err)
			}
		}
	}
}

// close stops the flusher and writes what is left.
func (c *counters) close() error {
	close(c.stop)
	<-c.done
	<-c.stored.scanned
	return c.flush(false)
}

// load reads the stored count of each window that is neither cached nor
// loaded yet, and may be in Badger, into found (made when nil), and marks
// every window it looked at as loaded.
func (c *counters) load(ws []window, found map[string]uint64) (map[string]uint64, error) {
	var missing []*window
	c.mu.Lock()
	now := time.Now()
	for i := range ws {
		w := &ws[i]
		if w.loaded {
			continue
		}
		if _, ok := c.m[string(w.key)]; ok {
			continue
		}
		w.loaded = true
		if !c.stored.absent(string(w.key), now) {
			missing = append(missing, w)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return found, nil
	}
	if found == nil {
		found = make(map[string]uint64, len(missing))
	}
	err := c.db.bdb.View(func(txn *badger.Txn) error {
		for _, w := range missing {
			n, err := get(txn, w.key, decodeCounter)
			switch {
			case errors.Is(err, badger.ErrKeyNotFound):
			case err != nil:
				return err
			default:
				found[string(w.key)] = n
			}
		}
		return nil
	})
	return found, err
}

// take checks every window and, when none is exhausted, counts the units in
// all of them; it returns the wait until the latest exhausted window ends.
func (c *counters) take(now time.Time, ws []window) (time.Duration, error) {
	var stored map[string]uint64
	flushed := false
	for {
		var err error
		if stored, err = c.load(ws, stored); err != nil {
			return 0, err
		}
		c.mu.Lock()
		if len(c.m) >= c.max && !flushed {
			c.mu.Unlock()
			if err := c.flush(true); err != nil {
				return 0, err
			}
			flushed = true
			continue
		}
		if c.attach(now, ws, stored) {
			break
		}
		// A window cached when load looked was evicted since (a full
		// cache's flush, another caller's): read its stored count.
		c.mu.Unlock()
	}
	defer c.mu.Unlock()
	var wait time.Duration
	for i := range ws {
		w := &ws[i]
		if w.c.n+w.need > w.max {
			wait = max(wait, w.end.Sub(now))
		}
	}
	if wait > 0 {
		return wait, nil
	}
	for i := range ws {
		ws[i].c.n += ws[i].need
		ws[i].c.dirty = true
	}
	return 0, nil
}

// attach points each window at its cached counter, caching the loaded count
// of a window not cached yet. It reports false, having cached nothing more
// than correct counts, when a window is neither cached nor loaded. c.mu is
// held.
func (c *counters) attach(now time.Time, ws []window, stored map[string]uint64) bool {
	real := time.Now()
	for i := range ws {
		w := &ws[i]
		e, ok := c.m[string(w.key)]
		if !ok {
			if !w.loaded {
				return false
			}
			// The rest of the window by the real clock: a caller whose clock
			// differs never has a live window's count dropped early.
			e = &counter{n: stored[string(w.key)], expires: real.Add(w.end.Sub(now))}
			c.m[string(w.key)] = e
		}
		w.c = e
	}
	return true
}

// flush writes every changed window to Badger and drops ended windows; with
// evict it also drops clean windows (they reload from Badger when used).
func (c *counters) flush(evict bool) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	now := time.Now()
	var items []counterWrite
	c.mu.Lock()
	for k, e := range c.m {
		switch {
		case !now.Before(e.expires):
			delete(c.m, k) // the window has ended: nothing to keep
			c.stored.add(k, e.expires, now)
		case e.dirty:
			items = append(items, counterWrite{k, e.n, e.expires})
			e.dirty = false
		case evict:
			delete(c.m, k)
			c.stored.add(k, e.expires, now)
		}
	}
	c.mu.Unlock()
	if len(items) == 0 {
		return nil
	}
	if err := c.db.guard.check(); err != nil {
		c.redirty(items) // kept in memory until there is room
		return fmt.Errorf("write rate-limit counters: %w", err)
	}
	wb := c.db.bdb.NewWriteBatch()
	defer wb.Cancel()
	for _, it := range items {
		e := badger.NewEntry([]byte(it.key), encodeCounter(it.n))
		e.ExpiresAt = badgerExpiry(it.expires)
		if err := wb.SetEntry(e); err != nil {
			c.redirty(items)
			return fmt.Errorf("write rate-limit counters: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		c.redirty(items)
		return fmt.Errorf("write rate-limit counters: %w", c.db.guard.mapErr(err))
	}
	return nil
}

// counterWrite is one window's count on its way to Badger.
type counterWrite struct {
	key     string
	n       uint64
	expires time.Time
}

// redirty marks the windows of a failed write as changed again, so the next
// flush retries them (their counts in memory can only have grown).
func (c *counters) redirty(items []counterWrite) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, it := range items {
		if e, ok := c.m[it.key]; ok {
			e.dirty = true
		}
	}
}

// Flush writes the rate-limit counts held in memory to Badger now.
func (db *DB) Flush(ctx context.Context) error {
	release, err := db.enter("flush")
	if err != nil {
		return err
	}
	defer release()
	if err := db.counters.flush(false); err != nil {
		return fmt.Errorf("storage: flush: %w", err)
	}
	return nil
}
