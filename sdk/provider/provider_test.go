package provider_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/provider"
)

func TestAppendFormMatchesNetURL(t *testing.T) {
	for _, v := range []string{"", "09123456789", "کد تایید شما ۴۸۲۱۹۳", "a b+c&d=e/f?g#h%i~j", "\x00\xff\n", "token;2"} {
		got := string(provider.AppendForm(provider.AppendForm(nil, "k", v), "x y", v))
		want := url.Values{"k": {v}, "x y": {v}}.Encode()
		// url.Values sorts keys; "k" < "x y", so the orders agree.
		if got != want {
			t.Errorf("AppendForm(%q) = %q, want %q", v, got, want)
		}
		if p := string(provider.AppendPathEscape(nil, v)); p != url.PathEscape(v) {
			t.Errorf("AppendPathEscape(%q) = %q, want %q", v, p, url.PathEscape(v))
		}
	}
}

func FuzzAppendForm(f *testing.F) {
	for _, s := range []string{"", "abc", "a b", "۴۸۲", "%&=+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(provider.AppendQueryEscape(nil, s)), url.QueryEscape(s); got != want {
			t.Fatalf("AppendQueryEscape(%q) = %q, want %q", s, got, want)
		}
		if got, want := string(provider.AppendPathEscape(nil, s)), url.PathEscape(s); got != want {
			t.Fatalf("AppendPathEscape(%q) = %q, want %q", s, got, want)
		}
	})
}

func TestCheckBaseURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://api.kavenegar.com", "https://api.kavenegar.com"},
		{"http://127.0.0.1:18080/", "http://127.0.0.1:18080"},
		{"https://mirror.example/sms//", "https://mirror.example/sms"},
		{"ftp://x", ""},
		{"https://", ""},
		{"https://user:secret@host", ""},
		{"https://host/?q=1", ""},
		{"https://host/#f", ""},
		{"https://ho st", ""},
		{"api.kavenegar.com", ""},
	} {
		got, reason := provider.CheckBaseURL(tc.in)
		if got != tc.want || (tc.want == "") != (reason != "") {
			t.Errorf("CheckBaseURL(%q) = %q, %q; want %q", tc.in, got, reason, tc.want)
		}
		if reason != "" && strings.Contains(reason, "secret") {
			t.Errorf("reason repeats the URL: %q", reason)
		}
	}
}

func TestScrub(t *testing.T) {
	for _, tc := range []struct {
		in, secret string
		max        int
		want       string
	}{
		{"bad key k3y k3y", "k3y", 100, "bad key [secret] [secret]"},
		{"nothing", "", 100, "nothing"},
		{"abcdef", "", 3, "abc…"},
		{"ابپ", "", 3, "ا…"}, // cut at a rune boundary
	} {
		if got := provider.Scrub(tc.in, tc.secret, "[secret]", tc.max); got != tc.want {
			t.Errorf("Scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if a := provider.Fail("permanent", "7", "filtered").Result; a == nil || a.OK || a.Class != "permanent" || a.Code != "7" || a.Text != "filtered" {
		t.Errorf("Fail = %+v", a)
	}
}

func TestBaseURL(t *testing.T) {
	const key, def = "X_BASE_URL", "https://api.example"
	if u, err := provider.BaseURL(map[string]string{}, key, def); err != nil || u != def {
		t.Errorf("unset: %q, %v; want the default", u, err)
	}
	if u, err := provider.BaseURL(map[string]string{key: "http://127.0.0.1:9/"}, key, def); err != nil || u != "http://127.0.0.1:9" {
		t.Errorf("set: %q, %v", u, err)
	}
	_, err := provider.BaseURL(map[string]string{key: "https://u:secret@h"}, key, def)
	if err == nil || !strings.HasPrefix(err.Error(), key+": ") || strings.Contains(err.Error(), "secret") {
		t.Errorf("bad URL: %v; want an error naming the key and not the URL", err)
	}
}

// TestScratch: the request and result come back as built, the body shared
// with the plugin's buffer, and are reused by the next call.
func TestScratch(t *testing.T) {
	var s provider.Scratch
	body := []byte("a=1&b=2")
	q := s.POSTForm("https://api.example/send", body)
	if q.Method != "POST" || q.URL != "https://api.example/send" || q.Body != "a=1&b=2" || len(q.Headers) != len(provider.FormHeaders()) {
		t.Fatalf("request %+v", q)
	}
	if q2 := s.POSTForm("https://api.example/other", nil); q2 != q || q2.Body != "" || q2.URL != "https://api.example/other" {
		t.Fatalf("second request %+v (same pointer: %v)", q2, q2 == q)
	}
	r := s.Result(abi.Result{OK: true, MessageID: "42"})
	if !r.OK || r.MessageID != "42" || s.Result(abi.Result{Class: abi.ClassTemporary}) != r || r.OK {
		t.Fatalf("result %+v", r)
	}
}
