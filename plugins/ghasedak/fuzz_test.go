package ghasedak_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chelseru/chelseru/plugins/ghasedak"
	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/plugintest"
)

// FuzzResponse: any answer gives a success or a classified failure, never
// a panic, and never the secret.
func FuzzResponse(f *testing.F) {
	f.Add(200, `{"statusCode":1,"message":"ok","data":{"messageId":1}}`)
	f.Add(400, `{"statusCode":102,"message":"fuzz-secret-key-0123"}`)
	f.Add(500, `<html>`)
	f.Add(200, ``)
	f.Add(200, `{"statusCode":99999999999999999999}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		p := ghasedak.New()
		if err := p.Configure(map[string]string{"GHASEDAK_ME_API_KEY": "fuzz-secret-key-0123", "GHASEDAK_ME_LINE_NUMBER": "3000"}); err != nil {
			t.Fatal(err)
		}
		a := p.Response(abi.Response{State: "otp", Status: status, Body: body})
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
		p := ghasedak.New()
		if err := p.Configure(map[string]string{"GHASEDAK_ME_API_KEY": "fuzz-secret-key-0123", "GHASEDAK_ME_LINE_NUMBER": "3000"}); err != nil {
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
			if a.Result != nil || a.Request.Method != "POST" || !strings.HasPrefix(a.Request.URL, "https://gateway.ghasedak.me/rest/api/v1/WebService/") {
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
