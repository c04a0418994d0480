// Package provider holds the small pieces every HTTP SMS provider plugin
// needs, written for Go wasm guests: form encoding without net/url (and the
// fmt it pulls in), base-URL checking, scrubbing secrets out of provider text,
// and the failed-Result action. The built-in providers use it; so can yours.
package provider

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/chelseru/chelseru/sdk/abi"
)

// FormHeaders returns the headers of a form POST that expects JSON back, in a
// new slice the caller may change.
func FormHeaders() []abi.Header { return append([]abi.Header(nil), formHeaders...) }

// formHeaders is shared by every Scratch.POSTForm request (an Action is
// encoded before the plugin's next call, so sharing it is safe); never modified.
var formHeaders = []abi.Header{
	{Name: "Content-Type", Value: "application/x-www-form-urlencoded"},
	{Name: "Accept", Value: "application/json"},
}

// Fail returns an action that ends the send with a failed Result of the given
// class and the provider's own code and text.
func Fail(class, code, text string) abi.Action {
	return abi.Action{Result: &abi.Result{Class: class, Code: code, Text: text}}
}

// CheckBaseURL validates an http(s) base URL (a <NAME>_BASE_URL setting)
// without net/url and returns it without a trailing slash; otherwise it
// returns a reason, which never repeats the URL (it may hold a secret).
func CheckBaseURL(u string) (url, reason string) {
	rest, ok := strings.CutPrefix(u, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(u, "http://")
	}
	if !ok {
		return "", "not an http(s) URL"
	}
	host, _, _ := strings.Cut(rest, "/")
	if host == "" || strings.ContainsAny(u, "?# \t\r\n") || strings.Contains(host, "@") {
		return "", "not an http(s) URL with a host (and no query, fragment or user)"
	}
	return strings.TrimRight(u, "/"), ""
}

// Scrub returns provider text fit for a Result: every occurrence of secret
// (when not empty) replaced by label, and the text cut to at most max bytes at
// a rune boundary, with an ellipsis when cut.
func Scrub(s, secret, label string, max int) string {
	if secret != "" && strings.Contains(s, secret) {
		s = strings.ReplaceAll(s, secret, label)
	}
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// BaseURL reads the base-URL setting key from settings (def when unset) and
// checks it with CheckBaseURL; the error names the key, never the URL.
func BaseURL(settings map[string]string, key, def string) (string, error) {
	u := settings[key]
	if u == "" {
		u = def
	}
	u, reason := CheckBaseURL(u)
	if reason != "" {
		return "", errors.New(key + ": " + reason)
	}
	return u, nil
}
