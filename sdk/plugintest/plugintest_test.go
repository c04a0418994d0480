package plugintest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/plugintest"
)

const sample = `# A comment
# on two lines.
=== settings
X_KEY=k=v
X_EMPTY=
=== message
{"to":"09123456789","template_id":3,"vars":["1","2"]}
=== request
POST https://x.example/a?b=c
Content-Type: text/plain
X-Twice: 1
X-Twice: 2

line one
line two
=== response
418
Content-Type: application/json

{"ok":false}
=== request
GET https://x.example/poll

=== response
204

=== result
{"ok":false,"class":"temporary","code":"c","text":"t"}
`

func TestParseFormat(t *testing.T) {
	c, err := plugintest.ParseCase("sample", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if c.Comment != "A comment\non two lines." || c.Settings["X_KEY"] != "k=v" || c.Settings["X_EMPTY"] != "" {
		t.Errorf("header: %+v", c)
	}
	if c.Message.TemplateID != 3 || len(c.Message.Vars) != 2 || len(c.Exchanges) != 2 {
		t.Fatalf("case: %+v", c)
	}
	x := c.Exchanges[0]
	if x.Request.Method != "POST" || x.Request.URL != "https://x.example/a?b=c" || len(x.Request.Headers) != 3 ||
		x.Request.Body != "line one\nline two" || x.Response.Status != 418 || x.Response.Body != `{"ok":false}` {
		t.Errorf("exchange 1: %+v", x)
	}
	if y := c.Exchanges[1]; y.Request.Body != "" || y.Response.Status != 204 || y.Response.Body != "" {
		t.Errorf("exchange 2: %+v", y)
	}
	if c.Result != (abi.Result{Class: "temporary", Code: "c", Text: "t"}) {
		t.Errorf("result: %+v", c.Result)
	}
	again, err := plugintest.ParseCase("again", c.Format())
	if err != nil {
		t.Fatalf("Format output does not parse: %v\n%s", err, c.Format())
	}
	if string(again.Format()) != string(c.Format()) {
		t.Errorf("Format is not stable:\n%s\n---\n%s", c.Format(), again.Format())
	}
}

func TestParseErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"text first":       "hello\n=== message\n{}\n=== result\n{}\n",
		"no result":        "=== message\n{\"to\":\"1\"}\n",
		"no message":       "=== result\n{}\n",
		"unknown section":  "=== nope\n",
		"orphan response":  "=== message\n{}\n=== response\n200\n\n=== result\n{}\n",
		"no response":      "=== message\n{}\n=== request\nPOST http://x\n\n=== result\n{}\n",
		"bad status":       "=== message\n{}\n=== request\nPOST http://x\n\n=== response\nabc\n\n=== result\n{}\n",
		"bad request line": "=== message\n{}\n=== request\nPOST\n\n=== response\n200\n\n=== result\n{}\n",
		"bad setting":      "=== settings\nNOEQUALS\n=== message\n{}\n=== result\n{}\n",
		"bad json":         "=== message\n{\n=== result\n{}\n",
		"repeated":         "=== message\n{}\n=== message\n{}\n=== result\n{}\n",
	} {
		if _, err := plugintest.ParseCase(name, []byte(doc)); err == nil {
			t.Errorf("%s: parsed", name)
		} else if !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %q does not name the case", name, err)
		}
	}
}

// fake is a plugin whose behavior the test controls.
type fake struct {
	steps  int // requests to make before answering
	broken bool
	n      int
	last   abi.Response
}

func (f *fake) Manifest() abi.Manifest            { return abi.Manifest{Name: "FAKE"} }
func (f *fake) Configure(map[string]string) error { return nil }
func (f *fake) Send(m abi.Message) abi.Action     { return f.next() }
func (f *fake) Response(r abi.Response) abi.Action {
	f.last = r
	return f.next()
}

func (f *fake) next() abi.Action {
	if f.broken {
		return abi.Action{}
	}
	if f.n < f.steps {
		f.n++
		return abi.Action{State: "s", Request: &abi.Request{Method: "POST", URL: "https://x.example/" + string(rune('0'+f.n))}}
	}
	return abi.Action{Result: &abi.Result{OK: true, MessageID: f.last.State + f.last.Body}}
}

func TestRunNative(t *testing.T) {
	c := &plugintest.Case{
		Message:   abi.Message{To: "09123456789", Text: "x"},
		Exchanges: []plugintest.Exchange{{Request: abi.Request{Method: "POST", URL: "https://x.example/1"}, Response: abi.Response{Status: 200, Body: "b"}}},
		Result:    abi.Result{OK: true, MessageID: "sb"},
	}
	tr, err := plugintest.RunNative(&fake{steps: 1}, c)
	if err != nil {
		t.Fatal(err)
	}
	if d := plugintest.Diff(c, tr); len(d) != 0 {
		t.Errorf("diff: %v", d)
	}
	if _, err := plugintest.RunNative(&fake{steps: 2}, c); err == nil {
		t.Error("a plugin making more requests than recorded passed")
	}
	if _, err := plugintest.RunNative(&fake{broken: true}, c); err == nil {
		t.Error("an empty action passed")
	}
	tr, err = plugintest.RunNative(&fake{steps: 0}, c)
	if err != nil {
		t.Fatal(err)
	}
	if d := plugintest.Diff(c, tr); len(d) != 2 {
		t.Errorf("diff of a plugin that made no request: %v", d)
	}
}

// TestGoldenAlso runs Golden over a folder of two cases: both pass natively
// and each extra check runs once per case, in the case's subtest.
func TestGoldenAlso(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a", "b"} {
		c := &plugintest.Case{
			Name:      name,
			Message:   abi.Message{To: "09123456789", Text: name},
			Exchanges: []plugintest.Exchange{{Request: abi.Request{Method: "POST", URL: "https://x.example/1"}, Response: abi.Response{Status: 200, Body: name}}},
			Result:    abi.Result{OK: true, MessageID: "s" + name},
		}
		if err := os.WriteFile(filepath.Join(dir, name+".case"), c.Format(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	plugintest.Golden(t, dir, func() sdk.Plugin { return &fake{steps: 1} }, func(t *testing.T, c *plugintest.Case) {
		if !strings.HasSuffix(t.Name(), "/"+c.Name) {
			t.Errorf("extra check of %s ran in %s", c.Name, t.Name())
		}
		seen = append(seen, c.Name)
	})
	if strings.Join(seen, ",") != "a,b" {
		t.Errorf("extra checks ran for %v, want a and b", seen)
	}
}
