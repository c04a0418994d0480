package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/chelseru/chelseru"
)

func decodeUserID(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("decode user id: %w", errCorrupt)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

func putUser(txn *badger.Txn, u chelseru.User) error {
	v, err := encodeUser(u)
	if err != nil {
		return err
	}
	return txn.Set(userKey(u.ID), v)
}

// findUser looks up (group, mobile) through the user-by-mobile index.
func findUser(txn *badger.Txn, group int64, mobile string) (chelseru.User, error) {
	id, err := get(txn, userByMobileKey(group, mobile), decodeUserID)
	if err != nil {
		return chelseru.User{}, err
	}
	u, err := get(txn, userKey(id), decodeUser)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return chelseru.User{}, fmt.Errorf("index names missing user %d: %w", id, errCorrupt)
	}
	return u, err
}

// GetOrCreateUser implements chelseru.UserStore. Concurrent first logins of
// one (group, mobile) create one user: they are serialised on the index key.
func (db *DB) GetOrCreateUser(ctx context.Context, group int64, mobile string, now time.Time) (chelseru.User, bool, error) {
	if err := checkMobile(mobile); err != nil {
		return chelseru.User{}, false, fmt.Errorf("storage: get or create user: %w", err)
	}
	idx := userByMobileKey(group, mobile)
	var (
		u       chelseru.User
		created bool
	)
	err := db.update(ctx, "get or create user", [][]byte{idx}, func(txn *badger.Txn) error {
		found, err := findUser(txn, group, mobile)
		if err == nil {
			u, created = found, false
			return nil
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		// An id taken by a transaction that then fails is skipped, never reused.
		id, err := db.nextID(seqUser, bwUser)
		if err != nil {
			return err
		}
		u = chelseru.User{ID: id, Group: group, Mobile: mobile, CreatedAt: now}
		created = true
		if err := putUser(txn, u); err != nil {
			return err
		}
		if err := putUserIndexes(txn, u); err != nil {
			return err
		}
		return txn.Set(idx, binary.BigEndian.AppendUint64(nil, uint64(id)))
	})
	if err != nil {
		return chelseru.User{}, false, fmt.Errorf("storage: get or create user: %w", err)
	}
	return u, created, nil
}

// GetUser implements chelseru.UserStore.
func (db *DB) GetUser(ctx context.Context, id int64) (chelseru.User, error) {
	var u chelseru.User
	err := db.view(ctx, "get user", func(txn *badger.Txn) error {
		var err error
		u, err = get(txn, userKey(id), decodeUser)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return chelseru.User{}, fmt.Errorf("storage: get user %d: %w", id, chelseru.ErrNotFound)
	}
	if err != nil {
		return chelseru.User{}, fmt.Errorf("storage: get user %d: %w", id, err)
	}
	return u, nil
}

// FindUser implements chelseru.UserStore.
func (db *DB) FindUser(ctx context.Context, group int64, mobile string) (chelseru.User, error) {
	if err := checkMobile(mobile); err != nil {
		return chelseru.User{}, fmt.Errorf("storage: find user: %w", err)
	}
	var u chelseru.User
	err := db.view(ctx, "find user", func(txn *badger.Txn) error {
		var err error
		u, err = findUser(txn, group, mobile)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return chelseru.User{}, fmt.Errorf("storage: find user: %w", chelseru.ErrNotFound)
	}
	if err != nil {
		return chelseru.User{}, fmt.Errorf("storage: find user: %w", err)
	}
	return u, nil
}

// SetPassword implements chelseru.UserStore.
func (db *DB) SetPassword(ctx context.Context, id int64, hash string) error {
	key := userKey(id)
	err := db.update(ctx, "set password", [][]byte{key}, func(txn *badger.Txn) error {
		u, err := get(txn, key, decodeUser)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		return putUser(txn, u)
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("storage: set password for user %d: %w", id, chelseru.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("storage: set password for user %d: %w", id, err)
	}
	return nil
}
