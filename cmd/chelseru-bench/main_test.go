package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/config"
	"github.com/chelseru/chelseru/internal/loadgen"
	"github.com/valyala/fasthttp"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// execOutput runs a short command and returns its combined output.
func execOutput(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).CombinedOutput()
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantErr   string
		scenarios []string
		check     func(options) bool
	}{
		{name: "defaults", args: nil, scenarios: allScenarios, check: func(o options) bool {
			return o.Concurrency == 64 && o.Duration == 10*time.Second && o.Warmup == 2*time.Second && o.Bin == "./bin/chelseru" && !o.JSON
		}},
		{name: "subset in canonical order", args: []string{"-scenarios", "login, bare,login"}, scenarios: []string{"bare", "login"}},
		{name: "json and sizes", args: []string{"-json", "-concurrency", "8", "-duration", "1s", "-warmup", "0s"}, scenarios: allScenarios,
			check: func(o options) bool {
				return o.JSON && o.Concurrency == 8 && o.Duration == time.Second && o.Warmup == 0
			}},
		{name: "unknown scenario", args: []string{"-scenarios", "bare,chat"}, wantErr: `unknown scenario "chat"`},
		{name: "no scenario", args: []string{"-scenarios", " , "}, wantErr: "none given"},
		{name: "zero concurrency", args: []string{"-concurrency", "0"}, wantErr: "-concurrency"},
		{name: "endless duration", args: []string{"-duration", "11m"}, wantErr: "-duration"},
		{name: "zero duration", args: []string{"-duration", "0s"}, wantErr: "-duration"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected argument"},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseOptions(%q) error = %v, want one containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.Scenarios, tt.scenarios) {
				t.Fatalf("scenarios = %q, want %q", o.Scenarios, tt.scenarios)
			}
			if tt.check != nil && !tt.check(o) {
				t.Fatalf("options = %+v", o)
			}
		})
	}
}

func TestMobilesAreDistinctValidNumbers(t *testing.T) {
	var m mobiles
	seen := map[string]bool{}
	var buf []byte
	for range 1000 {
		var err error
		if buf, err = m.append(buf[:0]); err != nil {
			t.Fatal(err)
		}
		s := string(buf)
		norm, ok := chelseru.NormalizeMobile(s)
		if !ok || norm != s {
			t.Fatalf("%q is not a normalised Iranian mobile (got %q, %v)", s, norm, ok)
		}
		if seen[s] {
			t.Fatalf("%q handed out twice", s)
		}
		seen[s] = true
	}
	if got := string(appendMobile(nil, 123)); got != "09000000123" {
		t.Fatalf("appendMobile(123) = %q", got)
	}
	if got := string(appendMobile(nil, maxMobiles-1)); got != "09999999999" {
		t.Fatalf("appendMobile(max) = %q", got)
	}
	m.next.Store(maxMobiles - 1)
	if _, err := m.append(nil); err == nil {
		t.Fatal("append past the last number succeeded")
	}
	var body map[string]string
	if err := json.Unmarshal(sendBody(nil, []byte("09121234567")), &body); err != nil || body["mobile_number"] != "09121234567" {
		t.Fatalf("sendBody is not the JSON of /api/otp/send/: %v %v", body, err)
	}
}

func TestIsToken(t *testing.T) {
	for s, want := range map[string]bool{"12345678": true, "abcXYZ09": true, "": false, `1"2`: false, "12 34": false, "۱۲۳": false, strings.Repeat("1", 65): false} {
		if got := isToken(s); got != want {
			t.Errorf("isToken(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestBareHandlerSpeaksTheSendContract(t *testing.T) {
	b, err := startBare(discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	c := loadgen.NewClient(b.Addr(), 1)
	tests := []struct {
		name, method, path, body string
		status                   int
		wantBody                 string
	}{
		{"sent", "POST", sendPath, `{"mobile_number":"09121234567"}`, 200, sentBody},
		{"persian digits", "POST", sendPath, `{"mobile_number":"۰۹۱۲۱۲۳۴۵۶۷"}`, 200, sentBody},
		{"invalid number", "POST", sendPath, `{"mobile_number":"12345"}`, 400, invalidMsg},
		{"malformed JSON", "POST", sendPath, `{"mobile_number":`, 400, "JSON parse error"},
		{"wrong method", "GET", sendPath, ``, 405, ""},
		{"other path", "POST", "/api/authenticate/", `{}`, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.SetRequestURI("http://" + b.Addr() + tt.path)
			req.Header.SetMethod(tt.method)
			req.Header.SetContentType("application/json")
			req.SetBodyString(tt.body)
			if err := c.DoTimeout(req, resp, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode() != tt.status || !strings.Contains(string(resp.Body()), tt.wantBody) {
				t.Fatalf("%s %s %s = %d %q, want %d with %q", tt.method, tt.path, tt.body, resp.StatusCode(), resp.Body(), tt.status, tt.wantBody)
			}
		})
	}
}

func TestConfigYAMLPassesTheConfigParser(t *testing.T) {
	c := serverConfig{Listen: "127.0.0.1:1234", DataDir: "/tmp/x y/data", PluginsDir: "/tmp/x y/plugins", SigningKey: "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", ProviderURL: "http://127.0.0.1:5678", ProviderKey: "test-key", LogLevel: "warn"}
	got, err := config.Parse([]byte(configYAML(c)))
	if err != nil {
		t.Fatalf("generated config refused: %v\n%s", err, configYAML(c))
	}
	if got.Server.Listen != c.Listen || got.Server.DataDir != c.DataDir || got.Server.PluginsDir != c.PluginsDir || got.JWT.SigningKey != c.SigningKey || got.JWT.Algorithm != "HS256" {
		t.Fatalf("SERVER/JWT = %+v %+v", got.Server, got.JWT)
	}
	if got.Log.Level != slog.LevelWarn {
		t.Fatalf("LOG.LEVEL = %v, want warn", got.Log.Level)
	}
	if o := got.Auth.Options; o.OTPSendsPerNumberPerHour < 1e8 || o.OTPSendsPerIPPerHour < 1e8 || o.AuthenticatePerIPPerHour < 1e8 || o.RefreshPerIPPerHour < 1e8 || got.Server.MaxConnsPerIP != 0 {
		t.Fatalf("send limits not raised: %+v", o)
	}
	if got.SMS.SMSService != "KAVENEGAR_COM" || got.SMS.Settings["KAVENEGAR_COM_BASE_URL"] != c.ProviderURL || got.SMS.Settings["KAVENEGAR_COM_API_KEY"] != c.ProviderKey {
		t.Fatalf("SMS = %+v", got.SMS)
	}
}

func TestServerEnvDropsOverrides(t *testing.T) {
	got := serverEnv([]string{"PATH=/bin", "CHELSERU_JWT_SIGNING_KEY=x", "HOME=/h"})
	if !slices.Equal(got, []string{"PATH=/bin", "HOME=/h"}) {
		t.Fatalf("serverEnv = %q", got)
	}
}

func TestTailBufferKeepsTheNewestBytes(t *testing.T) {
	tb := newTailBuffer(16)
	for _, s := range []string{"line one\n", "line two\n", "line three\n"} {
		if n, err := tb.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got := tb.Tail(10); got != "line three" { // " two" lost its start
		t.Fatalf("Tail = %q", got)
	}
	if got := tb.Tail(1); got != "line three" {
		t.Fatalf("Tail(1) = %q", got)
	}
	small := newTailBuffer(100)
	small.Write([]byte("a\nb\nc\n"))
	if got := small.Tail(2); got != "b\nc" {
		t.Fatalf("Tail(2) of an untruncated buffer = %q", got)
	}
	if _, err := tb.Write([]byte(strings.Repeat("x", 40) + "end")); err != nil {
		t.Fatal(err)
	}
	if got := tb.Tail(5); got != strings.Repeat("x", 13)+"end" {
		t.Fatalf("Tail after a long write = %q", got)
	}
}

func TestCPUTimes(t *testing.T) {
	before, err := selfCPU()
	if err != nil {
		t.Skipf("no CPU times here: %v", err)
	}
	x := 0
	for start := time.Now(); time.Since(start) < 30*time.Millisecond; x++ {
	}
	after, err := selfCPU()
	if err != nil || after <= before {
		t.Fatalf("selfCPU did not grow while spinning: %v -> %v (%v)", before, after, err)
	}
	if _, err := procCPU(os.Getpid()); err != nil {
		t.Fatalf("procCPU(self): %v", err)
	}
	if _, err := procCPU(1 << 30); err == nil {
		t.Fatal("procCPU of a missing process succeeded")
	}
}

func TestRunBareOnly(t *testing.T) {
	var out, errOut bytes.Buffer
	jsonOut := filepath.Join(t.TempDir(), "load.json")
	code := run(context.Background(), []string{"-scenarios", "bare", "-duration", "200ms", "-warmup", "50ms", "-concurrency", "4", "-json", "-json-out", jsonOut}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut.String())
	}
	if file, err := os.ReadFile(jsonOut); err != nil || !bytes.Equal(file, out.Bytes()) {
		t.Fatalf("-json-out file differs from the -json output (%v)", err)
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("-json output: %v\n%s", err, out.String())
	}
	if len(rep.Results) != 1 || rep.Results[0].Name != scenarioBare || rep.Results[0].RPS <= 0 || rep.Results[0].Errors != 0 ||
		rep.Results[0].Ratio == nil || *rep.Results[0].Ratio != 1 || rep.Machine.CPUs < 1 || rep.Commit == "" {
		t.Fatalf("report = %+v", rep)
	}
}

// serverBinary returns the chelseru binary to test against: $CHELSERU_BIN,
// or bin/chelseru at the repository root; it skips the test when neither
// exists.
func serverBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHELSERU_BIN"); p != "" {
		return p
	}
	p, err := filepath.Abs(filepath.Join("..", "..", "bin", "chelseru"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no server binary at %s (run `make build`, or set CHELSERU_BIN): %v", p, err)
	}
	return p
}

func TestGeneratedConfigPassesConfigCheck(t *testing.T) {
	bin := serverBinary(t)
	dir := t.TempDir()
	c := serverConfig{Listen: "127.0.0.1:1", DataDir: filepath.Join(dir, "data"), PluginsDir: filepath.Join(dir, "plugins"),
		SigningKey: "0123456789abcdef0123456789abcdef", ProviderURL: "http://127.0.0.1:2", ProviderKey: "test-key"}
	for _, d := range []string{c.DataDir, c.PluginsDir} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "chelseru.yaml")
	if err := os.WriteFile(path, []byte(configYAML(c)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := execOutput(ctx, bin, "config", "check", "--config", path)
	if err != nil {
		t.Fatalf("chelseru config check rejected the generated config: %v\n%s", err, out)
	}
}

func TestRunAgainstTheRealServer(t *testing.T) {
	bin := serverBinary(t)
	if testing.Short() {
		t.Skip("starts the server binary; skipped with -short")
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-bin", bin, "-scenarios", "otp-send,login", "-duration", "300ms", "-warmup", "0s", "-concurrency", "4", "-json"}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("-json output: %v\n%s", err, out.String())
	}
	if len(rep.Results) != 2 {
		t.Fatalf("results = %+v", rep.Results)
	}
	for _, r := range rep.Results {
		if r.Requests == 0 || r.Errors != 0 || r.RPS <= 0 || r.Error != "" {
			t.Errorf("%s: requests %d, errors %d %v, rps %v, error %q", r.Name, r.Requests, r.Errors, r.ErrorSamples, r.RPS, r.Error)
		}
		if r.ProviderCalls < r.Requests {
			t.Errorf("%s: %d units but only %d calls reached the fake provider", r.Name, r.Requests, r.ProviderCalls)
		}
	}
}
