package host_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chelseru/chelseru/host"
)

const adminToken = "admin-token-0123456789abcdef0123456789abcdef"

// adminEnv is a server with its admin listener.
type adminEnv struct {
	*env
	admin string // base URL of the admin listener
}

// newAdminEnv starts a server and its admin listener (with /metrics when
// metrics is set).
func newAdminEnv(t *testing.T, metrics bool, fns ...func(*config)) *adminEnv {
	t.Helper()
	e := newEnv(t, fns...)
	adm, err := host.NewAdmin(e.srv, host.AdminOptions{Token: adminToken, Metrics: metrics, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- adm.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := adm.Shutdown(ctx); err != nil {
			t.Errorf("admin shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("admin serve: %v", err)
		}
	})
	return &adminEnv{env: e, admin: "http://" + ln.Addr().String()}
}

// adminDo sends a request to the admin listener with token ("" for none)
// and decodes a JSON answer into out (when not nil).
func (a *adminEnv) adminDo(method, path, token string, out any) (int, http.Header, []byte) {
	a.t.Helper()
	r, err := http.NewRequest(method, a.admin+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := a.client.Do(r)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	if res.StatusCode >= 400 {
		assertClean(a.t, b)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: %d %q is not JSON: %v", method, path, res.StatusCode, b, err)
		}
	}
	return res.StatusCode, res.Header, b
}

type adminUser struct {
	ID       int64  `json:"id"`
	Group    int64  `json:"group"`
	Mobile   string `json:"mobile"`
	Username string `json:"username"`
	Disabled bool   `json:"disabled"`
}

func (a *adminEnv) findUsers(q string) []adminUser {
	a.t.Helper()
	var out struct{ Users []adminUser }
	if st, _, b := a.adminDo("GET", "/admin/api/users/?"+q, adminToken, &out); st != 200 {
		a.t.Fatalf("find users %s: %d %s", q, st, b)
	}
	return out.Users
}

func TestAdminTokenRequired(t *testing.T) {
	a := newAdminEnv(t, false)
	for _, path := range []string{"/admin/api/users/?mobile=09121234567", "/admin/api/messages/", "/admin/api/users/1/sessions/"} {
		st, h, b := a.adminDo("GET", path, "", nil)
		if st != 401 || !strings.Contains(string(b), "credentials were not provided") || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s without a token: %d %s", path, st, b)
		}
		st, _, b = a.adminDo("GET", path, adminToken+"x", nil)
		if st != 401 || !strings.Contains(string(b), "Invalid admin token.") {
			t.Errorf("%s with a wrong token: %d %s", path, st, b)
		}
		st, _, b = a.adminDo("GET", path, strings.ToUpper(adminToken), nil)
		if st != 401 {
			t.Errorf("%s with a wrong-case token: %d %s", path, st, b)
		}
	}
	if st, _, b := a.adminDo("GET", "/admin/api/messages/", adminToken, nil); st != 200 {
		t.Fatalf("right token: %d %s", st, b)
	}
	if strings.Contains(a.logs.String(), adminToken) {
		t.Fatal("the admin token was logged")
	}
	// Nothing of the admin listener exists on the public one.
	for _, path := range []string{"/admin/api/users/?mobile=09121234567", "/admin/api/messages/", "/admin/", "/admin", "/admin/login"} {
		r := a.do(req{method: "GET", path: path, header: map[string]string{"Authorization": "Bearer " + adminToken}})
		if r.status != 404 {
			t.Errorf("public %s: %d %s, want 404", path, r.status, r.body)
		}
	}
	if _, err := host.NewAdmin(a.srv, host.AdminOptions{Token: "short"}); err == nil {
		t.Fatal("NewAdmin took a short token")
	}
}

func TestAdminFindUser(t *testing.T) {
	a := newAdminEnv(t, false)
	a.login("09121234567", 0)
	a.login("09121234567", 3)
	for _, spelling := range []string{"09121234567", "+989121234567", "9121234567", "00989121234567", "۰۹۱۲۱۲۳۴۵۶۷"} {
		users := a.findUsers("mobile=" + url.QueryEscape(spelling))
		if len(users) != 2 || users[0].Group != 0 || users[1].Group != 3 || users[0].Username != "G0-09121234567" {
			t.Fatalf("%q: %+v", spelling, users)
		}
	}
	g3 := a.findUsers("mobile=09121234567&group=3")
	if len(g3) != 1 || g3[0].Username != "G3-09121234567" {
		t.Fatalf("group 3: %+v", g3)
	}
	if u := a.findUsers("mobile=09127654321"); len(u) != 0 {
		t.Fatalf("unknown number: %+v", u)
	}
	var byID adminUser
	if st, _, b := a.adminDo("GET", fmt.Sprintf("/admin/api/users/%d/", g3[0].ID), adminToken, &byID); st != 200 || byID != g3[0] {
		t.Fatalf("by id: %d %s", st, b)
	}
	if st, _, b := a.adminDo("GET", "/admin/api/users/99999/", adminToken, nil); st != 404 {
		t.Fatalf("unknown id: %d %s", st, b)
	}
	st, _, b := a.adminDo("GET", "/admin/api/users/?mobile=12345", adminToken, nil)
	if st != 400 || string(b) != `{"mobile":["Enter a valid mobile number."]}` {
		t.Fatalf("bad number: %d %s", st, b)
	}
	if st, _, b := a.adminDo("GET", "/admin/api/users/", adminToken, nil); st != 400 || !strings.Contains(string(b), `"mobile"`) {
		t.Fatalf("no number: %d %s", st, b)
	}
	if st, _, _ := a.adminDo("POST", "/admin/api/users/?mobile=09121234567", adminToken, nil); st != 405 {
		t.Fatalf("POST users: %d", st)
	}
}

func TestAdminRevokeSessions(t *testing.T) {
	a := newAdminEnv(t, false)
	acc1, ref1 := a.login("09121234567", 0)
	acc2, ref2 := a.login("09121234567", 0)
	user := a.findUsers("mobile=09121234567")[0]
	var list struct {
		Sessions []struct {
			ID int64 `json:"id"`
		}
	}
	path := fmt.Sprintf("/admin/api/users/%d/sessions/", user.ID)
	if st, _, b := a.adminDo("GET", path, adminToken, &list); st != 200 || len(list.Sessions) != 2 {
		t.Fatalf("sessions: %d %s", st, b)
	}
	// Revoke one: the newest (the second login's).
	newest := list.Sessions[0].ID
	if st, _, b := a.adminDo("DELETE", fmt.Sprintf("%s%d/", path, newest), adminToken, nil); st != 204 {
		t.Fatalf("revoke one: %d %s", st, b)
	}
	want(t, a.get("/api/sessions/", acc2), 401, "")
	want(t, a.get("/api/sessions/", acc1), 200, "")
	if st, _, _ := a.adminDo("DELETE", fmt.Sprintf("%s%d/", path, newest), adminToken, nil); st != 404 {
		t.Fatalf("revoke again: %d", st)
	}
	// Revoke all.
	var out struct{ Revoked int }
	if st, _, b := a.adminDo("DELETE", path, adminToken, &out); st != 200 || out.Revoked != 1 {
		t.Fatalf("revoke all: %d %s", st, b)
	}
	want(t, a.get("/api/sessions/", acc1), 401, "")
	want(t, a.post("/api/token/refresh/", map[string]string{"refresh": ref1}), 401, "")
	want(t, a.post("/api/token/refresh/", map[string]string{"refresh": ref2}), 401, "")
	if st, _, b := a.adminDo("GET", path, adminToken, &list); st != 200 || len(list.Sessions) != 0 {
		t.Fatalf("sessions after: %d %s", st, b)
	}
}

type adminMessages struct {
	Messages []struct {
		ID     int64  `json:"id"`
		Mobile string `json:"mobile"`
		Status string `json:"status"`
		Text   string `json:"text"`
	} `json:"messages"`
	Next *string `json:"next_cursor"`
}

func TestAdminMessageLog(t *testing.T) {
	a := newAdminEnv(t, false)
	svc := []string{"Authorization", "Api-Key " + testServiceKey}
	send := func(mobile, text string) {
		t.Helper()
		r := a.post("/api/message/send/", map[string]any{"mobile_number": mobile, "message_text": text}, svc...)
		if r.status != 200 && r.status != 502 {
			t.Fatalf("send: %d %s", r.status, r.body)
		}
	}
	for i := 0; i < 5; i++ {
		send("09120000001", fmt.Sprint("one ", i))
		send("09120000002", fmt.Sprint("two ", i))
	}
	a.sms.setBehavior(bReject)
	send("09120000001", "refused")
	a.sms.setBehavior(bOK)

	// Every page of a filter, following the cursor.
	collect := func(q string) (texts []string, pages int) {
		t.Helper()
		cursor := ""
		for {
			var p adminMessages
			st, _, b := a.adminDo("GET", "/admin/api/messages/?"+q+cursor, adminToken, &p)
			if st != 200 {
				t.Fatalf("%s: %d %s", q, st, b)
			}
			pages++
			for _, m := range p.Messages {
				texts = append(texts, m.Text)
			}
			if p.Next == nil {
				return texts, pages
			}
			cursor = "&cursor=" + *p.Next
			if pages > 20 {
				t.Fatal("paging does not end")
			}
		}
	}
	all, pages := collect("limit=4")
	if len(all) != 11 || pages != 3 || all[0] != "refused" || all[10] != "one 0" {
		t.Fatalf("all: %d pages %v", pages, all)
	}
	ones, _ := collect("limit=2&mobile=" + url.QueryEscape("+989120000001"))
	if strings.Join(ones, ",") != "refused,one 4,one 3,one 2,one 1,one 0" {
		t.Fatalf("by number: %v", ones)
	}
	failed, _ := collect("status=failed")
	if strings.Join(failed, ",") != "refused" {
		t.Fatalf("failed: %v", failed)
	}
	sentTwo, _ := collect("status=sent&mobile=09120000002")
	if len(sentTwo) != 5 {
		t.Fatalf("sent to two: %v", sentTwo)
	}
	now := a.clock.Now().UTC()
	if got, _ := collect("since=" + url.QueryEscape(now.Add(-time.Minute).Format(time.RFC3339))); len(got) != 11 {
		t.Fatalf("since a minute ago: %v", got)
	}
	if got, _ := collect("until=" + url.QueryEscape(now.Add(-time.Minute).Format(time.RFC3339))); len(got) != 0 {
		t.Fatalf("until a minute ago: %v", got)
	}
	if got, _ := collect("since=" + url.QueryEscape(now.Add(time.Minute).Format(time.RFC3339))); len(got) != 0 {
		t.Fatalf("since a minute ahead: %v", got)
	}
	for q, field := range map[string]string{"status=lost": "status", "since=yesterday": "since", "cursor=-1": "cursor", "limit=0": "limit", "limit=201": "limit", "mobile=123": "mobile"} {
		st, _, b := a.adminDo("GET", "/admin/api/messages/?"+q, adminToken, nil)
		if st != 400 || !strings.Contains(string(b), `"`+field+`"`) {
			t.Errorf("%s: %d %s", q, st, b)
		}
	}
}

func TestAdminDisableUser(t *testing.T) {
	a := newAdminEnv(t, false)
	acc, ref := a.login("09121234567", 0)
	user := a.findUsers("mobile=09121234567")[0]
	// A code asked for before the disable.
	code := a.sendOTP("09121234567")

	var u adminUser
	if st, _, b := a.adminDo("POST", fmt.Sprintf("/admin/api/users/%d/disable/", user.ID), adminToken, &u); st != 200 || !u.Disabled {
		t.Fatalf("disable: %d %s", st, b)
	}
	// Existing sessions stop at once.
	want(t, a.get("/api/sessions/", acc), 401, "")
	want(t, a.post("/api/token/refresh/", map[string]string{"refresh": ref}), 401, "")
	// No new code, in any spelling.
	want(t, a.post("/api/otp/send/", map[string]string{"mobile_number": "+989121234567"}), 403, `{"detail":"This account is disabled."}`)
	// No token with the earlier code.
	want(t, a.post("/api/authenticate/", map[string]any{"mobile_number": "09121234567", "code": code}), 403, `{"detail":"This account is disabled."}`)
	if l, err := a.db.ListSessions(context.Background(), user.ID); err != nil || len(l) != 0 {
		t.Fatalf("sessions of the disabled user: %d, %v", len(l), err)
	}

	if st, _, b := a.adminDo("POST", fmt.Sprintf("/admin/api/users/%d/enable/", user.ID), adminToken, &u); st != 200 || u.Disabled {
		t.Fatalf("enable: %d %s", st, b)
	}
	acc, _ = a.login("09121234567", 0)
	want(t, a.get("/api/sessions/", acc), 200, "")
	if st, _, _ := a.adminDo("GET", fmt.Sprintf("/admin/api/users/%d/disable/", user.ID), adminToken, nil); st != 405 {
		t.Fatalf("GET disable: %d", st)
	}
	if st, _, _ := a.adminDo("POST", "/admin/api/users/424242/disable/", adminToken, nil); st != 404 {
		t.Fatalf("disable unknown: %d", st)
	}
}

func TestMetricsMoved(t *testing.T) {
	a := newAdminEnv(t, true, func(c *config) { c.host.MetricsOff = true })
	want(t, a.do(req{method: "GET", path: "/metrics"}), 404, "")
	if st, _, _ := a.adminDo("GET", "/metrics", "", nil); st != 401 {
		t.Fatalf("admin /metrics without token: %d", st)
	}
	st, _, b := a.adminDo("GET", "/metrics", adminToken, nil)
	if st != 200 || !strings.Contains(string(b), "chelseru_sms_budget_exceeded_total") {
		t.Fatalf("admin /metrics: %d %.200s", st, b)
	}
	// Its own listener.
	ms := a.srv.NewMetricsServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ms.Serve(ln)
	defer ms.Shutdown(context.Background())
	res, err := a.client.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "chelseru_http_requests_total") {
		t.Fatalf("metrics listener: %d %.200s", res.StatusCode, body)
	}
	res, err = a.client.Get("http://" + ln.Addr().String() + "/api/otp/send/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Fatalf("metrics listener serves the API: %d", res.StatusCode)
	}
}

func TestSMSBudget(t *testing.T) {
	a := newAdminEnv(t, true, func(c *config) { c.auth.MaxSMSPerHour = 3; c.auth.MaxSMSPerDay = 100 })
	a.sendOTP("09120000001")
	a.sendOTP("09120000002")
	r := a.post("/api/message/send/", map[string]any{"mobile_number": "09120000003", "message_text": "hi"}, "Authorization", "Api-Key "+testServiceKey)
	want(t, r, 200, "")
	sent := a.sms.count()
	r = a.post("/api/otp/send/", map[string]string{"mobile_number": "09120000004"})
	if r.status != 429 || r.header.Get("Retry-After") == "" || !strings.Contains(r.str("detail"), "SMS budget is spent") {
		t.Fatalf("over budget: %d %v %s", r.status, r.header, r.body)
	}
	r = a.post("/api/message/send/", map[string]any{"mobile_number": "09120000003", "message_text": "hi"}, "Authorization", "Api-Key "+testServiceKey)
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("message over budget: %d %s", r.status, r.body)
	}
	if a.sms.count() != sent {
		t.Fatal("the provider was called over budget")
	}
	// The refused code was discarded: nothing blocks a send after the window.
	_, _, b := a.adminDo("GET", "/metrics", adminToken, nil)
	if !strings.Contains(string(b), "chelseru_sms_budget_exceeded_total 2") {
		t.Fatalf("metric: %s", grepLine(string(b), "budget"))
	}
	a.clock.Advance(time.Hour)
	a.sendOTP("09120000004")
}

func grepLine(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// fakeVerifier is a siteverify endpoint: "good" passes, anything else fails;
// down answers 500, hang never answers in time.
type fakeVerifier struct {
	srv   *httptest.Server
	mode  atomic.Value // "ok", "down", "hang"
	calls atomic.Int64
	last  atomic.Value // url.Values of the last call
}

func newFakeVerifier(t *testing.T) *fakeVerifier {
	f := &fakeVerifier{}
	f.mode.Store("ok")
	release := make(chan struct{})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad", 400)
			return
		}
		f.last.Store(r.PostForm)
		switch f.mode.Load() {
		case "down":
			http.Error(w, "down", 500)
			return
		case "hang":
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		if r.PostForm.Get("secret") != "captcha-secret" {
			fmt.Fprint(w, `{"success":false,"error-codes":["invalid-input-secret"]}`)
			return
		}
		fmt.Fprintf(w, `{"success":%t,"error-codes":[]}`, r.PostForm.Get("response") == "good")
	}))
	t.Cleanup(func() { close(release); f.srv.Close() })
	return f
}

func TestCaptcha(t *testing.T) {
	f := newFakeVerifier(t)
	e := newEnv(t, func(c *config) {
		c.captcha = &host.Captcha{URL: f.srv.URL, Secret: "captcha-secret", Timeout: 300 * time.Millisecond}
	})
	const otpOK = `{"details":"The OTP code was sent correctly."}`
	// Pass.
	want(t, e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000001", "captcha_token": "good"}), 200, otpOK)
	form, _ := f.last.Load().(url.Values)
	if form.Get("secret") != "captcha-secret" || form.Get("response") != "good" || form.Get("remoteip") != "127.0.0.1" {
		t.Fatalf("siteverify got %v", form)
	}
	// Missing, blank, refused.
	want(t, e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000002"}), 400, `{"captcha_token":["This field is required."]}`)
	want(t, e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000002", "captcha_token": " "}), 400, `{"captcha_token":["This field may not be blank."]}`)
	calls := f.calls.Load()
	want(t, e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000002", "captcha_token": "bad"}), 400, `{"captcha_token":["The captcha was not solved. Try again."]}`)
	if f.calls.Load() != calls+1 {
		t.Fatal("a refused token was not checked with the verifier")
	}
	want(t, e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000002", "captcha_token": strings.Repeat("x", 5000)}), 400, "")
	// Verifier down, hanging, or refusing our secret: 503, never a pass.
	f.mode.Store("down")
	want(t, e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000003", "captcha_token": "good"}), 503, `{"detail":"The captcha could not be checked. Try again later."}`)
	f.mode.Store("hang")
	want(t, e.post("/api/otp/send/", map[string]string{"mobile_number": "09120000003", "captcha_token": "good"}), 503, `{"detail":"The captcha could not be checked. Try again later."}`)
	f.mode.Store("ok")
	e2 := newEnv(t, func(c *config) { c.captcha = &host.Captcha{URL: f.srv.URL, Secret: "wrong-secret"} })
	want(t, e2.post("/api/otp/send/", map[string]string{"mobile_number": "09120000003", "captcha_token": "good"}), 503, "")
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	e3 := newEnv(t, func(c *config) { c.captcha = &host.Captcha{URL: closed.URL, Secret: "captcha-secret"} })
	want(t, e3.post("/api/otp/send/", map[string]string{"mobile_number": "09120000003", "captcha_token": "good"}), 503, "")
	if strings.Contains(e.logs.String()+e2.logs.String(), "captcha-secret") {
		t.Fatal("the captcha secret was logged")
	}
	if _, ok := e.sms.code("09120000003"); ok {
		t.Fatal("a code was sent without a checked captcha")
	}
}

// TestAdminOpenAPI: every operation of docs/admin-openapi.yaml exists on
// the admin listener and answers one of its documented statuses.
func TestAdminOpenAPI(t *testing.T) {
	raw, err := os.ReadFile("../docs/admin-openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]any `yaml:"responses"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	a := newAdminEnv(t, false)
	a.login("09121234567", 0)
	u := a.findUsers("mobile=09121234567")[0]
	var list struct{ Sessions []struct{ ID int64 } }
	a.adminDo("GET", fmt.Sprintf("/admin/api/users/%d/sessions/", u.ID), adminToken, &list)
	ops := 0
	// DELETE of every session last, so the one-session DELETE finds its session.
	for _, path := range []string{"/admin/api/users/", "/admin/api/users/{id}/", "/admin/api/messages/", "/admin/api/users/{id}/sessions/{sid}/",
		"/admin/api/users/{id}/disable/", "/admin/api/users/{id}/enable/", "/admin/api/users/{id}/sessions/"} {
		item, ok := doc.Paths[path]
		if !ok {
			t.Fatalf("%s is not in the document", path)
		}
		for _, m := range []string{"get", "post", "delete"} {
			op, ok := item[m]
			if !ok {
				continue
			}
			ops++
			p := strings.NewReplacer("{id}", fmt.Sprint(u.ID), "{sid}", fmt.Sprint(list.Sessions[0].ID)).Replace(path)
			if path == "/admin/api/users/" {
				p += "?mobile=09121234567"
			}
			st, _, b := a.adminDo(strings.ToUpper(m), p, adminToken, nil)
			if _, ok := op.Responses[fmt.Sprint(st)]; !ok || st >= 400 {
				t.Errorf("%s %s: %d %s", m, p, st, b)
			}
			if st, _, _ := a.adminDo(strings.ToUpper(m), p, "", nil); st != 401 {
				t.Errorf("%s %s without a token: %d", m, p, st)
			}
		}
	}
	n := 0
	for _, item := range doc.Paths {
		n += len(item)
	}
	if n != ops {
		t.Errorf("the document has %d operations, %d were tried", n, ops)
	}
}
