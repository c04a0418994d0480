package storage

import (
	"errors"
	"hash/maphash"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// presence remembers, approximately, which rate-limit windows may be stored
// in Badger while they are not in the counters cache: the windows the cache
// dropped (evicted, or ended) and those found in Badger at start-up. A
// window it has never seen cannot be in Badger, so the first Take of a new
// window (every new number's first code) skips a Badger read that would
// find nothing: a read that missed in every memtable and level was ~5% of
// the server's CPU per POST /api/otp/send/.
//
// It is a Bloom filter in two generations: a key added stays for at least
// presencePeriod, longer than any window it answers for, and so longer than
// the key's Badger TTL. Windows longer than presencePeriod, and every window
// until the start-up scan has finished, are always read. A false positive
// only costs the read. It is guarded by the counters' mutex.
type presence struct {
	seed      maphash.Seed
	cur, prev []uint64
	rotate    time.Time // when cur becomes prev
	ready     bool      // the start-up scan has finished
	// broken is set when a key outlives what the filter can vouch for (it
	// expires more than presencePeriod after it was added: a long TTL or a
	// clock far off); from then on absent answers false.
	broken bool
}

const (
	presenceBits   = 1 << 23 // per generation: 1 MiB, ~5e-6 false positives at 100k keys
	presenceHashes = 4
	presencePeriod = time.Hour
)

func newPresence(now time.Time) *presence {
	return &presence{seed: maphash.MakeSeed(), cur: make([]uint64, presenceBits/64),
		prev: make([]uint64, presenceBits/64), rotate: now.Add(presencePeriod)}
}

// turn rotates the generations when due.
func (p *presence) turn(now time.Time) {
	if now.Before(p.rotate) {
		return
	}
	p.prev, p.cur = p.cur, p.prev
	clear(p.cur)
	p.rotate = now.Add(presencePeriod)
}

// bits yields the filter positions of key.
func (p *presence) positions(key string) [presenceHashes]uint32 {
	h := maphash.String(p.seed, key)
	h1, h2 := uint32(h), uint32(h>>32)|1
	var out [presenceHashes]uint32
	for i := range out {
		out[i] = (h1 + uint32(i)*h2) % presenceBits
	}
	return out
}

// addUntil records that key may be in Badger until expires.
func (p *presence) addUntil(key string, expires, now time.Time) {
	if expires.IsZero() || expires.Sub(now) > presencePeriod {
		p.broken = true
	}
	p.add(key, now)
}

// add records that key may be in Badger, for at most presencePeriod.
func (p *presence) add(key string, now time.Time) {
	p.turn(now)
	for _, b := range p.positions(key) {
		p.cur[b/64] |= 1 << (b % 64)
	}
}

// absent reports whether the window key, of length span, is surely not in
// Badger.
func (p *presence) absent(key string, span time.Duration, now time.Time) bool {
	if !p.ready || p.broken || span > presencePeriod {
		return false
	}
	p.turn(now)
	inCur, inPrev := true, true
	for _, b := range p.positions(key) {
		bit := uint64(1) << (b % 64)
		inCur = inCur && p.cur[b/64]&bit != 0
		inPrev = inPrev && p.prev[b/64]&bit != 0
	}
	return !inCur && !inPrev
}

// scanPresence adds every stored window to the filter and then trusts it.
// It runs once, in the background, from Open; until it ends every miss is
// read from Badger.
func (c *counters) scanPresence() {
	defer close(c.scanned)
	ok := scanKeys(c.db, pRateLimit, c.stop, func(keys []scannedKey) {
		c.mu.Lock()
		defer c.mu.Unlock()
		now := time.Now()
		for _, k := range keys {
			// A window's span is in its key and absent checks it, so a
			// long window never makes the filter answer for it.
			c.present.add(k.key, now)
		}
	})
	if ok {
		c.mu.Lock()
		c.present.ready = true
		c.mu.Unlock()
	}
}

// scannedKey is a key found by scanKeys, with its Badger expiry (zero for
// none).
type scannedKey struct {
	key     string
	expires time.Time
}

// scanKeys hands every key under prefix to publish, in batches, and reports
// whether it saw them all (false when stop closed or Badger failed, which it
// logs).
func scanKeys(db *DB, prefix string, stop <-chan struct{}, publish func([]scannedKey)) bool {
	const batch = 1024
	keys := make([]scannedKey, 0, batch)
	err := db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)}) // keys only
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			select {
			case <-stop:
				return errScanStopped
			default:
			}
			item := it.Item()
			k := scannedKey{key: string(item.Key())}
			if e := item.ExpiresAt(); e != 0 {
				k.expires = time.Unix(int64(e), 0)
			}
			keys = append(keys, k)
			if len(keys) == batch {
				publish(keys)
				keys = keys[:0]
			}
		}
		return nil
	})
	if err != nil {
		if err != errScanStopped {
			db.log.Warn("start-up key scan failed; misses are read from Badger", "prefix", prefix, "err", err)
		}
		return false
	}
	publish(keys)
	return true
}

// seenKeys is a presence filter with its own lock, for the OTP records:
// CreateOTP skips its read for a number that has had no code lately.
type seenKeys struct {
	mu      sync.Mutex
	p       *presence
	scanned chan struct{} // closed when scan has returned
}

func newSeenKeys() *seenKeys {
	return &seenKeys{p: newPresence(time.Now()), scanned: make(chan struct{})}
}

// absent reports whether key is surely not stored.
func (s *seenKeys) absent(key []byte, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.absent(string(key), 0, now)
}

// add records that key may be stored until expires.
func (s *seenKeys) add(key []byte, expires, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.p.addUntil(string(key), expires, now)
}

// scan adds every key under prefix, then trusts the filter.
func (s *seenKeys) scan(db *DB, prefix string, stop <-chan struct{}) {
	defer close(s.scanned)
	ok := scanKeys(db, prefix, stop, func(keys []scannedKey) {
		s.mu.Lock()
		defer s.mu.Unlock()
		now := time.Now()
		for _, k := range keys {
			s.p.addUntil(k.key, k.expires, now)
		}
	})
	if ok {
		s.mu.Lock()
		s.p.ready = true
		s.mu.Unlock()
	}
}

// errScanStopped ends the start-up scan when the store closes.
var errScanStopped = errors.New("storage closing")
