package melipayamak_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chelseru/chelseru/plugins/melipayamak"
	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/plugintest"
)

var settings = map[string]string{
	"MELI_PAYAMAK_COM_USERNAME": "user1",
	"MELI_PAYAMAK_COM_PASSWORD": "fuzz-secret-pass",
	"MELI_PAYAMAK_COM_FROM":     "50004001",
}

func TestManifest(t *testing.T) {
	m := melipayamak.New().Manifest()
	if m.Name != "MELI_PAYAMAK_COM" || m.ABI != abi.Version || !m.Text || !m.Templates {
		t.Fatalf("manifest %+v", m)
	}
	if len(m.Hosts) != 1 || m.Hosts[0] != "rest.payamak-panel.com" {
		t.Errorf("hosts %v", m.Hosts)
	}
	want := map[string]abi.Setting{
		"MELI_PAYAMAK_COM_USERNAME": {Required: true},
		"MELI_PAYAMAK_COM_PASSWORD": {Required: true, Secret: true},
		"MELI_PAYAMAK_COM_FROM":     {},
		"MELI_PAYAMAK_COM_BASE_URL": {Default: "https://rest.payamak-panel.com"},
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
		err      string
	}{
		{"ok", settings, ""},
		{"no user", map[string]string{"MELI_PAYAMAK_COM_PASSWORD": "p"}, "MELI_PAYAMAK_COM_USERNAME is required"},
		{"no password", map[string]string{"MELI_PAYAMAK_COM_USERNAME": "u"}, "MELI_PAYAMAK_COM_PASSWORD is required"},
		{"bad base", map[string]string{"MELI_PAYAMAK_COM_USERNAME": "u", "MELI_PAYAMAK_COM_PASSWORD": "p", "MELI_PAYAMAK_COM_BASE_URL": "rest.payamak-panel.com"}, "MELI_PAYAMAK_COM_BASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := melipayamak.New().Configure(tt.settings)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

func TestSendUnconfigured(t *testing.T) {
	a := melipayamak.New().Send(abi.Message{To: "09123456789", Text: "x"})
	if a.Result == nil || a.Result.Class != abi.ClassPermanent {
		t.Fatalf("unconfigured send: %+v", a)
	}
}

func FuzzResponse(f *testing.F) {
	f.Add(200, `{"Value":"5489361742317","RetStatus":1,"StrRetStatus":"Ok"}`)
	f.Add(200, `{"Value":"-4","RetStatus":1,"StrRetStatus":"Ok"}`)
	f.Add(200, `{"Value":"0","RetStatus":0,"StrRetStatus":"fuzz-secret-pass"}`)
	f.Add(500, `<html>`)
	f.Add(200, ``)
	f.Fuzz(func(t *testing.T, status int, body string) {
		p := melipayamak.New()
		if err := p.Configure(settings); err != nil {
			t.Fatal(err)
		}
		plugintest.CheckResult(t, p.Response(abi.Response{State: "send", Status: status, Body: body}), "fuzz-secret-pass")
	})
}

func FuzzSend(f *testing.F) {
	f.Add("09123456789", "hi", int64(0), "")
	f.Add("09123456789", "", int64(5), "1|2;3")
	f.Fuzz(func(t *testing.T, to, text string, tpl int64, vars string) {
		p := melipayamak.New()
		if err := p.Configure(settings); err != nil {
			t.Fatal(err)
		}
		m := abi.Message{To: to, Text: text, TemplateID: tpl}
		if vars != "" {
			m.Vars = strings.Split(vars, "|")
		}
		a := p.Send(m)
		if a.Request != nil {
			if a.Result != nil || a.Request.Method != "POST" || !strings.HasPrefix(a.Request.URL, "https://rest.payamak-panel.com/api/SendSMS/") {
				t.Fatalf("bad action %+v", a)
			}
			q, err := url.ParseQuery(a.Request.Body)
			if err != nil || q.Get("to") != to || q.Get("password") != "fuzz-secret-pass" {
				t.Fatalf("body %q: %v", a.Request.Body, err)
			}
			return
		}
		plugintest.CheckResult(t, a, "")
	})
}

// BenchmarkSend measures one whole OTP send natively, ABI encoding included.
func BenchmarkSend(b *testing.B) {
	p := melipayamak.New()
	if err := p.Configure(settings); err != nil {
		b.Fatal(err)
	}
	msgJSON := abi.AppendMessage(nil, &abi.Message{To: "09123456789", TemplateID: 12345, Vars: []string{"482193"}})
	respJSON := abi.AppendResponse(nil, &abi.Response{State: "template", Status: 200,
		Headers: []abi.Header{{Name: "Content-Type", Value: "application/json; charset=utf-8"}},
		Body:    `{"Value":"4618752319476528134","RetStatus":1,"StrRetStatus":"Ok"}`})
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
