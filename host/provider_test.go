package host_test

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/internal/fakeprovider"
	"github.com/chelseru/chelseru/pluginhost"
)

// The SMS provider of the black-box tests is the real one: the plugin host
// (wazero) running the real Kavenegar plugin, compiled to WebAssembly,
// against fakeprovider's fake Kavenegar, a real HTTP server speaking
// Kavenegar's wire format.

// Behaviors of the fake provider.
const (
	bOK          = fakeprovider.OK
	bReject      = fakeprovider.Reject      // Kavenegar 418, out of credit
	bServerError = fakeprovider.ServerError // HTTP 500
	bMalformed   = fakeprovider.Malformed   // 200 with broken JSON
	bHang        = fakeprovider.Hang        // never answers
)

type behavior = fakeprovider.Behavior

// builtins holds the plugin modules the tests load: the embedded built-ins
// when `make plugins` has embedded them, else the Kavenegar plugin compiled
// by TestMain.
var builtins fs.FS

// cacheDir is the plugin host's data folder shared by every test, so the
// module is compiled once (wazero's compilation cache) and not per test.
var cacheDir string

func TestMain(m *testing.M) {
	if _, err := setup(); err != nil {
		fmt.Fprintln(os.Stderr, "host tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(cacheDir)
	os.Exit(code)
}

func setup() (int, error) {
	var err error
	if cacheDir, err = os.MkdirTemp("", "host-test-cache-"); err != nil {
		return 1, err
	}
	if _, err := fs.Stat(pluginhost.Builtins(), "kavenegar_com.wasm"); err == nil {
		builtins = pluginhost.Builtins()
		return 0, nil
	}
	// Not embedded yet (a plain `go test` before `make plugins`): compile it.
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return 1, fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	dir, err := os.MkdirTemp("", "host-test-plugins-")
	if err != nil {
		return 1, err
	}
	// The directory is small and removed by the OS's temp cleaning; removing
	// it here would race with m.Run's use of it.
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", filepath.Join(dir, "kavenegar_com.wasm"), "./plugins/kavenegar/wasm")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return 1, fmt.Errorf("build the Kavenegar plugin: %v\n%s", err, out)
	}
	builtins = os.DirFS(dir)
	return 0, nil
}

// provider is the SMS side of an environment.
type provider struct {
	sender chelseru.SMSSender
	fake   *fakeprovider.Server
}

// newProvider opens the plugin host for service: KAVENEGAR_COM against a fake
// Kavenegar, or CONSOLE (no network; benchmarks only: it keeps no codes).
func newProvider(t testing.TB, service string, timeout time.Duration, logger *slog.Logger, opts ...fakeprovider.Option) *provider {
	t.Helper()
	fake := fakeprovider.NewKavenegar(opts...)
	t.Cleanup(fake.Close)
	bi := builtins
	if service == "CONSOLE" {
		bi = nil // the embedded built-ins
	}
	h, err := pluginhost.Open(context.Background(), pluginhost.Config{
		DataDir: cacheDir,
		Service: service,
		Settings: map[string]string{
			"KAVENEGAR_COM_API_KEY":  fakeprovider.KavenegarAPIKey,
			"KAVENEGAR_COM_BASE_URL": fake.URL(),
		},
		Timeout:      timeout,
		Logger:       logger,
		Builtins:     bi,
		PollInterval: -1,
	})
	if err != nil {
		t.Fatalf("plugin host: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			t.Errorf("close plugin host: %v", err)
		}
	})
	return &provider{sender: h, fake: fake}
}

func (p *provider) setBehavior(b behavior)            { p.fake.SetBehavior(b) }
func (p *provider) code(mobile string) (string, bool) { return p.fake.Code(mobile) }
func (p *provider) count() int64                      { return p.fake.Count() }
