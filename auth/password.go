package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/chelseru/chelseru"
)

// This file is the PASSWD method: setting a password, logging in with one,
// and the lockout after wrong ones. The argon2id hashing itself is in
// argon2.go.
//
// A password login, step by step (passwordLogin):
//  1. wait for an argon2 slot (at most MaxConcurrentHashes run at once, each
//     holding PasswordParams.Memory); no slot within HashWait is a 503 that
//     counts nothing;
//  2. count the attempt for the number (AttemptStore.BeginAttempt) before
//     knowing its outcome, so concurrent guesses cannot exceed the budget; a
//     locked number is a 429 without any hashing;
//  3. verify the password against the user's hash, or, for an unknown
//     number or a user without a password, against a dummy hash with the
//     same parameters, so all three answer alike in about the same time;
//  4. a wrong password is a 401, or a 429 when it was the MaxAttempts-th in
//     a row (FailAttempt locks the number for PasswordLockout); a right one
//     clears the count, re-hashes the password when its hash was made with
//     other parameters, and opens a session.
//
// The count is kept per number, whatever the group, and also for numbers
// that have no user, so a lockout does not tell whether a number is
// registered. Codes are not affected by a password lockout: a code proves the
// phone, and is the way back in for a user who forgot the password.

// attemptsKey is the AttemptStore key of a number's password attempts.
func attemptsKey(mobile string) string { return "pw:" + mobile }

// lockout is the password lockout policy for mobile.
func (s *Service) lockout(mobile string) chelseru.Lockout {
	return chelseru.Lockout{
		Key:  attemptsKey(mobile),
		Max:  s.opts.MaxAttempts,
		Lock: s.opts.PasswordLockout,
		Idle: DefaultPasswordIdle,
	}
}

// lockedError is the 429 of a number locked until until.
func lockedError(until, now time.Time) *chelseru.Error {
	wait := until.Sub(now)
	return &chelseru.Error{
		Code:       chelseru.ETOOMANY,
		Reason:     "password_locked",
		Message:    fmt.Sprintf(MsgPasswordLocked, ceilSeconds(wait)),
		RetryAfter: wait,
	}
}

// incorrect is the one answer to a wrong password, an unknown number and a
// user without a password.
func incorrect() *chelseru.Error {
	return &chelseru.Error{Code: chelseru.EUNAUTHORIZED, Reason: "invalid_credentials", Key: "error", Message: MsgPasswordIncorrect}
}

// validatePassword applies the password rules, returning every message that
// applies in DRF's shape: a length over MaxPasswordRunes alone (a field
// check, done first as DRF does), otherwise too short and entirely numeric
// together (Django's validators each add their message).
func validatePassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n == 0:
		return chelseru.FieldError("password", MsgRequired)
	case n > MaxPasswordRunes:
		return chelseru.FieldError("password", fmt.Sprintf(MsgTextTooLong, MaxPasswordRunes))
	}
	var msgs []string
	if n < MinPasswordRunes {
		msgs = append(msgs, fmt.Sprintf(MsgPasswordTooShort, MinPasswordRunes))
	}
	numeric := true
	for _, r := range pw {
		if !unicode.IsDigit(r) {
			numeric = false
			break
		}
	}
	if numeric {
		msgs = append(msgs, MsgPasswordNumeric)
	}
	if len(msgs) > 0 {
		return &chelseru.Error{Code: chelseru.EINVALID, Fields: map[string][]string{"password": msgs}}
	}
	return nil
}

// acquireHash waits for an argon2 slot, at most HashWait. The returned
// function gives it back.
func (s *Service) acquireHash(ctx context.Context) (release func(), err error) {
	release = func() { <-s.hashSlots }
	select {
	case s.hashSlots <- struct{}{}:
		return release, nil
	default:
	}
	t := time.NewTimer(s.opts.HashWait)
	defer t.Stop()
	select {
	case s.hashSlots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, &chelseru.Error{Code: chelseru.EUNAVAILABLE, Reason: "busy", Message: MsgBusy, RetryAfter: time.Second,
			Err: fmt.Errorf("no argon2 slot within %v", s.opts.HashWait)}
	case <-ctx.Done():
		return nil, chelseru.Internal(fmt.Errorf("wait for an argon2 slot: %w", ctx.Err()))
	}
}

// hashPassword hashes pw with the current parameters; the caller holds a slot.
func (s *Service) hashPassword(pw string) (string, error) {
	s.argon2Runs.Add(1)
	return HashPassword(pw, s.opts.PasswordParams)
}

// verifyPassword checks pw against encoded; the caller holds a slot.
func (s *Service) verifyPassword(pw, encoded string) (bool, PasswordParams, error) {
	s.argon2Runs.Add(1)
	return VerifyPassword(pw, encoded)
}

// verifyDummy spends the time of one verification with the current
// parameters and fails, for numbers that have no password to check; the
// caller holds a slot.
func (s *Service) verifyDummy(ctx context.Context, pw string) {
	s.dummyOnce.Do(func() { s.makeDummy(ctx) })
	if s.dummy == "" {
		return
	}
	if _, _, err := s.verifyPassword(pw, s.dummy); err != nil {
		s.log.ErrorContext(ctx, "verify dummy password hash", "err", err)
	}
}

// makeDummy hashes a random password with the current parameters, for
// verifyDummy. New calls it with MethodPasswd, so that even the first
// unknown number costs one verification, not a hash and a verification.
func (s *Service) makeDummy(ctx context.Context) {
	secret, err := randomHex(16)
	if err == nil {
		s.dummy, err = s.hashPassword(secret)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "make dummy password hash", "err", err)
	}
}

// passwordLogin logs in (Group, m) with in.Password; see the steps at the
// top of this file. m is normalised.
func (s *Service) passwordLogin(ctx context.Context, m string, in Login) (Tokens, error) {
	release, err := s.acquireHash(ctx)
	if err != nil {
		return Tokens{}, err
	}
	held := true
	defer func() {
		if held {
			release()
		}
	}()
	lo := s.lockout(m)
	now := s.now()
	n, until, err := s.store.BeginAttempt(ctx, lo, now)
	if err != nil {
		return Tokens{}, chelseru.Internal(fmt.Errorf("begin password attempt: %w", err))
	}
	if n == 0 {
		return Tokens{}, lockedError(until, now)
	}

	u, err := s.store.FindUser(ctx, in.Group, m)
	var (
		ok     bool
		params PasswordParams
	)
	switch {
	case errors.Is(err, chelseru.ErrNotFound) || (err == nil && u.PasswordHash == ""):
		s.verifyDummy(ctx, in.Password)
	case err != nil:
		// The attempt stays counted: failing closed costs one try.
		return Tokens{}, chelseru.Internal(fmt.Errorf("find user: %w", err))
	default:
		ok, params, err = s.verifyPassword(in.Password, u.PasswordHash)
		if err != nil {
			s.log.ErrorContext(ctx, "stored password hash unreadable: treated as wrong", "user_id", u.ID, "err", err)
			s.verifyDummy(ctx, in.Password)
			ok = false
		}
	}
	var rehash string
	if ok && params != s.opts.PasswordParams {
		if rehash, err = s.hashPassword(in.Password); err != nil {
			s.log.ErrorContext(ctx, "re-hash password", "user_id", u.ID, "err", err)
			rehash = ""
		}
	}
	release()
	held = false

	if !ok {
		now := s.now()
		until, err := s.store.FailAttempt(ctx, lo, now)
		if err != nil {
			return Tokens{}, chelseru.Internal(fmt.Errorf("record wrong password: %w", err))
		}
		if !until.IsZero() {
			s.log.WarnContext(ctx, "password login locked", "mobile", maskMobile(m), "until", until)
			return Tokens{}, lockedError(until, now)
		}
		return Tokens{}, incorrect()
	}
	if err := s.store.ResetAttempts(ctx, lo.Key); err != nil {
		s.log.ErrorContext(ctx, "reset password attempts", "user_id", u.ID, "err", err)
	}
	if rehash != "" {
		if err := s.store.SetPassword(ctx, u.ID, rehash); err != nil {
			s.log.ErrorContext(ctx, "store re-hashed password", "user_id", u.ID, "err", err)
		} else {
			s.log.InfoContext(ctx, "password re-hashed with current parameters", "user_id", u.ID)
		}
	}
	return s.openSession(ctx, u.ID, in.UserAgent, in.IP)
}

// SetPassword sets or changes the caller's password (MethodPasswd only; with
// MethodOTP it is a 404, as the route does not exist then). The password must
// have MinPasswordRunes to MaxPasswordRunes characters and not be entirely
// numeric; it is stored as an argon2id hash.
//
// A change needs a fresh proof that the caller is the user, so a stolen
// access token cannot become a lasting password: current, when the user has
// a password and current is given, must be it (400 otherwise, and it counts
// as a wrong password for the number's lockout); without it, the caller's
// login must be fresher than FreshLogin (403 otherwise). On success the
// number's count of wrong passwords is cleared and every other session of
// the user is signed out; the caller's own stays.
func (s *Service) SetPassword(ctx context.Context, p Principal, password, current string) error {
	if s.opts.Method != MethodPasswd {
		return &chelseru.Error{Code: chelseru.ENOTFOUND, Message: MsgNotFound}
	}
	if err := validatePassword(password); err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	switch {
	case errors.Is(err, chelseru.ErrNotFound):
		return tokenInvalid(MsgTokenInvalid, err)
	case err != nil:
		return chelseru.Internal(fmt.Errorf("get user: %w", err))
	}
	proved := current != "" && u.PasswordHash != ""
	if !proved && s.now().Sub(p.AuthAt) >= s.opts.FreshLogin {
		return &chelseru.Error{Code: chelseru.EFORBIDDEN, Reason: "login_not_fresh", Message: fmt.Sprintf(MsgStaleLogin, int(s.opts.FreshLogin/time.Minute))}
	}
	release, err := s.acquireHash(ctx)
	if err != nil {
		return err
	}
	if proved {
		if err := s.checkCurrentPassword(ctx, u, current); err != nil {
			release()
			return err
		}
	}
	hash, err := s.hashPassword(password)
	release()
	if err != nil {
		return chelseru.Internal(err)
	}
	if err := s.store.SetPassword(ctx, u.ID, hash); err != nil {
		return chelseru.Internal(fmt.Errorf("store password: %w", err))
	}
	if err := s.store.ResetAttempts(ctx, attemptsKey(u.Mobile)); err != nil {
		s.log.ErrorContext(ctx, "reset password attempts", "user_id", u.ID, "err", err)
	}
	s.log.InfoContext(ctx, "password set", "user_id", u.ID)
	if err := s.revokeOtherSessions(ctx, u.ID, p.SessionID); err != nil {
		// The password is changed; answering 500 would hide that. The
		// sessions left are logged for the operator to revoke.
		return chelseru.Internal(fmt.Errorf("password set, but signing out other sessions failed: %w", err))
	}
	return nil
}

// checkCurrentPassword verifies current against u's password, counted as a
// password attempt for u's number (a locked number is a 429, a wrong
// password a 400 on current_password). The caller holds a hash slot.
func (s *Service) checkCurrentPassword(ctx context.Context, u chelseru.User, current string) error {
	lo := s.lockout(u.Mobile)
	now := s.now()
	n, until, err := s.store.BeginAttempt(ctx, lo, now)
	if err != nil {
		return chelseru.Internal(fmt.Errorf("begin password attempt: %w", err))
	}
	if n == 0 {
		return lockedError(until, now)
	}
	ok, _, err := s.verifyPassword(current, u.PasswordHash)
	if err != nil {
		s.log.ErrorContext(ctx, "stored password hash unreadable: treated as wrong", "user_id", u.ID, "err", err)
		ok = false
	}
	if ok {
		return nil
	}
	now = s.now()
	if until, err = s.store.FailAttempt(ctx, lo, now); err != nil {
		return chelseru.Internal(fmt.Errorf("record wrong password: %w", err))
	}
	if !until.IsZero() {
		return lockedError(until, now)
	}
	return chelseru.FieldError("current_password", MsgWrongPassword)
}
