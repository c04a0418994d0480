package auth

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/token"
)

func TestNewCode(t *testing.T) {
	counts := [10]int{}
	const n, length = 20000, 10
	for range n {
		c, err := newCode(length)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != length {
			t.Fatalf("code %q has %d digits", c, len(c))
		}
		for _, d := range c {
			if d < '0' || d > '9' {
				t.Fatalf("code %q has a non-digit", c)
			}
			counts[d-'0']++
		}
	}
	// Chi-square with 9 degrees of freedom: 45 is beyond p = 1e-6, so a
	// fair source fails this about once in a million runs; a mod-256 bias
	// (digits 0-5 at 26/256, 6-9 at 25/256) scores about 73 at this size.
	expected := float64(n*length) / 10
	chi := 0.0
	for _, c := range counts {
		d := float64(c) - expected
		chi += d * d / expected
	}
	if chi > 45 {
		t.Fatalf("digits not uniform: %v (chi2 %.1f)", counts, chi)
	}
}

func TestCeilSeconds(t *testing.T) {
	cases := map[time.Duration]int64{0: 1, time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2, 139500 * time.Millisecond: 140, time.Hour: 3600}
	for d, want := range cases {
		if got := ceilSeconds(d); got != want {
			t.Errorf("ceilSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}

func TestIPLimitKey(t *testing.T) {
	cases := map[string]string{
		"192.0.2.1":              "192.0.2.1",
		"::ffff:192.0.2.1":       "192.0.2.1",
		"2001:db8:1:2:3:4:5:6":   "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":   "2001:db8:1:2::/64",
		"fe80::1%eth0":           "fe80::/64",
		"not an address":         "not an address",
		"2001:db8:1:3::1":        "2001:db8:1:3::/64",
		"2001:0db8:0001:0002::9": "2001:db8:1:2::/64",
	}
	for in, want := range cases {
		if got := ipLimitKey(in); got != want {
			t.Errorf("ipLimitKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProviderCode(t *testing.T) {
	cases := []struct {
		in   string
		want any
	}{
		{"", nil}, {"418", int64(418)}, {"0", int64(0)}, {"012", "012"}, {"E12", "E12"}, {"-1", "-1"}, {"1234567890123456789", "1234567890123456789"},
	}
	for _, c := range cases {
		if got := providerCode(c.in); got != c.want {
			t.Errorf("providerCode(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestBearer(t *testing.T) {
	cases := []struct {
		h, tok, code string
	}{
		{"", "", chelseru.EUNAUTHENTICATED},
		{"Basic abc", "", chelseru.EUNAUTHENTICATED},
		{"bearer abc", "", chelseru.EUNAUTHENTICATED}, // simplejwt compares the type case-sensitively
		{"Bearer", "", chelseru.EUNAUTHORIZED},
		{"Bearer a b", "", chelseru.EUNAUTHORIZED},
		{"Bearer abc", "abc", ""},
		{"  Bearer   abc  ", "abc", ""},
	}
	for _, c := range cases {
		tok, err := bearer(c.h)
		if tok != c.tok || chelseru.ErrorCode(err) != c.code {
			t.Errorf("bearer(%q) = %q, %v; want %q, %q", c.h, tok, err, c.tok, c.code)
		}
	}
}

func TestAsciiDigitsAndTruncate(t *testing.T) {
	if got := chelseru.ASCIIDigits(strings.TrimSpace(" ۱۲۳٤٥6x ")); got != "123456x" {
		t.Errorf("ASCIIDigits = %q", got)
	}
	s := strings.Repeat("س", 300) // 600 bytes
	got := truncateUTF8(s, 511)
	if len(got) != 510 || !utf8.ValidString(got) {
		t.Errorf("truncateUTF8 gave %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}

func TestNewValidates(t *testing.T) {
	iss, err := token.New(token.Config{SigningKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	deps := Deps{Store: nilStore{}, Sender: nilSender{}, Tokens: iss, OTPKey: make([]byte, 32)}
	if _, err := New(Options{}, deps); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	bad := []struct {
		o Options
		d func(*Deps)
	}{
		{Options{OTPLength: 2}, nil},
		{Options{OTPLength: 11}, nil},
		{Options{OTPTTL: time.Millisecond}, nil},
		{Options{MaxAttempts: -1}, nil},
		{Options{}, func(d *Deps) { d.Store = nil }},
		{Options{}, func(d *Deps) { d.Sender = nil }},
		{Options{}, func(d *Deps) { d.Tokens = nil }},
		{Options{}, func(d *Deps) { d.OTPKey = []byte("short") }},
	}
	for i, b := range bad {
		d := deps
		if b.d != nil {
			b.d(&d)
		}
		if _, err := New(b.o, d); err == nil {
			t.Errorf("case %d: accepted", i)
		}
	}
}

func TestDescribeAgent(t *testing.T) {
	iss, _ := token.New(token.Config{SigningKey: []byte("0123456789abcdef0123456789abcdef")})
	s, err := New(Options{}, Deps{Store: nilStore{}, Sender: nilSender{}, Tokens: iss, OTPKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ ua, device, browser string }{
		{"", "", ""},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36", "Other", "Chrome 118"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "iPhone", "Safari 17"},
	}
	for _, c := range cases {
		d, b := s.describeAgent(c.ua)
		if d != c.device || b != c.browser {
			t.Errorf("%q: %q %q, want %q %q", c.ua, d, b, c.device, c.browser)
		}
	}
}

// nilStore and nilSender satisfy the ports for tests of New; they are
// never called.
type nilStore struct{ chelseru.Store }
type nilSender struct{}

func (nilSender) Send(context.Context, chelseru.SMS) (chelseru.SMSResult, error) {
	return chelseru.SMSResult{}, nil
}
