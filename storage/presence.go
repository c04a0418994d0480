package storage

import (
	"errors"
	"hash/maphash"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// presence remembers, approximately, which keys of one kind may be stored in
// Badger, so that a read sure to miss can be skipped: a rate-limit window
// never used before, such as a new client address's (the counters hold the
// windows in use; presence holds those they dropped), and a new number's
// first code (CreateOTP). Why it earns its place: docs/RATIONALE.md, "Write
// path: what each layer earns".
//
// It is a Bloom filter in two generations, rotated every presencePeriod, so
// a key stays in it for at least presencePeriod after it was added. Every
// key is added with its expiry, and one that would outlive the filter (a
// TTL near or over presencePeriod, or a clock far off) turns the filter off
// for good: absent then answers false. Until the background scan of the
// stored keys at start-up has finished, absent answers false too. A false
// positive only costs the read. Expiries and every now passed in are read
// from one clock, the one the keys' owner judges expiry by (the counters:
// the real clock; CreateOTP: the store's). It is safe for concurrent use.
type presence struct {
	scanned chan struct{}    // closed when scan has returned
	clock   func() time.Time // the owner's clock, read by scan

	mu        sync.Mutex
	seed      maphash.Seed
	cur, prev []uint64
	rotate    time.Time // when cur becomes prev
	ready     bool      // the start-up scan has finished
	broken    bool      // a key may outlive the filter
}

const (
	presenceBits   = 1 << 23 // per generation: 1 MiB, ~7e-5 false positives at 200k keys
	presenceHashes = 4
	// presencePeriod is longer than the longest window in use (an hour)
	// plus the slack, so a window evicted just after it began never turns
	// the filter off.
	presencePeriod = 2 * time.Hour
	// presenceSlack covers Badger's TTLs, which round expiries up to the
	// next second.
	presenceSlack = time.Minute
)

// newPresence returns an empty filter on the owner's clock.
func newPresence(clock func() time.Time) *presence {
	return &presence{scanned: make(chan struct{}), clock: clock, seed: maphash.MakeSeed(),
		cur: make([]uint64, presenceBits/64), prev: make([]uint64, presenceBits/64), rotate: clock().Add(presencePeriod)}
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

// positions are the filter's bits for key.
func (p *presence) positions(key string) [presenceHashes]uint32 {
	h := maphash.String(p.seed, key)
	h1, h2 := uint32(h), uint32(h>>32)|1
	var out [presenceHashes]uint32
	for i := range out {
		out[i] = (h1 + uint32(i)*h2) % presenceBits
	}
	return out
}

// add records that key may be stored until expires (zero: for ever).
func (p *presence) add(key string, expires, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.addLocked(key, expires, now)
}

func (p *presence) addLocked(key string, expires, now time.Time) {
	if expires.IsZero() || expires.Sub(now) > presencePeriod-presenceSlack {
		p.broken = true
	}
	p.turn(now)
	for _, b := range p.positions(key) {
		p.cur[b/64] |= 1 << (b % 64)
	}
}

// absent reports whether key is surely not stored.
func (p *presence) absent(key string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ready || p.broken {
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

// scan adds every key stored under prefix, then trusts the filter. It runs
// once, in the background, from Open, and ends early when stop closes; a
// Badger failure is logged and leaves the filter untrusted.
func (p *presence) scan(db *DB, prefix string, stop <-chan struct{}) {
	defer close(p.scanned)
	const batch = 1024
	type found struct {
		key     string
		expires time.Time
	}
	keys := make([]found, 0, batch)
	publish := func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		now := p.clock()
		for _, k := range keys {
			p.addLocked(k.key, k.expires, now)
		}
		keys = keys[:0]
	}
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
			k := found{key: string(item.Key())}
			if e := item.ExpiresAt(); e != 0 {
				k.expires = time.Unix(int64(e), 0)
			}
			if keys = append(keys, k); len(keys) == batch {
				publish()
			}
		}
		return nil
	})
	if err != nil {
		if !errors.Is(err, errScanStopped) {
			db.log.Warn("start-up key scan failed; misses are read from Badger", "prefix", prefix, "err", err)
		}
		return
	}
	publish()
	p.mu.Lock()
	p.ready = true
	p.mu.Unlock()
}

// errScanStopped ends the start-up scan when the store closes.
var errScanStopped = errors.New("storage closing")
