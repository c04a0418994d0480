package config

import (
	"strings"
	"testing"
)

func TestStorageAndPreviousKeys(t *testing.T) {
	c, err := Parse([]byte("STORAGE:\n  SYNC_WRITES: true\n  MIN_FREE_BYTES: 1048576\nJWT:\n  SIGNING_KEY: " + strings.Repeat("n", 40) +
		"\n  PREVIOUS_SIGNING_KEYS:\n    - " + strings.Repeat("o", 32) + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Storage.SyncWrites || c.Storage.MinFreeBytes != 1<<20 || len(c.JWT.PreviousSigningKeys) != 1 {
		t.Fatalf("got %+v, %d previous keys", c.Storage, len(c.JWT.PreviousSigningKeys))
	}
	tc, _, err := c.TokenConfig()
	if err != nil || len(tc.PreviousKeys) != 1 || string(tc.PreviousKeys[0]) != strings.Repeat("o", 32) {
		t.Fatalf("TokenConfig: %v", err)
	}
	d := Default()
	if d.Storage.SyncWrites || d.Storage.MinFreeBytes != DefaultMinFreeBytes {
		t.Fatalf("defaults %+v", d.Storage)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"STORAGE:\n  MIN_FREE_BYTES: -1\n", "STORAGE.MIN_FREE_BYTES must be between 0 and"},
		{"STORAGE:\n  SYNC_WRITES: maybe\n", "STORAGE.SYNC_WRITES"},
		{"STORAGE:\n  SYNCWRITES: true\n", "unknown key STORAGE.SYNCWRITES"},
		{"JWT:\n  PREVIOUS_SIGNING_KEYS: secret-value\n", "JWT.PREVIOUS_SIGNING_KEYS must be a list of strings, got a single value"},
		{"JWT:\n  PREVIOUS_SIGNING_KEYS: [short-secret]\n", "JWT.PREVIOUS_SIGNING_KEYS[0] must be at least 32 bytes"},
		{"JWT:\n  ALGORITHM: EdDSA\n  PREVIOUS_SIGNING_KEYS: [not-a-seed]\n", "JWT.PREVIOUS_SIGNING_KEYS[0] must be the base64"},
		{"JWT:\n  PREVIOUS_SIGNING_KEYS: [" + strings.Repeat(strings.Repeat("k", 32)+",", 9) + "]\n", "more than 8 entries"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.yaml, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), "secret-value") || strings.Contains(err.Error(), "short-secret")) {
			t.Errorf("%q: the key appears in the message %q", tc.yaml, err)
		}
	}
}
