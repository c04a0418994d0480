package cplugin_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chelseru/chelseru/pluginhost"
	"github.com/chelseru/chelseru/pluginhost/plugintest"
)

// buildC compiles echo.c to a wasm32-wasi reactor, or skips the test with a
// clear message when clang cannot target wasm32-wasi here.
func buildC(t *testing.T) string {
	t.Helper()
	clang := os.Getenv("CLANG")
	if clang == "" {
		clang = "clang"
	}
	if _, err := exec.LookPath(clang); err != nil {
		t.Skipf("clang not found (%v): the C example plugin is not built or tested; "+
			"install clang lld wasi-libc libclang-rt-14-dev-wasm32 to run it", err)
	}
	dir := t.TempDir()
	probe := filepath.Join(dir, "probe.c")
	if err := os.WriteFile(probe, []byte("#include <stdlib.h>\nint f(int n) { return (int)(long)malloc(n); }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(clang, "--target=wasm32-wasi", "-mexec-model=reactor", "-o", filepath.Join(dir, "probe.wasm"), probe).CombinedOutput(); err != nil {
		t.Skipf("%s cannot build wasm32-wasi modules here, so the C example is skipped "+
			"(install lld wasi-libc libclang-rt-14-dev-wasm32): %v\n%s", clang, err, out)
	}
	wasm := filepath.Join(dir, "echo_c.wasm")
	if out, err := exec.Command(clang, "--target=wasm32-wasi", "-O2", "-Wall", "-Wextra", "-Werror", "-mexec-model=reactor",
		"-o", wasm, filepath.Join("src", "echo.c")).CombinedOutput(); err != nil {
		t.Fatalf("building src/echo.c: %v\n%s", err, out)
	}
	return wasm
}

// TestEchoC runs the recorded exchanges in testdata through the real host
// with the module compiled from C.
func TestEchoC(t *testing.T) {
	man := plugintest.Cases(t, "testdata", buildC(t))
	if man.Name != "ECHO_C" || !man.Text || !man.Templates || len(man.Settings) != 2 {
		t.Fatalf("manifest %+v", man)
	}
}

// TestEchoCConfigure checks that a missing setting is refused at start-up
// with the host's one-line error.
func TestEchoCConfigure(t *testing.T) {
	wasm := buildC(t)
	dir := t.TempDir()
	data, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "echo_c.wasm"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = pluginhost.Open(context.Background(), pluginhost.Config{
		PluginsDir: dir, Service: "ECHO_C", PollInterval: -1,
		Settings: map[string]string{"ECHO_C_BASE_URL": "http://127.0.0.1:1"},
	})
	if err == nil {
		t.Fatal("opened without ECHO_C_TOKEN")
	}
	t.Log(err)
}
