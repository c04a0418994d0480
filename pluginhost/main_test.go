package pluginhost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/chelseru/chelseru"
)

// The tests run real modules compiled from source by TestMain (Go's build
// cache makes reruns fast); they do not depend on `make plugins`.

// sources maps a module name to its package and extra build flags.
var sources = map[string][]string{
	"console":  {"../plugins/console/wasm"},
	"testplug": {"./testdata/testplug"},
	// The same plugin with another version, for hot reload.
	"testplug2": {"./testdata/testplug", "-ldflags=-X main.version=2"},
	"loop":      {"./testdata/hostile/loop"},
	"alloc":     {"./testdata/hostile/alloc"},
	"panic":     {"./testdata/hostile/panic"},
	"huge":      {"./testdata/hostile/huge"},
	"badhost":   {"./testdata/hostile/badhost"},
	"wrongabi":  {"./testdata/hostile/wrongabi"},
	// A plugin built as a WASI command (the later -buildmode wins).
	"command": {"./testdata/testplug", "-buildmode=exe"},
	"egress":  {"./testdata/hostile/egress"},
	// Manifests whose template_params the host refuses.
	"tmplmany": {"./testdata/hostile/tmplparams", "-ldflags=-X main.variant=many"},
	"tmplhuge": {"./testdata/hostile/tmplparams", "-ldflags=-X main.variant=huge"},
	"tmpldup":  {"./testdata/hostile/tmplparams", "-ldflags=-X main.variant=dup"},
	// testplug under a name that is a prefix of a built-in's (KAVENEGAR_COM),
	// and under a built-in's own name (an override).
	"prefixplug":   {"./testdata/testplug", "-ldflags=-X main.name=KAVENEGAR"},
	"overrideplug": {"./testdata/testplug", "-ldflags=-X main.name=KAVENEGAR_COM -X main.version=override"},
}

// providerSources are built when the providers' packages exist.
var providerSources = map[string]string{
	"kavenegar_com":    "../plugins/kavenegar/wasm",
	"meli_payamak_com": "../plugins/melipayamak/wasm",
	"parsian_webco_ir": "../plugins/parsianwebco/wasm",
	"sms_ir":           "../plugins/smsir/wasm",
}

// cacheDir is a compilation cache shared by the tests that do not test the
// cache, so that each module is compiled once per run.
var cacheDir string

// mods holds the compiled modules by name.
var mods = map[string][]byte{}

// Hand-made modules for the load-time hostile cases.
var (
	notWasm       = []byte("#!/bin/sh\necho this is not a wasm module\n")
	exportNothing = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00} // the empty module
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pluginhost-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for name, pkg := range providerSources {
		if _, err := os.Stat(pkg); err == nil {
			sources[name] = []string{pkg}
		}
	}
	if err := buildModules(dir); err != nil {
		fmt.Fprintln(os.Stderr, "pluginhost tests: building the test modules failed (needs the Go toolchain with GOOS=wasip1):", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	// A compilation cache that outlives the run, like Go's build cache:
	// compiling a Go guest takes ~1 s, ~25 s under -race.
	cacheDir = filepath.Join(os.TempDir(), "chelseru-pluginhost-test-cache")
	checkCacheDir = filepath.Join(cacheDir, "wasm-cache")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func buildModules(dir string) error {
	// go test puts its own GOROOT/bin first on PATH.
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("find the go tool: %w", err)
	}
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for name, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out := filepath.Join(dir, name+".wasm")
			args := append([]string{"build", "-buildmode=c-shared", "-o", out}, src[1:]...)
			args = append(args, src[0])
			cmd := exec.Command(goBin, args...)
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
			msg, err := cmd.CombinedOutput()
			var b []byte
			if err == nil {
				b, err = os.ReadFile(out)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w\n%s", src[0], err, msg))
				return
			}
			mods[name] = b
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// builtins returns the test's built-in set: console and, when built, the providers.
func builtins() fs.FS {
	m := fstest.MapFS{}
	for _, n := range []string{"console", "kavenegar_com", "meli_payamak_com", "parsian_webco_ir"} {
		if b, ok := mods[n]; ok {
			m[n+".wasm"] = &fstest.MapFile{Data: b}
		}
	}
	return m
}

// pluginsDir writes the named modules (name -> bytes) into a new folder.
func pluginsDir(t testing.TB, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// open opens a Host with test defaults and closes it at the end of the test.
func open(t testing.TB, cfg Config) (*Host, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if cfg.Builtins == nil {
		cfg.Builtins = builtins()
	}
	if cfg.DataDir == "" {
		cfg.DataDir = cacheDir
	}
	h, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := h.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return h, logs
}

// smsError asserts that err is an *chelseru.SMSError of class want.
func smsError(t testing.TB, err error, want chelseru.SMSErrorClass) *chelseru.SMSError {
	t.Helper()
	var se *chelseru.SMSError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not an *chelseru.SMSError", err, err)
	}
	if se.Class != want {
		t.Fatalf("class = %s, want %s (error: %v)", se.Class, want, err)
	}
	return se
}

// sendOK sends a message with text and expects success.
func sendOK(t testing.TB, h *Host, text string) chelseru.SMSResult {
	t.Helper()
	res, err := h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: text})
	if err != nil {
		t.Fatalf("Send(%q): %v", text, err)
	}
	return res
}

func TestConsole(t *testing.T) {
	h, logs := open(t, Config{})
	if got := h.Manifest().Name; got != "CONSOLE" {
		t.Fatalf("manifest name %q", got)
	}
	if err := h.Ready(); err != nil {
		t.Fatal(err)
	}
	res, err := h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "Your code: 4821", Ref: "42"})
	if err != nil {
		t.Fatal(err)
	}
	if res.MessageID != "console-42" {
		t.Errorf("message id %q", res.MessageID)
	}
	_, err = h.Send(context.Background(), chelseru.SMS{To: "09351112233", TemplateID: 7, Vars: []string{"9999"}})
	if err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	for _, want := range []string{"CONSOLE SMS to 09121234567: Your code: 4821", "CONSOLE SMS to 09351112233 template 7 vars [9999]", "plugin=CONSOLE"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
