package host_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru/auth"
)

const (
	bodyIncorrect = `{"error":"Mobile number or password is incorrect."}`
	bodyLocked900 = `{"detail":"Too many wrong passwords for this mobile number. Expected available in 900 seconds."}`
	msgShort      = "This password is too short. It must contain at least 8 characters."
	msgNumeric    = "This password is entirely numeric."
	goodPassword  = "correct horse battery"
	otherPassword = "Tr0ub4dor&3 elsewhere"
)

// cheapArgon2 keeps the many hashes of these tests fast (under -race too);
// TestPasswordStoredFormat checks the default parameters.
var cheapArgon2 = auth.PasswordParams{Memory: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// passwd configures the PASSWD method with cheap hashing.
func passwd(c *config) {
	c.auth.Method = auth.MethodPasswd
	c.auth.PasswordParams = cheapArgon2
}

// secrets are strings no response body and no log line may carry.
var secrets = []string{goodPassword, otherPassword, "$argon2id$", "argon2id$v="}

// checkNoSecrets fails when r's body or the logs so far carry a password or
// a hash.
func (e *env) checkNoSecrets(r resp) {
	e.t.Helper()
	for _, s := range secrets {
		if strings.Contains(string(r.body), s) {
			e.t.Errorf("response carries %q: %s", s, r.body)
		}
		if strings.Contains(e.logs.String(), s) {
			e.t.Errorf("logs carry %q", s)
		}
	}
}

// setPassword posts body to /api/password/set/ with access ("" for none).
func (e *env) setPassword(access string, body any) resp {
	e.t.Helper()
	var hdr []string
	if access != "" {
		hdr = []string{"Authorization", "Bearer " + access}
	}
	r := e.post("/api/password/set/", body, hdr...)
	e.checkNoSecrets(r)
	return r
}

// passwordLogin posts mobile and password (and group) to /api/authenticate/.
func (e *env) passwordLogin(mobile, password string, group int64) resp {
	e.t.Helper()
	r := e.post("/api/authenticate/", map[string]any{"mobile_number": mobile, "password": password, "group": group})
	e.checkNoSecrets(r)
	return r
}

func TestPasswordSet(t *testing.T) {
	e := newEnv(t, passwd)
	access, refresh := e.login(mobileA, 0)

	// 401 without or with a bad token, whatever the body.
	r := e.setPassword("", map[string]any{"password": goodPassword})
	want(t, r, http.StatusUnauthorized, bodyNoCredentials)
	if r.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	want(t, e.setPassword("abc.def.ghi", map[string]any{"password": goodPassword}), http.StatusUnauthorized, bodyInvalid)
	want(t, e.setPassword(refresh, map[string]any{"password": goodPassword}), http.StatusUnauthorized, bodyWrongType)
	want(t, e.setPassword("", `{"password":`), http.StatusUnauthorized, bodyNoCredentials)

	cases := []struct {
		name, ctype, body string
		want              string
	}{
		{"missing", "", `{}`, `{"password":["This field is required."]}`},
		{"empty body", "", ``, `{"password":["This field is required."]}`},
		{"blank", "", `{"password":""}`, `{"password":["This field may not be blank."]}`},
		{"null", "", `{"password":null}`, `{"password":["This field may not be null."]}`},
		{"bool", "", `{"password":true}`, `{"password":["Not a valid string."]}`},
		{"list", "", `{"password":["a","b"]}`, `{"password":["Not a valid string."]}`},
		{"short", "", `{"password":"abc"}`, `{"password":["` + msgShort + `"]}`},
		{"7 characters", "", `{"password":"abcdefg"}`, `{"password":["` + msgShort + `"]}`},
		{"short and numeric", "", `{"password":"1234"}`, `{"password":["` + msgShort + `","` + msgNumeric + `"]}`},
		{"numeric", "", `{"password":"12345678"}`, `{"password":["` + msgNumeric + `"]}`},
		{"numeric as a JSON number", "", `{"password":123456789}`, `{"password":["` + msgNumeric + `"]}`},
		{"persian digits", "", `{"password":"۱۲۳۴۵۶۷۸۹"}`, `{"password":["` + msgNumeric + `"]}`},
		{"129 characters", "", `{"password":"` + strings.Repeat("ب", 129) + `"}`, `{"password":["Ensure this field has no more than 128 characters."]}`},
		{"nul char", "", `{"password":"abc\u0000defgh"}`, `{"password":["Null characters are not allowed."]}`},
		{"form short", "application/x-www-form-urlencoded", `password=abc`, `{"password":["` + msgShort + `"]}`},
		{"malformed", "", `{"password":"abc",}`, `{"detail":"JSON parse error - Expecting property name enclosed in double quotes: line 1 column 19 (char 18)"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(req{method: http.MethodPost, path: "/api/password/set/", ctype: c.ctype, body: c.body,
				header: map[string]string{"Authorization": "Bearer " + access}})
			want(t, r, http.StatusBadRequest, c.want)
		})
	}
	u, err := e.db.FindUser(context.Background(), 0, mobileA)
	if err != nil || u.PasswordHash != "" {
		t.Fatalf("refused passwords stored a hash: %q %v", u.PasswordHash, err)
	}

	// 204 with no body: JSON, then a change by form; 128 characters is fine.
	r = e.setPassword(access, map[string]any{"password": otherPassword})
	want(t, r, http.StatusNoContent, "")
	if len(r.body) != 0 {
		t.Fatalf("204 with a body: %s", r.body)
	}
	r = e.do(req{method: http.MethodPost, path: "/api/password/set/", ctype: "application/x-www-form-urlencoded",
		body: "password=" + url.QueryEscape(goodPassword), header: map[string]string{"Authorization": "Bearer " + access}})
	want(t, r, http.StatusNoContent, "")
	want(t, e.passwordLogin(mobileA, otherPassword, 0), http.StatusUnauthorized, bodyIncorrect)
	want(t, e.passwordLogin(mobileA, goodPassword, 0), http.StatusOK, "")
	want(t, e.setPassword(access, map[string]any{"password": strings.Repeat("ب", 128)}), http.StatusNoContent, "")
	want(t, e.passwordLogin(mobileA, strings.Repeat("ب", 128), 0), http.StatusOK, "")

	// White space is part of a password (it is not trimmed, as Django's
	// password fields do not).
	want(t, e.setPassword(access, map[string]any{"password": "  spaced  "}), http.StatusNoContent, "")
	want(t, e.passwordLogin(mobileA, "spaced", 0), http.StatusUnauthorized, bodyIncorrect)
	want(t, e.passwordLogin(mobileA, "  spaced  ", 0), http.StatusOK, "")

	// Only the caller's own user is changed.
	b, _ := e.login(mobileB, 0)
	want(t, e.setPassword(b, map[string]any{"password": otherPassword}), http.StatusNoContent, "")
	want(t, e.passwordLogin(mobileA, otherPassword, 0), http.StatusUnauthorized, bodyIncorrect)
	want(t, e.passwordLogin(mobileB, otherPassword, 0), http.StatusOK, "")
	e.checkNoSecrets(resp{})
}

// TestPasswordStoredFormat: with the default parameters the store holds an
// argon2id PHC string with m=19456,t=2,p=1, a 16-byte salt and a 32-byte
// key, and never the password.
func TestPasswordStoredFormat(t *testing.T) {
	e := newEnv(t, func(c *config) { c.auth.Method = auth.MethodPasswd })
	access, _ := e.login(mobileA, 0)
	want(t, e.setPassword(access, map[string]any{"password": goodPassword}), http.StatusNoContent, "")
	u, err := e.db.FindUser(context.Background(), 0, mobileA)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(u.PasswordHash) {
		t.Fatalf("stored hash %q is not an argon2id PHC string with the default parameters", u.PasswordHash)
	}
	if strings.Contains(u.PasswordHash, goodPassword) {
		t.Fatal("the stored hash contains the password")
	}
	if ok, _, err := auth.VerifyPassword(goodPassword, u.PasswordHash); !ok || err != nil {
		t.Fatalf("stored hash does not verify: %v %v", ok, err)
	}
	want(t, e.passwordLogin(mobileA, goodPassword, 0), http.StatusOK, "")
}

func TestPasswordLogin(t *testing.T) {
	ua := "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36"
	e := newEnv(t, passwd)
	access, _ := e.login(mobileA, 0)
	want(t, e.setPassword(access, map[string]any{"password": goodPassword}), http.StatusNoContent, "")
	e.login(mobileB, 0) // a user without a password

	// Any accepted form of the number, and a session is recorded.
	r := e.do(req{method: http.MethodPost, path: "/api/authenticate/",
		body:   `{"mobile_number":"+98 912 123 4567","password":"` + goodPassword + `"}`,
		header: map[string]string{"User-Agent": ua}})
	want(t, r, http.StatusOK, "")
	e.checkNoSecrets(r)
	if len(r.obj) != 2 || r.str("access") == "" || r.str("refresh") == "" {
		t.Fatalf("tokens body %s", r.body)
	}
	s := e.get("/api/sessions/", r.str("access"))
	want(t, s, http.StatusOK, "")
	if len(s.arr) != 2 {
		t.Fatalf("sessions after a code and a password login: %s", s.body)
	}
	newest := s.arr[0].(map[string]any)
	if newest["current"] != true || newest["user_agent"] != ua || newest["browser"] != "Chrome 118" || newest["ip_address"] != "127.0.0.1" {
		t.Fatalf("password session %v", newest)
	}
	// The refresh token works as any other.
	want(t, e.post("/api/token/refresh/", map[string]any{"refresh": r.str("refresh")}), http.StatusOK, "")
	// Form bodies too, with Persian digits in the number.
	r = e.do(req{method: http.MethodPost, path: "/api/authenticate/", ctype: "application/x-www-form-urlencoded",
		body: "mobile_number=" + url.QueryEscape(persian(mobileA)) + "&password=" + url.QueryEscape(goodPassword)})
	want(t, r, http.StatusOK, "")

	// A wrong password, an unknown number, a user without a password, and
	// another group's (unknown) user: one answer.
	for _, c := range []struct {
		mobile, pw string
		group      int64
	}{
		{mobileA, "wrong password", 0},
		{mobileA, strings.ToUpper(goodPassword), 0},
		{mobileC, goodPassword, 0},
		{mobileB, goodPassword, 0},
		{mobileA, goodPassword, 7},
	} {
		want(t, e.passwordLogin(c.mobile, c.pw, c.group), http.StatusUnauthorized, bodyIncorrect)
	}
	e.checkNoSecrets(resp{})
}

func TestPasswordAuthenticateValidation(t *testing.T) {
	e := newEnv(t, passwd)
	cases := []struct {
		name, ctype, body string
		status            int
		want              string
	}{
		{"neither code nor password", "", `{"mobile_number":"09121234567"}`, 400, `{"non_field_errors":["Provide either a code or a password."]}`},
		{"blank password", "", `{"mobile_number":"09121234567","password":""}`, 400, `{"non_field_errors":["Provide either a code or a password."]}`},
		{"both", "", `{"mobile_number":"09121234567","code":"12345678","password":"secret pw"}`, 400, `{"non_field_errors":["Provide either a code or a password, not both."]}`},
		{"nothing", "", `{}`, 400, `{"mobile_number":["This field is required."]}`},
		{"password not a string", "", `{"mobile_number":"09121234567","password":{"a":1}}`, 400, `{"password":["Not a valid string."]}`},
		{"password null", "", `{"mobile_number":"09121234567","password":null}`, 400, `{"password":["This field may not be null."]}`},
		{"password too long", "", `{"mobile_number":"09121234567","password":"` + strings.Repeat("x", 129) + `"}`, 400, `{"password":["Ensure this field has no more than 128 characters."]}`},
		{"bad mobile", "", `{"mobile_number":"12","password":"secret pw"}`, 400, `{"mobile_number":["Enter a valid mobile number."]}`},
		{"bad group", "", `{"mobile_number":"09121234567","password":"secret pw","group":"x"}`, 400, `{"group":["A valid integer is required."]}`},
		{"short password: no policy at login", "", `{"mobile_number":"09121234567","password":"1"}`, 401, bodyIncorrect},
		{"form", "application/x-www-form-urlencoded", `mobile_number=09121234567&password=secret+pw`, 401, bodyIncorrect},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(req{method: http.MethodPost, path: "/api/authenticate/", ctype: c.ctype, body: c.body})
			want(t, r, c.status, c.want)
		})
	}
}

// TestPasswordCodesStillWork: with PASSWD, codes log in as before: the
// first login, and a forgotten password.
func TestPasswordCodesStillWork(t *testing.T) {
	e := newEnv(t, passwd)
	access, _ := e.login(mobileA, 0)
	want(t, e.setPassword(access, map[string]any{"password": goodPassword}), http.StatusNoContent, "")
	// Forgotten password: a code, then a new password.
	code := e.sendOTP(mobileA)
	r := e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code})
	want(t, r, http.StatusOK, "")
	want(t, e.setPassword(r.str("access"), map[string]any{"password": otherPassword}), http.StatusNoContent, "")
	want(t, e.passwordLogin(mobileA, goodPassword, 0), http.StatusUnauthorized, bodyIncorrect)
	want(t, e.passwordLogin(mobileA, otherPassword, 0), http.StatusOK, "")
	// Wrong codes still answer as before.
	r = e.post("/api/authenticate/", map[string]any{"mobile_number": mobileB, "code": "12345678"})
	want(t, r, http.StatusUnauthorized, `{"error":"The code sent to this mobile number was not found."}`)
}

// TestPasswordLockout: the MaxAttempts-th wrong password in a row locks the
// number for 15 minutes (429 with Retry-After), the right password
// included; a right password before that resets the count.
func TestPasswordLockout(t *testing.T) {
	const n = 4
	e := newEnv(t, passwd, func(c *config) { c.auth.MaxAttempts = n })
	access, _ := e.login(mobileA, 0)
	want(t, e.setPassword(access, map[string]any{"password": goodPassword}), http.StatusNoContent, "")

	// A right password before the N-th resets the count.
	for range n - 1 {
		want(t, e.passwordLogin(mobileA, "wrong password", 0), http.StatusUnauthorized, bodyIncorrect)
	}
	want(t, e.passwordLogin(mobileA, goodPassword, 0), http.StatusOK, "")
	for range n - 1 {
		want(t, e.passwordLogin(mobileA, "wrong password", 0), http.StatusUnauthorized, bodyIncorrect)
	}
	// The N-th in a row: 429 for 15 minutes.
	r := e.passwordLogin(mobileA, "wrong password", 0)
	want(t, r, http.StatusTooManyRequests, bodyLocked900)
	if got := r.header.Get("Retry-After"); got != "900" {
		t.Fatalf("Retry-After %q, want 900", got)
	}
	// Every attempt during the lock, the right password included, any group.
	e.clock.Advance(10 * time.Minute)
	for _, pw := range []string{goodPassword, "wrong password"} {
		r = e.passwordLogin(mobileA, pw, 0)
		want(t, r, http.StatusTooManyRequests, `{"detail":"Too many wrong passwords for this mobile number. Expected available in 300 seconds."}`)
		if got := r.header.Get("Retry-After"); got != "300" {
			t.Fatalf("Retry-After %q, want 300", got)
		}
	}
	want(t, e.passwordLogin(mobileA, goodPassword, 3), http.StatusTooManyRequests, "")
	// Codes are not locked: a code proves the phone.
	code := e.sendOTP(mobileA)
	want(t, e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code}), http.StatusOK, "")
	e.clock.Advance(5*time.Minute - time.Second)
	r = e.passwordLogin(mobileA, goodPassword, 0)
	want(t, r, http.StatusTooManyRequests, "")
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Fatalf("Retry-After %q, want 1", got)
	}
	// After 15 minutes the right password works, and the count starts afresh.
	e.clock.Advance(time.Second)
	want(t, e.passwordLogin(mobileA, goodPassword, 0), http.StatusOK, "")
	for range n - 1 {
		want(t, e.passwordLogin(mobileA, "wrong password", 0), http.StatusUnauthorized, bodyIncorrect)
	}
	want(t, e.passwordLogin(mobileA, "wrong password", 0), http.StatusTooManyRequests, bodyLocked900)

	// Setting a new password (with a valid token) lifts the lock.
	access, _ = e.login(mobileA, 0)
	want(t, e.setPassword(access, map[string]any{"password": otherPassword}), http.StatusNoContent, "")
	want(t, e.passwordLogin(mobileA, otherPassword, 0), http.StatusOK, "")
	e.checkNoSecrets(resp{})
}

// TestPasswordLockoutUnknownNumber: an unknown number locks exactly as a
// known one, so the lockout does not tell them apart either.
func TestPasswordLockoutUnknownNumber(t *testing.T) {
	const n = 3
	e := newEnv(t, passwd, func(c *config) { c.auth.MaxAttempts = n })
	access, _ := e.login(mobileA, 0)
	want(t, e.setPassword(access, map[string]any{"password": goodPassword}), http.StatusNoContent, "")
	for _, mobile := range []string{mobileA, mobileC} {
		for range n - 1 {
			want(t, e.passwordLogin(mobile, "wrong password", 0), http.StatusUnauthorized, bodyIncorrect)
		}
		r := e.passwordLogin(mobile, "wrong password", 0)
		want(t, r, http.StatusTooManyRequests, bodyLocked900)
		if r.header.Get("Retry-After") != "900" {
			t.Fatalf("%s: Retry-After %q", mobile, r.header.Get("Retry-After"))
		}
	}
	// Another number is not affected.
	want(t, e.passwordLogin(mobileB, "wrong password", 0), http.StatusUnauthorized, bodyIncorrect)
}

// TestPasswordLockoutConcurrent: guesses sent at once still get at most
// MaxAttempts tries checked; the rest are 429, and the number is locked.
func TestPasswordLockoutConcurrent(t *testing.T) {
	const n, guesses = 5, 24
	e := newEnv(t, passwd, func(c *config) { c.auth.MaxAttempts = n })
	access, _ := e.login(mobileA, 0)
	want(t, e.setPassword(access, map[string]any{"password": goodPassword}), http.StatusNoContent, "")
	type result struct {
		status int
		err    error
	}
	out := make(chan result, guesses)
	for range guesses {
		go func() {
			r, err := e.roundTrip(req{method: http.MethodPost, path: "/api/authenticate/",
				body: `{"mobile_number":"` + mobileA + `","password":"wrong password"}`})
			out <- result{r.status, err}
		}()
	}
	statuses := map[int]int{}
	for range guesses {
		r := <-out
		if r.err != nil {
			t.Fatal(r.err)
		}
		statuses[r.status]++
	}
	if statuses[http.StatusUnauthorized] > n-1 || statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests] != guesses {
		t.Fatalf("%d concurrent wrong passwords (limit %d): %v", guesses, n, statuses)
	}
	want(t, e.passwordLogin(mobileA, goodPassword, 0), http.StatusTooManyRequests, "")
}

// TestPasswordOTPMethod: with AUTH_METHOD OTP, /api/password/set/ does not
// exist and a password field is ignored, as the original's serializer
// ignores unknown fields.
func TestPasswordOTPMethod(t *testing.T) {
	e := newEnv(t)
	access, _ := e.login(mobileA, 0)
	for _, r := range []resp{
		e.setPassword(access, map[string]any{"password": goodPassword}),
		e.setPassword("", map[string]any{"password": goodPassword}),
		e.get("/api/password/set/", access),
	} {
		want(t, r, http.StatusNotFound, `{"detail":"Not found."}`)
	}
	u, err := e.db.FindUser(context.Background(), 0, mobileA)
	if err != nil || u.PasswordHash != "" {
		t.Fatalf("OTP method stored a password: %q %v", u.PasswordHash, err)
	}
	r := e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "password": goodPassword})
	want(t, r, http.StatusBadRequest, `{"code":["This field is required."]}`)
	r = e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "password": true, "code": "1"})
	want(t, r, http.StatusUnauthorized, `{"error":"The code sent to this mobile number was not found."}`)
	code := e.sendOTP(mobileA)
	r = e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code, "password": "ignored"})
	want(t, r, http.StatusOK, "")
}

// TestPasswordSetMethodNotAllowed: with PASSWD, the route answers only POST.
func TestPasswordSetMethodNotAllowed(t *testing.T) {
	e := newEnv(t, passwd)
	access, _ := e.login(mobileA, 0)
	r := e.get("/api/password/set/", access)
	want(t, r, http.StatusMethodNotAllowed, `{"detail":"Method \"GET\" not allowed."}`)
	if r.header.Get("Allow") != "POST" {
		t.Fatalf("Allow %q", r.header.Get("Allow"))
	}
}
