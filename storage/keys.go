package storage

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Key prefixes. Integers in keys are fixed-width big-endian (signed ones with
// the sign bit flipped), so byte order is numeric order. See doc.go.
const (
	pOTP          = "otp/"
	pUser         = "user/"
	pUserByMobile = "user-by-mobile/"
	pSession      = "session/"
	pUserSessions = "user-sessions/"
	pMessage      = "msg/"
	pRateLimit    = "rl/"
	pAttempts     = "attempts/"
	pSequence     = "seq/"
)

// Sequence names.
const (
	seqUser    = "user"
	seqSession = "session"
	seqMessage = "msg"
)

// Lease sizes of the id sequences: ids a crash may skip, and commits saved.
const (
	bwUser    = 100
	bwSession = 1000
	bwMessage = 1000
)

var keyPing = []byte("ping")

func appendUint64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// appendInt64 appends v so that byte order matches numeric order.
func appendInt64(b []byte, v int64) []byte { return appendUint64(b, uint64(v)^(1<<63)) }

func checkMobile(mobile string) error {
	if mobile == "" || len(mobile) > maxMobileLen {
		return fmt.Errorf("mobile must be 1 to %d bytes, got %d", maxMobileLen, len(mobile))
	}
	return nil
}

func otpKey(mobile string) []byte { return append([]byte(pOTP), mobile...) }

func userKey(id int64) []byte { return appendInt64([]byte(pUser), id) }

func userByMobileKey(group int64, mobile string) []byte {
	b := appendInt64([]byte(pUserByMobile), group)
	b = append(b, '/')
	return append(b, mobile...)
}

func sessionKey(id int64) []byte { return appendInt64([]byte(pSession), id) }

func userSessionsPrefix(userID int64) []byte {
	return append(appendInt64([]byte(pUserSessions), userID), '/')
}

func userSessionKey(userID, id int64) []byte { return appendInt64(userSessionsPrefix(userID), id) }

// sessionIDFromIndex returns the session id at the end of a user-sessions key.
func sessionIDFromIndex(k []byte) (int64, bool) {
	if len(k) < 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(k[len(k)-8:]) ^ (1 << 63)), true
}

func messageKey(id int64) []byte { return appendInt64([]byte(pMessage), id) }

// rateLimitKey names the counter of one fixed window: the limit's key, then
// the window length and the window start in Unix milliseconds, fixed width,
// so two limits sharing a key with different windows never share a counter.
func rateLimitKey(key string, window time.Duration, start time.Time) []byte {
	b := make([]byte, 0, len(pRateLimit)+len(key)+2*(1+8))
	b = append(b, pRateLimit...)
	b = append(b, key...)
	b = append(b, '/')
	b = appendInt64(b, window.Milliseconds())
	b = append(b, '/')
	return appendInt64(b, start.UnixMilli())
}

func attemptsKey(key string) []byte { return append([]byte(pAttempts), key...) }

func seqKey(name string) []byte { return append([]byte(pSequence), name...) }

// badgerExpiry converts t to Badger's ExpiresAt (Unix seconds), rounding up so
// Badger never drops a record before t; the store checks t itself for the
// sub-second rest. The zero time means no expiry.
func badgerExpiry(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	if s < 1 {
		s = 1
	}
	return uint64(s)
}
