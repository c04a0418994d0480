// Package token issues and checks the JSON Web Tokens of the chelseru API,
// compatible with djangorestframework-simplejwt 5.5.
//
// A token is a compact JWS whose payload has simplejwt's claims, in
// simplejwt's order, plus a session id:
//
//	{"token_type":"access","exp":1764450000,"iat":1764449700,"jti":"<32 hex>","user_id":"42","sid":"7"}
//
// The claims are:
//
//   - token_type, "access" or "refresh"; a token of one type is never
//     accepted as the other;
//   - exp and iat, integer seconds since the epoch;
//   - jti, a UUID4 in hex without dashes (Python's uuid4().hex), drawn from
//     crypto/rand;
//   - user_id, the user's id as a decimal string, as simplejwt 5.5 writes it;
//   - sid, the id of the login session the token belongs to, also a decimal
//     string: OpenID Connect defines "sid" as a string, and a string keeps
//     64-bit ids exact in JavaScript clients;
//   - dbid, only when Config.DatabaseID is set: the identity of the database
//     that issued the token; a token with another or no dbid is refused, so
//     ids that restart after a lost database are never mistaken for old ones.
//
// Config.PreviousKeys lists earlier signing keys accepted for verification
// only, so the key can be rotated without signing everyone out.
//
// The default algorithm is HS256 (simplejwt's default) with the configured
// secret; EdDSA (Ed25519) is the alternative, with a 32-byte seed as the key.
// The header is {"alg":…,"typ":"JWT"}, byte for byte what PyJWT writes.
//
// Parse refuses anything it did not issue under its current configuration:
// an alg other than the configured one (so "none" and HS256/EdDSA confusion
// are refused), a wrong signature, malformed or non-canonical base64, an
// expired token (no leeway, as simplejwt's LEEWAY=0), an iat more than
// MaxClockSkew in the future, missing or ill-typed claims, and the wrong
// token_type. Every refusal is a *chelseru.Error with code EUNAUTHORIZED,
// simplejwt's message, and Extra {"code": "token_not_valid"}, wrapping one
// of the sentinel errors below and the cause.
//
// An Issuer is immutable and safe for concurrent use.
package token

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/golang-jwt/jwt/v5"
)

// Algorithms.
const (
	HS256 = "HS256" // HMAC-SHA256 with a shared secret (simplejwt's default)
	EdDSA = "EdDSA" // Ed25519; the key is a 32-byte seed
)

// Token types, the values of the token_type claim.
const (
	Access  = "access"
	Refresh = "refresh"
)

// Default lifetimes, used when Config leaves them zero (simplejwt's defaults).
const (
	DefaultAccessLifetime  = 5 * time.Minute
	DefaultRefreshLifetime = 24 * time.Hour
)

// MaxClockSkew is how far in the future an iat may lie before the token is
// refused. exp has no leeway at all (simplejwt's LEEWAY defaults to 0); iat
// gets a little because it only guards against clock steps on this machine:
// a token issued just before NTP stepped the clock back stays usable.
const MaxClockSkew = 30 * time.Second

// MaxTokenBytes bounds the length of a token Parse will look at. Our tokens are
// about 250 bytes; anything much longer is not ours.
const MaxTokenBytes = 4096

// MinHMACKeyBytes is the HS256 key length RFC 7518 §3.2 asks for. New accepts
// shorter keys (simplejwt does too); the config package warns about them.
const MinHMACKeyBytes = 32

// simplejwt's messages, the client-facing text of each refusal.
const (
	MsgInvalid   = "Token is invalid"
	MsgExpired   = "Token is expired"
	MsgWrongType = "Token has wrong type"
	MsgNoType    = "Token has no type"
	MsgNoID      = "Token has no id"
	MsgNoExp     = "Token has no 'exp' claim"
	MsgNoUser    = "Token contained no recognizable user identification"
)

// Sentinel causes, wrapped in the *chelseru.Error that Parse returns, so that
// callers can tell refusals apart with errors.Is.
var (
	ErrInvalid   = errors.New("token invalid")        // bad signature, alg, encoding or claims
	ErrExpired   = errors.New("token expired")        // exp has passed
	ErrWrongType = errors.New("token has wrong type") // token_type missing or not the one asked for
)

// Config is what an Issuer needs. The zero value of each field but SigningKey
// has a default.
type Config struct {
	// Algorithm is HS256 or EdDSA; "" means HS256.
	Algorithm string
	// SigningKey is the HS256 secret (any non-empty byte string, ideally at
	// least MinHMACKeyBytes random bytes), or for EdDSA the 32-byte Ed25519
	// seed (RFC 8032 private key).
	SigningKey []byte
	// AccessLifetime and RefreshLifetime are how long tokens of each type
	// live; zero means DefaultAccessLifetime / DefaultRefreshLifetime. They
	// are used at whole-second precision.
	AccessLifetime, RefreshLifetime time.Duration
	// Rotate is simplejwt's ROTATE_REFRESH_TOKENS. The Issuer only carries it
	// for its callers; it does not change what Issue or Parse do.
	Rotate bool
	// PreviousKeys are earlier signing keys (same algorithm, same form as
	// SigningKey), accepted when verifying a token but never used to sign:
	// rotating the key keeps every session alive as long as the old key is
	// listed here (at least REFRESH_TOKEN_LIFETIME after the change).
	PreviousKeys [][]byte
	// DatabaseID, when not empty, binds tokens to one database: Issue writes
	// it as the "dbid" claim and Parse refuses a token whose dbid is missing
	// or different, so a token from another database, or from before the
	// data folder was lost and recreated, never names a user or session that
	// reused its id. It is storage.DB.ID(): printable, at most 64 bytes.
	DatabaseID string
	// ImportedUntil, when not zero, accepts until then tokens that
	// simplejwt issued before a migration from django-chelseru (see
	// ParseImported): no sid and no dbid claim, user_id a string or an
	// integer. Such a token parses with Claims.Imported set; the caller
	// must check that its user was imported and issued it before the
	// import. Zero (the default): such tokens are refused.
	ImportedUntil time.Time
}

// MaxPreviousKeys bounds Config.PreviousKeys.
const MaxPreviousKeys = 8

// Claims are the claims of one token.
type Claims struct {
	Type      string // Access or Refresh
	UserID    int64  // user_id, > 0
	SessionID int64  // sid, > 0
	JTI       string // 32 lower-case hex digits
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Imported marks a token simplejwt issued before a migration (no sid,
	// no dbid; accepted only within Config.ImportedUntil). SessionID is 0.
	Imported bool
}

// Issuer issues and parses tokens under one Config.
type Issuer struct {
	cfg       Config
	method    jwt.SigningMethod
	signKey   any // []byte or ed25519.PrivateKey
	verifyKey any // []byte or ed25519.PublicKey
	keySet    any // jwt.VerificationKeySet of verifyKey and the previous keys, or nil
	header    string
	parser    *jwt.Parser
}

// New returns an Issuer for cfg. It refuses an unknown algorithm, an empty
// HS256 key, an EdDSA seed that is not 32 bytes, and negative lifetimes.
func New(cfg Config) (*Issuer, error) {
	if cfg.Algorithm == "" {
		cfg.Algorithm = HS256
	}
	if cfg.AccessLifetime == 0 {
		cfg.AccessLifetime = DefaultAccessLifetime
	}
	if cfg.RefreshLifetime == 0 {
		cfg.RefreshLifetime = DefaultRefreshLifetime
	}
	if cfg.AccessLifetime < time.Second || cfg.RefreshLifetime < time.Second {
		return nil, fmt.Errorf("token: lifetimes must be at least 1s, got access %v, refresh %v", cfg.AccessLifetime, cfg.RefreshLifetime)
	}
	cfg.SigningKey = bytes.Clone(cfg.SigningKey)
	if len(cfg.PreviousKeys) > MaxPreviousKeys {
		return nil, fmt.Errorf("token: at most %d previous keys, got %d", MaxPreviousKeys, len(cfg.PreviousKeys))
	}
	if len(cfg.DatabaseID) > 64 || !printableASCII(cfg.DatabaseID) {
		return nil, errors.New("token: database id must be at most 64 printable ASCII characters without quotes or backslashes")
	}
	prev := make([][]byte, len(cfg.PreviousKeys))
	for n, k := range cfg.PreviousKeys {
		prev[n] = bytes.Clone(k)
	}
	cfg.PreviousKeys = prev
	i := &Issuer{cfg: cfg}
	switch cfg.Algorithm {
	case HS256:
		if len(cfg.SigningKey) == 0 {
			return nil, errors.New("token: HS256 needs a non-empty signing key")
		}
		i.method = jwt.SigningMethodHS256
		i.signKey, i.verifyKey = cfg.SigningKey, cfg.SigningKey
	case EdDSA:
		if len(cfg.SigningKey) != ed25519.SeedSize {
			return nil, fmt.Errorf("token: EdDSA needs a %d-byte Ed25519 seed as signing key, got %d bytes", ed25519.SeedSize, len(cfg.SigningKey))
		}
		priv := ed25519.NewKeyFromSeed(cfg.SigningKey)
		i.method = jwt.SigningMethodEdDSA
		i.signKey, i.verifyKey = priv, priv.Public().(ed25519.PublicKey)
	default:
		return nil, fmt.Errorf("token: algorithm must be %s or %s, got %q", HS256, EdDSA, cfg.Algorithm)
	}
	if len(prev) > 0 {
		set := jwt.VerificationKeySet{Keys: []jwt.VerificationKey{i.verifyKey}}
		for n, k := range prev {
			switch cfg.Algorithm {
			case HS256:
				if len(k) == 0 {
					return nil, fmt.Errorf("token: previous key %d is empty", n+1)
				}
				set.Keys = append(set.Keys, k)
			case EdDSA:
				if len(k) != ed25519.SeedSize {
					return nil, fmt.Errorf("token: previous key %d: EdDSA needs a %d-byte Ed25519 seed, got %d bytes", n+1, ed25519.SeedSize, len(k))
				}
				set.Keys = append(set.Keys, ed25519.NewKeyFromSeed(k).Public().(ed25519.PublicKey))
			}
		}
		i.keySet = set
	}
	i.header = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + cfg.Algorithm + `","typ":"JWT"}`))
	i.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{cfg.Algorithm}),
		jwt.WithStrictDecoding(),      // one encoding per token: no padding, no stray bits
		jwt.WithoutClaimsValidation(), // Parse checks the claims itself, against its now
	)
	return i, nil
}

// Config returns the Issuer's configuration, with defaults filled in. The
// keys are copies.
func (i *Issuer) Config() Config {
	c := i.cfg
	c.SigningKey = bytes.Clone(c.SigningKey)
	c.PreviousKeys = make([][]byte, len(i.cfg.PreviousKeys))
	for n, k := range i.cfg.PreviousKeys {
		c.PreviousKeys[n] = bytes.Clone(k)
	}
	return c
}

// printableASCII reports whether s is printable ASCII without '"' or '\\',
// so it can be written into JSON as is.
func printableASCII(s string) bool {
	for j := 0; j < len(s); j++ {
		if c := s[j]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// PublicKey returns the Ed25519 public key that verifies this Issuer's tokens,
// or nil under HS256.
func (i *Issuer) PublicKey() ed25519.PublicKey {
	if k, ok := i.verifyKey.(ed25519.PublicKey); ok {
		return bytes.Clone(k)
	}
	return nil
}

// Issue signs a token of type typ (Access or Refresh) for userID and
// sessionID (both > 0), issued at now (truncated to the second) and expiring
// after the configured lifetime. It returns the token and its claims.
func (i *Issuer) Issue(typ string, userID, sessionID int64, now time.Time) (string, Claims, error) {
	jti, err := NewJTI()
	if err != nil {
		return "", Claims{}, fmt.Errorf("token: issue: %w", err)
	}
	return i.IssueWithJTI(typ, userID, sessionID, jti, now)
}

// IssueWithJTI is Issue with a jti chosen by the caller (from NewJTI), so a
// session can be stored with its refresh token's jti before the token exists.
func (i *Issuer) IssueWithJTI(typ string, userID, sessionID int64, jti string, now time.Time) (string, Claims, error) {
	var life time.Duration
	switch typ {
	case Access:
		life = i.cfg.AccessLifetime
	case Refresh:
		life = i.cfg.RefreshLifetime
	default:
		return "", Claims{}, fmt.Errorf("token: issue: type must be %q or %q, got %q", Access, Refresh, typ)
	}
	if userID <= 0 || sessionID <= 0 {
		return "", Claims{}, fmt.Errorf("token: issue: user id and session id must be positive, got %d and %d", userID, sessionID)
	}
	if !validJTI(jti) {
		return "", Claims{}, fmt.Errorf("token: issue: jti must be 32 lower-case hex digits")
	}
	iat := now.Unix()
	exp := iat + int64(life/time.Second)
	c := Claims{Type: typ, UserID: userID, SessionID: sessionID, JTI: jti,
		IssuedAt: time.Unix(iat, 0), ExpiresAt: time.Unix(exp, 0)}

	// The payload is written by hand, in simplejwt's member order; every
	// value is a constant, an integer or hex, so nothing needs escaping.
	p := make([]byte, 0, 128)
	p = append(p, `{"token_type":"`...)
	p = append(p, typ...)
	p = append(p, `","exp":`...)
	p = strconv.AppendInt(p, exp, 10)
	p = append(p, `,"iat":`...)
	p = strconv.AppendInt(p, iat, 10)
	p = append(p, `,"jti":"`...)
	p = append(p, jti...)
	p = append(p, `","user_id":"`...)
	p = strconv.AppendInt(p, userID, 10)
	p = append(p, `","sid":"`...)
	p = strconv.AppendInt(p, sessionID, 10)
	if i.cfg.DatabaseID != "" {
		p = append(p, `","dbid":"`...)
		p = append(p, i.cfg.DatabaseID...)
	}
	p = append(p, `"}`...)

	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(i.header)+1+enc.EncodedLen(len(p))+1+enc.EncodedLen(ed25519.SignatureSize))
	buf = append(buf, i.header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, p)
	sig, err := i.method.Sign(string(buf), i.signKey)
	if err != nil {
		return "", Claims{}, fmt.Errorf("token: issue: sign: %w", err)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), c, nil
}

// Parse checks tok and returns its claims. wantType is Access or Refresh, or
// "" to accept either (simplejwt's UntypedToken, as /api/token/verify/ does).
// now is the time to check exp and iat against.
//
// Every refusal is a *chelseru.Error{Code: EUNAUTHORIZED, Message: simplejwt's
// text, Extra: {"code": "token_not_valid"}} wrapping ErrInvalid, ErrExpired or
// ErrWrongType and the cause. A wantType other than the three above is a
// programming error and returns an EINTERNAL error.
func (i *Issuer) Parse(tok, wantType string, now time.Time) (Claims, error) {
	switch wantType {
	case Access, Refresh, "":
	default:
		return Claims{}, chelseru.Internal(fmt.Errorf("token: parse: unknown token type %q", wantType))
	}
	if len(tok) == 0 || len(tok) > MaxTokenBytes {
		return Claims{}, refuse(MsgInvalid, ErrInvalid, fmt.Errorf("length %d not in 1..%d", len(tok), MaxTokenBytes))
	}
	var w wireClaims
	if _, err := i.parser.ParseWithClaims(tok, &w, i.keyFunc); err != nil {
		return Claims{}, refuse(MsgInvalid, ErrInvalid, err)
	}
	// The signature is good: the payload is ours (or our key has leaked).
	// The checks below follow simplejwt's order: exp, jti, token_type.
	var c Claims
	exp, ok, err := w.int("exp")
	switch {
	case err != nil:
		return Claims{}, refuse(MsgInvalid, ErrInvalid, err)
	case !ok:
		return Claims{}, refuse(MsgNoExp, ErrInvalid, errors.New("no exp claim"))
	}
	c.ExpiresAt = time.Unix(exp, 0)
	if !now.Before(c.ExpiresAt) {
		return Claims{}, refuse(MsgExpired, ErrExpired, fmt.Errorf("expired at %s", c.ExpiresAt.UTC().Format(time.RFC3339)))
	}
	iat, ok, err := w.int("iat")
	switch {
	case err != nil:
		return Claims{}, refuse(MsgInvalid, ErrInvalid, err)
	case !ok:
		return Claims{}, refuse(MsgInvalid, ErrInvalid, errors.New("no iat claim"))
	}
	c.IssuedAt = time.Unix(iat, 0)
	if c.IssuedAt.After(now.Add(MaxClockSkew)) {
		return Claims{}, refuse(MsgInvalid, ErrInvalid, fmt.Errorf("issued in the future, at %s", c.IssuedAt.UTC().Format(time.RFC3339)))
	}
	if iat >= exp {
		return Claims{}, refuse(MsgInvalid, ErrInvalid, fmt.Errorf("iat %d not before exp %d", iat, exp))
	}
	jti, ok, err := w.str("jti")
	switch {
	case err != nil:
		return Claims{}, refuse(MsgInvalid, ErrInvalid, err)
	case !ok:
		return Claims{}, refuse(MsgNoID, ErrInvalid, errors.New("no jti claim"))
	case !validJTI(jti):
		return Claims{}, refuse(MsgInvalid, ErrInvalid, fmt.Errorf("jti %q is not 32 lower-case hex digits", jti))
	}
	c.JTI = jti
	typ, ok, err := w.str("token_type")
	switch {
	case err != nil:
		return Claims{}, refuse(MsgInvalid, ErrInvalid, err)
	case !ok:
		return Claims{}, refuse(MsgNoType, ErrWrongType, errors.New("no token_type claim"))
	case typ != Access && typ != Refresh:
		return Claims{}, refuse(MsgWrongType, ErrWrongType, fmt.Errorf("token_type %q", typ))
	case wantType != "" && typ != wantType:
		return Claims{}, refuse(MsgWrongType, ErrWrongType, fmt.Errorf("token_type %q, want %q", typ, wantType))
	}
	c.Type = typ
	if _, hasSID := w["sid"]; !hasSID && now.Before(i.cfg.ImportedUntil) {
		return i.imported(w, c)
	}
	if c.UserID, ok, err = w.id("user_id"); err != nil || !ok {
		if err == nil {
			err = errors.New("no user_id claim")
		}
		return Claims{}, refuse(MsgNoUser, ErrInvalid, err)
	}
	if c.SessionID, ok, err = w.id("sid"); err != nil || !ok {
		if err == nil {
			err = errors.New("no sid claim")
		}
		return Claims{}, refuse(MsgInvalid, ErrInvalid, err)
	}
	if i.cfg.DatabaseID != "" {
		dbid, ok, err := w.str("dbid")
		switch {
		case err != nil:
			return Claims{}, refuse(MsgInvalid, ErrInvalid, err)
		case !ok:
			return Claims{}, refuse(MsgInvalid, ErrInvalid, errors.New("no dbid claim: issued before tokens were bound to a database"))
		case dbid != i.cfg.DatabaseID:
			return Claims{}, refuse(MsgInvalid, ErrInvalid, fmt.Errorf("dbid %.40q is not this database's", dbid))
		}
	}
	return c, nil
}

// imported finishes parsing a token without sid inside the
// Config.ImportedUntil window: one simplejwt issued, whose signature, exp,
// iat, jti and token_type are already checked. It must carry no dbid (a
// token of this server always has a sid) and have been issued before the
// window ends; user_id may be a decimal string (simplejwt 5.5) or an
// integer (earlier versions).
func (i *Issuer) imported(w wireClaims, c Claims) (Claims, error) {
	if _, has := w["dbid"]; has {
		return Claims{}, refuse(MsgInvalid, ErrInvalid, errors.New("no sid claim"))
	}
	if !c.IssuedAt.Before(i.cfg.ImportedUntil) {
		return Claims{}, refuse(MsgInvalid, ErrInvalid, errors.New("no sid claim, and issued after JWT.IMPORTED_TOKENS_UNTIL"))
	}
	id, ok, err := w.id("user_id")
	if err != nil {
		if n, isInt, ierr := w.int("user_id"); ierr == nil && isInt && n > 0 {
			id, ok, err = n, true, nil
		}
	}
	if err != nil || !ok {
		if err == nil {
			err = errors.New("no user_id claim")
		}
		return Claims{}, refuse(MsgNoUser, ErrInvalid, err)
	}
	c.UserID, c.Imported = id, true
	return c, nil
}

func (i *Issuer) keyFunc(*jwt.Token) (any, error) {
	if i.keySet != nil {
		return i.keySet, nil
	}
	return i.verifyKey, nil
}

// refuse builds the client-facing error of a refused token.
func refuse(msg string, kind, cause error) error {
	return &chelseru.Error{
		Code:    chelseru.EUNAUTHORIZED,
		Message: msg,
		Extra:   map[string]any{"code": "token_not_valid"},
		Err:     fmt.Errorf("%w: %w", kind, cause),
	}
}

// NewJTI returns a new token id: a random UUID version 4 as 32 lower-case
// hex digits, as Python's uuid.uuid4().hex (simplejwt's jti).
func NewJTI() (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", fmt.Errorf("jti: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return hex.EncodeToString(u[:]), nil
}

// validJTI reports whether s is 32 lower-case hex digits. Any such value is
// accepted (not only version-4 UUIDs): the signature already vouches for it.
func validJTI(s string) bool {
	if len(s) != 32 {
		return false
	}
	for j := 0; j < len(s); j++ {
		if c := s[j]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// wireClaims is the payload as received: raw members by exact name, typed
// only after the signature has been checked.
type wireClaims map[string]json.RawMessage

// int returns member k as an integer. JSON numbers with a fraction or an
// exponent, strings, and values beyond ±2^53 are ill-typed.
func (w wireClaims) int(k string) (int64, bool, error) {
	raw, ok := w[k]
	if !ok || isNull(raw) {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n < -1<<53 || n > 1<<53 {
		return 0, true, fmt.Errorf("claim %s is not an integer: %.40s", k, raw)
	}
	return n, true, nil
}

// str returns member k as a string.
func (w wireClaims) str(k string) (string, bool, error) {
	raw, ok := w[k]
	if !ok || isNull(raw) {
		return "", false, nil
	}
	if len(raw) == 0 || raw[0] != '"' {
		return "", true, fmt.Errorf("claim %s is not a string: %.40s", k, raw)
	}
	if bytes.IndexByte(raw, '\\') < 0 { // no escapes: the text between the quotes
		return string(raw[1 : len(raw)-1]), true, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, fmt.Errorf("claim %s: %w", k, err)
	}
	return s, true, nil
}

// id returns member k as a positive id written as a canonical decimal string
// ("42", never 42, "042" or "+42").
func (w wireClaims) id(k string) (int64, bool, error) {
	s, ok, err := w.str(k)
	if err != nil || !ok {
		return 0, ok, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != s {
		return 0, true, fmt.Errorf("claim %s is not a positive decimal id: %.40q", k, s)
	}
	return n, true, nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// The jwt.Claims interface. Parse validates claims itself; these exist only to
// satisfy the interface and answer nothing.

func (w wireClaims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (w wireClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (w wireClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (w wireClaims) GetIssuer() (string, error)                   { return "", nil }
func (w wireClaims) GetSubject() (string, error)                  { return "", nil }
func (w wireClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }
