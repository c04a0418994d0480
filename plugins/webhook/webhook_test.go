package webhook

import (
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru/sdk/abi"
)

var good = map[string]string{SettingBaseURL: "https://bridge.example.com/sms", SettingSecret: "0123456789abcdef"}

// TestConfigure: a missing or malformed URL and a short secret are refused
// with the key named; the secret never appears in the error.
func TestConfigure(t *testing.T) {
	for _, tt := range []struct {
		settings map[string]string
		want     string
	}{
		{map[string]string{SettingSecret: "0123456789abcdef"}, SettingBaseURL},
		{map[string]string{SettingBaseURL: "ftp://x", SettingSecret: "0123456789abcdef"}, SettingBaseURL},
		{map[string]string{SettingBaseURL: "https://x.example/a?b=c", SettingSecret: "0123456789abcdef"}, SettingBaseURL},
		{map[string]string{SettingBaseURL: "https://x.example/a", SettingSecret: "short-secret"}, SettingSecret + " must be at least 16 bytes"},
	} {
		err := New().Configure(tt.settings)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "short-secret") {
			t.Errorf("%v: got %v, want an error with %q", tt.settings, err, tt.want)
		}
	}
	if err := New().Configure(good); err != nil {
		t.Fatal(err)
	}
}

// TestSignature: the request's signature header is Sign over its timestamp
// and body, and changes with either.
func TestSignature(t *testing.T) {
	p := New()
	if err := p.Configure(good); err != nil {
		t.Fatal(err)
	}
	m := abi.Message{To: "09123456789", TemplateID: 100, Vars: []string{"4821"}, Time: 1767225600}
	a := p.Send(m)
	if a.Request == nil {
		t.Fatalf("no request: %+v", a.Result)
	}
	hs := map[string]string{}
	for _, h := range a.Request.Headers {
		hs[h.Name] = h.Value
	}
	body := []byte(a.Request.Body)
	if want := Sign(good[SettingSecret], "1767225600", body); hs[HeaderSignature] != want || hs[HeaderTimestamp] != "1767225600" {
		t.Errorf("headers %v, want signature %s", hs, want)
	}
	sig := hs[HeaderSignature]
	m.Time++
	a = p.Send(m)
	for _, h := range a.Request.Headers {
		if h.Name == HeaderSignature && h.Value == sig {
			t.Error("another time gave the same signature")
		}
	}
	if Sign(good[SettingSecret], "1767225600", append(body, ' ')) == sig {
		t.Error("another body gave the same signature")
	}
}

// TestRefusesWithoutTime: a message from a host that gives no time cannot
// be signed and is refused without a request (the real host always gives
// one, so this is not a golden case).
func TestRefusesWithoutTime(t *testing.T) {
	p := New()
	if err := p.Configure(good); err != nil {
		t.Fatal(err)
	}
	a := p.Send(abi.Message{To: "09123456789", TemplateID: 100, Vars: []string{"4821"}})
	if a.Result == nil || a.Result.Class != abi.ClassPermanent || a.Result.Code != "no_time" {
		t.Fatalf("got %+v %+v", a.Request, a.Result)
	}
}

// TestVerify: the receiver's check accepts a fresh, correctly signed
// request and refuses a stale one, a future one, a tampered body, a wrong
// secret and a malformed timestamp.
func TestVerify(t *testing.T) {
	const secret = "0123456789abcdef"
	body := []byte(`{"to":"09123456789","text":"","template_id":100,"vars":["4821"]}`)
	now := time.Unix(1767225600, 0)
	sig := Sign(secret, "1767225600", body)
	if err := Verify(secret, "1767225600", sig, body, now.Add(time.Minute), 0); err != nil {
		t.Fatalf("fresh request: %v", err)
	}
	for _, tt := range []struct {
		name, secret, ts, sig string
		body                  []byte
		now                   time.Time
		want                  error
	}{
		{"stale", secret, "1767225600", sig, body, now.Add(6 * time.Minute), ErrStale},
		{"future", secret, "1767225600", sig, body, now.Add(-6 * time.Minute), ErrStale},
		{"tampered", secret, "1767225600", sig, append([]byte(nil), append(body, ' ')...), now, ErrBadSignature},
		{"wrong secret", "fedcba9876543210", "1767225600", sig, body, now, ErrBadSignature},
		{"timestamp moved", secret, "1767225601", sig, body, now, ErrBadSignature},
		{"bad timestamp", secret, "17672e5600", sig, body, now, ErrBadTimestamp},
	} {
		if err := Verify(tt.secret, tt.ts, tt.sig, tt.body, tt.now, 0); err != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}
