package config

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes: it must never panic, and every
// error must be one line without Go internals.
func FuzzParse(f *testing.F) {
	spec, err := os.ReadFile("testdata/spec.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(spec)
	for _, s := range []string{
		"", "~", "SERVER: [", "a: &a [*a]", "SMS:\n  SETTINGS: &s {A: 1}\n  TEMPLATES: *s\n",
		"SERVER:\n  TRUSTED_PROXIES: [::ffff:10.0.0.0/104, fe80::1%eth0]\n",
		"JWT:\n  ACCESS_TOKEN_LIFETIME: 1e3\n", "AUTH:\n  OPTIONS:\n    OTP_LENGTH: 0x8\n",
		"SMS: !!binary aGVsbG8=\n", "? [a, b]\n: c\n", "SMS:\n  SETTINGS:\n    ? {a: 1}\n    : x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if c != nil {
				t.Fatal("config returned with an error")
			}
			if s := err.Error(); strings.ContainsAny(s, "\n\r") || s == "" {
				t.Fatalf("error is not one line: %q", s)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config Validate refuses: %v", err)
		}
	})
}
