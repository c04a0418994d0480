package host

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/chelseru/chelseru/auth"
)

// httpMethods are the methods an OpenAPI path item may hold (lower case, as
// the document spells them).
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIDoc decodes variant i of the document (0 OTP, 1 PASSWD).
func openAPIDoc(t *testing.T, i int) map[string]any {
	t.Helper()
	docs, err := loadSchemas()
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(docs[i].json.body, &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	return doc
}

// concretePath fills a path template's parameters with a valid value.
func concretePath(tmpl string) string {
	return regexp.MustCompile(`\{[^}/]+\}`).ReplaceAllString(tmpl, "1")
}

// TestOpenAPIStructure checks the document's shape: the required top-level
// fields, 3.1.x, unique operation ids, declared path parameters, known
// security schemes, status keys, and that every $ref resolves.
func TestOpenAPIStructure(t *testing.T) {
	for i, m := range schemaMethods {
		t.Run(string(m), func(t *testing.T) { checkStructure(t, openAPIDoc(t, i)) })
	}
}

func checkStructure(t *testing.T, doc map[string]any) {
	if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	info, _ := doc["info"].(map[string]any)
	if s, _ := info["title"].(string); s == "" {
		t.Error("info.title is missing")
	}
	if s, _ := info["version"].(string); s == "" {
		t.Error("info.version is missing")
	}
	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatal("no paths")
	}
	schemes, _ := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	ids := map[string]string{}
	statusKey := regexp.MustCompile(`^[1-5][0-9][0-9]$`)
	for p, item := range paths {
		pi := item.(map[string]any)
		if !strings.HasPrefix(p, "/") {
			t.Errorf("path %q does not start with /", p)
		}
		declared := map[string]bool{}
		for _, prm := range asList(pi["parameters"]) {
			m := prm.(map[string]any)
			if m["in"] == "path" {
				if m["required"] != true {
					t.Errorf("%s: path parameter %v is not required", p, m["name"])
				}
				declared[m["name"].(string)] = true
			}
		}
		for _, tm := range regexp.MustCompile(`\{([^}/]+)\}`).FindAllStringSubmatch(p, -1) {
			if !declared[tm[1]] {
				t.Errorf("%s: parameter %q is not declared on the path", p, tm[1])
			}
			delete(declared, tm[1])
		}
		if len(declared) > 0 {
			t.Errorf("%s: path parameters %v are not in the path", p, declared)
		}
		ops := 0
		for _, m := range httpMethods {
			op, ok := pi[m].(map[string]any)
			if !ok {
				continue
			}
			ops++
			where := strings.ToUpper(m) + " " + p
			id, _ := op["operationId"].(string)
			if id == "" {
				t.Errorf("%s: no operationId", where)
			} else if other, dup := ids[id]; dup {
				t.Errorf("%s: operationId %q is also %s", where, id, other)
			}
			ids[id] = where
			resp, _ := op["responses"].(map[string]any)
			if len(resp) == 0 {
				t.Errorf("%s: no responses", where)
			}
			for code := range resp {
				if !statusKey.MatchString(code) && code != "default" {
					t.Errorf("%s: response key %q is not a status", where, code)
				}
			}
			for _, req := range asList(op["security"]) {
				for name := range req.(map[string]any) {
					if _, ok := schemes[name]; !ok {
						t.Errorf("%s: security scheme %q is not in components", where, name)
					}
				}
			}
		}
		if ops == 0 {
			t.Errorf("%s: no operations", p)
		}
	}
	var refs int
	walkRefs(doc, func(ref string) {
		refs++
		if _, err := resolvePointer(doc, ref); err != nil {
			t.Errorf("$ref %q: %v", ref, err)
		}
	})
	if refs == 0 {
		t.Error("no $ref found; the walk is broken")
	}
	b, _ := json.Marshal(doc)
	if strings.Contains(string(b), methodMarker) {
		t.Errorf("the served document still carries %s markers", methodMarker)
	}
}

// TestOpenAPIStructureCatchesBadRefs checks that the $ref check can fail.
func TestOpenAPIStructureCatchesBadRefs(t *testing.T) {
	doc := map[string]any{"components": map[string]any{"schemas": map[string]any{"A~B/C": map[string]any{}}}}
	for ref, ok := range map[string]bool{
		"#/components/schemas/A~0B~1C": true,
		"#/components/schemas/A~B/C":   false,
		"#/components/schemas/Nope":    false,
		"other.yaml#/x":                false,
	} {
		if _, err := resolvePointer(doc, ref); (err == nil) != ok {
			t.Errorf("resolve %q: err %v, want ok=%v", ref, err, ok)
		}
	}
}

// TestOpenAPIMatchesRouter walks the router itself: every documented path and
// method is routed to a handler, the methods served on each route are exactly
// the documented ones (with HEAD wherever GET is), the Allow header agrees,
// bearer security is documented exactly on the routes that check a token,
// and every route is documented.
//
// The PASSWD variant is checked (it has every route); the OTP variant, which
// lacks /api/password/set/, is checked against a running server by
// TestSchemaPathsServed.
func TestOpenAPIMatchesRouter(t *testing.T) {
	doc := openAPIDoc(t, 1)
	paths := doc["paths"].(map[string]any)
	documented := map[route]string{}
	for p, item := range paths {
		pi := item.(map[string]any)
		r, _ := match([]byte(concretePath(p)))
		if r == routeNotFound {
			t.Errorf("%s is documented but not routed", p)
			continue
		}
		if other, dup := documented[r]; dup {
			t.Errorf("%s and %s both route to %s", p, other, r)
		}
		documented[r] = p
		want := map[string]bool{}
		for _, m := range httpMethods {
			op, ok := pi[m].(map[string]any)
			if !ok {
				continue
			}
			want[strings.ToUpper(m)] = true
			secured := false
			for _, req := range asList(op["security"]) {
				if _, ok := req.(map[string]any)["bearerAuth"]; ok {
					secured = true
				}
			}
			if secured != r.bearer() {
				t.Errorf("%s %s: bearerAuth documented %v, route checks a token %v", m, p, secured, r.bearer())
			}
		}
		if want["GET"] {
			want["HEAD"] = true
		}
		for _, m := range httpMethods {
			m = strings.ToUpper(m)
			if got := methodOK(r, []byte(m)); got != want[m] {
				t.Errorf("%s %s: served %v, documented %v", m, p, got, want[m])
			}
		}
		var allow []string
		for _, m := range strings.Split(allowed[r], ",") {
			allow = append(allow, strings.TrimSpace(m))
		}
		var wantAllow []string
		for m := range want {
			wantAllow = append(wantAllow, m)
		}
		sort.Strings(allow)
		sort.Strings(wantAllow)
		if !slices.Equal(allow, wantAllow) {
			t.Errorf("%s: Allow %q, documented methods %v", p, allowed[r], wantAllow)
		}
	}
	for r := routeNotFound + 1; r < numRoutes; r++ {
		if _, ok := documented[r]; !ok {
			t.Errorf("route %s is served but not documented", r)
		}
	}
}

// TestYAMLAndJSONAgree checks that the two representations of each variant
// are the same document, and that the variants differ where they should.
func TestYAMLAndJSONAgree(t *testing.T) {
	docs, err := loadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range docs {
		var fromYAML any
		if err := yaml.Unmarshal(d.yaml.body, &fromYAML); err != nil {
			t.Fatal(err)
		}
		j, err := json.Marshal(fromYAML)
		if err != nil {
			t.Fatal(err)
		}
		var a any
		if err := json.Unmarshal(j, &a); err != nil {
			t.Fatal(err)
		}
		if b := any(openAPIDoc(t, i)); !reflect.DeepEqual(a, b) {
			t.Errorf("%s: the JSON document differs from the YAML one", schemaMethods[i])
		}
		t.Logf("%s: JSON %d bytes, YAML %d bytes", schemaMethods[i], len(d.json.body), len(d.yaml.body))
		if d.json.etag == d.yaml.etag {
			t.Errorf("%s: JSON and YAML share an ETag", schemaMethods[i])
		}
	}
	otp, pw := openAPIDoc(t, 0)["paths"].(map[string]any), openAPIDoc(t, 1)["paths"].(map[string]any)
	if _, ok := otp["/api/password/set/"]; ok {
		t.Error("the OTP variant documents /api/password/set/")
	}
	if _, ok := pw["/api/password/set/"]; !ok {
		t.Error("the PASSWD variant lacks /api/password/set/")
	}
	if docs[0].json.etag == docs[1].json.etag {
		t.Error("the variants share an ETag")
	}
}

func TestFilterMethod(t *testing.T) {
	const in = `a: {x-auth-method: PASSWD, v: 1}
b: {x-auth-method: OTP, v: 2}
c: [{x-auth-method: OTP, v: 3}, {x-auth-method: PASSWD, v: 4}, 5]
d: {e: {x-auth-method: PASSWD}, f: 6}
`
	for _, c := range []struct {
		method string
		want   string
	}{
		{"OTP", `{"b":{"v":2},"c":[{"v":3},5],"d":{"f":6}}`},
		{"PASSWD", `{"a":{"v":1},"c":[{"v":4},5],"d":{"e":{},"f":6}}`},
	} {
		d, err := buildSchema([]byte(in), auth.Method(c.method))
		if err != nil || string(d.json.body) != c.want {
			t.Errorf("%s: got %s, %v; want %s", c.method, d.json.body, err, c.want)
		}
	}
	if _, err := buildSchema([]byte("a: {x-auth-method: LDAP}\n"), auth.MethodOTP); err == nil {
		t.Error("an unknown method in a marker was accepted")
	}
}

func TestYAMLToJSON(t *testing.T) {
	cases := []struct {
		in, out string
		fail    bool
	}{
		{in: "b: 1\na: x\n", out: `{"b":1,"a":"x"}`},
		{in: "a: '200'\nb: 200\nc: 2.5\nd: true\ne: null\nf: ~\ng: 'true'\nh: 0123\n", out: `{"a":"200","b":200,"c":2.5,"d":true,"e":null,"f":null,"g":"true","h":83}`},
		{in: "- [1, {x: [y]}]\n- \"q\\\"\"\n- ۰۹۱۲\n", out: `[[1,{"x":["y"]}],"q\"","۰۹۱۲"]`},
		{in: "'200': {description: ok}\n", out: `{"200":{"description":"ok"}}`},
		{in: "a: 1\na: 2\n", fail: true},
		{in: "a: &x 1\nb: *x\n", fail: true},
		{in: "? [a]\n: 1\n", fail: true},
		{in: "a: !!binary aGk=\n", fail: true},
		{in: "a: [\n", fail: true},
		{in: "a: 1\n---\nb: 2\n", out: `{"a":1}`},
		{in: strings.Repeat("[", maxSchemaDepth+2) + strings.Repeat("]", maxSchemaDepth+2), fail: true},
	}
	for _, c := range cases {
		var got []byte
		d, err := buildSchema([]byte(c.in), auth.MethodOTP)
		if err == nil {
			got = d.json.body
		}
		if c.fail {
			if err == nil {
				t.Errorf("%q: no error, got %s", c.in, got)
			}
			continue
		}
		if err != nil || string(got) != c.out {
			t.Errorf("%q: got %s, %v; want %s", c.in, got, err, c.out)
		}
	}
}

func TestETagMatches(t *testing.T) {
	const etag = `"abc"`
	cases := []struct {
		header string
		want   bool
	}{
		{"", false},
		{`"abc"`, true},
		{`W/"abc"`, true},
		{`"x", "abc"`, true},
		{` "x" ,W/"abc" `, true},
		{`*`, true},
		{`"abcd"`, false},
		{`abc`, false},
		{`"x",`, false},
	}
	for _, c := range cases {
		if got := etagMatches([]byte(c.header), etag); got != c.want {
			t.Errorf("If-None-Match %q: %v, want %v", c.header, got, c.want)
		}
	}
}

// asList is v as a JSON array (nil when it is not one).
func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// walkRefs calls fn with every $ref in v.
func walkRefs(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "$ref" {
				fn(s)
				continue
			}
			walkRefs(e, fn)
		}
	case []any:
		for _, e := range x {
			walkRefs(e, fn)
		}
	}
}

// resolvePointer resolves a local reference ("#/a/b~1c") in doc.
func resolvePointer(doc any, ref string) (any, error) {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("not a local reference")
	}
	cur := doc
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[tok]
			if !ok {
				return nil, fmt.Errorf("no %q", tok)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("no index %q", tok)
			}
			cur = x[i]
		default:
			return nil, fmt.Errorf("%q is inside a scalar", tok)
		}
	}
	return cur, nil
}

// BenchmarkBuildSchema measures building one variant (the one-time cost of
// the first GET /api/schema/).
func BenchmarkBuildSchema(b *testing.B) {
	for b.Loop() {
		if _, err := buildSchema(openAPIYAML, auth.MethodPasswd); err != nil {
			b.Fatal(err)
		}
	}
}
