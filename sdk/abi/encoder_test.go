package abi

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"
)

// TestActionEncoder: the same bytes as AppendAction for every action,
// whether the remembered prefix is reused or not, including after the
// plugin changed a header in place.
func TestActionEncoder(t *testing.T) {
	url := "https://api.example/v1/" + strings.Repeat("k", 8) + "/send"
	hs := []Header{{Name: "Content-Type", Value: "application/x-www-form-urlencoded"}, {Name: "Accept", Value: "application/json"}}
	actions := []Action{
		{Request: &Request{Method: "POST", URL: url, Headers: hs, Body: "a=1"}, State: "s"},
		{Request: &Request{Method: "POST", URL: url, Headers: hs, Body: "a=2&b=کد"}, State: "s2"},
		{Request: &Request{Method: "POST", URL: url, Headers: hs}},
		{Result: &Result{OK: true, MessageID: "42"}},
		{Request: &Request{Method: "GET", URL: url + "?x=\"y\""}, State: "get"},
		{Request: &Request{Method: "POST", URL: url, Headers: hs, Body: "c=3"}, State: "s"},
	}
	var e ActionEncoder
	for round := 0; round < 2; round++ {
		for i := range actions {
			want := AppendAction(nil, &actions[i])
			if got := e.Append(nil, &actions[i]); !bytes.Equal(got, want) {
				t.Fatalf("round %d action %d:\n%s\nwant\n%s", round, i, got, want)
			}
		}
		hs[1].Value = "text/plain" // changed in place: must not reuse the old encoding
	}
}

// TestActionEncoderViews: a request whose URL and header value are views of
// one reused buffer (as the SDK's decoded message is) is encoded with the
// buffer's current bytes, not the ones of the previous call: same address
// and length must not mean the same string.
func TestActionEncoderViews(t *testing.T) {
	buf := []byte("09121111111")
	view := unsafe.String(&buf[0], len(buf))
	var e ActionEncoder
	for _, number := range []string{"09121111111", "09122222222", "09123333333"} {
		copy(buf, number) // the next message, decoded into the same buffer
		a := Action{Request: &Request{Method: "POST", URL: view, Headers: []Header{{Name: "X-To", Value: view}}}}
		got := string(e.Append(nil, &a))
		want := string(AppendAction(nil, &a))
		if got != want || strings.Count(got, number) != 2 {
			t.Fatalf("number %s: encoded\n%s\nwant\n%s", number, got, want)
		}
	}
}
