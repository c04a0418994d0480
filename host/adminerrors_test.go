package host_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// adminDoc is docs/admin-openapi.yaml, read far enough to find the
// x-error-codes of a route's response.
type adminDoc struct {
	Components struct {
		Responses map[string]struct {
			Codes []string `yaml:"x-error-codes"`
		} `yaml:"responses"`
	} `yaml:"components"`
	Paths map[string]map[string]struct {
		Responses map[string]struct {
			Ref   string   `yaml:"$ref"`
			Codes []string `yaml:"x-error-codes"`
		} `yaml:"responses"`
	} `yaml:"paths"`
}

// codes returns the x-error-codes the document gives route's (method,
// status) answer, and whether it documents that answer at all.
func (d *adminDoc) codes(method, route string, status int) ([]string, bool) {
	op, ok := d.Paths[route][strings.ToLower(method)]
	if !ok {
		return nil, false
	}
	res, ok := op.Responses[fmt.Sprint(status)]
	if !ok {
		return nil, false
	}
	if name, ok := strings.CutPrefix(res.Ref, "#/components/responses/"); ok {
		return d.Components.Responses[name].Codes, true
	}
	return res.Codes, true
}

// checkAdminCode checks an admin listener's error answer: X-Error-Code is
// want, listed in docs/errors.md with this status, equal to a detail body's
// "code", and named by the response's x-error-codes when docs/admin-openapi.yaml
// documents the answer (route "" for an undocumented one).
func checkAdminCode(t *testing.T, doc *adminDoc, name, method, route string, status int, h http.Header, body []byte, wantStatus int, want string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("%s: status %d, want %d (%.200s)", name, status, wantStatus, body)
		return
	}
	code := h.Get("X-Error-Code")
	if code != want {
		t.Errorf("%s: X-Error-Code %q, want %q (%.200s)", name, code, want, body)
		return
	}
	docs, err := documentedCodes()
	if err != nil {
		t.Fatal(err)
	}
	if st := docs[code]; st != fmt.Sprint(status) {
		t.Errorf("%s: code %s is listed with status %q in docs/errors.md, answered %d", name, code, st, status)
	}
	var detail struct {
		Detail *string `json:"detail"`
		Code   string  `json:"code"`
	}
	if strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(body, &detail); err != nil {
			t.Errorf("%s: body %q: %v", name, body, err)
		} else if detail.Detail != nil && detail.Code != code {
			t.Errorf("%s: detail body's code %q is not X-Error-Code %s", name, detail.Code, code)
		}
	}
	if route == "" {
		return
	}
	listed, ok := doc.codes(method, route, status)
	if !ok {
		t.Errorf("%s: docs/admin-openapi.yaml does not document %s %s %d", name, method, route, status)
		return
	}
	for _, c := range listed {
		if c == code {
			return
		}
	}
	t.Errorf("%s: code %s is not in the x-error-codes %v of %s %s %d", name, code, listed, method, route, status)
}

// TestAdminErrorCodes: every error answer of the admin listener (API,
// /metrics, page, and what the HTTP library refuses) carries its code.
func TestAdminErrorCodes(t *testing.T) {
	raw, err := os.ReadFile("../docs/admin-openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc adminDoc
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	a := newAdminEnv(t, true)
	a.login("09121234567", 0)
	u := a.findUsers("mobile=09121234567")[0]
	user := fmt.Sprintf("/admin/api/users/%d/", u.ID)
	cases := []struct {
		name, method, path, token, route string
		status                           int
		code                             string
	}{
		{"no token", "GET", "/admin/api/users/?mobile=09121234567", "", "/admin/api/users/", 401, "not_authenticated"},
		{"wrong token", "GET", "/admin/api/users/?mobile=09121234567", "wrong-token", "/admin/api/users/", 401, "invalid_admin_token"},
		{"no token, user", "GET", user, "", "/admin/api/users/{id}/", 401, "not_authenticated"},
		{"wrong token, revoke", "DELETE", user + "sessions/", "x", "/admin/api/users/{id}/sessions/", 401, "invalid_admin_token"},
		{"no token, metrics", "GET", "/metrics", "", "", 401, "not_authenticated"},
		{"unknown user", "GET", "/admin/api/users/987654/", adminToken, "/admin/api/users/{id}/", 404, "not_found"},
		{"unknown user's sessions", "GET", "/admin/api/users/987654/sessions/", adminToken, "/admin/api/users/{id}/sessions/", 404, "not_found"},
		{"disable unknown user", "POST", "/admin/api/users/987654/disable/", adminToken, "/admin/api/users/{id}/disable/", 404, "not_found"},
		{"unknown session", "DELETE", user + "sessions/987654/", adminToken, "/admin/api/users/{id}/sessions/{sid}/", 404, "not_found"},
		{"id not a number", "GET", "/admin/api/users/abc/", adminToken, "", 404, "not_found"},
		{"unknown API route", "GET", "/admin/api/nothing/", adminToken, "", 404, "not_found"},
		{"unknown route", "GET", "/elsewhere", "", "", 404, "not_found"},
		{"unknown page", "GET", "/admin/nothing", "", "", 404, "not_found"},
		{"no mobile", "GET", "/admin/api/users/", adminToken, "/admin/api/users/", 400, "invalid"},
		{"bad group", "GET", "/admin/api/users/?mobile=09121234567&group=x", adminToken, "/admin/api/users/", 400, "invalid"},
		{"bad status filter", "GET", "/admin/api/messages/?status=lost", adminToken, "/admin/api/messages/", 400, "invalid"},
		{"bad since", "GET", "/admin/api/messages/?since=yesterday", adminToken, "/admin/api/messages/", 400, "invalid"},
		{"bad limit", "GET", "/admin/api/messages/?limit=0", adminToken, "/admin/api/messages/", 400, "invalid"},
		{"limit too large", "GET", "/admin/api/messages/?limit=100000", adminToken, "/admin/api/messages/", 400, "invalid"},
		{"bad cursor", "GET", "/admin/api/messages/?cursor=-3", adminToken, "/admin/api/messages/", 400, "invalid"},
		{"bad mobile filter", "GET", "/admin/api/messages/?mobile=12", adminToken, "/admin/api/messages/", 400, "invalid"},
		{"POST users", "POST", "/admin/api/users/", adminToken, "", 405, "method_not_allowed"},
		{"DELETE messages", "DELETE", "/admin/api/messages/", adminToken, "", 405, "method_not_allowed"},
		{"GET disable", "GET", user + "disable/", adminToken, "", 405, "method_not_allowed"},
		{"PUT user", "PUT", user, adminToken, "", 405, "method_not_allowed"},
		{"POST metrics", "POST", "/metrics", adminToken, "", 405, "method_not_allowed"},
		{"DELETE page", "DELETE", "/admin/", "", "", 405, "method_not_allowed"},
		{"GET login", "GET", "/admin/login", "", "", 405, "method_not_allowed"},
	}
	for _, c := range cases {
		st, h, b := a.adminDo(c.method, c.path, c.token, nil)
		checkAdminCode(t, &doc, c.name, c.method, c.route, st, h, b, c.status, c.code)
	}

	// The page: a sign-in without its CSRF value, with a wrong token, a
	// logout without the CSRF value, a bad search.
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := func(path string, v url.Values) (int, http.Header, []byte) {
		t.Helper()
		res, err := hc.PostForm(a.admin+path, v)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, res.Header, []byte(mustRead(t, res))
	}
	get := func(path string) (int, http.Header, []byte) {
		t.Helper()
		res, err := hc.Get(a.admin + path)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, res.Header, []byte(mustRead(t, res))
	}
	st, h, b := form("/admin/login", url.Values{"token": {adminToken}})
	checkAdminCode(t, &doc, "page sign-in without CSRF", "POST", "", st, h, b, 403, "csrf_failed")
	csrfOf := func(page []byte) string {
		i := strings.Index(string(page), `name="csrf" value="`)
		if i < 0 {
			t.Fatalf("no CSRF value in %.300s", page)
		}
		return string(page[i+len(`name="csrf" value="`) : i+len(`name="csrf" value="`)+64])
	}
	_, _, page := get("/admin/")
	st, h, b = form("/admin/login", url.Values{"token": {"not-the-token"}, "csrf": {csrfOf(page)}})
	checkAdminCode(t, &doc, "page sign-in with a wrong token", "POST", "", st, h, b, 401, "invalid_admin_token")
	st, h, b = form("/admin/logout", url.Values{"csrf": {strings.Repeat("0", 64)}})
	checkAdminCode(t, &doc, "page logout without a session", "POST", "", st, h, b, 403, "csrf_failed")
	_, _, page = get("/admin/")
	if st, _, _ := form("/admin/login", url.Values{"token": {adminToken}, "csrf": {csrfOf(page)}}); st != 303 {
		t.Fatalf("page sign-in: %d", st)
	}
	st, h, b = get("/admin/?limit=0")
	checkAdminCode(t, &doc, "page bad search", "GET", "", st, h, b, 400, "invalid")
	if st, h, _ := get("/admin/"); st != 200 || h.Get("X-Error-Code") != "" {
		t.Fatalf("signed-in page: %d, X-Error-Code %q", st, h.Get("X-Error-Code"))
	}

	// What the HTTP library refuses before a handler runs.
	host := strings.TrimPrefix(a.admin, "http://")
	raws := []struct {
		name, req string
		status    int
		code      string
	}{
		{"body too large", "POST /admin/api/users/ HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n" + strings.Repeat("a", 20000), 413, "body_too_large"},
		{"headers too large", "GET /admin/api/users/ HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 9000) + "\r\n\r\n", 431, "headers_too_large"},
		{"malformed", "GET /admin/api/users/ HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400, "malformed_request"},
	}
	for _, r := range raws {
		st, h, b := rawAdmin(t, host, r.req)
		checkAdminCode(t, &doc, r.name, "", "", st, h, b, r.status, r.code)
	}
}

// TestMetricsListenerErrorCodes: the metrics listener's errors carry codes.
func TestMetricsListenerErrorCodes(t *testing.T) {
	e := newEnv(t)
	ms := e.srv.NewMetricsServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ms.Serve(ln)
	t.Cleanup(func() { _ = ms.Shutdown(context.Background()) })
	base := "http://" + ln.Addr().String()
	for _, c := range []struct {
		method, path string
		status       int
		code         string
	}{{"GET", "/api/otp/send/", 404, "not_found"}, {"POST", "/metrics", 405, "method_not_allowed"}} {
		r, _ := http.NewRequest(c.method, base+c.path, nil)
		res, err := e.client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		b := []byte(mustRead(t, res))
		checkAdminCode(t, nil, c.method+" "+c.path, c.method, "", res.StatusCode, res.Header, b, c.status, c.code)
	}
	st, h, b := rawAdmin(t, ln.Addr().String(), "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 9000)+"\r\n\r\n")
	checkAdminCode(t, nil, "metrics headers too large", "", "", st, h, b, 431, "headers_too_large")
}

// rawAdmin writes req on a new connection to addr and reads one answer.
func rawAdmin(t *testing.T, addr, req string) (int, http.Header, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%.60q: %v", req, err)
	}
	return res.StatusCode, res.Header, []byte(mustRead(t, res))
}
