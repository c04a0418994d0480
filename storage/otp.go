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

// getOTP returns the record at key, if there is one.
func getOTP(txn *badger.Txn, key []byte) (chelseru.OTP, bool, error) {
	o, err := get(txn, key, decodeOTP)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return chelseru.OTP{}, false, nil
	}
	if err != nil {
		return chelseru.OTP{}, false, err
	}
	return o, true, nil
}

// liveCode reports whether o holds a code that has not expired at now (the
// store's clock: Badger's TTL is only second-grained). A record can outlive
// its code to keep the number's send count.
func liveCode(o chelseru.OTP, now time.Time) bool {
	return len(o.Hash) > 0 && now.Before(o.ExpiresAt)
}

// setOTP writes o at key in txn.
func setOTP(txn *badger.Txn, key []byte, o chelseru.OTP) error {
	e, err := otpEntry(key, o)
	if err != nil {
		return err
	}
	return txn.SetEntry(e)
}

// otpEntry is the record o at key, expiring with the later of its code and
// its send window.
func otpEntry(key []byte, o chelseru.OTP) (*badger.Entry, error) {
	v, err := encodeOTP(o)
	if err != nil {
		return nil, err
	}
	e := badger.NewEntry(key, v)
	e.ExpiresAt = badgerExpiry(otpKeep(o))
	return e, nil
}

// otpKeep is when the record o may go: its code has expired and its send
// window has ended.
func otpKeep(o chelseru.OTP) time.Time {
	if o.WindowEnd.After(o.ExpiresAt) {
		return o.WindowEnd
	}
	return o.ExpiresAt
}

// retireCode writes cur at key without its code (used up or discarded),
// keeping the send count while its window lasts at now, or deletes the
// record when nothing in it is worth keeping.
func retireCode(txn *badger.Txn, key []byte, cur chelseru.OTP, now time.Time) error {
	if cur.Sends == 0 || !now.Before(cur.WindowEnd) {
		return txn.Delete(key)
	}
	cur.Hash, cur.Attempts, cur.Burnt, cur.Requester = nil, 0, false, ""
	return setOTP(txn, key, cur)
}

// CreateOTP implements chelseru.OTPStore. The number's record lives under
// otp/{mobile} with a Badger TTL at the later of o.ExpiresAt (which must be
// in the future) and the end of the send window, and carries the window's
// send count, so the per-number limit costs no record of its own. The
// store's clock, read once, decides expiry and places the send window. The
// write shares a transaction with concurrent creates (groupCommit) and has
// committed when CreateOTP returns.
func (db *DB) CreateOTP(ctx context.Context, o chelseru.OTP, limit chelseru.SendLimit) (chelseru.OTP, error) {
	if err := checkMobile(o.Mobile); err != nil {
		return chelseru.OTP{}, fmt.Errorf("storage: create otp: %w", err)
	}
	now := db.opts.Now()
	if !now.Before(o.ExpiresAt) {
		return chelseru.OTP{}, errors.New("storage: create otp: expiry is not in the future")
	}
	if len(o.Requester) > maxLimitKeyLen {
		return chelseru.OTP{}, fmt.Errorf("storage: create otp: requester must be at most %d bytes, got %d", maxLimitKeyLen, len(o.Requester))
	}
	var windowEnd time.Time
	if limit.Max > 0 {
		if limit.Window < time.Millisecond {
			return chelseru.OTP{}, fmt.Errorf("storage: create otp: send window must be at least 1ms, got %v", limit.Window)
		}
		_, windowEnd = fixedWindow(now, limit.Window)
	}
	key := otpKey(o.Mobile)
	release, err := db.enter("create otp")
	if err != nil {
		return chelseru.OTP{}, err
	}
	defer release()
	if err := db.guard.check(); err != nil {
		return chelseru.OTP{}, fmt.Errorf("storage: create otp: %w", err)
	}
	unlock := db.locks.lock([][]byte{key})
	defer unlock()
	if err := ctx.Err(); err != nil {
		return chelseru.OTP{}, fmt.Errorf("storage: create otp: %w", err)
	}
	// A number that has had no record lately has none to read. Writers of
	// key hold its stripe lock, so the record read here is the one the
	// write below replaces, and the write is a blind set.
	var cur chelseru.OTP
	if !db.otpSeen.absent(string(key), now) {
		err := db.bdb.View(func(txn *badger.Txn) error {
			var err error
			cur, _, err = getOTP(txn, key)
			return err
		})
		if err != nil {
			return chelseru.OTP{}, fmt.Errorf("storage: create otp: %w", err)
		}
		if liveCode(cur, now) && !cur.Burnt {
			return cur, fmt.Errorf("storage: create otp: live code: %w", chelseru.ErrExists)
		}
	}
	o.Sends, o.WindowEnd = 0, time.Time{}
	switch {
	case limit.Max > 0 && limit.Uncounted:
		// Paid for by the address's own share: keep the window's count.
		if cur.WindowEnd.Equal(windowEnd) {
			o.Sends, o.WindowEnd = cur.Sends, windowEnd
		}
	case limit.Max > 0:
		sends := 0
		if cur.WindowEnd.Equal(windowEnd) {
			sends = cur.Sends
		}
		if sends >= limit.Max {
			return chelseru.OTP{Mobile: o.Mobile, Sends: sends, WindowEnd: windowEnd},
				fmt.Errorf("storage: create otp: %d sends in the window: %w", sends, chelseru.ErrLimited)
		}
		o.Sends, o.WindowEnd = sends+1, windowEnd
	}
	o.Attempts, o.Burnt = 0, false
	e, err := otpEntry(key, o)
	if err != nil {
		return chelseru.OTP{}, fmt.Errorf("storage: create otp: %w", err)
	}
	db.otpSeen.add(string(key), otpKeep(o), now)
	if err := db.group.write(e); err != nil {
		return chelseru.OTP{}, fmt.Errorf("storage: create otp: %w", db.guard.mapErr(err))
	}
	return chelseru.OTP{}, nil
}

// DeleteOTP implements chelseru.OTPStore.
func (db *DB) DeleteOTP(ctx context.Context, mobile string, hash []byte, unsend bool) error {
	if err := checkMobile(mobile); err != nil {
		return fmt.Errorf("storage: delete otp: %w", err)
	}
	key := otpKey(mobile)
	err := db.update(ctx, "delete otp", [][]byte{key}, func(txn *badger.Txn) error {
		cur, found, err := getOTP(txn, key)
		if err != nil || !found || len(cur.Hash) == 0 {
			return err
		}
		if subtle.ConstantTimeCompare(cur.Hash, hash) != 1 {
			return nil
		}
		if unsend && cur.Sends > 0 {
			cur.Sends--
		}
		return retireCode(txn, key, cur, db.opts.Now())
	})
	if err != nil {
		return fmt.Errorf("storage: delete otp: %w", err)
	}
	return nil
}

// VerifyOTP implements chelseru.OTPStore. match may run more than once if
// the transaction is retried, so it must have no side effects. A maxAttempts
// below 1 burns the code at the first wrong try.
func (db *DB) VerifyOTP(ctx context.Context, mobile, from string, match func(chelseru.OTP) bool, maxAttempts int) (chelseru.OTPCheck, error) {
	if err := checkMobile(mobile); err != nil {
		return chelseru.OTPMissing, fmt.Errorf("storage: verify otp: %w", err)
	}
	key := otpKey(mobile)
	var res chelseru.OTPCheck
	err := db.update(ctx, "verify otp", [][]byte{key}, func(txn *badger.Txn) error {
		now := db.opts.Now()
		cur, found, err := getOTP(txn, key)
		switch {
		case err != nil:
			return err
		case !found || !liveCode(cur, now):
			res = chelseru.OTPMissing
			return nil
		case cur.Burnt:
			res = chelseru.OTPBurnt
			return nil
		case match(cur):
			res = chelseru.OTPMatched
			return retireCode(txn, key, cur, now)
		case from != "" && cur.Requester != "" && from != cur.Requester:
			// A stranger's wrong try: the caller counts it against the
			// stranger; the requester's code is untouched.
			res = chelseru.OTPMismatch
			return nil
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
