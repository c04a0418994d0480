package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
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
		"chat: 1 rooms and 2 messages not imported yet",
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
