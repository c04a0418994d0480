package host_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestSessionsOwnerOnly(t *testing.T) {
	e := newEnv(t)
	a1, _ := e.login(mobileA, 0, "User-Agent", "first")
	a2, _ := e.login(mobileA, 0, "User-Agent", "second")
	b1, _ := e.login(mobileB, 0)
	idA1, idA2, idB1 := e.claimsOf(a1).SessionID, e.claimsOf(a2).SessionID, e.claimsOf(b1).SessionID

	r := e.get("/api/sessions/", a1)
	want(t, r, http.StatusOK, "")
	if len(r.arr) != 2 {
		t.Fatalf("A sees %d sessions: %s", len(r.arr), r.body)
	}
	current := map[int64]bool{}
	for _, v := range r.arr {
		s := v.(map[string]any)
		current[int64(s["id"].(float64))] = s["current"].(bool)
	}
	if !current[idA1] || current[idA2] {
		t.Fatalf("current marks %v, want only %d", current, idA1)
	}
	if _, ok := current[idB1]; ok {
		t.Fatalf("A sees B's session")
	}
	// Newest first.
	if id := int64(r.arr[0].(map[string]any)["id"].(float64)); id != idA2 {
		t.Fatalf("first session %d, want the newest %d", id, idA2)
	}
	r = e.get("/api/sessions/", b1)
	if len(r.arr) != 1 || !r.arr[0].(map[string]any)["current"].(bool) {
		t.Fatalf("B sees %s", r.body)
	}

	del := func(id int64, access string) resp {
		return e.do(req{method: http.MethodDelete, path: "/api/sessions/" + strconv.FormatInt(id, 10) + "/", header: map[string]string{"Authorization": "Bearer " + access}})
	}
	// Someone else's session and an unknown one look the same.
	want(t, del(idA1, b1), http.StatusNotFound, `{"detail":"Not found."}`)
	want(t, del(999999, b1), http.StatusNotFound, `{"detail":"Not found."}`)
	want(t, e.do(req{method: http.MethodDelete, path: "/api/sessions/abc/", header: map[string]string{"Authorization": "Bearer " + b1}}), http.StatusNotFound, `{"detail":"Not found."}`)
	want(t, e.do(req{method: http.MethodDelete, path: "/api/sessions/0/", header: map[string]string{"Authorization": "Bearer " + b1}}), http.StatusNotFound, `{"detail":"Not found."}`)
	want(t, e.get("/api/sessions/", a1), http.StatusOK, "")
	// Without a token.
	want(t, e.do(req{method: http.MethodDelete, path: "/api/sessions/" + strconv.FormatInt(idA1, 10) + "/"}), http.StatusUnauthorized, bodyNoCredentials)
	want(t, e.get("/api/sessions/", ""), http.StatusUnauthorized, bodyNoCredentials)

	want(t, del(idA1, a2), http.StatusNoContent, "")
	r = e.get("/api/sessions/", a2)
	if len(r.arr) != 1 {
		t.Fatalf("after revoke A sees %s", r.body)
	}
}

func TestSessionLastSeenThrottled(t *testing.T) {
	e := newEnv(t)
	a, _ := e.login(mobileA, 0)
	id := e.claimsOf(a).SessionID
	created := e.clock.Now()
	lastSeen := func() time.Time {
		s, err := e.db.GetSession(context.Background(), id)
		if err != nil {
			t.Fatalf("get session: %v", err)
		}
		return s.LastSeen
	}
	e.clock.Advance(30 * time.Second)
	want(t, e.get("/api/sessions/", a), http.StatusOK, "")
	if got := lastSeen(); !got.Equal(created) {
		t.Fatalf("last seen moved after 30s: %v, want %v", got, created)
	}
	e.clock.Advance(31 * time.Second)
	want(t, e.get("/api/sessions/", a), http.StatusOK, "")
	if got := lastSeen(); !got.Equal(e.clock.Now()) {
		t.Fatalf("last seen %v, want %v", got, e.clock.Now())
	}
	touched := e.clock.Now()
	e.clock.Advance(10 * time.Second)
	r := e.get("/api/sessions/", a)
	if got := r.arr[0].(map[string]any)["last_seen"].(string); got != touched.UTC().Format("2006-01-02T15:04:05.000000Z07:00") {
		t.Fatalf("last_seen rendered %q", got)
	}
}
