package jsonlite_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

func TestGet(t *testing.T) {
	doc := []byte(` {"return":{"status":200,"message":"\u062a\u0627\u06cc\u06cc\u062f \u0634\u062f"},
		"entries":[{"messageid":8792343,"message":"a\"b\\c\/d\n","status":1,"cost":120.5,"ok":true,"none":null}],
		"dup":1,"dup":2, "emoji":"\ud83d\ude00", "lone":"\ud83dx", "empty":{}, "arr":[] } `)
	tests := []struct {
		path []string
		kind jsonlite.Kind
		str  string
	}{
		{[]string{"return", "status"}, jsonlite.Number, "200"},
		{[]string{"return", "message"}, jsonlite.String, "تایید شد"},
		{[]string{"entries", "0", "messageid"}, jsonlite.Number, "8792343"},
		{[]string{"entries", "0", "message"}, jsonlite.String, "a\"b\\c/d\n"},
		{[]string{"entries", "0", "ok"}, jsonlite.Bool, "true"},
		{[]string{"entries", "0", "none"}, jsonlite.Null, "null"},
		{[]string{"dup"}, jsonlite.Number, "2"},
		{[]string{"emoji"}, jsonlite.String, "😀"},
		{[]string{"lone"}, jsonlite.String, "\uFFFDx"},
		{[]string{"empty"}, jsonlite.Object, "{}"},
		{[]string{"arr"}, jsonlite.Array, "[]"},
		{nil, jsonlite.Object, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.path, "/"), func(t *testing.T) {
			v, ok := jsonlite.Get(doc, tt.path...)
			if !ok {
				t.Fatalf("Get(%q) not found", tt.path)
			}
			if v.Kind() != tt.kind {
				t.Fatalf("kind = %v, want %v", v.Kind(), tt.kind)
			}
			if tt.str != "" && v.String() != tt.str {
				t.Fatalf("String() = %q, want %q", v.String(), tt.str)
			}
			if tt.kind == jsonlite.String {
				if !v.Equal(tt.str) {
					t.Errorf("Equal(%q) = false", tt.str)
				}
				if v.Equal(tt.str + "x") {
					t.Errorf("Equal(%q+x) = true", tt.str)
				}
				if got := string(v.AppendText([]byte("p:"))); got != "p:"+tt.str {
					t.Errorf("AppendText = %q", got)
				}
			}
		})
	}

	missing := [][]string{
		{"nope"}, {"return", "status", "x"}, {"entries", "1"}, {"entries", "-1"}, {"entries", "01"},
		{"entries", "x"}, {"arr", "0"}, {"empty", ""},
	}
	for _, p := range missing {
		if v, ok := jsonlite.Get(doc, p...); ok || v.Exists() {
			t.Errorf("Get(%q) = %q, true; want missing", p, v.Raw())
		}
	}
}

func TestNumbersAndBools(t *testing.T) {
	doc := []byte(`{"i":-9223372036854775808,"big":9223372036854775808,"f":1.5e3,"z":0,"t":true,"f2":false,"s":"12"}`)
	get := func(k string) jsonlite.Value {
		v, ok := jsonlite.Get(doc, k)
		if !ok {
			t.Fatalf("missing %q", k)
		}
		return v
	}
	if n, ok := get("i").Int(); !ok || n != math.MinInt64 {
		t.Errorf("Int(i) = %d, %v", n, ok)
	}
	if _, ok := get("big").Int(); ok {
		t.Error("Int(big) succeeded on an overflow")
	}
	if n, ok := get("big").Uint(); !ok || n != 1<<63 {
		t.Errorf("Uint(big) = %d, %v", n, ok)
	}
	if _, ok := get("f").Int(); ok {
		t.Error("Int(1.5e3) succeeded")
	}
	if f, ok := get("f").Float(); !ok || f != 1500 {
		t.Errorf("Float(f) = %v, %v", f, ok)
	}
	if n, ok := get("z").Int(); !ok || n != 0 {
		t.Errorf("Int(z) = %d, %v", n, ok)
	}
	if b, ok := get("t").Bool(); !ok || !b {
		t.Errorf("Bool(t) = %v, %v", b, ok)
	}
	if b, ok := get("f2").Bool(); !ok || b {
		t.Errorf("Bool(f2) = %v, %v", b, ok)
	}
	if _, ok := get("s").Int(); ok {
		t.Error("Int on a string succeeded")
	}
	if _, ok := get("s").Bool(); ok {
		t.Error("Bool on a string succeeded")
	}
	var zero jsonlite.Value
	if zero.Exists() || zero.Kind() != jsonlite.Invalid || zero.String() != "" || zero.Len() != 0 || zero.IsNull() {
		t.Error("zero Value misbehaves")
	}
}

func TestIteration(t *testing.T) {
	v, err := jsonlite.Parse([]byte(`{"a":[1, "two" ,{"x":[]} ,null],"b\u0041":{"k":1},"c":2}`))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range v.Members() {
		keys = append(keys, k.String())
	}
	if got := strings.Join(keys, ","); got != "a,bA,c" {
		t.Errorf("keys = %s", got)
	}
	a, _ := v.Get("a")
	var raws []string
	for i, e := range a.Elements() {
		raws = append(raws, strconv.Itoa(i)+"="+string(e.Raw()))
	}
	if got := strings.Join(raws, " "); got != `0=1 1="two" 2={"x":[]} 3=null` {
		t.Errorf("elements = %s", got)
	}
	if a.Len() != 4 || v.Len() != 3 {
		t.Errorf("Len = %d, %d", a.Len(), v.Len())
	}
	if e, ok := a.Index(2); !ok || string(e.Raw()) != `{"x":[]}` {
		t.Errorf("Index(2) = %s, %v", e.Raw(), ok)
	}
	// Early stop.
	n := 0
	for range a.Elements() {
		n++
		break
	}
	if n != 1 {
		t.Errorf("break did not stop iteration")
	}
}

func TestInvalid(t *testing.T) {
	bad := []string{
		``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `[1 2]`, `01`, `1.`, `.5`, `-`, `1e`, `1e+`,
		`+1`, `tru`, `nul`, `"abc`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\x01\"", "\"\xff\"", `[1]x`, `{} {}`,
		`NaN`, `Infinity`, `'a'`, `[`, `["a",`, `{"a":}`, "\"\xed\xa0\x80\"", `{"a":1 "b":2}`,
		strings.Repeat("[", jsonlite.MaxDepth+1) + strings.Repeat("]", jsonlite.MaxDepth+1),
	}
	for _, s := range bad {
		if v, err := jsonlite.Parse([]byte(s)); err == nil {
			t.Errorf("Parse(%q) = %s, want error", s, v.Raw())
		} else {
			var se *jsonlite.SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Errorf("Parse(%q) error %v is not a SyntaxError with a sane offset", s, err)
			}
		}
		if _, ok := jsonlite.Get([]byte(s)); ok {
			t.Errorf("Get(%q) succeeded", s)
		}
	}
	deep := strings.Repeat("[", jsonlite.MaxDepth) + strings.Repeat("]", jsonlite.MaxDepth)
	if !jsonlite.Valid([]byte(deep)) {
		t.Errorf("nesting of exactly MaxDepth refused")
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"q\"b\\s/", `"q\"b\\s/"`},
		{"\n\r\t\b\f\x00\x1f", `"\n\r\t\b\f\u0000\u001f"`},
		{"سلام <&>", `"سلام <&>"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
		{"a\xffb", `"a\ufffdb"`},
	}
	for _, tt := range tests {
		if got := string(jsonlite.AppendString(nil, tt.in)); got != tt.want {
			t.Errorf("AppendString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestAppendFloat(t *testing.T) {
	for _, f := range []float64{0, 1, -1.5, 1e20, 1e21, 1e-6, 1e-7, 123456.789, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		want, _ := json.Marshal(f)
		if got := jsonlite.AppendFloat(nil, f); !bytes.Equal(got, want) {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
	if got := string(jsonlite.AppendFloat(nil, math.NaN())); got != "null" {
		t.Errorf("NaN = %s", got)
	}
}

func TestWriter(t *testing.T) {
	w := jsonlite.NewWriter(make([]byte, 0, 64))
	w.ObjectStart().
		Key("request").ObjectStart().
		Key("method").String("POST").
		Key("headers").ArrayStart().
		ObjectStart().Key("name").String("A").Key("value").String("b\"").ObjectEnd().
		ObjectStart().ObjectEnd().
		ArrayEnd().
		Key("n").Int(-3).Key("u").Uint(7).Key("f").Float(0.5).Key("t").Bool(true).Key("z").Null().
		Key("raw").Raw([]byte(`[1,2]`)).
		ObjectEnd().
		Key("empty").ArrayStart().ArrayEnd().
		ObjectEnd()
	want := `{"request":{"method":"POST","headers":[{"name":"A","value":"b\""},{}],"n":-3,"u":7,"f":0.5,"t":true,"z":null,"raw":[1,2]},"empty":[]}`
	if got := string(w.Bytes()); got != want {
		t.Fatalf("Writer:\n got %s\nwant %s", got, want)
	}
	if !json.Valid(w.Bytes()) {
		t.Fatal("Writer output is not valid JSON")
	}
	w.Reset()
	w.ArrayStart().Int(1).Int(2).ArrayEnd()
	if got := string(w.Bytes()); got != `[1,2]` {
		t.Fatalf("after Reset: %s", got)
	}
	var zero jsonlite.Writer
	zero.String("x")
	if got := string(zero.Bytes()); got != `"x"` {
		t.Fatalf("zero Writer: %s", got)
	}
}

// depth returns the nesting depth of a valid JSON document.
func depth(doc []byte) int {
	d, maxd, inStr := 0, 0, false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case !inStr && (c == '[' || c == '{'):
			d++
			maxd = max(maxd, d)
		case !inStr && (c == ']' || c == '}'):
			d--
		}
	}
	return maxd
}

// toAny converts a jsonlite value to what encoding/json (with UseNumber)
// decodes into, so the two can be compared.
func toAny(t testing.TB, v jsonlite.Value) any {
	switch v.Kind() {
	case jsonlite.Null:
		return nil
	case jsonlite.Bool:
		b, _ := v.Bool()
		return b
	case jsonlite.Number:
		return json.Number(v.Raw())
	case jsonlite.String:
		return v.String()
	case jsonlite.Array:
		out := []any{}
		for _, e := range v.Elements() {
			out = append(out, toAny(t, e))
		}
		return out
	case jsonlite.Object:
		out := map[string]any{}
		for k, e := range v.Members() {
			out[k.String()] = toAny(t, e)
		}
		return out
	}
	t.Fatalf("invalid value in a parsed document")
	return nil
}

func equalAny(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// differential checks doc against encoding/json.
func differential(t testing.TB, doc []byte) {
	v, err := jsonlite.Parse(doc)
	stdValid := json.Valid(doc)
	if err == nil && !stdValid {
		t.Fatalf("jsonlite accepted %q that encoding/json refuses", doc)
	}
	if err != nil {
		if stdValid && utf8.Valid(doc) && depth(doc) <= jsonlite.MaxDepth {
			t.Fatalf("jsonlite refused %q that encoding/json accepts: %v", doc, err)
		}
		return
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var want any
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	if got := toAny(t, v); !equalAny(got, want) {
		t.Fatalf("differ on %q:\n jsonlite %#v\nencoding/json %#v", doc, got, want)
	}
	// Every member reachable by Get gives the same value as the tree.
	if m, ok := want.(map[string]any); ok {
		for k, wv := range m {
			gv, ok := v.Get(k)
			if !ok || !equalAny(toAny(t, gv), wv) {
				t.Fatalf("Get(%q) on %q = %s, want %#v", k, doc, gv.Raw(), wv)
			}
			if !gv.Exists() {
				t.Fatalf("Get(%q) returned a missing value", k)
			}
		}
	}
}

var seeds = []string{
	`{"return":{"status":200,"message":"ok"},"entries":[{"messageid":1,"cost":1.5}]}`,
	`{"Value":"12345678901234567890","RetStatus":1,"StrRetStatus":"Ok"}`,
	`[1,-0,0.5e-3,1E+2,true,false,null,"\u00e9\ud83d\ude00\/",{},[]]`,
	`"\ud800"`, `{"a":1,"a":{"b":[2]}}`, ` 7 `, `{"":""}`, `"\u0000"`, `-0.0e0`, `{"k\u0041":"v"}`,
	"\"\xff\"", `[[[[[]]]]]`, `{"a":[1,2,{"b":null}]}`, `1e400`, `123456789012345678901234567890`,
}

func TestDifferential(t *testing.T) {
	for _, s := range seeds {
		differential(t, []byte(s))
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		differential(t, doc)
	})
}

func FuzzGet(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s), "entries/0/messageid")
		f.Add([]byte(s), "a/2/b")
	}
	f.Fuzz(func(t *testing.T, doc []byte, path string) {
		p := strings.Split(path, "/")
		v, ok := jsonlite.Get(doc, p...)
		if !ok {
			return
		}
		if !json.Valid(v.Raw()) {
			t.Fatalf("Get(%q) on %q returned invalid JSON %q", p, doc, v.Raw())
		}
		// Every accessor is safe on whatever was found.
		_ = v.String()
		_, _ = v.Int()
		_, _ = v.Uint()
		_, _ = v.Float()
		_, _ = v.Bool()
		_ = v.Len()
		_ = v.Equal(path)
		for range v.Elements() {
		}
		for range v.Members() {
		}
	})
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00\n", "\xff\xfe", "سلام", "\u2028", "\xed\xa0\xbd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := jsonlite.AppendString(nil, s)
		v, err := jsonlite.Parse(out)
		if err != nil {
			t.Fatalf("AppendString(%q) = %s, not parseable: %v", s, out, err)
		}
		var std string
		if err := json.Unmarshal(out, &std); err != nil {
			t.Fatalf("encoding/json refuses %s: %v", out, err)
		}
		if got := v.String(); got != std {
			t.Fatalf("round trip of %q: jsonlite %q, encoding/json %q", s, got, std)
		}
		if !v.Equal(std) {
			t.Fatalf("Equal(%q) false on %s", std, out)
		}
		if utf8.ValidString(s) && std != s {
			t.Fatalf("round trip of valid %q gave %q", s, std)
		}
	})
}

func BenchmarkGet(b *testing.B) {
	doc := []byte(`{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":8792343,"message":"خدمات پیام کوتاه کاوه نگار","status":1,"statustext":"در صف ارسال","sender":"10004346","receptor":"09123456789","date":1356619709,"cost":120}]}`)
	b.ReportAllocs()
	for b.Loop() {
		v, err := jsonlite.Parse(doc)
		if err != nil {
			b.Fatal(err)
		}
		st, _ := v.Get("return", "status")
		id, _ := v.Get("entries", "0", "messageid")
		if n, _ := st.Int(); n != 200 || id.String() != "8792343" {
			b.Fatal("wrong values")
		}
	}
}

func BenchmarkEncodingJSON(b *testing.B) {
	doc := []byte(`{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":8792343,"message":"خدمات پیام کوتاه کاوه نگار","status":1,"statustext":"در صف ارسال","sender":"10004346","receptor":"09123456789","date":1356619709,"cost":120}]}`)
	type envelope struct {
		Return struct {
			Status  int    `json:"status"`
			Message string `json:"message"`
		} `json:"return"`
		Entries []struct {
			MessageID int64 `json:"messageid"`
		} `json:"entries"`
	}
	b.ReportAllocs()
	for b.Loop() {
		var e envelope
		if err := json.Unmarshal(doc, &e); err != nil || e.Return.Status != 200 {
			b.Fatal(err)
		}
	}
}

var benchDoc = []byte(`{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":8792343,"message":"خدمات پیام کوتاه کاوه نگار","status":1,"statustext":"در صف ارسال","sender":"10004346","receptor":"09123456789","date":1356619709,"cost":120}]}`)

func BenchmarkParse(b *testing.B) {
	b.SetBytes(int64(len(benchDoc)))
	for b.Loop() {
		if _, err := jsonlite.Parse(benchDoc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetParsed(b *testing.B) {
	v, err := jsonlite.Parse(benchDoc)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		id, _ := v.Get("entries", "0", "messageid")
		if id.String() != "8792343" {
			b.Fatal("wrong")
		}
	}
}

func TestIter(t *testing.T) {
	v, err := jsonlite.Parse([]byte(` { "a" : 1 , "b" : [ true , null ] , "c":{} } `))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for it := v.Iter(); it.Next(); {
		got = append(got, it.Key().String()+"="+string(it.Value().Raw()))
	}
	if s := strings.Join(got, ";"); s != "a=1;b=[ true , null ];c={}" {
		t.Errorf("object: %s", s)
	}
	b, _ := v.Get("b")
	got = got[:0]
	for it := b.Iter(); it.Next(); {
		if it.Key().Exists() {
			t.Error("array element with a key")
		}
		got = append(got, string(it.Value().Raw()))
	}
	if s := strings.Join(got, ";"); s != "true;null" {
		t.Errorf("array: %s", s)
	}
	for _, doc := range []string{`[]`, `{}`, `"s"`, `1`} {
		e, _ := jsonlite.Parse([]byte(doc))
		if it := e.Iter(); it.Next() {
			t.Errorf("Iter over %s yielded", doc)
		}
	}
	var zero jsonlite.Iter
	first, second := zero.Next(), zero.Next() // a second call must not yield either
	if first || second {
		t.Error("zero Iter yielded")
	}
	it := b.Iter()
	for it.Next() {
	}
	if it.Next() {
		t.Error("Next after the end yielded")
	}
}

func TestExtract(t *testing.T) {
	doc := `{"return":{"status":418,"message":"x"},"entries":[{"messageid":1,"status":6},{"messageid":2}],"dup":1,"dup":{"a":[0,1,2]}}`
	paths := [][]string{
		{"return", "status"}, {"return", "message"}, {"entries", "0", "messageid"}, {"entries", "1", "messageid"},
		{"entries", "0", "status"}, {"dup"}, {"dup", "a", "2"}, {"missing"}, {"entries", "2"}, {}, {"return", "status", "deeper"},
	}
	found := make([]jsonlite.Value, len(paths))
	root, err := jsonlite.ExtractString(doc, paths, found)
	if err != nil {
		t.Fatal(err)
	}
	if string(root.Raw()) != doc {
		t.Errorf("root = %s", root.Raw())
	}
	for i, p := range paths {
		want, _ := jsonlite.Get([]byte(doc), p...)
		if string(found[i].Raw()) != string(want.Raw()) {
			t.Errorf("%q: Extract %q, Get %q", p, found[i].Raw(), want.Raw())
		}
	}
	if string(found[5].Raw()) != `{"a":[0,1,2]}` || string(found[6].Raw()) != "2" || found[7].Exists() {
		t.Errorf("dup/missing: %q %q %q", found[5].Raw(), found[6].Raw(), found[7].Raw())
	}
	found[0] = root
	if _, err := jsonlite.Extract([]byte(`{"a":1,}`), paths, found); err == nil || found[0].Exists() {
		t.Errorf("malformed document: err %v, found[0] %q", err, found[0].Raw())
	}
	if _, err := jsonlite.Extract([]byte(`{}`), make([][]string, 65), make([]jsonlite.Value, 65)); err == nil {
		t.Error("65 paths accepted")
	}
	if _, err := jsonlite.Extract([]byte(`{}`), paths, found[:1]); err == nil {
		t.Error("short found accepted")
	}
	if v, err := jsonlite.ParseString(` [1] `); err != nil || string(v.Raw()) != "[1]" {
		t.Errorf("ParseString: %q %v", v.Raw(), err)
	}
}

// FuzzExtract checks Extract against Parse+Get on any document and paths.
func FuzzExtract(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s), "entries/0/messageid", "return/status", "a")
	}
	f.Fuzz(func(t *testing.T, doc []byte, p1, p2, p3 string) {
		paths := [][]string{strings.Split(p1, "/"), strings.Split(p2, "/"), strings.Split(p3, "/"), {}, {"0"}}
		found := make([]jsonlite.Value, len(paths))
		root, err := jsonlite.Extract(doc, paths, found)
		_, perr := jsonlite.Parse(doc)
		if (err == nil) != (perr == nil) {
			t.Fatalf("Extract error %v, Parse error %v", err, perr)
		}
		if err != nil {
			return
		}
		for i, p := range paths {
			want, _ := root.Get(p...)
			if string(found[i].Raw()) != string(want.Raw()) {
				t.Fatalf("%q on %q: Extract %q, Get %q", p, doc, found[i].Raw(), want.Raw())
			}
		}
	})
}
