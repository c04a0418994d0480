package parsianwebco_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chelseru/chelseru/plugins/parsianwebco"
	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/plugintest"
)

var settings = map[string]string{
	"PARSIAN_WEBCO_IR_API_KEY": "fuzz-secret-key",
}

func TestManifest(t *testing.T) {
	m := parsianwebco.New().Manifest()
	if m.Name != "PARSIAN_WEBCO_IR" || m.ABI != abi.Version || m.Text || !m.Templates {
		t.Fatalf("manifest %+v", m)
	}
	if len(m.Hosts) != 1 || m.Hosts[0] != "api.parsianwebco.ir" {
		t.Errorf("hosts %v", m.Hosts)
	}
	want := map[string]abi.Setting{
		"PARSIAN_WEBCO_IR_API_KEY":  {Required: true, Secret: true},
		"PARSIAN_WEBCO_IR_BASE_URL": {Default: "https://api.parsianwebco.ir"},
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
		{"no key", map[string]string{}, "PARSIAN_WEBCO_IR_API_KEY is required"},
		{"bad base", map[string]string{"PARSIAN_WEBCO_IR_API_KEY": "k", "PARSIAN_WEBCO_IR_BASE_URL": "https://"}, "PARSIAN_WEBCO_IR_BASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parsianwebco.New().Configure(tt.settings)
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
	a := parsianwebco.New().Send(abi.Message{To: "09123456789", Text: "x"})
	if a.Result == nil || a.Result.Class != abi.ClassPermanent {
		t.Fatalf("unconfigured send: %+v", a)
	}
}

func FuzzResponse(f *testing.F) {
	f.Add(200, `{"status":200}`)
	f.Add(200, `{"status":"100","message":"x"}`)
	f.Add(401, `{"status":401,"message":"fuzz-secret-key"}`)
	f.Add(200, `{"status":-9223372036854775808}`)
	f.Add(500, `<html>`)
	f.Add(200, ``)
	f.Fuzz(func(t *testing.T, status int, body string) {
		p := parsianwebco.New()
		if err := p.Configure(settings); err != nil {
			t.Fatal(err)
		}
		plugintest.CheckResult(t, p.Response(abi.Response{State: "send", Status: status, Body: body}), "fuzz-secret-key")
	})
}

func FuzzSend(f *testing.F) {
	f.Add("09123456789", "hi", int64(0), "")
	f.Add("09123456789", "", int64(5), "1|2,3")
	f.Fuzz(func(t *testing.T, to, text string, tpl int64, vars string) {
		p := parsianwebco.New()
		if err := p.Configure(settings); err != nil {
			t.Fatal(err)
		}
		m := abi.Message{To: to, Text: text, TemplateID: tpl}
		if vars != "" {
			m.Vars = strings.Split(vars, "|")
		}
		a := p.Send(m)
		if a.Request != nil {
			if a.Result != nil || a.Request.Method != "POST" || a.Request.URL != "https://api.parsianwebco.ir/webservice-send-sms/send" {
				t.Fatalf("bad action %+v", a)
			}
			q, err := url.ParseQuery(a.Request.Body)
			if err != nil || q.Get("Receiver") != to || q.Get("token") != "fuzz-secret-key" || strings.Join(m.Vars, ",") != q.Get("MessageVars") {
				t.Fatalf("body %q: %v", a.Request.Body, err)
			}
			return
		}
		plugintest.CheckResult(t, a, "")
	})
}

// BenchmarkSend measures one whole OTP send natively, ABI encoding included.
func BenchmarkSend(b *testing.B) {
	p := parsianwebco.New()
	if err := p.Configure(settings); err != nil {
		b.Fatal(err)
	}
	msgJSON := abi.AppendMessage(nil, &abi.Message{To: "09123456789", TemplateID: 1, Vars: []string{"482193"}})
	respJSON := abi.AppendResponse(nil, &abi.Response{State: "send", Status: 200,
		Headers: []abi.Header{{Name: "Content-Type", Value: "application/json; charset=utf-8"}},
		Body:    `{"status":200,"message":"پیامک با موفقیت ارسال شد"}`})
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
