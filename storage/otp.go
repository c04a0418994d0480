package storage

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/chelseru/chelseru"
)

// get reads and decodes the record at key; a missing or expired key is
// badger.ErrKeyNotFound.
func get[T any](txn *badger.Txn, key []byte, decode func([]byte) (T, error)) (T, error) {
	var v T
	item, err := txn.Get(key)
	if err != nil {
		return v, err
	}
	err = item.Value(func(b []byte) error {
		var derr error
		v, derr = decode(b)
		return derr
	})
	return v, err
}

// getLiveOTP returns the code for key unless it is missing or expired (by the
// store's clock: Badger's TTL is only second-grained).
func (db *DB) getLiveOTP(txn *badger.Txn, key []byte) (chelseru.OTP, bool, error) {
	o, err := get(txn, key, decodeOTP)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return chelseru.OTP{}, false, nil
	}
	if err != nil {
		return chelseru.OTP{}, false, err
	}
	if !db.opts.Now().Before(o.ExpiresAt) {
		return chelseru.OTP{}, false, nil
	}
	return o, true, nil
}

// setOTP writes o at key in txn.
func setOTP(txn *badger.Txn, key []byte, o chelseru.OTP) error {
	e, err := otpEntry(key, o)
	if err != nil {
		return err
	}
	return txn.SetEntry(e)
}

// otpEntry is the record o at key, expiring with it.
func otpEntry(key []byte, o chelseru.OTP) (*badger.Entry, error) {
	v, err := encodeOTP(o)
	if err != nil {
		return nil, err
	}
	e := badger.NewEntry(key, v)
	e.ExpiresAt = badgerExpiry(o.ExpiresAt)
	return e, nil
}

// CreateOTP implements chelseru.OTPStore. The code lives under otp/{mobile}
// with a Badger TTL at o.ExpiresAt. o.ExpiresAt must be in the future. The
// write shares a transaction with concurrent creates (groupCommit) and has
// committed when CreateOTP returns.
func (db *DB) CreateOTP(ctx context.Context, o chelseru.OTP) (chelseru.OTP, error) {
	if err := checkMobile(o.Mobile); err != nil {
		return chelseru.OTP{}, fmt.Errorf("storage: create otp: %w", err)
	}
	if !db.opts.Now().Before(o.ExpiresAt) {
		return chelseru.OTP{}, errors.New("storage: create otp: expiry is not in the future")
	}
	key := otpKey(o.Mobile)
	release, err := db.enter("create otp")
	if err != nil {
		return chelseru.OTP{}, err
	}
	defer release()
	unlock := db.locks.lock([][]byte{key})
	defer unlock()
	if err := ctx.Err(); err != nil {
		return chelseru.OTP{}, fmt.Errorf("storage: create otp: %w", err)
	}
	// A number that has had no code lately has no record to read. Writers
	// of key hold its stripe lock, so the record read here is the one the
	// write below replaces.
	now := time.Now()
	if !db.otpSeen.absent(string(key), now) {
		var cur chelseru.OTP
		var live bool
		err := db.bdb.View(func(txn *badger.Txn) error {
			var err error
			cur, live, err = db.getLiveOTP(txn, key)
			return err
		})
		if err != nil {
			return chelseru.OTP{}, fmt.Errorf("storage: create otp: %w", err)
		}
		if live && !cur.Burnt {
			return cur, fmt.Errorf("storage: create otp: live code: %w", chelseru.ErrExists)
		}
	}
	e, err := otpEntry(key, o)
	if err != nil {
		return chelseru.OTP{}, fmt.Errorf("storage: create otp: %w", err)
	}
	db.otpSeen.add(string(key), o.ExpiresAt, now)
	if err := db.group.write(e); err != nil {
		return chelseru.OTP{}, fmt.Errorf("storage: create otp: %w", err)
	}
	return chelseru.OTP{}, nil
}

// DeleteOTP implements chelseru.OTPStore.
func (db *DB) DeleteOTP(ctx context.Context, mobile string, hash []byte) error {
	if err := checkMobile(mobile); err != nil {
		return fmt.Errorf("storage: delete otp: %w", err)
	}
	key := otpKey(mobile)
	err := db.update(ctx, "delete otp", [][]byte{key}, func(txn *badger.Txn) error {
		cur, err := get(txn, key, decodeOTP)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(cur.Hash, hash) != 1 {
			return nil
		}
		return txn.Delete(key)
	})
	if err != nil {
		return fmt.Errorf("storage: delete otp: %w", err)
	}
	return nil
}

// VerifyOTP implements chelseru.OTPStore. match may run more than once if
// the transaction is retried, so it must have no side effects. A maxAttempts
// below 1 burns the code at the first wrong try.
func (db *DB) VerifyOTP(ctx context.Context, mobile string, match func(chelseru.OTP) bool, maxAttempts int) (chelseru.OTPCheck, error) {
	if err := checkMobile(mobile); err != nil {
		return chelseru.OTPMissing, fmt.Errorf("storage: verify otp: %w", err)
	}
	key := otpKey(mobile)
	var res chelseru.OTPCheck
	err := db.update(ctx, "verify otp", [][]byte{key}, func(txn *badger.Txn) error {
		cur, live, err := db.getLiveOTP(txn, key)
		switch {
		case err != nil:
			return err
		case !live:
			res = chelseru.OTPMissing
			return nil
		case cur.Burnt:
			res = chelseru.OTPBurnt
			return nil
		case match(cur):
			res = chelseru.OTPMatched
			return txn.Delete(key)
		}
		cur.Attempts++
		res = chelseru.OTPMismatch
		if cur.Attempts >= maxAttempts {
			cur.Burnt = true
			res = chelseru.OTPBurnt
		}
		return setOTP(txn, key, cur)
	})
	if err != nil {
		return chelseru.OTPMissing, fmt.Errorf("storage: verify otp: %w", err)
	}
	return res, nil
}
