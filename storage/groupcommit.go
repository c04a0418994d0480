package storage

import (
	"errors"
	"fmt"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// maxGroup bounds how many callers' writes one group transaction carries
// (far below Badger's per-transaction limits with the default memtable).
const maxGroup = 128

// maxInflight bounds the rounds committing at once: a round forms while
// the one before is being written, so Badger's write goroutine always has
// the next round ready, and the rounds stay large enough to share.
const maxInflight = 2

// groupCommit writes blind sets (no reads, so no conflicts) of concurrent
// callers in one Badger transaction per round: a group commit. A round
// carries the writes of every caller that arrived while earlier rounds were
// committing, so a transaction's fixed costs are paid once per round, not
// once per caller (docs/RATIONALE.md, "Write path: what each layer earns").
// Durability is unchanged: write returns after the round holding its
// entries has committed, with that round's error.
//
// There is no goroutine of its own. A caller that finds no round forming
// and fewer than maxInflight committing leads: it takes what is queued
// (its own entries first), passes the lead on to the oldest waiter if
// another round may start, commits its round, wakes the callers in it,
// and passes the lead on if nobody holds it. Callers that must not
// interleave with other writers of the same keys hold the stripe locks of
// those keys while they call write, as CreateOTP does.
type groupCommit struct {
	bdb *badger.DB

	mu       sync.Mutex
	queue    []*groupWrite // waiting for a round, oldest first
	leading  bool          // a round is forming (the lead is held)
	inflight int           // rounds committing
}

// groupWrite is one caller's entries and, once done, their outcome.
type groupWrite struct {
	entries []*badger.Entry
	err     error
	// wake receives true when the round holding entries has committed (err
	// is set), or false when the caller is to lead the next round.
	wake chan bool
}

var groupWritePool = sync.Pool{New: func() any { return &groupWrite{wake: make(chan bool, 1)} }}

// write sets entries in one transaction shared with concurrent callers and
// returns once it has committed.
func (g *groupCommit) write(entries ...*badger.Entry) error {
	w := groupWritePool.Get().(*groupWrite)
	w.entries, w.err = entries, nil
	g.mu.Lock()
	g.queue = append(g.queue, w)
	lead := !g.leading && g.inflight < maxInflight
	if lead {
		g.leading = true
	}
	g.mu.Unlock()
	if lead || !<-w.wake {
		g.lead() // w is the oldest caller queued: its round holds it
	}
	err := w.err
	w.entries, w.err = nil, nil
	groupWritePool.Put(w)
	return err
}

// lead takes one round (the queue up to maxGroup callers, the leader
// first), commits it and wakes its callers but the leader. The lead passes
// to the oldest caller still waiting as soon as another round may start.
func (g *groupCommit) lead() {
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	round := make([]*groupWrite, n)
	copy(round, g.queue)
	rest := copy(g.queue, g.queue[n:])
	clear(g.queue[rest:])
	g.queue = g.queue[:rest]
	g.inflight++
	g.leading = false
	next := g.nextLeader()
	g.mu.Unlock()
	if next != nil {
		next.wake <- false
	}

	g.commit(round)
	// The leader is round[0]; it reads its result from its own struct and
	// must not be woken (its wake channel holds at most one value).
	for _, w := range round[1:] {
		w.wake <- true
	}

	g.mu.Lock()
	g.inflight--
	next = g.nextLeader()
	g.mu.Unlock()
	if next != nil {
		next.wake <- false
	}
}

// nextLeader hands the lead to the oldest waiter when nobody holds it and
// another round may start; it returns that waiter, to be woken with false.
// g.mu is held.
func (g *groupCommit) nextLeader() *groupWrite {
	if g.leading || g.inflight >= maxInflight || len(g.queue) == 0 {
		return nil
	}
	g.leading = true
	return g.queue[0]
}

// commit writes the entries of round in one transaction and records the
// outcome in each. A round too big for one transaction is split in halves
// (not expected with maxGroup, but Badger's limits depend on its options).
func (g *groupCommit) commit(round []*groupWrite) {
	err := g.update(round)
	if errors.Is(err, badger.ErrTxnTooBig) && len(round) > 1 {
		g.commit(round[:len(round)/2])
		g.commit(round[len(round)/2:])
		return
	}
	if err != nil {
		err = fmt.Errorf("group commit of %d writes: %w", len(round), err)
	}
	for _, w := range round {
		w.err = err
	}
}

// update sets the entries of round in one transaction. A panic in Badger
// becomes the round's error: the leader must go on to wake its waiters and
// pass the lead, or every later write would wait forever.
func (g *groupCommit) update(round []*groupWrite) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("badger panicked: %v", p)
		}
	}()
	return g.bdb.Update(func(txn *badger.Txn) error {
		for _, w := range round {
			for _, e := range w.entries {
				if err := txn.SetEntry(e); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
