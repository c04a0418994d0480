package host_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const appOrigin = "https://app.example.com"

func corsOn(origins ...string) func(*config) {
	return func(c *config) {
		c.host.CORSAllowedOrigins = origins
		c.host.CORSMaxAge = 5 * time.Minute
	}
}

// corsHeaders returns the Access-Control-* headers of r.
func corsHeaders(r resp) map[string]string {
	out := map[string]string{}
	for k, v := range r.header {
		if strings.HasPrefix(k, "Access-Control-") {
			out[k] = strings.Join(v, ", ")
		}
	}
	return out
}

// TestCORSPreflight: a browser's preflight from an allowed origin is
// answered 204 with the route's methods, the headers the API reads and a
// max-age, over a real socket.
func TestCORSPreflight(t *testing.T) {
	e := newEnv(t, corsOn(appOrigin, "http://localhost:3000"))
	for _, tc := range []struct{ path, method, methods string }{
		{"/api/otp/send/", "POST", "POST"},
		{"/api/sessions/", "GET", "GET, HEAD"},
		{"/api/sessions/7/", "DELETE", "DELETE"},
	} {
		r, err := e.roundTrip(req{method: "OPTIONS", path: tc.path, header: map[string]string{
			"Origin":                         appOrigin,
			"Access-Control-Request-Method":  tc.method,
			"Access-Control-Request-Headers": "authorization, content-type",
		}})
		if err != nil {
			t.Fatal(err)
		}
		h := corsHeaders(r)
		if r.status != http.StatusNoContent || len(r.body) != 0 {
			t.Errorf("%s: preflight %d %q", tc.path, r.status, r.body)
		}
		for k, want := range map[string]string{
			"Access-Control-Allow-Origin":  appOrigin,
			"Access-Control-Allow-Methods": tc.methods,
			"Access-Control-Max-Age":       "300",
		} {
			if h[k] != want {
				t.Errorf("%s: %s = %q, want %q", tc.path, k, h[k], want)
			}
		}
		if ah := h["Access-Control-Allow-Headers"]; !strings.Contains(ah, "Authorization") || !strings.Contains(ah, "Content-Type") {
			t.Errorf("%s: Allow-Headers %q", tc.path, ah)
		}
		if _, ok := h["Access-Control-Allow-Credentials"]; ok {
			t.Errorf("%s: credentials on by default", tc.path)
		}
		if !strings.Contains(r.header.Get("Vary"), "Origin") {
			t.Errorf("%s: no Vary: Origin", tc.path)
		}
	}
}

// TestCORSActualRequests: answers to an allowed origin carry the origin,
// Vary and the readable headers (errors too); a disallowed origin gets no
// CORS header, on a preflight or an answer.
func TestCORSActualRequests(t *testing.T) {
	e := newEnv(t, corsOn(appOrigin))
	ok := e.do(req{method: "POST", path: "/api/otp/send/", body: `{"mobile_number":"09121234567"}`, header: map[string]string{"Origin": appOrigin}})
	want(t, ok, http.StatusOK, "")
	if ok.header.Get("Access-Control-Allow-Origin") != appOrigin || !strings.Contains(ok.header.Get("Vary"), "Origin") ||
		!strings.Contains(ok.header.Get("Access-Control-Expose-Headers"), "X-Error-Code") {
		t.Errorf("allowed origin: %v", ok.header)
	}
	bad := e.do(req{method: "GET", path: "/api/sessions/", header: map[string]string{"Origin": appOrigin}})
	if bad.status != 401 || bad.header.Get("Access-Control-Allow-Origin") != appOrigin {
		t.Errorf("an error to an allowed origin: %d %v", bad.status, bad.header)
	}

	for _, r := range []req{
		{method: "POST", path: "/api/otp/send/", body: `{"mobile_number":"09121234568"}`, header: map[string]string{"Origin": "https://evil.example.com"}},
		{method: "POST", path: "/api/otp/send/", body: `{"mobile_number":"09121234569"}`, header: map[string]string{"Origin": "https://app.example.com.evil.com"}},
		{method: "OPTIONS", path: "/api/otp/send/", header: map[string]string{"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"}},
		{method: "OPTIONS", path: "/api/otp/send/", header: map[string]string{"Origin": "null", "Access-Control-Request-Method": "POST"}},
	} {
		got, err := e.roundTrip(r)
		if err != nil {
			t.Fatal(err)
		}
		if h := corsHeaders(got); len(h) != 0 {
			t.Errorf("%s from %s: CORS headers %v", r.method, r.header["Origin"], h)
		}
	}
	// No Origin: a plain client, no CORS headers.
	if h := corsHeaders(e.do(req{method: "GET", path: "/healthz"})); len(h) != 0 {
		t.Errorf("no origin: %v", h)
	}
}

// TestCORSOffAndCredentials: without origins an OPTIONS is a 405 as before;
// with CORS_ALLOW_CREDENTIALS the answer says so.
func TestCORSOffAndCredentials(t *testing.T) {
	off := newEnv(t)
	r := off.do(req{method: "OPTIONS", path: "/api/otp/send/", header: map[string]string{"Origin": appOrigin, "Access-Control-Request-Method": "POST"}})
	if r.status != http.StatusMethodNotAllowed || len(corsHeaders(r)) != 0 || r.header.Get("X-Error-Code") != "method_not_allowed" {
		t.Errorf("CORS off: %d %v", r.status, r.header)
	}
	on := newEnv(t, func(c *config) {
		c.host.CORSAllowedOrigins = []string{appOrigin}
		c.host.CORSAllowCredentials = true
	})
	pre, err := on.roundTrip(req{method: "OPTIONS", path: "/api/token/refresh/", header: map[string]string{"Origin": appOrigin, "Access-Control-Request-Method": "POST"}})
	if err != nil {
		t.Fatal(err)
	}
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Credentials") != "true" || pre.header.Get("Access-Control-Allow-Origin") != appOrigin {
		t.Errorf("credentials: %d %v", pre.status, pre.header)
	}
	// "*" without credentials answers any origin with "*".
	star := newEnv(t, corsOn("*"))
	got := star.do(req{method: "GET", path: "/healthz", header: map[string]string{"Origin": "https://anyone.example"}})
	if got.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("*: %v", got.header)
	}
}
