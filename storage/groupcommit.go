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

// groupCommit writes blind sets (no reads, so no conflicts) of concurrent
// callers in one Badger transaction per round: a group commit. Every
// transaction costs Badger a read timestamp, a commit timestamp, two
// watermark updates and a hand-off to its write goroutine; a round pays
// them once for every caller that arrived while the previous round was
// being handed over. Durability is unchanged: write returns after the round
// holding its entries has committed, with that round's error.
//
// There is no goroutine of its own. The first caller to find no round
// being formed leads: it hands what is queued (its own entries first) to
// Badger without waiting for the commit, passes the lead to the oldest
// waiter, if any, then waits for its own round like everyone in it. Rounds
// therefore overlap in Badger's write pipeline, which writes them in the
// order they were handed over. Callers that must not interleave with other
// writers of the same keys hold the stripe locks of those keys while they
// call write, as CreateOTP does.
type groupCommit struct {
	bdb *badger.DB

	mu      sync.Mutex
	queue   []*groupWrite // waiting for a round, oldest first
	leading bool          // a round is being formed
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
	lead := !g.leading
	g.leading = true
	g.mu.Unlock()
	for !lead {
		if done := <-w.wake; done {
			break
		}
		lead = true // handed the lead: w is now the oldest waiter
	}
	if lead {
		g.lead()
		<-w.wake // the round holding w has committed
	}
	err := w.err
	w.entries, w.err = nil, nil
	groupWritePool.Put(w)
	return err
}

// lead hands one round to Badger: the queue up to maxGroup callers, the
// leader first. It then passes the lead to the oldest caller still waiting,
// or gives it up when none is. Every caller of the round, the leader
// included, is woken with true once the round has committed.
func (g *groupCommit) lead() {
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	round := make([]*groupWrite, n)
	copy(round, g.queue)
	rest := copy(g.queue, g.queue[n:])
	clear(g.queue[rest:])
	g.queue = g.queue[:rest]
	g.mu.Unlock()

	g.commit(round)

	g.mu.Lock()
	if len(g.queue) == 0 {
		g.leading = false
		g.mu.Unlock()
		return
	}
	next := g.queue[0]
	g.mu.Unlock()
	next.wake <- false
}

// commit hands the entries of round to Badger in one transaction; each
// caller's outcome is recorded and the caller woken when it has committed.
// A round too big for one transaction is split in halves (not expected with
// maxGroup, but Badger's limits depend on its options).
func (g *groupCommit) commit(round []*groupWrite) {
	err := g.send(round)
	if errors.Is(err, badger.ErrTxnTooBig) && len(round) > 1 {
		g.commit(round[:len(round)/2])
		g.commit(round[len(round)/2:])
		return
	}
	if err != nil {
		done(round, err)
	}
}

// done records the outcome of round and wakes its callers.
func done(round []*groupWrite, err error) {
	if err != nil {
		err = fmt.Errorf("group commit of %d writes: %w", len(round), err)
	}
	for _, w := range round {
		w.err = err
		w.wake <- true
	}
}

// send sets the entries of round in one transaction and hands it to
// Badger's write pipeline; the callers are woken when it has committed.
// An error before the hand-over (nothing was written) is returned instead.
// A panic in Badger becomes the round's error: the leader must go on to
// pass the lead, or every later write would wait forever.
func (g *groupCommit) send(round []*groupWrite) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("badger panicked: %v", p)
		}
	}()
	if g.bdb.IsClosed() {
		return badger.ErrDBClosed
	}
	txn := g.bdb.NewTransaction(true)
	for _, w := range round {
		for _, e := range w.entries {
			if err := txn.SetEntry(e); err != nil {
				txn.Discard()
				return err
			}
		}
	}
	txn.CommitWith(func(err error) { done(round, err) })
	return nil
}
