package main

import (
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

const opsToken = "ops-admin-token-0123456789abcdef0123456789"

// TestServeAdminAndMetricsListeners runs the real binary with the admin and
// metrics listeners: the admin API needs the token, /metrics is on its own
// listener and gone from the public one, and the token is never logged.
func TestServeAdminAndMetricsListeners(t *testing.T) {
	dir := t.TempDir()
	addr, adminAddr, metricsAddr := freePort(t), freePort(t), freePort(t)
	tokenFile := writeFile(t, dir, "admin-token", opsToken+"\n")
	srv := startServerWith(t, dir, addr, "  ADMIN_LISTEN: "+adminAddr+"\n  ADMIN_TOKEN_FILE: "+tokenFile+
		"\n  METRICS_LISTEN: "+metricsAddr+"\nSMS:\n  MAX_PER_HOUR: 1\n")
	cmd, done, logs := srv.cmd, srv.done, srv.logs

	get := func(url, token string) (int, string) {
		t.Helper()
		r, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if st, _ := get("http://"+adminAddr+"/admin/api/messages/", ""); st != 401 {
		t.Fatalf("admin without token: %d", st)
	}
	if st, b := get("http://"+adminAddr+"/admin/api/messages/", opsToken); st != 200 || !strings.Contains(b, `"messages"`) {
		t.Fatalf("admin with token: %d %s", st, b)
	}
	if st, _ := get("http://"+addr+"/admin/api/messages/", opsToken); st != 404 {
		t.Fatalf("admin on the public port: %d", st)
	}
	if st, _ := get("http://"+addr+"/metrics", ""); st != 404 {
		t.Fatalf("/metrics on the public port: %d", st)
	}
	if st, b := get("http://"+metricsAddr+"/metrics", ""); st != 200 || !strings.Contains(b, "chelseru_sms_budget_exceeded_total 0") {
		t.Fatalf("metrics listener: %d", st)
	}
	// SMS.MAX_PER_HOUR: 1 — the second code is refused.
	for i, want := range []int{200, 429} {
		res, err := http.Post("http://"+addr+"/api/otp/send/", "application/json", strings.NewReader(`{"mobile_number":"0912123456`+string(rune('0'+i))+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want || (want == 429 && res.Header.Get("Retry-After") == "") {
			t.Fatalf("send %d: %d, want %d", i, res.StatusCode, want)
		}
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
	if strings.Contains(logs.String(), opsToken) {
		t.Fatal("the admin token was logged")
	}
}

// TestAdminConfigRefused: the admin listener without a token, or on the
// public port, is refused with one line and exit 1.
func TestAdminConfigRefused(t *testing.T) {
	dir := t.TempDir()
	addr := freePort(t)
	for name, yaml := range map[string]string{
		"no token":    "SERVER:\n  LISTEN: " + addr + "\n  ADMIN_LISTEN: " + freePort(t) + "\n",
		"public port": "SERVER:\n  LISTEN: " + addr + "\n  ADMIN_LISTEN: " + addr + "\n  ADMIN_TOKEN: " + opsToken + "\n",
	} {
		cfg := writeFile(t, dir, "c.yaml", yaml)
		code, _, errs := chelseru(t, dir, "serve", "--config", cfg)
		if code != exitFailure || !strings.Contains(errs, "SERVER.ADMIN_LISTEN") || strings.Contains(errs, opsToken) {
			t.Errorf("%s: exit %d %q", name, code, errs)
		}
		oneLine(t, errs)
	}
}
