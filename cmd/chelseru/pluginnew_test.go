package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// goIn runs the go command in dir (GOWORK off, so the scaffolded module
// stands alone) and fails t with its output when it fails.
func goIn(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// TestPluginNewRoundTrip is what a provider author does: "plugin new"
// writes a module (pointed at this repository's sdk folder), which builds
// for wasip1, passes its own go test as written, and which "plugin check"
// and "plugin test" accept through the real host. A case edited to expect
// something else fails "plugin test" (exit 1), and "plugin test -update"
// rewrites it so that both runs pass again.
func TestPluginNewRoundTrip(t *testing.T) {
	start := time.Now()
	work := t.TempDir()
	sdkDir, err := filepath.Abs(filepath.Join("..", "..", "sdk"))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := chelseru(t, work, "plugin", "new", "-sdk", sdkDir, "-module", "example.com/acme", "ACME_SMS")
	if code != 0 {
		t.Fatalf("plugin new: exit %d\n%s%s", code, out, errs)
	}
	mod := filepath.Join(work, "acme_sms")
	for _, f := range []string{"go.mod", "Makefile", "plugin.go", "plugin_test.go", "wasm/main.go", "testdata/otp_ok.case", "testdata/otp_named.case"} {
		if _, err := os.Stat(filepath.Join(mod, f)); err != nil {
			t.Errorf("plugin new did not write %s: %v", f, err)
		}
	}
	goIn(t, mod, nil, "vet", "./...")
	goIn(t, mod, nil, "test", "-count=1", "./...")
	goIn(t, mod, []string{"GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0"}, "build", "-buildmode=c-shared", "-o", "acme_sms.wasm", "./wasm")
	if code, out, errs := chelseru(t, mod, "plugin", "check", "acme_sms.wasm"); code != 0 || !strings.Contains(out, `"name": "ACME_SMS"`) {
		t.Fatalf("plugin check: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = chelseru(t, mod, "plugin", "test", "acme_sms.wasm", "testdata")
	if code != 0 || !strings.Contains(out, "8 cases, 8 passed, 0 rewritten, 0 failed") {
		t.Fatalf("plugin test: exit %d\n%s%s", code, out, errs)
	}
	t.Logf("plugin new -> go test -> wasm build -> plugin check -> plugin test: %v", time.Since(start).Round(time.Millisecond))

	// A case that expects another header and message id fails, and -update
	// rewrites it from the real run.
	casePath := filepath.Join(mod, "testdata", "otp_ok.case")
	orig, err := os.ReadFile(casePath)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(strings.Replace(string(orig), "Bearer key-1", "Bearer other", 1), `"message_id":"m-2"`, `"message_id":"m-9"`, 1)
	writeFile(t, filepath.Dir(casePath), "otp_ok.case", edited)
	code, out, errs = chelseru(t, mod, "plugin", "test", "acme_sms.wasm", "testdata")
	if code != 1 || !strings.Contains(out, "FAIL otp_ok") || !strings.Contains(out, `want "Bearer other"`) ||
		!strings.Contains(out, `message id "m-2", want "m-9"`) || !strings.Contains(errs, "1 of 8 cases failed") {
		t.Fatalf("plugin test of an edited case: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = chelseru(t, mod, "plugin", "test", "acme_sms.wasm", "testdata", "-update")
	if code != 0 || !strings.Contains(out, "upd  otp_ok") {
		t.Fatalf("plugin test -update: exit %d\n%s%s", code, out, errs)
	}
	if now, _ := os.ReadFile(casePath); string(now) != string(orig) {
		t.Errorf("-update wrote\n%s\nwant\n%s", now, orig)
	}
	goIn(t, mod, nil, "test", "-count=1", "./...")
}

// TestPluginNewUsage: a bad name is a usage error (exit 2); a folder that
// is not empty is refused (exit 1) and left alone.
func TestPluginNewUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"plugin", "new"},
		{"plugin", "new", "acme"},
		{"plugin", "new", "1ACME"},
		{"plugin", "new", "A", "B"},
		{"plugin", "new", "-module", "bad module", "ACME"},
	} {
		if code, _, errs := chelseru(t, dir, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errs)
		}
	}
	writeFile(t, dir, "keep.txt", "mine")
	code, _, errs := chelseru(t, dir, "plugin", "new", "-dir", ".", "ACME")
	if code != 1 || !strings.Contains(errs, "not empty") {
		t.Fatalf("plugin new into a full folder: exit %d, %s", code, errs)
	}
	oneLine(t, errs)
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the folder now holds %d entries", len(entries))
	}
}

// TestPluginTestUsage: wrong arguments are usage errors; a missing cases
// folder or a module that is not a plugin fail with one line.
func TestPluginTestUsage(t *testing.T) {
	dir := t.TempDir()
	if code, _, _ := chelseru(t, dir, "plugin", "test", "x.wasm"); code != 2 {
		t.Errorf("one argument: exit %d, want 2", code)
	}
	if code, _, _ := chelseru(t, dir, "plugin", "test", "-nope", "x.wasm", "cases"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	writeFile(t, dir, "x.wasm", "not wasm")
	if err := os.Mkdir(filepath.Join(dir, "cases"), 0o700); err != nil {
		t.Fatal(err)
	}
	code, _, errs := chelseru(t, dir, "plugin", "test", "x.wasm", "cases")
	if code != 1 || !strings.Contains(errs, "no *.case files") {
		t.Errorf("empty cases folder: exit %d, %s", code, errs)
	}
	writeFile(t, filepath.Join(dir, "cases"), "a.case", "=== message\n{\"to\":\"1\",\"text\":\"x\"}\n=== result\n{\"ok\":true}\n")
	code, _, errs = chelseru(t, dir, "plugin", "test", "x.wasm", "cases")
	if code != 1 || !strings.Contains(errs, "not a WebAssembly module") {
		t.Errorf("a module that is not wasm: exit %d, %s", code, errs)
	}
	oneLine(t, errs)
}

// TestPluginTestShowsPanic: a Go plugin that panics fails its case in
// "plugin test" with the panic's text and place, not "wasm error:
// unreachable"; the same module built without -buildmode=c-shared is
// refused by "plugin check" with the hint naming the flag.
func TestPluginTestShowsPanic(t *testing.T) {
	dir := t.TempDir()
	src, err := filepath.Abs(filepath.Join("..", "..", "pluginhost", "testdata", "hostile", "panic"))
	if err != nil {
		t.Fatal(err)
	}
	wasip1 := []string{"GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0"}
	goIn(t, src, wasip1, "build", "-buildmode=c-shared", "-o", filepath.Join(dir, "panic.wasm"), ".")
	goIn(t, src, wasip1, "build", "-o", filepath.Join(dir, "command.wasm"), ".")
	cases := filepath.Join(dir, "cases")
	if err := os.Mkdir(cases, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, cases, "boom.case", "=== message\n{\"to\":\"09123456789\",\"text\":\"boom\"}\n=== result\n{\"ok\":true,\"message_id\":\"fine\"}\n")
	code, out, errs := chelseru(t, dir, "plugin", "test", "panic.wasm", "cases")
	if code != 1 || !strings.Contains(out, "FAIL boom") ||
		!strings.Contains(out, "(plugin_panic): panic: hostile plugin panics on purpose (at main.plug.Send ") {
		t.Fatalf("plugin test of a panicking plugin: exit %d\n%s%s", code, out, errs)
	}
	t.Logf("%s", out)
	code, _, errs = chelseru(t, dir, "plugin", "check", "command.wasm")
	if code != 1 || !strings.Contains(errs, "-buildmode=c-shared") {
		t.Fatalf("plugin check of a command module: exit %d, %s", code, errs)
	}
	oneLine(t, errs)
}
