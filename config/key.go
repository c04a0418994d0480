package config

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/chelseru/chelseru/token"
)

// Algorithms, the values of JWT.ALGORITHM.
const (
	HS256 = token.HS256
	EdDSA = token.EdDSA
)

const minHMACKeyBytes = token.MinHMACKeyBytes

// KeyFileName is the name of the generated signing key file in the data
// folder.
const KeyFileName = "jwt-signing-key"

// maxKeyFileBytes bounds what is read from a key file.
const maxKeyFileBytes = 16 << 10

// KeySource says where the signing key came from, for the start-up log.
type KeySource int

// Where a signing key can come from.
const (
	KeyFromConfig    KeySource = iota + 1 // JWT.SIGNING_KEY in the file
	KeyFromEnv                            // CHELSERU_JWT_SIGNING_KEY
	KeyFromFile                           // DATA_DIR/jwt-signing-key, generated on an earlier start
	KeyFileGenerated                      // DATA_DIR/jwt-signing-key, generated just now
)

func (s KeySource) String() string {
	switch s {
	case KeyFromConfig:
		return "JWT.SIGNING_KEY"
	case KeyFromEnv:
		return EnvSigningKey
	case KeyFromFile:
		return "key file"
	case KeyFileGenerated:
		return "new key file"
	}
	return "unknown"
}

// KeyFile is the path of the signing key file: DATA_DIR/jwt-signing-key.
func (c *Config) KeyFile() string { return filepath.Join(c.Server.DataDir, KeyFileName) }

// SigningKey returns the JWT signing key as token.Config wants it (the HS256
// secret, or the 32-byte Ed25519 seed) and where it came from.
//
// When neither the file nor the environment sets JWT.SIGNING_KEY, the key is
// the content of DATA_DIR/jwt-signing-key, generated on first use from
// crypto/rand (32 bytes, written as unpadded base64url, 43 characters) and
// created atomically with mode 0600; KeyFileGenerated tells the caller to log
// that it did so (the key itself must never be logged). The same file serves
// both algorithms: HS256 uses its text as the secret, EdDSA decodes it to the
// seed, exactly as JWT.SIGNING_KEY would be read. A key file that other
// users may read or write (any group or other permission bit) is refused, as
// OpenSSH refuses such private keys.
func (c *Config) SigningKey() ([]byte, KeySource, error) {
	if c.JWT.SigningKey != "" {
		src := KeyFromConfig
		if c.JWT.SigningKeyFromEnv {
			src = KeyFromEnv
		}
		key, err := keyBytes(c.JWT.Algorithm, c.JWT.SigningKey)
		if err == nil {
			err = checkHMACKeyLength(c.JWT.Algorithm, c.JWT.SigningKey)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s %w", c.signingKeyName(), err)
		}
		return key, src, nil
	}
	path := c.KeyFile()
	text, created, err := LoadOrCreateSecret(path)
	if err != nil {
		return nil, 0, err
	}
	key, err := keyBytes(c.JWT.Algorithm, text)
	if err == nil {
		err = checkHMACKeyLength(c.JWT.Algorithm, text)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("signing key file %s %w", path, err)
	}
	if created {
		return key, KeyFileGenerated, nil
	}
	return key, KeyFromFile, nil
}

// TokenConfig returns the configuration of a token.Issuer: the JWT section
// with the signing key resolved by SigningKey.
func (c *Config) TokenConfig() (token.Config, KeySource, error) {
	key, src, err := c.SigningKey()
	if err != nil {
		return token.Config{}, 0, err
	}
	prev, err := c.previousKeys()
	if err != nil {
		return token.Config{}, 0, err
	}
	importedUntil, err := c.ImportedTokensCutoff()
	if err != nil {
		return token.Config{}, 0, err
	}
	return token.Config{
		ImportedUntil:   importedUntil,
		PreviousKeys:    prev,
		Algorithm:       c.JWT.Algorithm,
		SigningKey:      key,
		AccessLifetime:  c.JWT.AccessTokenLifetime,
		RefreshLifetime: c.JWT.RefreshTokenLifetime,
		Rotate:          c.JWT.RotateRefreshTokens,
	}, src, nil
}

// keyBytes turns the text of a signing key into key bytes for alg. Its errors
// complete a sentence that starts with the key's name and never contain the
// key.
func keyBytes(alg, text string) ([]byte, error) {
	switch alg {
	case EdDSA:
		return ed25519Seed(text)
	case HS256:
		if text == "" {
			return nil, errors.New("is empty")
		}
		return []byte(text), nil
	}
	return nil, fmt.Errorf("cannot be read: JWT.ALGORITHM %s is not HS256 or EdDSA", q(alg))
}

// errSeed is the complaint about an EdDSA key that cannot be read.
var errSeed = errors.New("must be the base64 of a 32-byte Ed25519 seed or a PKCS#8 PEM private key when JWT.ALGORITHM is EdDSA")

// ed25519Seed reads an Ed25519 key written as a PKCS#8 PEM block (as
// simplejwt takes it), or as base64 (standard or URL alphabet, padded or
// not) of the 32-byte seed or of the 64-byte seed+public key.
func ed25519Seed(text string) ([]byte, error) {
	t := strings.TrimSpace(text)
	if strings.HasPrefix(t, "-----BEGIN") {
		block, _ := pem.Decode([]byte(t))
		if block == nil || block.Type != "PRIVATE KEY" {
			return nil, errSeed
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errSeed
		}
		priv, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, errors.New("holds a PEM private key that is not Ed25519")
		}
		return bytes.Clone(priv.Seed()), nil
	}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.StdEncoding} {
		b, err := enc.Strict().DecodeString(t)
		if err != nil {
			continue
		}
		switch len(b) {
		case ed25519.SeedSize:
			return b, nil
		case ed25519.PrivateKeySize:
			seed := b[:ed25519.SeedSize]
			if !bytes.Equal(ed25519.NewKeyFromSeed(seed), b) {
				return nil, errors.New("holds 64 bytes whose second half is not the public key of the first")
			}
			return bytes.Clone(seed), nil
		}
		return nil, errSeed
	}
	return nil, errSeed
}

// LoadOrCreateSecret returns the secret kept in the file at path, creating it
// first if it does not exist: 32 bytes from crypto/rand as unpadded base64url
// text, written to a temporary file in the same folder (mode 0600), synced,
// and linked into place, so no reader ever sees a partial file and two
// processes racing to create it agree on one secret. The folder is created
// (0700) if needed. created reports whether this call made the file.
//
// An existing file must be a regular file of at most 16 KiB, not empty, and
// (except on Windows) without group or other permissions; its text is
// returned with surrounding white space trimmed.
func LoadOrCreateSecret(path string) (secret string, created bool, err error) {
	secret, err = readSecret(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return secret, false, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", false, fmt.Errorf("cannot create the data folder for the signing key: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", false, fmt.Errorf("cannot generate a signing key: %w", err)
	}
	secret = base64.RawURLEncoding.EncodeToString(raw[:])
	if err := writeExclusive(path, []byte(secret+"\n")); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process made it first; use theirs.
			secret, err = readSecret(path)
			return secret, false, err
		}
		return "", false, fmt.Errorf("cannot write signing key file: %w", err)
	}
	return secret, true, nil
}

// writeExclusive creates path with data, mode 0600, failing with fs.ErrExist
// if it exists. It writes a temporary file and hard-links it into place; on
// file systems without hard links it falls back to O_EXCL (exclusive, but a
// crash mid-write could leave a short file, which readSecret then refuses).
func writeExclusive(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	syncDir(dir)
	return nil
}

// syncDir makes a new directory entry durable; failure only costs durability
// (some systems cannot sync a directory), so it is ignored.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// readSecret reads a secret file, refusing one others may read.
func readSecret(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		return "", fmt.Errorf("cannot read signing key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("cannot read signing key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("signing key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return "", fmt.Errorf("signing key file %s is open to other users (mode %#o); run: chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("cannot read signing key file: %w", err)
	}
	if len(data) > maxKeyFileBytes {
		return "", fmt.Errorf("signing key file %s is larger than %d bytes", path, maxKeyFileBytes)
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		return "", fmt.Errorf("signing key file %s is empty; delete it to have a new key generated", path)
	}
	return s, nil
}
