package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/chelseru/chelseru/auth"
)

// The schema tests drive the real server through every status the OpenAPI
// document lists and validate each answer (status, headers, media type,
// body) against the document the server itself serves, so neither the
// document nor the handlers can drift without a test failing. The schema
// checker below is a small JSON Schema (2020-12) subset: exactly the
// keywords the document uses; an unknown keyword is an error, so a schema
// can never be silently half-checked.

// apiDoc is the served OpenAPI document.
type apiDoc struct {
	root map[string]any
	// covered counts the (operationId, status) pairs seen.
	covered map[string]int
}

// fetchDoc gets and decodes GET /api/schema/.
func (e *env) fetchDoc() *apiDoc {
	e.t.Helper()
	r := e.get("/api/schema/", "")
	want(e.t, r, http.StatusOK, "")
	if r.obj == nil {
		e.t.Fatalf("the schema is not a JSON object: %.200s", r.body)
	}
	return &apiDoc{root: r.obj, covered: map[string]int{}}
}

// operation returns the operation of method on the path template tmpl.
func (d *apiDoc) operation(method, tmpl string) (map[string]any, error) {
	item, ok := d.root["paths"].(map[string]any)[tmpl].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("path %s is not documented", tmpl)
	}
	op, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s %s is not documented", method, tmpl)
	}
	return op, nil
}

// deref follows $ref until v is not a reference.
func (d *apiDoc) deref(v any) (map[string]any, error) {
	for range 16 {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%T is not an object", v)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, nil
		}
		var err error
		if v, err = d.pointer(ref); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("$ref chain too long")
}

// pointer resolves a local JSON pointer.
func (d *apiDoc) pointer(ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not local", ref)
	}
	var cur any = d.root
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: %q is not in an object", ref, tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("$ref %q: no %q", ref, tok)
		}
	}
	return cur, nil
}

// conform checks an answer to method on tmpl against the document and
// records the (operation, status) pair as covered.
func (d *apiDoc) conform(method, tmpl string, r resp) error {
	op, err := d.operation(method, tmpl)
	if err != nil {
		return err
	}
	status := strconv.Itoa(r.status)
	spec, ok := op["responses"].(map[string]any)[status]
	if !ok {
		return fmt.Errorf("%s %s: status %s is not documented (body %.200s)", method, tmpl, status, r.body)
	}
	d.covered[op["operationId"].(string)+" "+status]++
	res, err := d.deref(spec)
	if err != nil {
		return err
	}
	if err := checkErrorCode(method, tmpl, r, res); err != nil {
		return err
	}
	headers, _ := res["headers"].(map[string]any)
	for name, hv := range headers {
		h, err := d.deref(hv)
		if err != nil {
			return err
		}
		got, present := r.header[http.CanonicalHeaderKey(name)]
		if !present {
			if h["required"] == true {
				return fmt.Errorf("%s %s %s: no %s header", method, tmpl, status, name)
			}
			continue
		}
		var val any = got[0]
		if sch, _ := h["schema"].(map[string]any); sch["type"] == "integer" {
			n, err := strconv.ParseInt(got[0], 10, 64)
			if err != nil {
				return fmt.Errorf("%s %s %s: header %s %q is not an integer", method, tmpl, status, name, got[0])
			}
			val = float64(n)
		}
		if err := d.validate(h["schema"], val, name); err != nil {
			return fmt.Errorf("%s %s %s: header %w", method, tmpl, status, err)
		}
	}
	content, _ := res["content"].(map[string]any)
	if len(r.body) == 0 {
		if len(content) > 0 && method != http.MethodHead {
			return fmt.Errorf("%s %s %s: empty body, documented %v", method, tmpl, status, keys(content))
		}
		return nil
	}
	if len(content) == 0 {
		return fmt.Errorf("%s %s %s: a body is sent but none is documented: %.200s", method, tmpl, status, r.body)
	}
	mt, _, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil {
		return fmt.Errorf("%s %s %s: Content-Type %q: %w", method, tmpl, status, r.header.Get("Content-Type"), err)
	}
	media, ok := content[mt].(map[string]any)
	if !ok {
		return fmt.Errorf("%s %s %s: media type %s is not documented (%v)", method, tmpl, status, mt, keys(content))
	}
	var body any = string(r.body)
	if mt == "application/json" {
		if err := json.Unmarshal(r.body, &body); err != nil {
			return fmt.Errorf("%s %s %s: body is not JSON: %w", method, tmpl, status, err)
		}
	}
	if err := d.validate(media["schema"], body, "body"); err != nil {
		return fmt.Errorf("%s %s %s: %w (body %.300s)", method, tmpl, status, err, r.body)
	}
	return nil
}

// requestSchema is the schema of an operation's JSON request body.
func (d *apiDoc) requestSchema(method, tmpl string) (any, error) {
	op, err := d.operation(method, tmpl)
	if err != nil {
		return nil, err
	}
	rb, err := d.deref(op["requestBody"])
	if err != nil {
		return nil, fmt.Errorf("%s %s: request body: %w", method, tmpl, err)
	}
	media, ok := rb["content"].(map[string]any)["application/json"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s %s: no JSON request body", method, tmpl)
	}
	return media["schema"], nil
}

// validate checks v (decoded JSON) against schema.
func (d *apiDoc) validate(schema any, v any, at string) error {
	if b, ok := schema.(bool); ok {
		if !b {
			return fmt.Errorf("%s: not allowed", at)
		}
		return nil
	}
	s, ok := schema.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: schema is %T", at, schema)
	}
	for kw, arg := range s {
		if err := d.keyword(s, kw, arg, v, at); err != nil {
			return err
		}
	}
	return nil
}

// keyword checks one keyword of schema s.
func (d *apiDoc) keyword(s map[string]any, kw string, arg, v any, at string) error {
	switch kw {
	case "description", "examples", "example", "default", "title", "format":
		if kw == "format" && arg == "date-time" {
			if str, ok := v.(string); ok {
				if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
					return fmt.Errorf("%s: %q is not a date-time", at, str)
				}
			}
		}
		return nil
	case "$ref":
		target, err := d.pointer(arg.(string))
		if err != nil {
			return err
		}
		return d.validate(target, v, at)
	case "type":
		types, ok := arg.([]any)
		if !ok {
			types = []any{arg}
		}
		for _, t := range types {
			if typeIs(t.(string), v) {
				return nil
			}
		}
		return fmt.Errorf("%s: %s is not of type %v", at, short(v), arg)
	case "const":
		if !reflect.DeepEqual(arg, v) {
			return fmt.Errorf("%s: %s, want %v", at, short(v), arg)
		}
	case "enum":
		for _, e := range arg.([]any) {
			if reflect.DeepEqual(e, v) {
				return nil
			}
		}
		return fmt.Errorf("%s: %s is not one of %v", at, short(v), arg)
	case "properties":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for name, sub := range arg.(map[string]any) {
			if pv, ok := obj[name]; ok {
				if err := d.validate(sub, pv, at+"."+name); err != nil {
					return err
				}
			}
		}
	case "additionalProperties":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		props, _ := s["properties"].(map[string]any)
		for name, pv := range obj {
			if _, ok := props[name]; ok {
				continue
			}
			if err := d.validate(arg, pv, at+"."+name); err != nil {
				return fmt.Errorf("%s: unexpected member %q: %w", at, name, err)
			}
		}
	case "required":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for _, name := range arg.([]any) {
			if _, ok := obj[name.(string)]; !ok {
				return fmt.Errorf("%s: required %q is missing", at, name)
			}
		}
	case "minProperties", "maxProperties":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		if n := int(arg.(float64)); (kw == "minProperties" && len(obj) < n) || (kw == "maxProperties" && len(obj) > n) {
			return fmt.Errorf("%s: %d members breaks %s %d", at, len(obj), kw, n)
		}
	case "items":
		arr, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, e := range arr {
			if err := d.validate(arg, e, at+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case "minItems":
		if arr, ok := v.([]any); ok && len(arr) < int(arg.(float64)) {
			return fmt.Errorf("%s: %d items, want at least %v", at, len(arr), arg)
		}
	case "minLength", "maxLength":
		str, ok := v.(string)
		if !ok {
			return nil
		}
		if n := utf8.RuneCountInString(str); (kw == "minLength" && n < int(arg.(float64))) || (kw == "maxLength" && n > int(arg.(float64))) {
			return fmt.Errorf("%s: length %d breaks %s %v", at, n, kw, arg)
		}
	case "pattern":
		str, ok := v.(string)
		if !ok {
			return nil
		}
		re, err := regexp.Compile(arg.(string))
		if err != nil {
			return fmt.Errorf("%s: pattern %q: %w", at, arg, err)
		}
		if !re.MatchString(str) {
			return fmt.Errorf("%s: %q does not match %s", at, str, arg)
		}
	case "minimum", "maximum":
		n, ok := v.(float64)
		if !ok {
			return nil
		}
		if (kw == "minimum" && n < arg.(float64)) || (kw == "maximum" && n > arg.(float64)) {
			return fmt.Errorf("%s: %v breaks %s %v", at, n, kw, arg)
		}
	case "allOf":
		for _, sub := range arg.([]any) {
			if err := d.validate(sub, v, at); err != nil {
				return err
			}
		}
	case "oneOf", "anyOf":
		var matched int
		var errs []string
		for _, sub := range arg.([]any) {
			if err := d.validate(sub, v, at); err != nil {
				errs = append(errs, err.Error())
			} else {
				matched++
			}
		}
		if matched == 0 {
			return fmt.Errorf("%s: matches none of %s: %s", at, kw, strings.Join(errs, "; "))
		}
		if kw == "oneOf" && matched > 1 {
			return fmt.Errorf("%s: matches %d schemas of oneOf", at, matched)
		}
	case "not":
		if d.validate(arg, v, at) == nil {
			return fmt.Errorf("%s: %s matches a schema it must not", at, short(v))
		}
	default:
		return fmt.Errorf("%s: the test's checker does not know keyword %q", at, kw)
	}
	return nil
}

// typeIs reports whether v (decoded JSON) is of JSON Schema type t.
func typeIs(t string, v any) bool {
	switch x := v.(type) {
	case nil:
		return t == "null"
	case bool:
		return t == "boolean"
	case string:
		return t == "string"
	case float64:
		return t == "number" || (t == "integer" && x == float64(int64(x)))
	case []any:
		return t == "array"
	case map[string]any:
		return t == "object"
	}
	return false
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		b = append(b[:77], "..."...)
	}
	return string(b)
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// conformer sends requests on an env and checks each answer against doc.
type conformer struct {
	t   *testing.T
	e   *env
	doc *apiDoc
}

// send does r (to the path template tmpl, filled in as r.path), checks the
// status and the answer's conformance, and returns the answer.
func (c *conformer) send(tmpl string, r req, status int) resp {
	c.t.Helper()
	if r.path == "" {
		r.path = tmpl
	}
	var out resp
	if tmpl == "/metrics" || strings.Contains(r.path, "format=yaml") {
		var err error
		if out, err = c.e.roundTrip(r); err != nil {
			c.t.Fatalf("%s %s: %v", r.method, r.path, err)
		}
	} else {
		out = c.e.do(r)
	}
	if out.status != status {
		c.t.Errorf("%s %s: status %d, want %d; body %.300s", r.method, r.path, out.status, status, out.body)
	}
	if err := c.doc.conform(r.method, tmpl, out); err != nil {
		c.t.Error(err)
	}
	// A request body that succeeded must be valid by the documented request
	// schema too.
	if status < 300 && r.body != "" && (r.ctype == "" || strings.HasPrefix(r.ctype, "application/json")) {
		sch, err := c.doc.requestSchema(r.method, tmpl)
		if err != nil {
			c.t.Error(err)
			return out
		}
		var v any
		if err := json.Unmarshal([]byte(r.body), &v); err != nil {
			c.t.Fatalf("test body %q: %v", r.body, err)
		}
		if err := c.doc.validate(sch, v, "request"); err != nil {
			c.t.Errorf("%s %s: an accepted request breaks the documented request schema: %v", r.method, tmpl, err)
		}
	}
	return out
}

func bearerHdr(access string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + access}
}

func jsonReq(method, body string, hdr map[string]string) req {
	return req{method: method, body: body, header: hdr}
}

// TestSchemaEndpoint checks GET /api/schema/: a 3.1 document as JSON, the
// same as YAML, ETag and Cache-Control, 304 on a matching If-None-Match.
func TestSchemaEndpoint(t *testing.T) {
	e := newEnv(t)
	r := e.get("/api/schema/", "")
	want(t, r, http.StatusOK, "")
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if v, _ := r.obj["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Fatalf("openapi %q, want 3.1.x", v)
	}
	etag := r.header.Get("ETag")
	if !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(etag) {
		t.Fatalf("ETag %q", etag)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q", cc)
	}
	// The same answer every time.
	if again := e.get("/api/schema/", ""); string(again.body) != string(r.body) || again.header.Get("ETag") != etag {
		t.Fatal("the document or its ETag changes between requests")
	}

	cases := []struct {
		name, inm string
		status    int
	}{
		{"same", etag, http.StatusNotModified},
		{"weak", "W/" + etag, http.StatusNotModified},
		{"list", `"0000", ` + etag, http.StatusNotModified},
		{"star", "*", http.StatusNotModified},
		{"other", `"0123"`, http.StatusOK},
	}
	for _, c := range cases {
		got := e.do(req{method: http.MethodGet, path: "/api/schema/", header: map[string]string{"If-None-Match": c.inm}})
		want(t, got, c.status, "")
		if c.status == http.StatusNotModified && (len(got.body) != 0 || got.header.Get("ETag") != etag) {
			t.Errorf("%s: 304 with body %q, ETag %q", c.name, got.body, got.header.Get("ETag"))
		}
	}

	y, err := e.roundTrip(req{method: http.MethodGet, path: "/api/schema/?format=yaml"})
	if err != nil {
		t.Fatal(err)
	}
	want(t, y, http.StatusOK, "")
	if ct := y.header.Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("YAML Content-Type %q", ct)
	}
	if ye := y.header.Get("ETag"); ye == "" || ye == etag {
		t.Errorf("YAML ETag %q (JSON's is %q): representations need their own", ye, etag)
	}
	var fromYAML any
	if err := yaml.Unmarshal(y.body, &fromYAML); err != nil {
		t.Fatalf("YAML: %v", err)
	}
	j, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatal(err)
	}
	var a any
	if err := json.Unmarshal(j, &a); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, any(r.obj)) {
		t.Fatal("the YAML document differs from the JSON one")
	}
	want(t, e.get("/api/schema/?format=json", ""), http.StatusOK, string(r.body))
	want(t, e.get("/api/schema/?format=xml", ""), http.StatusNotFound, `{"detail":"Not found."}`)

	head, err := e.roundTrip(req{method: http.MethodHead, path: "/api/schema/"})
	if err != nil {
		t.Fatal(err)
	}
	if head.status != http.StatusOK || len(head.body) != 0 || head.header.Get("ETag") != etag {
		t.Fatalf("HEAD: %d, %d bytes, ETag %q", head.status, len(head.body), head.header.Get("ETag"))
	}
}

// TestSchemaPathsServed probes every documented path and method over a real
// socket, on a server of each AUTH_METHOD: none may be unrouted (the
// router's 404) or refused as a method (405). Conversely, every path of the
// PASSWD document (which has every route; TestOpenAPIMatchesRouter) that the
// OTP document leaves out must be a 404 on the OTP server.
func TestSchemaPathsServed(t *testing.T) {
	envs := map[string]*env{}
	docs := map[string]*apiDoc{}
	for _, method := range []string{"OTP", "PASSWD"} {
		e := newEnv(t, func(c *config) { c.auth.Method = auth.Method(method) })
		envs[method], docs[method] = e, e.fetchDoc()
		n := 0
		for tmpl, item := range docs[method].root["paths"].(map[string]any) {
			for m := range item.(map[string]any) {
				if m == "parameters" || m == "summary" || m == "description" {
					continue
				}
				r := e.probe(strings.ToUpper(m), tmpl)
				n++
				if r.status == http.StatusNotFound && string(r.body) == `{"detail":"Not found."}` {
					t.Errorf("%s: %s %s is documented but not routed", method, strings.ToUpper(m), tmpl)
				}
				if r.status == http.StatusMethodNotAllowed {
					t.Errorf("%s: %s %s is documented but the method is refused (Allow: %s)", method, strings.ToUpper(m), tmpl, r.header.Get("Allow"))
				}
			}
		}
		if n < 10 {
			t.Fatalf("%s: probed only %d operations", method, n)
		}
	}
	otpPaths := docs["OTP"].root["paths"].(map[string]any)
	left := 0
	for tmpl := range docs["PASSWD"].root["paths"].(map[string]any) {
		if _, ok := otpPaths[tmpl]; ok {
			continue
		}
		left++
		for _, m := range []string{"GET", "POST", "DELETE"} {
			if r := envs["OTP"].probe(m, tmpl); r.status != http.StatusNotFound {
				t.Errorf("OTP: %s %s is not documented but answers %d", m, tmpl, r.status)
			}
		}
	}
	if left == 0 {
		t.Error("the OTP document leaves out no path of the PASSWD one")
	}
}

// probe sends method to the path template tmpl (parameters filled with 1)
// without credentials or body.
func (e *env) probe(method, tmpl string) resp {
	e.t.Helper()
	path := regexp.MustCompile(`\{[^}/]+\}`).ReplaceAllString(tmpl, "1")
	r, err := e.roundTrip(req{method: method, path: path})
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// TestSchemaConformance drives every documented (operation, status) the
// harness can produce and validates each answer against the document; at
// the end every documented pair must have been seen, except the few listed
// in notReproduced.
func TestSchemaConformance(t *testing.T) {
	notReproduced := map[string]string{
		"metrics 503":    "promhttp's in-flight limit (4 scrapes) cannot be hit deterministically",
		"chatSocket 101": "an upgraded socket is driven by a WebSocket client in chat_test.go, not by net/http",
	}
	big := `{"mobile_number":"` + strings.Repeat("9", 100<<10) + `"}`
	// Each server serves the variant of its AUTH_METHOD; the coverage is
	// counted over both.
	doc := newEnv(t).fetchDoc()
	docPW := newEnv(t, passwdMethod).fetchDoc()
	docPW.covered = doc.covered
	ran := 0 // parts run (a -run filter may skip some)

	t.Run("normal", func(t *testing.T) {
		ran++
		e := newEnv(t, func(c *config) {
			c.auth.MaxAttempts = 2
			c.auth.SendsPerNumberPerHour = 1
			c.host.Chat.AllowedOrigins = []string{"https://app.example"}
		})
		c := &conformer{t: t, e: e, doc: doc}
		const otp, authn, refresh, verify = "/api/otp/send/", "/api/authenticate/", "/api/token/refresh/", "/api/token/verify/"

		c.send("/healthz", req{method: http.MethodGet}, 200)
		c.send("/readyz", req{method: http.MethodGet}, 200)
		c.send("/metrics", req{method: http.MethodGet}, 200)
		sch := c.send("/api/schema/", req{method: http.MethodGet}, 200)
		c.send("/api/schema/", req{method: http.MethodGet, path: "/api/schema/?format=yaml"}, 200)
		c.send("/api/schema/", req{method: http.MethodGet, header: map[string]string{"If-None-Match": sch.header.Get("ETag")}}, 304)
		c.send("/api/schema/", req{method: http.MethodGet, path: "/api/schema/?format=x"}, 404)

		// One-time codes and login.
		c.send(otp, jsonReq("POST", `{"mobile_number":"`+mobileA+`"}`, nil), 200)
		code, ok := e.sms.code(mobileA)
		if !ok {
			t.Fatal("no code reached the provider")
		}
		c.send(otp, jsonReq("POST", `{"mobile_number":"`+mobileA+`"}`, nil), 409)
		c.send(otp, jsonReq("POST", `{"mobile_number":"0912"}`, nil), 400)
		c.send(otp, jsonReq("POST", `{"mobile_number":`, nil), 400)
		c.send(otp, jsonReq("POST", `[1]`, nil), 400)
		c.send(otp, req{method: "POST", ctype: "application/x-www-form-urlencoded", body: "x=1"}, 400)
		c.send(otp, jsonReq("POST", big, nil), 413)
		// A number whose user an operator disabled (admin API).
		if u, _, err := e.db.GetOrCreateUser(context.Background(), 0, "09120009999", e.clock.Now()); err != nil {
			t.Fatal(err)
		} else if _, err := e.db.SetUserDisabled(context.Background(), u.ID, true); err != nil {
			t.Fatal(err)
		}
		c.send(otp, jsonReq("POST", `{"mobile_number":"09120009999"}`, nil), 403)
		c.send(otp, req{method: "POST", ctype: "text/plain", body: "mobile_number=09121234567"}, 415)

		c.send(authn, jsonReq("POST", `{"mobile_number":"`+mobileA+`"}`, nil), 400)
		c.send(authn, jsonReq("POST", `{"mobile_number":"x","code":null,"group":"a"}`, nil), 400)
		c.send(authn, jsonReq("POST", big, nil), 413)
		c.send(authn, req{method: "POST", ctype: "text/plain", body: "x"}, 415)
		tok := c.send(authn, jsonReq("POST", `{"mobile_number":"`+mobileA+`","code":"`+code+`","group":0}`, nil), 200)
		access, refreshTok := tok.str("access"), tok.str("refresh")

		// Tokens.
		c.send(verify, jsonReq("POST", `{"token":"`+access+`"}`, nil), 200)
		c.send(verify, jsonReq("POST", `{}`, nil), 400)
		c.send(verify, jsonReq("POST", `{"token":"a.b.c"}`, nil), 401)
		c.send(verify, jsonReq("POST", big, nil), 413)
		c.send(verify, req{method: "POST", ctype: "text/plain", body: "x"}, 415)
		c.send(refresh, req{method: "POST", ctype: "application/x-www-form-urlencoded", body: "other=1"}, 400)
		c.send(refresh, jsonReq("POST", `{"refresh":"`+access+`"}`, nil), 401)
		c.send(refresh, jsonReq("POST", big, nil), 413)
		c.send(refresh, req{method: "POST", ctype: "text/plain", body: "x"}, 415)
		nt := c.send(refresh, jsonReq("POST", `{"refresh":"`+refreshTok+`"}`, nil), 200)
		c.send(refresh, jsonReq("POST", `{"refresh":"`+refreshTok+`"}`, nil), 401) // reuse: the session is revoked
		if nt.str("access") == "" {
			t.Fatal("no access token from refresh")
		}

		// A wrong code (401), then the burnt code (429).
		c.send(otp, jsonReq("POST", `{"mobile_number":"`+mobileB+`"}`, nil), 200)
		codeB, _ := e.sms.code(mobileB)
		wrong := "00000000"
		if wrong == codeB {
			wrong = "11111111"
		}
		c.send(authn, jsonReq("POST", `{"mobile_number":"`+mobileB+`","code":"`+wrong+`"}`, nil), 401)
		c.send(authn, jsonReq("POST", `{"mobile_number":"`+mobileB+`","code":"`+wrong+`"}`, nil), 429)
		// Beyond the per-number limit once the code has expired.
		e.clock.Advance(5 * time.Minute)
		c.send(otp, jsonReq("POST", `{"mobile_number":"`+mobileB+`"}`, nil), 429)

		// A fresh login for the protected routes.
		access2, _ := e.login(mobileC, 3)
		auth := bearerHdr(access2)

		c.send("/api/sessions/", req{method: "GET", header: auth}, 200)
		c.send("/api/sessions/", req{method: "GET"}, 401)
		c.send("/api/sessions/", req{method: "GET", header: map[string]string{"Authorization": "Bearer"}}, 401)
		c.send("/api/sessions/", req{method: "GET", header: bearerHdr("a.b.c")}, 401)
		c.send("/api/sessions/{id}/", req{method: "DELETE", path: "/api/sessions/999999/", header: auth}, 404)
		c.send("/api/sessions/{id}/", req{method: "DELETE", path: "/api/sessions/1/"}, 401)

		const msg = "/api/message/send/"
		c.send(msg, jsonReq("POST", `{"mobile_number":"`+mobileB+`","message_text":"hello","template_id":3}`, auth), 200)
		c.send(msg, jsonReq("POST", `{"mobile_number":"1","message_text":"`+strings.Repeat("x", 291)+`"}`, auth), 400)
		c.send(msg, jsonReq("POST", `{"template_id":"x"}`, auth), 400)
		c.send(msg, jsonReq("POST", `{"mobile_number":"`+mobileB+`","message_text":"hello"}`, nil), 401)
		c.send(msg, jsonReq("POST", big, auth), 413)
		c.send(msg, req{method: "POST", ctype: "text/plain", body: "x", header: auth}, 415)
		e.sms.setBehavior(bReject)
		c.send(msg, jsonReq("POST", `{"mobile_number":"`+mobileB+`","message_text":"hello"}`, auth), 502)
		c.send(otp, jsonReq("POST", `{"mobile_number":"09129990001"}`, nil), 502)
		e.sms.setBehavior(bOK)

		// Chat rooms, history and the socket's HTTP answers.
		const rooms, hist, sock = "/api/chat/rooms/", "/api/chat/rooms/{id}/messages/", "/ws/chat/{id}/"
		room := c.send(rooms, jsonReq("POST", `{"mobile_number":"`+mobileB+`"}`, auth), 201)
		roomPath := "/api/chat/rooms/" + strconv.FormatInt(int64(room.obj["id"].(float64)), 10) + "/messages/"
		c.send(rooms, req{method: "POST", ctype: "application/x-www-form-urlencoded", body: "mobile_number=" + mobileB + "&group=0", header: auth}, 200)
		c.send(rooms, jsonReq("POST", `{"mobile_number":"0912","group":"x"}`, auth), 400)
		c.send(rooms, jsonReq("POST", `{"mobile_number":"`+mobileB+`"}`, nil), 401)
		c.send(rooms, jsonReq("POST", big, auth), 413)
		c.send(rooms, req{method: "POST", ctype: "text/plain", body: "x", header: auth}, 415)
		c.send(rooms, req{method: "GET", header: auth}, 200)
		c.send(rooms, req{method: "GET"}, 401)
		c.send(hist, req{method: "GET", path: roomPath + "?limit=10", header: auth}, 200)
		c.send(hist, req{method: "GET", path: roomPath + "?limit=x&before=0", header: auth}, 400)
		c.send(hist, req{method: "GET", path: roomPath}, 401)
		c.send(hist, req{method: "GET", path: "/api/chat/rooms/999999/messages/", header: auth}, 404)
		c.send(sock, req{method: "GET", path: "/ws/chat/1/", header: auth}, 426)
		c.send(sock, req{method: "GET", path: "/ws/chat/1/", header: map[string]string{
			"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
			"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "https://evil.example",
		}}, 403)

		// AUTH_METHOD OTP: there are no passwords, in the document or on the
		// server; a password field at login is ignored.
		const pw = "/api/password/set/"
		if _, err := doc.operation("POST", pw); err == nil {
			t.Errorf("the OTP document has %s", pw)
		}
		want(t, e.post(pw, `{"password":"correct horse battery staple"}`, "Authorization", "Bearer "+access2), http.StatusNotFound, `{"detail":"Not found."}`)
		c.send(authn, jsonReq("POST", `{"mobile_number":"`+mobileC+`","password":"correct horse battery staple"}`, nil), 400)

		// Revoking the caller's own session last: its token stops working.
		sid := e.claimsOf(access2).SessionID
		c.send("/api/sessions/{id}/", req{method: "DELETE", path: "/api/sessions/" + strconv.FormatInt(sid, 10) + "/", header: auth}, 204)
		c.send("/api/sessions/", req{method: "GET", header: auth}, 401)
	})

	t.Run("passwd", func(t *testing.T) {
		ran++
		e := newEnv(t, passwdMethod, func(c *config) { c.auth.MaxAttempts = 2 })
		c := &conformer{t: t, e: e, doc: docPW}
		const pw, authn = "/api/password/set/", "/api/authenticate/"
		access, _ := e.login(mobileA, 0)
		hdr := bearerHdr(access)
		c.send(pw, jsonReq("POST", `{"password":"correct horse battery staple"}`, hdr), 204)
		c.send(pw, jsonReq("POST", `{"password":"1234567"}`, hdr), 400)
		c.send(pw, jsonReq("POST", `{}`, hdr), 400)
		c.send(pw, jsonReq("POST", `{"password":"x"}`, map[string]string{"Authorization": "Bearer a b"}), 401)
		c.send(pw, req{method: "POST", ctype: "text/plain", body: "x", header: hdr}, 415)
		c.send(pw, jsonReq("POST", big, hdr), 413)
		c.send(authn, jsonReq("POST", `{"mobile_number":"`+mobileA+`","password":"correct horse battery staple"}`, nil), 200)
		c.send(authn, req{method: "POST", ctype: "application/x-www-form-urlencoded", body: "mobile_number=" + mobileA + "&password=correct+horse+battery+staple&group=0"}, 200)
		c.send(authn, jsonReq("POST", `{"mobile_number":"`+mobileA+`","password":"x","code":"1"}`, nil), 400)
		c.send(authn, jsonReq("POST", `{"mobile_number":"`+mobileA+`"}`, nil), 400)
		c.send(authn, jsonReq("POST", `{"mobile_number":"`+mobileB+`","password":"correct horse battery staple"}`, nil), 401)
		c.send(authn, jsonReq("POST", `{"mobile_number":"`+mobileA+`","password":"wrong password"}`, nil), 401)
		r := c.send(authn, jsonReq("POST", `{"mobile_number":"`+mobileA+`","password":"wrong password"}`, nil), 429)
		if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 {
			t.Errorf("password lockout: Retry-After %q", r.header.Get("Retry-After"))
		}
		if err := e.db.Close(); err != nil {
			t.Fatal(err)
		}
		c.send(pw, jsonReq("POST", `{"password":"correct horse battery staple"}`, hdr), 500)
	})

	// With one argon2 slot and no wait, concurrent password requests find the
	// slot taken: 503 with Retry-After.
	t.Run("busy", func(t *testing.T) {
		ran++
		e := newEnv(t, passwdMethod, func(c *config) {
			c.auth.MaxAttempts = 1000
			c.auth.MaxConcurrentHashes = 1
			c.auth.HashWait = time.Nanosecond
		})
		c := &conformer{t: t, e: e, doc: docPW}
		access, _ := e.login(mobileA, 0)
		type sent struct {
			tmpl string
			r    req
			out  resp
			err  error
		}
		const workers = 8
		busy := map[string]bool{}
		rounds := 0
		for ; rounds < 50 && (!busy["/api/authenticate/"] || !busy["/api/password/set/"]); rounds++ {
			results := make([]sent, workers)
			var wg sync.WaitGroup
			for i := range results {
				s := &results[i]
				if i%2 == 0 {
					s.tmpl, s.r = "/api/authenticate/", jsonReq("POST", `{"mobile_number":"`+mobileB+`","password":"not the password"}`, nil)
				} else {
					s.tmpl, s.r = "/api/password/set/", jsonReq("POST", `{"password":"correct horse battery staple"}`, bearerHdr(access))
				}
				s.r.path = s.tmpl
				wg.Go(func() { s.out, s.err = e.roundTrip(s.r) })
			}
			wg.Wait()
			for _, s := range results {
				if s.err != nil {
					t.Fatalf("%s: %v", s.tmpl, s.err)
				}
				e.check(s.r, &s.out)
				if err := c.doc.conform("POST", s.tmpl, s.out); err != nil {
					t.Error(err)
				}
				if s.out.status == http.StatusServiceUnavailable {
					busy[s.tmpl] = true
				}
			}
		}
		if !busy["/api/authenticate/"] || !busy["/api/password/set/"] {
			t.Errorf("no 503 in %d rounds of %d concurrent password requests: %v", rounds, workers, busy)
		}
		t.Logf("both 503s seen after %d rounds", rounds)
	})

	t.Run("storage full", func(t *testing.T) {
		ran++
		var free atomic.Uint64
		free.Store(1 << 50)
		e := newEnv(t, func(c *config) { c.freeBytes = func(string) (uint64, error) { return free.Load(), nil } })
		c := &conformer{t: t, e: e, doc: doc}
		access, refresh := e.login(mobileA, 0)
		free.Store(0)
		// The guard measures at most once a second: wait until it refuses.
		for i := 0; e.db.DiskFull() == nil; i++ {
			if i == 100 {
				t.Fatal("the disk guard never noticed the full disk")
			}
			time.Sleep(20 * time.Millisecond)
		}
		c.send("/api/otp/send/", jsonReq("POST", `{"mobile_number":"`+mobileB+`"}`, nil), 503)
		c.send("/api/token/refresh/", jsonReq("POST", `{"refresh":"`+refresh+`"}`, nil), 503)
		c.send("/api/sessions/{id}/", req{method: "DELETE", path: "/api/sessions/1/", header: bearerHdr(access)}, 503)
		c.send("/api/sessions/", req{method: "GET", header: bearerHdr(access)}, 200) // reads go on
	})

	// The abuse guards: per-address and per-user limits, the 403s.
	t.Run("guards", func(t *testing.T) {
		ran++
		e := newEnv(t, func(c *config) {
			c.auth.RefreshPerIPPerHour = 1
			c.auth.UserMessagesPerHour = 1
		})
		c := &conformer{t: t, e: e, doc: doc}
		access, refresh := e.login(mobileA, 0)
		c.send("/api/token/refresh/", jsonReq("POST", `{"refresh":"`+refresh+`"}`, nil), 200)
		c.send("/api/token/refresh/", jsonReq("POST", `{"refresh":"`+refresh+`"}`, nil), 429)
		const msg = "/api/message/send/"
		c.send(msg, jsonReq("POST", `{"mobile_number":"`+mobileB+`","message_text":"hi"}`, bearerHdr(access)), 200)
		c.send(msg, jsonReq("POST", `{"mobile_number":"`+mobileB+`","message_text":"hi"}`, bearerHdr(access)), 429)
		c.send(msg, jsonReq("POST", `{"mobile_number":"`+mobileB+`","message_text":"hi"}`, map[string]string{"Authorization": "Api-Key " + testServiceKey}), 200)
		c.send(msg, jsonReq("POST", `{"mobile_number":"`+mobileB+`","message_text":"hi"}`, map[string]string{"Authorization": "Api-Key nope"}), 401)

		e2 := newEnv(t, func(c *config) { c.auth.UserMessages = false })
		c2 := &conformer{t: t, e: e2, doc: doc}
		access2, _ := e2.login(mobileA, 0)
		c2.send(msg, jsonReq("POST", `{"mobile_number":"`+mobileB+`","message_text":"hi"}`, bearerHdr(access2)), 403)
	})

	t.Run("guards-passwd", func(t *testing.T) {
		ran++
		e := newEnv(t, passwdMethod, func(c *config) {
			c.auth.MaxAttempts = 2
			c.accessTTL = time.Hour
		})
		c := &conformer{t: t, e: e, doc: docPW}
		const pw = "/api/password/set/"
		access, _ := e.login(mobileA, 0)
		hdr := bearerHdr(access)
		c.send(pw, jsonReq("POST", `{"password":"correct horse battery staple"}`, hdr), 204)
		e.clock.Advance(6 * time.Minute)
		c.send(pw, jsonReq("POST", `{"password":"another good password"}`, hdr), 403)
		c.send(pw, jsonReq("POST", `{"password":"another good password","current_password":"wrong one"}`, hdr), 400)
		c.send(pw, jsonReq("POST", `{"password":"another good password","current_password":"wrong one"}`, hdr), 429)
	})

	t.Run("timeout", func(t *testing.T) {
		ran++
		e := newEnv(t, func(c *config) { c.smsTimeout = time.Second })
		c := &conformer{t: t, e: e, doc: doc}
		access, _ := e.login(mobileA, 0)
		e.sms.setBehavior(bHang)
		c.send("/api/otp/send/", jsonReq("POST", `{"mobile_number":"`+mobileB+`"}`, nil), 504)
		c.send("/api/message/send/", jsonReq("POST", `{"mobile_number":"`+mobileB+`","message_text":"hi"}`, bearerHdr(access)), 504)
	})

	t.Run("internal", func(t *testing.T) {
		ran++
		e := newEnv(t)
		c := &conformer{t: t, e: e, doc: doc}
		access, refresh := e.login(mobileA, 0)
		if err := e.db.Close(); err != nil {
			t.Fatal(err)
		}
		auth := bearerHdr(access)
		c.send("/readyz", req{method: "GET"}, 503)
		c.send("/api/otp/send/", jsonReq("POST", `{"mobile_number":"`+mobileB+`"}`, nil), 500)
		c.send("/api/authenticate/", jsonReq("POST", `{"mobile_number":"`+mobileB+`","code":"12345678"}`, nil), 500)
		c.send("/api/token/refresh/", jsonReq("POST", `{"refresh":"`+refresh+`"}`, nil), 500)
		c.send("/api/token/verify/", jsonReq("POST", `{"token":"`+access+`"}`, nil), 500)
		c.send("/api/sessions/", req{method: "GET", header: auth}, 500)
		c.send("/api/sessions/{id}/", req{method: "DELETE", path: "/api/sessions/1/", header: auth}, 500)
		c.send("/api/message/send/", jsonReq("POST", `{"mobile_number":"`+mobileB+`","message_text":"hi"}`, auth), 500)
		c.send("/api/chat/rooms/", jsonReq("POST", `{"mobile_number":"`+mobileB+`"}`, auth), 500)
		c.send("/api/chat/rooms/", req{method: "GET", header: auth}, 500)
		c.send("/api/chat/rooms/{id}/messages/", req{method: "GET", path: "/api/chat/rooms/1/messages/", header: auth}, 500)
	})

	if ran < 8 {
		t.Logf("coverage not checked: %d of 8 parts ran", ran)
		return
	}
	for _, d := range []*apiDoc{doc, docPW} {
		for tmpl, item := range d.root["paths"].(map[string]any) {
			for m, op := range item.(map[string]any) {
				o, ok := op.(map[string]any)
				if !ok || m == "parameters" {
					continue
				}
				id := o["operationId"].(string)
				for status := range o["responses"].(map[string]any) {
					key := id + " " + status
					if d.covered[key] == 0 && notReproduced[key] == "" {
						t.Errorf("%s %s answers %s by the document, but no test produced it", strings.ToUpper(m), tmpl, status)
						notReproduced[key] = "reported"
					}
				}
			}
		}
	}
}

// passwdMethod configures an env for AUTH_METHOD PASSWD.
func passwdMethod(c *config) { c.auth.Method = auth.MethodPasswd }

// TestSchemaCheckerRejects shows the conformance check can fail: answers
// that break the document are caught.
func TestSchemaCheckerRejects(t *testing.T) {
	e := newEnv(t)
	doc := e.fetchDoc()
	jsonHdr := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"abc"}}
	cases := []struct {
		name, method, tmpl string
		r                  resp
	}{
		{"undocumented status", "POST", "/api/otp/send/", resp{status: 418, header: jsonHdr, body: []byte(`{"detail":"x"}`)}},
		{"undocumented path", "GET", "/api/nope/", resp{status: 200, header: jsonHdr, body: []byte(`{}`)}},
		{"extra member", "POST", "/api/otp/send/", resp{status: 200, header: jsonHdr, body: []byte(`{"details":"The OTP code was sent correctly.","x":1}`)}},
		{"wrong text", "POST", "/api/otp/send/", resp{status: 200, header: jsonHdr, body: []byte(`{"details":"sent"}`)}},
		{"detail not details", "POST", "/api/otp/send/", resp{status: 409, header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"a"}, "Retry-After": {"3"}}, body: []byte(`{"detail":"x"}`)}},
		{"no Retry-After", "POST", "/api/otp/send/", resp{status: 409, header: jsonHdr, body: []byte(`{"details":"x"}`)}},
		{"Retry-After not a number", "POST", "/api/otp/send/", resp{status: 429, header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"a"}, "Retry-After": {"soon"}}, body: []byte(`{"detail":"x"}`)}},
		{"no X-Request-Id", "GET", "/healthz", resp{status: 200, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`{"status":"ok"}`)}},
		{"validation shape", "POST", "/api/otp/send/", resp{status: 400, header: jsonHdr, body: []byte(`{"mobile_number":"Enter a valid mobile number."}`)}},
		{"validation unknown field", "POST", "/api/otp/send/", resp{status: 400, header: jsonHdr, body: []byte(`{"code":["x"]}`)}},
		{"token error without code", "POST", "/api/token/verify/", resp{status: 401, header: jsonHdr, body: []byte(`{"detail":"Token is invalid"}`)}},
		{"no WWW-Authenticate", "GET", "/api/sessions/", resp{status: 401, header: jsonHdr, body: []byte(`{"detail":"x"}`)}},
		{"id as string", "GET", "/api/sessions/", resp{status: 200, header: jsonHdr, body: []byte(`[{"id":"1","user_agent":"","ip_address":"","device":"","browser":"","created_at":"2026-01-01T00:00:00.000000Z","last_seen":"2026-01-01T00:00:00.000000Z","current":true}]`)}},
		{"bad time", "GET", "/api/sessions/", resp{status: 200, header: jsonHdr, body: []byte(`[{"id":1,"user_agent":"","ip_address":"","device":"","browser":"","created_at":"yesterday","last_seen":"2026-01-01T00:00:00.000000Z","current":true}]`)}},
		{"errortext missing", "POST", "/api/message/send/", resp{status: 502, header: jsonHdr, body: []byte(`{"details":"x","errorcode":1}`)}},
		{"body on 204", "DELETE", "/api/sessions/{id}/", resp{status: 204, header: jsonHdr, body: []byte(`{}`)}},
		{"empty body on 200", "GET", "/healthz", resp{status: 200, header: jsonHdr}},
		{"wrong media type", "GET", "/healthz", resp{status: 200, header: http.Header{"Content-Type": {"text/html"}, "X-Request-Id": {"a"}}, body: []byte(`{"status":"ok"}`)}},
		{"not JSON", "GET", "/healthz", resp{status: 200, header: jsonHdr, body: []byte(`ok`)}},
		{"verify not empty", "POST", "/api/token/verify/", resp{status: 200, header: jsonHdr, body: []byte(`{"ok":true}`)}},
	}
	for _, c := range cases {
		if err := doc.conform(c.method, c.tmpl, c.r); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	// And a well-formed answer passes.
	ok := resp{status: 200, header: jsonHdr, body: []byte(`{"status":"ok"}`)}
	if err := doc.conform("GET", "/healthz", ok); err != nil {
		t.Errorf("a good answer is refused: %v", err)
	}
	// An unknown schema keyword is an error, not ignored.
	if err := doc.validate(map[string]any{"multipleOf": 2.0}, 3.0, "x"); err == nil {
		t.Error("an unknown keyword was ignored")
	}
}
