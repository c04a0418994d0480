package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are the argon2id parameters of a password hash.
//
// The defaults are OWASP's first argon2id choice (m=19 MiB, t=2, p=1): on the
// project's 2-core reference box one hash takes about 22 ms and 19 MiB, so
// the two concurrent hashes the Service allows there cost 38 MiB and at most
// about 90 logins per second go through argon2. Stored hashes carry their own
// parameters, so they can be raised later: a login with a hash made with
// other parameters re-hashes the password with the current ones.
type PasswordParams struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism (argon2's p).
	Threads uint8
	// SaltLen and KeyLen are the lengths in bytes of the random salt and of
	// the derived key.
	SaltLen uint32
	KeyLen  uint32
}

// DefaultPasswordParams are the parameters new hashes are made with when
// Options.PasswordParams is zero.
func DefaultPasswordParams() PasswordParams {
	return PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Bounds on the parameters accepted when making or reading a hash, so a
// corrupt or hostile stored hash cannot make one verification take gigabytes
// or minutes.
const (
	minPasswordMemory = 8 * 1024   // KiB
	maxPasswordMemory = 256 * 1024 // KiB
	maxPasswordTime   = 16
	maxPasswordThread = 16
	minSaltLen        = 8
	maxSaltLen        = 64
	minKeyLen         = 16
	maxKeyLen         = 64
)

// phcPrefix begins every hash this package makes or reads: argon2id, version
// 0x13 (19), the only version golang.org/x/crypto/argon2 implements.
const phcPrefix = "$argon2id$v=19$"

// b64 is the PHC string format's base64: standard alphabet, no padding,
// strict (non-canonical trailing bits are refused).
var b64 = base64.RawStdEncoding.Strict()

// ErrMalformedHash is returned (wrapped) by VerifyPassword for a stored hash
// that is not an argon2id PHC string within the accepted bounds.
var ErrMalformedHash = errors.New("malformed password hash")

// validate reports parameters outside the accepted bounds.
func (p PasswordParams) validate() error {
	switch {
	case p.Memory < minPasswordMemory || p.Memory > maxPasswordMemory:
		return fmt.Errorf("argon2 memory must be %d to %d KiB, got %d", minPasswordMemory, maxPasswordMemory, p.Memory)
	case p.Time < 1 || p.Time > maxPasswordTime:
		return fmt.Errorf("argon2 time must be 1 to %d, got %d", maxPasswordTime, p.Time)
	case p.Threads < 1 || p.Threads > maxPasswordThread:
		return fmt.Errorf("argon2 threads must be 1 to %d, got %d", maxPasswordThread, p.Threads)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("argon2 salt must be %d to %d bytes, got %d", minSaltLen, maxSaltLen, p.SaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("argon2 key must be %d to %d bytes, got %d", minKeyLen, maxKeyLen, p.KeyLen)
	}
	return nil
}

// HashPassword hashes password with argon2id, parameters p and a random salt,
// and returns the hash in PHC string form:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// with salt and key in unpadded standard base64. It is CPU- and
// memory-hungry by design; a Service bounds how many run at once.
func HashPassword(password string, p PasswordParams) (string, error) {
	if err := p.validate(); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: read salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b := make([]byte, 0, len(phcPrefix)+32+b64.EncodedLen(len(salt))+b64.EncodedLen(len(key)))
	b = append(b, phcPrefix...)
	b = append(b, "m="...)
	b = strconv.AppendUint(b, uint64(p.Memory), 10)
	b = append(b, ",t="...)
	b = strconv.AppendUint(b, uint64(p.Time), 10)
	b = append(b, ",p="...)
	b = strconv.AppendUint(b, uint64(p.Threads), 10)
	b = append(b, '$')
	b = b64.AppendEncode(b, salt)
	b = append(b, '$')
	b = b64.AppendEncode(b, key)
	return string(b), nil
}

// phcHash is a parsed PHC string.
type phcHash struct {
	params PasswordParams
	salt   []byte
	key    []byte
}

// parsePHC parses an argon2id PHC string made by HashPassword (or by another
// implementation of the same format), checking every bound.
func parsePHC(encoded string) (phcHash, error) {
	rest, ok := strings.CutPrefix(encoded, phcPrefix)
	if !ok {
		return phcHash{}, fmt.Errorf("%w: not argon2id version 19", ErrMalformedHash)
	}
	parts := strings.Split(rest, "$")
	if len(parts) != 3 {
		return phcHash{}, fmt.Errorf("%w: want parameters, salt and key", ErrMalformedHash)
	}
	var h phcHash
	ps := strings.Split(parts[0], ",")
	if len(ps) != 3 {
		return phcHash{}, fmt.Errorf("%w: want m, t and p", ErrMalformedHash)
	}
	var vals [3]uint64
	for i, name := range [3]string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(ps[i], name)
		if !ok || digits == "" || len(digits) > 10 || (len(digits) > 1 && digits[0] == '0') {
			return phcHash{}, fmt.Errorf("%w: bad parameter %d", ErrMalformedHash, i)
		}
		v, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return phcHash{}, fmt.Errorf("%w: bad parameter %d", ErrMalformedHash, i)
		}
		vals[i] = v
	}
	if vals[2] > maxPasswordThread {
		return phcHash{}, fmt.Errorf("%w: %d threads", ErrMalformedHash, vals[2])
	}
	var err error
	if h.salt, err = b64.DecodeString(parts[1]); err != nil {
		return phcHash{}, fmt.Errorf("%w: salt is not base64", ErrMalformedHash)
	}
	if h.key, err = b64.DecodeString(parts[2]); err != nil {
		return phcHash{}, fmt.Errorf("%w: key is not base64", ErrMalformedHash)
	}
	h.params = PasswordParams{
		Memory:  uint32(vals[0]),
		Time:    uint32(vals[1]),
		Threads: uint8(vals[2]),
		SaltLen: uint32(len(h.salt)),
		KeyLen:  uint32(len(h.key)),
	}
	if err := h.params.validate(); err != nil {
		return phcHash{}, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	return h, nil
}

// VerifyPassword reports whether password matches encoded, an argon2id hash
// in PHC string form, comparing in constant time. The parameters are read
// from encoded and returned, so a caller can tell a hash made with older
// parameters. A malformed encoded is an error wrapping ErrMalformedHash.
func VerifyPassword(password, encoded string) (ok bool, params PasswordParams, err error) {
	h, err := parsePHC(encoded)
	if err != nil {
		return false, PasswordParams{}, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.Memory, h.params.Threads, h.params.KeyLen)
	return subtle.ConstantTimeCompare(key, h.key) == 1, h.params, nil
}
