//go:build !wasip1

package console

import (
	"strings"
	"testing"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
)

func TestSend(t *testing.T) {
	var lines []string
	sdk.SetNativeLog(func(level int, msg string) {
		if level != abi.LogInfo {
			t.Errorf("level %d", level)
		}
		lines = append(lines, msg)
	})
	t.Cleanup(func() { sdk.SetNativeLog(nil) })
	p := New()
	if err := p.Configure(map[string]string{"CONSOLE_ANYTHING": "x"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		msg    abi.Message
		line   string
		id     string
		failed string // error class
	}{
		{name: "text", msg: abi.Message{To: "09121234567", Text: "Your code: 4821"}, line: "CONSOLE SMS to 09121234567: Your code: 4821", id: "console-1"},
		{name: "template", msg: abi.Message{To: "09121234567", TemplateID: 100, Vars: []string{"4821", "x"}, Ref: "m7"},
			line: "CONSOLE SMS to 09121234567 template 100 vars [4821, x]", id: "console-m7"},
		{name: "long text is cut", msg: abi.Message{To: "09121234567", Text: strings.Repeat("a", 5000)},
			line: "CONSOLE SMS to 09121234567: " + strings.Repeat("a", maxLine-len("CONSOLE SMS to 09121234567: ")) + "…", id: "console-3"},
		{name: "cut on a character boundary", msg: abi.Message{To: "09121234567", Text: "a" + strings.Repeat("ک", 3000)},
			line: "CONSOLE SMS to 09121234567: a" + strings.Repeat("ک", (maxLine-len("CONSOLE SMS to 09121234567: a"))/2) + "…", id: "console-4"},
		{name: "no receiver", msg: abi.Message{Text: "x"}, failed: abi.ClassBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines = nil
			a := p.Send(tt.msg)
			if a.Request != nil || a.Result == nil {
				t.Fatalf("action %+v: CONSOLE must answer at once", a)
			}
			if tt.failed != "" {
				if a.Result.OK || a.Result.Class != tt.failed || len(lines) != 0 {
					t.Fatalf("result %+v, lines %q", a.Result, lines)
				}
				return
			}
			if !a.Result.OK || a.Result.MessageID != tt.id {
				t.Fatalf("result %+v, want ok with id %q", a.Result, tt.id)
			}
			if len(lines) != 1 || lines[0] != tt.line {
				t.Fatalf("log lines %q, want [%q]", lines, tt.line)
			}
		})
	}
	if a := p.Response(abi.Response{Status: 200}); a.Result == nil || a.Result.OK {
		t.Fatalf("Response must refuse: %+v", a)
	}
	m := p.Manifest()
	if m.Name != Name || m.ABI != abi.Version || !m.Text || !m.Templates || len(m.Hosts) != 0 || len(m.Settings) != 0 {
		t.Fatalf("manifest %+v", m)
	}
}
