package host_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru/token"
)

const (
	bodyNoCredentials = `{"detail":"Authentication credentials were not provided."}`
	bodyInvalid       = `{"detail":"Token is invalid","code":"token_not_valid"}`
	bodyExpired       = `{"detail":"Token is expired","code":"token_not_valid"}`
	bodyWrongType     = `{"detail":"Token has wrong type","code":"token_not_valid"}`
	bodyBlacklisted   = `{"detail":"Token is blacklisted","code":"token_not_valid"}`
)

// claimsOf parses a token of ours.
func (e *env) claimsOf(tok string) token.Claims {
	e.t.Helper()
	c, err := e.tokens.Parse(tok, "", e.clock.Now())
	if err != nil {
		e.t.Fatalf("parse own token: %v", err)
	}
	return c
}

func TestBearerForgery(t *testing.T) {
	e := newEnv(t)
	access, refresh := e.login(mobileA, 0)
	c := e.claimsOf(access)

	parts := strings.Split(access, ".")
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	other, err := token.New(token.Config{SigningKey: []byte("another-key-another-key-another-key!")})
	if err != nil {
		t.Fatal(err)
	}
	wrongKey, _, err := other.Issue(token.Access, c.UserID, c.SessionID, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"token_type":"access","user_id":"999","sid":`+strconv.FormatInt(c.SessionID, 10)+`}`)) + "." + parts[2]

	cases := []struct {
		name, header string
		want         string
	}{
		{"no header", "", bodyNoCredentials},
		{"other scheme", "Basic dXNlcjpwYXNz", bodyNoCredentials},
		{"bearer without token", "Bearer", `{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}`},
		{"bearer with two tokens", "Bearer a b", `{"detail":"Authorization header must contain two space-delimited values","code":"bad_authorization_header"}`},
		{"garbage", "Bearer abc.def.ghi", bodyInvalid},
		{"alg none", "Bearer " + none, bodyInvalid},
		{"wrong key", "Bearer " + wrongKey, bodyInvalid},
		{"tampered payload", "Bearer " + tampered, bodyInvalid},
		{"refresh as access", "Bearer " + refresh, bodyWrongType},
		{"huge", "Bearer " + strings.Repeat("a", 5000), bodyInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var h map[string]string
			if tc.header != "" {
				h = map[string]string{"Authorization": tc.header}
			}
			for _, r := range []resp{
				e.do(req{method: http.MethodGet, path: "/api/sessions/", header: h}),
				e.do(req{method: http.MethodPost, path: "/api/message/send/", header: h, body: `{"mobile_number":"09121234567","message_text":"hi"}`}),
				e.do(req{method: http.MethodDelete, path: "/api/sessions/" + strconv.FormatInt(c.SessionID, 10) + "/", header: h}),
			} {
				want(t, r, http.StatusUnauthorized, tc.want)
				if r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
			}
			// verify refuses forged tokens too.
			if tc.name == "alg none" || tc.name == "wrong key" || tc.name == "tampered payload" {
				want(t, e.post("/api/token/verify/", map[string]any{"token": strings.TrimPrefix(tc.header, "Bearer ")}), http.StatusUnauthorized, bodyInvalid)
			}
		})
	}
	// The real token still works.
	want(t, e.get("/api/sessions/", access), http.StatusOK, "")
	// The refused message sends neither were recorded nor reached the provider.
	if ev, _ := e.store.log(); len(ev) != 0 {
		t.Fatalf("refused requests reached the store/provider: %v", ev)
	}
}

func TestTokenExpiryAndRefresh(t *testing.T) {
	e := newEnv(t)
	access, refresh := e.login(mobileA, 0)
	e.clock.Advance(5*time.Minute + time.Second)
	want(t, e.get("/api/sessions/", access), http.StatusUnauthorized, bodyExpired)
	want(t, e.post("/api/token/verify/", map[string]any{"token": access}), http.StatusUnauthorized, bodyExpired)

	// Access as refresh is refused.
	want(t, e.post("/api/token/refresh/", map[string]any{"refresh": access}), http.StatusUnauthorized, bodyExpired)
	r := e.post("/api/token/refresh/", map[string]any{"refresh": refresh})
	want(t, r, http.StatusOK, "")
	a2, r2 := r.str("access"), r.str("refresh")
	if a2 == "" || r2 == "" || r2 == refresh {
		t.Fatalf("refresh answered %s", r.body)
	}
	want(t, e.post("/api/token/refresh/", map[string]any{"refresh": a2}), http.StatusUnauthorized, bodyWrongType)
	want(t, e.get("/api/sessions/", a2), http.StatusOK, "")
	want(t, e.post("/api/token/verify/", map[string]any{"token": a2}), http.StatusOK, `{}`)
	want(t, e.post("/api/token/verify/", map[string]any{"token": r2}), http.StatusOK, `{}`)

	// The refresh token expires too.
	e.clock.Advance(24*time.Hour + time.Second)
	want(t, e.post("/api/token/refresh/", map[string]any{"refresh": r2}), http.StatusUnauthorized, "")
}

func TestRefreshReuseRevokesSession(t *testing.T) {
	e := newEnv(t)
	_, r1 := e.login(mobileA, 0)
	otherAccess, _ := e.login(mobileA, 0) // another session of the same user
	r := e.post("/api/token/refresh/", map[string]any{"refresh": r1})
	want(t, r, http.StatusOK, "")
	a2, r2 := r.str("access"), r.str("refresh")
	want(t, e.get("/api/sessions/", a2), http.StatusOK, "")

	// r1 was rotated out: using it again is a theft signal.
	want(t, e.post("/api/token/verify/", map[string]any{"token": r1}), http.StatusUnauthorized, bodyBlacklisted)
	want(t, e.post("/api/token/refresh/", map[string]any{"refresh": r1}), http.StatusUnauthorized, bodyBlacklisted)
	// ... and the whole session is revoked.
	want(t, e.get("/api/sessions/", a2), http.StatusUnauthorized, bodyInvalid)
	want(t, e.post("/api/token/refresh/", map[string]any{"refresh": r2}), http.StatusUnauthorized, bodyInvalid)
	if _, err := e.db.GetSession(context.Background(), e.claimsOf(r2).SessionID); err == nil {
		t.Fatalf("session still stored")
	}
	// The user's other session is untouched.
	want(t, e.get("/api/sessions/", otherAccess), http.StatusOK, "")
}

func TestRefreshWithoutRotation(t *testing.T) {
	e := newEnv(t, func(c *config) { c.rotate = false })
	_, refresh := e.login(mobileA, 0)
	for range 3 {
		r := e.post("/api/token/refresh/", map[string]any{"refresh": refresh})
		want(t, r, http.StatusOK, "")
		if len(r.obj) != 1 || r.str("access") == "" {
			t.Fatalf("refresh without rotation answered %s", r.body)
		}
		want(t, e.get("/api/sessions/", r.str("access")), http.StatusOK, "")
	}
}

func TestTokenEndpointsValidation(t *testing.T) {
	e := newEnv(t)
	want(t, e.post("/api/token/refresh/", `{}`), http.StatusBadRequest, `{"refresh":["This field is required."]}`)
	want(t, e.post("/api/token/refresh/", `{"refresh":""}`), http.StatusBadRequest, `{"refresh":["This field may not be blank."]}`)
	want(t, e.post("/api/token/refresh/", `{"refresh":`), http.StatusBadRequest, `{"detail":"JSON parse error - Expecting value: line 1 column 12 (char 11)"}`)
	want(t, e.post("/api/token/refresh/", `{"refresh":"abc"}`), http.StatusUnauthorized, bodyInvalid)
	want(t, e.post("/api/token/verify/", `{}`), http.StatusBadRequest, `{"token":["This field is required."]}`)
	want(t, e.post("/api/token/verify/", `{"token":5}`), http.StatusUnauthorized, bodyInvalid)
	want(t, e.post("/api/token/verify/", `{"token":[]}`), http.StatusBadRequest, `{"token":["Not a valid string."]}`)
	want(t, e.do(req{method: http.MethodPost, path: "/api/token/verify/", ctype: "application/x-www-form-urlencoded", body: "token=abc"}), http.StatusUnauthorized, bodyInvalid)
}

func TestRevokedSessionTokensRefused(t *testing.T) {
	e := newEnv(t)
	a1, r1 := e.login(mobileA, 0)
	a2, _ := e.login(mobileA, 0)
	id1 := e.claimsOf(a1).SessionID
	r := e.do(req{method: http.MethodDelete, path: "/api/sessions/" + strconv.FormatInt(id1, 10) + "/", header: map[string]string{"Authorization": "Bearer " + a2}})
	want(t, r, http.StatusNoContent, "")
	if len(r.body) != 0 {
		t.Fatalf("204 with a body: %q", r.body)
	}
	want(t, e.get("/api/sessions/", a1), http.StatusUnauthorized, bodyInvalid)
	want(t, e.post("/api/token/refresh/", map[string]any{"refresh": r1}), http.StatusUnauthorized, bodyInvalid)
	want(t, e.post("/api/token/verify/", map[string]any{"token": a1}), http.StatusUnauthorized, bodyInvalid)
	want(t, e.get("/api/sessions/", a2), http.StatusOK, "")
	// A session may revoke itself.
	id2 := e.claimsOf(a2).SessionID
	want(t, e.do(req{method: http.MethodDelete, path: "/api/sessions/" + strconv.FormatInt(id2, 10) + "/", header: map[string]string{"Authorization": "Bearer " + a2}}), http.StatusNoContent, "")
	want(t, e.get("/api/sessions/", a2), http.StatusUnauthorized, bodyInvalid)
}
