package host_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	mobileA = "09121234567"
	mobileB = "09351112233"
	mobileC = "09199998877"
)

func TestOTPSendAndLogin(t *testing.T) {
	e := newEnv(t)
	ua := "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Mobile Safari/537.36"
	code := e.sendOTP("+98 912 123 4567")
	if len(code) != 8 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("code %q is not 8 digits", code)
	}
	r := e.post("/api/authenticate/", map[string]any{"mobile_number": "۰۹۱۲۱۲۳۴۵۶۷", "code": code}, "User-Agent", ua)
	want(t, r, http.StatusOK, "")
	if len(r.obj) != 2 || r.str("access") == "" || r.str("refresh") == "" {
		t.Fatalf("tokens body %s", r.body)
	}
	u, err := e.db.FindUser(context.Background(), 0, mobileA)
	if err != nil {
		t.Fatalf("user G0-%s not created: %v", mobileA, err)
	}
	if u.Username() != "G0-"+mobileA {
		t.Fatalf("username %q", u.Username())
	}

	// The code is used up.
	r = e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code})
	want(t, r, http.StatusUnauthorized, `{"error":"The code sent to this mobile number was not found."}`)

	s := e.get("/api/sessions/", r0(e, ua))
	want(t, s, http.StatusOK, "")
	if len(s.arr) != 2 {
		t.Fatalf("sessions %s", s.body)
	}
	first := s.arr[0].(map[string]any)
	for _, k := range []string{"id", "user_agent", "ip_address", "device", "browser", "created_at", "last_seen", "current"} {
		if _, ok := first[k]; !ok {
			t.Errorf("session has no %q: %v", k, first)
		}
	}
	if first["ip_address"] != "127.0.0.1" || first["user_agent"] != ua {
		t.Errorf("session %v", first)
	}
	if first["device"] != "Pixel 7" || !strings.Contains(first["browser"].(string), "Chrome") { // ua-parser's device.family, as the original
		t.Errorf("device/browser not parsed: %v", first)
	}
	if _, err := time.Parse(time.RFC3339Nano, first["created_at"].(string)); err != nil {
		t.Errorf("created_at: %v", err)
	}
}

// r0 logs mobileA in again with ua and returns the access token.
func r0(e *env, ua string) string {
	a, _ := e.login(mobileA, 0, "User-Agent", ua)
	return a
}

func TestOTPSendValidation(t *testing.T) {
	e := newEnv(t)
	const invalid = `{"mobile_number":["Enter a valid mobile number."]}`
	cases := []struct {
		name, ctype, body string
		status            int
		want              string
	}{
		{"missing", "", `{}`, 400, `{"mobile_number":["This field is required."]}`},
		{"empty body", "", "", 400, `{"mobile_number":["This field is required."]}`},
		{"empty string", "", `{"mobile_number":""}`, 400, `{"mobile_number":["This field may not be blank."]}`},
		{"spaces", "", `{"mobile_number":"   "}`, 400, `{"mobile_number":["This field may not be blank."]}`},
		{"null", "", `{"mobile_number":null}`, 400, `{"mobile_number":["This field may not be null."]}`},
		{"bool", "", `{"mobile_number":true}`, 400, `{"mobile_number":["Not a valid string."]}`},
		{"object", "", `{"mobile_number":{"a":1}}`, 400, `{"mobile_number":["Not a valid string."]}`},
		{"list", "", `{"mobile_number":["09121234567"]}`, 400, `{"mobile_number":["Not a valid string."]}`},
		{"too short", "", `{"mobile_number":"0912123456"}`, 400, invalid},
		{"landline", "", `{"mobile_number":"02188776655"}`, 400, invalid},
		{"letters", "", `{"mobile_number":"0912abc4567"}`, 400, invalid},
		{"huge", "", `{"mobile_number":"` + strings.Repeat("9", 5000) + `"}`, 400, invalid},
		{"nul char", "", `{"mobile_number":"0912\u00001234567"}`, 400, `{"mobile_number":["Null characters are not allowed."]}`},
		{"number as string (DRF CharField)", "", `{"mobile_number":9121234560}`, 200, ""},
		{"persian digits", "", `{"mobile_number":"۰۹۱۲۱۲۳۴۵۶۱"}`, 200, ""},
		{"arabic-indic digits", "", `{"mobile_number":"٠٩١٢١٢٣٤٥٦٢"}`, 200, ""},
		{"escaped persian digits", "", `{"mobile_number":"\u06f0\u06f9\u06f1\u06f2\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f3"}`, 200, ""},
		{"0098", "", `{"mobile_number":"00989121234564"}`, 200, ""},
		{"unknown keys ignored", "", `{"x":[1,{"y":null}],"mobile_number":"09121234565"}`, 200, ""},
		{"form body", "application/x-www-form-urlencoded", "mobile_number=%2B989121234566", 200, ""},
		{"form persian", "application/x-www-form-urlencoded; charset=utf-8", "mobile_number=" + "%DB%B0%DB%B9%DB%B1%DB%B2%DB%B1%DB%B2%DB%B3%DB%B4%DB%B5%DB%B6%DB%B7", 200, ""},
		{"form missing", "application/x-www-form-urlencoded", "other=1", 400, `{"mobile_number":["This field is required."]}`},
		{"json charset", "application/json; charset=utf-8", `{"mobile_number":"09121234568"}`, 200, ""},
		{"malformed json", "", `{"mobile_number":`, 400, `{"detail":"JSON parse error - Expecting value: line 1 column 18 (char 17)"}`},
		{"malformed json 2", "", `{"mobile_number" "0912"}`, 400, `{"detail":"JSON parse error - Expecting ':' delimiter: line 1 column 18 (char 17)"}`},
		{"trailing comma", "", `{"mobile_number":"09121234567",}`, 400, `{"detail":"JSON parse error - Expecting property name enclosed in double quotes: line 1 column 32 (char 31)"}`},
		{"single quotes", "", `{'mobile_number':'0912'}`, 400, `{"detail":"JSON parse error - Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"}`},
		{"extra data", "", `{} {}`, 400, `{"detail":"JSON parse error - Extra data: line 1 column 4 (char 3)"}`},
		{"bad utf-8", "", "{\"mobile_number\":\"09\xff\"}", 400, `{"detail":"JSON parse error - Invalid UTF-8: line 1 column 21 (char 20)"}`},
		{"deep nesting", "", `{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, 400, `{"detail":"JSON parse error - Nesting too deep: line 1 column 38 (char 37)"}`},
		{"list body", "", `["09121234567"]`, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
		{"string body", "", `"09121234567"`, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}`},
		{"text/plain", "text/plain", `mobile_number=09121234567`, 415, `{"detail":"Unsupported media type \"text/plain\" in request."}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(req{method: http.MethodPost, path: "/api/otp/send/", ctype: c.ctype, body: c.body})
			want(t, r, c.status, c.want)
		})
	}
}

func TestOTPConflictSeconds(t *testing.T) {
	e := newEnv(t, func(c *config) { c.auth.SendsPerNumberPerHour = 2 })
	e.sendOTP(mobileA)
	r := e.post("/api/otp/send/", map[string]any{"mobile_number": mobileA})
	want(t, r, http.StatusConflict, `{"details":"An OTP code has already been sent. Please wait 240 seconds before trying again."}`)
	e.clock.Advance(100*time.Second + 500*time.Millisecond)
	for range 3 {
		r = e.post("/api/otp/send/", map[string]any{"mobile_number": "+989121234567"})
		want(t, r, http.StatusConflict, `{"details":"An OTP code has already been sent. Please wait 140 seconds before trying again."}`)
	}
	// The 409s cost nothing: after the code expires, the second of two
	// allowed sends still goes through.
	e.clock.Advance(140 * time.Second)
	e.sendOTP(mobileA)
	e.clock.Advance(5 * time.Minute)
	r = e.post("/api/otp/send/", map[string]any{"mobile_number": mobileA})
	want(t, r, http.StatusTooManyRequests, "")
}

func TestOTPSendLimitPerNumber(t *testing.T) {
	e := newEnv(t, func(c *config) { c.auth.SendsPerNumberPerHour = 2 })
	e.sendOTP(mobileA)
	e.clock.Advance(5 * time.Minute)
	e.sendOTP(mobileA)
	e.clock.Advance(5 * time.Minute)
	sent := e.sms.count()
	for range 2 {
		// The second 429 (not a 409) shows that the refused request left no code behind.
		r := e.post("/api/otp/send/", map[string]any{"mobile_number": mobileA})
		want(t, r, http.StatusTooManyRequests, `{"detail":"Request was throttled. Expected available in 3000 seconds."}`)
		if got := r.header.Get("Retry-After"); got != "3000" {
			t.Fatalf("Retry-After %q, want 3000", got)
		}
	}
	if e.sms.count() != sent {
		t.Fatalf("a refused send reached the provider")
	}
	// Another number is not affected.
	e.sendOTP(mobileB)
	// The next window allows again.
	e.clock.Advance(50 * time.Minute)
	e.sendOTP(mobileA)
}

func TestOTPSendLimitPerIP(t *testing.T) {
	const perIP = 3
	t.Run("untrusted peer: X-Forwarded-For ignored", func(t *testing.T) {
		e := newEnv(t, func(c *config) { c.auth.SendsPerIPPerHour = perIP })
		// A 400 costs nothing.
		for range 5 {
			want(t, e.post("/api/otp/send/", map[string]any{"mobile_number": "123"}), http.StatusBadRequest, "")
		}
		for i := range perIP {
			e.sendOTP("0912000000"+strconv.Itoa(i), "X-Forwarded-For", "10.0.0."+strconv.Itoa(i))
		}
		r := e.post("/api/otp/send/", map[string]any{"mobile_number": mobileC}, "X-Forwarded-For", "10.9.9.9")
		want(t, r, http.StatusTooManyRequests, "")
		if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 3600 {
			t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
		}
	})
	t.Run("trusted proxy: X-Forwarded-For honoured", func(t *testing.T) {
		e := newEnv(t, func(c *config) {
			c.auth.SendsPerIPPerHour = perIP
			c.host.TrustedProxies = trusted(t, "127.0.0.0/8", "10.0.0.0/8")
		})
		// Different clients behind the proxy each have their own limit.
		for i := range perIP + 2 {
			e.sendOTP("0912000001"+strconv.Itoa(i), "X-Forwarded-For", "203.0.113."+strconv.Itoa(i))
		}
		// One client: the right-most untrusted address counts, whatever it
		// claims on the left.
		for i := range perIP {
			e.sendOTP("0912000002"+strconv.Itoa(i), "X-Forwarded-For", "1.1.1."+strconv.Itoa(i)+", 198.51.100.7, 10.1.2.3")
		}
		r := e.post("/api/otp/send/", map[string]any{"mobile_number": mobileC}, "X-Forwarded-For", "198.51.100.7")
		want(t, r, http.StatusTooManyRequests, "")
		// The session records the client address too.
		a, _ := e.login(mobileB, 0, "X-Forwarded-For", "192.0.2.44")
		s := e.get("/api/sessions/", a)
		if got := s.arr[0].(map[string]any)["ip_address"]; got != "192.0.2.44" {
			t.Fatalf("session ip %v", got)
		}
	})
}

func TestOTPProviderFailure(t *testing.T) {
	cases := []struct {
		name   string
		b      behavior
		status int
		body   string
	}{
		{"business error", bReject, 502, `{"details":"The SMS service provider was unable to process the request."}`},
		{"http 500", bServerError, 502, `{"details":"The SMS service provider was unable to process the request."}`},
		{"malformed", bMalformed, 502, `{"details":"The SMS service provider was unable to process the request."}`},
		{"hang", bHang, 504, `{"details":"The SMS service provider did not answer in time."}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, func(c *config) {
				c.auth.SendsPerNumberPerHour = 3
				c.smsTimeout = 200 * time.Millisecond
			})
			e.sms.setBehavior(c.b)
			// The code is discarded each time (no 409), and each try counts.
			for range 3 {
				want(t, e.post("/api/otp/send/", map[string]any{"mobile_number": mobileA}), c.status, c.body)
			}
			e.sms.setBehavior(bOK)
			want(t, e.post("/api/otp/send/", map[string]any{"mobile_number": mobileA}), http.StatusTooManyRequests, "")
		})
	}
}

func TestBruteForceLockout(t *testing.T) {
	const n = 4
	e := newEnv(t, func(c *config) { c.auth.MaxAttempts = n })
	code := e.sendOTP(mobileA)
	wrong := "00000000"
	if wrong == code {
		wrong = "11111111"
	}
	for i := 1; i < n; i++ {
		r := e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": wrong})
		want(t, r, http.StatusUnauthorized, `{"error":"The code sent to this mobile number was not found."}`)
	}
	r := e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": wrong})
	want(t, r, http.StatusTooManyRequests, `{"detail":"Too many wrong codes for this mobile number. Request a new code."}`)
	// The right code no longer works either.
	r = e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code})
	want(t, r, http.StatusTooManyRequests, "")
	// A new code (a burnt code does not block sending) works.
	code2 := e.sendOTP(mobileA)
	r = e.post("/api/authenticate/", map[string]any{"mobile_number": mobileA, "code": code2})
	want(t, r, http.StatusOK, "")

	// An expired code is refused; a new one works.
	code3 := e.sendOTP(mobileB)
	e.clock.Advance(4*time.Minute + time.Second)
	r = e.post("/api/authenticate/", map[string]any{"mobile_number": mobileB, "code": code3})
	want(t, r, http.StatusUnauthorized, `{"error":"The code sent to this mobile number was not found."}`)
	code4 := e.sendOTP(mobileB)
	// Persian digits in the code are accepted.
	r = e.post("/api/authenticate/", map[string]any{"mobile_number": mobileB, "code": persian(code4)})
	want(t, r, http.StatusOK, "")
}

func persian(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune('۰' + r - '0')
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestAuthenticateValidation(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, ctype, body string
		status            int
		want              string
	}{
		{"nothing", "", `{}`, 400, `{"code":["This field is required."],"mobile_number":["This field is required."]}`},
		{"empty strings", "", `{"mobile_number":"","code":""}`, 400, `{"code":["This field may not be blank."],"mobile_number":["This field may not be blank."]}`},
		{"group abc", "", `{"mobile_number":"09121234567","code":"12345678","group":"abc"}`, 400, `{"group":["A valid integer is required."]}`},
		{"group 1.5", "", `{"mobile_number":"09121234567","code":"12345678","group":1.5}`, 400, `{"group":["A valid integer is required."]}`},
		{"group bool", "", `{"mobile_number":"09121234567","code":"12345678","group":true}`, 400, `{"group":["A valid integer is required."]}`},
		{"group null", "", `{"mobile_number":"09121234567","code":"12345678","group":null}`, 400, `{"group":["This field may not be null."]}`},
		{"group huge", "", `{"mobile_number":"09121234567","code":"12345678","group":123456789012345678901234567890}`, 400, `{"group":["A valid integer is required."]}`},
		{"bad mobile", "", `{"mobile_number":"12","code":"12345678"}`, 400, `{"mobile_number":["Enter a valid mobile number."]}`},
		{"code as number, no code sent", "", `{"mobile_number":"09121234567","code":12345678,"group":"۲"}`, 401, `{"error":"The code sent to this mobile number was not found."}`},
		{"group 2.0 accepted", "", `{"mobile_number":"09121234567","code":"12345678","group":2.0}`, 401, ""},
		{"form group abc", "application/x-www-form-urlencoded", `mobile_number=09121234567&code=1&group=abc`, 400, `{"group":["A valid integer is required."]}`},
		{"malformed", "", `{"code":12,}`, 400, `{"detail":"JSON parse error - Expecting property name enclosed in double quotes: line 1 column 12 (char 11)"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(req{method: http.MethodPost, path: "/api/authenticate/", ctype: c.ctype, body: c.body})
			want(t, r, c.status, c.want)
		})
	}
}

func TestLoginGroupsAreDistinctUsers(t *testing.T) {
	e := newEnv(t)
	code := e.sendOTP(mobileA)
	// group as a form field, as a string.
	r := e.do(req{method: http.MethodPost, path: "/api/authenticate/", ctype: "application/x-www-form-urlencoded",
		body: "mobile_number=" + mobileA + "&code=" + code + "&group=7"})
	want(t, r, http.StatusOK, "")
	u7, err := e.db.FindUser(context.Background(), 7, mobileA)
	if err != nil {
		t.Fatalf("user G7: %v", err)
	}
	e.login(mobileA, 0)
	u0, err := e.db.FindUser(context.Background(), 0, mobileA)
	if err != nil {
		t.Fatalf("user G0: %v", err)
	}
	if u0.ID == u7.ID || u7.Username() != "G7-"+mobileA {
		t.Fatalf("users %+v %+v", u0, u7)
	}
}

// TestConcurrentSends: concurrent requests neither send two codes to one
// number nor over-admit a limit.
func TestConcurrentSends(t *testing.T) {
	const n, perIP = 24, 5
	e := newEnv(t, func(c *config) { c.auth.SendsPerIPPerHour = perIP })
	run := func(body func(i int) string) map[int]int {
		type result struct {
			status int
			err    error
		}
		out := make(chan result, n)
		for i := range n {
			go func() {
				r, err := e.roundTrip(req{method: "POST", path: "/api/otp/send/", body: body(i)})
				out <- result{r.status, err}
			}()
		}
		statuses := map[int]int{}
		for range n {
			r := <-out
			if r.err != nil {
				t.Fatal(r.err)
			}
			statuses[r.status]++
		}
		return statuses
	}
	got := run(func(int) string { return `{"mobile_number":"09121234567"}` })
	if got[200] != 1 || got[409] != n-1 {
		t.Fatalf("one number, %d concurrent sends: %v", n, got)
	}
	if e.sms.count() != 1 {
		t.Fatalf("the provider got %d codes", e.sms.count())
	}
	got = run(func(i int) string { return fmt.Sprintf(`{"mobile_number":"0935%07d"}`, i) })
	if got[200] != perIP-1 || got[429] != n-perIP+1 {
		t.Fatalf("%d numbers from one address (limit %d, one used): %v", n, perIP, got)
	}
}

// TestOTPSendLimitsAllOrNone: a send refused by one limit counts against
// neither. Refused by its address's limit, a number's send is taken back
// (the number can then be sent to from elsewhere); refused by the number's
// limit, the address is not charged.
func TestOTPSendLimitsAllOrNone(t *testing.T) {
	e := newEnv(t, func(c *config) {
		c.auth.SendsPerNumberPerHour = 1
		c.auth.SendsPerIPPerHour = 1
		c.host.TrustedProxies = trusted(t, "127.0.0.0/8")
	})
	e.sendOTP(mobileA, "X-Forwarded-For", "203.0.113.1")
	// The address has had its one send: mobileB is refused, and not counted.
	r := e.post("/api/otp/send/", map[string]any{"mobile_number": mobileB}, "X-Forwarded-For", "203.0.113.1")
	want(t, r, http.StatusTooManyRequests, "")
	e.sendOTP(mobileB, "X-Forwarded-For", "203.0.113.2")
	// mobileA has had its one send (its code expires first): refused, and
	// the new address is not charged.
	e.clock.Advance(10 * time.Minute)
	r = e.post("/api/otp/send/", map[string]any{"mobile_number": mobileA}, "X-Forwarded-For", "203.0.113.3")
	want(t, r, http.StatusTooManyRequests, "")
	e.sendOTP(mobileC, "X-Forwarded-For", "203.0.113.3")
}
