package chelseru

import (
	"context"
	"time"
)

// OTPStore keeps one-time codes. Every method is atomic.
type OTPStore interface {
	// CreateOTP stores o, expiring at o.ExpiresAt, unless a live code that is
	// not burnt exists for o.Mobile: then it returns that code and ErrExists.
	// A burnt code is replaced. It counts the code against limit in the
	// number's record: when limit is reached it stores nothing and returns
	// ErrLimited with the record, whose WindowEnd says when the window ends.
	// The limit is checked after the live code, so a send refused with
	// ErrExists is not counted.
	CreateOTP(ctx context.Context, o OTP, limit SendLimit) (existing OTP, err error)
	// DeleteOTP discards the code for mobile if its hash is still hash, so a
	// failed send never discards a newer code; with unsend it also takes back
	// the send CreateOTP counted (the send was refused after all). A missing
	// code is not an error.
	DeleteOTP(ctx context.Context, mobile string, hash []byte, unsend bool) error
	// VerifyOTP checks a try from the client address from (a rate-limit key,
	// "" when unknown) against the live code for mobile. match is called with
	// the stored code (it compares in constant time). On a match the code is
	// used up. On a mismatch from the code's Requester (or when either
	// address is unknown) Attempts grows and at maxAttempts the code is burnt
	// (kept until it expires, refusing every try); a mismatch from another
	// address changes nothing in the record (the caller counts it against
	// that address), so a stranger cannot burn the owner's code.
	VerifyOTP(ctx context.Context, mobile, from string, match func(OTP) bool, maxAttempts int) (OTPCheck, error)
}

// UserStore keeps users.
type UserStore interface {
	// GetOrCreateUser returns the user keyed by (group, mobile), creating it
	// at now on first use; created reports whether it did.
	GetOrCreateUser(ctx context.Context, group int64, mobile string, now time.Time) (u User, created bool, err error)
	// GetUser returns the user with id, or ErrNotFound.
	GetUser(ctx context.Context, id int64) (User, error)
	// FindUser returns the user keyed by (group, mobile), or ErrNotFound.
	FindUser(ctx context.Context, group int64, mobile string) (User, error)
	// SetPassword stores an argon2id hash for the user.
	SetPassword(ctx context.Context, id int64, hash string) error
}

// SessionStore keeps login sessions. Revoking a session deletes it.
type SessionStore interface {
	// CreateSession stores s with a new ID and returns it.
	CreateSession(ctx context.Context, s Session) (Session, error)
	// GetSession returns the live session with id, or ErrNotFound.
	GetSession(ctx context.Context, id int64) (Session, error)
	// ListSessions returns the user's live sessions, newest first.
	ListSessions(ctx context.Context, userID int64) ([]Session, error)
	// DeleteSession revokes the user's session id; ErrNotFound when the
	// session does not exist or is not the user's.
	DeleteSession(ctx context.Context, userID, id int64) error
	// TouchSession sets LastSeen.
	TouchSession(ctx context.Context, id int64, at time.Time) error
	// RotateRefresh replaces the session's RefreshJTI oldJTI by newJTI and
	// its expiry, atomically; ErrStale when the stored jti is not oldJTI
	// (the refresh token was used before), ErrNotFound when the session is gone.
	RotateRefresh(ctx context.Context, id int64, oldJTI, newJTI string, expiresAt time.Time) error
}

// MessageStore keeps the record of every SMS sent through the API.
type MessageStore interface {
	// CreateMessage stores m with a new ID and returns it.
	CreateMessage(ctx context.Context, m Message) (Message, error)
	// UpdateMessage overwrites the stored message with m.ID.
	UpdateMessage(ctx context.Context, m Message) error
	// GetMessage returns the message with id, or ErrNotFound.
	GetMessage(ctx context.Context, id int64) (Message, error)
}

// RateLimiter counts events in fixed windows.
type RateLimiter interface {
	// Take consumes one unit of every limit at now, or none of them if any is
	// exhausted; then it returns how long until all exhausted ones allow
	// again (> 0). A zero retryAfter means the units were taken.
	Take(ctx context.Context, now time.Time, limits ...Limit) (retryAfter time.Duration, err error)
	// Give gives back one unit of every limit in the window that holds now
	// (an event Take counted that did not happen); a count never goes
	// below zero.
	Give(ctx context.Context, now time.Time, limits ...Limit) error
}

// Lockout is a policy for AttemptStore: after Max attempts in a row for Key
// that were not right, Key is locked for Lock; a count left alone for Idle is
// forgotten.
type Lockout struct {
	Key  string
	Max  int
	Lock time.Duration
	Idle time.Duration
}

// AttemptStore counts password attempts in a row per key (a mobile number)
// and locks a key after too many that were not right. An attempt is counted
// when it begins, before its outcome is known, so concurrent attempts cannot
// exceed the budget. Every method is atomic.
type AttemptStore interface {
	// BeginAttempt counts one attempt for l.Key at now and returns the count
	// since the last reset, this attempt included. When the key is locked, or
	// l.Max attempts are already counted (wrong, or still in flight), it
	// counts nothing, locks the key until now+l.Lock if it was not locked,
	// and returns the end of the lock instead (n is 0). The count is forgotten
	// when a lock ends and l.Idle after its last attempt.
	BeginAttempt(ctx context.Context, l Lockout, now time.Time) (n int, lockedUntil time.Time, err error)
	// FailAttempt records that an attempt counted by BeginAttempt was wrong:
	// when the key's count has reached l.Max the key is locked until
	// now+l.Lock. It returns the end of the key's lock, or the zero time when
	// the key is not locked.
	FailAttempt(ctx context.Context, l Lockout, now time.Time) (lockedUntil time.Time, err error)
	// ResetAttempts forgets the key's count and lock (the right password was
	// given). A key with nothing counted is not an error.
	ResetAttempts(ctx context.Context, key string) error
}

// Store is everything the host needs from storage.
type Store interface {
	OTPStore
	UserStore
	SessionStore
	MessageStore
	RateLimiter
	AttemptStore
	AdminStore
	// Ping reports whether storage is open and usable (for /readyz).
	Ping(ctx context.Context) error
	// Close flushes and closes storage.
	Close() error
}
