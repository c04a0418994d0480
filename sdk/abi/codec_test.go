package abi

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// sample values of every message, used as table rows and fuzz seeds.
var (
	sampleManifest = Manifest{
		ABI: Version, Name: "KAVENEGAR_COM", Version: "1.2.3", Description: "Kavenegar \"SMS\" <api>",
		Settings: []Setting{
			{Key: "KAVENEGAR_COM_API_KEY", Required: true, Secret: true, Description: "API key"},
			{Key: "KAVENEGAR_COM_BASE_URL", Default: "https://api.kavenegar.com"},
		},
		Text: true, Templates: true, Hosts: []string{"api.kavenegar.com", "localhost:8080"}, Time: true,
		TemplateParams: []string{"CODE", "Name.2"},
	}
	sampleConfigure = Configure{Settings: map[string]string{"B_KEY": "x\ny", "A_KEY": "سلام", "C": ""}}
	sampleMessage   = Message{To: "09121234567", Text: "کد شما: 1234\u2028\t\x01", TemplateID: 100, Vars: []string{"1234", ""},
		Params: []Param{{Name: "CODE", Value: "1234"}, {Name: "نام", Value: ""}}, Ref: "r-1", Time: 1767225600}
	sampleResponse = Response{State: "s1", Status: 418, Headers: []Header{{Name: "Content-Type", Value: "application/json"}}, Body: `{"return":{"status":418,"message":"اعتبار"}}`}
	sampleAction   = Action{
		Request: &Request{Method: "POST", URL: "https://api.kavenegar.com/v1/KEY/sms/send.json",
			Headers: []Header{{Name: "Content-Type", Value: "application/x-www-form-urlencoded"}}, Body: "receptor=09121234567&message=%D8%B3"},
		State: "step-2",
	}
	sampleResult = Result{OK: false, Class: ClassOutOfCredit, Code: "418", Text: "credit \U0001F600 low"}
)

// codec binds one message type's functions for generic tests.
type codec struct {
	name   string
	value  any
	encode func(dst []byte, v any) []byte
	decode func(b []byte) (any, error)
	// framed codecs carry an HTTP body raw after the JSON; stripBody
	// returns the value with that body removed and the body itself.
	stripBody func(v any) (any, string)
}

func stripResponseBody(v any) (any, string) { m := v.(Response); b := m.Body; m.Body = ""; return m, b }

func stripActionBody(v any) (any, string) {
	m := v.(Action)
	if m.Request == nil {
		return m, ""
	}
	q := *m.Request
	b := q.Body
	q.Body = ""
	m.Request = &q
	return m, b
}

// splitFrame splits a framed encoding into its JSON object and the bytes
// after it, using encoding/json to find where the object ends.
func splitFrame(t *testing.T, enc []byte) (head, tail []byte) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(enc))
	var raw json.RawMessage
	if err := d.Decode(&raw); err != nil {
		t.Fatalf("encoding/json cannot read the JSON of %q: %v", enc, err)
	}
	n := d.InputOffset()
	return enc[:n], enc[n:]
}

// stdRead reads our encoding of a message with encoding/json (the JSON
// part) plus, for framed codecs, the raw tail as the body.
func stdRead(t *testing.T, c codec, enc []byte) any {
	t.Helper()
	head, tail := enc, []byte(nil)
	if c.stripBody != nil {
		head, tail = splitFrame(t, enc)
	}
	if !json.Valid(head) {
		t.Fatalf("invalid JSON: %s", head)
	}
	v := reflect.New(reflect.TypeOf(c.value))
	if err := json.Unmarshal(head, v.Interface()); err != nil {
		t.Fatalf("encoding/json cannot read %s: %v", head, err)
	}
	got := v.Elem().Interface()
	if c.stripBody == nil {
		return got
	}
	switch m := got.(type) {
	case Response:
		m.Body = string(tail)
		return m
	case Action:
		if m.Request != nil {
			m.Request.Body = string(tail)
		} else if len(tail) > 0 {
			t.Fatalf("%d body bytes after an action without a request", len(tail))
		}
		return m
	}
	t.Fatalf("unexpected framed type %T", got)
	return nil
}

func codecs() []codec {
	return []codec{
		{"Manifest", sampleManifest,
			func(dst []byte, v any) []byte { m := v.(Manifest); return AppendManifest(dst, &m) },
			func(b []byte) (any, error) { var m Manifest; err := DecodeManifest(b, &m); return m, err }, nil},
		{"Configure", sampleConfigure,
			func(dst []byte, v any) []byte { m := v.(Configure); return AppendConfigure(dst, &m) },
			func(b []byte) (any, error) { var m Configure; err := DecodeConfigure(b, &m); return m, err }, nil},
		{"ConfigureResult", ConfigureResult{Error: "SETTINGS.X_KEY is required"},
			func(dst []byte, v any) []byte { m := v.(ConfigureResult); return AppendConfigureResult(dst, &m) },
			func(b []byte) (any, error) { var m ConfigureResult; err := DecodeConfigureResult(b, &m); return m, err }, nil},
		{"Message", sampleMessage,
			func(dst []byte, v any) []byte { m := v.(Message); return AppendMessage(dst, &m) },
			func(b []byte) (any, error) { var m Message; err := DecodeMessage(b, &m); return m, err }, nil},
		{"Response", sampleResponse,
			func(dst []byte, v any) []byte { m := v.(Response); return AppendResponse(dst, &m) },
			func(b []byte) (any, error) { var m Response; err := DecodeResponse(b, &m); return m, err },
			stripResponseBody},
		{"Action", sampleAction,
			func(dst []byte, v any) []byte { m := v.(Action); return AppendAction(dst, &m) },
			func(b []byte) (any, error) { var m Action; err := DecodeAction(b, &m); return m, err },
			stripActionBody},
		{"ActionResult", Action{Result: &Result{OK: true, MessageID: "8792341"}},
			func(dst []byte, v any) []byte { m := v.(Action); return AppendAction(dst, &m) },
			func(b []byte) (any, error) { var m Action; err := DecodeAction(b, &m); return m, err },
			stripActionBody},
		{"Result", sampleResult,
			func(dst []byte, v any) []byte { m := v.(Result); return AppendResult(dst, &m) },
			func(b []byte) (any, error) { var m Result; err := DecodeResult(b, &m); return m, err }, nil},
	}
}

// TestCodecMatchesEncodingJSON checks that each encoder writes what
// encoding/json reads back as the same value, that encoding/json's own output
// decodes to the same value, and that a round trip is the identity.
// TestCodecMatchesEncodingJSON checks that each encoder writes what
// encoding/json reads back as the same value (for framed messages: the JSON
// part, with the body raw after it), that encoding/json's own output decodes
// to the same value (framed: without a body), and that a round trip is the
// identity.
func TestCodecMatchesEncodingJSON(t *testing.T) {
	for _, c := range codecs() {
		t.Run(c.name, func(t *testing.T) {
			ours := c.encode(nil, c.value)
			if got := stdRead(t, c, ours); !reflect.DeepEqual(got, c.value) {
				t.Fatalf("encoding/json read %s as\n%#v\nwant %#v", ours, got, c.value)
			}
			want := c.value
			if c.stripBody != nil {
				want, _ = c.stripBody(c.value)
			}
			std, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.decode(std)
			if err != nil {
				t.Fatalf("decode %s: %v", std, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decode of encoding/json output\n%#v\nwant %#v", got, want)
			}
			got, err = c.decode(ours)
			if err != nil || !reflect.DeepEqual(got, c.value) {
				t.Fatalf("round trip: %#v, %v", got, err)
			}
		})
	}
}

// TestFramedBodies checks the raw-body framing of Response and Action: any
// bytes survive, and a truncated input or a body_len that lies is a clean
// *DecodeError.
func TestFramedBodies(t *testing.T) {
	bodies := []string{"", " ", "}", "{\"a\":\"\\u0000\"}\n", "\x00\xff\xfe binary \r\n", strings.Repeat("\u0627", 300)}
	for _, body := range bodies {
		r := Response{State: "s", Status: 200, Body: body}
		var gotR Response
		if err := DecodeResponse(AppendResponse(nil, &r), &gotR); err != nil || !reflect.DeepEqual(gotR, r) {
			t.Errorf("response with body %q: got %#v, %v", body, gotR, err)
		}
		a := Action{Request: &Request{Method: "POST", URL: "https://x.example/", Body: body}, State: "s"}
		var gotA Action
		if err := DecodeAction(AppendAction(nil, &a), &gotA); err != nil || !reflect.DeepEqual(gotA, a) {
			t.Errorf("action with body %q: got %#v, %v", body, gotA, err)
		}
	}
	tests := []struct {
		name, in, wantErr string
		action            bool
	}{
		{name: "response ok", in: `{"status":200,"body_len":2}hi`},
		{name: "response no body_len, no body", in: `{"status":204}`},
		{name: "response spaces inside and before", in: ` { "status" : 200 , "body_len" : 1 }x`},
		{name: "response body_len too large", in: `{"status":200,"body_len":3}hi`, wantErr: "body_len 3 does not match the 2 bytes"},
		{name: "response body_len too small", in: `{"status":200,"body_len":1}hi`, wantErr: "body_len 1 does not match the 2 bytes"},
		{name: "response body_len negative", in: `{"status":200,"body_len":-1}`, wantErr: "body_len -1"},
		{name: "response body_len huge", in: `{"status":200,"body_len":9223372036854775807}`, wantErr: "does not match"},
		{name: "response body_len not an integer", in: `{"status":200,"body_len":"2"}hi`, wantErr: "expected an integer"},
		{name: "response space after JSON counts as body", in: `{"status":200,"body_len":2} hi`, wantErr: "does not match the 3 bytes"},
		{name: "response truncated JSON", in: `{"status":200,"body_len":2`, wantErr: "expected , or }"},
		{name: "response truncated body", in: `{"status":200,"body_len":10}short`, wantErr: "does not match the 5 bytes"},
		{name: "response inline body refused", in: `{"status":200,"body":"hi"}`, wantErr: "travels raw"},
		{name: "response empty", in: ``, wantErr: "expected an object"},
		{name: "action request body", action: true, in: `{"request":{"method":"POST","url":"u","body_len":3},"state":"s"}a=1`},
		{name: "action result, no tail", action: true, in: `{"result":{"ok":true}}`},
		{name: "action result with a tail", action: true, in: `{"result":{"ok":true}}x`, wantErr: "body_len 0 does not match the 1 bytes"},
		{name: "action lying body_len", action: true, in: `{"request":{"method":"POST","url":"u","body_len":4}}a=1`, wantErr: "does not match"},
		{name: "action null request drops body_len", action: true, in: `{"request":{"method":"POST","url":"u","body_len":3},"request":null}a=1`, wantErr: "body_len 0"},
		{name: "action inline body refused", action: true, in: `{"request":{"method":"POST","url":"u","body":"a=1"}}`, wantErr: "travels raw"},
		{name: "action truncated", action: true, in: `{"request":{"method":"POST","url":"u","body_len":3`, wantErr: "expected , or }"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.action {
				var a Action
				err = DecodeAction([]byte(tt.in), &a)
				if err != nil && !reflect.DeepEqual(a, Action{}) {
					t.Errorf("a failed decode left %#v", a)
				}
			} else {
				var r Response
				err = DecodeResponse([]byte(tt.in), &r)
				if err != nil && !reflect.DeepEqual(r, Response{}) {
					t.Errorf("a failed decode left %#v", r)
				}
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var de *DecodeError
			if err == nil || !errors.As(err, &de) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want a *DecodeError containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestDecodeMessageCases(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Message
		wantErr string
	}{
		{name: "minimal", in: `{"to":"09121234567"}`, want: Message{To: "09121234567"}},
		{name: "spaces and unknown members", in: " {\n\"x\": {\"a\":[1,2.5e3,-0.1,true,false,null,\"s\"]}, \"to\" : \"0912\" , \"y\":null}\t", want: Message{To: "0912"}},
		{name: "escapes", in: `{"text":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"}`, want: Message{Text: "a\"b\\c/d\b\f\n\r\té\U0001F600"}},
		{name: "lone surrogate", in: `{"text":"\ud83dx"}`, want: Message{Text: "\uFFFDx"}},
		{name: "invalid utf8 replaced", in: "{\"text\":\"a\xffb\"}", want: Message{Text: "a\uFFFDb"}},
		{name: "null members", in: `{"to":null,"vars":null,"template_id":null}`, want: Message{}},
		{name: "last duplicate wins", in: `{"to":"1","to":"2"}`, want: Message{To: "2"}},
		{name: "negative id", in: `{"template_id":-9223372036854775808}`, want: Message{TemplateID: -9223372036854775808}},
		{name: "max id", in: `{"template_id":9223372036854775807}`, want: Message{TemplateID: 9223372036854775807}},
		{name: "id overflow", in: `{"template_id":9223372036854775808}`, wantErr: "out of range"},
		{name: "float id", in: `{"template_id":1.5}`, wantErr: "integer"},
		{name: "leading zero", in: `{"template_id":01}`, wantErr: "leading zero"},
		{name: "trailing comma", in: `{"to":"1",}`, wantErr: "expected a string"},
		{name: "trailing data", in: `{"to":"1"} x`, wantErr: "after the value"},
		{name: "not an object", in: `[]`, wantErr: "expected an object"},
		{name: "empty", in: ``, wantErr: "expected an object"},
		{name: "unterminated", in: `{"to":"1`, wantErr: "unterminated"},
		{name: "control char", in: "{\"to\":\"a\x01\"}", wantErr: "control"},
		{name: "bad escape", in: `{"to":"\x"}`, wantErr: "invalid escape"},
		{name: "wrong type", in: `{"to":1}`, wantErr: "expected a string"},
		{name: "missing colon", in: `{"to" "1"}`, wantErr: "expected :"},
		{name: "deep nesting", in: `{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, wantErr: "too deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Message
			err := DecodeMessage([]byte(tt.in), &got)
			if tt.wantErr != "" {
				var de *DecodeError
				if err == nil || !errors.As(err, &de) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a *DecodeError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeReusesNothing(t *testing.T) {
	buf := []byte(`{"to":"09121234567","vars":["1234"]}`)
	var m Message
	if err := DecodeMessage(buf, &m); err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 'x'
	}
	if m.To != "09121234567" || m.Vars[0] != "1234" {
		t.Fatalf("decoded strings alias the input: %#v", m)
	}
}

// fuzzRoundTrip is the property every decoder must have: no panic; and when
// the input decodes, encoding the value and decoding it again gives the same
// value, and encoding/json agrees on what our encoding means.
func fuzzRoundTrip(t *testing.T, c codec, data []byte) {
	v, err := c.decode(data)
	if err != nil {
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("error is not a *DecodeError: %v", err)
		}
		return
	}
	enc := c.encode(nil, v)
	v2, err := c.decode(enc)
	if err != nil {
		t.Fatalf("re-decode of %q: %v", enc, err)
	}
	if !reflect.DeepEqual(v, v2) {
		t.Fatalf("round trip differs:\n%#v\n%#v", v, v2)
	}
	if std := stdRead(t, c, enc); !reflect.DeepEqual(std, v) {
		t.Fatalf("encoding/json reads %q as %#v, we had %#v", enc, std, v)
	}
}

func fuzzCodec(f *testing.F, names ...string) {
	for _, c := range codecs() {
		for _, n := range names {
			if c.name == n {
				f.Add(c.encode(nil, c.value))
			}
		}
	}
	f.Add([]byte(`{"x":[{"y":null}],"z":-0.0e+1}`))
	f.Add([]byte(`{"a":"\ud800\udc00\u0000"}`))
	// Framing: a body, a lying body_len, a truncated body.
	f.Add([]byte(`{"status":200,"body_len":2}{}`))
	f.Add([]byte(`{"request":{"method":"GET","url":"u","body_len":5}}abc`))
	f.Add([]byte(`{"status":200,"body_len":-3}`))
	var cs []codec
	for _, c := range codecs() {
		for _, n := range names {
			if c.name == n {
				cs = append(cs, c)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRoundTrip(t, cs[0], data)
	})
}

func FuzzDecodeManifest(f *testing.F)        { fuzzCodec(f, "Manifest") }
func FuzzDecodeConfigure(f *testing.F)       { fuzzCodec(f, "Configure") }
func FuzzDecodeConfigureResult(f *testing.F) { fuzzCodec(f, "ConfigureResult") }
func FuzzDecodeMessage(f *testing.F)         { fuzzCodec(f, "Message") }
func FuzzDecodeResponse(f *testing.F)        { fuzzCodec(f, "Response") }
func FuzzDecodeAction(f *testing.F)          { fuzzCodec(f, "Action", "ActionResult") }
func FuzzDecodeResult(f *testing.F)          { fuzzCodec(f, "Result") }

// FuzzAppendMessage checks the encoder on arbitrary strings (including
// invalid UTF-8) against encoding/json: both encodings must read back the same.
func FuzzAppendMessage(f *testing.F) {
	f.Add("09121234567", "code: 1234", int64(7), "1234", "ref")
	f.Add("\xff\xfe", "\u2028<&>\x00\"\\", int64(-1), "\xed\xa0\x80", "")
	f.Fuzz(func(t *testing.T, to, text string, tid int64, v, ref string) {
		m := Message{To: to, Text: text, TemplateID: tid, Vars: []string{v}, Params: []Param{{Name: ref, Value: v}}, Ref: ref, Time: tid}
		ours := AppendMessage(nil, &m)
		std, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var a, b Message
		if err := json.Unmarshal(ours, &a); err != nil {
			t.Fatalf("encoding/json rejects %q: %v", ours, err)
		}
		if err := json.Unmarshal(std, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("ours %q reads as %#v; encoding/json's %q as %#v", ours, a, std, b)
		}
		var c Message
		if err := DecodeMessage(ours, &c); err != nil || !reflect.DeepEqual(c, b) {
			t.Fatalf("DecodeMessage(%q) = %#v, %v; want %#v", ours, c, err, b)
		}
	})
}

func BenchmarkCodec(b *testing.B) {
	for _, c := range codecs() {
		enc := c.encode(nil, c.value)
		b.Run("Encode/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				buf = c.encode(buf[:0], c.value)
			}
		})
		b.Run("Decode/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.decode(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodingJSON is the reference: the same messages through
// encoding/json (reflection).
func BenchmarkEncodingJSON(b *testing.B) {
	for _, c := range codecs() {
		enc, _ := json.Marshal(c.value)
		b.Run("Encode/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(c.value); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Decode/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v := reflect.New(reflect.TypeOf(c.value))
				if err := json.Unmarshal(enc, v.Interface()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzDecodeView checks that the View decoders read exactly what the copying
// decoders read, also when they reuse a previous value's slices.
func FuzzDecodeView(f *testing.F) {
	f.Add(AppendMessage(nil, &sampleMessage), true)
	f.Add(AppendResponse(nil, &sampleResponse), false)
	f.Add([]byte(`{"to":"a\"b","vars":["x","\u00e9",null]}`), true)
	f.Add([]byte(`{"to":"1","params":[{"name":"a\"","value":"b"},null,{"x":1}],"time":7}`), true)
	f.Add([]byte(`{"status":200,"headers":[{"name":"A","value":"\n"}],"body_len":1}x`), false)
	f.Fuzz(func(t *testing.T, data []byte, message bool) {
		if message {
			var want Message
			wantErr := DecodeMessage(data, &want)
			got := Message{Vars: []string{"stale", "stale", "stale"}, Params: []Param{{"stale", "stale"}}}
			err := DecodeMessageView(data, &got)
			if (err == nil) != (wantErr == nil) || err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("view %#v, %v; copy %#v, %v", got, err, want, wantErr)
			}
			return
		}
		var want Response
		wantErr := DecodeResponse(data, &want)
		got := Response{Headers: []Header{{"stale", "stale"}}}
		err := DecodeResponseView(data, &got)
		if (err == nil) != (wantErr == nil) || err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("view %#v, %v; copy %#v, %v", got, err, want, wantErr)
		}
	})
}

// TestDecodeViewAliases checks what the View decoders promise: plain
// strings and the body share the input, escaped strings do not, and slices
// reuse the previous value's backing array.
func TestDecodeViewAliases(t *testing.T) {
	data := []byte(`{"to":"0912","text":"a\nb","vars":["1234"]}`)
	m := Message{Vars: make([]string, 0, 4)}
	backing := unsafe.SliceData(m.Vars)
	if err := DecodeMessageView(data, &m); err != nil {
		t.Fatal(err)
	}
	if unsafe.SliceData(m.Vars) != backing {
		t.Error("Vars did not reuse the backing array")
	}
	copy(data[7:11], "XXXX")
	if m.To != "XXXX" || m.Text != "a\nb" {
		t.Errorf("after changing the input: to %q (want the alias XXXX), text %q (want the copy)", m.To, m.Text)
	}
	resp := AppendResponse(nil, &Response{Status: 200, Body: "hello"})
	var r Response
	if err := DecodeResponseView(resp, &r); err != nil {
		t.Fatal(err)
	}
	resp[len(resp)-5] = 'J'
	if r.Body != "Jello" {
		t.Errorf("body %q does not alias the input", r.Body)
	}
}
