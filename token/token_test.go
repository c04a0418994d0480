package token

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/golang-jwt/jwt/v5"
)

var (
	hsKey   = []byte("0123456789abcdef0123456789abcdef-test-secret")
	edSeed  = bytes.Repeat([]byte{7}, ed25519.SeedSize)
	t0      = time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)
	b64     = base64.RawURLEncoding
	jtiHex  = "0123456789abcdef0123456789abcdef"
	jtiUUID = regexp.MustCompile(`^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$`)
)

func newIssuer(t testing.TB, alg string) *Issuer {
	t.Helper()
	key := hsKey
	if alg == EdDSA {
		key = edSeed
	}
	i, err := New(Config{Algorithm: alg, SigningKey: key, AccessLifetime: 5 * time.Minute, RefreshLifetime: 24 * time.Hour, Rotate: true})
	if err != nil {
		t.Fatalf("New(%s): %v", alg, err)
	}
	return i
}

// forge builds a token from a raw header and payload, signed by sign (nil:
// empty signature).
func forge(header, payload string, sign func(signingInput string) []byte) string {
	in := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
	var sig []byte
	if sign != nil {
		sig = sign(in)
	}
	return in + "." + b64.EncodeToString(sig)
}

func hs256(key []byte) func(string) []byte {
	return func(in string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(in))
		return m.Sum(nil)
	}
}

func hs512(key []byte) func(string) []byte {
	return func(in string) []byte {
		m := hmac.New(sha512.New, key)
		m.Write([]byte(in))
		return m.Sum(nil)
	}
}

func ed(seed []byte) func(string) []byte {
	priv := ed25519.NewKeyFromSeed(seed)
	return func(in string) []byte { return ed25519.Sign(priv, []byte(in)) }
}

const (
	hdrHS = `{"alg":"HS256","typ":"JWT"}`
	hdrEd = `{"alg":"EdDSA","typ":"JWT"}`
)

// payload returns a valid access payload at t0 with the given members
// replaced (a nil value deletes the member).
func payload(over map[string]any) string {
	m := map[string]any{
		"token_type": "access",
		"exp":        t0.Unix() + 300,
		"iat":        t0.Unix(),
		"jti":        jtiHex,
		"user_id":    "42",
		"sid":        "7",
	}
	for k, v := range over {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestRoundTrip(t *testing.T) {
	for _, alg := range []string{HS256, EdDSA} {
		for _, typ := range []string{Access, Refresh} {
			t.Run(alg+"/"+typ, func(t *testing.T) {
				i := newIssuer(t, alg)
				now := t0.Add(123456789 * time.Nanosecond)
				tok, c, err := i.Issue(typ, 42, 1<<40, now)
				if err != nil {
					t.Fatal(err)
				}
				life := i.Config().AccessLifetime
				if typ == Refresh {
					life = i.Config().RefreshLifetime
				}
				want := Claims{Type: typ, UserID: 42, SessionID: 1 << 40, JTI: c.JTI,
					IssuedAt: t0, ExpiresAt: t0.Add(life)}
				if !c.IssuedAt.Equal(want.IssuedAt) || !c.ExpiresAt.Equal(want.ExpiresAt) || c.Type != typ || c.UserID != 42 || c.SessionID != 1<<40 {
					t.Fatalf("Issue claims = %+v, want %+v", c, want)
				}
				if !jtiUUID.MatchString(c.JTI) {
					t.Fatalf("jti %q is not a uuid4 hex", c.JTI)
				}
				for _, at := range []time.Time{now, t0.Add(-MaxClockSkew), c.ExpiresAt.Add(-time.Nanosecond)} {
					got, err := i.Parse(tok, typ, at)
					if err != nil {
						t.Fatalf("Parse at %v: %v", at, err)
					}
					if got != c {
						t.Fatalf("Parse = %+v, want %+v", got, c)
					}
				}
				if _, err := i.Parse(tok, "", now); err != nil {
					t.Fatalf("Parse untyped: %v", err)
				}
				// A second token differs in jti.
				tok2, c2, err := i.Issue(typ, 42, 1<<40, now)
				if err != nil {
					t.Fatal(err)
				}
				if tok2 == tok || c2.JTI == c.JTI {
					t.Fatal("two tokens share a jti")
				}
			})
		}
	}
}

// TestSimplejwtShape checks the token decodes as simplejwt's does: PyJWT's
// header, simplejwt's members in simplejwt's order, user_id a string.
func TestSimplejwtShape(t *testing.T) {
	for _, alg := range []string{HS256, EdDSA} {
		t.Run(alg, func(t *testing.T) {
			i := newIssuer(t, alg)
			tok, c, err := i.Issue(Access, 42, 7, t0)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(tok, ".")
			if len(parts) != 3 {
				t.Fatalf("%d parts", len(parts))
			}
			hdr, err := b64.DecodeString(parts[0])
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"alg":"` + alg + `","typ":"JWT"}`; string(hdr) != want {
				t.Fatalf("header %s, want %s", hdr, want)
			}
			pl, err := b64.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf(`{"token_type":"access","exp":%d,"iat":%d,"jti":"%s","user_id":"42","sid":"7"}`,
				t0.Unix()+300, t0.Unix(), c.JTI)
			if string(pl) != want {
				t.Fatalf("payload\n got %s\nwant %s", pl, want)
			}
			var m map[string]any
			if err := json.Unmarshal(pl, &m); err != nil {
				t.Fatal(err)
			}
			if _, ok := m["user_id"].(string); !ok {
				t.Fatalf("user_id is %T, want string", m["user_id"])
			}

			// An independent verifier (golang-jwt's own Parse, with its
			// claim validation) accepts the token.
			var key any = hsKey
			if alg == EdDSA {
				key = ed25519.NewKeyFromSeed(edSeed).Public()
			}
			parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return key, nil },
				jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(func() time.Time { return t0 }), jwt.WithIssuedAt(), jwt.WithExpirationRequired())
			if err != nil || !parsed.Valid {
				t.Fatalf("golang-jwt refuses our token: %v", err)
			}
		})
	}
}

// TestForeignTokenAccepted parses a token built elsewhere, the way PyJWT
// builds simplejwt's (sorted header, compact separators, members in another
// order): member order and encoder do not matter, only key and claims.
func TestForeignTokenAccepted(t *testing.T) {
	i := newIssuer(t, HS256)
	tok := forge(hdrHS, payload(nil), hs256(hsKey))
	c, err := i.Parse(tok, Access, t0)
	if err != nil {
		t.Fatal(err)
	}
	if c.UserID != 42 || c.SessionID != 7 || c.JTI != jtiHex || !c.IssuedAt.Equal(t0) || !c.ExpiresAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("claims %+v", c)
	}
	// JSON escapes are JSON: "\u0034\u0032" is "42".
	escaped := strings.Replace(payload(nil), `"user_id":"42"`, `"user_id":"\u0034\u0032"`, 1)
	if !strings.Contains(escaped, `\u0034`) {
		t.Fatal("escape not written")
	}
	if c, err := i.Parse(forge(hdrHS, escaped, hs256(hsKey)), Access, t0); err != nil || c.UserID != 42 {
		t.Fatalf("escaped user_id: %+v, %v", c, err)
	}
}

func TestRefusals(t *testing.T) {
	hsI := newIssuer(t, HS256)
	edI := newIssuer(t, EdDSA)
	good, _, err := hsI.Issue(Access, 42, 7, t0)
	if err != nil {
		t.Fatal(err)
	}
	goodRefresh, _, err := hsI.Issue(Refresh, 42, 7, t0)
	if err != nil {
		t.Fatal(err)
	}
	goodEd, _, err := edI.Issue(Access, 42, 7, t0)
	if err != nil {
		t.Fatal(err)
	}
	otherEd, err := New(Config{Algorithm: EdDSA, SigningKey: bytes.Repeat([]byte{8}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	otherEdTok, _, err := otherEd.Issue(Access, 42, 7, t0)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	sig, _ := b64.DecodeString(parts[2])
	flipped := append([]byte(nil), sig...)
	flipped[0] ^= 1
	// A payload changed after signing, carrying the original signature.
	tamperedPayload := forge(hdrHS, payload(map[string]any{"user_id": "43"}), nil) + parts[2]
	tamperedEd := forge(hdrEd, payload(map[string]any{"user_id": "1"}), nil) + strings.Split(goodEd, ".")[2]
	// The last character of a 32-byte signature carries 4 bits of padding;
	// changing those bits decodes to the same bytes unless decoding is strict.
	last := parts[2][len(parts[2])-1]
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	pos := strings.IndexByte(alphabet, last)
	straySig := parts[2][:len(parts[2])-1] + string(alphabet[pos^1])
	edPub := []byte(ed25519.NewKeyFromSeed(edSeed).Public().(ed25519.PublicKey))
	sign := hs256(hsKey)
	signEd := ed(edSeed)

	cases := []struct {
		name   string
		iss    *Issuer
		tok    string
		want   string // "" = Access
		any    bool   // Parse with wantType "" (untyped)
		at     time.Time
		msg    string
		reason error
	}{
		{name: "empty", tok: "", msg: MsgInvalid, reason: ErrInvalid},
		{name: "garbage", tok: "not a token", msg: MsgInvalid, reason: ErrInvalid},
		{name: "two parts", tok: parts[0] + "." + parts[1], msg: MsgInvalid, reason: ErrInvalid},
		{name: "four parts", tok: good + ".x", msg: MsgInvalid, reason: ErrInvalid},
		{name: "too long", tok: good + strings.Repeat("A", MaxTokenBytes), msg: MsgInvalid, reason: ErrInvalid},
		{name: "bad base64 header", tok: "!!!." + parts[1] + "." + parts[2], msg: MsgInvalid, reason: ErrInvalid},
		{name: "header not json", tok: b64.EncodeToString([]byte("nope")) + "." + parts[1] + "." + parts[2], msg: MsgInvalid, reason: ErrInvalid},
		{name: "padded signature", tok: good + "=", msg: MsgInvalid, reason: ErrInvalid},
		{name: "stray bits in signature", tok: parts[0] + "." + parts[1] + "." + straySig, msg: MsgInvalid, reason: ErrInvalid},
		{name: "alg none", tok: forge(`{"alg":"none","typ":"JWT"}`, payload(nil), nil), msg: MsgInvalid, reason: ErrInvalid},
		{name: "alg None", tok: forge(`{"alg":"None","typ":"JWT"}`, payload(nil), nil), msg: MsgInvalid, reason: ErrInvalid},
		{name: "alg none with HS256 signature", tok: forge(`{"alg":"none","typ":"JWT"}`, payload(nil), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "no alg", tok: forge(`{"typ":"JWT"}`, payload(nil), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "HS512 with the right key", tok: forge(`{"alg":"HS512","typ":"JWT"}`, payload(nil), hs512(hsKey)), msg: MsgInvalid, reason: ErrInvalid},
		{name: "HS256 with another key", tok: forge(hdrHS, payload(nil), hs256([]byte("another key, 32 bytes long......"))), msg: MsgInvalid, reason: ErrInvalid},
		{name: "HS256 with empty key", tok: forge(hdrHS, payload(nil), hs256(nil)), msg: MsgInvalid, reason: ErrInvalid},
		{name: "tampered payload", tok: tamperedPayload, msg: MsgInvalid, reason: ErrInvalid},
		{name: "flipped signature bit", tok: parts[0] + "." + parts[1] + "." + b64.EncodeToString(flipped), msg: MsgInvalid, reason: ErrInvalid},
		{name: "no signature", tok: parts[0] + "." + parts[1] + ".", msg: MsgInvalid, reason: ErrInvalid},
		{name: "EdDSA token at HS256 issuer", tok: goodEd, msg: MsgInvalid, reason: ErrInvalid},
		{name: "HS256 token at EdDSA issuer", iss: edI, tok: good, msg: MsgInvalid, reason: ErrInvalid},
		{name: "HS256 keyed with the Ed25519 public key at EdDSA issuer", iss: edI, tok: forge(hdrHS, payload(nil), hs256(edPub)), msg: MsgInvalid, reason: ErrInvalid},
		{name: "EdDSA by another key", iss: edI, tok: otherEdTok, msg: MsgInvalid, reason: ErrInvalid},
		{name: "EdDSA tampered payload", iss: edI, tok: tamperedEd, msg: MsgInvalid, reason: ErrInvalid},
		{name: "expired", tok: good, at: t0.Add(5 * time.Minute), msg: MsgExpired, reason: ErrExpired},
		{name: "expired long ago", tok: good, at: t0.Add(48 * time.Hour), msg: MsgExpired, reason: ErrExpired},
		{name: "expired refresh", tok: goodRefresh, want: Refresh, at: t0.Add(24 * time.Hour), msg: MsgExpired, reason: ErrExpired},
		{name: "expired EdDSA", iss: edI, tok: goodEd, at: t0.Add(time.Hour), msg: MsgExpired, reason: ErrExpired},
		{name: "expired takes precedence over wrong type", tok: goodRefresh, at: t0.Add(25 * time.Hour), msg: MsgExpired, reason: ErrExpired},
		{name: "iat in the future", tok: good, at: t0.Add(-MaxClockSkew - time.Second), msg: MsgInvalid, reason: ErrInvalid},
		{name: "refresh as access", tok: goodRefresh, msg: MsgWrongType, reason: ErrWrongType},
		{name: "access as refresh", tok: good, want: Refresh, msg: MsgWrongType, reason: ErrWrongType},
		{name: "EdDSA refresh as access", iss: edI, tok: forge(hdrEd, payload(map[string]any{"token_type": "refresh"}), signEd), msg: MsgWrongType, reason: ErrWrongType},
		{name: "no token_type", tok: forge(hdrHS, payload(map[string]any{"token_type": nil}), sign), msg: MsgNoType, reason: ErrWrongType},
		{name: "sliding token_type", tok: forge(hdrHS, payload(map[string]any{"token_type": "sliding"}), sign), any: true, msg: MsgWrongType, reason: ErrWrongType},
		{name: "token_type number", tok: forge(hdrHS, payload(map[string]any{"token_type": 1}), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "no exp", tok: forge(hdrHS, payload(map[string]any{"exp": nil}), sign), msg: MsgNoExp, reason: ErrInvalid},
		{name: "exp null", tok: forge(hdrHS, strings.Replace(payload(nil), fmt.Sprint(t0.Unix()+300), "null", 1), sign), msg: MsgNoExp, reason: ErrInvalid},
		{name: "exp string", tok: forge(hdrHS, payload(map[string]any{"exp": fmt.Sprint(t0.Unix() + 300)}), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "exp fraction", tok: forge(hdrHS, payload(map[string]any{"exp": float64(t0.Unix()) + 300.5}), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "exp huge", tok: forge(hdrHS, payload(map[string]any{"exp": json.Number("99999999999999999999")}), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "no iat", tok: forge(hdrHS, payload(map[string]any{"iat": nil}), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "iat bool", tok: forge(hdrHS, payload(map[string]any{"iat": true}), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "iat not before exp", tok: forge(hdrHS, payload(map[string]any{"iat": t0.Unix() + 300}), sign), at: t0.Add(time.Second), msg: MsgInvalid, reason: ErrInvalid},
		{name: "no jti", tok: forge(hdrHS, payload(map[string]any{"jti": nil}), sign), msg: MsgNoID, reason: ErrInvalid},
		{name: "jti upper case", tok: forge(hdrHS, payload(map[string]any{"jti": strings.ToUpper(jtiHex)}), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "jti short", tok: forge(hdrHS, payload(map[string]any{"jti": "abc"}), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "jti number", tok: forge(hdrHS, payload(map[string]any{"jti": 5}), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "no user_id", tok: forge(hdrHS, payload(map[string]any{"user_id": nil}), sign), msg: MsgNoUser, reason: ErrInvalid},
		{name: "user_id number", tok: forge(hdrHS, payload(map[string]any{"user_id": 42}), sign), msg: MsgNoUser, reason: ErrInvalid},
		{name: "user_id zero", tok: forge(hdrHS, payload(map[string]any{"user_id": "0"}), sign), msg: MsgNoUser, reason: ErrInvalid},
		{name: "user_id negative", tok: forge(hdrHS, payload(map[string]any{"user_id": "-4"}), sign), msg: MsgNoUser, reason: ErrInvalid},
		{name: "user_id leading zero", tok: forge(hdrHS, payload(map[string]any{"user_id": "042"}), sign), msg: MsgNoUser, reason: ErrInvalid},
		{name: "user_id plus", tok: forge(hdrHS, payload(map[string]any{"user_id": "+42"}), sign), msg: MsgNoUser, reason: ErrInvalid},
		{name: "user_id not decimal", tok: forge(hdrHS, payload(map[string]any{"user_id": "G0-09121234567"}), sign), msg: MsgNoUser, reason: ErrInvalid},
		{name: "user_id overflow", tok: forge(hdrHS, payload(map[string]any{"user_id": "9223372036854775808"}), sign), msg: MsgNoUser, reason: ErrInvalid},
		{name: "no sid", tok: forge(hdrHS, payload(map[string]any{"sid": nil}), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "sid number", tok: forge(hdrHS, payload(map[string]any{"sid": 7}), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "sid empty", tok: forge(hdrHS, payload(map[string]any{"sid": ""}), sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "payload array", tok: forge(hdrHS, `[1,2]`, sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "payload null", tok: forge(hdrHS, `null`, sign), msg: MsgNoExp, reason: ErrInvalid},
		{name: "payload not json", tok: forge(hdrHS, `{"exp":`, sign), msg: MsgInvalid, reason: ErrInvalid},
		{name: "member names are case sensitive", tok: forge(hdrHS, strings.Replace(payload(nil), `"token_type"`, `"TOKEN_TYPE"`, 1), sign), msg: MsgNoType, reason: ErrWrongType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			iss := c.iss
			if iss == nil {
				iss = hsI
			}
			want := c.want
			switch {
			case c.any:
				want = ""
			case want == "":
				want = Access
			}
			at := c.at
			if at.IsZero() {
				at = t0
			}
			got, err := iss.Parse(c.tok, want, at)
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			if got != (Claims{}) {
				t.Errorf("claims returned with an error: %+v", got)
			}
			var e *chelseru.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not a *chelseru.Error", err, err)
			}
			if e.Code != chelseru.EUNAUTHORIZED || e.Message != c.msg || e.Extra["code"] != "token_not_valid" || len(e.Extra) != 1 {
				t.Errorf("got Code %q Message %q Extra %v; want %q %q token_not_valid", e.Code, e.Message, e.Extra, chelseru.EUNAUTHORIZED, c.msg)
			}
			if !errors.Is(err, c.reason) {
				t.Errorf("error %v does not wrap %v", err, c.reason)
			}
			if e.Err == nil {
				t.Error("no cause wrapped")
			}
		})
	}
}

func TestBoundaries(t *testing.T) {
	i := newIssuer(t, HS256)
	tok, c, err := i.Issue(Access, 1, 1, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := i.Parse(tok, Access, c.ExpiresAt.Add(-time.Nanosecond)); err != nil {
		t.Errorf("a nanosecond before exp: %v", err)
	}
	if _, err := i.Parse(tok, Access, c.ExpiresAt); !errors.Is(err, ErrExpired) {
		t.Errorf("at exp: %v, want expired (no leeway)", err)
	}
	if _, err := i.Parse(tok, Access, t0.Add(-MaxClockSkew)); err != nil {
		t.Errorf("iat exactly MaxClockSkew ahead: %v", err)
	}
	if _, err := i.Parse(tok, Access, t0.Add(-MaxClockSkew-time.Nanosecond)); !errors.Is(err, ErrInvalid) {
		t.Errorf("iat beyond MaxClockSkew: %v, want invalid", err)
	}
	if _, err := i.Parse(tok, "sliding", t0); chelseru.ErrorCode(err) != chelseru.EINTERNAL {
		t.Errorf("unknown wantType: %v, want internal error", err)
	}
}

func TestIssueErrors(t *testing.T) {
	i := newIssuer(t, HS256)
	for _, c := range []struct {
		typ       string
		uid, sid  int64
		wantError bool
	}{
		{Access, 1, 1, false},
		{Refresh, 1<<63 - 1, 1<<63 - 1, false},
		{"sliding", 1, 1, true},
		{"", 1, 1, true},
		{Access, 0, 1, true},
		{Access, 1, 0, true},
		{Access, -1, 1, true},
	} {
		_, _, err := i.Issue(c.typ, c.uid, c.sid, t0)
		if (err != nil) != c.wantError {
			t.Errorf("Issue(%q, %d, %d) error = %v, want error %v", c.typ, c.uid, c.sid, err, c.wantError)
		}
	}
}

func TestNew(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{SigningKey: []byte("k")}, true},
		{"HS256", Config{Algorithm: HS256, SigningKey: hsKey}, true},
		{"EdDSA", Config{Algorithm: EdDSA, SigningKey: edSeed}, true},
		{"HS256 empty key", Config{Algorithm: HS256}, false},
		{"EdDSA short seed", Config{Algorithm: EdDSA, SigningKey: edSeed[:31]}, false},
		{"EdDSA full private key", Config{Algorithm: EdDSA, SigningKey: ed25519.NewKeyFromSeed(edSeed)}, false},
		{"RS256", Config{Algorithm: "RS256", SigningKey: hsKey}, false},
		{"none", Config{Algorithm: "none", SigningKey: hsKey}, false},
		{"lower case", Config{Algorithm: "hs256", SigningKey: hsKey}, false},
		{"negative lifetime", Config{SigningKey: hsKey, AccessLifetime: -time.Second}, false},
		{"sub-second lifetime", Config{SigningKey: hsKey, RefreshLifetime: time.Millisecond}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			i, err := New(c.cfg)
			if (err == nil) != c.ok {
				t.Fatalf("New error = %v, want ok %v", err, c.ok)
			}
			if err != nil && strings.Contains(err.Error(), string(hsKey)) {
				t.Fatalf("error leaks the key: %v", err)
			}
			if err == nil {
				got := i.Config()
				if got.Algorithm == "" || got.AccessLifetime != DefaultAccessLifetime || got.RefreshLifetime != DefaultRefreshLifetime {
					t.Fatalf("defaults not filled: %+v", got)
				}
			}
		})
	}
}

func TestConfigIsACopy(t *testing.T) {
	key := append([]byte(nil), hsKey...)
	i, err := New(Config{SigningKey: key})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := i.Issue(Access, 1, 1, t0)
	if err != nil {
		t.Fatal(err)
	}
	key[0] ^= 0xff                // the caller's slice
	i.Config().SigningKey[1] ^= 1 // the returned copy
	if _, err := i.Parse(tok, Access, t0); err != nil {
		t.Fatalf("issuer's key changed under it: %v", err)
	}
	if i.PublicKey() != nil {
		t.Fatal("HS256 issuer has a public key")
	}
	e := newIssuer(t, EdDSA)
	if !bytes.Equal(e.PublicKey(), ed25519.NewKeyFromSeed(edSeed).Public().(ed25519.PublicKey)) {
		t.Fatal("EdDSA public key mismatch")
	}
}

func TestIssueWithJTI(t *testing.T) {
	iss := newIssuer(t, HS256)
	now := time.Now()
	jti, err := NewJTI()
	if err != nil {
		t.Fatal(err)
	}
	tok, c, err := iss.IssueWithJTI(Refresh, 7, 9, jti, now)
	if err != nil || c.JTI != jti {
		t.Fatalf("IssueWithJTI: claims jti %q, err %v; want %q", c.JTI, err, jti)
	}
	got, err := iss.Parse(tok, Refresh, now)
	if err != nil || got.JTI != jti || got.SessionID != 9 || got.UserID != 7 {
		t.Fatalf("Parse: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "abc", strings.ToUpper(jti), jti + "0", strings.Repeat("g", 32)} {
		if _, _, err := iss.IssueWithJTI(Refresh, 7, 9, bad, now); err == nil {
			t.Errorf("IssueWithJTI accepted jti %q", bad)
		}
	}
}
