package storage

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/chelseru/chelseru"
)

// putSession writes the session and its user-sessions index entry, both
// expiring at s.ExpiresAt (the zero time: never).
func putSession(txn *badger.Txn, s chelseru.Session) error {
	v, err := encodeSession(s)
	if err != nil {
		return err
	}
	exp := badgerExpiry(s.ExpiresAt)
	e := badger.NewEntry(sessionKey(s.ID), v)
	e.ExpiresAt = exp
	if err := txn.SetEntry(e); err != nil {
		return err
	}
	ie := badger.NewEntry(userSessionKey(s.UserID, s.ID), nil)
	ie.ExpiresAt = exp
	return txn.SetEntry(ie)
}

// live reports whether s has not expired at now.
func live(s chelseru.Session, now time.Time) bool {
	return s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt)
}

// getLiveSession returns the session with id, or badger.ErrKeyNotFound when
// it is missing or expired by the store's clock.
func (db *DB) getLiveSession(txn *badger.Txn, id int64) (chelseru.Session, error) {
	s, err := get(txn, sessionKey(id), decodeSession)
	if err != nil {
		return chelseru.Session{}, err
	}
	if !live(s, db.opts.Now()) {
		return chelseru.Session{}, badger.ErrKeyNotFound
	}
	return s, nil
}

// CreateSession implements chelseru.SessionStore. A zero ExpiresAt means
// the session never expires.
func (db *DB) CreateSession(ctx context.Context, s chelseru.Session) (chelseru.Session, error) {
	if err := ctx.Err(); err != nil {
		return chelseru.Session{}, fmt.Errorf("storage: create session: %w", err)
	}
	release, err := db.enter("create session")
	if err != nil {
		return chelseru.Session{}, err
	}
	id, err := db.nextID(seqSession, bwSession)
	release()
	if err != nil {
		return chelseru.Session{}, fmt.Errorf("storage: create session: %w", err)
	}
	s.ID = id
	// The keys are new, so nothing else can write them: no lock needed.
	err = db.update(ctx, "create session", nil, func(txn *badger.Txn) error {
		return putSession(txn, s)
	})
	if err != nil {
		return chelseru.Session{}, fmt.Errorf("storage: create session: %w", err)
	}
	return s, nil
}

// GetSession implements chelseru.SessionStore.
func (db *DB) GetSession(ctx context.Context, id int64) (chelseru.Session, error) {
	var s chelseru.Session
	err := db.view(ctx, "get session", func(txn *badger.Txn) error {
		var err error
		s, err = db.getLiveSession(txn, id)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return chelseru.Session{}, fmt.Errorf("storage: get session %d: %w", id, chelseru.ErrNotFound)
	}
	if err != nil {
		return chelseru.Session{}, fmt.Errorf("storage: get session %d: %w", id, err)
	}
	return s, nil
}

// ListSessions implements chelseru.SessionStore. It walks only the user's
// user-sessions/{userID}/ index, newest id first, and returns at most
// Options.MaxListSessions sessions, sorted by CreatedAt (then id), newest
// first.
func (db *DB) ListSessions(ctx context.Context, userID int64) ([]chelseru.Session, error) {
	var out []chelseru.Session
	err := db.view(ctx, "list sessions", func(txn *badger.Txn) error {
		out = out[:0]
		now := db.opts.Now()
		prefix := userSessionsPrefix(userID)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, Reverse: true})
		defer it.Close()
		seek := append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
		for it.Seek(seek); it.Valid() && len(out) < db.opts.MaxListSessions; it.Next() {
			id, ok := sessionIDFromIndex(it.Item().Key())
			if !ok {
				continue
			}
			s, err := get(txn, sessionKey(id), decodeSession)
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if s.UserID != userID || !live(s, now) {
				continue
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: list sessions of user %d: %w", userID, err)
	}
	slices.SortStableFunc(out, func(a, b chelseru.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out, nil
}

// DeleteSession implements chelseru.SessionStore. It removes the session and
// its index entry.
func (db *DB) DeleteSession(ctx context.Context, userID, id int64) error {
	key := sessionKey(id)
	err := db.update(ctx, "delete session", [][]byte{key}, func(txn *badger.Txn) error {
		s, err := db.getLiveSession(txn, id)
		if err != nil {
			return err
		}
		if s.UserID != userID {
			return badger.ErrKeyNotFound
		}
		if err := txn.Delete(key); err != nil {
			return err
		}
		return txn.Delete(userSessionKey(s.UserID, id))
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("storage: delete session %d of user %d: %w", id, userID, chelseru.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("storage: delete session %d of user %d: %w", id, userID, err)
	}
	return nil
}

// TouchSession implements chelseru.SessionStore. LastSeen never moves
// backwards, so racing requests cannot undo a newer touch.
func (db *DB) TouchSession(ctx context.Context, id int64, at time.Time) error {
	key := sessionKey(id)
	err := db.update(ctx, "touch session", [][]byte{key}, func(txn *badger.Txn) error {
		s, err := db.getLiveSession(txn, id)
		if err != nil {
			return err
		}
		if !at.After(s.LastSeen) {
			return nil
		}
		s.LastSeen = at
		return putSession(txn, s)
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("storage: touch session %d: %w", id, chelseru.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("storage: touch session %d: %w", id, err)
	}
	return nil
}

// errStaleJTI marks a lost compare-and-swap inside the transaction.
var errStaleJTI = errors.New("refresh jti differs")

// RotateRefresh implements chelseru.SessionStore. The session's and the
// index entry's TTLs move to expiresAt.
func (db *DB) RotateRefresh(ctx context.Context, id int64, oldJTI, newJTI string, expiresAt time.Time) error {
	key := sessionKey(id)
	err := db.update(ctx, "rotate refresh", [][]byte{key}, func(txn *badger.Txn) error {
		s, err := db.getLiveSession(txn, id)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(s.RefreshJTI), []byte(oldJTI)) != 1 {
			return errStaleJTI
		}
		s.RefreshJTI = newJTI
		s.ExpiresAt = expiresAt
		return putSession(txn, s)
	})
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		return fmt.Errorf("storage: rotate refresh of session %d: %w", id, chelseru.ErrNotFound)
	case errors.Is(err, errStaleJTI):
		return fmt.Errorf("storage: rotate refresh of session %d: %w", id, chelseru.ErrStale)
	case err != nil:
		return fmt.Errorf("storage: rotate refresh of session %d: %w", id, err)
	}
	return nil
}
