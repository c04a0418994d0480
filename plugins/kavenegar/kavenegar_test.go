package kavenegar_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chelseru/chelseru/plugins/kavenegar"
	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/plugintest"
)

func TestManifest(t *testing.T) {
	m := kavenegar.New().Manifest()
	if m.Name != "KAVENEGAR_COM" || m.ABI != abi.Version || !m.Text || !m.Templates {
		t.Fatalf("manifest %+v", m)
	}
	if len(m.Hosts) != 1 || m.Hosts[0] != "api.kavenegar.com" {
		t.Errorf("hosts %v", m.Hosts)
	}
	want := map[string]abi.Setting{
		"KAVENEGAR_COM_API_KEY":  {Key: "KAVENEGAR_COM_API_KEY", Required: true, Secret: true},
		"KAVENEGAR_COM_FROM":     {Key: "KAVENEGAR_COM_FROM"},
		"KAVENEGAR_COM_BASE_URL": {Key: "KAVENEGAR_COM_BASE_URL", Default: "https://api.kavenegar.com"},
	}
	for _, s := range m.Settings {
		w, ok := want[s.Key]
		if !ok || s.Required != w.Required || s.Secret != w.Secret || s.Default != w.Default {
			t.Errorf("setting %+v, want %+v", s, w)
		}
		delete(want, s.Key)
	}
	if len(want) != 0 {
		t.Errorf("settings missing: %v", want)
	}
}

func TestConfigure(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		err      string // substring; "" = accepted
	}{
		{"ok", map[string]string{"KAVENEGAR_COM_API_KEY": "k"}, ""},
		{"no key", map[string]string{"KAVENEGAR_COM_FROM": "1000"}, "KAVENEGAR_COM_API_KEY is required"},
		{"blank key", map[string]string{"KAVENEGAR_COM_API_KEY": "  "}, "KAVENEGAR_COM_API_KEY is required"},
		{"ftp base", map[string]string{"KAVENEGAR_COM_API_KEY": "k", "KAVENEGAR_COM_BASE_URL": "ftp://x"}, "KAVENEGAR_COM_BASE_URL"},
		{"no host", map[string]string{"KAVENEGAR_COM_API_KEY": "k", "KAVENEGAR_COM_BASE_URL": "https:///x"}, "KAVENEGAR_COM_BASE_URL"},
		{"query", map[string]string{"KAVENEGAR_COM_API_KEY": "k", "KAVENEGAR_COM_BASE_URL": "https://h/?a=b"}, "KAVENEGAR_COM_BASE_URL"},
		{"user", map[string]string{"KAVENEGAR_COM_API_KEY": "k", "KAVENEGAR_COM_BASE_URL": "https://u:p@h/"}, "KAVENEGAR_COM_BASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := kavenegar.New().Configure(tt.settings)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "u:p") {
				t.Errorf("error repeats the URL: %v", err)
			}
		})
	}
}

func TestSendUnconfigured(t *testing.T) {
	a := kavenegar.New().Send(abi.Message{To: "09123456789", Text: "x"})
	if a.Result == nil || a.Result.Class != abi.ClassPermanent {
		t.Fatalf("unconfigured send: %+v", a)
	}
}

// TestFormEscaping checks the request body against net/url's encoding for
// awkward texts.
func TestFormEscaping(t *testing.T) {
	p := kavenegar.New()
	if err := p.Configure(map[string]string{"KAVENEGAR_COM_API_KEY": "k"}); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"a+b=c&d", "100% ~_.-", "سلام\nخوبی؟", "\x00\xff", "emoji 😀 / ? #"} {
		a := p.Send(abi.Message{To: "09123456789", Text: text})
		want := url.Values{"receptor": {"09123456789"}, "message": {text}}
		got, err := url.ParseQuery(a.Request.Body)
		if err != nil || got.Encode() != want.Encode() {
			t.Errorf("body %q for %q: %v", a.Request.Body, text, err)
		}
	}
}

// FuzzResponse feeds arbitrary answers to the parser: it never panics and
// always returns a success or a failure with a known class, never the key.
func FuzzResponse(f *testing.F) {
	f.Add(200, `{"return":{"status":200,"message":"ok"},"entries":[{"messageid":1}]}`)
	f.Add(418, `{"return":{"status":418,"message":"x"},"entries":null}`)
	f.Add(500, `<html>`)
	f.Add(200, ``)
	f.Add(403, `{"return":{"status":403,"message":"fuzz-secret-key"}}`)
	f.Add(200, `{"return":{"status":99999999999999999999}}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		p := kavenegar.New()
		if err := p.Configure(map[string]string{"KAVENEGAR_COM_API_KEY": "fuzz-secret-key"}); err != nil {
			t.Fatal(err)
		}
		a := p.Response(abi.Response{State: "send", Status: status, Body: body})
		plugintest.CheckResult(t, a, "fuzz-secret-key")
	})
}

// FuzzSend feeds arbitrary messages: a request or a classified refusal.
func FuzzSend(f *testing.F) {
	f.Add("09123456789", "hi", int64(0), "")
	f.Add("09123456789", "", int64(5), "1|2|3")
	f.Fuzz(func(t *testing.T, to, text string, tpl int64, vars string) {
		p := kavenegar.New()
		if err := p.Configure(map[string]string{"KAVENEGAR_COM_API_KEY": "k", "KAVENEGAR_COM_FROM": "1000"}); err != nil {
			t.Fatal(err)
		}
		m := abi.Message{To: to, Text: text, TemplateID: tpl}
		if vars != "" {
			m.Vars = strings.Split(vars, "|")
		}
		a := p.Send(m)
		if a.Request != nil {
			if a.Result != nil || a.Request.Method != "POST" || !strings.HasPrefix(a.Request.URL, "https://api.kavenegar.com/v1/k/") {
				t.Fatalf("bad action %+v", a)
			}
			if _, err := url.ParseQuery(a.Request.Body); err != nil {
				t.Fatalf("body %q: %v", a.Request.Body, err)
			}
			return
		}
		plugintest.CheckResult(t, a, "")
	})
}

// BenchmarkSend measures one whole send natively: the message decoded from
// the ABI's JSON, Send, the action encoded, the response decoded, Response,
// and the result encoded — what one send costs a guest, minus the wasm.
func BenchmarkSend(b *testing.B) {
	p := kavenegar.New()
	if err := p.Configure(map[string]string{"KAVENEGAR_COM_API_KEY": "0123456789abcdef0123456789abcdef", "KAVENEGAR_COM_FROM": "10004346"}); err != nil {
		b.Fatal(err)
	}
	msgJSON := abi.AppendMessage(nil, &abi.Message{To: "09123456789", TemplateID: 100, Vars: []string{"482193"}})
	respJSON := abi.AppendResponse(nil, &abi.Response{State: "lookup", Status: 200,
		Headers: []abi.Header{{Name: "Content-Type", Value: "application/json"}},
		Body:    `{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":8792343,"message":"کد تایید شما 482193","status":5,"statustext":"ارسال به مخابرات","sender":"10008663","receptor":"09123456789","date":1356619709,"cost":120}]}`})
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		var m abi.Message
		if err := abi.DecodeMessage(msgJSON, &m); err != nil {
			b.Fatal(err)
		}
		a := p.Send(m)
		out = abi.AppendAction(out[:0], &a)
		var r abi.Response
		if err := abi.DecodeResponse(respJSON, &r); err != nil {
			b.Fatal(err)
		}
		a = p.Response(r)
		out = abi.AppendAction(out[:0], &a)
		if !a.Result.OK {
			b.Fatal(a.Result)
		}
	}
}
