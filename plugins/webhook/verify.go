package webhook

import (
	"crypto/hmac"
	"errors"
	"strconv"
	"time"
)

// DefaultMaxAge is how far a receiver should let a request's timestamp be
// from its own clock, either side, before refusing it as a replay.
const DefaultMaxAge = 5 * time.Minute

// Errors of Verify.
var (
	ErrBadTimestamp = errors.New("webhook: " + HeaderTimestamp + " is not a Unix time in seconds")
	ErrStale        = errors.New("webhook: the timestamp is too far from now (a replayed or delayed request)")
	ErrBadSignature = errors.New("webhook: " + HeaderSignature + " does not match the body")
)

// Verify checks a webhook request as a receiver written in Go should:
// timestamp and signature are the values of the X-Chelseru-Timestamp and
// X-Chelseru-Signature headers, body the raw request body. The signature
// must be Sign(secret, timestamp, body), compared in constant time, and the
// timestamp within maxAge of now (DefaultMaxAge when maxAge <= 0). A
// receiver that must never act twice on one message also remembers the
// signatures it accepted for maxAge and refuses a repeat.
func Verify(secret, timestamp, signature string, body []byte, now time.Time, maxAge time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || ts <= 0 {
		return ErrBadTimestamp
	}
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxAge || d < -maxAge {
		return ErrStale
	}
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, timestamp, body))) {
		return ErrBadSignature
	}
	return nil
}
