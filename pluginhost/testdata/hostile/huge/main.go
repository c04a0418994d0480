//go:build wasip1

// Command huge is a hostile plugin: on the text "boom" it misbehaves
// (huge); on anything else it accepts the message, so tests can show that the
// host serves the next send.
package main

import (
	"strings"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
)

var _ = strings.Repeat

type plug struct{}

func (plug) Manifest() abi.Manifest {
	return abi.Manifest{ABI: abi.Version, Name: "HOSTILE_HUGE", Version: "1", Text: true, Hosts: []string{"allowed.example"}}
}

func (plug) Configure(map[string]string) error { return nil }

func (plug) Send(m abi.Message) abi.Action {
	if m.Text == "boom" {
		return abi.Action{Request: &abi.Request{Method: "POST", URL: "http://allowed.example/", Body: strings.Repeat("x", 5<<20)}}
	}
	return abi.Action{Result: &abi.Result{OK: true, MessageID: "fine"}}
}

func (plug) Response(abi.Response) abi.Action {
	return abi.Action{Result: &abi.Result{OK: true, MessageID: "fine"}}
}

func init() { sdk.Register(plug{}) }

func main() {}
