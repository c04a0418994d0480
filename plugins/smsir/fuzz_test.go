package smsir_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chelseru/chelseru/plugins/smsir"
	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/plugintest"
)

// FuzzResponse: any answer gives a success or a classified failure, never
// a panic, and never the secret.
func FuzzResponse(f *testing.F) {
	f.Add(200, `{"status":1,"message":"ok","data":{"messageId":1}}`)
	f.Add(400, `{"status":102,"message":"fuzz-secret-key-0123"}`)
	f.Add(500, `<html>`)
	f.Add(200, ``)
	f.Add(200, `{"status":99999999999999999999}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		p := smsir.New()
		if err := p.Configure(map[string]string{"SMS_IR_API_KEY": "fuzz-secret-key-0123", "SMS_IR_LINE_NUMBER": "3000"}); err != nil {
			t.Fatal(err)
		}
		a := p.Response(abi.Response{State: "verify", Status: status, Body: body})
		plugintest.CheckResult(t, a, "fuzz-secret-key-0123")
	})
}

// FuzzSend: any message gives a JSON request to the provider or a
// classified refusal.
func FuzzSend(f *testing.F) {
	f.Add("09123456789", "hi", int64(0), "", "")
	f.Add("09123456789", "", int64(5), "1|2", "A|B")
	f.Add("09123456789", "", int64(5), "1\"\\\x00", "")
	f.Fuzz(func(t *testing.T, to, text string, tpl int64, vars, names string) {
		p := smsir.New()
		if err := p.Configure(map[string]string{"SMS_IR_API_KEY": "fuzz-secret-key-0123", "SMS_IR_LINE_NUMBER": "3000"}); err != nil {
			t.Fatal(err)
		}
		m := abi.Message{To: to, Text: text, TemplateID: tpl, Time: 1767225600}
		if vars != "" {
			m.Vars = strings.Split(vars, "|")
		}
		for i, n := range strings.Split(names, "|") {
			if names != "" && i < len(m.Vars) {
				m.Params = append(m.Params, abi.Param{Name: n, Value: m.Vars[i]})
			}
		}
		a := p.Send(m)
		if a.Request != nil {
			if a.Result != nil || a.Request.Method != "POST" || !strings.HasPrefix(a.Request.URL, "https://api.sms.ir/v1/send/") {
				t.Fatalf("bad action %+v", a)
			}
			if !json.Valid([]byte(a.Request.Body)) {
				t.Fatalf("body is not JSON: %q", a.Request.Body)
			}
			return
		}
		plugintest.CheckResult(t, a, "fuzz-secret-key-0123")
	})
}
