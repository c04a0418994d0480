//go:build wasip1

// Command tmplparams is a hostile plugin whose manifest names template
// parameters the host must refuse at load: -ldflags "-X main.variant=V"
// with V many (17 names), huge (a 4 KiB name), dup (a name twice) or chars
// (a name with a quote and a newline).
package main

import (
	"strconv"
	"strings"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
)

var variant = "many"

type plug struct{}

func names() []string {
	switch variant {
	case "huge":
		return []string{"Code", strings.Repeat("N", 4096)}
	case "dup":
		return []string{"Code", "Name", "Code"}
	case "chars":
		return []string{"Co\"de\n"}
	}
	var out []string
	for i := range 17 {
		out = append(out, "P"+strconv.Itoa(i))
	}
	return out
}

func (plug) Manifest() abi.Manifest {
	return abi.Manifest{ABI: abi.Version, Name: "HOSTILE_TMPL", Version: "1", Templates: true, TemplateParams: names()}
}

func (plug) Configure(map[string]string) error { return nil }

func (plug) Send(abi.Message) abi.Action {
	return abi.Action{Result: &abi.Result{OK: true, MessageID: "never"}}
}

func (plug) Response(abi.Response) abi.Action { return abi.Action{} }

func init() { sdk.Register(plug{}) }

func main() {}
