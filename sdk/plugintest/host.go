package plugintest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/pluginhost"
	"github.com/chelseru/chelseru/sdk/abi"
)

// Received is one request the provider's stand-in server received.
type Received struct {
	Method     string
	RequestURI string // path and query as sent
	Header     http.Header
	Body       string
}

// maxBody bounds a request body the replay server reads.
const maxBody = 1 << 20

// Host runs cases through the real plugin host: the module is loaded by
// pluginhost.Open from a temporary PLUGINS_DIR, and <NAME>_BASE_URL points
// at an httptest server that replays each case's recorded responses. One
// pluginhost.Host is opened per distinct set of settings and reused (with a
// compilation cache in a temporary folder), so many cases stay cheap.
type Host struct {
	t        testing.TB
	service  string
	baseKey  string
	baseDef  string // the manifest's default BASE_URL
	dir      string // PLUGINS_DIR
	dataDir  string
	srv      *httptest.Server
	mu       sync.Mutex
	replies  []abi.Response
	received []Received
	hosts    map[string]*pluginhost.Host
}

// NewHost prepares a Host for the module at wasmPath, whose manifest is man
// (nil: read it with pluginhost.Check, which costs one more compilation of
// the module). The servers and hosts it opens are closed when t's test ends.
func NewHost(t testing.TB, wasmPath string, man *abi.Manifest) *Host {
	t.Helper()
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	if man == nil {
		m, err := pluginhost.Check(context.Background(), wasm)
		if err != nil {
			t.Fatalf("plugintest: %s is not a valid plugin: %v", wasmPath, err)
		}
		man = &m
	}
	h := &Host{
		t:       t,
		service: man.Name,
		baseKey: man.Name + "_BASE_URL",
		dir:     t.TempDir(),
		dataDir: t.TempDir(),
		hosts:   map[string]*pluginhost.Host{},
	}
	for _, s := range man.Settings {
		if s.Key == h.baseKey {
			h.baseDef = s.Default
		}
	}
	if err := os.WriteFile(filepath.Join(h.dir, strings.ToLower(man.Name)+".wasm"), wasm, 0o600); err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(func() {
		for _, ph := range h.hosts {
			_ = ph.Close(context.Background())
		}
		h.srv.Close()
	})
	return h
}

// Service returns the module's SMS_SERVICE name.
func (h *Host) Service() string { return h.service }

func (h *Host) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	h.mu.Lock()
	h.received = append(h.received, Received{Method: r.Method, RequestURI: r.RequestURI, Header: r.Header.Clone(), Body: string(body)})
	var reply *abi.Response
	if len(h.replies) > 0 {
		reply = &h.replies[0]
		h.replies = h.replies[1:]
	}
	h.mu.Unlock()
	if reply == nil {
		http.Error(w, "plugintest: no recorded response left for this request", http.StatusTeapot)
		return
	}
	for _, hd := range reply.Headers {
		w.Header().Add(hd.Name, hd.Value)
	}
	w.WriteHeader(reply.Status)
	_, _ = io.WriteString(w, reply.Body)
}

// host returns the pluginhost.Host for settings, opening it on first use.
func (h *Host) host(settings map[string]string) (*pluginhost.Host, error) {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var fp strings.Builder
	for _, k := range keys {
		fp.WriteString(k + "=" + settings[k] + "\x00")
	}
	if ph, ok := h.hosts[fp.String()]; ok {
		return ph, nil
	}
	ph, err := pluginhost.Open(context.Background(), pluginhost.Config{
		DataDir:      h.dataDir,
		PluginsDir:   h.dir,
		Service:      h.service,
		Settings:     settings,
		Logger:       slog.New(slog.DiscardHandler),
		Builtins:     fstest.MapFS{},
		PollInterval: -1,
		// The module under test may carry a built-in's name (the built-in
		// providers' own golden tests): the harness opts in to it.
		Overrides: []string{h.service},
	})
	if err != nil {
		return nil, err
	}
	h.hosts[fp.String()] = ph
	return ph, nil
}

// Run sends c.Message through the real host and returns what the stand-in
// server received and the host's answer. An error from pluginhost.Open is
// returned as openErr.
func (h *Host) Run(c *Case) (received []Received, res chelseru.SMSResult, sendErr, openErr error) {
	base := h.baseDef
	if v := c.Settings[h.baseKey]; v != "" {
		base = v
	}
	bu, err := url.Parse(base)
	if err != nil {
		return nil, res, nil, fmt.Errorf("plugintest: %s: %w", h.baseKey, err)
	}
	settings := make(map[string]string, len(c.Settings)+1)
	for k, v := range c.Settings {
		settings[k] = v
	}
	settings[h.baseKey] = h.srv.URL + strings.TrimRight(bu.EscapedPath(), "/")
	ph, err := h.host(settings)
	if err != nil {
		return nil, res, nil, err
	}
	h.mu.Lock()
	h.received = nil
	h.replies = h.replies[:0]
	for _, x := range c.Exchanges {
		h.replies = append(h.replies, x.Response)
	}
	h.mu.Unlock()
	res, sendErr = ph.Send(context.Background(), chelseru.SMS{
		To: c.Message.To, Text: c.Message.Text, TemplateID: c.Message.TemplateID, Vars: c.Message.Vars, Ref: c.Message.Ref,
	})
	h.mu.Lock()
	received = h.received
	h.received = nil
	h.mu.Unlock()
	return received, res, sendErr, nil
}

// Check runs c through the real host and reports every difference from the
// case on t: the requests the server received (method, path and query,
// every recorded header, body) and the result.
func (h *Host) Check(t testing.TB, c *Case) {
	t.Helper()
	received, res, sendErr, openErr := h.Run(c)
	if openErr != nil {
		t.Fatalf("pluginhost.Open: %v", openErr)
	}
	if len(received) != len(c.Exchanges) {
		t.Errorf("the provider received %d requests, want %d", len(received), len(c.Exchanges))
	}
	for i := range min(len(received), len(c.Exchanges)) {
		got, want := received[i], c.Exchanges[i].Request
		wu, err := url.Parse(want.URL)
		if err != nil {
			t.Fatalf("request %d: recorded URL: %v", i+1, err)
		}
		if got.Method != want.Method || got.RequestURI != wu.RequestURI() {
			t.Errorf("request %d: %s %s, want %s %s", i+1, got.Method, got.RequestURI, want.Method, wu.RequestURI())
		}
		for _, hd := range want.Headers {
			if !slices.Contains(got.Header.Values(hd.Name), hd.Value) {
				t.Errorf("request %d: header %s = %q, want %q", i+1, hd.Name, got.Header.Values(hd.Name), hd.Value)
			}
		}
		if got.Body != want.Body {
			t.Errorf("request %d body:\n got %q\nwant %q", i+1, got.Body, want.Body)
		}
	}
	if c.Result.OK {
		if sendErr != nil {
			t.Errorf("host: send failed: %v; want ok with message id %q", sendErr, c.Result.MessageID)
		} else if res.MessageID != c.Result.MessageID {
			t.Errorf("host: message id %q, want %q", res.MessageID, c.Result.MessageID)
		}
		return
	}
	var se *chelseru.SMSError
	if !errors.As(sendErr, &se) {
		t.Errorf("host: got %v (message id %q), want an *SMSError %s/%s", sendErr, res.MessageID, c.Result.Class, c.Result.Code)
		return
	}
	if string(se.Class) != c.Result.Class || se.Code != c.Result.Code || se.Text != c.Result.Text {
		t.Errorf("host: error %s/%q/%q, want %s/%q/%q (cause: %v)", se.Class, se.Code, se.Text, c.Result.Class, c.Result.Code, c.Result.Text, se.Err)
	}
}

var (
	buildMu    sync.Mutex
	buildCache = map[string]string{}
)

// BuildWasm compiles the main package pkg (an import path, or a directory
// relative to the test's working directory) with GOOS=wasip1 GOARCH=wasm
// -buildmode=c-shared into t.TempDir() and returns the module's path. A
// module built earlier in the same test binary is copied instead of rebuilt
// while its file still exists. BuildWasm skips t with a clear message when
// the go command is not available, and fails t when the build fails.
func BuildWasm(t testing.TB, pkg string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("plugintest: the go command is not on PATH, so the wasm half is skipped: %v", err)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	out := filepath.Join(t.TempDir(), "plugin.wasm")
	if prev, ok := buildCache[pkg]; ok {
		if data, err := os.ReadFile(prev); err == nil {
			if err := os.WriteFile(out, data, 0o600); err == nil {
				return out
			}
		}
	}
	cmd := exec.Command(gobin, "build", "-buildmode=c-shared", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("plugintest: building %s for wasip1: %v\n%s", pkg, err, msg)
	}
	buildCache[pkg] = out
	return out
}
