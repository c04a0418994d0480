package storage

import (
	"bytes"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/chelseru/chelseru"
)

const mobile = "09121234567"

func newOTP(hash string, ttl time.Duration) chelseru.OTP {
	return chelseru.OTP{Mobile: mobile, Hash: []byte(hash), ExpiresAt: time.Now().Add(ttl)}
}

func matchHash(hash string) func(chelseru.OTP) bool {
	return func(o chelseru.OTP) bool { return bytes.Equal(o.Hash, []byte(hash)) }
}

func TestCreateOTP(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, db *DB, c *clock)
		create    chelseru.OTP
		wantErr   error
		wantOther bool   // an error that is not a sentinel
		wantHash  string // hash stored afterwards ("" = none)
		existing  string // hash of the existing code returned with ErrExists
	}{
		{
			name:     "no code yet",
			create:   newOTP("a", time.Minute),
			wantHash: "a",
		},
		{
			name: "live code in the way",
			setup: func(t *testing.T, db *DB, _ *clock) {
				_, err := db.CreateOTP(ctx, newOTP("a", time.Minute), chelseru.SendLimit{})
				wantErr(t, err, nil)
			},
			create:   newOTP("b", time.Minute),
			wantErr:  chelseru.ErrExists,
			wantHash: "a",
			existing: "a",
		},
		{
			name: "burnt code is replaced",
			setup: func(t *testing.T, db *DB, _ *clock) {
				_, err := db.CreateOTP(ctx, newOTP("a", time.Minute), chelseru.SendLimit{})
				wantErr(t, err, nil)
				res, err := db.VerifyOTP(ctx, mobile, "", matchHash("x"), 1)
				wantErr(t, err, nil)
				if res != chelseru.OTPBurnt {
					t.Fatalf("setup: verify = %v, want burnt", res)
				}
			},
			create:   newOTP("b", time.Minute),
			wantHash: "b",
		},
		{
			name: "code expired by the store's clock is replaced",
			setup: func(t *testing.T, db *DB, c *clock) {
				_, err := db.CreateOTP(ctx, newOTP("a", 10*time.Minute), chelseru.SendLimit{})
				wantErr(t, err, nil)
				c.Advance(11 * time.Minute) // Badger still holds it
			},
			create:   chelseru.OTP{Mobile: mobile, Hash: []byte("b"), ExpiresAt: time.Now().Add(20 * time.Minute)},
			wantHash: "b",
		},
		{
			name:      "expiry in the past",
			create:    newOTP("a", -time.Second),
			wantOther: true,
		},
		{
			name:      "empty mobile",
			create:    chelseru.OTP{Hash: []byte("a"), ExpiresAt: time.Now().Add(time.Minute)},
			wantOther: true,
		},
		{
			name:      "mobile too long",
			create:    chelseru.OTP{Mobile: string(make([]byte, maxMobileLen+1)), Hash: []byte("a"), ExpiresAt: time.Now().Add(time.Minute)},
			wantOther: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{}
			db := openTest(t, Options{Now: c.Now})
			if tt.setup != nil {
				tt.setup(t, db, c)
			}
			existing, err := db.CreateOTP(ctx, tt.create, chelseru.SendLimit{})
			switch {
			case tt.wantOther:
				if err == nil {
					t.Fatal("err = nil, want an error")
				}
				return
			default:
				wantErr(t, err, tt.wantErr)
			}
			if string(existing.Hash) != tt.existing {
				t.Errorf("existing hash = %q, want %q", existing.Hash, tt.existing)
			}
			if tt.existing != "" && (existing.Mobile != mobile || existing.ExpiresAt.IsZero()) {
				t.Errorf("existing = %+v, want the full stored code", existing)
			}
			got, err := db.VerifyOTP(ctx, mobile, "", matchHash(tt.wantHash), 5)
			wantErr(t, err, nil)
			if got != chelseru.OTPMatched {
				t.Errorf("stored code is not %q: verify = %v", tt.wantHash, got)
			}
		})
	}
}

func TestCreateOTPSetsBadgerTTL(t *testing.T) {
	db := openTest(t, Options{})
	exp := time.Now().Add(90 * time.Second)
	_, err := db.CreateOTP(ctx, chelseru.OTP{Mobile: mobile, Hash: []byte("a"), ExpiresAt: exp}, chelseru.SendLimit{})
	wantErr(t, err, nil)
	ok, badgerExp := rawGet(t, db, otpKey(mobile))
	if !ok {
		t.Fatal("otp key not stored")
	}
	if badgerExp != badgerExpiry(exp) || int64(badgerExp) < exp.Unix() {
		t.Errorf("badger ExpiresAt = %d, want %d (not before %d)", badgerExp, badgerExpiry(exp), exp.Unix())
	}
}

func TestDeleteOTP(t *testing.T) {
	tests := []struct {
		name       string
		stored     string // "" = no code
		deleteHash string
		wantLeft   bool
	}{
		{"same hash deletes", "a", "a", false},
		{"other hash keeps the newer code", "a", "b", true},
		{"prefix of the hash keeps it", "ab", "a", true},
		{"missing code is fine", "", "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t, Options{})
			if tt.stored != "" {
				_, err := db.CreateOTP(ctx, newOTP(tt.stored, time.Minute), chelseru.SendLimit{})
				wantErr(t, err, nil)
			}
			wantErr(t, db.DeleteOTP(ctx, mobile, []byte(tt.deleteHash), false), nil)
			left, _ := rawGet(t, db, otpKey(mobile))
			if left != tt.wantLeft {
				t.Errorf("code left = %v, want %v", left, tt.wantLeft)
			}
		})
	}
}

func TestVerifyOTP(t *testing.T) {
	const right, wrong = "right", "wrong"
	type try struct {
		hash string
		want chelseru.OTPCheck
	}
	tests := []struct {
		name        string
		noCode      bool
		maxAttempts int
		tries       []try
		wantAtt     int  // stored attempts after the tries (when the code remains)
		wantBurnt   bool // stored burnt flag
	}{
		{name: "no code", noCode: true, maxAttempts: 3, tries: []try{{right, chelseru.OTPMissing}}},
		{name: "right code is used up", maxAttempts: 3, tries: []try{{right, chelseru.OTPMatched}, {right, chelseru.OTPMissing}}},
		{name: "wrong then right", maxAttempts: 3, tries: []try{{wrong, chelseru.OTPMismatch}, {wrong, chelseru.OTPMismatch}, {right, chelseru.OTPMatched}}},
		{
			name: "burnt at max attempts, then refuses the right code", maxAttempts: 3,
			tries:   []try{{wrong, chelseru.OTPMismatch}, {wrong, chelseru.OTPMismatch}, {wrong, chelseru.OTPBurnt}, {right, chelseru.OTPBurnt}, {wrong, chelseru.OTPBurnt}},
			wantAtt: 3, wantBurnt: true,
		},
		{name: "max 1 burns at the first wrong try", maxAttempts: 1, tries: []try{{wrong, chelseru.OTPBurnt}, {right, chelseru.OTPBurnt}}, wantAtt: 1, wantBurnt: true},
		{name: "max 0 burns at the first wrong try", maxAttempts: 0, tries: []try{{wrong, chelseru.OTPBurnt}}, wantAtt: 1, wantBurnt: true},
		{name: "mismatch counts", maxAttempts: 5, tries: []try{{wrong, chelseru.OTPMismatch}, {wrong, chelseru.OTPMismatch}}, wantAtt: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t, Options{})
			if !tt.noCode {
				_, err := db.CreateOTP(ctx, newOTP(right, time.Minute), chelseru.SendLimit{})
				wantErr(t, err, nil)
			}
			for i, tr := range tt.tries {
				got, err := db.VerifyOTP(ctx, mobile, "", matchHash(tr.hash), tt.maxAttempts)
				wantErr(t, err, nil)
				if got != tr.want {
					t.Fatalf("try %d (%s) = %v, want %v", i, tr.hash, got, tr.want)
				}
			}
			if tt.wantAtt > 0 || tt.wantBurnt {
				o := rawOTP(t, db)
				if o.Attempts != tt.wantAtt || o.Burnt != tt.wantBurnt {
					t.Errorf("stored attempts=%d burnt=%v, want %d %v", o.Attempts, o.Burnt, tt.wantAtt, tt.wantBurnt)
				}
			}
		})
	}
}

func rawOTP(t *testing.T, db *DB) chelseru.OTP {
	t.Helper()
	txn := db.bdb.NewTransaction(false)
	defer txn.Discard()
	o, err := get(txn, otpKey(mobile), decodeOTP)
	if err != nil {
		t.Fatalf("read stored otp: %v", err)
	}
	return o
}

func TestVerifyOTPExpiredByStoreClock(t *testing.T) {
	c := &clock{}
	db := openTest(t, Options{Now: c.Now})
	_, err := db.CreateOTP(ctx, newOTP("a", time.Minute), chelseru.SendLimit{})
	wantErr(t, err, nil)
	c.Advance(time.Minute) // exactly at ExpiresAt or later: expired
	got, err := db.VerifyOTP(ctx, mobile, "", matchHash("a"), 3)
	wantErr(t, err, nil)
	if got != chelseru.OTPMissing {
		t.Errorf("verify after expiry = %v, want missing", got)
	}
}

func TestOTPExpiresInBadger(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps past a TTL")
	}
	db := openTest(t, Options{})
	_, err := db.CreateOTP(ctx, newOTP("a", time.Second), chelseru.SendLimit{})
	wantErr(t, err, nil)
	time.Sleep(2100 * time.Millisecond)
	if ok, _ := rawGet(t, db, otpKey(mobile)); ok {
		t.Error("Badger still holds the otp after its TTL")
	}
	got, err := db.VerifyOTP(ctx, mobile, "", matchHash("a"), 3)
	wantErr(t, err, nil)
	if got != chelseru.OTPMissing {
		t.Errorf("verify after TTL = %v, want missing", got)
	}
	if _, err := db.CreateOTP(ctx, newOTP("b", time.Minute), chelseru.SendLimit{}); err != nil {
		t.Errorf("create after TTL: %v", err)
	}
}

func TestVerifyOTPConcurrentWrongCodes(t *testing.T) {
	const goroutines, maxAttempts = 50, 5
	db := openTest(t, Options{})
	_, err := db.CreateOTP(ctx, newOTP("right", time.Minute), chelseru.SendLimit{})
	wantErr(t, err, nil)
	counts := runConcurrent(t, goroutines, func() (chelseru.OTPCheck, error) {
		return db.VerifyOTP(ctx, mobile, "", matchHash("wrong"), maxAttempts)
	})
	if counts[chelseru.OTPMismatch] != maxAttempts-1 || counts[chelseru.OTPBurnt] != goroutines-maxAttempts+1 {
		t.Errorf("outcomes = %v, want %d mismatches and %d burnt", counts, maxAttempts-1, goroutines-maxAttempts+1)
	}
	o := rawOTP(t, db)
	if o.Attempts != maxAttempts || !o.Burnt {
		t.Errorf("stored attempts=%d burnt=%v, want %d true", o.Attempts, o.Burnt, maxAttempts)
	}
}

func TestVerifyOTPConcurrentRightCode(t *testing.T) {
	const goroutines = 50
	db := openTest(t, Options{})
	_, err := db.CreateOTP(ctx, newOTP("right", time.Minute), chelseru.SendLimit{})
	wantErr(t, err, nil)
	counts := runConcurrent(t, goroutines, func() (chelseru.OTPCheck, error) {
		return db.VerifyOTP(ctx, mobile, "", matchHash("right"), 5)
	})
	if counts[chelseru.OTPMatched] != 1 || counts[chelseru.OTPMissing] != goroutines-1 {
		t.Errorf("outcomes = %v, want 1 matched and %d missing", counts, goroutines-1)
	}
}

// runConcurrent runs f in n goroutines released together and counts results.
func runConcurrent[T comparable](t *testing.T, n int, f func() (T, error)) map[T]int {
	t.Helper()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		start  = make(chan struct{})
		counts = make(map[T]int)
		errs   []error
	)
	for range n {
		wg.Go(func() {
			<-start
			v, err := f()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			counts[v]++
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		t.Errorf("concurrent call: %v", err)
	}
	return counts
}

// TestCreateOTPSeenAcrossRestart: a live code written before a restart is
// still found by CreateOTP once the start-up scan has filled the filter
// that lets CreateOTP skip its read for numbers without a code.
func TestCreateOTPSeenAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	o := chelseru.OTP{Mobile: "09121110000", Hash: []byte("h1"), ExpiresAt: time.Now().Add(2 * time.Minute)}
	db, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler), GCInterval: -1})
	wantErr(t, err, nil)
	_, err = db.CreateOTP(ctx, o, chelseru.SendLimit{})
	wantErr(t, err, nil)
	wantErr(t, db.Close(), nil)

	db, err = Open(dir, Options{Logger: slog.New(slog.DiscardHandler), GCInterval: -1})
	wantErr(t, err, nil)
	defer db.Close()
	<-db.otpSeen.scanned
	if db.otpSeen.absent(string(otpKey(o.Mobile)), time.Now()) {
		t.Fatal("the stored code's key is absent from the filter after the scan")
	}
	if !db.otpSeen.absent(string(otpKey("09121110001")), time.Now()) {
		t.Fatal("a number without a code is not known to be absent")
	}
	o2 := o
	o2.Hash = []byte("h2")
	if _, err := db.CreateOTP(ctx, o2, chelseru.SendLimit{}); !errors.Is(err, chelseru.ErrExists) {
		t.Fatalf("CreateOTP over a live code after restart: %v, want ErrExists", err)
	}
	o3 := o2
	o3.Mobile = "09121110001"
	_, err = db.CreateOTP(ctx, o3, chelseru.SendLimit{})
	wantErr(t, err, nil)
	if _, err := db.CreateOTP(ctx, o3, chelseru.SendLimit{}); !errors.Is(err, chelseru.ErrExists) {
		t.Fatalf("second CreateOTP for a new number: %v, want ErrExists", err)
	}
}

// TestCreateOTPSendLimit: the number's record counts its codes per window.
// A used-up or discarded code still counts, a send taken back does not, the
// record outlives its code until the window ends (Badger TTL included), the
// count survives a restart, and the next window starts again from zero.
func TestCreateOTPSendLimit(t *testing.T) {
	dir := t.TempDir()
	var clk clock
	db := openAt(t, dir, Options{Now: clk.Now})
	// A fixed instant 10 minutes into an hour, in the future: Badger expires
	// records by the real clock.
	now := time.Date(2027, 3, 1, 12, 10, 0, 0, time.UTC)
	clk.Advance(time.Until(now))
	limit := func() chelseru.SendLimit { return chelseru.SendLimit{Max: 3, Window: time.Hour} }
	create := func(hash string) (chelseru.OTP, error) {
		return db.CreateOTP(ctx, chelseru.OTP{Mobile: mobile, Hash: []byte(hash), ExpiresAt: clk.Now().Add(2 * time.Minute)}, limit())
	}
	wantSends := func(n int) {
		t.Helper()
		var o chelseru.OTP
		err := db.bdb.View(func(txn *badger.Txn) error {
			var err error
			o, _, err = getOTP(txn, otpKey(mobile))
			return err
		})
		wantErr(t, err, nil)
		if o.Sends != n || !o.WindowEnd.Equal(time.Date(2027, 3, 1, 13, 0, 0, 0, time.UTC)) {
			t.Fatalf("record counts %d sends to %v, want %d to 13:00", o.Sends, o.WindowEnd, n)
		}
	}

	// 1: used up by a right try.
	_, err := create("a")
	wantErr(t, err, nil)
	res, err := db.VerifyOTP(ctx, mobile, "", matchHash("a"), 3)
	if err != nil || res != chelseru.OTPMatched {
		t.Fatalf("verify = %v, %v", res, err)
	}
	if res, _ := db.VerifyOTP(ctx, mobile, "", matchHash("a"), 3); res != chelseru.OTPMissing {
		t.Fatalf("a used-up code verified again: %v", res)
	}
	wantSends(1)
	if ok, exp := rawGet(t, db, otpKey(mobile)); !ok || exp != uint64(time.Date(2027, 3, 1, 13, 0, 0, 0, time.UTC).Unix()) {
		t.Fatalf("record after use: exists %v, Badger expiry %d, want the window's end", ok, exp)
	}
	// 2: live, so a second create is a 409 that counts nothing.
	_, err = create("b")
	wantErr(t, err, nil)
	if _, err := create("c"); !errors.Is(err, chelseru.ErrExists) {
		t.Fatalf("create over a live code: %v", err)
	}
	wantSends(2)
	// Discarded (the SMS failed): still counts.
	wantErr(t, db.DeleteOTP(ctx, mobile, []byte("b"), false), nil)
	wantSends(2)
	// 3: taken back (another limit refused it): does not count.
	_, err = create("d")
	wantErr(t, err, nil)
	wantSends(3)
	wantErr(t, db.DeleteOTP(ctx, mobile, []byte("d"), true), nil)
	wantSends(2)
	// 3 again, then the limit, across a restart.
	_, err = create("e")
	wantErr(t, err, nil)
	clk.Advance(5 * time.Minute)
	wantErr(t, db.Close(), nil)
	db = openAt(t, dir, Options{Now: clk.Now})
	existing, err := create("f")
	if !errors.Is(err, chelseru.ErrLimited) || existing.Sends != 3 || !existing.WindowEnd.Equal(time.Date(2027, 3, 1, 13, 0, 0, 0, time.UTC)) {
		t.Fatalf("fourth create = %+v, %v; want ErrLimited at 3 sends until 13:00", existing, err)
	}
	if res, _ := db.VerifyOTP(ctx, mobile, "", matchHash("f"), 3); res != chelseru.OTPMissing {
		t.Fatalf("a refused create stored its code: %v", res)
	}
	// The next window.
	clk.Advance(45 * time.Minute)
	_, err = create("g")
	wantErr(t, err, nil)
	var o chelseru.OTP
	wantErr(t, db.bdb.View(func(txn *badger.Txn) error { o, _, err = getOTP(txn, otpKey(mobile)); return err }), nil)
	if o.Sends != 1 || !o.WindowEnd.Equal(time.Date(2027, 3, 1, 14, 0, 0, 0, time.UTC)) {
		t.Fatalf("next window: %d sends to %v", o.Sends, o.WindowEnd)
	}
}

// TestRetireCodeWithoutLimit: with no send limit a used-up code leaves no
// record behind.
func TestRetireCodeWithoutLimit(t *testing.T) {
	db := openTest(t, Options{})
	_, err := db.CreateOTP(ctx, newOTP("a", time.Minute), chelseru.SendLimit{})
	wantErr(t, err, nil)
	if res, err := db.VerifyOTP(ctx, mobile, "", matchHash("a"), 3); err != nil || res != chelseru.OTPMatched {
		t.Fatalf("verify = %v, %v", res, err)
	}
	if ok, _ := rawGet(t, db, otpKey(mobile)); ok {
		t.Fatal("a used-up code with no send count left its record")
	}
}
