package plugintest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/pluginhost"
	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
	sdkplugintest "github.com/chelseru/chelseru/sdk/plugintest"
)

// Host is a Runner for go test: it is closed when the test ends and
// reports differences on the test.
type Host struct {
	*Runner
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
	r, err := NewRunner(wasm, man, t.TempDir(), nil)
	if err != nil {
		t.Fatalf("plugintest: %s: %v", wasmPath, err)
	}
	t.Cleanup(r.Close)
	return &Host{Runner: r}
}

// Run sends c.Message through the real host and returns what the stand-in
// server received and the host's answer. An error from pluginhost.Open is
// returned as openErr.
func (h *Host) Run(c *Case) (received []Received, res chelseru.SMSResult, sendErr, openErr error) {
	o, err := h.Runner.Run(c)
	return o.Received, o.Result, o.SendErr, err
}

// Check runs c through the real host and reports every difference from the
// case on t (see Diff).
func (h *Host) Check(t testing.TB, c *Case) {
	t.Helper()
	o, err := h.Runner.Run(c)
	if err != nil {
		t.Fatalf("pluginhost.Open: %v", err)
	}
	for _, d := range Diff(c, o) {
		t.Errorf("host: %s", d)
	}
}

// Golden runs every *.case file in dir as a subtest: natively with a fresh
// plugin from newPlugin (sdk/plugintest.Golden), and, when wasmPath is not
// empty, through the real host with that module, which must declare the
// same name. With -update it rewrites each case's requests and result from
// the native run instead of comparing them.
func Golden(t *testing.T, dir string, newPlugin func() sdk.Plugin, wasmPath string) {
	t.Helper()
	if wasmPath == "" {
		sdkplugintest.Golden(t, dir, newPlugin)
		t.Log("plugintest: no wasm module given: golden cases ran natively only")
		return
	}
	// The module is checked against the native plugin's manifest by
	// pluginhost.Open (it loads only a module declaring that name).
	man := newPlugin().Manifest()
	host := NewHost(t, wasmPath, &man)
	sdkplugintest.Golden(t, dir, newPlugin, func(t *testing.T, c *Case) { host.Check(t, c) })
}

// Cases runs every *.case file in dir as a subtest through the real host
// with the module at wasmPath, a plugin in any language (no native half to
// compare with), and returns the module's manifest for the caller's own
// checks.
func Cases(t *testing.T, dir, wasmPath string) abi.Manifest {
	t.Helper()
	data, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	man, err := pluginhost.Check(context.Background(), data)
	if err != nil {
		t.Fatalf("plugintest: %s: %v", wasmPath, err)
	}
	cases, err := LoadCases(dir)
	if err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	h := NewHost(t, wasmPath, &man)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { h.Check(t, c) })
	}
	return man
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
