package token

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestImportedTokens: a token without sid (as simplejwt issued) parses as
// Imported only inside Config.ImportedUntil, without dbid, issued before
// the cut-off; otherwise it is refused as before.
func TestImportedTokens(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	cut := now.Add(time.Hour)
	sign := func(claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := func(iat time.Time, user any) jwt.MapClaims {
		return jwt.MapClaims{"token_type": "access", "iat": iat.Unix(), "exp": iat.Add(2 * time.Hour).Unix(),
			"jti": "0123456789abcdef0123456789abcdef", "user_id": user}
	}
	withDBID := base(now.Add(-time.Minute), "7")
	withDBID["dbid"] = "x"
	cases := []struct {
		name   string
		tok    string
		until  time.Time
		at     time.Time
		wantOK bool
		user   int64
	}{
		{"off", sign(base(now.Add(-time.Minute), "7")), time.Time{}, now, false, 0},
		{"string user_id", sign(base(now.Add(-time.Minute), "7")), cut, now, true, 7},
		{"integer user_id", sign(base(now.Add(-time.Minute), 42)), cut, now, true, 42},
		{"past the cut-off", sign(base(now.Add(-time.Minute), "7")), cut, cut.Add(time.Second), false, 0},
		{"issued after the cut-off", sign(base(cut.Add(time.Second), "7")), cut, cut.Add(-time.Second), false, 0},
		{"with dbid", sign(withDBID), cut, now, false, 0},
		{"zero user_id", sign(base(now.Add(-time.Minute), 0)), cut, now, false, 0},
		{"no user_id", sign(base(now.Add(-time.Minute), nil)), cut, now, false, 0},
	}
	for _, c := range cases {
		iss, err := New(Config{SigningKey: key, DatabaseID: "db-1", ImportedUntil: c.until})
		if err != nil {
			t.Fatal(err)
		}
		got, err := iss.Parse(c.tok, Access, c.at)
		if c.wantOK != (err == nil) {
			t.Errorf("%s: err %v", c.name, err)
			continue
		}
		if c.wantOK && (!got.Imported || got.UserID != c.user || got.SessionID != 0) {
			t.Errorf("%s: %+v", c.name, got)
		}
	}
	// A token of this server (with sid) is never Imported.
	iss, _ := New(Config{SigningKey: key, DatabaseID: "db-1", ImportedUntil: cut})
	tok, _, err := iss.Issue(Access, 5, 9, now)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := iss.Parse(tok, Access, now); err != nil || c.Imported || c.SessionID != 9 {
		t.Errorf("own token: %+v %v", c, err)
	}
}
