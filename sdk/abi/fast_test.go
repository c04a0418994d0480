package abi

import (
	"reflect"
	"testing"
)

// FuzzFastPaths: whenever a fast path accepts an input, the general decoder
// accepts it too and decodes the same value, copying and in view mode.
func FuzzFastPaths(f *testing.F) {
	for _, m := range []Message{
		{To: "09123456789", TemplateID: 12345, Vars: []string{"4821"}},
		{To: "09123456789", Text: "code 4821", Ref: "r-1"},
		{To: "09123456789", Text: "کد ۴۸۲۱"},
		{To: "", TemplateID: -7, Vars: []string{"", "a\"b", "c"}},
		{To: "09123456789", TemplateID: 7, Vars: []string{"4821"}, Params: []Param{{Name: "CODE", Value: "4821"}}, Ref: "r", Time: 1767225600},
		{To: "09123456789", Params: []Param{{Name: "", Value: ""}, {Name: "b", Value: "c"}}, Time: -1},
	} {
		f.Add(AppendMessage(nil, &m))
	}
	for _, p := range []Response{
		{State: "lookup", Status: 200, Body: `{"return":{"status":200}}`},
		{Status: 500},
		{State: "s", Status: 200, Headers: []Header{{Name: "A", Value: "b"}}, Body: "x"},
	} {
		f.Add(AppendResponse(nil, &p))
	}
	f.Add([]byte(`{"to":"0912","template_id":012}`))
	f.Add([]byte(`{"status":200,"body_len":2}xy`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, view := range []bool{false, true} {
			var fm, gm Message
			if decodeMessageFast(data, &fm, nil, nil, view) {
				if err := decodeMessage(reader{data: data, view: view}, &gm, nil, nil); err != nil {
					t.Fatalf("fast Message accepted %q; general: %v", data, err)
				}
				if !reflect.DeepEqual(fm, gm) {
					t.Fatalf("%q: fast %+v, general %+v", data, fm, gm)
				}
			}
			var fp, gp Response
			if decodeResponseFast(data, &fp, view) {
				if err := decodeResponse(reader{data: data, view: view}, &gp, nil); err != nil {
					t.Fatalf("fast Response accepted %q; general: %v", data, err)
				}
				if !reflect.DeepEqual(fp, gp) {
					t.Fatalf("%q: fast %+v, general %+v", data, fp, gp)
				}
			}
		}
	})
}

// TestFastPathsTaken: the host's own encodings of a template send and of a
// header-less answer take the fast paths.
func TestFastPathsTaken(t *testing.T) {
	for _, m := range []Message{
		{To: "09123456789", TemplateID: 100, Vars: []string{"4821"}, Ref: "abc"},
		{To: "09123456789", TemplateID: 100, Vars: []string{"4821"}, Params: []Param{{Name: "CODE", Value: "4821"}}, Ref: "abc", Time: 1767225600},
	} {
		var got Message
		if !decodeMessageFast(AppendMessage(nil, &m), &got, nil, nil, true) || !reflect.DeepEqual(got, m) {
			t.Fatalf("Message: fast path not taken or wrong: %+v", got)
		}
	}
	p := Response{State: "lookup", Status: 200, Body: `{"a":1}`}
	var gp Response
	if !decodeResponseFast(AppendResponse(nil, &p), &gp, true) || !reflect.DeepEqual(gp, p) {
		t.Fatalf("Response: fast path not taken or wrong: %+v", gp)
	}
}
