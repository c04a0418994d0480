package host_test

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/internal/fakeprovider"
	"github.com/chelseru/chelseru/pluginhost"
)

// The built-ins with named template parameters and the webhook, each run as
// the real wasm module by the real plugin host behind the real server,
// against its fake: an OTP asked for over the socket reaches the fake as
// the provider's documented request, with the parameter names of
// SMS.TEMPLATE_PARAMS, and the code it carries logs the user in.

// builtinProvider describes one built-in for these tests.
type builtinProvider struct {
	service  string // SMS_SERVICE
	module   string // <lower-case service>.wasm
	pkg      string // its source under plugins/
	start    func(...fakeprovider.Option) *fakeprovider.Server
	settings map[string]string // without <SERVICE>_BASE_URL
	// names are SMS.TEMPLATE_PARAMS for the OTP template (id 1); want the
	// template and parameter names the fake must receive.
	names        []string
	wantTemplate string
	wantNames    []string
}

var builtinProviders = []builtinProvider{
	{
		service: "SMS_IR", module: "sms_ir.wasm", pkg: "smsir", start: fakeprovider.NewSMSIR,
		settings:     map[string]string{"SMS_IR_API_KEY": fakeprovider.SMSIRAPIKey, "SMS_IR_LINE_NUMBER": "30007732000000"},
		names:        []string{"OtpCode"},
		wantTemplate: "1", wantNames: []string{"OtpCode"},
	},
	{
		service: "GHASEDAK_ME", module: "ghasedak_me.wasm", pkg: "ghasedak", start: fakeprovider.NewGhasedak,
		settings:     map[string]string{"GHASEDAK_ME_API_KEY": fakeprovider.GhasedakAPIKey, "GHASEDAK_ME_TEMPLATE_NAMES": "1=LoginOtp"},
		wantTemplate: "LoginOtp", wantNames: []string{"Code"}, // no SMS.TEMPLATE_PARAMS: the name in the plugin's manifest
	},
	{
		service: "WEBHOOK", module: "webhook.wasm", pkg: "webhook", start: fakeprovider.NewWebhook,
		settings:     map[string]string{"WEBHOOK_SECRET": fakeprovider.WebhookSecret},
		names:        []string{"code"},
		wantTemplate: "1", wantNames: []string{"code"},
	},
}

// builtinModules returns a file system holding p's module: the embedded
// built-ins after `make plugins`, else the module compiled from source.
func builtinModules(t testing.TB, p builtinProvider) fs.FS {
	t.Helper()
	if _, err := fs.Stat(pluginhost.Builtins(), p.module); err == nil {
		return pluginhost.Builtins()
	}
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", filepath.Join(dir, p.module), "./plugins/"+p.pkg+"/wasm")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", p.pkg, err, out)
	}
	return os.DirFS(dir)
}

// withBuiltin makes the environment's SMS side p's built-in against its fake,
// with p.names as SMS.TEMPLATE_PARAMS of the OTP template.
func withBuiltin(p builtinProvider) func(*config) {
	return func(c *config) {
		c.auth.Service = p.service
		c.sms = func(t testing.TB, timeout time.Duration, logger *slog.Logger) *provider {
			fake := p.start()
			t.Cleanup(fake.Close)
			settings := map[string]string{p.service + "_BASE_URL": fake.URL()}
			for k, v := range p.settings {
				settings[k] = v
			}
			h, err := pluginhost.Open(context.Background(), pluginhost.Config{
				DataDir: cacheDir, Service: p.service, Settings: settings, Timeout: timeout,
				Logger: logger, Builtins: builtinModules(t, p), PollInterval: -1,
			})
			if err != nil {
				t.Fatalf("plugin host: %v", err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = h.Close(ctx)
			})
			tp := chelseru.TemplateParams{}
			if len(p.names) > 0 {
				tp[c.auth.OTPTemplateID] = p.names
			}
			return &provider{sender: chelseru.NamingSender(h, tp), fake: fake}
		}
	}
}

// TestBuiltinProvidersOTP: for each built-in, POST /api/otp/send/ over the
// socket reaches the fake with the template, the parameter names and the
// code, and the code logs in; the fake's refusal and its outage come back
// as the API's 502.
func TestBuiltinProvidersOTP(t *testing.T) {
	for _, p := range builtinProviders {
		t.Run(p.service, func(t *testing.T) {
			e := newEnv(t, withBuiltin(p))
			access, _ := e.login(mobileA, 0)
			if access == "" {
				t.Fatal("no access token")
			}
			rec := e.sms.fake.Received()
			if len(rec) != 1 {
				t.Fatalf("the fake received %d requests, want 1: %+v", len(rec), rec)
			}
			code, _ := e.sms.code("09121234567")
			if got := rec[0]; got.Receptor != "09121234567" || got.Template != p.wantTemplate ||
				!reflect.DeepEqual(got.Names, p.wantNames) || !reflect.DeepEqual(got.Vars, []string{code}) || got.Method != http.MethodPost {
				t.Errorf("the fake received %+v; want template %q, names %q, vars [%s]", got, p.wantTemplate, p.wantNames, code)
			}

			e.sms.setBehavior(bReject)
			want(t, e.post("/api/otp/send/", map[string]any{"mobile_number": mobileB}), http.StatusBadGateway, "")
			e.sms.setBehavior(bServerError)
			want(t, e.post("/api/otp/send/", map[string]any{"mobile_number": mobileC}), http.StatusBadGateway, "")
		})
	}
}
