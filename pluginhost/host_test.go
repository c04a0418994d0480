package pluginhost

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/pluginhost/internal/interrupt"
)

const testKey = "SECRET-KEY-1234567890"

// provider is a fake HTTP provider for testplug: it answers POST
// /v1/{key}/send with the status and body it is told, or hangs.
type provider struct {
	*httptest.Server
	mu      sync.Mutex
	status  int
	body    string
	hang    bool
	count   int
	release chan struct{}
}

func newProvider(t testing.TB) *provider {
	p := &provider{status: 200, body: "msg-1", release: make(chan struct{})}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		p.mu.Lock()
		p.count++
		status, body, hang := p.status, p.body, p.hang
		p.mu.Unlock()
		if hang {
			select {
			case <-p.release:
			case <-r.Context().Done():
			}
			return
		}
		if r.URL.Path != "/v1/"+testKey+"/send" {
			status, body = 404, "wrong path "+r.URL.Path
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(func() {
		close(p.release) // unblocks hung handlers so Close does not wait
		p.Close()
	})
	return p
}

func (p *provider) set(status int, body string, hang bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status, p.body, p.hang = status, body, hang
}

// testplugConfig is a Config serving TESTPLUG from a PluginsDir.
func testplugConfig(t testing.TB, baseURL string) Config {
	return Config{
		Service:      "TESTPLUG",
		PluginsDir:   pluginsDir(t, map[string][]byte{"testplug.wasm": mods["testplug"]}),
		PollInterval: -1,
		Settings: map[string]string{
			"TESTPLUG_API_KEY":      testKey,
			"TESTPLUG_BASE_URL":     baseURL,
			"TESTPLUG_UNDECLARED":   "x",
			"CONSOLE_OTHER":         "not for testplug",
			"KAVENEGAR_COM_API_KEY": "not for testplug either",
		},
	}
}

func TestOpenErrors(t *testing.T) {
	tp := map[string][]byte{"testplug.wasm": mods["testplug"]}
	sum := sha256.Sum256(mods["console"])
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"missing built-in", Config{Service: "KAVENEGAR_COM", Builtins: builtinsWithout("kavenegar_com.wasm")},
			"built-in plugin KAVENEGAR_COM is not built: run `make plugins`"},
		{"unknown service", Config{Service: "NOPE_COM"}, "SMS_SERVICE NOPE_COM: no such plugin"},
		{"required setting", Config{Service: "TESTPLUG", PluginsDir: pluginsDir(t, tp)},
			"SMS.SETTINGS.TESTPLUG_API_KEY is required by plugin TESTPLUG"},
		{"bad base url", Config{Service: "TESTPLUG", PluginsDir: pluginsDir(t, tp),
			Settings: map[string]string{"TESTPLUG_API_KEY": "k", "TESTPLUG_BASE_URL": "ftp://user:" + testKey + "@x/"}},
			"SMS.SETTINGS.TESTPLUG_BASE_URL: not an http(s) URL"},
		{"plugin refuses settings", Config{Service: "TESTPLUG", PluginsDir: pluginsDir(t, tp),
			Settings: map[string]string{"TESTPLUG_API_KEY": "refuse"}},
			// The secret value ("refuse") is scrubbed from the plugin's text.
			"plugin TESTPLUG refused its settings: SETTINGS.TESTPLUG_API_KEY is ***d"},
		{"pin mismatch", Config{Service: "CONSOLE", Pins: map[string]string{"CONSOLE": strings.Repeat("0", 64)}},
			"module sha256 " + hex.EncodeToString(sum[:]) + " does not match the pinned"},
		{"pin mismatch in PluginsDir", Config{Service: "TESTPLUG", PluginsDir: pluginsDir(t, tp),
			Pins: map[string]string{"TESTPLUG": strings.Repeat("0", 64)}}, "does not match the pinned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.PollInterval = -1
			if cfg.Builtins == nil {
				cfg.Builtins = builtins()
			}
			cfg.Logger = discardLogger
			cfg.DataDir = cacheDir
			h, err := Open(context.Background(), cfg)
			if err == nil {
				_ = h.Close(context.Background())
				t.Fatalf("Open succeeded, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), testKey) {
				t.Fatalf("Open error %q, want one line containing %q and no secret", err, tt.want)
			}
		})
	}
	// The right pin is accepted.
	h, _ := open(t, Config{Service: "CONSOLE", Pins: map[string]string{"CONSOLE": hex.EncodeToString(sum[:])}})
	sendOK(t, h, "pinned")
}

func builtinsWithout(name string) fsWithout {
	return fsWithout{builtins(), name}
}

func TestSettingsFiltering(t *testing.T) {
	h, logs := open(t, testplugConfig(t, "http://allowed.example"))
	res := sendOK(t, h, "settings")
	// Exactly the keys it declares, with the declared default filled in:
	// not TESTPLUG_UNDECLARED, though it has the plugin's prefix.
	if want := "TESTPLUG_API_KEY,TESTPLUG_BASE_URL,TESTPLUG_MODE"; res.MessageID != want {
		t.Fatalf("plugin sees %q, want %q", res.MessageID, want)
	}
	if !strings.Contains(logs.String(), "TESTPLUG_UNDECLARED") {
		t.Errorf("the undeclared key was not warned about")
	}
}

func TestHTTPFlow(t *testing.T) {
	p := newProvider(t)
	h, logs := open(t, testplugConfig(t, p.URL))
	tests := []struct {
		name         string
		status       int
		body         string
		text         string
		wantID       string
		wantClass    chelseru.SMSErrorClass
		wantCode     string
		wantRequests int
	}{
		{name: "ok", status: 200, body: "id-77", text: "http", wantID: "id-77", wantRequests: 1},
		{name: "out of credit", status: 418, body: "credit", text: "http", wantClass: chelseru.SMSOutOfCredit, wantCode: "418", wantRequests: 1},
		{name: "provider echoes the key", status: 418, body: "no credit for key " + testKey, text: "http", wantClass: chelseru.SMSOutOfCredit, wantCode: "418", wantRequests: 1},
		{name: "server error", status: 500, body: "oops", text: "http", wantClass: chelseru.SMSTemporary, wantCode: "500", wantRequests: 1},
		{name: "eight steps", status: 200, body: "id-8", text: "steps:8", wantID: "id-8", wantRequests: 8},
		{name: "step cap", status: 200, body: "id-9", text: "steps:9", wantClass: chelseru.SMSPlugin, wantCode: "plugin_error", wantRequests: 8},
		{name: "host not allowed", text: "host:evil.example.org", wantClass: chelseru.SMSPlugin, wantCode: "plugin_error"},
		{name: "manifest host on another port", text: "host:allowed.example:8080", wantClass: chelseru.SMSPlugin, wantCode: "plugin_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.set(tt.status, tt.body, false)
			before := p.count
			res, err := h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: tt.text})
			if tt.wantClass == "" {
				if err != nil || res.MessageID != tt.wantID {
					t.Fatalf("Send = %+v, %v; want id %q", res, err, tt.wantID)
				}
			} else {
				se := smsError(t, err, tt.wantClass)
				if se.Code != tt.wantCode {
					t.Errorf("code %q, want %q", se.Code, tt.wantCode)
				}
				if strings.Contains(err.Error(), testKey) {
					t.Errorf("the API key reached the error: %v", err)
				}
			}
			p.mu.Lock()
			n := p.count - before
			p.mu.Unlock()
			if n != tt.wantRequests {
				t.Errorf("provider saw %d requests, want %d", n, tt.wantRequests)
			}
		})
	}
	if strings.Contains(logs.String(), testKey) {
		t.Fatalf("the API key reached the log:\n%s", logs)
	}
}

func TestResponseCap(t *testing.T) {
	p := newProvider(t)
	cfg := testplugConfig(t, p.URL)
	cfg.MaxResponseBytes = 1 << 10
	h, _ := open(t, cfg)
	p.set(200, strings.Repeat("x", 1<<10), false)
	sendOK(t, h, "http") // exactly at the cap
	p.set(200, strings.Repeat("x", 1<<10+1), false)
	_, err := h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "http"})
	se := smsError(t, err, chelseru.SMSTemporary)
	if se.Code != "response_too_large" || strings.Contains(err.Error(), testKey) {
		t.Fatalf("error %v", err)
	}
}

// TestTimeout: a provider that never answers makes the send fail with
// SMSTimeout once Config.Timeout has passed; the URL (with the key in its
// path) is in neither the error nor the log.
func TestTimeout(t *testing.T) {
	p := newProvider(t)
	cfg := testplugConfig(t, p.URL)
	cfg.Timeout = 200 * time.Millisecond
	h, logs := open(t, cfg)
	p.set(0, "", true)
	_, err := h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "http"})
	smsError(t, err, chelseru.SMSTimeout)
	if strings.Contains(err.Error(), testKey) || strings.Contains(logs.String(), testKey) {
		t.Fatalf("the key leaked: %v\n%s", err, logs)
	}
	if h.Stats().Timeouts != 1 {
		t.Errorf("stats %+v", h.Stats())
	}
	// The same host serves the next send once the provider answers.
	p.set(200, "ok", false)
	sendOK(t, h, "http")
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	h, logs := open(t, testplugConfig(t, url))
	_, err := h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "http"})
	se := smsError(t, err, chelseru.SMSTemporary)
	if se.Code != "unreachable" || strings.Contains(err.Error(), testKey) || strings.Contains(logs.String(), testKey) {
		t.Fatalf("error %v", err)
	}
}

func TestPluginLog(t *testing.T) {
	h, logs := open(t, testplugConfig(t, "http://allowed.example"))
	sendOK(t, h, "log")
	if !strings.Contains(logs.String(), "hello from plugin to 09121234567") || !strings.Contains(logs.String(), "plugin=TESTPLUG") {
		t.Fatalf("log:\n%s", logs)
	}
}

func TestPluginLogBudget(t *testing.T) {
	h, logs := open(t, testplugConfig(t, "http://allowed.example"))
	sendOK(t, h, "logflood")
	out := logs.String()
	if n := strings.Count(out, "msg=\"flood "); n != maxLogLines {
		t.Fatalf("%d flood lines logged, want %d", n, maxLogLines)
	}
	if !strings.Contains(out, "over the budget of one send") {
		t.Fatal("the drop was not reported")
	}
}

func TestPoolReuse(t *testing.T) {
	cfg := testplugConfig(t, "http://allowed.example")
	cfg.PoolSize = 2
	h, _ := open(t, cfg)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				res, err := h.Send(context.Background(), chelseru.SMS{To: fmt.Sprintf("0912%07d", g*100+i), Text: "ok"})
				if err != nil || res.MessageID != fmt.Sprintf("v1-0912%07d", g*100+i) {
					t.Errorf("Send: %+v, %v", res, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	st := h.Stats()
	if st.Sends != 200 || st.InstancesCreated > 2 || st.Instances > 2 || st.Instances < 1 {
		t.Fatalf("stats %+v: want 200 sends on at most 2 instances", st)
	}
}

func TestConcurrentHTTPSends(t *testing.T) {
	p := newProvider(t)
	h, _ := open(t, testplugConfig(t, p.URL))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				if _, err := h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "http"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if st := h.Stats(); st.HTTPRequests != 160 {
		t.Fatalf("stats %+v", st)
	}
}

// waitFor polls cond (the reload is asynchronous) up to a generous bound.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached")
}

// replaceFile writes b atomically (write then rename), as operators should.
func replaceFile(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestHotReload(t *testing.T) {
	cfg := testplugConfig(t, "http://allowed.example")
	cfg.PollInterval = 20 * time.Millisecond
	h, _ := open(t, cfg)
	if id := sendOK(t, h, "ok").MessageID; id != "v1-09121234567" {
		t.Fatalf("id %q", id)
	}
	path := filepath.Join(cfg.PluginsDir, "testplug.wasm")

	// A broken replacement is refused; the old module keeps serving.
	replaceFile(t, path, notWasm)
	waitFor(t, func() bool { return h.Stats().ReloadFailures == 1 })
	sendOK(t, h, "ok")

	replaceFile(t, path, mods["testplug2"])
	waitFor(t, func() bool { return h.Manifest().Version == "2" })
	if id := sendOK(t, h, "ok").MessageID; id != "v2-09121234567" {
		t.Fatalf("after reload id %q", id)
	}
	if st := h.Stats(); st.Reloads != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestHotReloadSendsInFlight(t *testing.T) {
	cfg := testplugConfig(t, "http://allowed.example")
	cfg.PollInterval = 10 * time.Millisecond
	// What is tested is the swap, not speed: under `make test` on two
	// shared cores a call of four concurrent senders beside a compile once
	// passed the 100 ms default.
	cfg.CallTimeout = 2 * time.Second
	h, _ := open(t, cfg)
	path := filepath.Join(cfg.PluginsDir, "testplug.wasm")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "ok"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i, m := range []string{"testplug2", "testplug", "testplug2"} {
		replaceFile(t, path, mods[m])
		waitFor(t, func() bool { return h.Stats().Reloads == int64(i+1) })
	}
	close(stop)
	wg.Wait()
}

func TestPinRefusesReload(t *testing.T) {
	cfg := testplugConfig(t, "http://allowed.example")
	cfg.PollInterval = 20 * time.Millisecond
	sum := sha256.Sum256(mods["testplug"])
	cfg.Pins = map[string]string{"TESTPLUG": hex.EncodeToString(sum[:])}
	h, logs := open(t, cfg)
	replaceFile(t, filepath.Join(cfg.PluginsDir, "testplug.wasm"), mods["testplug2"])
	waitFor(t, func() bool { return h.Stats().ReloadFailures == 1 })
	if id := sendOK(t, h, "ok").MessageID; id != "v1-09121234567" {
		t.Fatalf("id %q: the pinned module must keep serving", id)
	}
	if !strings.Contains(logs.String(), "does not match the pinned") {
		t.Fatalf("log:\n%s", logs)
	}
}

func TestMessageChecks(t *testing.T) {
	h, _ := open(t, Config{})
	_, err := h.Send(context.Background(), chelseru.SMS{Text: "no receiver"})
	smsError(t, err, chelseru.SMSBadRequest)
}

func TestClose(t *testing.T) {
	h, err := Open(context.Background(), Config{Builtins: builtins(), Logger: discardLogger, DataDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	sendOK(t, h, "before")
	if err := h.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h.Ready() == nil {
		t.Fatal("Ready after Close")
	}
	_, err = h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "after"})
	smsError(t, err, chelseru.SMSPlugin)
	if err := h.Close(context.Background()); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestDiskCache(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		h, err := Open(context.Background(), Config{DataDir: dir, Builtins: builtins(), Logger: discardLogger})
		if err != nil {
			t.Fatal(err)
		}
		sendOK(t, h, "cached")
		if err := h.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "wasm-cache"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("no compilation cache written: %v", err)
	}
}

// TestCallers runs the provider round trip through both callers: fasthttp's
// (the default) and net/http's (Config.Transport, or a proxy in the
// environment). Each answers, caps the body, never follows a redirect and
// times out.
func TestCallers(t *testing.T) {
	for _, c := range []struct {
		name      string
		transport http.RoundTripper
	}{
		{"fasthttp", nil},
		{"net-http", http.DefaultTransport.(*http.Transport).Clone()},
	} {
		t.Run(c.name, func(t *testing.T) {
			var elsewhere atomic.Int64
			other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
			defer other.Close()
			var mode atomic.Int32 // 0 answer, 1 redirect, 2 hang
			release := make(chan struct{})
			p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch mode.Load() {
				case 1:
					http.Redirect(w, r, other.URL+"/v1/"+testKey+"/send", http.StatusFound)
				case 2:
					select {
					case <-release:
					case <-r.Context().Done():
					}
				default:
					if r.Header.Get("User-Agent") != "chelseru" {
						w.WriteHeader(400)
						return
					}
					_, _ = io.WriteString(w, "id-"+c.name)
				}
			}))
			defer p.Close()
			defer close(release)
			cfg := testplugConfig(t, p.URL)
			cfg.Transport = c.transport
			cfg.Timeout = 300 * time.Millisecond
			h, _ := open(t, cfg)

			res, err := h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "http"})
			if err != nil || res.MessageID != "id-"+c.name {
				t.Fatalf("Send = %+v, %v", res, err)
			}
			mode.Store(1)
			_, err = h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "http"})
			if se := smsError(t, err, chelseru.SMSTemporary); se.Code != "302" || elsewhere.Load() != 0 {
				t.Errorf("redirect: %v, %d requests elsewhere", err, elsewhere.Load())
			}
			mode.Store(2)
			_, err = h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "http"})
			smsError(t, err, chelseru.SMSTimeout)
			mode.Store(0)
			sendOK(t, h, "http")
		})
	}
}

// TestInstrumentedModuleCache: the instrumented module is kept beside the
// compilation cache and read back on the next start; a damaged copy is
// ignored and replaced, never a failed start.
func TestInstrumentedModuleCache(t *testing.T) {
	dir := t.TempDir()
	start := func() {
		t.Helper()
		h, err := Open(context.Background(), Config{DataDir: dir, Builtins: builtins(), Logger: discardLogger})
		if err != nil {
			t.Fatal(err)
		}
		sendOK(t, h, "instrumented")
		if err := h.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	start()
	files, _ := filepath.Glob(filepath.Join(dir, "wasm-cache", fmt.Sprintf("interrupt-v%d-*.wasm", interrupt.Version)))
	if len(files) != 1 {
		t.Fatalf("instrumented modules kept: %v, want one", files)
	}
	first, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	start() // read back: the file is not written again
	after, err := os.Stat(files[0])
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the kept module was written again on a start that could read it (%v)", err)
	}
	damaged := bytes.Clone(first)
	damaged[len(damaged)/2] ^= 0xff
	if err := os.WriteFile(files[0], damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	start() // the damaged copy is ignored, instrumented again and replaced
	if again, _ := os.ReadFile(files[0]); !bytes.Equal(again, first) {
		t.Fatal("the damaged copy was not replaced by a good one")
	}
}
