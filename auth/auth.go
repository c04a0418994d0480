// Package auth is chelseru's login logic, with no HTTP in it: one-time codes
// sent by SMS, their verification with a bounded number of tries, passwords
// (the PASSWD method: argon2id hashes, a lockout after wrong ones), sessions,
// JWT issue, refresh with rotation and reuse detection, the authorisation of
// a bearer token, and the sending of operator SMS through the provider port.
//
// Every method takes plain values and returns either a result or an
// *chelseru.Error whose Message, Key, Fields and Extra are safe to show a
// client; internal causes are wrapped in it and only ever logged. The host
// package turns those errors into HTTP responses in one place.
//
// The order of the steps in SendOTP is deliberate and documented on it: a
// request that fails validation or finds a live code costs nothing, a
// request refused by a limit leaves no code behind, and a code whose SMS was
// not delivered to the provider is discarded so the user can retry at once.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/token"
)

// Defaults and bounds of Options.
const (
	DefaultOTPLength            = 8
	DefaultOTPTTL               = 4 * time.Minute
	DefaultMaxAttempts          = 5
	DefaultSessionTouchInterval = time.Minute
	// DefaultCleanupTimeout bounds the store writes made after the request's
	// own context may already be done (discarding a code, recording an SMS
	// outcome).
	DefaultCleanupTimeout = 5 * time.Second
	// MaxMessageRunes is the longest text /api/message/send/ accepts, in
	// characters (runes), as in the original package.
	MaxMessageRunes = 290
	// MinOTPLength and MaxOTPLength bound Options.OTPLength.
	MinOTPLength = 3
	MaxOTPLength = 10
	// maxUserAgent bounds the user agent kept in a session, in bytes.
	maxUserAgent = 512
	// MinPasswordRunes and MaxPasswordRunes bound a new password, in
	// characters (runes), as Django's MinimumLengthValidator and the usual
	// max_length of 128 do.
	MinPasswordRunes = 8
	MaxPasswordRunes = 128
	// DefaultPasswordLockout is how long a number is locked after
	// MaxAttempts wrong passwords in a row.
	DefaultPasswordLockout = 15 * time.Minute
	// DefaultPasswordIdle is how long a count of wrong passwords is kept
	// after the last one.
	DefaultPasswordIdle = 24 * time.Hour
	// DefaultHashWait bounds how long a request waits for an argon2 slot
	// before it is answered 503.
	DefaultHashWait = 5 * time.Second
)

// Method is an authentication method (AUTH.AUTH_METHOD).
type Method string

// Authentication methods.
const (
	// MethodOTP: one-time codes only; a password field is ignored, as the
	// original's serializer ignores unknown fields, and /api/password/set/
	// does not exist (404).
	MethodOTP Method = "OTP"
	// MethodPasswd: a user may also set a password and log in with it;
	// codes still work (first login, forgotten password).
	MethodPasswd Method = "PASSWD"
)

// Client-facing texts. They follow the original package where it had one and
// Django REST Framework / simplejwt otherwise.
const (
	MsgInvalidMobile   = "Enter a valid mobile number."
	MsgOTPConflict     = "An OTP code has already been sent. Please wait %d seconds before trying again."
	MsgThrottled       = "Request was throttled. Expected available in %d seconds."
	MsgCodeNotFound    = "The code sent to this mobile number was not found."
	MsgCodeBurnt       = "Too many wrong codes for this mobile number. Request a new code."
	MsgProviderFailed  = "The SMS service provider was unable to process the request."
	MsgProviderTimeout = "The SMS service provider did not answer in time."
	MsgPluginFailed    = "The SMS provider plugin failed."
	MsgTokenInvalid    = token.MsgInvalid
	MsgTokenReused     = "Token is blacklisted"
	MsgNoCredentials   = "Authentication credentials were not provided."
	MsgBadAuthHeader   = "Authorization header must contain two space-delimited values"
	MsgNotFound        = "Not found."
	MsgRequired        = "This field is required."
	MsgTextTooLong     = "Ensure this field has no more than %d characters."
	// Password texts: Django's password validators and a login error that
	// does not tell an unknown number from a wrong password.
	MsgPasswordIncorrect = "Mobile number or password is incorrect."
	MsgPasswordTooShort  = "This password is too short. It must contain at least %d characters."
	MsgPasswordNumeric   = "This password is entirely numeric."
	MsgPasswordLocked    = "Too many wrong passwords for this mobile number. Expected available in %d seconds."
	MsgCodeOrPassword    = "Provide either a code or a password."
	MsgCodeAndPassword   = "Provide either a code or a password, not both."
	MsgBusy              = "The server is busy. Try again later."
)

// Options are the tunables of a Service, mapped from the config file by the
// caller. Zero values take the defaults named on each field.
type Options struct {
	// OTPLength is the number of decimal digits of a code (AUTH.OPTIONS.OTP_LENGTH),
	// MinOTPLength..MaxOTPLength; 0 means DefaultOTPLength.
	OTPLength int
	// OTPTTL is how long a code stays valid (OTP_EXPIRE_PER_MINUTES); 0 means DefaultOTPTTL.
	OTPTTL time.Duration
	// OTPTemplateID is the provider template codes are sent with (OTP_SMS_TEMPLATE_ID).
	OTPTemplateID int64
	// MaxAttempts is the number of wrong codes that burns a code
	// (OTP_MAX_ATTEMPTS); 0 means DefaultMaxAttempts.
	MaxAttempts int
	// SendsPerNumberPerHour and SendsPerIPPerHour are the send limits
	// (OTP_SENDS_PER_NUMBER_PER_HOUR, OTP_SENDS_PER_IP_PER_HOUR). A value <= 0
	// disables that limit.
	SendsPerNumberPerHour int
	SendsPerIPPerHour     int
	// SessionTouchInterval is how stale a session's LastSeen must be before a
	// request updates it; 0 means DefaultSessionTouchInterval.
	SessionTouchInterval time.Duration
	// SMSTimeout, when positive, bounds one provider call from here, for a
	// Sender that does not bound its own calls. chelseru serve leaves it 0:
	// the plugin host bounds every send by SMS.TIMEOUT itself.
	SMSTimeout time.Duration
	// Service is the SMS_SERVICE name recorded with every message.
	Service string
	// TemplateOnly is true when the provider sends only templates (its
	// manifest has Templates and not Text, as Parsian Webco): then
	// /api/message/send/ requires template_id.
	TemplateOnly bool
	// CleanupTimeout bounds the store writes made after a provider call; 0
	// means DefaultCleanupTimeout.
	CleanupTimeout time.Duration
	// Method is AUTH.AUTH_METHOD; "" means MethodOTP.
	Method Method
	// PasswordParams are the argon2id parameters of new password hashes;
	// the zero value means DefaultPasswordParams.
	PasswordParams PasswordParams
	// PasswordLockout is how long a number is locked after MaxAttempts wrong
	// passwords in a row; 0 means DefaultPasswordLockout.
	PasswordLockout time.Duration
	// MaxConcurrentHashes bounds the argon2 computations running at once,
	// so a flood of logins cannot exhaust memory (each takes
	// PasswordParams.Memory); 0 means GOMAXPROCS.
	MaxConcurrentHashes int
	// HashWait bounds how long a request waits for an argon2 slot; 0 means
	// DefaultHashWait.
	HashWait time.Duration

	// The options below are the abuse guards of guard.go.

	// SendsPerNumberPerIPPerHour is a client address's own share of codes
	// sent to one number per hour, used once the number's shared
	// SendsPerNumberPerHour is spent (OTP_SENDS_PER_NUMBER_PER_IP_PER_HOUR);
	// <= 0: no share.
	SendsPerNumberPerIPPerHour int
	// AuthenticatePerIPPerHour and RefreshPerIPPerHour bound the requests
	// to Authenticate and Refresh from one client address per hour
	// (AUTHENTICATE_PER_IP_PER_HOUR, REFRESH_PER_IP_PER_HOUR); <= 0: no limit.
	AuthenticatePerIPPerHour int
	RefreshPerIPPerHour      int
	// CodeLockout is how long a client address may not try codes for a
	// number after MaxAttempts wrong ones in a row; 0 means
	// DefaultCodeLockout.
	CodeLockout time.Duration
	// ServiceAPIKeys are the keys service clients present as
	// "Authorization: Api-Key <key>" to send messages (AUTH.SERVICE_API_KEYS).
	ServiceAPIKeys []string
	// UserMessages lets signed-in users send messages too (SMS.USER_MESSAGES),
	// UserMessagesPerHour of them per user (SMS.USER_MESSAGES_PER_HOUR; 0
	// means DefaultUserMessagesPerHour).
	UserMessages        bool
	UserMessagesPerHour int
	// FreshLogin is how recent a caller's login (a code or password verified)
	// must be to set a password without giving the current one; 0 means
	// DefaultFreshLogin.
	FreshLogin time.Duration

	// MaxSMSPerHour and MaxSMSPerDay are the global SMS budgets over every
	// send, codes and messages (SMS.MAX_PER_HOUR, SMS.MAX_PER_DAY); <= 0:
	// no budget (admin.go).
	MaxSMSPerHour int
	MaxSMSPerDay  int
}

// Deps are the collaborators of a Service.
type Deps struct {
	// Store is the storage (required).
	Store chelseru.Store
	// Sender is the SMS provider port (required).
	Sender chelseru.SMSSender
	// Tokens issues and parses JWTs (required).
	Tokens *token.Issuer
	// OTPKey is the HMAC key codes are hashed with (required, at least 16
	// bytes). Keep it stable across restarts or live codes stop matching.
	OTPKey []byte
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives operational messages; nil means slog.Default().
	Logger *slog.Logger
	// Imported, when set, knows the users imported from Django, whose
	// simplejwt tokens are accepted within JWT.IMPORTED_TOKENS_UNTIL; nil
	// means Store when it implements ImportedUsers (a wrapped store may not).
	Imported ImportedUsers
}

// Service is the login logic. It is safe for concurrent use.
type Service struct {
	opts  Options
	store chelseru.Store
	// imported knows the users imported from Django (nil: none).
	imported ImportedUsers
	sender   chelseru.SMSSender
	tokens   *token.Issuer
	key      []byte
	now      func() time.Time
	log      *slog.Logger
	// refreshTTL and rotate are copied from the issuer's configuration.
	refreshTTL time.Duration
	rotate     bool
	macs       sync.Pool // of hash.Hash: HMAC-SHA256 under key

	// hashSlots holds one token per running argon2 computation.
	hashSlots chan struct{}
	// dummy is a hash of a random password with the current parameters,
	// verified against for numbers without a password; New makes it with
	// MethodPasswd (one argon2 hash, ~20 ms).
	dummyOnce sync.Once
	dummy     string
	// argon2Runs counts argon2 computations (for tests).
	argon2Runs atomic.Int64
	// apiKeys are the SHA-256 digests of Options.ServiceAPIKeys.
	apiKeys [][sha256.Size]byte
	// budget counts refusals of the global SMS budget (admin.go).
	budget budget
}

// New checks opts and deps and returns a Service.
func New(opts Options, deps Deps) (*Service, error) {
	if opts.OTPLength == 0 {
		opts.OTPLength = DefaultOTPLength
	}
	if opts.OTPLength < MinOTPLength || opts.OTPLength > MaxOTPLength {
		return nil, fmt.Errorf("auth: OTP length must be between %d and %d, got %d", MinOTPLength, MaxOTPLength, opts.OTPLength)
	}
	if opts.OTPTTL == 0 {
		opts.OTPTTL = DefaultOTPTTL
	}
	if opts.OTPTTL < time.Second {
		return nil, fmt.Errorf("auth: OTP lifetime must be at least 1s, got %v", opts.OTPTTL)
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MaxAttempts < 1 {
		return nil, fmt.Errorf("auth: OTP max attempts must be at least 1, got %d", opts.MaxAttempts)
	}
	if opts.SessionTouchInterval <= 0 {
		opts.SessionTouchInterval = DefaultSessionTouchInterval
	}
	if opts.CleanupTimeout <= 0 {
		opts.CleanupTimeout = DefaultCleanupTimeout
	}
	switch opts.Method {
	case "":
		opts.Method = MethodOTP
	case MethodOTP, MethodPasswd:
	default:
		return nil, fmt.Errorf("auth: method must be %s or %s, got %q", MethodOTP, MethodPasswd, opts.Method)
	}
	if opts.PasswordParams == (PasswordParams{}) {
		opts.PasswordParams = DefaultPasswordParams()
	}
	if err := opts.PasswordParams.validate(); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if opts.PasswordLockout <= 0 {
		opts.PasswordLockout = DefaultPasswordLockout
	}
	if opts.MaxConcurrentHashes == 0 {
		opts.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
	if opts.MaxConcurrentHashes < 1 {
		return nil, fmt.Errorf("auth: max concurrent hashes must be at least 1, got %d", opts.MaxConcurrentHashes)
	}
	if opts.HashWait <= 0 {
		opts.HashWait = DefaultHashWait
	}
	switch {
	case deps.Store == nil:
		return nil, errors.New("auth: a store is required")
	case deps.Sender == nil:
		return nil, errors.New("auth: an SMS sender is required")
	case deps.Tokens == nil:
		return nil, errors.New("auth: a token issuer is required")
	case len(deps.OTPKey) < 16:
		return nil, fmt.Errorf("auth: the OTP key must be at least 16 bytes, got %d", len(deps.OTPKey))
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Imported == nil {
		deps.Imported, _ = deps.Store.(ImportedUsers)
	}
	tc := deps.Tokens.Config()
	svc := &Service{
		imported:   deps.Imported,
		opts:       opts,
		store:      deps.Store,
		sender:     deps.Sender,
		tokens:     deps.Tokens,
		key:        append([]byte(nil), deps.OTPKey...),
		now:        deps.Now,
		log:        deps.Logger,
		refreshTTL: tc.RefreshLifetime,
		rotate:     tc.Rotate,
		hashSlots:  make(chan struct{}, opts.MaxConcurrentHashes),
	}
	svc.macs.New = func() any { return hmac.New(sha256.New, svc.key) }
	if err := svc.initGuards(); err != nil {
		return nil, err
	}
	if opts.Method == MethodPasswd {
		svc.dummyOnce.Do(func() { svc.makeDummy(context.Background()) })
	}
	return svc, nil
}

// Options returns the options in effect (defaults filled in).
func (s *Service) Options() Options { return s.opts }

// normalizeMobile validates and normalises a mobile number for field.
func normalizeMobile(field, raw string) (string, error) {
	m, ok := chelseru.NormalizeMobile(raw)
	if !ok {
		return "", chelseru.FieldError(field, MsgInvalidMobile)
	}
	return m, nil
}

// newCode returns n decimal digits from crypto/rand. Each digit comes from
// one random byte below 250 (bytes 250..255 are rejected), so every digit is
// uniform: no modulo bias.
func newCode(n int) (string, error) {
	var out [MaxOTPLength]byte
	var buf [32]byte
	got := 0
	for got < n {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("read random code: %w", err)
		}
		for _, b := range buf {
			if b >= 250 {
				continue
			}
			out[got] = '0' + b%10
			got++
			if got == n {
				break
			}
		}
	}
	return string(out[:n]), nil
}

// hashCode is HMAC-SHA256(key, mobile ":" code). The HMAC states are
// pooled: building one hashes the key twice.
func (s *Service) hashCode(mobile, code string) []byte {
	m := s.macs.Get().(hash.Hash)
	m.Reset()
	io.WriteString(m, mobile)
	io.WriteString(m, ":")
	io.WriteString(m, code)
	sum := m.Sum(make([]byte, 0, sha256.Size))
	s.macs.Put(m)
	return sum
}

// ceilSeconds is d in whole seconds, rounded up, at least 1.
func ceilSeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

// ipLimitKey is the rate-limit key of a client address: the address itself
// for IPv4, its /64 for IPv6 (one host usually owns a whole /64, so limiting
// single IPv6 addresses limits nothing). Unparsable addresses are used as
// they are.
func ipLimitKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, err := a.WithZone("").Prefix(64)
		if err == nil {
			return p.String()
		}
	}
	return a.String()
}

// cleanupContext is a context for writes that must happen even when ctx is
// done (the client went away or the provider timed out).
func (s *Service) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), s.opts.CleanupTimeout)
}

// SendOTP sends a new one-time code to mobile, asked for from the client
// address ip ("" when unknown: then the per-address limit is not applied).
//
// The steps, in order:
//  1. mobile is normalised; an invalid number is a 400 and costs nothing;
//  2. a code is generated and its HMAC stored with a TTL; a live code for the
//     number is a 409 with the whole seconds left, and costs nothing;
//  3. one unit of the per-number and per-address limits is taken; a refusal
//     is a 429 with RetryAfter, and the code just stored is deleted. When
//     the number's shared budget is spent, the address's own share of sends
//     to the number (SendsPerNumberPerIPPerHour) is taken instead, with its
//     per-address limit, before the code is stored uncounted;
//  4. the code is handed to the provider with template OTPTemplateID. On a
//     failure (502) or timeout (504) the code is deleted so the user can
//     retry at once; the limit units stay taken, since the provider was
//     called. After a send, the address's count of wrong codes for the
//     number starts again.
//
// The code remembers the address that asked for it (its requester): only
// the requester's wrong codes burn it (see Authenticate).
func (s *Service) SendOTP(ctx context.Context, mobile, ip string) error {
	m, err := normalizeMobile("mobile_number", mobile)
	if err != nil {
		return err
	}
	if err := s.refuseDisabledMobile(ctx, m); err != nil {
		return err
	}
	code, err := newCode(s.opts.OTPLength)
	if err != nil {
		return chelseru.Internal(err)
	}
	now := s.now()
	hash := s.hashCode(m, code)
	addr := ""
	if ip != "" {
		addr = ipLimitKey(ip)
	}
	otp := chelseru.OTP{Mobile: m, Hash: hash, ExpiresAt: now.Add(s.opts.OTPTTL), Requester: addr}
	// The per-number limit is counted in the number's code record, in the
	// same write as the code; the per-address one by the rate limiter.
	perNumber := chelseru.SendLimit{Max: s.opts.SendsPerNumberPerHour, Window: time.Hour}
	existing, err := s.store.CreateOTP(ctx, otp, perNumber)
	paid := false // the address's limits are taken already
	if errors.Is(err, chelseru.ErrLimited) && s.opts.SendsPerNumberPerIPPerHour > 0 && addr != "" {
		// The number's shared budget is spent (perhaps by strangers): the
		// address's own share of sends to it, with its overall limit.
		perIP := chelseru.Limit{Key: "otp-num-ip:" + m + "|" + addr, Max: s.opts.SendsPerNumberPerIPPerHour, Window: time.Hour}
		limits := []chelseru.Limit{perIP}
		if s.opts.SendsPerIPPerHour > 0 {
			limits = append(limits, chelseru.Limit{Key: "otp-ip:" + addr, Max: s.opts.SendsPerIPPerHour, Window: time.Hour})
		}
		wait, terr := s.store.Take(ctx, now, limits...)
		switch {
		case terr != nil:
			return chelseru.Internal(fmt.Errorf("take send limits: %w", terr))
		case wait > 0:
			return throttled(wait)
		}
		perNumber.Uncounted = true
		existing, err = s.store.CreateOTP(ctx, otp, perNumber)
		paid = true
	}
	switch {
	case errors.Is(err, chelseru.ErrExists):
		left := existing.ExpiresAt.Sub(now)
		return &chelseru.Error{
			Code:       chelseru.ECONFLICT,
			Reason:     "otp_already_sent",
			Key:        "details",
			Message:    fmt.Sprintf(MsgOTPConflict, ceilSeconds(left)),
			RetryAfter: left,
		}
	case errors.Is(err, chelseru.ErrLimited):
		return throttled(existing.WindowEnd.Sub(now))
	case err != nil:
		return chelseru.Internal(fmt.Errorf("store otp: %w", err))
	}

	if s.opts.SendsPerIPPerHour > 0 && addr != "" && !paid {
		lim := chelseru.Limit{Key: "otp-ip:" + addr, Max: s.opts.SendsPerIPPerHour, Window: time.Hour}
		wait, err := s.store.Take(ctx, now, lim)
		if err != nil || wait > 0 {
			s.discardCode(ctx, m, hash, true) // the number's send is taken back
			if err != nil {
				return chelseru.Internal(fmt.Errorf("take send limits: %w", err))
			}
			return throttled(wait)
		}
	}

	if err := s.takeSMSBudget(ctx, now); err != nil {
		s.discardCode(ctx, m, hash, true) // nothing was sent
		return err
	}
	sctx, cancel := s.smsContext(ctx)
	_, err = s.sender.Send(sctx, chelseru.SMS{To: m, TemplateID: s.opts.OTPTemplateID, Vars: []string{code}})
	cancel()
	if err != nil {
		// A send the provider refused or may have received still counts;
		// one that failed on our side before reaching it gives back the
		// number's and the address's sends.
		unsent := chelseru.SMSNotSent(err)
		s.discardCode(ctx, m, hash, unsent)
		if unsent {
			s.giveBackIP(ctx, now, ip)
		}
		return s.providerError(err, false, "send otp to "+maskMobile(m))
	}
	if addr != "" {
		// A new code for this address: its budget of wrong codes for the
		// number starts again (its old code may have been burnt by its own
		// wrong tries).
		if err := s.store.ResetAttempts(ctx, s.codeLockout(m, addr).Key); err != nil {
			s.log.ErrorContext(ctx, "reset code attempts", "mobile", maskMobile(m), "err", err)
		}
	}
	return nil
}

// giveBackIP returns the per-address send SendOTP took for ip.
func (s *Service) giveBackIP(ctx context.Context, now time.Time, ip string) {
	if s.opts.SendsPerIPPerHour <= 0 || ip == "" {
		return
	}
	cctx, cancel := s.cleanupContext(ctx)
	defer cancel()
	lim := chelseru.Limit{Key: "otp-ip:" + ipLimitKey(ip), Max: s.opts.SendsPerIPPerHour, Window: time.Hour}
	if err := s.store.Give(cctx, now, lim); err != nil {
		s.log.ErrorContext(ctx, "give back the address's otp send", "err", err)
	}
}

// discardCode discards the code with hash for mobile (and with unsend the
// send it counted), logging a failure.
func (s *Service) discardCode(ctx context.Context, mobile string, hash []byte, unsend bool) {
	cctx, cancel := s.cleanupContext(ctx)
	defer cancel()
	if err := s.store.DeleteOTP(cctx, mobile, hash, unsend); err != nil {
		s.log.ErrorContext(ctx, "discard otp", "mobile", maskMobile(mobile), "err", err)
	}
}

// throttled is the 429 of a send limit, retry after wait.
func throttled(wait time.Duration) error {
	return &chelseru.Error{
		Code:       chelseru.ETOOMANY,
		Message:    fmt.Sprintf(MsgThrottled, ceilSeconds(wait)),
		RetryAfter: wait,
	}
}

// smsContext bounds one provider call by Options.SMSTimeout.
func (s *Service) smsContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.opts.SMSTimeout > 0 {
		return context.WithTimeout(ctx, s.opts.SMSTimeout)
	}
	return ctx, func() {}
}

// providerError turns a provider failure into the client-facing error. With
// details, the provider's own code and text are included (errorcode,
// errortext), as the original did for /api/message/send/; the anonymous
// /api/otp/send/ does not show them, since they describe the operator's
// account (credit, credentials) to anyone.
//
// The error wraps err with what (for the log line the host writes with the
// request id); auth itself does not log provider failures, so each one is
// logged once.
func (s *Service) providerError(err error, details bool, what string) *chelseru.Error {
	var se *chelseru.SMSError
	isSMS := errors.As(err, &se)
	if (isSMS && se.Class == chelseru.SMSTimeout) || errors.Is(err, context.DeadlineExceeded) {
		return &chelseru.Error{Code: chelseru.ETIMEOUT, Key: "details", Message: MsgProviderTimeout, Err: fmt.Errorf("%s: %w", what, err)}
	}
	e := &chelseru.Error{Code: chelseru.EPROVIDER, Key: "details", Message: MsgProviderFailed, Err: fmt.Errorf("%s: %w", what, err)}
	switch {
	case !details:
	case isSMS && se.Class != chelseru.SMSPlugin:
		e.Extra = map[string]any{"errorcode": providerCode(se.Code), "errortext": se.Text}
	default:
		// A plugin that trapped or broke the ABI has no provider answer to
		// show, and its error text is the runtime's, not the provider's.
		e.Extra = map[string]any{"errorcode": nil, "errortext": MsgPluginFailed}
	}
	return e
}

// providerCode is a provider's error code as a JSON value: an integer when it
// is one (Kavenegar's statuses are), else the string, else null.
func providerCode(c string) any {
	if c == "" {
		return nil
	}
	var n int64
	for i := 0; i < len(c); i++ {
		d := c[i]
		if d < '0' || d > '9' || i >= 18 {
			return c
		}
		n = n*10 + int64(d-'0')
	}
	if c[0] == '0' && len(c) > 1 {
		return c
	}
	return n
}

// maskMobile hides the middle of a mobile number for logs: 0912***4567.
func maskMobile(m string) string {
	if len(m) != 11 {
		return "***"
	}
	return m[:4] + "***" + m[7:]
}
