package host_test

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

// The abuse guards of issue 8, each over a real socket with real Badger.

const (
	bodyForbidden = `{"detail":"You do not have permission to perform this action."}`
	bodyBadAPIKey = `{"detail":"Invalid API key."}`
	bodyNotFound  = `{"error":"The code sent to this mobile number was not found."}`
)

// xff is the header pair that makes a request come from addr (the harness's
// peer, 127.0.0.1, being a trusted proxy in these tests).
func xff(addr string) []string { return []string{"X-Forwarded-For", addr} }

// behindProxy trusts the loopback proxy, so tests can choose client addresses.
func behindProxy(t testing.TB) func(*config) {
	return func(c *config) { c.host.TrustedProxies = trusted(t, "127.0.0.0/8") }
}

// metricLine reports whether /metrics has the exact sample line.
func (e *env) metricLine(line string) bool {
	e.t.Helper()
	r := e.get("/metrics", "")
	for _, l := range strings.Split(string(r.body), "\n") {
		if l == line {
			return true
		}
	}
	return false
}

// TestMessageSendCallers: by default only service clients (Api-Key) may send
// free text; a user's token gets 403 and nothing is sent; a missing or
// unknown key is a 401; every request is counted by caller and outcome; the
// key never reaches the log.
func TestMessageSendCallers(t *testing.T) {
	e := newEnv(t, func(c *config) { c.auth.UserMessages = false })
	a, _ := e.login(mobileA, 0)
	msg := map[string]any{"mobile_number": mobileB, "message_text": "Your bank code is 1234"}
	e.store.reset()
	sent := e.sms.count()

	r := e.sendMessage(a, msg)
	want(t, r, http.StatusForbidden, bodyForbidden)
	// Even an invalid body is refused for the caller first, as DRF checks
	// permissions before parsing.
	want(t, e.sendMessage(a, `{"broken`), http.StatusForbidden, bodyForbidden)
	if ev, _ := e.store.log(); len(ev) != 0 || e.sms.count() != sent {
		t.Fatalf("a refused user send was recorded or sent: %v", ev)
	}

	want(t, e.post("/api/message/send/", msg, "Authorization", "Api-Key not-a-key-of-ours-0123456789abcdef"), http.StatusUnauthorized, bodyBadAPIKey)
	want(t, e.post("/api/message/send/", msg, "Authorization", "Api-Key"), http.StatusUnauthorized, bodyBadAPIKey)
	want(t, e.post("/api/message/send/", msg, "Authorization", "Api-Key "+testServiceKey+"x"), http.StatusUnauthorized, bodyBadAPIKey)
	want(t, e.post("/api/message/send/", msg), http.StatusUnauthorized, bodyNoCredentials)
	if ev, _ := e.store.log(); len(ev) != 0 {
		t.Fatalf("a refused send was recorded: %v", ev)
	}

	r = e.post("/api/message/send/", msg, "Authorization", "Api-Key "+testServiceKey)
	want(t, r, http.StatusOK, "")
	if r.str("message_id") == "" || e.sms.count() != sent+1 {
		t.Fatalf("service send: %s, provider calls %d", r.body, e.sms.count()-sent)
	}
	_, id := e.store.log()
	m, err := e.db.GetMessage(context.Background(), id)
	if err != nil || m.UserID != 0 || m.Status != chelseru.MessageSent || m.Mobile != mobileB {
		t.Fatalf("service message stored as %+v, %v", m, err)
	}

	for _, line := range []string{
		`chelseru_sms_messages_total{caller="user",outcome="forbidden"} 2`,
		`chelseru_sms_messages_total{caller="service",outcome="refused"} 3`,
		`chelseru_sms_messages_total{caller="none",outcome="refused"} 1`,
		`chelseru_sms_messages_total{caller="service",outcome="ok"} 1`,
	} {
		if !e.metricLine(line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	if strings.Contains(e.logs.String(), testServiceKey) {
		t.Fatal("the service key reached the log")
	}
}

// TestUserMessagesLimited: with SMS.USER_MESSAGES on, each user may send
// USER_MESSAGES_PER_HOUR an hour (429 with Retry-After beyond; a 400 costs
// nothing); another user, and a service, are not affected; the next hour
// the user may send again.
func TestUserMessagesLimited(t *testing.T) {
	const perHour = 2
	e := newEnv(t, func(c *config) {
		c.auth.UserMessages = true
		c.auth.UserMessagesPerHour = perHour
		c.accessTTL = 3 * time.Hour
	})
	a, _ := e.login(mobileA, 0)
	b, _ := e.login(mobileB, 0)
	msg := map[string]any{"mobile_number": mobileC, "message_text": "hello"}
	want(t, e.sendMessage(a, map[string]any{"mobile_number": "0912", "message_text": "x"}), http.StatusBadRequest, "")
	for range perHour {
		want(t, e.sendMessage(a, msg), http.StatusOK, "")
	}
	sent := e.sms.count()
	r := e.sendMessage(a, msg)
	want(t, r, http.StatusTooManyRequests, "")
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 3600 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if e.sms.count() != sent {
		t.Fatal("a refused message reached the provider")
	}
	want(t, e.sendMessage(b, msg), http.StatusOK, "")
	for range perHour + 1 {
		want(t, e.post("/api/message/send/", msg, "Authorization", "Api-Key "+testServiceKey), http.StatusOK, "")
	}
	if !e.metricLine(`chelseru_sms_messages_total{caller="user",outcome="limited"} 1`) {
		t.Error("the refused send is not counted as limited")
	}
	e.clock.Advance(time.Hour)
	want(t, e.sendMessage(a, msg), http.StatusOK, "")
}

// TestAuthenticateLimitPerAddress: one address may try
// AUTHENTICATE_PER_IP_PER_HOUR logins an hour, whatever the numbers (429
// with Retry-After beyond); another address is not affected; the refresh
// endpoint has its own limit.
func TestAuthenticateLimitPerAddress(t *testing.T) {
	const perHour = 4
	e := newEnv(t, behindProxy(t), func(c *config) {
		c.auth.AuthenticatePerIPPerHour = perHour
		c.auth.RefreshPerIPPerHour = 2
	})
	sprayer := xff("203.0.113.50")
	for i := range perHour {
		mobile := "0912000000" + strconv.Itoa(i)
		want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobile, "code": "12345678"}, sprayer...), http.StatusUnauthorized, bodyNotFound)
	}
	r := e.post("/api/authenticate/", map[string]any{"mobile_number": "09120000009", "code": "12345678"}, sprayer...)
	want(t, r, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// Nothing was checked for the refused try: a real login from elsewhere
	// works, and the sprayer stays refused even with a right code.
	code := e.sendOTP(mobileA, xff("198.51.100.1")...)
	want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code}, sprayer...), http.StatusTooManyRequests, "")
	r = e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code}, xff("198.51.100.1")...)
	want(t, r, http.StatusOK, "")
	refresh := r.str("refresh")

	for range 2 {
		r = e.post("/api/token/refresh/", map[string]any{"refresh": refresh}, xff("198.51.100.1")...)
		want(t, r, http.StatusOK, "")
		refresh = r.str("refresh")
	}
	want(t, e.post("/api/token/refresh/", map[string]any{"refresh": refresh}, xff("198.51.100.1")...), http.StatusTooManyRequests, "")
	// The refused refresh did not use up the token: from another address it works.
	want(t, e.post("/api/token/refresh/", map[string]any{"refresh": refresh}, xff("198.51.100.2")...), http.StatusOK, "")

	e.clock.Advance(time.Hour)
	want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": "09120000009", "code": "12345678"}, sprayer...), http.StatusUnauthorized, bodyNotFound)
}

// TestStrangerCannotLockOutOwner: a stranger's wrong codes, from one address
// or many, lock out only the stranger and never burn the owner's code; the
// owner then logs in with it. The owner's own wrong codes still burn it.
func TestStrangerCannotLockOutOwner(t *testing.T) {
	const n = 3
	e := newEnv(t, behindProxy(t), func(c *config) { c.auth.MaxAttempts = n })
	owner := xff("198.51.100.7")
	code := e.sendOTP(mobileA, owner...)
	wrong := "00000000"
	if wrong == code {
		wrong = "11111111"
	}
	for _, addr := range []string{"203.0.113.1", "203.0.113.2", "2001:db8::1"} {
		stranger := xff(addr)
		for i := 1; i < n; i++ {
			want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": wrong}, stranger...), http.StatusUnauthorized, bodyNotFound)
		}
		r := e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": wrong}, stranger...)
		want(t, r, http.StatusTooManyRequests, "")
		if r.header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		// Locked out: even the right code is refused from the stranger's
		// address, so the lock cannot be used to test guesses.
		want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code}, stranger...), http.StatusTooManyRequests, "")
	}
	// The same /64 is one address: another host in it is locked out too.
	want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": wrong}, xff("2001:db8::2")...), http.StatusTooManyRequests, "")

	// The owner, after all that, logs in with the code.
	want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code}, owner...), http.StatusOK, "")

	// The owner's own wrong codes still burn the owner's code.
	code = e.sendOTP(mobileA, owner...)
	for i := 1; i < n; i++ {
		want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": wrong}, owner...), http.StatusUnauthorized, bodyNotFound)
	}
	want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": wrong}, owner...), http.StatusTooManyRequests,
		`{"detail":"Too many wrong codes for this mobile number. Request a new code."}`)
	want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code}, owner...), http.StatusTooManyRequests, "")
	// A new code starts the owner's budget again.
	code = e.sendOTP(mobileA, owner...)
	want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code}, owner...), http.StatusOK, "")
}

// TestStrangerSendsCannotStopOwner: a stranger who uses up a number's shared
// hourly sends (asking for codes and burning them) cannot stop the owner from
// getting a code: the owner's address has its own share. The owner can also
// log in with a code the stranger asked for (it reached the owner's phone).
func TestStrangerSendsCannotStopOwner(t *testing.T) {
	const shared, share, n = 2, 2, 3
	e := newEnv(t, behindProxy(t), func(c *config) {
		c.auth.MaxAttempts = n
		c.auth.SendsPerNumberPerHour = shared
		c.auth.SendsPerNumberPerIPPerHour = share
	})
	stranger, owner := xff("203.0.113.9"), xff("198.51.100.7")
	wrongFor := func(code string) string {
		if code == "00000000" {
			return "11111111"
		}
		return "00000000"
	}
	// The stranger asks for codes to the owner's number and burns each.
	for range shared + share {
		code := e.sendOTP(mobileA, stranger...)
		for range n {
			e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": wrongFor(code)}, stranger...)
		}
	}
	r := e.post("/api/otp/send/", map[string]any{"mobile_number": mobileA}, stranger...)
	want(t, r, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// The number's shared budget is gone, but the owner gets a code and
	// logs in.
	code := e.sendOTP(mobileA, owner...)
	want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code}, owner...), http.StatusOK, "")

	// A code the stranger asked for works for the owner, whose address is a
	// stranger to it, even after the stranger's own wrong tries on it.
	e.clock.Advance(time.Hour) // new windows for everyone
	code = e.sendOTP(mobileB, stranger...)
	for range n - 1 {
		want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileB, "code": wrongFor(code)}, xff("203.0.113.10")...), http.StatusUnauthorized, bodyNotFound)
	}
	want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileB, "code": code}, owner...), http.StatusOK, "")
}

// TestPasswordChangeNeedsFreshProof: setting a password needs the current
// one or a login less than 5 minutes old (403 otherwise); a wrong current
// password is a 400; a change signs out every other session of the user
// (their tokens get 401) and keeps the caller's.
func TestPasswordChangeNeedsFreshProof(t *testing.T) {
	e := newEnv(t, passwd, func(c *config) { c.accessTTL = time.Hour })
	a, _ := e.login(mobileA, 0)
	b, bRefresh := e.login(mobileA, 0)

	// Fresh: a password is set without a current one; b is signed out.
	want(t, e.setPassword(a, map[string]any{"password": goodPassword}), http.StatusNoContent, "")
	want(t, e.get("/api/sessions/", b), http.StatusUnauthorized, bodyInvalid)
	want(t, e.post("/api/token/refresh/", map[string]any{"refresh": bRefresh}), http.StatusUnauthorized, "")
	r := e.get("/api/sessions/", a)
	want(t, r, http.StatusOK, "")
	if len(r.arr) != 1 {
		t.Fatalf("sessions after the change: %s", r.body)
	}

	// Stale: a login 6 minutes old cannot change it without the current one.
	c := e.passwordLogin(mobileA, goodPassword, 0)
	want(t, c, http.StatusOK, "")
	cAccess := c.str("access")
	e.clock.Advance(6 * time.Minute)
	r = e.setPassword(a, map[string]any{"password": otherPassword})
	want(t, r, http.StatusForbidden, "")
	if !strings.Contains(r.str("detail"), "current_password") {
		t.Fatalf("403 body %s", r.body)
	}
	want(t, e.setPassword(a, map[string]any{"password": otherPassword, "current_password": "not the password"}), http.StatusBadRequest,
		`{"current_password":["Your old password was entered incorrectly. Please enter it again."]}`)
	want(t, e.passwordLogin(mobileA, otherPassword, 0), http.StatusUnauthorized, bodyIncorrect)

	// With the current password: changed, and c (a password login) is
	// signed out, a is not.
	want(t, e.setPassword(a, map[string]any{"password": otherPassword, "current_password": goodPassword}), http.StatusNoContent, "")
	want(t, e.get("/api/sessions/", cAccess), http.StatusUnauthorized, bodyInvalid)
	want(t, e.get("/api/sessions/", a), http.StatusOK, "")
	want(t, e.passwordLogin(mobileA, otherPassword, 0), http.StatusOK, "")

	// A new login by code is fresh again (a code proves the phone).
	d, _ := e.login(mobileA, 0)
	want(t, e.setPassword(d, map[string]any{"password": goodPassword}), http.StatusNoContent, "")
	want(t, e.get("/api/sessions/", a), http.StatusUnauthorized, bodyInvalid)
}

// TestGroupBounded: group must be 0..2^31-1 (DRF's messages); -1 and 2^63-1
// are refused before any code is looked at.
func TestGroupBounded(t *testing.T) {
	e := newEnv(t)
	code := e.sendOTP(mobileA)
	for _, tc := range []struct {
		group any
		want  string
	}{
		{-1, `{"group":["Ensure this value is greater than or equal to 0."]}`},
		{int64(math.MaxInt64), `{"group":["Ensure this value is less than or equal to 2147483647."]}`},
		{"9223372036854775807", `{"group":["Ensure this value is less than or equal to 2147483647."]}`},
		{2147483648, `{"group":["Ensure this value is less than or equal to 2147483647."]}`},
	} {
		want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code, "group": tc.group}), http.StatusBadRequest, tc.want)
	}
	// The code was not touched: it still logs in, at the largest group.
	want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code, "group": 2147483647}), http.StatusOK, "")
}
