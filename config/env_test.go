package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "chelseru.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEnvPrecedence(t *testing.T) {
	file := writeFile(t, "SERVER:\n  LISTEN: 127.0.0.1:7001\n  DATA_DIR: /from/file\nSMS:\n  SETTINGS:\n    KAVENEGAR_COM_FROM: \"1000\"\n")
	c, err := LoadSources(Sources{
		File: file,
		Environ: []string{
			"CHELSERU_SERVER__LISTEN=127.0.0.1:7002",
			"CHELSERU_SMS__SETTINGS__KAVENEGAR_COM_API_KEY=k",
			"CHELSERU_AUTH__OPTIONS__OTP_LENGTH=6",
			"CHELSERU_SERVER__TRUSTED_PROXIES=10.0.0.0/8, 127.0.0.1",
			"CHELSERU_JWT__ROTATE_REFRESH_TOKENS=false",
			"CHELSERU_SMS__TIMEOUT=3s",
			"PATH=/bin",
		},
		Flags: []Flag{{Name: "--data-dir", Key: "SERVER.DATA_DIR", Value: "/from/flag"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Listen != "127.0.0.1:7002" || c.Server.DataDir != "/from/flag" {
		t.Errorf("listen %q data %q", c.Server.Listen, c.Server.DataDir)
	}
	if c.SMS.Settings["KAVENEGAR_COM_API_KEY"] != "k" || c.SMS.Settings["KAVENEGAR_COM_FROM"] != "1000" {
		t.Errorf("settings %v", c.SMS.Settings)
	}
	if c.Auth.Options.OTPLength != 6 || c.JWT.RotateRefreshTokens || c.SMS.Timeout.String() != "3s" {
		t.Errorf("otp %d rotate %v timeout %v", c.Auth.Options.OTPLength, c.JWT.RotateRefreshTokens, c.SMS.Timeout)
	}
	if len(c.Server.TrustedProxies) != 2 || c.Server.TrustedProxies[1].String() != "127.0.0.1/32" {
		t.Errorf("proxies %v", c.Server.TrustedProxies)
	}
	for key, want := range map[string]string{
		"SERVER.LISTEN":                      "env CHELSERU_SERVER__LISTEN",
		"SERVER.DATA_DIR":                    "flag --data-dir",
		"SMS.SETTINGS.KAVENEGAR_COM_FROM":    "file:6",
		"SMS.SETTINGS.KAVENEGAR_COM_API_KEY": "env CHELSERU_SMS__SETTINGS__KAVENEGAR_COM_API_KEY",
		"SERVER.MAX_CONNS":                   "default",
	} {
		if got := c.Source(key); got != want {
			t.Errorf("Source(%s) = %q, want %q", key, got, want)
		}
	}
}

func TestEnvFileVariant(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	if err := os.WriteFile(key, []byte("a-signing-key-from-a-mounted-secret-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "keys")
	if err := os.WriteFile(keys, []byte(strings.Repeat("a", 40)+"\n"+strings.Repeat("b", 40)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadSources(Sources{Environ: []string{
		"CHELSERU_JWT__SIGNING_KEY_FILE=" + key,
		"CHELSERU_AUTH__SERVICE_API_KEYS_FILE=" + keys,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if c.JWT.SigningKey != "a-signing-key-from-a-mounted-secret-file" || !c.JWT.SigningKeyFromEnv {
		t.Errorf("signing key %q fromEnv %v", c.JWT.SigningKey, c.JWT.SigningKeyFromEnv)
	}
	if len(c.Auth.ServiceAPIKeys) != 2 {
		t.Errorf("service keys: %d", len(c.Auth.ServiceAPIKeys))
	}
	_, err = LoadSources(Sources{Environ: []string{"CHELSERU_JWT__SIGNING_KEY_FILE=" + filepath.Join(dir, "missing")}})
	if err == nil || !strings.Contains(err.Error(), "CHELSERU_JWT__SIGNING_KEY_FILE") {
		t.Errorf("missing file: %v", err)
	}
}

func TestEnvErrorsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want []string
	}{
		{"CHELSERU_SERVER__LISTN=x", []string{"unknown key SERVER.LISTN", "(env CHELSERU_SERVER__LISTN)", "did you mean SERVER.LISTEN"}},
		{"CHELSERU_NOPE=1", []string{"unknown key NOPE", "env CHELSERU_NOPE"}},
		{"CHELSERU_AUTH__OPTIONS__OTP_LENGTH=99", []string{"AUTH.OPTIONS.OTP_LENGTH", "env CHELSERU_AUTH__OPTIONS__OTP_LENGTH"}},
		{"CHELSERU_AUTH__OPTIONS__OTP_LENGTH=six", []string{"whole number", "env CHELSERU_AUTH__OPTIONS__OTP_LENGTH"}},
		{"CHELSERU_SERVER____LISTEN=x", []string{"two underscores"}},
		{"CHELSERU_SERVER=x", []string{"SERVER must be a mapping", "env CHELSERU_SERVER"}},
	} {
		_, err := LoadSources(Sources{Environ: []string{tc.env}})
		if err == nil {
			t.Errorf("%s: accepted", tc.env)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.env, err, w)
			}
		}
	}
}

func TestEnvSigningKeyAlias(t *testing.T) {
	k := "a-key-from-the-environment-32-bytes-long"
	c, err := LoadSources(Sources{Environ: []string{EnvSigningKey + "=" + k}})
	if err != nil || c.JWT.SigningKey != k || !c.JWT.SigningKeyFromEnv {
		t.Fatalf("alias: %v", err)
	}
	_, err = LoadSources(Sources{Environ: []string{EnvSigningKey + "=" + k, "CHELSERU_JWT__SIGNING_KEY=" + k}})
	if err == nil || !strings.Contains(err.Error(), "set one") {
		t.Fatalf("both: %v", err)
	}
	// The tools' own switches are not keys.
	if _, err := LoadSources(Sources{Environ: []string{"CHELSERU_CPU_PROFILE=/tmp/x", EnvSigningKey + "="}}); err != nil {
		t.Fatal(err)
	}
}

// TestDescribeCoversEveryKey holds every key of the decoder's table to the
// naming rule Describe relies on, and checks secrets are masked.
func TestDescribeCoversEveryKey(t *testing.T) {
	keys := Keys()
	if len(keys) < 40 {
		t.Fatalf("only %d keys", len(keys))
	}
	c := Default()
	for _, k := range keys {
		if _, ok := c.fieldByPath(k.Path); !ok {
			t.Errorf("%s (%s) has no Config field of the same words", k.Path, k.Kind)
		}
		if k.Kind == KindScalar && k.Want == "" {
			t.Errorf("%s: no description", k.Path)
		}
	}
	c, err := LoadSources(Sources{Environ: []string{
		"CHELSERU_JWT__SIGNING_KEY=a-key-from-the-environment-32-bytes-long",
		"CHELSERU_SMS__SETTINGS__X_API_KEY=topsecret",
		"CHELSERU_SMS__SETTINGS__X_FROM=1000",
		"CHELSERU_SMS__SETTINGS__X_WORD=pw",
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Setting{}
	for _, s := range c.Describe(map[string]bool{"X_WORD": true}) {
		got[s.Key] = s
	}
	for key, want := range map[string]string{
		"JWT.SIGNING_KEY":           Mask,
		"SMS.SETTINGS.X_API_KEY":    Mask,
		"SMS.SETTINGS.X_WORD":       Mask,
		"SMS.SETTINGS.X_FROM":       "1000",
		"SERVER.LISTEN":             "127.0.0.1:8000",
		"AUTH.SERVICE_API_KEYS":     "[]",
		"JWT.ACCESS_TOKEN_LIFETIME": "5m0s",
		"LOG.LEVEL":                 "info",
		"JWT.ROTATE_REFRESH_TOKENS": "true",
		"SMS.TEMPLATES":             "{}",
	} {
		if got[key].Value != want {
			t.Errorf("%s = %q, want %q", key, got[key].Value, want)
		}
	}
	if got["JWT.SIGNING_KEY"].Source != "env CHELSERU_JWT__SIGNING_KEY" {
		t.Errorf("source %q", got["JWT.SIGNING_KEY"].Source)
	}
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"KAVENEGAR_COM_API_KEY": true, "MELI_PAYAMAK_COM_PASSWORD": true, "JWT.SIGNING_KEY": true,
		"SERVER.ADMIN_TOKEN": true, "AUTH.SERVICE_API_KEYS": true, "CAPTCHA_SECRET": true,
		"JWT.ROTATE_REFRESH_TOKENS": false, "JWT.ACCESS_TOKEN_LIFETIME": false, "KAVENEGAR_COM_FROM": false,
		"SERVER.ADMIN_TOKEN_FILE": false, "SERVER.CORS_ALLOW_CREDENTIALS": false,
	} {
		if SecretName(name) != want {
			t.Errorf("SecretName(%s) = %v", name, !want)
		}
	}
}

func TestCORSKeys(t *testing.T) {
	c, err := LoadSources(Sources{Environ: []string{"CHELSERU_SERVER__CORS_ALLOWED_ORIGINS=https://app.example.com, http://localhost:3000"}})
	if err != nil || len(c.Server.CORSAllowedOrigins) != 2 || c.Server.CORSAllowedOrigins[1] != "http://localhost:3000" || c.Server.CORSMaxAge != DefaultCORSMaxAge || c.Server.CORSAllowCredentials {
		t.Fatalf("%v %+v", err, c.Server)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"SERVER:\n  CORS_ALLOWED_ORIGINS: https://a.example\n", "must be a list of origins"},
		{"SERVER:\n  CORS_ALLOWED_ORIGINS: [https://a.example/app]\n", "no path"},
		{"SERVER:\n  CORS_ALLOWED_ORIGINS: [a.example]\n", "not an origin"},
		{"SERVER:\n  CORS_ALLOWED_ORIGINS: [ftp://a.example]\n", "http:// or https://"},
		{"SERVER:\n  CORS_ALLOWED_ORIGINS: [https://A.example]\n", "lower case"},
		{"SERVER:\n  CORS_ALLOWED_ORIGINS: ['*']\n  CORS_ALLOW_CREDENTIALS: true\n", "cannot go with SERVER.CORS_ALLOW_CREDENTIALS"},
		{"SERVER:\n  CORS_MAX_AGE: 48h\n", "SERVER.CORS_MAX_AGE must be between"},
	} {
		if _, err := Parse([]byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// TestExampleHasEveryKey: chelseru.example.yaml, "a complete file with every
// key", names every key of the decoder's table.
func TestExampleHasEveryKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "chelseru.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys() {
		if _, ok := c.lines[k.Path]; !ok {
			t.Errorf("chelseru.example.yaml lacks %s", k.Path)
		}
	}
}
