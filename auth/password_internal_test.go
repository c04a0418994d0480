package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/storage"
	"github.com/chelseru/chelseru/token"
)

// newPasswordService is a PASSWD Service on a real Badger store in a temp
// dir, with cheap argon2 parameters unless opts sets others.
func newPasswordService(t *testing.T, opts Options) (*Service, *storage.DB) {
	t.Helper()
	db, err := storage.Open(t.TempDir(), storage.Options{Logger: slog.New(slog.DiscardHandler), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	iss, err := token.New(token.Config{SigningKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	opts.Method = MethodPasswd
	if opts.PasswordParams == (PasswordParams{}) {
		opts.PasswordParams = cheap
	}
	s, err := New(opts, Deps{Store: db, Sender: nilSender{}, Tokens: iss, OTPKey: make([]byte, 32), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

// userWithPassword creates (0, mobile) and sets its password through the
// Service.
func userWithPassword(t *testing.T, s *Service, db *storage.DB, mobile, pw string) chelseru.User {
	t.Helper()
	u, _, err := db.GetOrCreateUser(context.Background(), 0, mobile, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if pw != "" {
		if err := s.SetPassword(context.Background(), Principal{UserID: u.ID, AuthAt: time.Now()}, pw, ""); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// TestPasswordLoginAnswersAlike: an unknown number, a user without a
// password and a wrong password get the same error, and each costs exactly
// one argon2 verification (the timing side of "the same answer").
func TestPasswordLoginAnswersAlike(t *testing.T) {
	ctx := context.Background()
	s, db := newPasswordService(t, Options{})
	userWithPassword(t, s, db, "09121234567", "correct horse")
	userWithPassword(t, s, db, "09121234568", "")
	if s.dummy == "" {
		t.Fatal("New made no dummy hash")
	}

	var first *chelseru.Error
	for _, mobile := range []string{"09120000000", "09121234568", "09121234567"} {
		before := s.argon2Runs.Load()
		_, err := s.Authenticate(ctx, Login{Mobile: mobile, Password: "wrong password"})
		if runs := s.argon2Runs.Load() - before; runs != 1 {
			t.Errorf("%s: %d argon2 runs, want 1", mobile, runs)
		}
		var e *chelseru.Error
		if !errors.As(err, &e) || e.Code != chelseru.EUNAUTHORIZED || e.Key != "error" || e.Message != MsgPasswordIncorrect {
			t.Fatalf("%s: %v, want the incorrect-password 401", mobile, err)
		}
		if first == nil {
			first = e
		} else if e.Code != first.Code || e.Key != first.Key || e.Message != first.Message || e.RetryAfter != first.RetryAfter {
			t.Errorf("%s: answer %+v differs from %+v", mobile, e, first)
		}
	}
	before := s.argon2Runs.Load()
	if _, err := s.Authenticate(ctx, Login{Mobile: "09121234567", Password: "correct horse"}); err != nil {
		t.Fatalf("right password: %v", err)
	}
	if runs := s.argon2Runs.Load() - before; runs != 1 {
		t.Errorf("right password: %d argon2 runs, want 1", runs)
	}
}

// TestPasswordLoginRehashes: a hash made with other parameters is replaced
// by one with the current parameters at the next good login.
func TestPasswordLoginRehashes(t *testing.T) {
	ctx := context.Background()
	s, db := newPasswordService(t, Options{})
	u := userWithPassword(t, s, db, "09121234567", "")
	old := PasswordParams{Memory: 9 * 1024, Time: 2, Threads: 2, SaltLen: 8, KeyLen: 16}
	h, err := HashPassword("correct horse", old)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetPassword(ctx, u.ID, h); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, Login{Mobile: u.Mobile, Password: "correct horse"}); err != nil {
		t.Fatalf("login with an old-parameter hash: %v", err)
	}
	got, err := db.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	ok, params, err := VerifyPassword("correct horse", got.PasswordHash)
	if err != nil || !ok || params != cheap {
		t.Fatalf("stored hash %q: ok=%v params=%+v err=%v, want the current parameters %+v", got.PasswordHash, ok, params, err, cheap)
	}
	// A hash with the current parameters is left alone.
	if _, err := s.Authenticate(ctx, Login{Mobile: u.Mobile, Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	again, _ := db.GetUser(ctx, u.ID)
	if again.PasswordHash != got.PasswordHash {
		t.Error("a current hash was re-hashed")
	}
}

// TestPasswordHashSlots: with every argon2 slot taken, a login waits at most
// HashWait, is answered 503 and counts no attempt.
func TestPasswordHashSlots(t *testing.T) {
	ctx := context.Background()
	const maxAttempts = 3
	s, db := newPasswordService(t, Options{MaxConcurrentHashes: 2, HashWait: 20 * time.Millisecond, MaxAttempts: maxAttempts})
	userWithPassword(t, s, db, "09121234567", "correct horse")
	var releases []func()
	for range 2 {
		r, err := s.acquireHash(ctx)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, r)
	}
	for range maxAttempts + 1 {
		_, err := s.Authenticate(ctx, Login{Mobile: "09121234567", Password: "wrong password"})
		var e *chelseru.Error
		if !errors.As(err, &e) || e.Code != chelseru.EUNAVAILABLE || e.RetryAfter <= 0 || e.Message != MsgBusy {
			t.Fatalf("all slots taken: %v, want a 503 with Retry-After", err)
		}
	}
	if err := s.SetPassword(ctx, Principal{UserID: 1, AuthAt: time.Now()}, "another password", ""); chelseru.ErrorCode(err) != chelseru.EUNAVAILABLE {
		t.Fatalf("set password with all slots taken: %v", err)
	}
	for _, r := range releases {
		r()
	}
	// The 503s counted nothing: the budget is whole.
	for i := 1; i <= maxAttempts; i++ {
		_, err := s.Authenticate(ctx, Login{Mobile: "09121234567", Password: "wrong password"})
		want := chelseru.EUNAUTHORIZED
		if i == maxAttempts {
			want = chelseru.ETOOMANY
		}
		if got := chelseru.ErrorCode(err); got != want {
			t.Fatalf("wrong password %d: %v, want %s", i, err, want)
		}
	}
	if len(s.hashSlots) != 0 {
		t.Fatalf("%d slots still held", len(s.hashSlots))
	}
}

func TestPasswordMethodChecks(t *testing.T) {
	ctx := context.Background()
	s, _ := newPasswordService(t, Options{})
	cases := []struct {
		in    Login
		field string
		msg   string
	}{
		{Login{Mobile: "09121234567"}, "non_field_errors", MsgCodeOrPassword},
		{Login{Mobile: "09121234567", Code: "12345678", Password: "pw"}, "non_field_errors", MsgCodeAndPassword},
		{Login{Mobile: "09121234567", Password: strings.Repeat("x", MaxPasswordRunes+1)}, "password", "Ensure this field has no more than 128 characters."},
		{Login{Mobile: "12", Password: "pw"}, "mobile_number", MsgInvalidMobile},
	}
	for _, c := range cases {
		_, err := s.Authenticate(ctx, c.in)
		var e *chelseru.Error
		if !errors.As(err, &e) || e.Code != chelseru.EINVALID || len(e.Fields[c.field]) != 1 || e.Fields[c.field][0] != c.msg {
			t.Errorf("%+v: %v, want %s: %s", c.in, err, c.field, c.msg)
		}
	}
	// With OTP, a password is ignored and SetPassword does not exist.
	iss, _ := token.New(token.Config{SigningKey: []byte("0123456789abcdef0123456789abcdef")})
	otp, err := New(Options{}, Deps{Store: nilStore{}, Sender: nilSender{}, Tokens: iss, OTPKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if err := otp.SetPassword(ctx, Principal{UserID: 1}, "a good password", ""); chelseru.ErrorCode(err) != chelseru.ENOTFOUND {
		t.Errorf("OTP SetPassword: %v, want not found", err)
	}
	if _, err := New(Options{Method: "SMS"}, Deps{Store: nilStore{}, Sender: nilSender{}, Tokens: iss, OTPKey: make([]byte, 32)}); err == nil {
		t.Error("method SMS accepted")
	}
	if _, err := New(Options{PasswordParams: PasswordParams{Memory: 1}}, Deps{Store: nilStore{}, Sender: nilSender{}, Tokens: iss, OTPKey: make([]byte, 32)}); err == nil {
		t.Error("bad argon2 parameters accepted")
	}
}
