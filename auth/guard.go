package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chelseru/chelseru"
)

// This file holds the guards against abuse by strangers: per-address limits
// on logins and refreshes, the per-(number, address) budget of wrong codes,
// the service keys and the per-user limit of /api/message/send/. The design,
// and why a stranger cannot keep a number from logging in, is in
// docs/RATIONALE.md ("Lockouts by strangers").

// Defaults of the guard options.
const (
	// DefaultCodeLockout is how long an address may not try codes for a
	// number after MaxAttempts wrong ones in a row.
	DefaultCodeLockout = time.Hour
	// DefaultUserMessagesPerHour is SMS.USER_MESSAGES_PER_HOUR's default.
	DefaultUserMessagesPerHour = 10
	// DefaultFreshLogin is how recent a login must be to set a password
	// without the current one.
	DefaultFreshLogin = 5 * time.Minute
)

// Client-facing texts of the guards.
const (
	MsgCodeLocked    = "Too many wrong codes for this mobile number. Request a new code or try again in %d seconds."
	MsgForbidden     = "You do not have permission to perform this action."
	MsgBadAPIKey     = "Invalid API key."
	MsgStaleLogin    = "Give current_password, or log in again: without it, changing the password needs a login less than %d minutes old."
	MsgWrongPassword = "Your old password was entered incorrectly. Please enter it again."
)

// initGuards fills in the guard defaults and keeps the digests of the
// service keys (so their bytes are compared in constant time and their
// length does not leak through timing).
func (s *Service) initGuards() error {
	o := &s.opts
	if o.CodeLockout <= 0 {
		o.CodeLockout = DefaultCodeLockout
	}
	if o.UserMessagesPerHour <= 0 {
		o.UserMessagesPerHour = DefaultUserMessagesPerHour
	}
	if o.FreshLogin <= 0 {
		o.FreshLogin = DefaultFreshLogin
	}
	s.apiKeys = make([][sha256.Size]byte, 0, len(o.ServiceAPIKeys))
	for i, k := range o.ServiceAPIKeys {
		if k == "" {
			return fmt.Errorf("auth: service API key %d is empty", i)
		}
		s.apiKeys = append(s.apiKeys, sha256.Sum256([]byte(k)))
	}
	o.ServiceAPIKeys = nil // only the digests are kept
	return nil
}

// limitAddress takes one unit of the per-address limit named prefix (max per
// hour) for the client address ip; a refusal is a 429 with Retry-After. An
// unknown address ("") or max <= 0 is not limited.
func (s *Service) limitAddress(ctx context.Context, prefix string, max int, ip string) error {
	if max <= 0 || ip == "" {
		return nil
	}
	wait, err := s.store.Take(ctx, s.now(), chelseru.Limit{Key: prefix + ipLimitKey(ip), Max: max, Window: time.Hour})
	if err != nil {
		return chelseru.Internal(fmt.Errorf("take %s limit: %w", strings.TrimSuffix(prefix, ":"), err))
	}
	if wait > 0 {
		return throttled(wait)
	}
	return nil
}

// codeLockout is the budget of wrong codes one client address (its
// rate-limit key addr) has for the number m.
func (s *Service) codeLockout(m, addr string) chelseru.Lockout {
	return chelseru.Lockout{
		Key:  "otp:" + m + "|" + addr,
		Max:  s.opts.MaxAttempts,
		Lock: s.opts.CodeLockout,
		Idle: s.opts.CodeLockout,
	}
}

// codeLocked is the 429 of an address out of wrong codes for a number.
func codeLocked(until, now time.Time) *chelseru.Error {
	wait := until.Sub(now)
	return &chelseru.Error{
		Code:       chelseru.ETOOMANY,
		Reason:     "code_locked",
		Message:    fmt.Sprintf(MsgCodeLocked, ceilSeconds(wait)),
		RetryAfter: wait,
	}
}

// CallerKind says who calls /api/message/send/.
type CallerKind string

// Kinds of callers.
const (
	CallerService CallerKind = "service" // a service client with an API key
	CallerUser    CallerKind = "user"    // a signed-in user with a Bearer token
)

// Caller is who sends a message: a service client, or a user (Principal).
type Caller struct {
	Kind CallerKind
	// Principal is the user, for CallerUser.
	Principal Principal
}

// AuthorizeSender checks the Authorization header of /api/message/send/:
// "Api-Key <key>" with one of the service keys (compared in constant time;
// the key is never logged) is a service call; "Bearer <access>" is a user,
// refused with 403 unless UserMessages is on; anything else is a 401. kind
// is set as soon as the header's type is known, for metrics.
func (s *Service) AuthorizeSender(ctx context.Context, header string) (Caller, error) {
	parts := strings.Fields(header)
	if len(parts) > 0 && parts[0] == "Api-Key" {
		c := Caller{Kind: CallerService}
		if len(parts) != 2 || !s.matchAPIKey(parts[1]) {
			return c, &chelseru.Error{Code: chelseru.EUNAUTHORIZED, Reason: "invalid_api_key", Message: MsgBadAPIKey}
		}
		return c, nil
	}
	if len(parts) == 0 || parts[0] != "Bearer" {
		return Caller{}, &chelseru.Error{Code: chelseru.EUNAUTHENTICATED, Message: MsgNoCredentials}
	}
	c := Caller{Kind: CallerUser}
	p, err := s.Authorize(ctx, header)
	if err != nil {
		return c, err
	}
	c.Principal = p
	if !s.opts.UserMessages {
		return c, &chelseru.Error{Code: chelseru.EFORBIDDEN, Message: MsgForbidden}
	}
	return c, nil
}

// matchAPIKey reports whether key is one of the service keys. Every key is
// compared, each in constant time, so the time taken says nothing about
// which key, or how much of one, matched.
func (s *Service) matchAPIKey(key string) bool {
	d := sha256.Sum256([]byte(key))
	found := 0
	for i := range s.apiKeys {
		found |= subtle.ConstantTimeCompare(d[:], s.apiKeys[i][:])
	}
	return found == 1
}

// limitUserMessages takes one of the user's messages of this hour; a refusal
// is a 429 with Retry-After. Service calls are not limited here.
func (s *Service) limitUserMessages(ctx context.Context, c Caller) error {
	if c.Kind != CallerUser {
		return nil
	}
	lim := chelseru.Limit{Key: "msg-user:" + strconv.FormatInt(c.Principal.UserID, 10), Max: s.opts.UserMessagesPerHour, Window: time.Hour}
	wait, err := s.store.Take(ctx, s.now(), lim)
	if err != nil {
		return chelseru.Internal(fmt.Errorf("take user message limit: %w", err))
	}
	if wait > 0 {
		return throttled(wait)
	}
	return nil
}

// revokeOtherSessions signs the user out everywhere but session keep.
func (s *Service) revokeOtherSessions(ctx context.Context, userID, keep int64) error {
	list, err := s.store.ListSessions(ctx, userID)
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	n := 0
	for _, sess := range list {
		if sess.ID == keep {
			continue
		}
		if err := s.store.DeleteSession(ctx, userID, sess.ID); err != nil && !errors.Is(err, chelseru.ErrNotFound) {
			return fmt.Errorf("revoke session %d: %w", sess.ID, err)
		}
		n++
	}
	if n > 0 {
		s.log.InfoContext(ctx, "password changed: other sessions signed out", "user_id", userID, "sessions", n)
	}
	return nil
}
