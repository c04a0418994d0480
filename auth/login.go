package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/token"
)

// Login is what /api/authenticate/ needs.
type Login struct {
	// Mobile is the mobile number as sent (any accepted form).
	Mobile string
	// Code is the one-time code as sent; Persian and Arabic-Indic digits are
	// accepted.
	Code string
	// Password is the password as sent (MethodPasswd; ignored with
	// MethodOTP). Exactly one of Code and Password may be set.
	Password string
	// Group is the user group (default 0).
	Group int64
	// UserAgent and IP describe the client, for the session record.
	UserAgent string
	IP        string
}

// Tokens is a pair of JWTs. Refresh is empty when a refresh did not rotate.
type Tokens struct {
	Access  string
	Refresh string
}

// Principal is the caller behind a valid access token.
type Principal struct {
	UserID    int64
	SessionID int64
	// AuthAt is when the session's login proved the caller (a code or a
	// password verified): the session's creation, since only a login
	// creates a session and a refresh keeps it.
	AuthAt time.Time
}

// Authenticate checks a one-time code and, when it matches, logs the user in:
// the user (Group, Mobile) is created on first login, a session is recorded
// and an access and a refresh token are issued for it.
//
// Requests from one client address are limited to AuthenticatePerIPPerHour
// (429). A wrong, used or expired code is a 401 with the original's body.
// Wrong codes are counted per (number, client address): the MaxAttempts-th
// in a row from one address is a 429, as is every try from it for
// CodeLockout or until it is sent a new code. Only the wrong codes of the
// address that asked for the code (its requester) also count in the code and
// burn it at MaxAttempts (429 until a new code is sent), so a stranger's
// guesses never lock the owner out.
//
// With MethodPasswd, a Login with a Password instead of a Code is checked by
// passwordLogin; a Login with both, or neither, is a 400.
func (s *Service) Authenticate(ctx context.Context, in Login) (Tokens, error) {
	m, err := normalizeMobile("mobile_number", in.Mobile)
	if err != nil {
		return Tokens{}, err
	}
	if err := s.limitAddress(ctx, "auth-ip:", s.opts.AuthenticatePerIPPerHour, in.IP); err != nil {
		return Tokens{}, err
	}
	if s.opts.Method == MethodPasswd {
		switch {
		case in.Password != "" && utf8.RuneCountInString(in.Password) > MaxPasswordRunes:
			return Tokens{}, chelseru.FieldError("password", fmt.Sprintf(MsgTextTooLong, MaxPasswordRunes))
		case in.Password != "" && in.Code != "":
			return Tokens{}, chelseru.FieldError("non_field_errors", MsgCodeAndPassword)
		case in.Password != "":
			return s.passwordLogin(ctx, m, in)
		case in.Code == "":
			return Tokens{}, chelseru.FieldError("non_field_errors", MsgCodeOrPassword)
		}
	}
	code := chelseru.ASCIIDigits(strings.TrimSpace(in.Code))
	want := s.hashCode(m, code)
	// Every try is counted against the client address's own budget for the
	// number before it is checked (so concurrent tries cannot exceed it);
	// only the requester's wrong tries also count in the code and can burn
	// it, so a stranger's guesses lock out the stranger, never the owner.
	addr := ""
	if in.IP != "" {
		addr = ipLimitKey(in.IP)
	}
	var lo chelseru.Lockout
	if addr != "" {
		lo = s.codeLockout(m, addr)
		now := s.now()
		n, until, err := s.store.BeginAttempt(ctx, lo, now)
		if err != nil {
			return Tokens{}, chelseru.Internal(fmt.Errorf("begin code attempt: %w", err))
		}
		if n == 0 {
			return Tokens{}, codeLocked(until, now)
		}
	}
	check, err := s.store.VerifyOTP(ctx, m, addr, func(o chelseru.OTP) bool { return hmac.Equal(o.Hash, want) }, s.opts.MaxAttempts)
	if err != nil {
		return Tokens{}, chelseru.Internal(fmt.Errorf("verify otp: %w", err))
	}
	var until time.Time
	if check != chelseru.OTPMatched && addr != "" {
		now := s.now()
		if until, err = s.store.FailAttempt(ctx, lo, now); err != nil {
			return Tokens{}, chelseru.Internal(fmt.Errorf("record wrong code: %w", err))
		}
	}
	switch {
	case check == chelseru.OTPMatched:
		if addr != "" {
			if err := s.store.ResetAttempts(ctx, lo.Key); err != nil {
				s.log.ErrorContext(ctx, "reset code attempts", "mobile", maskMobile(m), "err", err)
			}
		}
	case check == chelseru.OTPBurnt:
		return Tokens{}, &chelseru.Error{Code: chelseru.ETOOMANY, Reason: "code_attempts_exceeded", Message: MsgCodeBurnt}
	case !until.IsZero():
		return Tokens{}, codeLocked(until, s.now())
	default: // OTPMissing, OTPMismatch
		return Tokens{}, &chelseru.Error{Code: chelseru.EUNAUTHORIZED, Reason: "invalid_code", Key: "error", Message: MsgCodeNotFound}
	}

	now := s.now()
	u, created, err := s.store.GetOrCreateUser(ctx, in.Group, m, now)
	if err != nil {
		return Tokens{}, chelseru.Internal(fmt.Errorf("get or create user: %w", err))
	}
	if created {
		s.log.InfoContext(ctx, "user created", "user_id", u.ID, "group", u.Group)
	}
	if u.Disabled {
		return Tokens{}, disabledError()
	}
	return s.openSession(ctx, u.ID, in.UserAgent, in.IP)
}

// openSession records a new session for userID and issues its tokens. The
// session is created with a random placeholder refresh jti, then moved to
// the jti of the token issued for it (the token must name the session id,
// which the store assigns).
func (s *Service) openSession(ctx context.Context, userID int64, uaString, ip string) (Tokens, error) {
	now := s.now()
	uaString = truncateUTF8(uaString, maxUserAgent)
	device, browser := s.describeAgent(uaString)
	// The refresh token's jti is chosen first, so the session is stored once,
	// already bound to the token that will be issued for it.
	jti, err := token.NewJTI()
	if err != nil {
		return Tokens{}, chelseru.Internal(err)
	}
	sess, err := s.store.CreateSession(ctx, chelseru.Session{
		UserID:     userID,
		UserAgent:  uaString,
		Device:     device,
		Browser:    browser,
		IP:         ip,
		CreatedAt:  now,
		LastSeen:   now,
		RefreshJTI: jti,
		ExpiresAt:  time.Unix(now.Unix(), 0).Add(s.refreshTTL),
	})
	if err != nil {
		return Tokens{}, chelseru.Internal(fmt.Errorf("create session: %w", err))
	}
	if err := s.checkNewSession(ctx, userID, sess.ID); err != nil {
		return Tokens{}, err
	}
	refresh, _, err := s.tokens.IssueWithJTI(token.Refresh, userID, sess.ID, jti, now)
	if err != nil {
		return Tokens{}, chelseru.Internal(fmt.Errorf("issue refresh token: %w", err))
	}
	access, _, err := s.tokens.Issue(token.Access, userID, sess.ID, now)
	if err != nil {
		return Tokens{}, chelseru.Internal(fmt.Errorf("issue access token: %w", err))
	}
	return Tokens{Access: access, Refresh: refresh}, nil
}

// describeAgent parses a user agent into a device as the original named it
// ("iPhone", "Samsung SM-G960F", "Other": see deviceFamily) and a browser
// ("Chrome 118"); an empty user agent gives empty parts.
func (s *Service) describeAgent(ua string) (device, browser string) {
	if ua == "" {
		return "", ""
	}
	browser, v, bot := parseBrowser(ua)
	device = deviceFamily(ua, bot)
	if browser != "" && v != "" {
		browser += " " + v
	}
	return device, browser
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// randomHex is n random bytes, hex encoded.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// tokenInvalid is simplejwt's answer to a token that is well formed but not
// acceptable (its session was revoked, or it was rotated out).
func tokenInvalid(msg string, cause error) *chelseru.Error {
	return &chelseru.Error{
		Code:    chelseru.EUNAUTHORIZED,
		Message: msg,
		Extra:   map[string]any{"code": "token_not_valid"},
		Err:     cause,
	}
}

// Refresh exchanges a refresh token for a new access token. With rotation
// (ROTATE_REFRESH_TOKENS) it also returns a new refresh token and the old
// one stops working; presenting a rotated-out refresh token again means it
// was copied, so the session is revoked and the answer is 401.
func (s *Service) Refresh(ctx context.Context, refresh string) (Tokens, error) {
	return s.RefreshFrom(ctx, refresh, "")
}

// RefreshFrom is Refresh for a request from the client address ip ("" when
// unknown), which is limited to RefreshPerIPPerHour requests (429 beyond).
func (s *Service) RefreshFrom(ctx context.Context, refresh, ip string) (Tokens, error) {
	if err := s.limitAddress(ctx, "refresh-ip:", s.opts.RefreshPerIPPerHour, ip); err != nil {
		return Tokens{}, err
	}
	now := s.now()
	c, err := s.tokens.Parse(refresh, token.Refresh, now)
	if err != nil {
		return Tokens{}, err
	}
	if c.Imported {
		return s.refreshImported(ctx, c, ip)
	}
	sess, err := s.liveSession(ctx, c)
	if err != nil {
		return Tokens{}, err
	}
	if sess.RefreshJTI != c.JTI {
		return Tokens{}, s.revokeReused(ctx, sess, nil)
	}
	var out Tokens
	if s.rotate {
		newRefresh, rc, err := s.tokens.Issue(token.Refresh, c.UserID, c.SessionID, now)
		if err != nil {
			return Tokens{}, chelseru.Internal(fmt.Errorf("issue refresh token: %w", err))
		}
		switch err := s.store.RotateRefresh(ctx, sess.ID, c.JTI, rc.JTI, rc.ExpiresAt); {
		case errors.Is(err, chelseru.ErrStale):
			return Tokens{}, s.revokeReused(ctx, sess, err)
		case errors.Is(err, chelseru.ErrNotFound):
			return Tokens{}, tokenInvalid(MsgTokenInvalid, err)
		case err != nil:
			return Tokens{}, chelseru.Internal(fmt.Errorf("rotate refresh token: %w", err))
		}
		out.Refresh = newRefresh
	}
	access, _, err := s.tokens.Issue(token.Access, c.UserID, c.SessionID, now)
	if err != nil {
		return Tokens{}, chelseru.Internal(fmt.Errorf("issue access token: %w", err))
	}
	out.Access = access
	return out, nil
}

// revokeReused deletes a session whose refresh token was used twice and
// returns the 401 to answer with.
func (s *Service) revokeReused(ctx context.Context, sess chelseru.Session, cause error) error {
	if err := s.store.DeleteSession(ctx, sess.UserID, sess.ID); err != nil && !errors.Is(err, chelseru.ErrNotFound) {
		s.log.ErrorContext(ctx, "revoke session after refresh reuse", "session_id", sess.ID, "err", err)
	}
	s.log.WarnContext(ctx, "refresh token reused: session revoked", "user_id", sess.UserID, "session_id", sess.ID)
	return tokenInvalid(MsgTokenReused, cause)
}

// liveSession returns the session named by c, or a token_not_valid 401 when
// it is gone (revoked or expired) or belongs to another user.
func (s *Service) liveSession(ctx context.Context, c token.Claims) (chelseru.Session, error) {
	if c.Imported {
		return s.importedSession(ctx, c)
	}
	sess, err := s.store.GetSession(ctx, c.SessionID)
	switch {
	case errors.Is(err, chelseru.ErrNotFound):
		return chelseru.Session{}, tokenInvalid(MsgTokenInvalid, err)
	case err != nil:
		return chelseru.Session{}, chelseru.Internal(fmt.Errorf("get session: %w", err))
	case sess.UserID != c.UserID:
		return chelseru.Session{}, tokenInvalid(MsgTokenInvalid, fmt.Errorf("session %d belongs to user %d, token names user %d", sess.ID, sess.UserID, c.UserID))
	}
	return sess, nil
}

// Verify reports whether tok is a valid token of either type whose session
// is live; for a refresh token it must also be the session's current one.
func (s *Service) Verify(ctx context.Context, tok string) error {
	c, err := s.tokens.Parse(tok, "", s.now())
	if err != nil {
		return err
	}
	sess, err := s.liveSession(ctx, c)
	if err != nil {
		return err
	}
	if c.Type == token.Refresh && sess.RefreshJTI != c.JTI {
		return tokenInvalid(MsgTokenReused, nil)
	}
	return nil
}

// Authorize checks an Authorization header value ("Bearer <access>") and
// returns the caller. The token must be an access token whose session is
// live. The session's LastSeen is updated when it is older than
// SessionTouchInterval, so a busy client costs one write a minute, not one
// per request.
func (s *Service) Authorize(ctx context.Context, header string) (Principal, error) {
	tok, err := bearer(header)
	if err != nil {
		return Principal{}, err
	}
	now := s.now()
	c, err := s.tokens.Parse(tok, token.Access, now)
	if err != nil {
		return Principal{}, err
	}
	sess, err := s.liveSession(ctx, c)
	if err != nil {
		return Principal{}, err
	}
	if now.Sub(sess.LastSeen) >= s.opts.SessionTouchInterval {
		if err := s.store.TouchSession(ctx, sess.ID, now); err != nil && !errors.Is(err, chelseru.ErrNotFound) {
			s.log.WarnContext(ctx, "touch session", "session_id", sess.ID, "err", err)
		}
	}
	return Principal{UserID: c.UserID, SessionID: c.SessionID, AuthAt: sess.CreatedAt}, nil
}

// bearer extracts the token from an Authorization header as simplejwt does:
// a header that is absent or not of the Bearer type means no credentials; a
// Bearer header without exactly one token after it is malformed.
func bearer(h string) (string, error) {
	parts := strings.Fields(h)
	if len(parts) == 0 || parts[0] != "Bearer" {
		return "", &chelseru.Error{Code: chelseru.EUNAUTHENTICATED, Message: MsgNoCredentials}
	}
	if len(parts) != 2 {
		return "", &chelseru.Error{
			Code:    chelseru.EUNAUTHORIZED,
			Message: MsgBadAuthHeader,
			Extra:   map[string]any{"code": "bad_authorization_header"},
		}
	}
	return parts[1], nil
}
