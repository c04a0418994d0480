package storage

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// clock is a settable clock for the store's own expiry checks.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// openTest opens a store in a fresh temp dir, closed at the end of the test.
func openTest(t testing.TB, opts Options) *DB {
	t.Helper()
	return openAt(t, t.TempDir(), opts)
}

func openAt(t testing.TB, dir string, opts Options) *DB {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	db, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// rawGet reads a key straight from Badger: whether it exists (not deleted,
// not expired by Badger) and its Badger ExpiresAt.
func rawGet(t *testing.T, db *DB, key []byte) (exists bool, expiresAt uint64) {
	t.Helper()
	err := db.bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		exists, expiresAt = true, item.ExpiresAt()
		return nil
	})
	if err != nil {
		t.Fatalf("raw get %q: %v", key, err)
	}
	return exists, expiresAt
}

var ctx = context.Background()

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if target == nil {
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}
