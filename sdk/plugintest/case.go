// Package plugintest helps provider authors test an SMS plugin against
// recorded provider exchanges natively: the plugin's Go logic is called
// directly, through the same ABI encoding the host uses, so the tests need
// nothing outside the standard library. The other half, running the
// compiled .wasm through the real host with an httptest server replaying the
// recorded responses, lives with the server (the package
// github.com/chelseru/chelseru/pluginhost/plugintest, and the command
// "chelseru plugin test FILE.wasm CASES_DIR" for a plugin in any language).
// The .case format is documented in docs/writing-a-provider.md.
//
// A golden case is a text file, Caddy-style: a few sections, each opened by
// a line "=== name":
//
//	# Kavenegar: a text message is accepted.
//	=== settings
//	KAVENEGAR_COM_API_KEY=test-key
//	=== message
//	{"to":"09123456789","text":"hello"}
//	=== request
//	POST https://api.kavenegar.com/v1/test-key/sms/send.json
//	Content-Type: application/x-www-form-urlencoded
//
//	receptor=09123456789&message=hello
//	=== response
//	200
//	Content-Type: application/json
//
//	{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":8792343}]}
//	=== result
//	{"ok":true,"message_id":"8792343"}
//
// settings holds KEY=VALUE lines; message and result are the ABI's JSON
// (abi.Message, abi.Result); request and response come in pairs, once per
// HTTP exchange (none when the plugin answers without calling the provider).
// The message is what the host is asked to send: one with a template_id and
// vars but no params gets its params from the manifest's template_params
// before it reaches the plugin, natively as through the host (the
// operator's SMS.TEMPLATE_PARAMS, when it names the template, arrives as
// params written in the case).
// A request or response is a first line (method and URL, or the status),
// header lines, an empty line and the body up to the next section; the
// newline before the next section line is not part of the body.
package plugintest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/chelseru/chelseru/sdk/abi"
)

// Exchange is one HTTP call: the request the plugin must ask for and the
// provider's recorded answer (its State is filled from the plugin's action).
type Exchange struct {
	Request  abi.Request
	Response abi.Response
}

// Case is one golden case.
type Case struct {
	// Name is the file's base name without extension.
	Name string
	// Comment holds the leading "#" lines, without the "# ".
	Comment string
	// Settings are the plugin's own SETTINGS.
	Settings map[string]string
	// Message is the message to send.
	Message abi.Message
	// Exchanges are the expected requests and their recorded answers, in order.
	Exchanges []Exchange
	// Result is the expected end of the send.
	Result abi.Result
}

// ParseCase parses a golden case file; name is used in errors and as Name.
func ParseCase(name string, data []byte) (*Case, error) {
	c := &Case{Name: name, Settings: map[string]string{}}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	var comments []string
	i := 0
	for ; i < len(lines) && !strings.HasPrefix(lines[i], "=== "); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "#"):
			comments = append(comments, strings.TrimPrefix(strings.TrimPrefix(l, "#"), " "))
		case strings.TrimSpace(l) == "":
		default:
			return nil, fmt.Errorf("%s:%d: text before the first section", name, i+1)
		}
	}
	c.Comment = strings.Join(comments, "\n")
	seen := map[string]bool{}
	for i < len(lines) {
		head := lines[i]
		section := strings.TrimSpace(strings.TrimPrefix(head, "=== "))
		start := i + 1
		i = start
		for i < len(lines) && !strings.HasPrefix(lines[i], "=== ") {
			i++
		}
		body := lines[start:i]
		if i == len(lines) && len(body) > 0 && body[len(body)-1] == "" {
			body = body[:len(body)-1] // the file's final newline
		}
		at := func(err error) error { return fmt.Errorf("%s:%d: section %s: %w", name, start, section, err) }
		switch section {
		case "settings":
			for _, l := range body {
				if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
					continue
				}
				k, v, ok := strings.Cut(l, "=")
				if !ok {
					return nil, at(fmt.Errorf("want KEY=VALUE, got %q", l))
				}
				c.Settings[strings.TrimSpace(k)] = v
			}
		case "message":
			if err := abi.DecodeMessage([]byte(strings.Join(body, "\n")), &c.Message); err != nil {
				return nil, at(err)
			}
		case "request":
			q, err := parseRequest(body)
			if err != nil {
				return nil, at(err)
			}
			c.Exchanges = append(c.Exchanges, Exchange{Request: q})
		case "response":
			if len(c.Exchanges) == 0 || c.Exchanges[len(c.Exchanges)-1].Response.Status != 0 {
				return nil, at(errors.New("a response must follow its request"))
			}
			p, err := parseResponse(body)
			if err != nil {
				return nil, at(err)
			}
			c.Exchanges[len(c.Exchanges)-1].Response = p
		case "result":
			if err := abi.DecodeResult([]byte(strings.Join(body, "\n")), &c.Result); err != nil {
				return nil, at(err)
			}
		default:
			return nil, at(errors.New("unknown section"))
		}
		if section != "request" && section != "response" {
			if seen[section] {
				return nil, at(errors.New("section repeated"))
			}
			seen[section] = true
		}
	}
	for _, s := range []string{"message", "result"} {
		if !seen[s] {
			return nil, fmt.Errorf("%s: no %s section", name, s)
		}
	}
	for n, x := range c.Exchanges {
		if x.Response.Status == 0 {
			return nil, fmt.Errorf("%s: request %d has no response", name, n+1)
		}
	}
	return c, nil
}

func parseHeaders(lines []string) (hs []abi.Header, body string, err error) {
	for i, l := range lines {
		if l == "" {
			return hs, strings.Join(lines[i+1:], "\n"), nil
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || name == "" {
			return nil, "", fmt.Errorf("want a header line, got %q", l)
		}
		hs = append(hs, abi.Header{Name: name, Value: strings.TrimPrefix(value, " ")})
	}
	return hs, "", nil
}

func parseRequest(lines []string) (abi.Request, error) {
	if len(lines) == 0 {
		return abi.Request{}, errors.New("empty request")
	}
	method, url, ok := strings.Cut(lines[0], " ")
	if !ok || method == "" || url == "" {
		return abi.Request{}, fmt.Errorf("want \"METHOD URL\", got %q", lines[0])
	}
	hs, body, err := parseHeaders(lines[1:])
	return abi.Request{Method: method, URL: url, Headers: hs, Body: body}, err
}

func parseResponse(lines []string) (abi.Response, error) {
	if len(lines) == 0 {
		return abi.Response{}, errors.New("empty response")
	}
	status, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || status < 100 || status > 999 {
		return abi.Response{}, fmt.Errorf("want an HTTP status, got %q", lines[0])
	}
	hs, body, err := parseHeaders(lines[1:])
	return abi.Response{Status: status, Headers: hs, Body: body}, err
}

// Format renders c in the golden file format (ParseCase reads it back).
func (c *Case) Format() []byte {
	var b bytes.Buffer
	if c.Comment != "" {
		for l := range strings.SplitSeq(c.Comment, "\n") {
			b.WriteString("# " + l + "\n")
		}
	}
	if len(c.Settings) > 0 {
		b.WriteString("=== settings\n")
		keys := make([]string, 0, len(c.Settings))
		for k := range c.Settings {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b.WriteString(k + "=" + c.Settings[k] + "\n")
		}
	}
	b.WriteString("=== message\n")
	b.Write(abi.AppendMessage(nil, &c.Message))
	b.WriteString("\n")
	for _, x := range c.Exchanges {
		b.WriteString("=== request\n" + x.Request.Method + " " + x.Request.URL + "\n")
		writeHeaders(&b, x.Request.Headers, x.Request.Body)
		b.WriteString("=== response\n" + strconv.Itoa(x.Response.Status) + "\n")
		writeHeaders(&b, x.Response.Headers, x.Response.Body)
	}
	b.WriteString("=== result\n")
	b.Write(abi.AppendResult(nil, &c.Result))
	b.WriteString("\n")
	return b.Bytes()
}

func writeHeaders(b *bytes.Buffer, hs []abi.Header, body string) {
	for _, h := range hs {
		b.WriteString(h.Name + ": " + h.Value + "\n")
	}
	b.WriteString("\n")
	if body != "" {
		b.WriteString(body + "\n")
	}
}

// LoadCases reads every *.case file in dir, sorted by name.
func LoadCases(dir string) ([]*Case, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.case"))
	if err != nil {
		return nil, fmt.Errorf("plugintest: %w", err)
	}
	slices.Sort(files)
	cases := make([]*Case, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("plugintest: %w", err)
		}
		c, err := ParseCase(strings.TrimSuffix(filepath.Base(f), ".case"), data)
		if err != nil {
			return nil, fmt.Errorf("plugintest: %w", err)
		}
		cases = append(cases, c)
	}
	return cases, nil
}
