package chelseru

import (
	"fmt"
	"time"
)

// User is an account, created on first login and keyed by (Group, Mobile) as
// in the original package.
type User struct {
	ID     int64
	Group  int64
	Mobile string // normalised, 09XXXXXXXXX
	// PasswordHash is an argon2id hash in PHC string form, or empty.
	PasswordHash string
	CreatedAt    time.Time
	// Disabled users get no code and no token, and have no sessions
	// (the admin API's disable revokes them).
	Disabled bool
}

// Username is the original package's user name, G{group}-{mobile}.
func (u User) Username() string { return Username(u.Group, u.Mobile) }

// Username formats the original package's user name, G{group}-{mobile}.
func Username(group int64, mobile string) string { return fmt.Sprintf("G%d-%s", group, mobile) }

// OTP is a one-time code waiting to be used. The code itself is never stored,
// only its HMAC under a server key.
type OTP struct {
	Mobile    string // normalised, 09XXXXXXXXX
	Hash      []byte // HMAC-SHA256 of the code under the server's OTP key; empty once used or discarded
	Attempts  int    // wrong tries so far
	Burnt     bool   // too many wrong tries: refused until a new code is sent
	ExpiresAt time.Time
	// Sends counts the codes created for Mobile in the send window that ends
	// at WindowEnd (the per-number send limit, SendLimit). The record is
	// kept until the later of ExpiresAt and WindowEnd.
	Sends     int
	WindowEnd time.Time
	// Requester is the client address (its rate-limit key: the address, or
	// an IPv6 /64) that asked for the code; "" when unknown. Only its wrong
	// tries count in Attempts and can burn the code: a stranger's wrong
	// tries are counted against the stranger (see docs/RATIONALE.md).
	Requester string
}

// SendLimit is the per-number send limit OTPStore.CreateOTP enforces: at
// most Max codes per fixed Window, windows aligned to the Unix epoch and
// placed by the store's clock, the one that also decides the code's expiry.
// Max <= 0 means no limit.
type SendLimit struct {
	Max    int
	Window time.Duration
	// Uncounted, with Max > 0, checks and counts nothing in the number's
	// record but keeps its count: the send was paid for elsewhere (the
	// client address's own share of sends to the number).
	Uncounted bool
}

// OTPCheck is the outcome of OTPStore.VerifyOTP.
type OTPCheck int

// Outcomes of OTPStore.VerifyOTP.
const (
	OTPMissing  OTPCheck = iota // no live code for the number
	OTPMatched                  // the code was right and is now used up
	OTPMismatch                 // wrong code; attempts incremented (the requester's), still usable
	OTPBurnt                    // wrong code and out of attempts, or already burnt
)

// Session is one login: created by /api/authenticate/, named in every token
// issued for it, revoked by deleting it.
type Session struct {
	ID        int64
	UserID    int64
	UserAgent string
	Device    string
	Browser   string
	IP        string
	CreatedAt time.Time
	LastSeen  time.Time
	// RefreshJTI is the jti of the one refresh token that may be used next;
	// any other refresh token for this session is a reuse.
	RefreshJTI string
	// ExpiresAt is when the session's refresh token expires; storage drops the
	// session then.
	ExpiresAt time.Time
}

// MessageStatus is where an SMS is in its life.
type MessageStatus string

// Message statuses.
const (
	MessagePending MessageStatus = "pending" // recorded, provider not yet answered
	MessageSent    MessageStatus = "sent"    // the provider accepted it
	MessageFailed  MessageStatus = "failed"  // the provider refused it, failed or timed out
)

// Message is an SMS sent through /api/message/send/. It is stored before the
// provider is called and updated with the outcome.
type Message struct {
	ID                int64
	UserID            int64 // who asked for it
	Mobile            string
	Text              string
	TemplateID        int64
	Service           string // SMS_SERVICE at the time
	Status            MessageStatus
	ProviderMessageID string
	ErrorClass        string
	ErrorCode         string
	ErrorText         string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Limit is one rate limit: at most Max units per Window for Key.
type Limit struct {
	Key    string
	Max    int
	Window time.Duration
}
