package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/sdk/abi"
)

// recorder is a real HTTP server on loopback that records what reaches it
// and answers with its handler.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct{ path, to, body string }

func newRecorder(t testing.TB, answer func(w http.ResponseWriter, r *http.Request)) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recorded{path: r.URL.Path, to: r.Header.Get("X-To"), body: string(b)})
		rec.mu.Unlock()
		if answer != nil {
			answer(w, r)
		}
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

// egressConfig serves the hostile egress plugin from a PluginsDir.
func egressConfig(t testing.TB, settings map[string]string) Config {
	return Config{
		Service:      "EGRESS",
		PluginsDir:   pluginsDir(t, map[string][]byte{"egress.wasm": mods["egress"]}),
		PollInterval: -1,
		PoolSize:     1,
		Settings:     settings,
	}
}

// sendTo has the egress plugin call target (its message text).
func sendTo(h *Host, target string) (chelseru.SMSResult, error) {
	return h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: target})
}

// TestEgressManifestHostsNotCallable: the hostile plugin's manifest lists
// loopback, link-local, private and unspecified hosts and a BASE_URL
// default on the metadata address. From PLUGINS_DIR, with no operator
// config, it may call none of them (nor a loopback server on any port):
// every such send fails with class SMSPlugin, marked not sent, and nothing
// reaches the server. The load log shows what it asked for.
func TestEgressManifestHostsNotCallable(t *testing.T) {
	victim := newRecorder(t, nil)
	vu, _ := url.Parse(victim.URL)
	h, logs := open(t, egressConfig(t, nil))
	targets := []string{
		"http://127.0.0.1/x", "http://localhost/x", "http://10.0.0.1/x", "http://192.168.1.1/x",
		"http://169.254.169.254/latest/meta-data/", "http://[::1]/x", "http://[fd00::1]/x", "http://0.0.0.0/x",
		victim.URL + "/steal", "http://localhost:" + vu.Port() + "/steal",
	}
	for _, target := range targets {
		_, err := sendTo(h, target)
		se := smsError(t, err, chelseru.SMSPlugin)
		if !strings.Contains(err.Error(), "refused") || !se.NotSent {
			t.Errorf("%s: error %v (not sent %v), want a refusal marked not sent", target, err, se.NotSent)
		}
	}
	if n := len(victim.requests()); n != 0 {
		t.Fatalf("the loopback server got %d requests", n)
	}
	out := logs.String()
	for _, want := range []string{"may call no host", "169.254.169.254 (a link-local address)", "127.0.0.1 (a loopback address)",
		"10.0.0.1 (a private address)", "0.0.0.0 (an unspecified address)", "localhost (a loopback address)", "sms plugin egress"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// TestEgressOperatorNamedHost: the operator's BASE_URL on loopback is
// callable; another port of the same address, localhost on the same port
// and the manifest's hosts are not; a host in SMS.PLUGIN_ALLOWED_HOSTS is.
func TestEgressOperatorNamedHost(t *testing.T) {
	ok := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "fine") })
	other := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "other") })
	ou, _ := url.Parse(other.URL)
	cfg := egressConfig(t, map[string]string{"EGRESS_BASE_URL": ok.URL})
	h, _ := open(t, cfg)
	if res, err := sendTo(h, ok.URL+"/send"); err != nil || res.MessageID != "200:fine" {
		t.Fatalf("send to the operator's BASE_URL = %+v, %v", res, err)
	}
	okURL, _ := url.Parse(ok.URL)
	for _, target := range []string{other.URL + "/x", "http://localhost:" + okURL.Port() + "/x", "http://169.254.169.254/x", "http://10.0.0.1/x"} {
		_, err := sendTo(h, target)
		smsError(t, err, chelseru.SMSPlugin)
	}
	if n := len(other.requests()); n != 0 {
		t.Fatalf("a loopback server the operator did not name got %d requests", n)
	}
	// The operator names the other server too.
	cfg = egressConfig(t, map[string]string{"EGRESS_BASE_URL": ok.URL})
	cfg.AllowedHosts = map[string][]string{"EGRESS": {ou.Host}}
	h2, _ := open(t, cfg)
	if res, err := sendTo(h2, other.URL+"/x"); err != nil || res.MessageID != "200:other" {
		t.Fatalf("send to an allowed host = %+v, %v", res, err)
	}
}

// TestEgressRedirect: the host follows no redirect. A provider (the
// operator's) answering 302 towards a loopback server the operator did not
// name, or the metadata address, hands the 3xx to the plugin, whose request
// to the Location is refused; nothing reaches the target.
func TestEgressRedirect(t *testing.T) {
	target := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "secret") })
	for _, loc := range []string{target.URL + "/admin", "http://169.254.169.254/latest/meta-data/", "http://localhost/"} {
		t.Run(loc, func(t *testing.T) {
			prov := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, loc, http.StatusFound)
			})
			h, _ := open(t, egressConfig(t, map[string]string{"EGRESS_BASE_URL": prov.URL}))
			_, err := sendTo(h, prov.URL+"/send")
			se := smsError(t, err, chelseru.SMSPlugin)
			if !strings.Contains(err.Error(), "refused") || se.NotSent {
				t.Fatalf("error %v (not sent %v): want a refusal, after a request that reached the provider", err, se.NotSent)
			}
			if n := len(prov.requests()); n != 1 {
				t.Fatalf("provider got %d requests, want 1", n)
			}
		})
	}
	if n := len(target.requests()); n != 0 {
		t.Fatalf("the redirect target got %d requests", n)
	}
}

// TestEgressDialChecks: a name that the allowlist lets through but that
// resolves, at dial time, to a loopback, link-local or private address is
// refused by both callers (nothing reaches the server listening there),
// unless the operator's config names it. Resolution is the test's
// (lookup); localhost is the system's.
func TestEgressDialChecks(t *testing.T) {
	srv := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	su, _ := url.Parse(srv.URL)
	port := su.Port()
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "rebind.test", "named.test":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		case "metadata.test":
			return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
		case "mixed.test": // a refused address first, then loopback: all refused
			return []netip.Addr{netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("::1")}, nil
		}
		return nil, fmt.Errorf("no such host %s", host)
	}
	cfg := Config{Service: "T", Timeout: 5e9, MaxResponseBytes: 1 << 20, lookup: lookup,
		AllowedHosts: map[string][]string{"T": {"named.test:" + port}}}
	cfg = cfg.withDefaults()
	g := newGuard(operatorEgressOf(&cfg), lookup)
	tr := newTransport(g, DefaultIdleConnTimeout)
	callers := map[string]caller{
		"fasthttp": newFastCaller(cfg, g, &counters{}),
		"net-http": newNetCaller(tr, tr, g, cfg.MaxResponseBytes, &counters{}),
	}
	call := func(c caller, raw string) (abi.Response, error) {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		cu := &checkedURL{raw: raw, u: u, uri: u.Scheme + "://" + u.Host + u.RequestURI()}
		return c.call(context.Background(), &abi.Request{Method: "POST", URL: raw, Body: "x"}, cu, headerFilter{})
	}
	for name, c := range callers {
		defer c.close()
		for _, host := range []string{"rebind.test", "metadata.test", "mixed.test", "localhost", "127.0.0.1", "[::1]"} {
			_, err := call(c, "http://"+host+":"+port+"/x")
			var pe *pluginError
			if !errors.As(err, &pe) || !pe.notSent || !strings.Contains(err.Error(), "refused") {
				t.Errorf("%s, %s: error %v, want a refused connection", name, host, err)
			}
		}
		if resp, err := call(c, "http://named.test:"+port+"/x"); err != nil || resp.Status != 200 {
			t.Errorf("%s: the operator's named.test = %+v, %v", name, resp, err)
		}
	}
	reqs := srv.requests()
	if len(reqs) != len(callers) {
		t.Fatalf("server got %d requests, want %d (only the operator-named ones)", len(reqs), len(callers))
	}
}

// TestSDKViewsNotCached: the plugin uses views of the SDK's reused message
// buffer as the request's URL, a header and the state, and a view of the
// response buffer as a JSON path. Two messages whose numbers have the same
// length each go out with their own number (the SDK's encoder once reused
// the previous message's), and each reads its own value.
func TestSDKViewsNotCached(t *testing.T) {
	prov := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"k1":"one","k2":"two","k3":"three"}`)
	})
	h, _ := open(t, egressConfig(t, map[string]string{"EGRESS_BASE_URL": prov.URL}))
	numbers := []string{"09121111111", "09122222222", "09123333333", "09121111111"}
	refs := []string{"k1", "k2", "k3", "k1"}
	values := []string{`"one"`, `"two"`, `"three"`, `"one"`}
	for i, n := range numbers {
		res, err := h.Send(context.Background(), chelseru.SMS{To: n, Text: prov.URL + "/send/" + n, Ref: refs[i]})
		if err != nil || res.MessageID != values[i] {
			t.Fatalf("message %d: %+v, %v; want id %s", i, res, err, values[i])
		}
	}
	for i, r := range prov.requests() {
		if r.to != numbers[i] || r.path != "/send/"+numbers[i] || r.body != "to="+numbers[i] {
			t.Errorf("request %d: %+v, want the number %s in header, path and body", i, r, numbers[i])
		}
	}
}

// TestPluginLogScrubbed: a plugin that logs its secret setting has it
// replaced by *** in the server log.
func TestPluginLogScrubbed(t *testing.T) {
	h, logs := open(t, egressConfig(t, map[string]string{"EGRESS_API_KEY": testKey}))
	if res, err := sendTo(h, "log"); err != nil || res.MessageID != "logged" {
		t.Fatalf("send = %+v, %v", res, err)
	}
	out := logs.String()
	if strings.Contains(out, testKey) || strings.Contains(out, testKey[:8]) || !strings.Contains(out, "my key is *** and again ***") {
		t.Fatalf("log not scrubbed:\n%s", out)
	}
}

// TestScrubLine: a cut line loses a secret's beginning at its end too.
func TestScrubLine(t *testing.T) {
	secrets := []string{"SECRET-KEY-1234567890"}
	if got := scrubLine(secrets, "a SECRET-KEY-1234567890 b", false); got != "a *** b" {
		t.Errorf("got %q", got)
	}
	if got := scrubLine(secrets, "cut here SECRET-KEY-12", true); got != "cut here ***" {
		t.Errorf("cut: got %q", got)
	}
	if got := scrubLine(secrets, "nothing SEC", true); got != "nothing SEC" {
		t.Errorf("short tail: got %q", got)
	}
}
