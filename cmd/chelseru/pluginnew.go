package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/chelseru/chelseru/sdk"
)

// serviceName is what a manifest's name must be (pluginhost checks the same).
var serviceName = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,63}$`)

// modulePath is a plausible Go module path.
var modulePath = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~/-]{0,200}$`)

// cmdPluginNew writes a ready provider module for the service NAME: a Go
// module requiring the sdk, the plugin, its wasm main package, golden cases
// and a Makefile. It refuses to write into a folder that is not empty.
func cmdPluginNew(args []string, stdout io.Writer) error {
	fs := newFlags("plugin new")
	dir := fs.String("dir", "", "folder to create (default: the lower-case NAME)")
	module := fs.String("module", "", "Go module path (default: example.com/<lower-case NAME>)")
	sdkDir := fs.String("sdk", "", "a local checkout of the sdk module to use through a replace (before the first sdk tag, or to develop both)")
	name, err := parseOneArg(fs, args, "NAME")
	if err != nil {
		return err
	}
	if !serviceName.MatchString(name) {
		return fmt.Errorf("plugin new: %q is not a service name (A-Z, 0-9 and _, starting with a letter, at most 64): %w", name, errUsage)
	}
	lower := strings.ToLower(name)
	if *dir == "" {
		*dir = lower
	}
	if *module == "" {
		*module = "example.com/" + lower
	}
	if !modulePath.MatchString(*module) {
		return fmt.Errorf("plugin new: %q is not a module path: %w", *module, errUsage)
	}
	replace := ""
	if *sdkDir != "" {
		abs, err := filepath.Abs(*sdkDir)
		if err != nil {
			return fmt.Errorf("plugin new: -sdk: %w", err)
		}
		if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
			return fmt.Errorf("plugin new: -sdk %s: no go.mod there: %w", *sdkDir, errUsage)
		}
		replace = "\nreplace github.com/chelseru/chelseru/sdk => " + abs + "\n"
	}
	pkg := strings.ReplaceAll(lower, "_", "")
	if pkg[0] >= '0' && pkg[0] <= '9' {
		pkg = "p" + pkg
	}
	r := strings.NewReplacer("{{NAME}}", name, "{{LOWER}}", lower, "{{PKG}}", pkg, "{{MODULE}}", *module,
		"{{SDKVERSION}}", "v"+sdk.Version, "{{REPLACE}}", replace)
	if err := emptyOrAbsent(*dir); err != nil {
		return fmt.Errorf("plugin new: %w", err)
	}
	paths := make([]string, 0, len(scaffold))
	for p := range scaffold {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := filepath.Join(*dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("plugin new: %w", err)
		}
		if err := os.WriteFile(full, []byte(r.Replace(scaffold[p])), 0o644); err != nil {
			return fmt.Errorf("plugin new: %w", err)
		}
	}
	fmt.Fprintf(stdout, "wrote the %s provider module %s in %s (%d files)\n", name, *module, *dir, len(paths))
	if replace == "" {
		fmt.Fprintf(stdout, "it requires github.com/chelseru/chelseru/sdk %s; before that tag exists, point it at a checkout:\n"+
			"  go mod edit -replace github.com/chelseru/chelseru/sdk=/path/to/chelseru/sdk\n", "v"+sdk.Version)
	}
	fmt.Fprintf(stdout, "next: cd %s && make test && chelseru plugin check %s.wasm && chelseru plugin test %s.wasm testdata\n", *dir, lower, lower)
	return nil
}

// parseOneArg parses args (flags may come before or after the one
// positional argument) and returns the positional argument.
func parseOneArg(fs interface {
	Parse([]string) error
	Args() []string
	Name() string
}, args []string, what string) (string, error) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && !isBoolFlag(a) && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	if err := fs.Parse(flags); err != nil {
		return "", fmt.Errorf("%s: %v: %w", fs.Name(), err, errUsage)
	}
	if len(pos) != 1 {
		return "", fmt.Errorf("%s: want exactly one %s: %w", fs.Name(), what, errUsage)
	}
	return pos[0], nil
}

// isBoolFlag reports whether a is one of the commands' boolean flags, which
// take no separate value.
func isBoolFlag(a string) bool {
	switch strings.TrimLeft(a, "-") {
	case "update", "v":
		return true
	}
	return false
}

// emptyOrAbsent fails unless dir does not exist or is an empty folder.
func emptyOrAbsent(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return unwrapOp(err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty; nothing was written", dir)
	}
	return nil
}

// scaffold maps each file of a new provider module to its text, with
// {{NAME}} (the service name), {{LOWER}}, {{PKG}} (the Go package),
// {{MODULE}}, {{SDKVERSION}} and {{REPLACE}} filled in.
var scaffold = map[string]string{
	"go.mod": `module {{MODULE}}

go 1.24

require github.com/chelseru/chelseru/sdk {{SDKVERSION}}
{{REPLACE}}`,

	".gitignore": "*.wasm\n",

	"Makefile": `# Build and test the {{NAME}} provider plugin.
#   make          build {{LOWER}}.wasm (a WASI reactor: -buildmode=c-shared)
#   make test     run the golden cases natively (go test)
#   make check    run the module through the real host (needs the chelseru binary)
CHELSERU ?= chelseru

.PHONY: all test check clean

all: {{LOWER}}.wasm

{{LOWER}}.wasm: $(wildcard *.go wasm/*.go) go.mod
	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -o $@ ./wasm

test:
	go vet ./...
	go test ./...

check: {{LOWER}}.wasm
	$(CHELSERU) plugin check {{LOWER}}.wasm
	$(CHELSERU) plugin test {{LOWER}}.wasm testdata

clean:
	rm -f {{LOWER}}.wasm
`,

	"README.md": `# {{NAME}}: a chelseru SMS provider plugin

Written by "chelseru plugin new {{NAME}}". The guide is docs/writing-a-provider.md
in the chelseru repository.

- plugin.go: the provider (build a request from a message, classify the answer).
- wasm/main.go: registers it; "make" builds {{LOWER}}.wasm.
- testdata/*.case: golden cases. "make test" runs them natively; "make check"
  runs the module through the real host ("chelseru plugin test"). Record the
  provider's real answers there, then "go test ./... -update" rewrites the
  requests and results from what the plugin does (review the diff).

Install: copy {{LOWER}}.wasm into the server's SERVER.PLUGINS_DIR and set
SMS.SMS_SERVICE: {{NAME}} and, under SMS.SETTINGS, {{NAME}}_API_KEY (and
{{NAME}}_BASE_URL if not the default).
`,

	"plugin.go": `// Package {{PKG}} is the {{NAME}} SMS provider plugin for chelseru. It
// posts each SMS as JSON to {base}/send with a bearer token and reads
// {"id":"…"} or {"error":"…"} back; change Send and Response to your
// provider's API. The logic is plain Go: plugin_test.go runs the golden
// cases in testdata natively, and wasm/main.go compiles it into the module.
package {{PKG}}

import (
	"errors"
	"strconv"
	"strings"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// Plugin is the {{NAME}} provider.
type Plugin struct{ key, url string }

// New returns the provider; the host configures it before use.
func New() sdk.Plugin { return &Plugin{} }

// Manifest names the plugin, what it can send and its settings. Settings
// are named {{NAME}}_*; the host passes their values to Configure.
func (p *Plugin) Manifest() abi.Manifest {
	return abi.Manifest{ABI: abi.Version, Name: "{{NAME}}", Version: "0.1.0", Text: true, Templates: true,
		Description: "{{NAME}} SMS provider.",
		Settings: []abi.Setting{
			{Key: "{{NAME}}_API_KEY", Required: true, Secret: true, Description: "API key, sent as a bearer token."},
			{Key: "{{NAME}}_BASE_URL", Default: "https://api.example.com/v1", Description: "Base URL of the provider's API."},
		},
		// If your provider names template parameters, give the names its
		// documentation uses for the OTP template's code: the host then
		// sends Params named so whenever the operator's SMS.TEMPLATE_PARAMS
		// names none for the template (update testdata/otp_ok.case).
		// TemplateParams: []string{"CODE"},
	}
}

// Configure keeps the key and the send URL.
func (p *Plugin) Configure(s map[string]string) error {
	p.key = s["{{NAME}}_API_KEY"]
	if p.key == "" {
		return errors.New("{{NAME}}_API_KEY is required")
	}
	base := s["{{NAME}}_BASE_URL"]
	if base == "" {
		base = "https://api.example.com/v1"
	}
	p.url = strings.TrimRight(base, "/") + "/send"
	return nil
}

// Send describes the request for m. A login code (OTP) arrives as a
// template: TemplateID is the operator's OTP_SMS_TEMPLATE_ID and Vars is
// [code]; when the operator named the template's parameters
// (SMS.TEMPLATE_PARAMS), or else the manifest's TemplateParams do, Params
// carries the same values with their names.
func (p *Plugin) Send(m abi.Message) abi.Action {
	if m.TemplateID == 0 && m.Text == "" {
		return abi.Action{Result: &abi.Result{Class: abi.ClassBadRequest, Code: "empty_text", Text: "empty message text"}}
	}
	w := jsonlite.NewWriter(nil)
	w.ObjectStart().Key("to").String(m.To)
	switch {
	case m.TemplateID != 0 && len(m.Params) > 0:
		w.Key("template").Int(m.TemplateID).Key("params").ObjectStart()
		for _, prm := range m.Params {
			w.Key(prm.Name).String(prm.Value)
		}
		w.ObjectEnd()
	case m.TemplateID != 0:
		w.Key("template").Int(m.TemplateID).Key("vars").ArrayStart()
		for _, v := range m.Vars {
			w.String(v)
		}
		w.ArrayEnd()
	default:
		w.Key("text").String(m.Text)
	}
	w.ObjectEnd()
	return abi.Action{Request: &abi.Request{Method: "POST", URL: p.url, Body: string(w.Bytes()),
		Headers: []abi.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Authorization", Value: "Bearer " + p.key}}}}
}

// Response reads the provider's answer: 200 with an id is success; anything
// else is classified by its HTTP status, keeping the provider's error text.
func (p *Plugin) Response(r abi.Response) abi.Action {
	doc, err := jsonlite.Parse([]byte(r.Body))
	id, _ := doc.Get("id")
	if r.Status == 200 && err == nil && id.Kind() == jsonlite.String && id.String() != "" {
		return abi.Action{Result: &abi.Result{OK: true, MessageID: id.String()}}
	}
	res := &abi.Result{Class: abi.ClassPermanent, Code: "http_" + strconv.Itoa(r.Status), Text: "the provider gave no usable answer"}
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
		if len(res.Text) > 200 {
			res.Text = res.Text[:200]
		}
	}
	return abi.Action{Result: res}
}
`,

	"plugin_test.go": `package {{PKG}}_test

import (
	"testing"

	"github.com/chelseru/chelseru/sdk/plugintest"

	"{{MODULE}}"
)

// TestGolden runs every testdata/*.case natively; -update rewrites their
// requests and results from what the plugin does. "chelseru plugin test
// {{LOWER}}.wasm testdata" runs the same cases through the real host.
func TestGolden(t *testing.T) {
	plugintest.Golden(t, "testdata", {{PKG}}.New)
}
`,

	"wasm/main.go": `//go:build wasip1

// Command wasm builds the {{NAME}} provider into a plugin module (a WASI
// reactor; without -buildmode=c-shared the host refuses it):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o {{LOWER}}.wasm ./wasm
package main

import (
	"github.com/chelseru/chelseru/sdk"

	"{{MODULE}}"
)

// A reactor runs init functions but never main.main.
func init() { sdk.Register({{PKG}}.New()) }

func main() {}
`,

	"testdata/text_ok.case": `# A text message is posted as JSON; the answer's id is the message id.
=== settings
{{NAME}}_API_KEY=key-1
=== message
{"to":"09123456789","text":"hello"}
=== request
POST https://api.example.com/v1/send
Content-Type: application/json
Authorization: Bearer key-1

{"to":"09123456789","text":"hello"}
=== response
200
Content-Type: application/json

{"id":"m-1"}
=== result
{"ok":true,"message_id":"m-1"}
`,

	"testdata/otp_ok.case": `# A login code: template OTP_SMS_TEMPLATE_ID with vars = [code].
=== settings
{{NAME}}_API_KEY=key-1
=== message
{"to":"09123456789","template_id":100,"vars":["4821"]}
=== request
POST https://api.example.com/v1/send
Content-Type: application/json
Authorization: Bearer key-1

{"to":"09123456789","template":100,"vars":["4821"]}
=== response
200
Content-Type: application/json

{"id":"m-2"}
=== result
{"ok":true,"message_id":"m-2"}
`,

	"testdata/otp_named.case": `# The operator named the template's parameter (SMS.TEMPLATE_PARAMS 100=CODE).
=== settings
{{NAME}}_API_KEY=key-1
=== message
{"to":"09123456789","template_id":100,"vars":["4821"],"params":[{"name":"CODE","value":"4821"}]}
=== request
POST https://api.example.com/v1/send
Content-Type: application/json
Authorization: Bearer key-1

{"to":"09123456789","template":100,"params":{"CODE":"4821"}}
=== response
200
Content-Type: application/json

{"id":"m-3"}
=== result
{"ok":true,"message_id":"m-3"}
`,

	"testdata/unauthorized.case": `# HTTP 401: bad credentials, with the provider's error text.
=== settings
{{NAME}}_API_KEY=key-1
=== message
{"to":"09123456789","text":"hello"}
=== request
POST https://api.example.com/v1/send
Content-Type: application/json
Authorization: Bearer key-1

{"to":"09123456789","text":"hello"}
=== response
401
Content-Type: application/json

{"error":"bad key"}
=== result
{"ok":false,"class":"bad_credentials","code":"http_401","text":"bad key"}
`,

	"testdata/out_of_credit.case": `# HTTP 402: the account is out of credit.
=== settings
{{NAME}}_API_KEY=key-1
=== message
{"to":"09123456789","text":"hello"}
=== request
POST https://api.example.com/v1/send
Content-Type: application/json
Authorization: Bearer key-1

{"to":"09123456789","text":"hello"}
=== response
402
Content-Type: application/json

{"error":"no credit"}
=== result
{"ok":false,"class":"out_of_credit","code":"http_402","text":"no credit"}
`,

	"testdata/rate_limited.case": `# HTTP 429: rate limited.
=== settings
{{NAME}}_API_KEY=key-1
=== message
{"to":"09123456789","text":"hello"}
=== request
POST https://api.example.com/v1/send
Content-Type: application/json
Authorization: Bearer key-1

{"to":"09123456789","text":"hello"}
=== response
429
Content-Type: application/json

{"error":"slow down"}
=== result
{"ok":false,"class":"rate_limited","code":"http_429","text":"slow down"}
`,

	"testdata/server_error.case": `# HTTP 503 without a JSON body: temporary.
=== settings
{{NAME}}_API_KEY=key-1
=== message
{"to":"09123456789","text":"hello"}
=== request
POST https://api.example.com/v1/send
Content-Type: application/json
Authorization: Bearer key-1

{"to":"09123456789","text":"hello"}
=== response
503
Content-Type: text/html

<html>down</html>
=== result
{"ok":false,"class":"temporary","code":"http_503","text":"the provider gave no usable answer"}
`,

	"testdata/empty_text.case": `# An empty text is refused without calling the provider.
=== settings
{{NAME}}_API_KEY=key-1
=== message
{"to":"09123456789","text":""}
=== result
{"ok":false,"class":"bad_request","code":"empty_text","text":"empty message text"}
`,
}
