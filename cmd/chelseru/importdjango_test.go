package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	domain "github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/storage"
)

// djangoSecret stands for the Django project's SECRET_KEY, which simplejwt
// signs with by default.
const djangoSecret = "django-insecure-5v#k2!q8w@r3t^y7u*i9o0p-migrate-me"

// simplejwtToken signs claims as simplejwt does (HS256, no sid, no dbid).
func simplejwtToken(t *testing.T, typ string, userID any, iat time.Time) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"token_type": typ, "exp": iat.Add(time.Hour).Unix(), "iat": iat.Unix(),
		"jti": fmt.Sprintf("%032x", iat.UnixNano()+int64(len(typ))), "user_id": userID,
	})
	s, err := tok.SignedString([]byte(djangoSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tokenClaims decodes a JWT's payload without checking it.
func tokenClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestImportDjango imports a dump shaped like django-chelseru's dumpdata
// output into a fresh data folder with the real binary, twice (the second
// run changes nothing), serves it, and checks users (under their Django
// ids), sessions, the SMS log, and that tokens simplejwt signed with the
// Django SECRET_KEY keep working for imported users only.
func TestImportDjango(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	issued := time.Now().Add(-time.Minute)
	legacyAccess := simplejwtToken(t, "access", 7, issued)      // simplejwt < 5.5: integer user_id
	legacyRefresh := simplejwtToken(t, "refresh", "42", issued) // 5.5: string user_id
	strangerAccess := simplejwtToken(t, "access", "9", issued)  // inactive in Django: not imported
	cfg, addr := dsConfig(t, dir, "c.yaml", data, "JWT:\n  SIGNING_KEY: \""+djangoSecret+"\"\n  REFRESH_TOKEN_LIFETIME: 87600h\n"+
		"  IMPORTED_TOKENS_UNTIL: "+time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339)+"\n")

	dump, err := filepath.Abs("testdata/django-dump.json")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := chelseru(t, dir, "import-django", "--config", cfg, dump)
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"users: 3 imported, 0 already there, 1 inactive (not imported)",
		"sessions: 2 imported, 0 already there, 1 expired or of users not imported",
		"sms log: 2 imported, 0 already there",
		"one-time codes: 1 skipped",
		"chat rooms: 2 imported, 0 already there, 1 of users not imported (skipped)",
		"chat messages: 5 imported, 0 already there, 2 skipped",
		"other models: 3 records ignored (auth.group 1, contenttypes.contenttype 1, shop.order 1)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("first import: no %q in:\n%s", want, out)
		}
	}
	code, out, errOut = chelseru(t, dir, "import-django", "--config", cfg, dump)
	if code != 0 {
		t.Fatalf("second import: exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"users: 0 imported, 3 already there",
		"sessions: 0 imported, 2 already there",
		"sms log: 0 imported, 2 already there",
		"chat rooms: 0 imported, 2 already there",
		"chat messages: 0 imported, 5 already there",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("second import: no %q in:\n%s", want, out)
		}
	}

	if code, out, errOut := chelseru(t, dir, "verify", "--data-dir", data); code != 0 {
		t.Fatalf("verify after the import: exit %d: %s %s", code, out, errOut)
	}

	s := dsStart(t, dir, cfg, addr)
	// An access token simplejwt issued works, and shows the imported session.
	st, body := s.do("GET", "/api/sessions/", legacyAccess, "", "")
	if st != 200 || !strings.Contains(body, `"device":"iPhone"`) || !strings.Contains(body, "5.160.1.2") {
		t.Errorf("sessions with a simplejwt token: %d %s\n%s", st, body, s.logs.String())
	}
	// Not for a user who was not imported, even with a good signature.
	if st, body := s.do("GET", "/api/sessions/", strangerAccess, "", ""); st != 401 {
		t.Errorf("simplejwt token of a user not imported: %d %s", st, body)
	}
	// A simplejwt refresh token is exchanged once for a real session.
	st, body = s.do("POST", "/api/token/refresh/", "", "application/json", `{"refresh":"`+legacyRefresh+`"}`)
	if st != 200 {
		t.Fatalf("refresh with a simplejwt token: %d %s", st, body)
	}
	var toks struct{ Access, Refresh string }
	if err := json.Unmarshal([]byte(body), &toks); err != nil || toks.Access == "" || toks.Refresh == "" {
		t.Fatalf("refresh body %s: %v", body, err)
	}
	if c := tokenClaims(t, toks.Access); c["user_id"] != "42" || c["sid"] == nil || c["dbid"] == nil {
		t.Errorf("new access token claims: %v", c)
	}
	if st, body := s.do("GET", "/api/sessions/", toks.Access, "", ""); st != 200 || !strings.Contains(body, `"current":true`) {
		t.Errorf("sessions with the new token: %d %s", st, body)
	}
	if st, body := s.do("POST", "/api/token/refresh/", "", "application/json", `{"refresh":"`+legacyRefresh+`"}`); st != 401 {
		t.Errorf("second exchange of one simplejwt refresh token: %d %s", st, body)
	}
	// The imported chat, through the real history API of a user who signs
	// in with a code: each message once, oldest first by its Django
	// timestamp (kept), not by pk.
	userA, _ := s.login("09121234567") // Django user 7
	checkImportedChat(t, s, userA)

	// The imported user signs in under the Django id; a new user gets an id
	// past every imported one.
	access, _ := s.login("09351112233") // G0: a different user from G1-09351112233
	if c := tokenClaims(t, access); c["user_id"] != "43" {
		t.Errorf("first new user after the import: user_id %v, want 43", c["user_id"])
	}
	s.stop()

	db, err := storage.Open(filepath.Join(data, dbDirName), storage.Options{GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		id     int64
		group  int64
		mobile string
	}{{7, 0, "09121234567"}, {42, 1, "09351112233"}, {1, 0, "09129998877"}} {
		u, err := db.FindUser(ctx, c.group, c.mobile)
		if err != nil || u.ID != c.id {
			t.Errorf("user G%d-%s: %+v %v, want id %d", c.group, c.mobile, u, err, c.id)
		}
	}
	if _, err := db.FindUser(ctx, 0, "09190000000"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("inactive Django user imported: %v", err)
	}
	m1, err1 := db.GetMessage(ctx, 1)
	m2, err2 := db.GetMessage(ctx, 2)
	if err1 != nil || err2 != nil || m1.Text != "سلام، کد شما ۱۲۳۴ است" || m1.Status != domain.MessageSent ||
		m2.Mobile != "09351112233" || m2.Status != domain.MessageFailed {
		t.Errorf("SMS log: %+v %v / %+v %v", m1, err1, m2, err2)
	}
	if _, err := db.GetMessage(ctx, 3); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("a third SMS log row after two imports of two: %v", err)
	}

	// A disabled imported user's simplejwt tokens stop working too (they
	// have no session to delete).
	if _, err := db.SetUserDisabled(ctx, 7, true); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s = dsStart(t, dir, cfg, addr)
	if st, body := s.do("GET", "/api/sessions/", legacyAccess, "", ""); st != 401 {
		t.Errorf("simplejwt token of a disabled imported user: %d %s", st, body)
	}
	s.stop()
}

// TestImportDjangoRefusesMalformed: input that is not dumpdata output is
// refused with one line, and nothing is written.
func TestImportDjangoRefusesMalformed(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"object.json":   `{"model": "auth.user"}`,
		"cut.json":      `[{"model": "auth.user", "pk": 1, "fields": {"username": "G0-0912`,
		"nomodel.json":  `[{"pk": 1, "fields": {}}]`,
		"badpk.json":    `[{"model": "auth.user", "pk": "x", "fields": {"username": "G0-09121234567"}}]`,
		"badname.json":  `[{"model": "auth.user", "pk": 2, "fields": {"username": "alice"}}]`,
		"badphone.json": `[{"model": "auth.user", "pk": 2, "fields": {"username": "G0-12345"}}]`,
	} {
		p := writeFile(t, dir, name, text)
		data := filepath.Join(dir, "data-"+name)
		code, _, errOut := chelseru(t, dir, "import-django", "--data-dir", data, p)
		if code != exitFailure {
			t.Errorf("%s: exit %d, want %d (%s)", name, code, exitFailure, errOut)
		}
		oneLine(t, errOut)
		if !strings.HasPrefix(errOut, "chelseru: import-django: ") {
			t.Errorf("%s: %q", name, errOut)
		}
	}
	if code, _, _ := chelseru(t, dir, "import-django"); code != exitUsage {
		t.Errorf("no file: exit %d, want %d", code, exitUsage)
	}
}

// checkImportedChat checks, as user 7 of the fixture, the rooms and history
// the fixture's chat records became.
func checkImportedChat(t *testing.T, s *dsServer, access string) {
	t.Helper()
	st, body := s.do("GET", "/api/chat/rooms/", access, "", "")
	var rooms []struct {
		ID    int64 `json:"id"`
		Other struct {
			Username string `json:"username"`
		} `json:"other"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &rooms) != nil {
		t.Fatalf("rooms: %d %s", st, body)
	}
	byOther := map[string]int64{}
	for _, r := range rooms {
		byOther[r.Other.Username] = r.ID
	}
	if len(rooms) != 2 || byOther["G1-09351112233"] == 0 || byOther["G0-09129998877"] == 0 {
		t.Fatalf("rooms of user 7: %s", body)
	}
	type msg struct {
		ID        int64  `json:"id"`
		Message   string `json:"message"`
		Sender    string `json:"sender"`
		Timestamp string `json:"timestamp"`
		ClientID  string `json:"client_id"`
	}
	history := func(room int64) []msg {
		t.Helper()
		st, body := s.do("GET", fmt.Sprintf("/api/chat/rooms/%d/messages/?limit=200", room), access, "", "")
		var out []msg
		if st != 200 || json.Unmarshal([]byte(body), &out) != nil {
			t.Fatalf("history of room %d: %d %s", room, st, body)
		}
		slices.Reverse(out) // newest first on the wire
		return out
	}
	got := history(byOther["G1-09351112233"])
	want := []msg{
		{Message: "first, though saved last", Sender: "G1-09351112233", Timestamp: "2025-11-05T10:00:30", ClientID: "django-44"},
		{Message: "hi", Sender: "G0-09121234567", Timestamp: "2025-11-05T10:01:00", ClientID: "django-41"},
		{Message: "hello", Sender: "G1-09351112233", Timestamp: "2025-11-05T10:02:00", ClientID: "django-42"},
		{Message: "چطوری؟", Sender: "G0-09121234567", Timestamp: "2025-11-05T10:03:00.25", ClientID: "django-43"},
	}
	if len(got) != len(want) {
		t.Fatalf("room with user 42: %d messages, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Message != w.Message || g.Sender != w.Sender || !strings.HasPrefix(g.Timestamp, w.Timestamp) ||
			(g.ClientID != "" && g.ClientID != w.ClientID) || (i > 0 && g.ID <= got[i-1].ID) {
			t.Errorf("message %d: %+v, want %+v (ids increasing)", i, g, w)
		}
	}
	got = history(byOther["G0-09129998877"])
	if len(got) != 1 || got[0].Message != "welcome" || got[0].Sender != "G0-09129998877" || !strings.HasPrefix(got[0].Timestamp, "2025-11-06T08:00:05") {
		t.Errorf("room with user 1: %+v", got)
	}
}
