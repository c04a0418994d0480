package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testdata/spec.yaml is the example file of the API spec (api.md, "Config
// file"), copied verbatim: it must load as it stands.

func TestSpecFileLoads(t *testing.T) {
	t.Setenv(EnvSigningKey, "")
	c, err := Load("testdata/spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.JWT.SigningKey = "replace-with-32-or-more-random-bytes"
	want.Auth.ServiceAPIKeys = []string{}
	want.SMS.SMSService = "KAVENEGAR_COM"
	want.SMS.Settings = map[string]string{
		"KAVENEGAR_COM_API_KEY":     "test-key",
		"KAVENEGAR_COM_FROM":        "10004346",
		"KAVENEGAR_COM_BASE_URL":    "http://127.0.0.1:18080",
		"PARSIAN_WEBCO_IR_API_KEY":  "",
		"MELI_PAYAMAK_COM_USERNAME": "",
		"MELI_PAYAMAK_COM_PASSWORD": "",
		"MELI_PAYAMAK_COM_FROM":     "",
	}
	want.SMS.Templates = map[string]int64{"T1": 1}
	want.lines = c.lines
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("spec file\n got %+v\nwant %+v", c, want)
	}
	if c.lines["AUTH.OPTIONS.OTP_LENGTH"] != 15 {
		t.Fatalf("line of OTP_LENGTH = %d, want 15", c.lines["AUTH.OPTIONS.OTP_LENGTH"])
	}
}

func TestDefaults(t *testing.T) {
	t.Setenv(EnvSigningKey, "")
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"LISTEN", d.Server.Listen, "127.0.0.1:8000"},
		{"DATA_DIR", d.Server.DataDir, "./data"},
		{"PLUGINS_DIR", d.Server.PluginsDir, "./plugins"},
		{"TRUSTED_PROXIES", len(d.Server.TrustedProxies), 0},
		{"MAX_BODY_BYTES", d.Server.MaxBodyBytes, 16384},
		{"SIGNING_KEY", d.JWT.SigningKey, ""},
		{"ALGORITHM", d.JWT.Algorithm, "HS256"},
		{"ACCESS_TOKEN_LIFETIME", d.JWT.AccessTokenLifetime, 5 * time.Minute},
		{"REFRESH_TOKEN_LIFETIME", d.JWT.RefreshTokenLifetime, 24 * time.Hour},
		{"ROTATE_REFRESH_TOKENS", d.JWT.RotateRefreshTokens, true},
		{"AUTH_METHOD", d.Auth.AuthMethod, "OTP"},
		{"OTP_LENGTH", d.Auth.Options.OTPLength, 8},
		{"OTP_EXPIRE_PER_MINUTES", d.Auth.Options.OTPExpiry(), 4 * time.Minute},
		{"OTP_SMS_TEMPLATE_ID", d.Auth.Options.OTPSMSTemplateID, int64(1)},
		{"OTP_MAX_ATTEMPTS", d.Auth.Options.OTPMaxAttempts, 5},
		{"OTP_SENDS_PER_NUMBER_PER_HOUR", d.Auth.Options.OTPSendsPerNumberPerHour, 5},
		{"OTP_SENDS_PER_IP_PER_HOUR", d.Auth.Options.OTPSendsPerIPPerHour, 50},
		{"TIMEOUT", d.SMS.Timeout, 10 * time.Second},
		{"SMS_SERVICE", d.SMS.SMSService, "CONSOLE"},
		{"SETTINGS", len(d.SMS.Settings), 0},
		{"PLUGIN_MEMORY_LIMIT_MB", d.SMS.PluginMemoryLimitPages(), uint32(512)},
		{"PLUGIN_CALL_TIMEOUT", d.SMS.PluginCallTimeout, 100 * time.Millisecond},
		{"PLUGIN_POOL_SIZE", d.SMS.EffectivePoolSize(), numCPU(0)},
		{"PLUGIN_MAX_RESPONSE_BYTES", d.SMS.PluginMaxResponseBytes, int64(1 << 20)},
		{"LOG.LEVEL", d.Log.Level, slog.LevelInfo},
		{"LOG.FORMAT", d.Log.Format, "text"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("default %s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// No file, an empty file, a file of comments, and empty sections all
	// mean the defaults.
	for _, src := range []string{"", "# nothing\n", "---\n", "~", "SERVER:\nJWT: ~\nAUTH:\n  OPTIONS:\nSMS:\nLOG:\n"} {
		c, err := Parse([]byte(src))
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		c.lines = nil
		if !reflect.DeepEqual(c, Default()) {
			t.Errorf("Parse(%q) = %+v, want defaults", src, c)
		}
	}
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("Load(\"\") = %+v, want defaults", c)
	}
}

func TestValues(t *testing.T) {
	src := `
SERVER:
  LISTEN: ":0"
  PLUGINS_DIR: ""
  TRUSTED_PROXIES: [127.0.0.1, "10.1.2.3/8", "::1", "::ffff:192.0.2.1", 2001:db8::/32]
  MAX_BODY_BYTES: 0x10000
  READ_TIMEOUT: 1m30s
  MAX_CONNS_PER_IP: "64"
JWT:
  ALGORITHM: HS256
  SIGNING_KEY: 123456789012345678901234567890123
  ROTATE_REFRESH_TOKENS: no
  REFRESH_TOKEN_LIFETIME: 168h
AUTH:
  AUTH_METHOD: PASSWD
  OPTIONS:
    OTP_LENGTH: "6"
    OTP_SENDS_PER_NUMBER_PER_HOUR: 1_000_000
SMS:
  SETTINGS:
    A_FROM: 10004346
    B_FROM: "10004346"
    C_FROM: 09121234567
    D_RATE: 1.50
    E_FLAG: true
    F_EMPTY:
    G_MULTI: |
      two
      lines
  TEMPLATES:
    T1: 1
    T2: "200"
  PLUGIN_SHA256:
    MY_SMS: ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789
  PLUGIN_POOL_SIZE: 3
LOG:
  LEVEL: DEBUG
  FORMAT: json
`
	c, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	wantProxies := []netip.Prefix{
		netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("2001:db8::/32"),
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"LISTEN", c.Server.Listen, ":0"},
		{"PLUGINS_DIR", c.Server.PluginsDir, ""},
		{"DATA_DIR kept", c.Server.DataDir, "./data"},
		{"TRUSTED_PROXIES", c.Server.TrustedProxies, wantProxies},
		{"MAX_BODY_BYTES", c.Server.MaxBodyBytes, 65536},
		{"READ_TIMEOUT", c.Server.ReadTimeout, 90 * time.Second},
		{"MAX_CONNS_PER_IP", c.Server.MaxConnsPerIP, 64},
		{"SIGNING_KEY", c.JWT.SigningKey, "123456789012345678901234567890123"},
		{"ROTATE_REFRESH_TOKENS", c.JWT.RotateRefreshTokens, false},
		{"REFRESH_TOKEN_LIFETIME", c.JWT.RefreshTokenLifetime, 7 * 24 * time.Hour},
		{"AUTH_METHOD", c.Auth.AuthMethod, "PASSWD"},
		{"OTP_LENGTH", c.Auth.Options.OTPLength, 6},
		{"OTP_SENDS_PER_NUMBER_PER_HOUR", c.Auth.Options.OTPSendsPerNumberPerHour, 1000000},
		{"SETTINGS", c.SMS.Settings, map[string]string{"A_FROM": "10004346", "B_FROM": "10004346", "C_FROM": "09121234567",
			"D_RATE": "1.50", "E_FLAG": "true", "F_EMPTY": "", "G_MULTI": "two\nlines\n"}},
		{"TEMPLATES", c.SMS.Templates, map[string]int64{"T1": 1, "T2": 200}},
		{"PLUGIN_SHA256 lower-cased", c.SMS.PluginSHA256["MY_SMS"], "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"},
		{"PLUGIN_POOL_SIZE", c.SMS.EffectivePoolSize(), 3},
		{"LOG.LEVEL", c.Log.Level, slog.LevelDebug},
		{"LOG.FORMAT", c.Log.Format, "json"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
}

// TestErrors asserts the exact one-line message of every kind of mistake.
func TestErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		// Shape.
		{"not yaml", "SERVER: [", "config file is not valid YAML: line 1: did not find expected node content"},
		{"tab indentation", "SERVER:\n\tLISTEN: x\n", "config file is not valid YAML: line 2: found character that cannot start any token"},
		{"two documents", "SERVER: {}\n---\nJWT: {}\n", "config file holds more than one YAML document (line 2)"},
		{"root is a list", "- a\n- b\n", "the config file must be a mapping of keys (SERVER, JWT, AUTH, SMS, LOG, STORAGE, CHAT), got a list (line 1)"},
		{"root is a scalar", "hello\n", `the config file must be a mapping of keys (SERVER, JWT, AUTH, SMS, LOG, STORAGE, CHAT), got "hello" (line 1)`},
		{"section is a scalar", "SMS: KAVENEGAR\n", `SMS must be a mapping of keys (TIMEOUT, USER_MESSAGES, USER_MESSAGES_PER_HOUR, SMS_SERVICE, SETTINGS, TEMPLATES, PLUGIN_SHA256, PLUGIN_MEMORY_LIMIT_MB, PLUGIN_CALL_TIMEOUT, PLUGIN_POOL_SIZE, PLUGIN_IDLE_TIMEOUT, PLUGIN_MAX_RESPONSE_BYTES, TEMPLATE_PARAMS, PLUGIN_MAX_MODULE_BYTES, PLUGIN_INTERRUPT, PLUGIN_ALLOWED_HOSTS, PLUGIN_OVERRIDES, PROVIDER_IDLE_TIMEOUT, MAX_PER_HOUR, MAX_PER_DAY), got "KAVENEGAR" (line 1)`},
		{"key is a list", "[a]: 1\n", "config file: keys must be plain names, got a list (line 1)"},

		// Unknown and repeated keys.
		{"unknown section", "SERVERS:\n  LISTEN: x\n", "unknown key SERVERS (line 1); did you mean SERVER?"},
		{"unknown key, typo", "SMS:\n  TIMEOUT: 5s\n  SETINGS: {}\n", "unknown key SMS.SETINGS (line 3); did you mean SMS.SETTINGS?"},
		{"unknown key, lower case", "SERVER:\n  listen: x\n", "unknown key SERVER.listen (line 2); did you mean SERVER.LISTEN? (keys are upper case)"},
		{"unknown key, nothing close", "AUTH:\n  OPTIONS:\n    FROBNICATE: 1\n", "unknown key AUTH.OPTIONS.FROBNICATE (line 3)"},
		{"simplejwt key we do not have", "JWT:\n  VERIFYING_KEY: x\n", "unknown key JWT.VERIFYING_KEY (line 2)"},
		{"merge key", "base: &b {LISTEN: x}\n", "unknown key base (line 1)"},
		{"key set twice", "SMS:\n  TIMEOUT: 5s\n  TIMEOUT: 6s\n", "SMS.TIMEOUT is set twice (lines 2 and 3)"},
		{"section set twice", "SMS: {}\nJWT: {}\nSMS: {}\n", "SMS is set twice (lines 1 and 3)"},
		{"setting set twice", "SMS:\n  SETTINGS:\n    A: 1\n    A: 2\n", "SMS.SETTINGS.A is set twice (lines 3 and 4)"},

		// SERVER.
		{"listen without port", "SERVER:\n  LISTEN: 8000\n", `SERVER.LISTEN must be host:port (e.g. 127.0.0.1:8000), got "8000" (line 2)`},
		{"listen port range", "SERVER:\n  LISTEN: 127.0.0.1:70000\n", `SERVER.LISTEN: the port must be a number from 0 to 65535, got "70000" (line 2)`},
		{"listen port name", "SERVER:\n  LISTEN: localhost:http\n", `SERVER.LISTEN: the port must be a number from 0 to 65535, got "http" (line 2)`},
		{"listen list", "SERVER:\n  LISTEN: [a]\n", "SERVER.LISTEN must be a string, got a list (line 2)"},
		{"data dir empty", "SERVER:\n  DATA_DIR: \"\"\n", "SERVER.DATA_DIR must not be empty (line 2)"},
		{"proxies not a list", "SERVER:\n  TRUSTED_PROXIES: 10.0.0.1\n", `SERVER.TRUSTED_PROXIES must be a list of IP addresses or CIDRs (e.g. [127.0.0.1, 10.0.0.0/8]), got "10.0.0.1" (line 2)`},
		{"proxy bad", "SERVER:\n  TRUSTED_PROXIES:\n    - 10.0.0.1\n    - 10.0.0.300\n", `SERVER.TRUSTED_PROXIES[1]: "10.0.0.300" is not an IP address or CIDR (e.g. 10.0.0.0/8) (line 4)`},
		{"proxy host name", "SERVER:\n  TRUSTED_PROXIES: [proxy.local]\n", `SERVER.TRUSTED_PROXIES[0]: "proxy.local" is not an IP address or CIDR (e.g. 10.0.0.0/8) (line 2)`},
		{"proxy bad bits", "SERVER:\n  TRUSTED_PROXIES: [10.0.0.0/33]\n", `SERVER.TRUSTED_PROXIES[0]: "10.0.0.0/33" is not an IP address or CIDR (e.g. 10.0.0.0/8) (line 2)`},
		{"proxy empty", "SERVER:\n  TRUSTED_PROXIES: [~]\n", `SERVER.TRUSTED_PROXIES[0]: "" is not an IP address or CIDR (e.g. 10.0.0.0/8) (line 2)`},
		{"body too small", "SERVER:\n  MAX_BODY_BYTES: 10\n", "SERVER.MAX_BODY_BYTES must be between 1024 and 67108864, got 10 (line 2)"},
		{"body not a number", "SERVER:\n  MAX_BODY_BYTES: 64KiB\n", `SERVER.MAX_BODY_BYTES must be a whole number, got "64KiB" (line 2)`},
		{"timeout zero", "SERVER:\n  IDLE_TIMEOUT: 0s\n", "SERVER.IDLE_TIMEOUT must be between 1ms and 24h0m0s, got 0s (line 2)"},
		{"max conns zero", "SERVER:\n  MAX_CONNS: 0\n", "SERVER.MAX_CONNS must be between 1 and 1000000, got 0 (line 2)"},
		{"conns per ip negative", "SERVER:\n  MAX_CONNS_PER_IP: -1\n", "SERVER.MAX_CONNS_PER_IP must be between 0 and 1000000, got -1 (line 2)"},

		// JWT.
		{"algorithm RS256", "JWT:\n  ALGORITHM: RS256\n", `JWT.ALGORITHM must be HS256 or EdDSA, got "RS256" (line 2)`},
		{"algorithm none", "JWT:\n  ALGORITHM: none\n", `JWT.ALGORITHM must be HS256 or EdDSA, got "none" (line 2)`},
		{"algorithm lower case", "JWT:\n  ALGORITHM: hs256\n", `JWT.ALGORITHM must be HS256 or EdDSA, got "hs256" (line 2)`},
		{"lifetime bare number", "JWT:\n  ACCESS_TOKEN_LIFETIME: 300\n", "JWT.ACCESS_TOKEN_LIFETIME: 300 is a bare number; a duration needs a unit, e.g. 300s (line 2)"},
		{"lifetime quoted bare number", "JWT:\n  ACCESS_TOKEN_LIFETIME: \"300\"\n", "JWT.ACCESS_TOKEN_LIFETIME: 300 is a bare number; a duration needs a unit, e.g. 300s (line 2)"},
		{"lifetime in days", "JWT:\n  REFRESH_TOKEN_LIFETIME: 7d\n", `JWT.REFRESH_TOKEN_LIFETIME: "7d" is not a duration: Go durations have no days, write 168h (line 2)`},
		{"lifetime too short", "JWT:\n  ACCESS_TOKEN_LIFETIME: 500ms\n", "JWT.ACCESS_TOKEN_LIFETIME must be between 1s and 8784h0m0s, got 500ms (line 2)"},
		{"lifetime negative", "JWT:\n  REFRESH_TOKEN_LIFETIME: -1h\n", "JWT.REFRESH_TOKEN_LIFETIME must be between 1s and 87840h0m0s, got -1h0m0s (line 2)"},
		{"rotate maybe", "JWT:\n  ROTATE_REFRESH_TOKENS: maybe\n", `JWT.ROTATE_REFRESH_TOKENS must be true or false, got "maybe" (line 2)`},
		{"rotate mapping", "JWT:\n  ROTATE_REFRESH_TOKENS: {a: 1}\n", "JWT.ROTATE_REFRESH_TOKENS must be true or false, got a mapping (line 2)"},
		{"EdDSA key not base64", "JWT:\n  ALGORITHM: EdDSA\n  SIGNING_KEY: change-me\n", "JWT.SIGNING_KEY must be the base64 of a 32-byte Ed25519 seed or a PKCS#8 PEM private key when JWT.ALGORITHM is EdDSA (line 3)"},
		{"EdDSA key wrong length", "JWT:\n  ALGORITHM: EdDSA\n  SIGNING_KEY: AAAA\n", "JWT.SIGNING_KEY must be the base64 of a 32-byte Ed25519 seed or a PKCS#8 PEM private key when JWT.ALGORITHM is EdDSA (line 3)"},

		// AUTH.
		{"auth method", "AUTH:\n  AUTH_METHOD: SMS\n", `AUTH.AUTH_METHOD must be OTP or PASSWD, got "SMS" (line 2)`},
		{"otp length high", "AUTH:\n  OPTIONS:\n    OTP_LENGTH: 20\n", "AUTH.OPTIONS.OTP_LENGTH must be between 3 and 10, got 20 (line 3)"},
		{"otp length low", "AUTH:\n  OPTIONS:\n    OTP_LENGTH: 2\n", "AUTH.OPTIONS.OTP_LENGTH must be between 3 and 10, got 2 (line 3)"},
		{"otp length word", "AUTH:\n  OPTIONS:\n    OTP_LENGTH: eight\n", `AUTH.OPTIONS.OTP_LENGTH must be a whole number, got "eight" (line 3)`},
		{"otp length float", "AUTH:\n  OPTIONS:\n    OTP_LENGTH: 8.5\n", `AUTH.OPTIONS.OTP_LENGTH must be a whole number, got "8.5" (line 3)`},
		{"otp length bool", "AUTH:\n  OPTIONS:\n    OTP_LENGTH: true\n", `AUTH.OPTIONS.OTP_LENGTH must be a whole number, got "true" (line 3)`},
		{"otp length huge", "AUTH:\n  OPTIONS:\n    OTP_LENGTH: 99999999999999999999\n", "AUTH.OPTIONS.OTP_LENGTH is out of range, got 99999999999999999999 (line 3)"},
		{"otp length beyond int32", "AUTH:\n  OPTIONS:\n    OTP_LENGTH: 9999999999\n", "AUTH.OPTIONS.OTP_LENGTH is out of range, got 9999999999 (line 3)"},
		{"otp expire zero", "AUTH:\n  OPTIONS:\n    OTP_EXPIRE_PER_MINUTES: 0\n", "AUTH.OPTIONS.OTP_EXPIRE_PER_MINUTES must be between 1 and 1440, got 0 (line 3)"},
		{"template id negative", "AUTH:\n  OPTIONS:\n    OTP_SMS_TEMPLATE_ID: -1\n", "AUTH.OPTIONS.OTP_SMS_TEMPLATE_ID must be between 0 and 9007199254740992, got -1 (line 3)"},
		{"max attempts zero", "AUTH:\n  OPTIONS:\n    OTP_MAX_ATTEMPTS: 0\n", "AUTH.OPTIONS.OTP_MAX_ATTEMPTS must be between 1 and 100, got 0 (line 3)"},
		{"sends per number zero", "AUTH:\n  OPTIONS:\n    OTP_SENDS_PER_NUMBER_PER_HOUR: 0\n", "AUTH.OPTIONS.OTP_SENDS_PER_NUMBER_PER_HOUR must be between 1 and 1000000000, got 0 (line 3)"},
		{"sends per ip zero", "AUTH:\n  OPTIONS:\n    OTP_SENDS_PER_IP_PER_HOUR: 0\n", "AUTH.OPTIONS.OTP_SENDS_PER_IP_PER_HOUR must be between 1 and 1000000000, got 0 (line 3)"},

		// SMS.
		{"timeout word", "SMS:\n  TIMEOUT: ten\n", `SMS.TIMEOUT: "ten" is not a duration (e.g. 10s) (line 2)`},
		{"timeout bare", "SMS:\n  TIMEOUT: 10\n", "SMS.TIMEOUT: 10 is a bare number; a duration needs a unit, e.g. 10s (line 2)"},
		{"timeout too long", "SMS:\n  TIMEOUT: 1h\n", "SMS.TIMEOUT must be between 1ms and 10m0s, got 1h0m0s (line 2)"},
		{"service empty", "SMS:\n  SMS_SERVICE: \"\"\n", `SMS.SMS_SERVICE must be a provider name such as KAVENEGAR_COM or CONSOLE, got "" (line 2)`},
		{"service with space", "SMS:\n  SMS_SERVICE: KAVENEGAR COM\n", `SMS.SMS_SERVICE must be a provider name such as KAVENEGAR_COM or CONSOLE, got "KAVENEGAR COM" (line 2)`},
		{"settings a list", "SMS:\n  SETTINGS: [a, b]\n", "SMS.SETTINGS must be a mapping of names to values, got a list (line 2)"},
		{"setting a mapping", "SMS:\n  SETTINGS:\n    KAVENEGAR_COM_API_KEY: {a: b}\n", "SMS.SETTINGS.KAVENEGAR_COM_API_KEY must be a string or a number, got a mapping (line 3)"},
		{"setting empty key", "SMS:\n  SETTINGS:\n    \"\": x\n", `SMS.SETTINGS: keys must be non-empty names, got "" (line 3)`},
		{"template a word", "SMS:\n  TEMPLATES:\n    T1: one\n", `SMS.TEMPLATES.T1 must be a whole number, got "one" (line 3)`},
		{"template empty", "SMS:\n  TEMPLATES:\n    T1:\n", "SMS.TEMPLATES.T1 must be a whole number, got nothing (line 3)"},
		{"template negative", "SMS:\n  TEMPLATES:\n    T1: -5\n", "SMS.TEMPLATES.T1 must be between 0 and 9007199254740992, got -5 (line 3)"},
		{"sha256 short", "SMS:\n  PLUGIN_SHA256:\n    X: abc\n", `SMS.PLUGIN_SHA256.X must be 64 hex digits (sha256sum of the .wasm file), got "abc" (line 3)`},
		{"memory zero", "SMS:\n  PLUGIN_MEMORY_LIMIT_MB: 0\n", "SMS.PLUGIN_MEMORY_LIMIT_MB must be between 1 and 4096, got 0 (line 2)"},
		{"call timeout bare", "SMS:\n  PLUGIN_CALL_TIMEOUT: 100\n", "SMS.PLUGIN_CALL_TIMEOUT: 100 is a bare number; a duration needs a unit, e.g. 100s (line 2)"},
		{"call timeout zero", "SMS:\n  PLUGIN_CALL_TIMEOUT: 0s\n", "SMS.PLUGIN_CALL_TIMEOUT must be between 1ms and 1m0s, got 0s (line 2)"},
		{"pool negative", "SMS:\n  PLUGIN_POOL_SIZE: -1\n", "SMS.PLUGIN_POOL_SIZE must be between 0 and 1024, got -1 (line 2)"},
		{"response bytes small", "SMS:\n  PLUGIN_MAX_RESPONSE_BYTES: 1\n", "SMS.PLUGIN_MAX_RESPONSE_BYTES must be between 1024 and 67108864, got 1 (line 2)"},

		// LOG.
		{"log level", "LOG:\n  LEVEL: verbose\n", `LOG.LEVEL must be debug, info, warn or error, got "verbose" (line 2)`},
		{"log format", "LOG:\n  FORMAT: xml\n", `LOG.FORMAT must be text or json, got "xml" (line 2)`},
		{"long value cut short", "LOG:\n  FORMAT: " + strings.Repeat("x", 5000) + "\n", `LOG.FORMAT must be text or json, got "` + strings.Repeat("x", 60) + `..." (line 2)`},
		{"long number cut short", "AUTH:\n  OPTIONS:\n    OTP_LENGTH: " + strings.Repeat("9", 100) + "\n", "AUTH.OPTIONS.OTP_LENGTH is out of range, got " + strings.Repeat("9", 60) + "... (line 3)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(c.src))
			if err == nil {
				t.Fatalf("accepted: %+v", cfg)
			}
			if err.Error() != c.want {
				t.Fatalf("error\n got %s\nwant %s", err, c.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not a *config.Error", err)
			}
			assertOneLine(t, err)
		})
	}
}

// assertOneLine checks the style rules: one line, no Go type names.
func assertOneLine(t *testing.T, err error) {
	t.Helper()
	s := err.Error()
	if strings.ContainsAny(s, "\n\r") {
		t.Errorf("message spans lines: %q", s)
	}
	for _, bad := range []string{"config.", "int64", "string into", "yaml.", "*", "goroutine", "panic", "!!"} {
		if strings.Contains(s, bad) {
			t.Errorf("message %q contains %q", s, bad)
		}
	}
}

// TestValidateInCode checks that Validate names the key of a Config changed
// in code, without a line.
func TestValidateInCode(t *testing.T) {
	c := Default()
	c.Auth.Options.OTPLength = 20
	if err := c.Validate(); err == nil || err.Error() != "AUTH.OPTIONS.OTP_LENGTH must be between 3 and 10, got 20" {
		t.Fatalf("Validate = %v", err)
	}
	c = Default()
	c.SMS.Templates["X"] = -1
	if err := c.Validate(); err == nil || err.Error() != "SMS.TEMPLATES.X must be between 0 and 9007199254740992, got -1" {
		t.Fatalf("Validate = %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Setenv(EnvSigningKey, "")
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.HasPrefix(err.Error(), "cannot read config file: open ") {
		t.Fatalf("missing file: %v", err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", MaxFileBytes)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "is larger than 1048576 bytes") {
		t.Fatalf("big file: %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("AUTH:\n  OPTIONS:\n    OTP_LENGTH: 20\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || err.Error() != "AUTH.OPTIONS.OTP_LENGTH must be between 3 and 10, got 20 (line 3)" {
		t.Fatalf("bad file: %v", err)
	}
}

func TestEnvOverride(t *testing.T) {
	t.Setenv(EnvSigningKey, "a-key-from-the-environment-32-bytes-long")
	c, err := Load("testdata/spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.JWT.SigningKey != "a-key-from-the-environment-32-bytes-long" || !c.JWT.SigningKeyFromEnv {
		t.Fatalf("env not applied: %v", c.JWT)
	}
	key, src, err := c.SigningKey()
	if err != nil || string(key) != "a-key-from-the-environment-32-bytes-long" || src != KeyFromEnv {
		t.Fatalf("SigningKey = %q, %v, %v", key, src, err)
	}
	if len(c.Warnings()) != 0 {
		t.Fatalf("warnings: %q", c.Warnings())
	}

	// With no file too.
	c, err = Load("")
	if err != nil || c.JWT.SigningKey != "a-key-from-the-environment-32-bytes-long" {
		t.Fatalf("Load(\"\"): %v, %v", c.JWT, err)
	}

	// An empty variable is as good as unset.
	t.Setenv(EnvSigningKey, "")
	c, err = Load("testdata/spec.yaml")
	if err != nil || c.JWT.SigningKey != "replace-with-32-or-more-random-bytes" || c.JWT.SigningKeyFromEnv {
		t.Fatalf("empty env: %v, %v", c.JWT, err)
	}

	// A bad key from the environment is named by the variable.
	t.Setenv(EnvSigningKey, "not base64!")
	dir := t.TempDir()
	f := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(f, []byte("JWT:\n  ALGORITHM: EdDSA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(f)
	if want := EnvSigningKey + " must be the base64 of a 32-byte Ed25519 seed or a PKCS#8 PEM private key when JWT.ALGORITHM is EdDSA"; err == nil || err.Error() != want {
		t.Fatalf("bad env key: %v", err)
	}
	if strings.Contains(err.Error(), "not base64!") {
		t.Fatal("error leaks the key")
	}
}

func TestWarnings(t *testing.T) {
	c, err := Parse([]byte(`
JWT:
  ACCESS_TOKEN_LIFETIME: 48h
SERVER:
  TRUSTED_PROXIES: [0.0.0.0/0]
SMS:
  TIMEOUT: 50ms
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"JWT.ACCESS_TOKEN_LIFETIME (48h0m0s) is longer than JWT.REFRESH_TOKEN_LIFETIME (24h0m0s)",
		"SERVER.TRUSTED_PROXIES holds 0.0.0.0/0: every client can choose its own address with X-Forwarded-For, which defeats the per-address limits",
		"SMS.SMS_SERVICE is CONSOLE: messages, codes included, are written to the log, not sent",
		"SMS.PLUGIN_CALL_TIMEOUT (100ms) is longer than SMS.TIMEOUT (50ms)",
	}
	if got := c.Warnings(); !reflect.DeepEqual(got, want) {
		t.Fatalf("warnings\n got %q\nwant %q", got, want)
	}
	for _, w := range c.Warnings() {
		if strings.Contains(w, "change-me") {
			t.Fatalf("warning leaks the key: %s", w)
		}
	}
}

func TestPrintingHidesSecrets(t *testing.T) {
	c, err := Parse([]byte("JWT:\n  SIGNING_KEY: sekrit-signing-key-of-32-bytes-or-more\nAUTH:\n  SERVICE_API_KEYS: [sekrit-service-key-of-32-bytes-or-more]\nSMS:\n  SETTINGS:\n    KAVENEGAR_COM_API_KEY: sekrit-api-key\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		s := fmt.Sprintf(verb, c)
		if strings.Contains(s, "sekrit") {
			t.Errorf("%s prints a secret: %s", verb, s)
		}
		if !strings.Contains(s, "KAVENEGAR_COM_API_KEY") {
			t.Errorf("%s hides the setting names too: %s", verb, s)
		}
	}
}
