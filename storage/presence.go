package storage

import (
	"errors"
	"hash/maphash"
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

// add records that key may be in Badger.
func (p *presence) add(key string, now time.Time) {
	p.turn(now)
	for _, b := range p.positions(key) {
		p.cur[b/64] |= 1 << (b % 64)
	}
}

// absent reports whether the window key, of length span, is surely not in
// Badger.
func (p *presence) absent(key string, span time.Duration, now time.Time) bool {
	if !p.ready || span > presencePeriod {
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
	const batch = 1024
	keys := make([]string, 0, batch)
	publish := func() {
		c.mu.Lock()
		now := time.Now()
		for _, k := range keys {
			c.present.add(k, now)
		}
		c.mu.Unlock()
		keys = keys[:0]
	}
	err := c.db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pRateLimit)}) // keys only
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			select {
			case <-c.stop:
				return errScanStopped
			default:
			}
			keys = append(keys, string(it.Item().Key()))
			if len(keys) == batch {
				publish()
			}
		}
		return nil
	})
	if err != nil {
		if err != errScanStopped {
			c.db.log.Warn("rate-limit counters: start-up scan failed; every new window is read from Badger", "err", err)
		}
		return
	}
	publish()
	c.mu.Lock()
	c.present.ready = true
	c.mu.Unlock()
}

// errScanStopped ends the start-up scan when the store closes.
var errScanStopped = errors.New("storage closing")
