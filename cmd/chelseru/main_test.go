package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the chelseru binary built once for these tests: they run the real
// program, as an operator would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chelseru-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "chelseru")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building chelseru:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// chelseru runs the binary in dir with args and returns its exit code and output.
func chelseru(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CHELSERU_JWT_SIGNING_KEY=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatalf("running chelseru %v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

// oneLine asserts that s is a single line of text with no Go stack trace.
func oneLine(t *testing.T, s string) {
	t.Helper()
	s = strings.TrimRight(s, "\n")
	if strings.Contains(s, "\n") || strings.Contains(s, "goroutine ") || strings.Contains(s, ".go:") {
		t.Fatalf("want one line without a stack trace, got:\n%s", s)
	}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsageAndVersion(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "usage:"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"serve", "--nope"}, exitUsage, "flag provided but not defined"},
		{[]string{"config", "check", "stray"}, exitUsage, `unexpected argument "stray"`},
		{[]string{"plugin", "check"}, exitUsage, "want exactly one FILE.wasm"},
		{[]string{"version"}, exitOK, "chelseru "},
	} {
		code, out, errs := chelseru(t, dir, tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("chelseru %v: exit %d, output %q; want exit %d containing %q", tc.args, code, out+errs, tc.code, tc.want)
		}
	}
}

func TestBadConfigIsOneLine(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ yaml, want string }{
		{"AUTH:\n  OPTIONS:\n    OTP_LENGTH: 20\n", "OTP_LENGTH must be between 3 and 10, got 20"},
		{"SMS:\n  SETINGS: {}\n", "SMS.SETINGS"},
		{"JWT:\n  ALGORITHM: RS256\n", "JWT.ALGORITHM"},
		{"SMS:\n  TIMEOUT: ten\n", "SMS.TIMEOUT"},
		{"SMS:\n  SMS_SERVICE: KAVENEGAR_COM\n", "KAVENEGAR_COM_API_KEY"},
		{"SERVER: [\n", "line"},
	} {
		cfg := writeFile(t, dir, "bad.yaml", "SERVER:\n  DATA_DIR: "+filepath.Join(dir, "data")+"\n"+tc.yaml)
		if strings.HasPrefix(tc.yaml, "SERVER:") {
			cfg = writeFile(t, dir, "bad.yaml", tc.yaml)
		}
		for _, args := range [][]string{{"serve", "--config", cfg}, {"config", "check", "--config", cfg}} {
			code, _, errs := chelseru(t, dir, args...)
			if code != exitFailure {
				t.Errorf("%v with %q: exit %d, want 1 (stderr %q)", args, tc.yaml, code, errs)
				continue
			}
			last := lastLine(errs)
			if !strings.Contains(last, tc.want) {
				t.Errorf("%v with %q: last line %q, want it to name %q", args, tc.yaml, last, tc.want)
			}
			oneLine(t, last)
			if strings.Contains(errs, "goroutine ") || strings.Contains(errs, "panic") {
				t.Errorf("%v: stack trace in output:\n%s", args, errs)
			}
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestConfigCheckSpecFile(t *testing.T) {
	dir := t.TempDir()
	spec, err := os.ReadFile(filepath.Join("..", "..", "config", "testdata", "spec.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, dir, "chelseru.yaml", string(spec))
	example, err := filepath.Abs(filepath.Join("..", "..", "chelseru.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{cfg, example} {
		code, out, errs := chelseru(t, dir, "config", "check", "--config", f)
		if code != 0 || !strings.Contains(out, "ok") {
			t.Fatalf("config check of %s: exit %d, %q %q", f, code, out, errs)
		}
	}
}

func TestPluginCheck(t *testing.T) {
	dir := t.TempDir()
	wasm, _ := filepath.Abs(filepath.Join("..", "..", "bin", "plugins", "kavenegar_com.wasm"))
	if _, err := os.Stat(wasm); err != nil {
		t.Fatalf("built-in plugins are not built: run `make plugins` (%v)", err)
	}
	code, out, errs := chelseru(t, dir, "plugin", "check", wasm)
	if code != 0 || !strings.Contains(out, `"name": "KAVENEGAR_COM"`) {
		t.Fatalf("plugin check kavenegar: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// The hosts it asks for, what it receives, and that it is a built-in.
	for _, want := range []string{"egress: the manifest asks for api.kavenegar.com", "SMS.PLUGIN_ALLOWED_HOSTS.KAVENEGAR_COM",
		"settings: receives exactly KAVENEGAR_COM_API_KEY", "override: KAVENEGAR_COM is a built-in plugin"} {
		if !strings.Contains(out, want) {
			t.Errorf("plugin check output lacks %q:\n%s", want, out)
		}
	}
	notWasm := writeFile(t, dir, "x.wasm", "this is not wasm")
	code, _, errs = chelseru(t, dir, "plugin", "check", notWasm)
	if code != exitFailure {
		t.Fatalf("plugin check of a text file: exit %d, want 1", code)
	}
	oneLine(t, errs)
	code, _, errs = chelseru(t, dir, "plugin", "check", filepath.Join(dir, "missing.wasm"))
	if code != exitFailure {
		t.Fatalf("plugin check of a missing file: exit %d, want 1", code)
	}
	oneLine(t, errs)
}

// freePort returns a loopback address nobody listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeDefaultsAndShutdown starts the real binary with no config file,
// uses it, stops it with SIGTERM, checks it exits 0, then backs it up and
// restores the backup into a fresh data folder.
func TestServeDefaultsAndShutdown(t *testing.T) {
	dir := t.TempDir()
	addr := freePort(t)
	cfg := writeFile(t, dir, "c.yaml", "SERVER:\n  LISTEN: "+addr+"\n  DATA_DIR: ./data\n  PLUGINS_DIR: \"\"\n")
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

	base := "http://" + addr
	waitReady(t, base+"/readyz", done)
	resp, err := http.Post(base+"/api/otp/send/", "application/json", strings.NewReader(`{"mobile_number":"+989121234567"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("otp/send: %d %s", resp.StatusCode, body)
	}
	// CONSOLE prints the SMS, receiver as 09XXXXXXXXX, code included.
	code := waitFor(t, &logs, regexp.MustCompile(`09121234567.*\[(\d{8})\]`))
	resp, err = http.Post(base+"/api/authenticate/", "application/x-www-form-urlencoded",
		strings.NewReader("mobile_number=09121234567&code="+code))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"refresh"`) {
		t.Fatalf("authenticate: %d %s", resp.StatusCode, body)
	}
	for _, f := range []string{"data/jwt-signing-key", "data/otp-key"} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, mode %v; want a 0600 file", f, err, fi)
		}
	}
	if strings.Contains(logs.String(), readFile(t, filepath.Join(dir, "data/jwt-signing-key"))) {
		t.Fatal("the signing key was written to the log")
	}

	// The plugin host's counters are on /metrics beside the HTTP ones.
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"chelseru_plugin_sends_total 1", "chelseru_plugin_instances ", "chelseru_http_requests_total"} {
		if !strings.Contains(string(body), m) {
			t.Errorf("/metrics lacks %q", m)
		}
	}

	// Online backup while serving.
	code2, out, errs := chelseru(t, dir, "backup", "--config", cfg, "--out", filepath.Join(dir, "b.bak"))
	if code2 != 0 || !strings.Contains(out, "running server") {
		t.Fatalf("online backup: exit %d %q %q", code2, out, errs)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v; log:\n%s", err, logs.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not exit after SIGTERM")
	}

	// Restore refuses a used folder and fills an empty one.
	code2, _, errs = chelseru(t, dir, "restore", "--config", cfg, "--in", filepath.Join(dir, "b.bak"))
	if code2 != exitFailure {
		t.Fatalf("restore into a used data folder: exit %d, want 1", code2)
	}
	oneLine(t, errs)
	cfg2 := writeFile(t, dir, "c2.yaml", "SERVER:\n  DATA_DIR: ./data2\n")
	code2, out, errs = chelseru(t, dir, "restore", "--config", cfg2, "--in", filepath.Join(dir, "b.bak"))
	if code2 != 0 {
		t.Fatalf("restore into an empty folder: exit %d %q %q", code2, out, errs)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func waitReady(t *testing.T, url string, exited <-chan error) {
	t.Helper()
	for i := 0; i < 600; i++ {
		select {
		case err := <-exited:
			t.Fatalf("server exited before it was ready: %v", err)
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("server never became ready")
}

func waitFor(t *testing.T, b *syncBuffer, re *regexp.Regexp) string {
	t.Helper()
	for i := 0; i < 200; i++ {
		if m := re.FindStringSubmatch(b.String()); m != nil {
			return m[1]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("log never matched %v:\n%s", re, b.String())
	return ""
}
