package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/chelseru/chelseru"
)

// Records written by an import from django-chelseru (chelseru import-django).
// Each imported record has a marker key naming its Django primary key, so
// importing the same dump again finds it and changes nothing:
//
//	import/user/{id}       the user's import time (Unix ns): the user came from Django
//	import/session/{pk}    our session id of Django session pk
//	import/msg/{pk}        our message id of Django SMS log row pk
const (
	pImport        = "import/"
	pImportUser    = pImport + "user/"
	pImportSession = pImport + "session/"
	pImportMessage = pImport + "msg/"
)

// ErrImportConflict is returned (wrapped) when an imported record cannot be
// placed without changing a record that is already there: a user id taken
// by another number, or a number already held by another id.
var ErrImportConflict = errors.New("conflicts with a record already in the data folder")

func importUserKey(id int64) []byte { return appendInt64([]byte(pImportUser), id) }

func importPKKey(prefix string, pk int64) []byte { return appendInt64([]byte(prefix), pk) }

// ImportUser stores u, a user from django-chelseru, under its own id (Django's
// auth.user primary key, the user_id of the tokens simplejwt issued), and
// marks it imported at now. Importing the same user again changes nothing
// (created is false). A different user already holding u.ID or u's
// (group, mobile) is ErrImportConflict: nothing is written.
func (db *DB) ImportUser(ctx context.Context, u chelseru.User, now time.Time) (created bool, err error) {
	if u.ID <= 0 {
		return false, fmt.Errorf("storage: import user: id %d is not positive", u.ID)
	}
	if err := checkMobile(u.Mobile); err != nil {
		return false, fmt.Errorf("storage: import user %d: %w", u.ID, err)
	}
	key, idx := userKey(u.ID), userByMobileKey(u.Group, u.Mobile)
	err = db.update(ctx, "import user", [][]byte{key, idx}, func(txn *badger.Txn) error {
		created = false
		old, err := get(txn, key, decodeUser)
		switch {
		case err == nil:
			if old.Group != u.Group || old.Mobile != u.Mobile {
				return fmt.Errorf("user id %d is %s here, %s in the dump: %w", u.ID, old.Username(), u.Username(), ErrImportConflict)
			}
			return nil // imported before, or the same user signed in here
		case !errors.Is(err, badger.ErrKeyNotFound):
			return err
		}
		if other, err := findUser(txn, u.Group, u.Mobile); err == nil {
			return fmt.Errorf("%s is user %d here, %d in the dump: %w", u.Username(), other.ID, u.ID, ErrImportConflict)
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		if err := putUser(txn, u); err != nil {
			return err
		}
		if err := txn.Set(idx, binary.BigEndian.AppendUint64(nil, uint64(u.ID))); err != nil {
			return err
		}
		created = true
		return txn.Set(importUserKey(u.ID), binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano())))
	})
	if err != nil {
		return false, fmt.Errorf("storage: import user %d: %w", u.ID, err)
	}
	return created, nil
}

// ImportedAt returns when user id was imported from Django, or ErrNotFound
// for a user that was not.
func (db *DB) ImportedAt(ctx context.Context, id int64) (time.Time, error) {
	var at time.Time
	err := db.view(ctx, "imported at", func(txn *badger.Txn) error {
		n, err := get(txn, importUserKey(id), decodeUserID)
		at = time.Unix(0, n)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return time.Time{}, fmt.Errorf("storage: imported at of user %d: %w", id, chelseru.ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("storage: imported at of user %d: %w", id, err)
	}
	return at, nil
}

// ReserveUserIDs makes every user id the server hands out from now on
// greater than maxID, so users created after an import never take an
// imported user's id. It must run while no other process serves the folder
// (Badger allows only one anyway).
func (db *DB) ReserveUserIDs(ctx context.Context, maxID int64) error {
	if maxID <= 0 {
		return nil
	}
	db.seqMu.Lock()
	defer db.seqMu.Unlock()
	if s, ok := db.seqs[seqUser]; ok {
		// Give back the leased range so the stored next value is exact.
		if err := s.Release(); err != nil {
			return fmt.Errorf("storage: reserve user ids: %w", err)
		}
		delete(db.seqs, seqUser)
	}
	key := seqKey(seqUser)
	err := db.update(ctx, "reserve user ids", [][]byte{key}, func(txn *badger.Txn) error {
		next, err := get(txn, key, decodeUserID) // the next unleased value, 8 bytes
		if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		// nextID returns value+1, so a stored maxID gives maxID+1 next.
		if next >= maxID {
			return nil
		}
		return txn.Set(key, binary.BigEndian.AppendUint64(nil, uint64(maxID)))
	})
	if err != nil {
		return fmt.Errorf("storage: reserve user ids: %w", err)
	}
	return nil
}

// ImportSession stores s, Django session pk, under a new id, once: a second
// import of the same pk changes nothing (created is false).
func (db *DB) ImportSession(ctx context.Context, pk int64, s chelseru.Session) (created bool, err error) {
	return db.importOnce(ctx, "import session", importPKKey(pImportSession, pk), seqSession, bwSession, func(txn *badger.Txn, id int64) error {
		s.ID = id
		return putSession(txn, s)
	})
}

// ImportMessage stores m, row pk of Django's SMS log, under a new id, once.
func (db *DB) ImportMessage(ctx context.Context, pk int64, m chelseru.Message) (created bool, err error) {
	return db.importOnce(ctx, "import message", importPKKey(pImportMessage, pk), seqMessage, bwMessage, func(txn *badger.Txn, id int64) error {
		m.ID = id
		return putMessage(txn, m)
	})
}

// importOnce runs put with a new id of seq unless marker exists, and writes
// marker (naming the id) in the same transaction.
func (db *DB) importOnce(ctx context.Context, op string, marker []byte, seq string, bw uint64, put func(*badger.Txn, int64) error) (bool, error) {
	var created bool
	err := db.update(ctx, op, [][]byte{marker}, func(txn *badger.Txn) error {
		created = false
		if _, err := txn.Get(marker); err == nil {
			return nil
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		id, err := db.nextID(seq, bw)
		if err != nil {
			return err
		}
		if err := put(txn, id); err != nil {
			return err
		}
		created = true
		return txn.Set(bytes.Clone(marker), binary.BigEndian.AppendUint64(nil, uint64(id)))
	})
	if err != nil {
		return false, fmt.Errorf("storage: %s: %w", op, err)
	}
	return created, nil
}

// pImportJTI marks imported refresh tokens already exchanged.
const pImportJTI = pImport + "jti/"

// ClaimImportedJTI records that the imported (simplejwt) refresh token jti
// was exchanged for a session, until expires; first is false when it
// already was.
func (db *DB) ClaimImportedJTI(ctx context.Context, jti string, expires time.Time) (first bool, err error) {
	if jti == "" || len(jti) > 64 {
		return false, fmt.Errorf("storage: claim imported jti: length %d not in 1..64", len(jti))
	}
	key := append([]byte(pImportJTI), jti...)
	err = db.update(ctx, "claim imported jti", [][]byte{key}, func(txn *badger.Txn) error {
		first = false
		if _, err := txn.Get(key); err == nil {
			return nil
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		e := badger.NewEntry(bytes.Clone(key), nil)
		e.ExpiresAt = badgerExpiry(expires)
		first = true
		return txn.SetEntry(e)
	})
	if err != nil {
		return false, fmt.Errorf("storage: claim imported jti: %w", err)
	}
	return first, nil
}
