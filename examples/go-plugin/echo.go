// Package echo is ECHO_GO, a minimal SMS provider plugin: the example a
// provider author starts from. It posts each SMS as JSON to a small "echo"
// HTTP API ({base}/send with a bearer token) and reads {"id":"…"} or
// {"error":"…"} back. The logic is plain Go over sdk/abi, so it is tested
// natively and, compiled by ./wasm, through the real host (echo_test.go).
package echo

import (
	"errors"
	"strconv"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// Plugin is the ECHO_GO provider.
type Plugin struct{ token, url string }

// New returns the provider; the host configures it before use.
func New() sdk.Plugin { return &Plugin{} }

// Manifest names the plugin and its settings.
func (p *Plugin) Manifest() abi.Manifest {
	return abi.Manifest{ABI: abi.Version, Name: "ECHO_GO", Version: "1.0.0", Text: true, Templates: true,
		Description: "Example provider written in Go: posts each SMS to a small echo HTTP API.",
		Settings: []abi.Setting{
			{Key: "ECHO_GO_TOKEN", Required: true, Secret: true, Description: "Bearer token of the echo API."},
			{Key: "ECHO_GO_BASE_URL", Required: true, Description: "Base URL of the echo API."},
		}}
}

// Configure keeps the token and the send URL.
func (p *Plugin) Configure(s map[string]string) error {
	p.token, p.url = s["ECHO_GO_TOKEN"], s["ECHO_GO_BASE_URL"]
	if p.token == "" || p.url == "" {
		return errors.New("ECHO_GO_TOKEN and ECHO_GO_BASE_URL are required")
	}
	for len(p.url) > 0 && p.url[len(p.url)-1] == '/' {
		p.url = p.url[:len(p.url)-1]
	}
	p.url += "/send"
	return nil
}

// Send describes the POST to make.
func (p *Plugin) Send(m abi.Message) abi.Action {
	if m.TemplateID == 0 && m.Text == "" {
		return abi.Action{Result: &abi.Result{Class: abi.ClassBadRequest, Code: "text", Text: "empty message text"}}
	}
	w := jsonlite.NewWriter(nil)
	w.ObjectStart().Key("to").String(m.To)
	if m.TemplateID != 0 {
		w.Key("template").Int(m.TemplateID).Key("vars").ArrayStart()
		for _, v := range m.Vars {
			w.String(v)
		}
		w.ArrayEnd()
	} else {
		w.Key("text").String(m.Text)
	}
	w.ObjectEnd()
	return abi.Action{State: "echo", Request: &abi.Request{Method: "POST", URL: p.url, Body: string(w.Bytes()),
		Headers: []abi.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Authorization", Value: "Bearer " + p.token}}}}
}

// Response reads the answer: 200 with an id is success; anything else is
// classified by its HTTP status.
func (p *Plugin) Response(r abi.Response) abi.Action {
	doc, err := jsonlite.Parse([]byte(r.Body))
	id, _ := doc.Get("id")
	if r.Status == 200 && err == nil && id.Kind() == jsonlite.String && id.String() != "" {
		return abi.Action{Result: &abi.Result{OK: true, MessageID: id.String()}}
	}
	res := &abi.Result{Class: abi.ClassPermanent, Code: "http_" + strconv.Itoa(r.Status), Text: "the echo API gave no usable answer"}
	switch {
	case r.Status == 200:
		res.Class, res.Code = abi.ClassTemporary, "bad_response"
	case r.Status == 401 || r.Status == 403:
		res.Class = abi.ClassBadCredentials
	case r.Status == 402:
		res.Class = abi.ClassOutOfCredit
	case r.Status == 429:
		res.Class = abi.ClassRateLimited
	case r.Status == 400 || r.Status == 422:
		res.Class = abi.ClassBadRequest
	case r.Status >= 500:
		res.Class = abi.ClassTemporary
	}
	if e, ok := doc.Get("error"); ok && e.Kind() == jsonlite.String && e.String() != "" {
		res.Text = e.String()
	}
	return abi.Action{Result: res}
}
