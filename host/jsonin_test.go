package host

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

var fuzzNames = []string{"mobile_number", "code", "group", "a"}

func TestParseObject(t *testing.T) {
	cases := []struct {
		in      string
		want    map[string]string // name -> kind:value
		syntax  string
		notObj  string
		offset  int
		comment string
	}{
		{in: `{}`, want: map[string]string{}},
		{in: ` { "code" : "12" , "group":7 } `, want: map[string]string{"code": "s:12", "group": "n:7"}},
		{in: `{"code":"a\"b\\c\/\n\u00e9\ud83d\ude00"}`, want: map[string]string{"code": "s:a\"b\\c/\né😀"}},
		{in: `{"code":"\ud800"}`, want: map[string]string{"code": "s:\uFFFD"}, comment: "lone surrogate"},
		{in: `{"code":"\ud800\u0041"}`, want: map[string]string{"code": "s:\uFFFDA"}},
		{in: `{"code":1,"code":"x"}`, want: map[string]string{"code": "s:x"}, comment: "last wins"},
		{in: `{"group":-1.5e3,"a":null,"code":true}`, want: map[string]string{"group": "n:-1.5e3", "a": "null", "code": "b:true"}},
		{in: `{"x":{"y":[1,2,{"z":"w"}]},"a":[]}`, want: map[string]string{"a": "arr"}},
		{in: `{"a":{}}`, want: map[string]string{"a": "obj"}},
		{in: ``, syntax: "Expecting value", offset: 0},
		{in: `{`, syntax: "Expecting property name enclosed in double quotes", offset: 1},
		{in: `{"a"`, syntax: "Expecting ':' delimiter", offset: 4},
		{in: `{"a":}`, syntax: "Expecting value", offset: 5},
		{in: `{"a":1 "b":2}`, syntax: "Expecting ',' delimiter", offset: 7},
		{in: `{"a":01}`, syntax: "Expecting ',' delimiter", offset: 6},
		{in: `{"a":1.}`, syntax: "Expecting digit", offset: 7},
		{in: `{"a":-}`, syntax: "Expecting value", offset: 6},
		{in: `{"a":tru}`, syntax: "Expecting value", offset: 5},
		{in: `{"a":"x`, syntax: "Unterminated string starting at", offset: 5},
		{in: `{"a":"\x"}`, syntax: "Invalid \\escape", offset: 6},
		{in: `{"a":"\u12"}`, syntax: "Invalid \\uXXXX escape", offset: 8},
		{in: "{\"a\":\"\t\"}", syntax: "Invalid control character", offset: 6},
		{in: `{} x`, syntax: "Extra data", offset: 3},
		{in: `[1]`, notObj: "list"},
		{in: `"s"`, notObj: "str"},
		{in: `1.5`, notObj: "float"},
		{in: `-3`, notObj: "int"},
		{in: `null`, notObj: "NoneType"},
		{in: `false`, notObj: "bool"},
		{in: `[1] x`, syntax: "Extra data", offset: 4},
	}
	for _, c := range cases {
		vals := make([]value, len(fuzzNames))
		_, serr, nerr := parseObject([]byte(c.in), fuzzNames, vals, nil)
		switch {
		case c.syntax != "":
			if serr == nil || serr.msg != c.syntax || serr.off != c.offset {
				t.Errorf("%q: got %+v, want %q at %d", c.in, serr, c.syntax, c.offset)
			}
			continue
		case c.notObj != "":
			if serr != nil || nerr == nil || nerr.typ != c.notObj {
				t.Errorf("%q: got %+v %+v, want not-object %q", c.in, serr, nerr, c.notObj)
			}
			continue
		}
		if serr != nil || nerr != nil {
			t.Errorf("%q: unexpected error %+v %+v", c.in, serr, nerr)
			continue
		}
		got := map[string]string{}
		for i, v := range vals {
			if v.kind != kindAbsent {
				got[fuzzNames[i]] = describe(v)
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: got %v, want %v", c.in, got, c.want)
		}
		for k, w := range c.want {
			if got[k] != w {
				t.Errorf("%q: %s = %q, want %q", c.in, k, got[k], w)
			}
		}
	}
}

func describe(v value) string {
	switch v.kind {
	case kindString:
		return "s:" + string(v.b)
	case kindNumber:
		return "n:" + string(v.b)
	case kindBool:
		return "b:" + string(v.b)
	case kindNull:
		return "null"
	case kindArray:
		return "arr"
	case kindObject:
		return "obj"
	}
	return "?"
}

func TestPosition(t *testing.T) {
	in := []byte("{\n  \"ب\": x")
	line, col, char := position(in, bytes.IndexByte(in, 'x'))
	if line != 2 || col != 8 || char != 9 {
		t.Fatalf("position = %d:%d (%d)", line, col, char)
	}
}

// FuzzParseObject checks the hand-written parser against encoding/json: on
// valid UTF-8 it accepts exactly the inputs json.Valid accepts (within the
// nesting bound), reports objects as objects, and decodes the same values.
func FuzzParseObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"code":"12","group":3}`, `{"a":[1,{"b":null}],"mobile_number":"\u06f0"}`,
		`[]`, `"x"`, `{"a":1e5}`, `{"a":"\ud83d\ude00"}`, `{"a":-0.0E+1}`, ` {"code" : true } `, `{"a":"\ud800x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		vals := make([]value, len(fuzzNames))
		_, serr, nerr := parseObject(in, fuzzNames, vals, nil)
		if !utf8.Valid(in) {
			return // encoding/json accepts invalid UTF-8 in strings; we refuse it as Python does
		}
		valid := json.Valid(in)
		if serr != nil {
			if valid && serr.msg != "Nesting too deep" {
				t.Fatalf("refused valid JSON %q: %+v", in, serr)
			}
			if serr.off < 0 || serr.off > len(in) {
				t.Fatalf("offset %d out of range for %q", serr.off, in)
			}
			return
		}
		if !valid {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		var anyv any
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.UseNumber() // numbers beyond float64 (1e700) are valid JSON
		if err := dec.Decode(&anyv); err != nil {
			t.Fatalf("json.Unmarshal of valid %q: %v", in, err)
		}
		obj, isObj := anyv.(map[string]any)
		if isObj != (nerr == nil) {
			t.Fatalf("%q: object %v, parser says not-object %+v", in, isObj, nerr)
		}
		if !isObj {
			return
		}
		for i, n := range fuzzNames {
			jv, present := obj[n]
			v := vals[i]
			if present != (v.kind != kindAbsent) {
				t.Fatalf("%q: %s present %v, parser kind %d", in, n, present, v.kind)
			}
			if !present {
				continue
			}
			switch x := jv.(type) {
			case string:
				if v.kind != kindString || string(v.b) != x {
					t.Fatalf("%q: %s = %q, parser %q", in, n, x, v.b)
				}
			case json.Number:
				if v.kind != kindNumber || string(v.b) != string(x) {
					t.Fatalf("%q: %s number, parser kind %d", in, n, v.kind)
				}
			case bool:
				if v.kind != kindBool || string(v.b) != map[bool]string{true: "true", false: "false"}[x] {
					t.Fatalf("%q: %s bool", in, n)
				}
			case nil:
				if v.kind != kindNull {
					t.Fatalf("%q: %s null, parser kind %d", in, n, v.kind)
				}
			case []any:
				if v.kind != kindArray {
					t.Fatalf("%q: %s array, parser kind %d", in, n, v.kind)
				}
			case map[string]any:
				if v.kind != kindObject {
					t.Fatalf("%q: %s object, parser kind %d", in, n, v.kind)
				}
			}
		}
	})
}

func TestParseObjectAllocations(t *testing.T) {
	body := []byte(`{"mobile_number":"09121234567","code":"12345678","group":0,"extra":[1,2,{"x":"y"}]}`)
	vals := make([]value, len(fuzzNames))
	scratch := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		scratch, _, _ = parseObject(body, fuzzNames, vals, scratch)
	})
	if allocs != 0 {
		t.Fatalf("parseObject allocates %v times per call", allocs)
	}
}
