package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/dgraph-io/badger/v4"

	"github.com/chelseru/chelseru"
)

// The admin API's keys (see doc.go):
//
//	mobile-users/{mobile}/{group be64}   user id (be64)   every user of a number, in any group
//	user-disabled/{mobile}/{group be64}  empty            the number's disabled users (MobileDisabled)
//	msg-by-mobile/{mobile}/{id be64}     empty            the SMS log of one receiver
//	meta/admin-index-v1                  empty            the three indexes above cover every record
const (
	pMobileUsers   = "mobile-users/"
	pUserDisabled  = "user-disabled/"
	pMsgByMobile   = "msg-by-mobile/"
	keyAdminIndex  = "meta/admin-index-v1"
	maxMessageScan = 10_000 // records examined by one ListMessages at most
	maxGroups      = 1000   // users of one number FindUsers returns at most
)

func mobileUsersPrefix(mobile string) []byte {
	return append(append([]byte(pMobileUsers), mobile...), '/')
}

func mobileUsersKey(mobile string, group int64) []byte {
	return appendInt64(mobileUsersPrefix(mobile), group)
}

func userDisabledPrefix(mobile string) []byte {
	return append(append([]byte(pUserDisabled), mobile...), '/')
}

func userDisabledKey(mobile string, group int64) []byte {
	return appendInt64(userDisabledPrefix(mobile), group)
}

func messageByMobilePrefix(mobile string) []byte {
	return append(append([]byte(pMsgByMobile), mobile...), '/')
}

func messageByMobileKey(mobile string, id int64) []byte {
	return appendInt64(messageByMobilePrefix(mobile), id)
}

// putUserIndexes writes the user's entries in the admin indexes.
func putUserIndexes(txn *badger.Txn, u chelseru.User) error {
	if err := txn.Set(mobileUsersKey(u.Mobile, u.Group), binary.BigEndian.AppendUint64(nil, uint64(u.ID))); err != nil {
		return err
	}
	if u.Disabled {
		return txn.Set(userDisabledKey(u.Mobile, u.Group), nil)
	}
	return txn.Delete(userDisabledKey(u.Mobile, u.Group))
}

// FindUsers implements chelseru.AdminStore.
func (db *DB) FindUsers(ctx context.Context, mobile string) ([]chelseru.User, error) {
	if err := checkMobile(mobile); err != nil {
		return nil, fmt.Errorf("storage: find users: %w", err)
	}
	var out []chelseru.User
	err := db.view(ctx, "find users", func(txn *badger.Txn) error {
		out = out[:0]
		prefix := mobileUsersPrefix(mobile)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: false})
		defer it.Close()
		for it.Rewind(); it.Valid() && len(out) < maxGroups; it.Next() {
			var id int64
			if err := it.Item().Value(func(b []byte) error {
				var err error
				id, err = decodeUserID(b)
				return err
			}); err != nil {
				return err
			}
			u, err := get(txn, userKey(id), decodeUser)
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, u)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: find users: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out, nil
}

// SetUserDisabled implements chelseru.AdminStore.
func (db *DB) SetUserDisabled(ctx context.Context, id int64, disabled bool) (chelseru.User, error) {
	key := userKey(id)
	var (
		u   chelseru.User
		was bool
	)
	err := db.update(ctx, "set user disabled", [][]byte{key}, func(txn *badger.Txn) error {
		var err error
		u, err = get(txn, key, decodeUser)
		if err != nil {
			return err
		}
		was = u.Disabled
		u.Disabled = disabled
		if err := putUser(txn, u); err != nil {
			return err
		}
		return putUserIndexes(txn, u)
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return chelseru.User{}, fmt.Errorf("storage: set user %d disabled: %w", id, chelseru.ErrNotFound)
	}
	if err != nil {
		return chelseru.User{}, fmt.Errorf("storage: set user %d disabled: %w", id, err)
	}
	switch {
	case disabled && !was:
		db.disabledUsers.Add(1)
	case !disabled && was:
		db.disabledUsers.Add(-1)
	}
	return u, nil
}

// countDisabled loads the number of disabled users (MobileDisabled skips
// its read while there is none: the usual case).
func (db *DB) countDisabled() error {
	n := int64(0)
	err := db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pUserDisabled), PrefetchValues: false})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("count disabled users: %w", err)
	}
	db.disabledUsers.Store(n)
	return nil
}

// MobileDisabled implements chelseru.AdminStore: one prefix read, none
// while no user is disabled.
func (db *DB) MobileDisabled(ctx context.Context, mobile string) (bool, error) {
	if err := checkMobile(mobile); err != nil {
		return false, fmt.Errorf("storage: mobile disabled: %w", err)
	}
	if db.disabledUsers.Load() <= 0 {
		if err := ctx.Err(); err != nil {
			return false, fmt.Errorf("storage: mobile disabled: %w", err)
		}
		release, err := db.enter("mobile disabled")
		if err != nil {
			return false, err
		}
		release()
		return false, nil
	}
	found := false
	err := db.view(ctx, "mobile disabled", func(txn *badger.Txn) error {
		prefix := userDisabledPrefix(mobile)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: false})
		defer it.Close()
		it.Rewind()
		found = it.Valid()
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("storage: mobile disabled: %w", err)
	}
	return found, nil
}

// DeleteUserSessions implements chelseru.AdminStore. It deletes in rounds
// of at most MaxListSessions sessions, each one transaction.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	total := 0
	prefix := userSessionsPrefix(userID)
	for {
		n := 0
		err := db.update(ctx, "delete user sessions", nil, func(txn *badger.Txn) error {
			n = 0
			it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: false})
			var keys [][]byte
			for it.Rewind(); it.Valid() && len(keys) < db.opts.MaxListSessions; it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			it.Close()
			for _, k := range keys {
				id, ok := sessionIDFromIndex(k)
				if !ok {
					continue
				}
				if err := txn.Delete(k); err != nil {
					return err
				}
				if err := txn.Delete(sessionKey(id)); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("storage: delete sessions of user %d: %w", userID, err)
		}
		total += n
		if n == 0 {
			return total, nil
		}
	}
}

// ListMessages implements chelseru.AdminStore. With a Mobile it walks that
// receiver's index, otherwise the whole log, newest id first; it stops at a
// full page, at a message created before Since (ids grow with creation), or
// after examining maxMessageScan records: then Next lets the caller go on.
func (db *DB) ListMessages(ctx context.Context, f chelseru.MessageFilter) (chelseru.MessagePage, error) {
	if f.Mobile != "" {
		if err := checkMobile(f.Mobile); err != nil {
			return chelseru.MessagePage{}, fmt.Errorf("storage: list messages: %w", err)
		}
	}
	limit := min(max(f.Limit, 1), chelseru.MaxMessagePage)
	var page chelseru.MessagePage
	err := db.view(ctx, "list messages", func(txn *badger.Txn) error {
		page = chelseru.MessagePage{}
		prefix := []byte(pMessage)
		if f.Mobile != "" {
			prefix = messageByMobilePrefix(f.Mobile)
		}
		seek := appendInt64(bytes.Clone(prefix), maxInt64)
		if f.Before > 0 {
			seek = appendInt64(bytes.Clone(prefix), f.Before-1)
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, Reverse: true, PrefetchValues: f.Mobile == ""})
		defer it.Close()
		scanned := 0
		for it.Seek(seek); it.Valid(); it.Next() {
			k := it.Item().Key()
			if len(k) != len(prefix)+8 {
				continue
			}
			id := int64(binary.BigEndian.Uint64(k[len(prefix):]) ^ (1 << 63))
			if scanned >= maxMessageScan || len(page.Messages) >= limit {
				page.Next = id + 1
				return nil
			}
			scanned++
			m, err := get(txn, messageKey(id), decodeMessage)
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !f.Since.IsZero() && m.CreatedAt.Before(f.Since) {
				return nil // older ones are older still
			}
			if (!f.Until.IsZero() && !m.CreatedAt.Before(f.Until)) || (f.Status != "" && m.Status != f.Status) {
				continue
			}
			page.Messages = append(page.Messages, m)
		}
		return nil
	})
	if err != nil {
		return chelseru.MessagePage{}, fmt.Errorf("storage: list messages: %w", err)
	}
	return page, nil
}

const maxInt64 = 1<<63 - 1

// backfillAdminIndex writes the admin indexes for records written before
// they existed (users and messages of an older release, or restored from
// an older backup), once: meta/admin-index-v1 marks it done. A database
// with no user and no message is left untouched (and empty, so a backup can
// still be restored into it).
func (db *DB) backfillAdminIndex() error {
	if err := db.backfillIndexes(); err != nil {
		return err
	}
	return db.countDisabled()
}

func (db *DB) backfillIndexes() error {
	done := false
	if err := db.bdb.View(func(txn *badger.Txn) error {
		_, err := txn.Get([]byte(keyAdminIndex))
		if err == nil {
			done = true
			return nil
		}
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		return err
	}); err != nil || done {
		return err
	}
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	n := 0
	err := db.bdb.View(func(txn *badger.Txn) error {
		for _, p := range []string{pUser, pMessage} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(p), PrefetchValues: false})
			for it.Rewind(); it.Valid(); it.Next() {
				var err error
				if p == pUser {
					var u chelseru.User
					if err = it.Item().Value(func(b []byte) error { u, err = decodeUser(b); return err }); err == nil {
						if err = wb.Set(mobileUsersKey(u.Mobile, u.Group), binary.BigEndian.AppendUint64(nil, uint64(u.ID))); err == nil && u.Disabled {
							err = wb.Set(userDisabledKey(u.Mobile, u.Group), nil)
						}
					}
				} else {
					var m chelseru.Message
					if err = it.Item().Value(func(b []byte) error { m, err = decodeMessage(b); return err }); err == nil {
						err = wb.Set(messageByMobileKey(m.Mobile, m.ID), nil)
					}
				}
				if err != nil {
					err = fmt.Errorf("index %q: %w", it.Item().Key(), err)
					it.Close()
					return err
				}
				n++
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("backfill admin indexes: %w", err)
	}
	if n == 0 {
		return nil
	}
	if err := wb.Set([]byte(keyAdminIndex), nil); err != nil {
		return fmt.Errorf("backfill admin indexes: %w", err)
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("backfill admin indexes: %w", err)
	}
	db.log.Info("admin indexes written for older records", "records", n)
	return nil
}
