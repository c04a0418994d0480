package jsonlite_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// readAll reads one value with d's token methods into what encoding/json
// (with UseNumber) decodes.
func readAll(d *jsonlite.Decoder) any {
	switch d.Look() {
	case '{':
		if !d.Open('{') {
			return nil
		}
		m := map[string]any{}
		for n := 0; d.More('}', n); n++ {
			k := string(d.Key())
			m[k] = readAll(d)
		}
		return m
	case '[':
		if !d.Open('[') {
			return nil
		}
		a := []any{}
		for n := 0; d.More(']', n); n++ {
			a = append(a, readAll(d))
		}
		return a
	}
	k, b := d.ReadValue()
	switch k {
	case jsonlite.String:
		return string(b)
	case jsonlite.Number:
		return json.Number(b)
	case jsonlite.Bool:
		return b[0] == 't'
	}
	return nil
}

// decoderDiff checks the Decoder on doc against encoding/json, strict and
// lossy: the same documents accepted (strict also refuses invalid UTF-8;
// both refuse nesting past MaxDepth) and the same values decoded.
func decoderDiff(t *testing.T, doc []byte) {
	for _, lossy := range []bool{false, true} {
		d := jsonlite.NewDecoder(doc)
		d.Lossy = lossy
		got := readAll(&d)
		err := d.End()
		want := json.Valid(doc) && depth(doc) <= jsonlite.MaxDepth && (lossy || utf8.Valid(doc))
		if (err == nil) != want {
			t.Fatalf("lossy %v: %q: error %v, encoding/json valid %v", lossy, doc, err, json.Valid(doc))
		}
		if err != nil {
			var se *jsonlite.SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(doc) || se.Code == 0 {
				t.Fatalf("%q: error %#v", doc, err)
			}
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		var std any
		if err := dec.Decode(&std); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, std) {
			t.Fatalf("lossy %v: %q: Decoder %#v, encoding/json %#v", lossy, doc, got, std)
		}
	}
}

// FuzzDecoder checks the one reader against encoding/json; its seeds run
// in go test.
func FuzzDecoder(f *testing.F) {
	for _, s := range append(seeds,
		`{"a":"\ud800\u0041","b":"\udc00","c":"\ud83d\ude00x"}`, "{\"a\":\"x\xffy\xed\xa0\x80\"}", `{"k\"":[1,2,{"":-0.5e+7}]}`,
		` [ ] `, `{"a":01}`, `1.`, `-`, `"\u12"`, "\"\t\"", `{"a" 1}`, `[1,]`, `{"a":1,}`, "0\x00", `"a\`,
		strings.Repeat("[", jsonlite.MaxDepth+1)+strings.Repeat("]", jsonlite.MaxDepth+1)) {
		f.Add([]byte(s))
	}
	f.Fuzz(decoderDiff)
}

// TestDecoderErrors pins the code and offset of each kind of error: the
// server words them as Python does, at these offsets.
func TestDecoderErrors(t *testing.T) {
	tests := []struct {
		in   string
		code jsonlite.ErrorCode
		off  int
	}{
		{``, jsonlite.ErrValue, 0},
		{`  `, jsonlite.ErrValue, 2},
		{`{`, jsonlite.ErrKey, 1},
		{`{"a":1,}`, jsonlite.ErrKey, 7},
		{`{"a"`, jsonlite.ErrColon, 4},
		{`{"a":}`, jsonlite.ErrValue, 5},
		{`{"a":1 "b":2}`, jsonlite.ErrComma, 7},
		{`[1 2]`, jsonlite.ErrComma, 3},
		{`{"a":01}`, jsonlite.ErrComma, 6},
		{`{"a":1.}`, jsonlite.ErrDigit, 7},
		{`1e+`, jsonlite.ErrDigit, 3},
		{`{"a":-}`, jsonlite.ErrValue, 6},
		{`{"a":tru}`, jsonlite.ErrValue, 5},
		{`{"a":"x`, jsonlite.ErrUnterminated, 5},
		{`"x\`, jsonlite.ErrUnterminated, 0},
		{`{"a":"\x"}`, jsonlite.ErrEscape, 6},
		{`{"a":"\u12"}`, jsonlite.ErrUnicodeEscape, 8},
		{`"\ud800\uzzzz"`, jsonlite.ErrUnicodeEscape, 9},
		{"{\"a\":\"\t\"}", jsonlite.ErrControl, 6},
		{"\"a\xffb\"", jsonlite.ErrUTF8, 2},
		{`{} x`, jsonlite.ErrExtra, 3},
		{"0\x00", jsonlite.ErrExtra, 1},
		{strings.Repeat("[", jsonlite.MaxDepth+1), jsonlite.ErrDepth, jsonlite.MaxDepth},
	}
	for _, tt := range tests {
		d := jsonlite.NewDecoder([]byte(tt.in))
		d.Skip()
		var se *jsonlite.SyntaxError
		if err := d.End(); !errors.As(err, &se) || se.Code != tt.code || se.Offset != tt.off {
			t.Errorf("%q: %#v, want code %d at %d", tt.in, err, tt.code, tt.off)
		}
	}
}

// TestDecoderScratch: every string a Decoder returns stays valid while
// later ones are decoded (the server keeps several), and only strings
// that need decoding are copied.
func TestDecoderScratch(t *testing.T) {
	doc := []byte(`{"a\n":"x\ty","b":"plain","c":"\u00e9"}`)
	d := jsonlite.NewDecoder(doc)
	d.Scratch = make([]byte, 0, 1) // grows while reading
	var kept [][]byte
	d.Open('{')
	for n := 0; d.More('}', n); n++ {
		k := d.Key()
		v, inPlace := d.Str()
		if inPlace != (string(v) == "plain") {
			t.Errorf("%q: inPlace %v", v, inPlace)
		}
		kept = append(kept, k, v)
	}
	if err := d.End(); err != nil {
		t.Fatal(err)
	}
	if got := string(bytes.Join(kept, []byte("|"))); got != "a\n|x\ty|b|plain|c|é" {
		t.Errorf("got %q", got)
	}
}
