package abi

import (
	"bytes"
	"strings"
	"testing"
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
