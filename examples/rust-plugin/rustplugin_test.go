package rustplugin_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chelseru/chelseru/pluginhost"
	"github.com/chelseru/chelseru/pluginhost/plugintest"
)

// rustFlags are the flags of the documented build (Makefile).
var rustFlags = []string{"--edition", "2021", "--crate-type", "cdylib", "-O", "-C", "panic=abort", "-C", "strip=symbols"}

// buildRust compiles src/echo.rs to a WASI module with the first rustc (the
// RUSTC variable, rustc on PATH, then Debian's /usr/bin/rustc) that can
// target wasm32-wasip1 or wasm32-wasi, or skips the test with a clear
// message when none can.
func buildRust(t *testing.T) string {
	t.Helper()
	var candidates []string
	for _, c := range []string{os.Getenv("RUSTC"), "rustc", "/usr/bin/rustc"} {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			candidates = append(candidates, p)
		}
	}
	if len(candidates) == 0 {
		t.Skip("rustc not found: the Rust example plugin is not built or tested; " +
			"install rustc libstd-rust-dev-wasm32 (Debian) to run it")
	}
	dir := t.TempDir()
	probe := filepath.Join(dir, "probe.rs")
	if err := os.WriteFile(probe, []byte("#[no_mangle]\npub extern \"C\" fn f(n: i32) -> i32 { vec![0u8; n as usize].len() as i32 }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var tried []string
	for _, rustc := range candidates {
		for _, target := range []string{"wasm32-wasip1", "wasm32-wasi"} {
			args := append([]string{"--target", target, "-o", filepath.Join(dir, "probe.wasm"), probe}, rustFlags...)
			if err := exec.Command(rustc, args...).Run(); err != nil {
				tried = append(tried, rustc+" --target "+target)
				continue
			}
			wasm := filepath.Join(dir, "echo_rust.wasm")
			args = append([]string{"--target", target, "-o", wasm, filepath.Join("src", "echo.rs")}, rustFlags...)
			if out, err := exec.Command(rustc, args...).CombinedOutput(); err != nil {
				t.Fatalf("%s --target %s src/echo.rs: %v\n%s", rustc, target, err, out)
			}
			if fi, err := os.Stat(wasm); err == nil {
				t.Logf("built with %s --target %s: %d bytes", rustc, target, fi.Size())
			}
			return wasm
		}
	}
	t.Skipf("no rustc here can build WASI modules (tried %v), so the Rust example is skipped "+
		"(install rustc libstd-rust-dev-wasm32 on Debian)", tried)
	return ""
}

// TestEchoRust runs the recorded exchanges in testdata through the real
// host with the module compiled from Rust.
func TestEchoRust(t *testing.T) {
	man := plugintest.Cases(t, "testdata", buildRust(t))
	if man.Name != "ECHO_RUST" || !man.Text || !man.Templates || len(man.Settings) != 2 {
		t.Fatalf("manifest %+v", man)
	}
}

// TestEchoRustConfigure checks that a missing setting is refused at
// start-up with the plugin's own words in the host's one-line error.
func TestEchoRustConfigure(t *testing.T) {
	wasm := buildRust(t)
	dir := t.TempDir()
	data, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "echo_rust.wasm"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = pluginhost.Open(context.Background(), pluginhost.Config{
		PluginsDir: dir, Service: "ECHO_RUST", PollInterval: -1, DataDir: t.TempDir(),
		Settings: map[string]string{"ECHO_RUST_BASE_URL": "http://127.0.0.1:1"},
	})
	if err == nil {
		t.Fatal("opened without ECHO_RUST_TOKEN")
	}
	t.Log(err)
}
