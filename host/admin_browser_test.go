package host_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// TestAdminPageBrowser drives the admin page in a real headless Chromium:
// a wrong token is refused, the right one signs in (an HttpOnly,
// SameSite=Strict cookie), a number's search shows its user, its sessions
// and its SMS log, and the log pages.
func TestAdminPageBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent (apt-get install -y chromium; .ci/run installs it): the admin page is not tested in a browser", chromiumPath)
	}
	a := newAdminEnv(t, false)
	a.login("09121234567", 0, "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36")
	a.login("09121234567", 0)
	svc := []string{"Authorization", "Api-Key " + testServiceKey}
	for i := 0; i < 3; i++ {
		want(t, a.post("/api/message/send/", map[string]any{"mobile_number": "09121234567", "message_text": fmt.Sprint("hello <b>", i)}, svc...), 200, "")
	}
	want(t, a.post("/api/message/send/", map[string]any{"mobile_number": "09127654321", "message_text": "someone else"}, svc...), 200, "")

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	// A bound on the whole browser session, not a timed assertion.
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	var errText string
	err := chromedp.Run(ctx,
		chromedp.Navigate(a.admin+"/admin/"),
		chromedp.WaitVisible("#token", chromedp.ByQuery),
		chromedp.SendKeys("#token", "not-the-token", chromedp.ByQuery),
		chromedp.Click("#signin", chromedp.ByQuery),
		chromedp.WaitVisible("#error", chromedp.ByQuery),
		chromedp.Text("#error", &errText, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("wrong token: %v", err)
	}
	if errText != "Wrong admin token." {
		t.Fatalf("wrong token shows %q", errText)
	}

	var sessions, messages []*cdp.Node
	var users, table string
	err = chromedp.Run(ctx,
		chromedp.SendKeys("#token", adminToken, chromedp.ByQuery),
		chromedp.Click("#signin", chromedp.ByQuery),
		chromedp.WaitVisible("#search", chromedp.ByQuery),
		chromedp.SendKeys("#mobile", "+989121234567", chromedp.ByQuery),
		chromedp.Click("#find", chromedp.ByQuery),
		chromedp.WaitVisible("h3.user", chromedp.ByQuery),
		chromedp.Text("h3.user", &users, chromedp.ByQuery),
		chromedp.Nodes("tr.session", &sessions, chromedp.ByQueryAll),
		chromedp.Nodes("tr.message", &messages, chromedp.ByQueryAll),
		chromedp.Text("#messages", &table, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("sign in and search: %v", err)
	}
	if !strings.Contains(users, "G0-09121234567") {
		t.Errorf("user heading %q", users)
	}
	if len(sessions) != 2 || len(messages) != 3 {
		t.Errorf("%d sessions and %d messages shown, want 2 and 3", len(sessions), len(messages))
	}
	if !strings.Contains(table, "hello <b>2") || strings.Contains(table, "someone else") {
		t.Errorf("SMS log shows %q", table)
	}

	var cookies []*network.Cookie
	if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().Do(ctx)
		return err
	})); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range cookies {
		if c.Name == "chelseru_admin" {
			found = true
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict || c.Value == adminToken || c.Path != "/admin/" {
				t.Errorf("session cookie %+v", c)
			}
		}
	}
	if !found {
		t.Fatal("no session cookie")
	}

	// Paging through the number's log, two at a time.
	var first, second []*cdp.Node
	err = chromedp.Run(ctx,
		chromedp.Navigate(a.admin+"/admin/?mobile=09121234567&limit=2"),
		chromedp.WaitVisible("#older", chromedp.ByQuery),
		chromedp.Nodes("tr.message", &first, chromedp.ByQueryAll),
		chromedp.Click("#older", chromedp.ByQuery),
		chromedp.WaitNotPresent("#older", chromedp.ByQuery),
		chromedp.Nodes("tr.message", &second, chromedp.ByQueryAll),
	)
	if err != nil {
		t.Fatalf("paging: %v", err)
	}
	if len(first) != 2 || len(second) != 1 {
		t.Fatalf("pages of %d and %d messages, want 2 and 1", len(first), len(second))
	}

	// Sign out: the page asks for the token again.
	err = chromedp.Run(ctx,
		chromedp.Click("#signout", chromedp.ByQuery),
		chromedp.WaitVisible("#token", chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("sign out: %v", err)
	}
}

// TestAdminPageCSRF: the login and logout forms refuse posts without the
// CSRF value, with another one, or from another origin; the page and its
// data need the session cookie.
func TestAdminPageCSRF(t *testing.T) {
	a := newAdminEnv(t, false)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string) {
		t.Helper()
		res, err := c.Get(a.admin + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		_, _ = fmt.Fprint(&b, mustRead(t, res))
		return res.StatusCode, b.String()
	}
	post := func(path string, form url.Values, origin string) int {
		t.Helper()
		r, _ := http.NewRequest("POST", a.admin+path, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		res, err := c.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	st, page := get("/admin/")
	if st != 200 || !strings.Contains(page, `id="token"`) || strings.Contains(page, "SMS log") {
		t.Fatalf("signed-out page: %d", st)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatal("no CSRF value in the form")
	}
	if st := post("/admin/login", url.Values{"token": {adminToken}}, ""); st != 403 {
		t.Fatalf("login without CSRF: %d", st)
	}
	if st := post("/admin/login", url.Values{"token": {adminToken}, "csrf": {strings.Repeat("0", 64)}}, ""); st != 403 {
		t.Fatalf("login with another CSRF value: %d", st)
	}
	_, page = get("/admin/")
	csrf = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`).FindStringSubmatch(page)
	if st := post("/admin/login", url.Values{"token": {adminToken}, "csrf": {csrf[1]}}, "http://evil.example"); st != 403 {
		t.Fatalf("login from another origin: %d", st)
	}
	_, page = get("/admin/")
	csrf = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`).FindStringSubmatch(page)
	if st := post("/admin/login", url.Values{"token": {adminToken}, "csrf": {csrf[1]}}, a.admin); st != 303 {
		t.Fatalf("login: %d", st)
	}
	st, page = get("/admin/")
	if st != 200 || !strings.Contains(page, "SMS log") {
		t.Fatalf("signed-in page: %d", st)
	}
	if strings.Contains(page, adminToken) {
		t.Fatal("the page shows the token")
	}
	if st := post("/admin/logout", url.Values{"csrf": {strings.Repeat("0", 64)}}, ""); st != 403 {
		t.Fatalf("logout with a wrong CSRF value: %d", st)
	}
	out := regexp.MustCompile(`action="/admin/logout".*?name="csrf" value="([0-9a-f]{64})"`).FindStringSubmatch(page)
	if out == nil {
		t.Fatal("no CSRF value in the logout form")
	}
	if st := post("/admin/logout", url.Values{"csrf": {out[1]}}, ""); st != 303 {
		t.Fatalf("logout: %d", st)
	}
	if _, page = get("/admin/"); !strings.Contains(page, `id="token"`) {
		t.Fatal("still signed in after logout")
	}
}

func mustRead(t *testing.T, res *http.Response) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}
