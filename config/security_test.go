package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWeakSigningKeyRefused: an HS256 key shorter than 32 bytes is an error
// naming where it came from (the file, the environment or the key file),
// never a warning, and the message never holds the key.
func TestWeakSigningKeyRefused(t *testing.T) {
	t.Setenv(EnvSigningKey, "")
	for _, key := range []string{"change-me", "x", strings.Repeat("k", 31)} {
		_, err := Parse([]byte("JWT:\n  SIGNING_KEY: " + key + "\n"))
		if err == nil || !strings.HasPrefix(err.Error(), "JWT.SIGNING_KEY is ") || !strings.Contains(err.Error(), "at least 32 random bytes") {
			t.Fatalf("key of %d bytes: %v", len(key), err)
		}
		if strings.Contains(err.Error(), key) {
			t.Fatalf("error leaks the key: %v", err)
		}
	}
	if _, err := Parse([]byte("JWT:\n  SIGNING_KEY: " + strings.Repeat("k", 32) + "\n")); err != nil {
		t.Fatalf("32-byte key: %v", err)
	}
	// EdDSA keys are checked as seeds, not by length of text.
	t.Setenv(EnvSigningKey, "short-env-key")
	_, err := Load("")
	if err == nil || !strings.HasPrefix(err.Error(), EnvSigningKey+" is 13 bytes long") {
		t.Fatalf("weak key from the environment: %v", err)
	}
	// A key file cut short by hand is refused too.
	t.Setenv(EnvSigningKey, "")
	dir := t.TempDir()
	c := Default()
	c.Server.DataDir = dir
	if err := os.WriteFile(filepath.Join(dir, KeyFileName), []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.SigningKey(); err == nil || !strings.Contains(err.Error(), "is 5 bytes long") {
		t.Fatalf("weak key file: %v", err)
	}
}

func TestSecuritySettings(t *testing.T) {
	t.Setenv(EnvSigningKey, "")
	d := Default()
	if d.Server.MaxConnsPerIP != DefaultMaxConnsPerIP || d.SMS.UserMessages || d.SMS.UserMessagesPerHour != 10 ||
		d.Auth.Options.AuthenticatePerIPPerHour != 300 || d.Auth.Options.RefreshPerIPPerHour != 3600 ||
		d.Auth.Options.OTPSendsPerNumberPerIPPerHour != 3 || len(d.Auth.ServiceAPIKeys) != 0 {
		t.Fatalf("defaults %+v %+v %+v", d.Server, d.Auth, d.SMS)
	}
	key := strings.Repeat("a", 40)
	c, err := Parse([]byte("AUTH:\n  SERVICE_API_KEYS: [" + key + "]\n  OPTIONS:\n    AUTHENTICATE_PER_IP_PER_HOUR: 7\n    REFRESH_PER_IP_PER_HOUR: 8\n    OTP_SENDS_PER_NUMBER_PER_IP_PER_HOUR: 0\nSMS:\n  USER_MESSAGES: true\n  USER_MESSAGES_PER_HOUR: 2\nSERVER:\n  MAX_CONNS_PER_IP: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Auth.ServiceAPIKeys) != 1 || c.Auth.ServiceAPIKeys[0] != key || c.Auth.Options.AuthenticatePerIPPerHour != 7 ||
		c.Auth.Options.RefreshPerIPPerHour != 8 || c.Auth.Options.OTPSendsPerNumberPerIPPerHour != 0 ||
		!c.SMS.UserMessages || c.SMS.UserMessagesPerHour != 2 || c.Server.MaxConnsPerIP != 0 {
		t.Fatalf("parsed %+v %+v", c.Auth.Options, c.SMS)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"AUTH:\n  SERVICE_API_KEYS: [short-secret]\n", "AUTH.SERVICE_API_KEYS[0] is 12 bytes long; a service key must be at least 32 random bytes (line 2)"},
		{"AUTH:\n  SERVICE_API_KEYS: [" + key + ", " + key + "]\n", "AUTH.SERVICE_API_KEYS[1] repeats AUTH.SERVICE_API_KEYS[0] (line 2)"},
		{"AUTH:\n  SERVICE_API_KEYS: short-secret\n", "AUTH.SERVICE_API_KEYS must be a list of strings, got a single value (line 2)"},
		{"AUTH:\n  SERVICE_API_KEYS: [\"with space with space with space with\"]\n", "AUTH.SERVICE_API_KEYS[0] must be printable ASCII without spaces (it is sent in an HTTP header) (line 2)"},
		{"AUTH:\n  OPTIONS:\n    AUTHENTICATE_PER_IP_PER_HOUR: 0\n", "AUTH.OPTIONS.AUTHENTICATE_PER_IP_PER_HOUR must be between 1 and 1000000000, got 0 (line 3)"},
		{"SMS:\n  USER_MESSAGES_PER_HOUR: 0\n", "SMS.USER_MESSAGES_PER_HOUR must be between 1 and 1000000000, got 0 (line 2)"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.yaml, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "short-secret") {
			t.Errorf("error leaks a key: %v", err)
		}
	}
}
