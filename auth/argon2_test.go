package auth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/chelseru/chelseru"
)

// cheap are small parameters for tests that hash many times.
var cheap = PasswordParams{Memory: minPasswordMemory, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$`)

func TestHashPasswordRoundTrip(t *testing.T) {
	pws := []string{"correct horse battery", "رمز عبور بلند ۱۲۳", "a\x00b with a nul", strings.Repeat("x", MaxPasswordRunes), ""}
	for _, p := range []PasswordParams{DefaultPasswordParams(), cheap, {Memory: 12 * 1024, Time: 3, Threads: 2, SaltLen: 8, KeyLen: 16}} {
		pws := pws
		if p != cheap {
			pws = pws[:2] // the expensive sets once or twice: argon2 is slow under -race
		}
		for _, pw := range pws {
			name := fmt.Sprintf("m=%d,t=%d,p=%d/%q", p.Memory, p.Time, p.Threads, pw)
			if len(name) > 60 {
				name = name[:60]
			}
			t.Run(name, func(t *testing.T) {
				h, err := HashPassword(pw, p)
				if err != nil {
					t.Fatal(err)
				}
				m := phcRE.FindStringSubmatch(h)
				if m == nil {
					t.Fatalf("%q is not an argon2id PHC string", h)
				}
				if want := fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads); !strings.Contains(h, want) {
					t.Errorf("%q does not carry %s", h, want)
				}
				salt, _ := base64.RawStdEncoding.DecodeString(m[4])
				key, _ := base64.RawStdEncoding.DecodeString(m[5])
				if len(salt) != int(p.SaltLen) || len(key) != int(p.KeyLen) {
					t.Errorf("salt %d bytes, key %d bytes; want %d, %d", len(salt), len(key), p.SaltLen, p.KeyLen)
				}
				// The key is argon2id's, computed independently here.
				if want := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen); string(want) != string(key) {
					t.Error("key is not argon2id(password, salt)")
				}
				ok, got, err := VerifyPassword(pw, h)
				if err != nil || !ok {
					t.Fatalf("VerifyPassword(right) = %v, %v", ok, err)
				}
				if got != p {
					t.Errorf("params read back %+v, want %+v", got, p)
				}
				for _, wrong := range []string{pw + "x", strings.ToUpper(pw) + "!", " " + pw} {
					if ok, _, err := VerifyPassword(wrong, h); err != nil || ok {
						t.Errorf("VerifyPassword(%q) = %v, %v; want false", wrong, ok, err)
					}
				}
			})
		}
	}
}

func TestHashPasswordSaltIsRandom(t *testing.T) {
	a, err := HashPassword("same password", cheap)
	if err != nil {
		t.Fatal(err)
	}
	b, err := HashPassword("same password", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

func TestVerifyPasswordTampered(t *testing.T) {
	const pw = "correct horse battery"
	h, err := HashPassword(pw, cheap)
	if err != nil {
		t.Fatal(err)
	}
	m := phcRE.FindStringSubmatch(h)
	salt, key := m[4], m[5]
	flip := func(s string) string { // change the first base64 character
		c := byte('A')
		if s[0] == 'A' {
			c = 'B'
		}
		return string(c) + s[1:]
	}
	// Each still parses, with other parameters or another salt or key, and
	// must not verify.
	tampered := map[string]string{
		"key":    strings.Replace(h, key, flip(key), 1),
		"salt":   strings.Replace(h, salt, flip(salt), 1),
		"memory": strings.Replace(h, "m=8192", "m=8193", 1),
		"time":   strings.Replace(h, "t=1", "t=2", 1),
		"lanes":  strings.Replace(h, "p=1", "p=2", 1),
	}
	for name, th := range tampered {
		t.Run(name, func(t *testing.T) {
			if th == h {
				t.Fatal("tampering changed nothing")
			}
			ok, _, err := VerifyPassword(pw, th)
			if err != nil || ok {
				t.Fatalf("VerifyPassword(tampered %s) = %v, %v; want false, nil", name, ok, err)
			}
		})
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	good, err := HashPassword("pw", cheap)
	if err != nil {
		t.Fatal(err)
	}
	m := phcRE.FindStringSubmatch(good)
	tail := "$" + m[4] + "$" + m[5]
	bad := map[string]string{
		"empty":            "",
		"argon2i":          strings.Replace(good, "argon2id", "argon2i", 1),
		"argon2d":          strings.Replace(good, "argon2id", "argon2d", 1),
		"version 16":       strings.Replace(good, "v=19", "v=16", 1),
		"no version":       "$argon2id$m=8192,t=1,p=1" + tail,
		"bcrypt":           "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
		"django pbkdf2":    "pbkdf2_sha256$600000$salt$hash",
		"params reordered": "$argon2id$v=19$t=1,m=8192,p=1" + tail,
		"missing p":        "$argon2id$v=19$m=8192,t=1" + tail,
		"extra param":      "$argon2id$v=19$m=8192,t=1,p=1,k=2" + tail,
		"leading zero":     "$argon2id$v=19$m=08192,t=1,p=1" + tail,
		"plus sign":        "$argon2id$v=19$m=+8192,t=1,p=1" + tail,
		"negative":         "$argon2id$v=19$m=8192,t=-1,p=1" + tail,
		"memory too small": "$argon2id$v=19$m=1024,t=1,p=1" + tail,
		"memory too large": "$argon2id$v=19$m=4194304,t=1,p=1" + tail,
		"memory overflow":  "$argon2id$v=19$m=99999999999,t=1,p=1" + tail,
		"time 0":           "$argon2id$v=19$m=8192,t=0,p=1" + tail,
		"time too large":   "$argon2id$v=19$m=8192,t=1000,p=1" + tail,
		"threads 0":        "$argon2id$v=19$m=8192,t=1,p=0" + tail,
		"threads 256":      "$argon2id$v=19$m=8192,t=1,p=256" + tail,
		"salt padded":      "$argon2id$v=19$m=8192,t=1,p=1$" + m[4] + "==$" + m[5],
		"salt not base64":  "$argon2id$v=19$m=8192,t=1,p=1$***$" + m[5],
		"salt too short":   "$argon2id$v=19$m=8192,t=1,p=1$AAAA$" + m[5],
		"key too short":    "$argon2id$v=19$m=8192,t=1,p=1$" + m[4] + "$AAAA",
		"no key":           "$argon2id$v=19$m=8192,t=1,p=1$" + m[4],
		"trailing field":   good + "$x",
		"key url alphabet": "$argon2id$v=19$m=8192,t=1,p=1$" + m[4] + "$" + strings.Repeat("_", 43),
	}
	for name, h := range bad {
		t.Run(name, func(t *testing.T) {
			ok, _, err := VerifyPassword("pw", h)
			if ok || !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("VerifyPassword(%q) = %v, %v; want false, ErrMalformedHash", h, ok, err)
			}
			if err != nil && strings.Contains(err.Error(), "pw") && !strings.Contains(h, "pw") {
				t.Errorf("error mentions the password: %v", err)
			}
		})
	}
}

func TestHashPasswordRefusesBadParams(t *testing.T) {
	bad := []PasswordParams{
		{},
		{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 8192, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 8192, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 8192, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 8192, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
		{Memory: 1 << 30, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
	}
	for _, p := range bad {
		if h, err := HashPassword("pw", p); err == nil {
			t.Errorf("HashPassword with %+v = %q, want an error", p, h)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	const short, numeric, long = "This password is too short. It must contain at least 8 characters.",
		"This password is entirely numeric.", "Ensure this field has no more than 128 characters."
	cases := []struct {
		pw   string
		want []string
	}{
		{"", []string{"This field is required."}},
		{"abc", []string{short}},
		{"1234", []string{short, numeric}},
		{"12345678", []string{numeric}},
		{"۱۲۳۴۵۶۷۸۹", []string{numeric}}, // Persian digits are digits (Python's isdigit)
		{"1234567a", nil},
		{"abcdefgh", nil},
		{"رمزعبورم", nil}, // 8 runes, 16 bytes
		{"رمز", []string{short}},
		{strings.Repeat("ب", 128), nil},
		{strings.Repeat("ب", 129), []string{long}},
		{strings.Repeat("1", 129), []string{long}},
		{"        ", nil}, // spaces are kept and count
	}
	for _, c := range cases {
		err := validatePassword(c.pw)
		var got []string
		if err != nil {
			var e *chelseru.Error
			if !errors.As(err, &e) || e.Code != chelseru.EINVALID {
				t.Fatalf("validatePassword(%q) = %v, want a validation error", c.pw, err)
			}
			got = e.Fields["password"]
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("validatePassword(%q) = %q, want %q", c.pw, got, c.want)
		}
	}
}

// BenchmarkHashPassword measures one argon2id hash at the default and a few
// other parameter sets, on this machine (figures in docs/RATIONALE.md).
func BenchmarkHashPassword(b *testing.B) {
	sets := []PasswordParams{
		DefaultPasswordParams(),
		{Memory: 12 * 1024, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 46 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64 * 1024, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19 * 1024, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32},
	}
	for _, p := range sets {
		b.Run(fmt.Sprintf("m=%dKiB,t=%d,p=%d", p.Memory, p.Time, p.Threads), func(b *testing.B) {
			for b.Loop() {
				if _, err := HashPassword("correct horse battery", p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHashPasswordParallel measures hashes per second with the default
// parameters and GOMAXPROCS hashes at once, the Service's default bound: the
// ceiling of password logins per second on this machine.
func BenchmarkHashPasswordParallel(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := HashPassword("correct horse battery", DefaultPasswordParams()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
