package storage

import (
	"errors"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

// TestCreateOTPOneClock: the store's clock alone decides a code's expiry,
// places the per-number send window and runs the filter that skips reads of
// numbers without a record, in CreateOTP and VerifyOTP alike. The clock here
// runs months ahead of the real one, so a step that read another clock would
// disagree with the others (the filter would see expiries months away and
// turn itself off).
func TestCreateOTPOneClock(t *testing.T) {
	var clk clock
	clk.Advance(time.Until(time.Date(2027, 3, 1, 12, 50, 0, 0, time.UTC)))
	db := openTest(t, Options{Now: clk.Now})
	<-db.otpSeen.scanned
	limit := chelseru.SendLimit{Max: 2, Window: time.Hour}
	create := func(hash string) (chelseru.OTP, error) {
		return db.CreateOTP(ctx, chelseru.OTP{Mobile: mobile, Hash: []byte(hash), ExpiresAt: clk.Now().Add(2 * time.Minute)}, limit)
	}
	thirteen := time.Date(2027, 3, 1, 13, 0, 0, 0, time.UTC)

	// An expiry ahead of the real clock but behind the store's is refused.
	if _, err := db.CreateOTP(ctx, chelseru.OTP{Mobile: mobile, Hash: []byte("x"), ExpiresAt: time.Now().Add(time.Hour)}, limit); err == nil {
		t.Fatal("an expiry in the store's past was accepted")
	}
	_, err := create("a")
	wantErr(t, err, nil)
	if _, err := create("b"); !errors.Is(err, chelseru.ErrExists) {
		t.Fatalf("create over a live code: %v, want ErrExists", err)
	}
	// Past the code's expiry by the store's clock (not by Badger's TTL,
	// which is still a year away): it no longer verifies and may be
	// replaced.
	clk.Advance(2 * time.Minute)
	if res, err := db.VerifyOTP(ctx, mobile, "", matchHash("a"), 3); err != nil || res != chelseru.OTPMissing {
		t.Fatalf("verify of an expired code = %v, %v; want OTPMissing", res, err)
	}
	_, err = create("b")
	wantErr(t, err, nil)
	if res, err := db.VerifyOTP(ctx, mobile, "", matchHash("b"), 3); err != nil || res != chelseru.OTPMatched {
		t.Fatalf("verify = %v, %v; want OTPMatched", res, err)
	}
	// Two sends in the window the store's clock placed, which ends at 13:00.
	existing, err := create("c")
	if !errors.Is(err, chelseru.ErrLimited) || existing.Sends != 2 || !existing.WindowEnd.Equal(thirteen) {
		t.Fatalf("third create = %+v, %v; want ErrLimited at 2 sends until 13:00", existing, err)
	}
	// 13:00 by the store's clock: the next window.
	clk.Advance(thirteen.Sub(clk.Now()))
	_, err = create("c")
	wantErr(t, err, nil)
	if s := storedOTP(t, db); s.Sends != 1 || !s.WindowEnd.Equal(thirteen.Add(time.Hour)) {
		t.Fatalf("next window: %d sends to %v, want 1 to 14:00", s.Sends, s.WindowEnd)
	}
	if db.otpSeen.absent(string(otpKey(mobile)), clk.Now()) || !db.otpSeen.absent(string(otpKey("09120000000")), clk.Now()) {
		t.Fatal("the filter is off or forgot the number: it judged expiries by another clock")
	}
}
