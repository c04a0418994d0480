package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/chelseru/chelseru"
)

// checkLockout validates a Lockout policy.
func checkLockout(l chelseru.Lockout) error {
	switch {
	case l.Key == "" || len(l.Key) > maxLimitKeyLen:
		return fmt.Errorf("lockout key must be 1 to %d bytes, got %d", maxLimitKeyLen, len(l.Key))
	case l.Lock < time.Millisecond || l.Idle < time.Millisecond:
		return fmt.Errorf("lockout %q: lock and idle must be at least 1ms, got %v and %v", l.Key, l.Lock, l.Idle)
	}
	return nil
}

// getLiveAttempts returns the record at key unless it is missing or expired
// at now (by the caller's clock: Badger's TTL uses the real clock and is
// second-grained). A record whose lock has ended is expired: its expiry is
// the end of the lock.
func getLiveAttempts(txn *badger.Txn, key []byte, now time.Time) (attempts, bool, error) {
	a, err := get(txn, key, decodeAttempts)
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		return attempts{}, false, nil
	case err != nil:
		return attempts{}, false, err
	case !now.Before(a.expiresAt):
		return attempts{}, false, nil
	}
	return a, true, nil
}

// setAttempts writes a with a Badger TTL at a.expiresAt, translated from the
// caller's clock (now) to the real one, so a caller's clock that differs from
// it never drops a live record early.
func setAttempts(txn *badger.Txn, key []byte, a attempts, now time.Time) error {
	e := badger.NewEntry(key, encodeAttempts(a))
	e.ExpiresAt = badgerExpiry(time.Now().Add(a.expiresAt.Sub(now)))
	return txn.SetEntry(e)
}

// lock returns the record of a key locked from now for l.Lock: the count is
// dropped, and the record expires when the lock ends.
func lock(l chelseru.Lockout, now time.Time) attempts {
	until := now.Add(l.Lock)
	return attempts{lockedUntil: until, expiresAt: until}
}

// BeginAttempt implements chelseru.AttemptStore. The record lives under
// attempts/{key}. Concurrent attempts on one key are serialised, so at most
// l.Max of them are ever counted between two resets or locks.
func (db *DB) BeginAttempt(ctx context.Context, l chelseru.Lockout, now time.Time) (int, time.Time, error) {
	if err := checkLockout(l); err != nil {
		return 0, time.Time{}, fmt.Errorf("storage: begin attempt: %w", err)
	}
	key := attemptsKey(l.Key)
	var (
		n           int
		lockedUntil time.Time
	)
	err := db.update(ctx, "begin attempt", [][]byte{key}, func(txn *badger.Txn) error {
		n, lockedUntil = 0, time.Time{}
		a, live, err := getLiveAttempts(txn, key, now)
		switch {
		case err != nil:
			return err
		case live && now.Before(a.lockedUntil):
			lockedUntil = a.lockedUntil
			return nil
		case !live:
			a = attempts{}
		}
		if a.count >= uint64(max(l.Max, 0)) {
			a = lock(l, now)
			lockedUntil = a.lockedUntil
			return setAttempts(txn, key, a, now)
		}
		a.count++
		a.expiresAt = now.Add(l.Idle)
		n = int(a.count)
		return setAttempts(txn, key, a, now)
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("storage: begin attempt: %w", err)
	}
	return n, lockedUntil, nil
}

// FailAttempt implements chelseru.AttemptStore. It writes only when it
// locks the key.
func (db *DB) FailAttempt(ctx context.Context, l chelseru.Lockout, now time.Time) (time.Time, error) {
	if err := checkLockout(l); err != nil {
		return time.Time{}, fmt.Errorf("storage: fail attempt: %w", err)
	}
	key := attemptsKey(l.Key)
	var lockedUntil time.Time
	err := db.update(ctx, "fail attempt", [][]byte{key}, func(txn *badger.Txn) error {
		lockedUntil = time.Time{}
		a, live, err := getLiveAttempts(txn, key, now)
		switch {
		case err != nil:
			return err
		case !live:
			// Reset by a right password, or forgotten, since it began.
			return nil
		case now.Before(a.lockedUntil):
			lockedUntil = a.lockedUntil
			return nil
		case a.count < uint64(max(l.Max, 0)):
			return nil
		}
		a = lock(l, now)
		lockedUntil = a.lockedUntil
		return setAttempts(txn, key, a, now)
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("storage: fail attempt: %w", err)
	}
	return lockedUntil, nil
}

// ResetAttempts implements chelseru.AttemptStore. It writes only when there
// is something to forget.
func (db *DB) ResetAttempts(ctx context.Context, key string) error {
	if key == "" || len(key) > maxLimitKeyLen {
		return fmt.Errorf("storage: reset attempts: key must be 1 to %d bytes, got %d", maxLimitKeyLen, len(key))
	}
	k := attemptsKey(key)
	// Most resets find nothing (a login or a send that followed no wrong
	// try): a read-only look first spares them a read-write transaction.
	// A count begun concurrently may survive; it is one that began after
	// the reset was asked for.
	release, err := db.enter("reset attempts")
	if err != nil {
		return err
	}
	err = db.bdb.View(func(txn *badger.Txn) error {
		_, err := txn.Get(k)
		return err
	})
	release()
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil
	}
	err = db.update(ctx, "reset attempts", [][]byte{k}, func(txn *badger.Txn) error {
		_, err := txn.Get(k)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return txn.Delete(k)
	})
	if err != nil {
		return fmt.Errorf("storage: reset attempts: %w", err)
	}
	return nil
}
