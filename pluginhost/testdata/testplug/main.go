//go:build wasip1

// Command testplug is the well-behaved plugin of the pluginhost tests,
// steered by the message text: "ok", "settings", "log", "logflood", "http",
// "steps:N", "host:NAME", "stdout" (writes to stdout and stderr), "entropy"
// (logs WASI random bytes and the wall clock).
package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
)

// version is set with -ldflags "-X main.version=2" to build a second module;
// name with -ldflags "-X main.name=KAVENEGAR_COM" to build one with another
// name (its settings keys follow it).
var (
	version = "1"
	name    = "TESTPLUG"
)

type plug struct{ settings map[string]string }

func (p *plug) Manifest() abi.Manifest {
	return abi.Manifest{
		ABI: abi.Version, Name: name, Version: version, Text: true, Templates: true,
		Settings: []abi.Setting{
			{Key: name + "_API_KEY", Required: true, Secret: true},
			{Key: name + "_BASE_URL"},
			{Key: name + "_MODE", Default: "plain"},
		},
		Hosts: []string{"allowed.example"},
	}
}

func (p *plug) Configure(s map[string]string) error {
	if s[name+"_API_KEY"] == "refuse" {
		return errors.New("SETTINGS.TESTPLUG_API_KEY is refused")
	}
	p.settings = s
	return nil
}

func (p *plug) request(state string) *abi.Request {
	return &abi.Request{
		Method:  "POST",
		URL:     p.settings[name+"_BASE_URL"] + "/v1/" + p.settings[name+"_API_KEY"] + "/send",
		Headers: []abi.Header{{Name: "Content-Type", Value: "text/plain"}},
		Body:    "state=" + state,
	}
}

func (p *plug) Send(m abi.Message) abi.Action {
	switch {
	case m.Text == "settings":
		keys := make([]string, 0, len(p.settings))
		for k := range p.settings {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return abi.Action{Result: &abi.Result{OK: true, MessageID: strings.Join(keys, ",")}}
	case m.Text == "log":
		sdk.Log(abi.LogInfo, "hello from plugin to "+m.To)
	case m.Text == "logflood":
		for i := 0; i < 100; i++ {
			sdk.Log(abi.LogInfo, "flood "+strconv.Itoa(i))
		}
	case m.Text == "stdout":
		fmt.Fprintln(os.Stderr, "to stderr")
		for i := 0; i < 200; i++ {
			fmt.Println("to stdout", i)
		}
	case m.Text == "entropy":
		var b [16]byte
		_, _ = rand.Read(b[:])
		sdk.Log(abi.LogInfo, "random="+hex.EncodeToString(b[:])+" unix_ms="+strconv.FormatInt(time.Now().UnixMilli(), 10))
	case m.Text == "http":
		return abi.Action{Request: p.request("1/1"), State: "1/1"}
	case strings.HasPrefix(m.Text, "steps:"):
		st := "1/" + strings.TrimPrefix(m.Text, "steps:")
		return abi.Action{Request: p.request(st), State: st}
	case strings.HasPrefix(m.Text, "host:"):
		return abi.Action{Request: &abi.Request{Method: "GET", URL: "http://" + strings.TrimPrefix(m.Text, "host:") + "/x"}, State: "1/1"}
	}
	return abi.Action{Result: &abi.Result{OK: true, MessageID: "v" + version + "-" + m.To}}
}

func (p *plug) Response(r abi.Response) abi.Action {
	i, n, _ := strings.Cut(r.State, "/")
	step, _ := strconv.Atoi(i)
	total, _ := strconv.Atoi(n)
	if step < total {
		st := strconv.Itoa(step+1) + "/" + n
		return abi.Action{Request: p.request(st), State: st}
	}
	switch r.Status {
	case 200:
		return abi.Action{Result: &abi.Result{OK: true, MessageID: r.Body}}
	case 418:
		return abi.Action{Result: &abi.Result{Class: abi.ClassOutOfCredit, Code: "418", Text: r.Body}}
	}
	return abi.Action{Result: &abi.Result{Class: abi.ClassTemporary, Code: strconv.Itoa(r.Status), Text: r.Body}}
}

func init() { sdk.Register(&plug{}) }

func main() {}
