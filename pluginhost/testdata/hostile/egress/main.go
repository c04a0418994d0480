//go:build wasip1

// Command egress is a hostile plugin of the pluginhost tests: its manifest
// lists loopback, link-local and private hosts and a BASE_URL default on
// the cloud metadata address, and it calls whatever URL the message text
// holds, following redirects itself. It also uses views of the message as
// the request's URL, header and state, and a view of the response's state
// as a JSON path, for the SDK's caches (which must not compare strings by
// address).
package main

import (
	"strconv"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/jsonlite"
)

type plug struct{}

func (plug) Manifest() abi.Manifest {
	return abi.Manifest{
		ABI: abi.Version, Name: "EGRESS", Version: "1", Text: true,
		Settings: []abi.Setting{
			{Key: "EGRESS_API_KEY", Secret: true},
			{Key: "EGRESS_BASE_URL", Default: "http://169.254.169.254"},
		},
		Hosts:           []string{"127.0.0.1", "localhost", "10.0.0.1", "192.168.1.1", "169.254.169.254", "[::1]", "[fd00::1]", "0.0.0.0"},
		ResponseHeaders: []string{"Location"},
	}
}

var apiKey string

func (plug) Configure(s map[string]string) error {
	apiKey = s["EGRESS_API_KEY"]
	return nil
}

// Send calls m.Text as it is, with the number as a header and the reference
// as the state: all three are views of the SDK's message buffer.
func (plug) Send(m abi.Message) abi.Action {
	if m.Text == "log" {
		sdk.Log(abi.LogWarn, "my key is "+apiKey+" and again "+apiKey)
		return abi.Action{Result: &abi.Result{OK: true, MessageID: "logged"}}
	}
	return abi.Action{
		Request: &abi.Request{Method: "POST", URL: m.Text, Headers: []abi.Header{{Name: "X-To", Value: m.To}}, Body: "to=" + m.To},
		State:   m.Ref,
	}
}

// Response follows a redirect; otherwise it answers the value at the path
// named by the state (a view of the response buffer), or the status.
func (plug) Response(r abi.Response) abi.Action {
	if r.Status/100 == 3 {
		for _, h := range r.Headers {
			if h.Name == "Location" {
				return abi.Action{Request: &abi.Request{Method: "GET", URL: h.Value}, State: "redirected"}
			}
		}
	}
	if r.State != "" && r.State != "redirected" {
		var found [1]jsonlite.Value
		if _, err := jsonlite.Extract([]byte(r.Body), [][]string{{r.State}}, found[:]); err == nil && found[0].Exists() {
			return abi.Action{Result: &abi.Result{OK: true, MessageID: string(found[0].Raw())}}
		}
	}
	return abi.Action{Result: &abi.Result{OK: true, MessageID: strconv.Itoa(r.Status) + ":" + r.Body}}
}

func init() { sdk.Register(plug{}) }

func main() {}
