package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	wg "github.com/chelseru/chelseru/internal/wasmgen"
)

// writeModule writes a hand-made module as dir/name (0600).
func writeModule(t *testing.T, dir, name string, p wg.Plugin) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, p.Build(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPluginCheckRunsModule: `plugin check` configures the module with the
// settings given and prints a dry send's request (secrets masked, nothing
// sent); it refuses, with one line and in bounded time, modules whose start
// function or configure spins, whose configure panics or whose
// chelseru_alloc is broken, each of which used to pass and then stop serve.
func TestPluginCheckRunsModule(t *testing.T) {
	dir := t.TempDir()
	kave, _ := filepath.Abs(filepath.Join("..", "..", "bin", "plugins", "kavenegar_com.wasm"))
	const key = "s3cr3t-kavenegar-key"
	code, out, errs := chelseru(t, dir, "plugin", "check", kave, "--set", "KAVENEGAR_COM_API_KEY="+key)
	if code != 0 || !strings.Contains(out, "dry send (request not sent): POST https://") {
		t.Fatalf("plugin check kavenegar: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if strings.Contains(out+errs, key) {
		t.Fatalf("the secret setting was printed:\n%s", out)
	}
	// A module from a file may call no host until the operator's config
	// names one: the dry send says so instead of failing the check.
	if !strings.Contains(out, "serving would refuse it as things stand") || !strings.Contains(out, "api.kavenegar.com:443") {
		t.Fatalf("plugin check kavenegar: the egress refusal is not reported:\n%s", out)
	}
	// Without the key, a placeholder stands in and is said.
	code, out, _ = chelseru(t, dir, "plugin", "check", kave)
	if code != 0 || !strings.Contains(out, "KAVENEGAR_COM_API_KEY") || !strings.Contains(out, "placeholder") {
		t.Fatalf("plugin check without settings: exit %d, stdout %q", code, out)
	}
	// --config FILE supplies the settings too.
	cfg := writeFile(t, dir, "c.yaml", "SMS:\n  SETTINGS:\n    KAVENEGAR_COM_API_KEY: "+key+"\n")
	code, out, errs = chelseru(t, dir, "plugin", "check", "--config", cfg, kave)
	if code != 0 || strings.Contains(out, "placeholder") {
		t.Fatalf("plugin check --config: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = chelseru(t, dir, "plugin", "check", kave, "--set", "novalue")
	if code != exitUsage || !strings.Contains(errs, "KEY=VALUE") {
		t.Fatalf("--set without =: exit %d, %q", code, errs)
	}

	for _, tc := range []struct {
		name string
		mod  wg.Plugin
		want string
	}{
		{"start.wasm", wg.Plugin{Start: true, StartBody: wg.Spin}, "start function"},
		{"configure_spin.wasm", wg.Plugin{Configure: wg.Spin}, "exceeded its time limit"},
		{"configure_panic.wasm", wg.Plugin{Configure: wg.Trap}, "failed to configure: plugin trapped"},
		{"alloc.wasm", wg.Plugin{Alloc: wg.I32(0)}, "chelseru_alloc returned an invalid buffer"},
		{"send_spin.wasm", wg.Plugin{Send: wg.Spin}, "dry send: plugin call exceeded its time limit"},
		{"big.wasm", wg.Plugin{ExtraBytes: 9 << 20}, "module limit"},
	} {
		path := writeModule(t, dir, tc.name, tc.mod)
		code, _, errs := chelseru(t, dir, "plugin", "check", path)
		if code != exitFailure || !strings.Contains(errs, tc.want) {
			t.Errorf("plugin check %s: exit %d, stderr %q; want 1 and %q", tc.name, code, errs, tc.want)
			continue
		}
		oneLine(t, errs)
	}
}

// startServe starts `serve` with cfg and returns its log and exit channel.
func startServe(t *testing.T, dir, cfg string) (*syncBuffer, <-chan error, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(binary, "serve", "--config", cfg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CHELSERU_JWT_SIGNING_KEY=")
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return &logs, done, cmd
}

// waitExit fails the test unless the process exits within limit (generous:
// a hang fails instead of hanging the suite).
func waitExit(t *testing.T, done <-chan error, limit time.Duration, logs *syncBuffer) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		t.Fatalf("serve still running after %v; log:\n%s", limit, logs.String())
		return nil
	}
}

// TestServeWithHostileModules: a module whose start function spins stops
// nothing when it is not selected (beside CONSOLE the server starts and
// serves); selected, it is refused at start-up with one line. A send stuck
// in a spinning plugin does not hold SIGTERM: the request is answered (502)
// and the process exits 0 within the grace.
func TestServeWithHostileModules(t *testing.T) {
	dir := t.TempDir()
	plugins := filepath.Join(dir, "plugins")
	if err := os.Mkdir(plugins, 0o700); err != nil {
		t.Fatal(err)
	}
	writeModule(t, plugins, "handmade.wasm", wg.Plugin{Start: true, StartBody: wg.Spin})
	conf := func(service, extra string) string {
		return writeFile(t, dir, "c.yaml", "SERVER:\n  LISTEN: "+freePort(t)+"\n  DATA_DIR: ./data\n  PLUGINS_DIR: ./plugins\n"+
			"SMS:\n  SMS_SERVICE: "+service+"\n"+extra)
	}

	// Selected: refused at start-up, one line.
	code, _, errs := chelseru(t, dir, "serve", "--config", conf("HANDMADE", ""))
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	last := lines[len(lines)-1]
	if code != exitFailure || !strings.Contains(last, "plugins/handmade.wasm: module has a start function") {
		t.Fatalf("serve with a spinning start function: exit %d, %q", code, errs)
	}
	oneLine(t, last)

	// Not selected: the server starts and serves.
	cfg := conf("CONSOLE", "")
	addr := regexp.MustCompile(`LISTEN: (\S+)`).FindStringSubmatch(readFile(t, cfg))[1]
	logs, done, cmd := startServe(t, dir, cfg)
	waitReady(t, "http://"+addr+"/readyz", done)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(t, done, 2*time.Minute, logs); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}

	// A send that spins in the plugin (call limit 1m, past the grace).
	writeModule(t, plugins, "handmade.wasm", wg.Plugin{Send: wg.LogN(1, wg.Spin)})
	cfg = conf("HANDMADE", "  PLUGIN_CALL_TIMEOUT: 1m\n  TIMEOUT: 5m\n")
	addr = regexp.MustCompile(`LISTEN: (\S+)`).FindStringSubmatch(readFile(t, cfg))[1]
	logs, done, cmd = startServe(t, dir, cfg)
	waitReady(t, "http://"+addr+"/readyz", done)
	answered := make(chan int, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/api/otp/send/", "application/json", strings.NewReader(`{"mobile_number":"+989121234567"}`))
		if err != nil {
			answered <- -1
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	waitFor(t, logs, regexp.MustCompile(`(AAAA)`)) // the plugin logged, then spins
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(t, done, 2*time.Minute, logs); err != nil {
		t.Fatalf("serve after SIGTERM with a spinning send: %v; log:\n%s", err, logs.String())
	}
	if status := <-answered; status != http.StatusBadGateway {
		t.Fatalf("the request in the spinning plugin got %d, want 502; log:\n%s", status, logs.String())
	}
	if !strings.Contains(logs.String(), "stopping the plugin calls still running") {
		t.Errorf("the plugin call was not stopped by the shutdown:\n%s", logs.String())
	}
}
