package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testAdminToken = "admin-token-0123456789abcdef0123456789"

func TestOpsKeys(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "admin-token")
	if err := os.WriteFile(tokenFile, []byte(testAdminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open-token")
	if err := os.WriteFile(open, []byte(testAdminToken), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Parse([]byte(fmt.Sprintf("SERVER:\n  LISTEN: 127.0.0.1:8000\n  ADMIN_LISTEN: 127.0.0.1:8001\n  ADMIN_TOKEN_FILE: %s\n  METRICS_ON_ADMIN: true\nSMS:\n  MAX_PER_HOUR: 100\n  MAX_PER_DAY: 1000\nAUTH:\n  CAPTCHA:\n    SITEVERIFY_URL: https://verify.example/siteverify\n    SECRET: captcha-sekrit\n    TIMEOUT: 2s\n", tokenFile)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.AdminToken != testAdminToken || !c.Server.MetricsMoved() || c.SMS.MaxPerHour != 100 || c.SMS.MaxPerDay != 1000 || c.Auth.Captcha.Secret != "captcha-sekrit" {
		t.Fatalf("parsed %+v %+v", c.Server, c.Auth.Captcha)
	}
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		if s := fmt.Sprintf(verb, c); strings.Contains(s, "admin-token-") || strings.Contains(s, "captcha-sekrit") {
			t.Errorf("%s prints a secret: %s", verb, s)
		}
	}
	if Default().Server.MetricsMoved() || Default().Server.AdminListen != "" || Default().SMS.MaxPerHour != 0 {
		t.Fatal("defaults are not off")
	}
	bad := []struct{ yaml, want string }{
		{"SERVER:\n  ADMIN_LISTEN: 127.0.0.1:8001\n", "SERVER.ADMIN_LISTEN needs SERVER.ADMIN_TOKEN or SERVER.ADMIN_TOKEN_FILE"},
		{"SERVER:\n  ADMIN_LISTEN: 127.0.0.1:8001\n  ADMIN_TOKEN: short\n", "SERVER.ADMIN_TOKEN is 5 bytes long; it must be at least 32"},
		{"SERVER:\n  ADMIN_LISTEN: 127.0.0.1:8000\n  ADMIN_TOKEN: " + testAdminToken + "\n", "SERVER.ADMIN_LISTEN must not be SERVER.LISTEN"},
		{"SERVER:\n  LISTEN: 0.0.0.0:8000\n  ADMIN_LISTEN: 127.0.0.1:8000\n  ADMIN_TOKEN: " + testAdminToken + "\n", "SERVER.ADMIN_LISTEN must not be SERVER.LISTEN"},
		{"SERVER:\n  METRICS_LISTEN: 127.0.0.1:8000\n", "SERVER.METRICS_LISTEN must not be SERVER.LISTEN"},
		{"SERVER:\n  ADMIN_LISTEN: nonsense\n  ADMIN_TOKEN: " + testAdminToken + "\n", "SERVER.ADMIN_LISTEN must be host:port"},
		{"SERVER:\n  METRICS_ON_ADMIN: true\n", "SERVER.METRICS_ON_ADMIN needs SERVER.ADMIN_LISTEN"},
		{"SERVER:\n  ADMIN_TOKEN: " + testAdminToken + "\n  ADMIN_TOKEN_FILE: " + tokenFile + "\n", "not both"},
		{"SERVER:\n  ADMIN_TOKEN_FILE: " + open + "\n", "open to other users"},
		{"SMS:\n  MAX_PER_HOUR: -1\n", "SMS.MAX_PER_HOUR must be between 0 and"},
		{"AUTH:\n  CAPTCHA:\n    SITEVERIFY_URL: https://verify.example/\n", "AUTH.CAPTCHA.SITEVERIFY_URL needs AUTH.CAPTCHA.SECRET"},
		{"AUTH:\n  CAPTCHA:\n    SITEVERIFY_URL: ftp://x/\n    SECRET: s\n", "must be an http or https URL"},
		{"AUTH:\n  CAPTCHA:\n    TIMEOUT: 10m\n", "AUTH.CAPTCHA.TIMEOUT must be between"},
	}
	for _, b := range bad {
		_, err := Parse([]byte(b.yaml))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: err %v, want %q", b.yaml, err, b.want)
		}
		if err != nil && strings.Contains(err.Error(), testAdminToken) {
			t.Errorf("%q: error shows the token: %v", b.yaml, err)
		}
	}
}
