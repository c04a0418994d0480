package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startServeEnv runs `chelseru serve args...` in dir with env added to ours
// and returns its log and a stop function that sends SIGTERM and waits.
func startServeEnv(t *testing.T, dir string, env []string, args ...string) (logs *syncBuffer, done chan error) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "CHELSERU_JWT_SIGNING_KEY="), env...)
	logs = new(syncBuffer)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done = make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
		}
	})
	return logs, done
}

// TestServePrecedence: the real binary listens where the flag says over the
// environment, and where the environment says over the file.
func TestServePrecedence(t *testing.T) {
	dir := t.TempDir()
	fileAddr, envAddr, flagAddr := freePort(t), freePort(t), freePort(t)
	cfg := writeFile(t, dir, "c.yaml", "SERVER:\n  LISTEN: "+fileAddr+"\n  DATA_DIR: ./data-file\n  PLUGINS_DIR: \"\"\n")

	t.Run("env over file", func(t *testing.T) {
		_, done := startServeEnv(t, dir, []string{"CHELSERU_SERVER__LISTEN=" + envAddr, "CHELSERU_SERVER__DATA_DIR=./data-env"}, "--config", cfg)
		waitReady(t, "http://"+envAddr+"/readyz", done)
		if _, err := os.Stat(filepath.Join(dir, "data-env", "db")); err != nil {
			t.Errorf("data folder from the environment not used: %v", err)
		}
	})
	t.Run("flag over env", func(t *testing.T) {
		_, done := startServeEnv(t, dir, []string{"CHELSERU_SERVER__LISTEN=" + envAddr}, "--config", cfg, "--listen", flagAddr, "--data-dir", "./data-flag")
		waitReady(t, "http://"+flagAddr+"/readyz", done)
		if _, err := os.Stat(filepath.Join(dir, "data-flag", "db")); err != nil {
			t.Errorf("data folder from the flag not used: %v", err)
		}
	})
}

// TestEnvFileAndSources: a _FILE variable's secret is used and masked, and
// config check names where every value came from.
func TestEnvFileAndSources(t *testing.T) {
	dir := t.TempDir()
	secret := "a-signing-key-kept-in-a-mounted-secret-file"
	keyFile := writeFile(t, dir, "jwt-key", secret+"\n")
	cfg := writeFile(t, dir, "c.yaml", "SERVER:\n  DATA_DIR: ./data\n  PLUGINS_DIR: \"\"\nSMS:\n  SMS_SERVICE: KAVENEGAR_COM\n  SETTINGS:\n    KAVENEGAR_COM_FROM: \"10004346\"\n")
	env := []string{
		"CHELSERU_JWT__SIGNING_KEY_FILE=" + keyFile,
		"CHELSERU_SMS__SETTINGS__KAVENEGAR_COM_API_KEY=kavenegar-api-key-value",
	}
	code, out, errs := runEnvs(t, dir, env, "config", "check", "--config", cfg, "--listen", "127.0.0.1:0")
	if code != 0 {
		t.Fatalf("config check: exit %d\n%s%s", code, out, errs)
	}
	for _, re := range []string{
		`JWT\.SIGNING_KEY\s+\*{8}\s+env CHELSERU_JWT__SIGNING_KEY_FILE`,
		`SMS\.SETTINGS\.KAVENEGAR_COM_API_KEY\s+\*{8}\s+env CHELSERU_SMS__SETTINGS__KAVENEGAR_COM_API_KEY`,
		`SMS\.SETTINGS\.KAVENEGAR_COM_FROM\s+10004346\s+file:7`,
		`SERVER\.LISTEN\s+127\.0\.0\.1:0\s+flag --listen`,
		`SERVER\.MAX_CONNS\s+10000\s+default`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("config check output lacks %s:\n%s", re, out)
		}
	}
	if strings.Contains(out+errs, secret) || strings.Contains(out+errs, "kavenegar-api-key-value") {
		t.Errorf("a secret is printed:\n%s", out)
	}
	// Without the API key, config check refuses as serve does.
	code, _, errs = runEnvs(t, dir, env[:1], "config", "check", "--config", cfg)
	if code != exitFailure || !strings.Contains(errs, "KAVENEGAR_COM_API_KEY") {
		t.Errorf("missing API key: exit %d, %q", code, errs)
	}
	// The server uses the key from the file: a bad one is refused naming the variable.
	bad := writeFile(t, dir, "short", "short\n")
	code, _, errs = runEnvs(t, dir, []string{"CHELSERU_JWT__SIGNING_KEY_FILE=" + bad}, "serve", "--config", cfg)
	if code != exitFailure || !strings.Contains(errs, "CHELSERU_JWT__SIGNING_KEY_FILE") || strings.Contains(errs, "short\n") {
		t.Errorf("short key from a file: exit %d, %q", code, errs)
	}
}

// TestUnknownEnvRefused: a CHELSERU_ variable that names no key stops serve
// and config check with one line naming it.
func TestUnknownEnvRefused(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"serve"}, {"config", "check"}} {
		code, _, errs := runEnvs(t, dir, []string{"CHELSERU_SERVER__LISTN=127.0.0.1:0"}, args...)
		last := lastLine(errs)
		if code != exitFailure || !strings.Contains(last, "CHELSERU_SERVER__LISTN") || !strings.Contains(last, "did you mean SERVER.LISTEN") {
			t.Errorf("%v: exit %d, %q", args, code, errs)
		}
		oneLine(t, last)
	}
}

// TestHelpEveryCommand: --help and -h print usage, flags, the environment
// rule and exit codes on stdout and exit 0, for every command.
func TestHelpEveryCommand(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args  []string
		flags []string
	}{
		{[]string{"serve"}, []string{"--config FILE", "--listen HOST:PORT", "--data-dir DIR", "CHELSERU_SERVER__LISTEN", "CHELSERU_SMS__SETTINGS__NAME", "_FILE"}},
		{[]string{"config"}, nil},
		{[]string{"config", "check"}, []string{"--config FILE", "--listen", "CHELSERU_JWT__SIGNING_KEY"}},
		{[]string{"plugin"}, []string{"plugin list"}},
		{[]string{"plugin", "list"}, []string{"--plugins-dir DIR"}},
		{[]string{"plugin", "check"}, nil},
		{[]string{"backup"}, []string{"--out"}},
		{[]string{"restore"}, []string{"--allow-new-keys"}},
		{[]string{"verify"}, []string{"--in"}},
		{[]string{"version"}, nil},
	} {
		for _, h := range []string{"--help", "-h"} {
			args := append(append([]string(nil), tc.args...), h)
			code, out, errs := chelseru(t, dir, args...)
			if code != exitOK || errs != "" {
				t.Errorf("%v: exit %d, stderr %q", args, code, errs)
				continue
			}
			for _, want := range append([]string{"usage: chelseru " + tc.args[0], "exit codes:", "2  usage error", "3  data damaged"}, tc.flags...) {
				if !strings.Contains(out, want) {
					t.Errorf("%v: output lacks %q:\n%s", args, want, out)
				}
			}
		}
	}
	code, out, _ := chelseru(t, dir, "help", "serve")
	if code != exitOK || !strings.Contains(out, "--listen HOST:PORT") {
		t.Errorf("help serve: exit %d\n%s", code, out)
	}
}

// TestVersionStamp: the binary the Makefile builds carries the version and
// commit from git; a plain go build still prints Go and wazero versions.
func TestVersionStamp(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := chelseru(t, dir, "version")
	if code != 0 || !regexp.MustCompile(`(?m)^go: go1\.`).MatchString(out) || !regexp.MustCompile(`(?m)^wazero: v1\.`).MatchString(out) {
		t.Errorf("version of a go build: exit %d\n%s", code, out)
	}
	made, _ := filepath.Abs(filepath.Join("..", "..", "bin", "chelseru"))
	if _, err := os.Stat(made); err != nil {
		t.Skip("bin/chelseru not built (make build stamps it): ", err)
	}
	b, err := exec.Command(made, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	out = string(b)
	if !regexp.MustCompile(`(?m)^commit: [0-9a-f]{40}$`).MatchString(out) || regexp.MustCompile(`(?m)^chelseru \((devel|unknown)\)`).MatchString(out) {
		t.Errorf("bin/chelseru is not stamped:\n%s", out)
	}
	if git, err := exec.Command("git", "describe", "--tags", "--always").Output(); err == nil {
		short := strings.TrimSuffix(strings.TrimSpace(string(git)), "-dirty")
		if !strings.Contains(out, "chelseru "+short) {
			t.Logf("bin/chelseru was built from another commit than %s (stale build?):\n%s", short, out)
		}
	}
}

// TestPluginList: plugin list shows the built-ins and the PLUGINS_DIR
// modules with their SHA-256 and size, without running them.
func TestPluginList(t *testing.T) {
	dir := t.TempDir()
	src, _ := filepath.Abs(filepath.Join("..", "..", "bin", "plugins", "console.wasm"))
	wasm, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("built-in plugins are not built: run `make plugins` (%v)", err)
	}
	plugins := filepath.Join(dir, "plugins")
	os.Mkdir(plugins, 0o700)
	writeFile(t, plugins, "my_sms.wasm", string(wasm))
	writeFile(t, plugins, "not-a-module.txt", "x")
	writeFile(t, plugins, "broken.wasm", "not wasm at all")
	sum := sha256.Sum256(wasm)
	code, out, errs := runEnvs(t, dir, []string{"CHELSERU_SERVER__PLUGINS_DIR=" + plugins}, "plugin", "list")
	if code != 0 {
		t.Fatalf("plugin list: exit %d %s", code, errs)
	}
	for _, re := range []string{
		`CONSOLE\s+built-in\s+console\.wasm\s+\d+\s+` + hex.EncodeToString(sum[:]),
		`KAVENEGAR_COM\s+built-in`,
		`MY_SMS\s+PLUGINS_DIR\s+\S+my_sms\.wasm\s+` + strconv.Itoa(len(wasm)) + `\s+` + hex.EncodeToString(sum[:]),
		`BROKEN\s+PLUGINS_DIR`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("plugin list lacks %s:\n%s", re, out)
		}
	}
	if strings.Contains(out, "not-a-module") {
		t.Errorf("a non-module is listed:\n%s", out)
	}
}

// runEnvs runs the binary in dir with env added to ours.
func runEnvs(t *testing.T, dir string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "CHELSERU_JWT_SIGNING_KEY="), env...)
	var out, errb syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatalf("running chelseru %v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

// TestServeCORSAndErrorCodes: the real binary configured from the
// environment answers a browser preflight, and its errors carry
// X-Error-Code.
func TestServeCORSAndErrorCodes(t *testing.T) {
	dir := t.TempDir()
	addr := freePort(t)
	_, done := startServeEnv(t, dir, []string{
		"CHELSERU_SERVER__LISTEN=" + addr,
		"CHELSERU_SERVER__PLUGINS_DIR=",
		"CHELSERU_SERVER__CORS_ALLOWED_ORIGINS=https://app.example.com,http://localhost:3000",
	})
	base := "http://" + addr
	waitReady(t, base+"/readyz", done)
	pre, _ := http.NewRequest(http.MethodOptions, base+"/api/otp/send/", nil)
	pre.Header.Set("Origin", "http://localhost:3000")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	res, err := http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" || res.Header.Get("Access-Control-Allow-Methods") != "POST" {
		t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
	}
	for path, code := range map[string]string{"/nope": "not_found", "/api/sessions/": "not_authenticated"} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Header.Get("X-Error-Code") != code || !strings.Contains(string(b), `"code":"`+code+`"`) {
			t.Errorf("GET %s: %d %s, X-Error-Code %q", path, res.StatusCode, b, res.Header.Get("X-Error-Code"))
		}
	}
}
