package storage

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// TestGroupCommitConcurrent has many callers write at once: every write is
// stored when write returns, each caller sees its own outcome, and the
// group commits took fewer transactions than there were writes.
func TestGroupCommitConcurrent(t *testing.T) {
	db := openTest(t, Options{})
	const callers, each = 64, 100
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for c := range callers {
		wg.Go(func() {
			for i := range each {
				k := fmt.Appendf(nil, "gc/%d/%d", c, i)
				if err := db.group.write(badger.NewEntry(k, k)); err != nil {
					errs <- fmt.Errorf("write %s: %w", k, err)
					return
				}
				// Committed means readable now, by anyone.
				err := db.bdb.View(func(txn *badger.Txn) error {
					item, err := txn.Get(k)
					if err != nil {
						return err
					}
					return item.Value(func(v []byte) error {
						if !bytes.Equal(v, k) {
							return fmt.Errorf("value %q", v)
						}
						return nil
					})
				})
				if err != nil {
					errs <- fmt.Errorf("read %s after write: %w", k, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := 0
	err := db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("gc/")})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil || n != callers*each {
		t.Fatalf("stored %d of %d writes (err %v)", n, callers*each, err)
	}
	db.group.mu.Lock()
	defer db.group.mu.Unlock()
	if db.group.leading || db.group.inflight != 0 || len(db.group.queue) != 0 {
		t.Fatalf("after the last write: leading %v, %d rounds committing, %d queued", db.group.leading, db.group.inflight, len(db.group.queue))
	}
}

// TestGroupCommitSplitsTooBig: a round bigger than one Badger transaction
// is committed in parts, and every write in it lands.
func TestGroupCommitSplitsTooBig(t *testing.T) {
	db := openTest(t, Options{}) // 8 MB memtables: transactions of at most ~1.2 MB
	var round []*groupWrite
	for i := range 16 {
		k := fmt.Appendf(nil, "big/%02d", i)
		round = append(round, &groupWrite{entries: []*badger.Entry{badger.NewEntry(k, make([]byte, 128<<10))}})
	}
	db.group.commit(round)
	if err := db.bdb.Update(func(txn *badger.Txn) error {
		for i := range round {
			if err := txn.SetEntry(badger.NewEntry(fmt.Appendf(nil, "big/%02d", i), make([]byte, 128<<10))); err != nil {
				return err
			}
		}
		return nil
	}); !errors.Is(err, badger.ErrTxnTooBig) {
		t.Fatalf("the round in one transaction: %v, want badger.ErrTxnTooBig (the test needs a bigger round)", err)
	}
	for i, w := range round {
		if w.err != nil {
			t.Fatalf("write %d: %v", i, w.err)
		}
	}
	for i := range 16 {
		if ok, _ := rawGet(t, db, fmt.Appendf(nil, "big/%02d", i)); !ok {
			t.Fatalf("big/%02d missing", i)
		}
	}
}

// TestGroupCommitError: when the transaction fails, every caller in the
// round gets the error (wrapped, naming the group commit) and none hangs.
func TestGroupCommitError(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	g := &groupCommit{bdb: db.bdb}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			err := g.write(badger.NewEntry(fmt.Appendf(nil, "k%d", i), []byte("v")))
			if !errors.Is(err, badger.ErrDBClosed) {
				t.Errorf("write after close: %v, want badger.ErrDBClosed", err)
			}
		})
	}
	wg.Wait()
}

// BenchmarkGroupCommit compares one Badger transaction per write with group
// commits, with as many concurrent writers as the load test has workers.
func BenchmarkGroupCommit(b *testing.B) {
	for _, mode := range []string{"txn-per-write", "group"} {
		b.Run(mode, func(b *testing.B) {
			db := openTest(b, Options{})
			b.SetParallelism(32)
			b.ReportAllocs()
			var n int64
			var mu sync.Mutex
			b.RunParallel(func(pb *testing.PB) {
				mu.Lock()
				base := n
				n += 1 << 32
				mu.Unlock()
				i := base
				for pb.Next() {
					i++
					k := fmt.Appendf(nil, "bench/%016x", i)
					var err error
					if mode == "group" {
						err = db.group.write(badger.NewEntry(k, k))
					} else {
						err = db.bdb.Update(func(txn *badger.Txn) error { return txn.SetEntry(badger.NewEntry(k, k)) })
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// TestGroupCommitPanic: a panic inside the transaction (here a nil
// database) is every caller's error; the lead is given up, so later writes
// are not stuck behind it.
func TestGroupCommitPanic(t *testing.T) {
	g := &groupCommit{}
	for round := range 2 {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				err := g.write(badger.NewEntry(fmt.Appendf(nil, "k%d", i), []byte("v")))
				if err == nil || !strings.Contains(err.Error(), "panicked") {
					t.Errorf("round %d: write = %v, want the panic as an error", round, err)
				}
			})
		}
		wg.Wait()
	}
	if g.leading || len(g.queue) != 0 {
		t.Fatalf("after the panics: leading %v, %d queued", g.leading, len(g.queue))
	}
}
