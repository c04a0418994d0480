package host_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
)

// documentedCodes are the codes docs/errors.md lists, each as a table row
// "| `code` | status | meaning |".
var documentedCodes = sync.OnceValues(func() (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "errors.md"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9_]+)` \\| (\\d{3}) \\|").FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	return out, nil
})

// checkErrorCode checks an error answer's X-Error-Code: present, listed in
// docs/errors.md with this status, named by the response's x-error-codes in
// the OpenAPI document, and equal to a detail body's "code".
func checkErrorCode(method, tmpl string, r resp, res map[string]any) error {
	if r.status < 400 {
		if c := r.header.Get("X-Error-Code"); c != "" {
			return fmt.Errorf("%s %s %d: X-Error-Code %q on a success", method, tmpl, r.status, c)
		}
		return nil
	}
	code := r.header.Get("X-Error-Code")
	if code == "" {
		return fmt.Errorf("%s %s %d: no X-Error-Code header (body %.200s)", method, tmpl, r.status, r.body)
	}
	docs, err := documentedCodes()
	if err != nil {
		return err
	}
	if st, ok := docs[code]; !ok {
		return fmt.Errorf("%s %s %d: X-Error-Code %s is not listed in docs/errors.md", method, tmpl, r.status, code)
	} else if st != fmt.Sprint(r.status) {
		return fmt.Errorf("%s %s %d: X-Error-Code %s is listed with status %s in docs/errors.md", method, tmpl, r.status, code, st)
	}
	listed, _ := res["x-error-codes"].([]any)
	found := false
	for _, c := range listed {
		found = found || c == code
	}
	if !found {
		return fmt.Errorf("%s %s %d: X-Error-Code %s is not in the response's x-error-codes %v", method, tmpl, r.status, code, listed)
	}
	var body map[string]any
	if json.Unmarshal(r.body, &body) == nil {
		if _, detail := body["detail"].(string); detail && body["code"] != code {
			return fmt.Errorf("%s %s %d: detail body's code %v is not X-Error-Code %s", method, tmpl, r.status, body["code"], code)
		}
	}
	return nil
}

// TestErrorCodesDocumented: every code the host and the domain name is in
// docs/errors.md, and docs/errors.md lists no status the code cannot have.
func TestErrorCodesDocumented(t *testing.T) {
	docs, err := documentedCodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) < 20 {
		t.Fatalf("docs/errors.md lists %d codes", len(docs))
	}
	src, err := os.ReadFile("errorcodes.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^\s+Code\w+\s+= "([a-z_]+)"\s+// (\d{3})`).FindAllStringSubmatch(string(src), -1) {
		if docs[m[1]] != m[2] {
			t.Errorf("code %s (%s) is listed as %q in docs/errors.md", m[1], m[2], docs[m[1]])
		}
	}
	// The OpenAPI document's ErrorCode enum is exactly this list.
	doc := newEnv(t).fetchDoc()
	enum, err := doc.pointer("#/components/schemas/ErrorCode/enum")
	if err != nil {
		t.Fatal(err)
	}
	inDoc := map[string]bool{}
	for _, c := range enum.([]any) {
		inDoc[c.(string)] = true
		if _, ok := docs[c.(string)]; !ok {
			t.Errorf("ErrorCode %s is not in docs/errors.md", c)
		}
	}
	for c := range docs {
		if !inDoc[c] {
			t.Errorf("docs/errors.md's %s is not in the OpenAPI ErrorCode enum", c)
		}
	}
	// Reasons set at the domain's error sites.
	for _, dir := range []string{"../auth", "../storage", "../token"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			for _, m := range regexp.MustCompile(`Reason:\s+"([a-z_]+)"|"code":\s+"([a-z_]+)"`).FindAllStringSubmatch(string(b), -1) {
				code := m[1] + m[2]
				if _, ok := docs[code]; !ok {
					t.Errorf("%s: code %s is not in docs/errors.md", f, code)
				}
			}
		}
	}
}
