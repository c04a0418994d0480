package pluginhost

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/sdk/abi"
)

// openErr opens a Host that must fail and returns its one-line error.
func openErr(t *testing.T, cfg Config) string {
	t.Helper()
	cfg.PollInterval = -1
	cfg.Builtins = builtins()
	cfg.Logger = discardLogger
	cfg.DataDir = cacheDir
	h, err := Open(context.Background(), cfg)
	if err == nil {
		_ = h.Close(context.Background())
		t.Fatal("Open succeeded")
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error is not one line: %q", err)
	}
	return err.Error()
}

// TestNamePrefixRefused: a plugin named KAVENEGAR (a prefix of the built-in
// KAVENEGAR_COM, whose settings it would otherwise receive) is refused by
// plugin check and at load; a name that is a prefix of a service the config
// names is refused at load.
func TestNamePrefixRefused(t *testing.T) {
	if _, err := Check(context.Background(), mods["prefixplug"]); err == nil || !strings.Contains(err.Error(), "prefix of the service KAVENEGAR_COM") {
		t.Fatalf("Check = %v, want the prefix refusal", err)
	}
	msg := openErr(t, Config{Service: "KAVENEGAR", PluginsDir: pluginsDir(t, map[string][]byte{"k.wasm": mods["prefixplug"]}),
		Settings: map[string]string{"KAVENEGAR_API_KEY": "k", "KAVENEGAR_COM_API_KEY": testKey}})
	if !strings.Contains(msg, "prefix of the service KAVENEGAR_COM") || strings.Contains(msg, testKey) {
		t.Fatalf("Open error %q", msg)
	}
	msg = openErr(t, Config{Service: "TESTPLUG", PluginsDir: pluginsDir(t, map[string][]byte{"t.wasm": mods["testplug"]}),
		Settings: map[string]string{"TESTPLUG_API_KEY": "k"}, Pins: map[string]string{"TESTPLUG_PRO": strings.Repeat("a", 64)}})
	if !strings.Contains(msg, "prefix of the service TESTPLUG_PRO") {
		t.Fatalf("Open error %q", msg)
	}
}

// TestOverrideNeedsOptIn: a module in PLUGINS_DIR declaring KAVENEGAR_COM
// does not replace the built-in (nor see its key) without the operator's
// opt-in; with SMS.PLUGIN_OVERRIDES it does, logged at WARN.
func TestOverrideNeedsOptIn(t *testing.T) {
	if _, ok := mods["kavenegar_com"]; !ok {
		t.Skip("the Kavenegar plugin is not in this tree")
	}
	settings := map[string]string{"KAVENEGAR_COM_API_KEY": testKey}
	dir := pluginsDir(t, map[string][]byte{"kavenegar_com.wasm": mods["overrideplug"]})
	h, logs := open(t, Config{Service: "KAVENEGAR_COM", PluginsDir: dir, PollInterval: -1, Settings: settings})
	if v := h.Manifest().Version; v == "override" {
		t.Fatal("the override was loaded without an opt-in")
	}
	if out := logs.String(); !strings.Contains(out, "without the operator's opt-in") || !strings.Contains(out, "SMS.PLUGIN_OVERRIDES") {
		t.Fatalf("the refusal was not logged:\n%s", out)
	}
	h2, logs2 := open(t, Config{Service: "KAVENEGAR_COM", PluginsDir: dir, PollInterval: -1, Settings: settings,
		Overrides: []string{"KAVENEGAR_COM"}})
	if v := h2.Manifest().Version; v != "override" {
		t.Fatalf("version %q: the opted-in override was not loaded", v)
	}
	if out := logs2.String(); !strings.Contains(out, "level=WARN msg=\"sms plugin from PLUGINS_DIR overrides the built-in one") {
		t.Fatalf("the override was not logged at WARN:\n%s", out)
	}
}

// TestPluginsDirModes: the attack of issue 9 — a 0777 plugins folder, and a
// 0666 module overriding KAVENEGAR_COM (even opted in) — is refused with
// one line; the built-in serves and the module never sees the key.
func TestPluginsDirModes(t *testing.T) {
	if _, ok := mods["kavenegar_com"]; !ok {
		t.Skip("the Kavenegar plugin is not in this tree")
	}
	settings := map[string]string{"KAVENEGAR_COM_API_KEY": testKey}
	for _, tt := range []struct {
		name            string
		dirMode, modMod os.FileMode
		want            string
	}{
		{"folder 0777", 0o777, 0o644, "is writable by group or others (mode 0777)"},
		{"folder 0775", 0o775, 0o644, "is writable by group or others (mode 0775)"},
		{"module 0666", 0o755, 0o666, "is writable by group or others (mode 0666)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := pluginsDir(t, map[string][]byte{"kavenegar_com.wasm": mods["overrideplug"]})
			if err := os.Chmod(filepath.Join(dir, "kavenegar_com.wasm"), tt.modMod); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.dirMode); err != nil {
				t.Fatal(err)
			}
			h, logs := open(t, Config{Service: "KAVENEGAR_COM", PluginsDir: dir, PollInterval: -1, Settings: settings,
				Overrides: []string{"KAVENEGAR_COM"}})
			if v := h.Manifest().Version; v == "override" {
				t.Fatal("the module was loaded")
			}
			if out := logs.String(); !strings.Contains(out, tt.want) || !strings.Contains(out, "chmod go-w") {
				t.Fatalf("log lacks %q:\n%s", tt.want, out)
			}
		})
	}
	// A plugin only in the folder: Open fails with the reason.
	dir := pluginsDir(t, map[string][]byte{"t.wasm": mods["testplug"]})
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	msg := openErr(t, Config{Service: "TESTPLUG", PluginsDir: dir, Settings: map[string]string{"TESTPLUG_API_KEY": "k"}})
	if !strings.Contains(msg, "writable by group or others") {
		t.Fatalf("Open error %q", msg)
	}
}

// TestStaleConnectionsRetried: a provider that closes idle connections
// after 1 s (as Apache does after 5 s) gets every send through: each send
// after a pause finds its pooled connection closed, notices before writing
// a byte, and makes the request on a new connection.
func TestStaleConnectionsRetried(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("id-ok"))
	}))
	srv.Config.IdleTimeout = time.Second
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	h, _ := open(t, testplugConfig(t, srv.URL))
	const rounds = 4
	for i := range rounds {
		if i > 0 {
			time.Sleep(1500 * time.Millisecond) // the provider closes the idle connection meanwhile
		}
		res, err := h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "http"})
		if err != nil || res.MessageID != "id-ok" {
			t.Fatalf("round %d: %+v, %v", i, res, err)
		}
	}
	st := h.Stats()
	if st.StaleRetries != rounds-1 || conns.Load() != rounds {
		t.Fatalf("stale retries %d, connections %d; want %d and %d", st.StaleRetries, conns.Load(), rounds-1, rounds)
	}
}

// TestNotSent: a send that failed before any request reached the provider
// says so (the caller gives back its limits); one the provider answered
// does not.
func TestNotSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close() // nobody listens there now
	h, _ := open(t, testplugConfig(t, dead))
	_, err = h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "http"})
	if se := smsError(t, err, chelseru.SMSTemporary); !se.NotSent || !chelseru.SMSNotSent(err) {
		t.Fatalf("refused connection: %v, not sent %v", err, se.NotSent)
	}
	_, err = h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "host:evil.example.org"})
	if se := smsError(t, err, chelseru.SMSPlugin); !se.NotSent {
		t.Fatalf("refused host: %v, not sent %v", err, se.NotSent)
	}
	p := newProvider(t)
	h2, _ := open(t, testplugConfig(t, p.URL))
	p.set(500, "oops", false)
	_, err = h2.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "http"})
	if se := smsError(t, err, chelseru.SMSTemporary); se.NotSent {
		t.Fatalf("answered 500: %v marked not sent", err)
	}
}

// TestStaleTLSConnectionRetried: the same over TLS, where the provider's
// close comes with a close_notify alert: the pooled connection is seen
// closed below TLS, and the request goes on a new one.
func TestStaleTLSConnectionRetried(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("tls-ok"))
	}))
	srv.Config.IdleTimeout = time.Second
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	u, _ := url.Parse(srv.URL + "/send")
	cfg := Config{Service: "T", Settings: map[string]string{"T_BASE_URL": srv.URL}}
	cfg = cfg.withDefaults()
	st := &counters{}
	fc := newFastCaller(cfg, newGuard(operatorEgressOf(&cfg), nil), st)
	fc.c.TLSConfig.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	defer fc.close()
	cu := &checkedURL{raw: u.String(), u: u, uri: u.String()}
	for i := range 3 {
		if i > 0 {
			time.Sleep(1500 * time.Millisecond)
		}
		resp, err := fc.call(context.Background(), &abi.Request{Method: "POST", URL: cu.raw, Body: "x"}, cu, headerFilter{})
		if err != nil || resp.Status != 200 || resp.Body != "tls-ok" {
			t.Fatalf("round %d: %+v, %v", i, resp, err)
		}
	}
	if st.staleRetries.Load() != 2 || conns.Load() != 3 {
		t.Fatalf("stale retries %d, connections %d; want 2 and 3", st.staleRetries.Load(), conns.Load())
	}
}
