package storage

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/chelseru/chelseru"
)

// TestDecodeOTPv2: a record written before the requester was kept still
// reads, with no requester (its tries all count in the code, as before).
func TestDecodeOTPv2(t *testing.T) {
	e := encoder{b: []byte{fmtOTPv2}}
	e.str(mobile)
	e.bytes([]byte{1, 2, 3})
	e.int(1)
	e.bool(false)
	e.time(sampleTime)
	e.int(2)
	e.time(sampleTime.Add(time.Hour))
	b, err := e.done("otp")
	if err != nil {
		t.Fatal(err)
	}
	o, err := decodeOTP(b)
	want := chelseru.OTP{Mobile: mobile, Hash: []byte{1, 2, 3}, Attempts: 1, ExpiresAt: sampleTime, Sends: 2, WindowEnd: sampleTime.Add(time.Hour)}
	if err != nil || !reflect.DeepEqual(o, want) {
		t.Fatalf("decodeOTP(v2) = %+v, %v; want %+v", o, err, want)
	}
}

// storedOTP reads the number's record as it is stored.
func storedOTP(t *testing.T, db *DB) chelseru.OTP {
	t.Helper()
	var o chelseru.OTP
	err := db.bdb.View(func(txn *badger.Txn) error {
		var err error
		o, _, err = getOTP(txn, otpKey(mobile))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestVerifyOTPStranger: wrong tries from an address other than the code's
// requester change nothing in the record (they never burn the code); the
// requester's count and burn it; a stranger's right code still matches; an
// unknown requester or caller counts as before.
func TestVerifyOTPStranger(t *testing.T) {
	const right, wrong, owner, stranger = "right", "wrong", "198.51.100.7", "203.0.113.1"
	db := openTest(t, Options{})
	o := newOTP(right, time.Minute)
	o.Requester = owner
	_, err := db.CreateOTP(ctx, o, chelseru.SendLimit{})
	wantErr(t, err, nil)
	if got := storedOTP(t, db).Requester; got != owner {
		t.Fatalf("stored requester %q", got)
	}
	for range 10 {
		if res, err := db.VerifyOTP(ctx, mobile, stranger, matchHash(wrong), 3); err != nil || res != chelseru.OTPMismatch {
			t.Fatalf("stranger's wrong try: %v, %v", res, err)
		}
	}
	if s := storedOTP(t, db); s.Attempts != 0 || s.Burnt || !bytes.Equal(s.Hash, []byte(right)) {
		t.Fatalf("a stranger's wrong tries changed the code: %+v", s)
	}
	for i, want := range []chelseru.OTPCheck{chelseru.OTPMismatch, chelseru.OTPMismatch} {
		if res, err := db.VerifyOTP(ctx, mobile, owner, matchHash(wrong), 3); err != nil || res != want {
			t.Fatalf("owner's wrong try %d: %v, %v", i+1, res, err)
		}
	}
	// An unknown caller ("") counts like the requester.
	if res, err := db.VerifyOTP(ctx, mobile, "", matchHash(wrong), 3); err != nil || res != chelseru.OTPBurnt {
		t.Fatalf("third wrong try from an unknown address: %v, %v", res, err)
	}
	// Burnt: refused to everyone, the right code too.
	if res, _ := db.VerifyOTP(ctx, mobile, stranger, matchHash(right), 3); res != chelseru.OTPBurnt {
		t.Fatalf("a burnt code answered %v", res)
	}

	// A stranger's right code matches and uses the code up; the record
	// keeps no requester.
	o = newOTP(right, time.Minute)
	o.Requester = owner
	_, err = db.CreateOTP(ctx, o, chelseru.SendLimit{})
	wantErr(t, err, nil)
	if res, err := db.VerifyOTP(ctx, mobile, stranger, matchHash(right), 3); err != nil || res != chelseru.OTPMatched {
		t.Fatalf("stranger's right code: %v, %v", res, err)
	}
}

// TestCreateOTPUncounted: a send paid for elsewhere is stored without being
// checked against, or counted in, the number's send count, which it keeps.
func TestCreateOTPUncounted(t *testing.T) {
	c := &clock{}
	db := openTest(t, Options{Now: c.Now})
	lim := chelseru.SendLimit{Max: 1, Window: time.Hour}
	_, err := db.CreateOTP(ctx, newOTP("a", time.Minute), lim)
	wantErr(t, err, nil)
	wantErr(t, db.DeleteOTP(ctx, mobile, []byte("a"), false), nil)
	_, err = db.CreateOTP(ctx, newOTP("b", time.Minute), lim)
	wantErr(t, err, chelseru.ErrLimited)
	lim.Uncounted = true
	_, err = db.CreateOTP(ctx, newOTP("b", time.Minute), lim)
	wantErr(t, err, nil)
	if s := storedOTP(t, db); s.Sends != 1 || !bytes.Equal(s.Hash, []byte("b")) {
		t.Fatalf("after an uncounted send: %+v", s)
	}
	// A live code still comes first.
	_, err = db.CreateOTP(ctx, newOTP("c", time.Minute), lim)
	wantErr(t, err, chelseru.ErrExists)
}
