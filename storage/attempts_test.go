package storage

import (
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

func TestAttempts(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	pol := chelseru.Lockout{Key: "pw:" + mobile, Max: 3, Lock: 15 * time.Minute, Idle: 24 * time.Hour}
	lockEnd := func(at time.Time) time.Time { return at.Add(pol.Lock) }
	// step is one call: begin, fail or reset, at an offset from now, with
	// the expected n (begin) and end of lock (begin, fail; zero: not locked).
	type step struct {
		op     string
		at     time.Duration
		n      int
		locked time.Time
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"counts in a row, locks at the Max-th failure", []step{
			{"begin", 0, 1, time.Time{}}, {"fail", 0, 0, time.Time{}},
			{"begin", 0, 2, time.Time{}}, {"fail", 0, 0, time.Time{}},
			{"begin", 0, 3, time.Time{}}, {"fail", 0, 0, lockEnd(now)},
			{"begin", time.Minute, 0, lockEnd(now)},
			{"fail", time.Minute, 0, lockEnd(now)}, // a late failure does not extend the lock
			{"begin", 15*time.Minute - time.Millisecond, 0, lockEnd(now)},
		}},
		{"the lock ends and the count starts afresh", []step{
			{"begin", 0, 1, time.Time{}}, {"fail", 0, 0, time.Time{}},
			{"begin", 0, 2, time.Time{}}, {"fail", 0, 0, time.Time{}},
			{"begin", 0, 3, time.Time{}}, {"fail", 0, 0, lockEnd(now)},
			{"begin", 15 * time.Minute, 1, time.Time{}},
			{"fail", 15 * time.Minute, 0, time.Time{}},
			{"begin", 15 * time.Minute, 2, time.Time{}},
		}},
		{"a reset forgets the count", []step{
			{"begin", 0, 1, time.Time{}}, {"fail", 0, 0, time.Time{}},
			{"begin", 0, 2, time.Time{}}, {"fail", 0, 0, time.Time{}},
			{"begin", 0, 3, time.Time{}}, {"reset", 0, 0, time.Time{}},
			{"begin", 0, 1, time.Time{}}, {"fail", 0, 0, time.Time{}},
			{"begin", 0, 2, time.Time{}},
		}},
		{"a reset lifts a lock", []step{
			{"begin", 0, 1, time.Time{}}, {"begin", 0, 2, time.Time{}}, {"begin", 0, 3, time.Time{}},
			{"fail", 0, 0, lockEnd(now)},
			{"reset", 0, 0, time.Time{}},
			{"begin", 0, 1, time.Time{}},
		}},
		{"attempts beyond Max while others are in flight lock at once", []step{
			{"begin", 0, 1, time.Time{}}, {"begin", 0, 2, time.Time{}}, {"begin", 0, 3, time.Time{}},
			{"begin", time.Second, 0, lockEnd(now.Add(time.Second))},
			{"begin", time.Second, 0, lockEnd(now.Add(time.Second))},
		}},
		{"a failure after a reset is forgotten", []step{
			{"begin", 0, 1, time.Time{}}, {"begin", 0, 2, time.Time{}},
			{"reset", 0, 0, time.Time{}},
			{"fail", 0, 0, time.Time{}},
			{"begin", 0, 1, time.Time{}},
		}},
		{"an idle count is forgotten", []step{
			{"begin", 0, 1, time.Time{}}, {"fail", 0, 0, time.Time{}},
			{"begin", time.Hour, 2, time.Time{}}, {"fail", time.Hour, 0, time.Time{}},
			{"begin", 25*time.Hour + time.Millisecond, 1, time.Time{}},
		}},
		{"reset with nothing counted", []step{
			{"reset", 0, 0, time.Time{}},
			{"begin", 0, 1, time.Time{}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t, Options{})
			for i, s := range tt.steps {
				at := now.Add(s.at)
				var (
					n      int
					locked time.Time
					err    error
				)
				switch s.op {
				case "begin":
					n, locked, err = db.BeginAttempt(ctx, pol, at)
				case "fail":
					locked, err = db.FailAttempt(ctx, pol, at)
				case "reset":
					err = db.ResetAttempts(ctx, pol.Key)
				}
				wantErr(t, err, nil)
				if n != s.n || !locked.Equal(s.locked) {
					t.Fatalf("step %d (%s at +%v): n=%d locked=%v, want n=%d locked=%v", i, s.op, s.at, n, locked, s.n, s.locked)
				}
			}
		})
	}
}

func TestAttemptsKeysAreSeparate(t *testing.T) {
	db := openTest(t, Options{})
	now := time.Now()
	a := chelseru.Lockout{Key: "pw:09121234567", Max: 1, Lock: time.Minute, Idle: time.Hour}
	b := a
	b.Key = "pw:09121234568"
	if n, _, err := db.BeginAttempt(ctx, a, now); err != nil || n != 1 {
		t.Fatalf("begin a: %d %v", n, err)
	}
	if until, err := db.FailAttempt(ctx, a, now); err != nil || until.IsZero() {
		t.Fatalf("fail a: %v %v, want a lock", until, err)
	}
	if n, until, err := db.BeginAttempt(ctx, b, now); err != nil || n != 1 || !until.IsZero() {
		t.Fatalf("begin b: %d %v %v, want 1 and no lock", n, until, err)
	}
}

func TestAttemptsTTL(t *testing.T) {
	db := openTest(t, Options{})
	// The caller's clock is an hour behind the real one: the Badger TTL
	// still ends Lock after the real now, never before.
	now := time.Now().Add(-time.Hour)
	pol := chelseru.Lockout{Key: "k", Max: 1, Lock: 10 * time.Minute, Idle: time.Hour}
	if _, _, err := db.BeginAttempt(ctx, pol, now); err != nil {
		t.Fatal(err)
	}
	realNow := time.Now()
	ok, exp := rawGet(t, db, attemptsKey("k"))
	if lo, hi := realNow.Add(time.Hour).Unix()-1, realNow.Add(time.Hour).Unix()+2; !ok || int64(exp) < lo || int64(exp) > hi {
		t.Errorf("counting: exists=%v ExpiresAt=%d, want about %d", ok, exp, realNow.Add(time.Hour).Unix())
	}
	if _, err := db.FailAttempt(ctx, pol, now); err != nil {
		t.Fatal(err)
	}
	ok, exp = rawGet(t, db, attemptsKey("k"))
	if lo, hi := realNow.Add(10*time.Minute).Unix()-1, realNow.Add(10*time.Minute).Unix()+2; !ok || int64(exp) < lo || int64(exp) > hi {
		t.Errorf("locked: exists=%v ExpiresAt=%d, want about %d", ok, exp, realNow.Add(10*time.Minute).Unix())
	}
	if err := db.ResetAttempts(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := rawGet(t, db, attemptsKey("k")); ok {
		t.Error("reset left the record")
	}
}

func TestAttemptsInvalid(t *testing.T) {
	db := openTest(t, Options{})
	good := chelseru.Lockout{Key: "k", Max: 3, Lock: time.Minute, Idle: time.Hour}
	tests := []struct {
		name string
		l    func(*chelseru.Lockout)
	}{
		{"empty key", func(l *chelseru.Lockout) { l.Key = "" }},
		{"key too long", func(l *chelseru.Lockout) { l.Key = string(make([]byte, maxLimitKeyLen+1)) }},
		{"no lock", func(l *chelseru.Lockout) { l.Lock = 0 }},
		{"no idle", func(l *chelseru.Lockout) { l.Idle = time.Microsecond }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := good
			tt.l(&l)
			if _, _, err := db.BeginAttempt(ctx, l, time.Now()); err == nil {
				t.Error("BeginAttempt: err = nil")
			}
			if _, err := db.FailAttempt(ctx, l, time.Now()); err == nil {
				t.Error("FailAttempt: err = nil")
			}
		})
	}
	if err := db.ResetAttempts(ctx, ""); err == nil {
		t.Error("ResetAttempts(\"\"): err = nil")
	}
	if _, _, err := db.BeginAttempt(ctx, chelseru.Lockout{Key: "zero", Lock: time.Minute, Idle: time.Hour}, time.Now()); err != nil {
		t.Errorf("Max 0: %v", err)
	}
}

func TestAttemptsMaxZeroLocksAtOnce(t *testing.T) {
	db := openTest(t, Options{})
	now := time.Now()
	n, until, err := db.BeginAttempt(ctx, chelseru.Lockout{Key: "zero", Lock: time.Minute, Idle: time.Hour}, now)
	if err != nil || n != 0 || !until.Equal(now.Add(time.Minute)) {
		t.Fatalf("Max 0: n=%d until=%v err=%v, want a lock at once", n, until, err)
	}
}

// TestAttemptsConcurrent: however many attempts race, at most Max are
// counted before the key locks.
func TestAttemptsConcurrent(t *testing.T) {
	const goroutines, maxAttempts = 40, 5
	db := openTest(t, Options{})
	now := time.Now()
	pol := chelseru.Lockout{Key: "pw:" + mobile, Max: maxAttempts, Lock: time.Minute, Idle: time.Hour}
	res := runConcurrent(t, goroutines, func() (int, error) {
		n, _, err := db.BeginAttempt(ctx, pol, now)
		return n, err
	})
	for n := 1; n <= maxAttempts; n++ {
		if res[n] != 1 {
			t.Errorf("count %d handed out %d times, want once: %v", n, res[n], res)
		}
	}
	if res[0] != goroutines-maxAttempts {
		t.Errorf("%d attempts refused, want %d: %v", res[0], goroutines-maxAttempts, res)
	}
}

func TestAttemptsCodec(t *testing.T) {
	in := attempts{count: 7, lockedUntil: time.Unix(1700000000, 5).UTC(), expiresAt: time.Unix(1700000900, 0).UTC()}
	out, err := decodeAttempts(encodeAttempts(in))
	if err != nil || out != in {
		t.Fatalf("round trip: %+v %v, want %+v", out, err, in)
	}
	zero, err := decodeAttempts(encodeAttempts(attempts{count: 1}))
	if err != nil || !zero.lockedUntil.IsZero() {
		t.Fatalf("zero lock: %+v %v", zero, err)
	}
	for _, b := range [][]byte{nil, {fmtAttemptsv1}, {fmtCounterv1, 1, 0, 0, 0, 0}, append(encodeAttempts(in), 0)} {
		if _, err := decodeAttempts(b); err == nil {
			t.Errorf("decodeAttempts(%x): err = nil", b)
		}
	}
}
