package abi

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// sample values of every message, used as table rows and fuzz seeds.
var (
	sampleManifest = Manifest{
		ABI: Version, Name: "KAVENEGAR_COM", Version: "1.2.3", Description: "Kavenegar \"SMS\" <api>",
		Settings: []Setting{
			{Key: "KAVENEGAR_COM_API_KEY", Required: true, Secret: true, Description: "API key"},
			{Key: "KAVENEGAR_COM_BASE_URL", Default: "https://api.kavenegar.com"},
		},
		Text: true, Templates: true, Hosts: []string{"api.kavenegar.com", "localhost:8080"},
	}
	sampleConfigure = Configure{Settings: map[string]string{"B_KEY": "x\ny", "A_KEY": "سلام", "C": ""}}
	sampleMessage   = Message{To: "09121234567", Text: "کد شما: 1234\u2028\t\x01", TemplateID: 100, Vars: []string{"1234", ""}, Ref: "r-1"}
	sampleResponse  = Response{State: "s1", Status: 418, Headers: []Header{{Name: "Content-Type", Value: "application/json"}}, Body: `{"return":{"status":418,"message":"اعتبار"}}`}
	sampleAction    = Action{
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
}

func codecs() []codec {
	return []codec{
		{"Manifest", sampleManifest,
			func(dst []byte, v any) []byte { m := v.(Manifest); return AppendManifest(dst, &m) },
			func(b []byte) (any, error) { var m Manifest; err := DecodeManifest(b, &m); return m, err }},
		{"Configure", sampleConfigure,
			func(dst []byte, v any) []byte { m := v.(Configure); return AppendConfigure(dst, &m) },
			func(b []byte) (any, error) { var m Configure; err := DecodeConfigure(b, &m); return m, err }},
		{"ConfigureResult", ConfigureResult{Error: "SETTINGS.X_KEY is required"},
			func(dst []byte, v any) []byte { m := v.(ConfigureResult); return AppendConfigureResult(dst, &m) },
			func(b []byte) (any, error) { var m ConfigureResult; err := DecodeConfigureResult(b, &m); return m, err }},
		{"Message", sampleMessage,
			func(dst []byte, v any) []byte { m := v.(Message); return AppendMessage(dst, &m) },
			func(b []byte) (any, error) { var m Message; err := DecodeMessage(b, &m); return m, err }},
		{"Response", sampleResponse,
			func(dst []byte, v any) []byte { m := v.(Response); return AppendResponse(dst, &m) },
			func(b []byte) (any, error) { var m Response; err := DecodeResponse(b, &m); return m, err }},
		{"Action", sampleAction,
			func(dst []byte, v any) []byte { m := v.(Action); return AppendAction(dst, &m) },
			func(b []byte) (any, error) { var m Action; err := DecodeAction(b, &m); return m, err }},
		{"ActionResult", Action{Result: &Result{OK: true, MessageID: "8792341"}},
			func(dst []byte, v any) []byte { m := v.(Action); return AppendAction(dst, &m) },
			func(b []byte) (any, error) { var m Action; err := DecodeAction(b, &m); return m, err }},
		{"Result", sampleResult,
			func(dst []byte, v any) []byte { m := v.(Result); return AppendResult(dst, &m) },
			func(b []byte) (any, error) { var m Result; err := DecodeResult(b, &m); return m, err }},
	}
}

// TestCodecMatchesEncodingJSON checks that each encoder writes what
// encoding/json reads back as the same value, that encoding/json's own output
// decodes to the same value, and that a round trip is the identity.
func TestCodecMatchesEncodingJSON(t *testing.T) {
	for _, c := range codecs() {
		t.Run(c.name, func(t *testing.T) {
			ours := c.encode(nil, c.value)
			if !json.Valid(ours) {
				t.Fatalf("invalid JSON: %s", ours)
			}
			theirs := reflect.New(reflect.TypeOf(c.value))
			if err := json.Unmarshal(ours, theirs.Interface()); err != nil {
				t.Fatalf("encoding/json cannot read %s: %v", ours, err)
			}
			if !reflect.DeepEqual(theirs.Elem().Interface(), c.value) {
				t.Fatalf("encoding/json read %s as\n%#v\nwant %#v", ours, theirs.Elem().Interface(), c.value)
			}
			std, err := json.Marshal(c.value)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.decode(std)
			if err != nil {
				t.Fatalf("decode %s: %v", std, err)
			}
			if !reflect.DeepEqual(got, c.value) {
				t.Fatalf("decode of encoding/json output\n%#v\nwant %#v", got, c.value)
			}
			got, err = c.decode(ours)
			if err != nil || !reflect.DeepEqual(got, c.value) {
				t.Fatalf("round trip: %#v, %v", got, err)
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
	std := reflect.New(reflect.TypeOf(v))
	if err := json.Unmarshal(enc, std.Interface()); err != nil {
		t.Fatalf("encoding/json rejects our %q: %v", enc, err)
	}
	if !reflect.DeepEqual(std.Elem().Interface(), v) {
		t.Fatalf("encoding/json reads %q as %#v, we had %#v", enc, std.Elem().Interface(), v)
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
		m := Message{To: to, Text: text, TemplateID: tid, Vars: []string{v}, Ref: ref}
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
