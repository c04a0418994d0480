// Package console is the CONSOLE SMS provider: the development default. It
// sends nothing; it writes one log line per SMS (receiver as 09XXXXXXXXX and
// the text, or the template id and variables) through the host's log and
// accepts the message. That log line deliberately shows the OTP: it is the
// only place an SMS text is ever logged.
//
// The logic is plain Go (it runs natively in tests and benchmarks);
// plugins/console/wasm builds it into the console.wasm module.
package console

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
)

// Name is the SMS_SERVICE value of this plugin.
const Name = "CONSOLE"

// Version is the plugin's own version.
const Version = "1.0.0"

// maxLine bounds the text put into one log line.
const maxLine = 2048

// Plugin is the CONSOLE provider. Create it with New.
type Plugin struct {
	seq uint64 // messages logged by this instance
}

// New returns the CONSOLE provider.
func New() sdk.Plugin { return &Plugin{} }

// Manifest describes CONSOLE: no settings, no hosts, text and templates.
func (p *Plugin) Manifest() abi.Manifest {
	return abi.Manifest{
		ABI:         abi.Version,
		Name:        Name,
		Version:     Version,
		Description: "Development provider: logs each SMS (including its code) instead of sending it.",
		Text:        true,
		Templates:   true,
	}
}

// Configure accepts any settings: CONSOLE has none.
func (p *Plugin) Configure(map[string]string) error { return nil }

// Send logs m and accepts it.
func (p *Plugin) Send(m abi.Message) abi.Action {
	if m.To == "" {
		return abi.Action{Result: &abi.Result{Class: abi.ClassBadRequest, Code: "receiver", Text: "no receiver"}}
	}
	p.seq++
	var b strings.Builder
	b.WriteString("CONSOLE SMS to ")
	b.WriteString(m.To)
	if m.TemplateID != 0 {
		b.WriteString(" template ")
		b.WriteString(strconv.FormatInt(m.TemplateID, 10))
		b.WriteString(" vars [")
		b.WriteString(strings.Join(m.Vars, ", "))
		b.WriteString("]")
		if m.Text != "" {
			b.WriteString(" text: ")
			b.WriteString(m.Text)
		}
	} else {
		b.WriteString(": ")
		b.WriteString(m.Text)
	}
	line := b.String()
	if len(line) > maxLine {
		n := maxLine
		for n > 0 && !utf8.RuneStart(line[n]) {
			n-- // do not cut a character in half
		}
		line = line[:n] + "…"
	}
	sdk.Log(abi.LogInfo, line)
	return abi.Action{Result: &abi.Result{OK: true, MessageID: p.messageID(m)}}
}

// messageID names a logged message: the host's reference when it gave one.
func (p *Plugin) messageID(m abi.Message) string {
	if m.Ref != "" {
		return "console-" + m.Ref
	}
	return "console-" + strconv.FormatUint(p.seq, 10)
}

// Response is never called: CONSOLE makes no requests.
func (p *Plugin) Response(abi.Response) abi.Action {
	return abi.Action{Result: &abi.Result{Class: abi.ClassPermanent, Code: "unexpected", Text: "CONSOLE makes no requests"}}
}
