package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"github.com/chelseru/chelseru"
)

func putMessage(txn *badger.Txn, m chelseru.Message) error {
	v, err := encodeMessage(m)
	if err != nil {
		return err
	}
	if err := txn.Set(messageKey(m.ID), v); err != nil {
		return err
	}
	// The receiver's index entry (admin.go); the receiver never changes, so
	// an update rewrites the same empty entry.
	return txn.Set(messageByMobileKey(m.Mobile, m.ID), nil)
}

// CreateMessage implements chelseru.MessageStore. Messages are kept without
// a TTL: they are the record of what was sent.
func (db *DB) CreateMessage(ctx context.Context, m chelseru.Message) (chelseru.Message, error) {
	if err := ctx.Err(); err != nil {
		return chelseru.Message{}, fmt.Errorf("storage: create message: %w", err)
	}
	release, err := db.enter("create message")
	if err != nil {
		return chelseru.Message{}, err
	}
	id, err := db.nextID(seqMessage, bwMessage)
	release()
	if err != nil {
		return chelseru.Message{}, fmt.Errorf("storage: create message: %w", err)
	}
	m.ID = id
	err = db.update(ctx, "create message", nil, func(txn *badger.Txn) error {
		return putMessage(txn, m)
	})
	if err != nil {
		return chelseru.Message{}, fmt.Errorf("storage: create message: %w", err)
	}
	return m, nil
}

// UpdateMessage implements chelseru.MessageStore; ErrNotFound when no
// message has m.ID.
func (db *DB) UpdateMessage(ctx context.Context, m chelseru.Message) error {
	key := messageKey(m.ID)
	err := db.update(ctx, "update message", [][]byte{key}, func(txn *badger.Txn) error {
		if _, err := txn.Get(key); err != nil {
			return err
		}
		return putMessage(txn, m)
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return fmt.Errorf("storage: update message %d: %w", m.ID, chelseru.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("storage: update message %d: %w", m.ID, err)
	}
	return nil
}

// GetMessage implements chelseru.MessageStore.
func (db *DB) GetMessage(ctx context.Context, id int64) (chelseru.Message, error) {
	var m chelseru.Message
	err := db.view(ctx, "get message", func(txn *badger.Txn) error {
		var err error
		m, err = get(txn, messageKey(id), decodeMessage)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return chelseru.Message{}, fmt.Errorf("storage: get message %d: %w", id, chelseru.ErrNotFound)
	}
	if err != nil {
		return chelseru.Message{}, fmt.Errorf("storage: get message %d: %w", id, err)
	}
	return m, nil
}
