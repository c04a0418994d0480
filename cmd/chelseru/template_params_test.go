package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/chelseru/chelseru/internal/fakeprovider"
)

// TestServeTemplateParams runs the real binary with the built-in SMS_IR
// against a fake SMS.ir: with SMS.TEMPLATE_PARAMS naming the OTP template's
// parameter the code reaches the provider under that name; with no naming
// config at all, under the name the plugin's manifest declares (CODE).
func TestServeTemplateParams(t *testing.T) {
	wasm, _ := filepath.Abs(filepath.Join("..", "..", "bin", "plugins", "sms_ir.wasm"))
	if _, err := os.Stat(wasm); err != nil {
		t.Fatalf("built-in plugins are not built: run `make plugins` (%v)", err)
	}
	t.Run("config", func(t *testing.T) { serveTemplateParams(t, "  TEMPLATE_PARAMS:\n    \"100\": OtpCode\n", "OtpCode") })
	t.Run("manifest", func(t *testing.T) { serveTemplateParams(t, "", "CODE") })
}

// serveTemplateParams sends an OTP through the real binary configured with
// the SMS lines extra and checks the name the code reached SMS.ir under.
func serveTemplateParams(t *testing.T, extra, wantName string) {
	fake := fakeprovider.NewSMSIR()
	defer fake.Close()
	dir := t.TempDir()
	addr := freePort(t)
	cfg := writeFile(t, dir, "c.yaml", `SERVER:
  LISTEN: `+addr+`
  DATA_DIR: ./data
  PLUGINS_DIR: ""
AUTH:
  OPTIONS:
    OTP_SMS_TEMPLATE_ID: 100
SMS:
  SMS_SERVICE: SMS_IR
  SETTINGS:
    SMS_IR_API_KEY: `+fakeprovider.SMSIRAPIKey+`
    SMS_IR_BASE_URL: `+fake.URL()+`
`+extra)
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
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })

	base := "http://" + addr
	waitReady(t, base+"/readyz", done)
	resp, err := http.Post(base+"/api/otp/send/", "application/json", strings.NewReader(`{"mobile_number":"09121234567"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("otp/send: %d %s\n%s", resp.StatusCode, body, logs.String())
	}
	rec := fake.Received()
	code, _ := fake.Code("09121234567")
	if len(rec) != 1 || rec[0].Template != "100" || !reflect.DeepEqual(rec[0].Names, []string{wantName}) ||
		!reflect.DeepEqual(rec[0].Vars, []string{code}) || len(code) != 8 {
		t.Fatalf("SMS.ir received %+v (code %q); want template 100 with %s = the code", rec, code, wantName)
	}
}

// TestPluginCheckTemplateParams: plugin check shows the names a manifest
// gives template variables, in the manifest and in a line of its own.
func TestPluginCheckTemplateParams(t *testing.T) {
	wasm, _ := filepath.Abs(filepath.Join("..", "..", "bin", "plugins", "sms_ir.wasm"))
	if _, err := os.Stat(wasm); err != nil {
		t.Fatalf("built-in plugins are not built: run `make plugins` (%v)", err)
	}
	code, out, errs := chelseru(t, t.TempDir(), "plugin", "check", wasm)
	if code != 0 {
		t.Fatalf("plugin check sms_ir: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	for _, want := range []string{"\"template_params\": [\n    \"CODE\"\n  ]", "template parameters: CODE (the names of a template's variables"} {
		if !strings.Contains(out, want) {
			t.Errorf("plugin check output lacks %q:\n%s", want, out)
		}
	}
}
