package config

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru/token"
)

func configIn(t *testing.T, alg string) *Config {
	t.Helper()
	c := Default()
	c.Server.DataDir = filepath.Join(t.TempDir(), "data") // does not exist yet
	c.JWT.Algorithm = alg
	return c
}

func TestKeyFileGeneratedOnceAndReused(t *testing.T) {
	c := configIn(t, HS256)
	key1, src, err := c.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	if src != KeyFileGenerated {
		t.Fatalf("first call: source %v, want %v", src, KeyFileGenerated)
	}
	if len(key1) != 43 {
		t.Fatalf("generated key is %d bytes, want 43 (base64url of 32 random bytes)", len(key1))
	}
	if raw, err := base64.RawURLEncoding.Strict().DecodeString(string(key1)); err != nil || len(raw) != 32 {
		t.Fatalf("generated key is not base64url of 32 bytes: %v", err)
	}
	fi, err := os.Stat(c.KeyFile())
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Fatalf("key file mode %#o, want 0600", perm)
		}
		di, err := os.Stat(c.Server.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := di.Mode().Perm(); perm&0o077 != 0 {
			t.Fatalf("data folder created with mode %#o", perm)
		}
	}
	// No temporary file is left behind.
	entries, err := os.ReadDir(c.Server.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != KeyFileName {
		t.Fatalf("data folder holds %v", entries)
	}

	key2, src, err := c.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	if src != KeyFromFile || !bytes.Equal(key1, key2) {
		t.Fatalf("second call: %v, same key %v", src, bytes.Equal(key1, key2))
	}

	// The same file serves EdDSA: its text decodes to a 32-byte seed.
	c.JWT.Algorithm = EdDSA
	seed, src, err := c.SigningKey()
	if err != nil || src != KeyFromFile || len(seed) != ed25519.SeedSize {
		t.Fatalf("EdDSA from the key file: %d bytes, %v, %v", len(seed), src, err)
	}

	// Another data folder gets another key.
	other := configIn(t, HS256)
	key3, _, err := other.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(key1, key3) {
		t.Fatal("two data folders got the same key")
	}
}

func TestKeyFileRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d", KeyFileName)
	const n = 16
	var wg sync.WaitGroup
	secrets := make([]string, n)
	created := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			secrets[i], created[i], errs[i] = LoadOrCreateSecret(path)
		}()
	}
	wg.Wait()
	nCreated := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if secrets[i] != secrets[0] {
			t.Fatalf("callers disagree: %q vs %q", secrets[i], secrets[0])
		}
		if created[i] {
			nCreated++
		}
	}
	if nCreated != 1 {
		t.Fatalf("%d callers report creating the file, want 1", nCreated)
	}
}

func TestKeyFileRefusals(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	c := configIn(t, HS256)
	if err := os.MkdirAll(c.Server.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := c.KeyFile()
	cases := []struct {
		name    string
		prepare func() error
		mode    os.FileMode
		want    string
	}{
		{"world readable", func() error { return os.WriteFile(path, []byte("some-secret-some-secret-some-secret!"), 0o644) }, 0o644,
			"signing key file " + path + " is open to other users (mode 0644); run: chmod 600 " + path},
		{"group readable", func() error { return os.WriteFile(path, []byte("some-secret-some-secret-some-secret!"), 0o640) }, 0o640,
			"signing key file " + path + " is open to other users (mode 0640); run: chmod 600 " + path},
		{"empty", func() error { return os.WriteFile(path, []byte(" \n"), 0o600) }, 0o600,
			"signing key file " + path + " is empty; delete it to have a new key generated"},
		{"too big", func() error { return os.WriteFile(path, bytes.Repeat([]byte("k"), maxKeyFileBytes+1), 0o600) }, 0o600,
			"signing key file " + path + " is larger than 16384 bytes"},
		{"a folder", func() error { return os.Mkdir(path, 0o700) }, 0o700,
			"signing key file " + path + " is not a regular file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			os.RemoveAll(path)
			if err := tc.prepare(); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil { // whatever the umask
				t.Fatal(err)
			}
			_, _, err := c.SigningKey()
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v\nwant %s", err, tc.want)
			}
			assertOneLine(t, err)
		})
	}
	// A key file written by hand (trailing newline) is used as written.
	os.RemoveAll(path)
	if err := os.WriteFile(path, []byte("  my-own-secret-of-enough-length-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key, src, err := c.SigningKey()
	if err != nil || string(key) != "my-own-secret-of-enough-length-0123456789" || src != KeyFromFile {
		t.Fatalf("hand-written key file: %q %v %v", key, src, err)
	}
	// A hand-written key that is no Ed25519 seed is refused for EdDSA.
	c.JWT.Algorithm = EdDSA
	if _, _, err := c.SigningKey(); err == nil || !strings.HasPrefix(err.Error(), "signing key file "+path+" must be the base64 of a 32-byte Ed25519 seed") {
		t.Fatalf("EdDSA from a bad key file: %v", err)
	}
}

func TestEd25519KeyForms(t *testing.T) {
	seed := bytes.Repeat([]byte{0x5a}, ed25519.SeedSize)
	priv := ed25519.NewKeyFromSeed(seed)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	bad64 := append(append([]byte(nil), priv...), 0)[:64]
	bad64[63] ^= 1
	ok := []struct{ name, text string }{
		{"base64url raw", base64.RawURLEncoding.EncodeToString(seed)},
		{"base64 std padded", base64.StdEncoding.EncodeToString(seed)},
		{"base64 std raw", base64.RawStdEncoding.EncodeToString(seed)},
		{"base64 with spaces around", "  " + base64.StdEncoding.EncodeToString(seed) + "\n"},
		{"64-byte private key", base64.StdEncoding.EncodeToString(priv)},
		{"PKCS#8 PEM", pemKey},
	}
	for _, c := range ok {
		got, err := keyBytes(EdDSA, c.text)
		if err != nil || !bytes.Equal(got, seed) {
			t.Errorf("%s: %x, %v", c.name, got, err)
		}
	}
	bad := []struct{ name, text string }{
		{"empty", ""},
		{"not base64", "change-me"},
		{"31 bytes", base64.StdEncoding.EncodeToString(seed[:31])},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(seed, 1))},
		{"64 bytes, wrong public half", base64.StdEncoding.EncodeToString(bad64)},
		{"PEM public key", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))},
		{"PEM garbage", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
	}
	for _, c := range bad {
		if got, err := keyBytes(EdDSA, c.text); err == nil {
			t.Errorf("%s: accepted as %x", c.name, got)
		}
	}
}

// TestTokenConfig checks the whole path from file to a working issuer, for
// both algorithms.
func TestTokenConfig(t *testing.T) {
	seed := bytes.Repeat([]byte{1}, 32)
	for _, src := range []string{
		"JWT:\n  SIGNING_KEY: a-long-enough-hs256-secret-for-tests-0123\n  ACCESS_TOKEN_LIFETIME: 1m\n  REFRESH_TOKEN_LIFETIME: 1h\n  ROTATE_REFRESH_TOKENS: false\n",
		"JWT:\n  ALGORITHM: EdDSA\n  SIGNING_KEY: " + base64.StdEncoding.EncodeToString(seed) + "\n  ACCESS_TOKEN_LIFETIME: 1m\n  REFRESH_TOKEN_LIFETIME: 1h\n  ROTATE_REFRESH_TOKENS: false\n",
	} {
		c, err := Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		tc, ks, err := c.TokenConfig()
		if err != nil || ks != KeyFromConfig {
			t.Fatalf("TokenConfig: %v %v", ks, err)
		}
		if tc.Algorithm != c.JWT.Algorithm || tc.AccessLifetime != time.Minute || tc.RefreshLifetime != time.Hour || tc.Rotate {
			t.Fatalf("token config %+v", tc)
		}
		iss, err := token.New(tc)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		tok, _, err := iss.Issue(token.Access, 1, 2, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := iss.Parse(tok, token.Access, now); err != nil {
			t.Fatal(err)
		}
	}
}

func TestKeySourceString(t *testing.T) {
	for s, want := range map[KeySource]string{KeyFromConfig: "JWT.SIGNING_KEY", KeyFromEnv: EnvSigningKey, KeyFromFile: "key file", KeyFileGenerated: "new key file", 0: "unknown"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(s), s.String(), want)
		}
	}
}
