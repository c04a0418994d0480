package plugintest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
)

// Fuzzed names the plugin that FuzzResponse and FuzzSend drive.
type Fuzzed struct {
	// New makes a fresh plugin for each input.
	New func() sdk.Plugin
	// Settings configure it; Secret is one of their values, which must
	// never appear in a result.
	Settings map[string]string
	Secret   string
	// State is the Response's State (the request the answer is to).
	State string
	// URLPrefix begins every request the plugin may make.
	URLPrefix string
}

func (z Fuzzed) plugin(t *testing.T) sdk.Plugin {
	p := z.New()
	if err := p.Configure(z.Settings); err != nil {
		t.Fatal(err)
	}
	return p
}

// FuzzResponse fuzzes the plugin's response parser: any status and body
// give a success or a classified failure (CheckResult), never a panic and
// never the secret. Add the provider's own answers as seeds (f.Add(status,
// body)) before calling it.
func FuzzResponse(f *testing.F, z Fuzzed) {
	f.Add(500, `<html>`)
	f.Add(200, ``)
	f.Fuzz(func(t *testing.T, status int, body string) {
		a := z.plugin(t).Response(abi.Response{State: z.State, Status: status, Body: body})
		CheckResult(t, a, z.Secret)
	})
}

// FuzzSend fuzzes the plugin's request builder: any message (receiver,
// text, template id, '|'-separated variables and parameter names) gives a
// POST of a JSON body to URLPrefix, or a classified refusal.
func FuzzSend(f *testing.F, z Fuzzed) {
	f.Add("09123456789", "hi", int64(0), "", "")
	f.Add("09123456789", "", int64(5), "1|2", "A|B")
	f.Add("09123456789", "", int64(5), "1\"\\\x00", "")
	f.Fuzz(func(t *testing.T, to, text string, tpl int64, vars, names string) {
		m := abi.Message{To: to, Text: text, TemplateID: tpl, Time: 1767225600}
		if vars != "" {
			m.Vars = strings.Split(vars, "|")
		}
		for i, n := range strings.Split(names, "|") {
			if names != "" && i < len(m.Vars) {
				m.Params = append(m.Params, abi.Param{Name: n, Value: m.Vars[i]})
			}
		}
		a := z.plugin(t).Send(m)
		if a.Request == nil {
			CheckResult(t, a, z.Secret)
			return
		}
		if a.Result != nil || a.Request.Method != "POST" || !strings.HasPrefix(a.Request.URL, z.URLPrefix) {
			t.Fatalf("bad action %+v", a)
		}
		if !json.Valid([]byte(a.Request.Body)) {
			t.Fatalf("body is not JSON: %q", a.Request.Body)
		}
	})
}
