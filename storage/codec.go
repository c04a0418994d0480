package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/chelseru/chelseru"
)

// Values are encoded in a compact binary form: a format byte, then the
// fields in a fixed order as varints and length-prefixed bytes: several
// times cheaper than encoding/json and half the size (BenchmarkCodec; figures
// in docs/RATIONALE.md), and the format byte lets a later version read old
// records beside new ones. Keys stay readable text plus fixed-width ints, so
// a dump of the keys is still easy to follow.

// Format bytes, one per record type and version.
const (
	fmtOTPv1      byte = 0x01
	fmtUserv1     byte = 0x02
	fmtSessionv1  byte = 0x03
	fmtMessagev1  byte = 0x04
	fmtCounterv1  byte = 0x05
	fmtAttemptsv1 byte = 0x06
	fmtOTPv2      byte = 0x07 // v1 and the per-number send count (Sends, WindowEnd)
	fmtOTPv3      byte = 0x10 // v2 and the requester's address (Requester)
	fmtUserv2     byte = 0x11 // v1 and the Disabled flag
)

var errCorrupt = errors.New("corrupt record")

type encoder struct{ b []byte }

func (e *encoder) uint(v uint64)  { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int64)    { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) str(v string)   { e.uint(uint64(len(v))); e.b = append(e.b, v...) }
func (e *encoder) bytes(v []byte) { e.uint(uint64(len(v))); e.b = append(e.b, v...) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// time stores seconds since 1970 and nanoseconds, so every time.Time
// (including the zero time) round-trips; the location becomes UTC.
func (e *encoder) time(t time.Time) { e.int(t.Unix()); e.uint(uint64(t.Nanosecond())) }

func (e *encoder) done(what string) ([]byte, error) {
	if len(e.b) > maxValueLen {
		return nil, fmt.Errorf("%s record is %d bytes, over the limit of %d", what, len(e.b), maxValueLen)
	}
	return e.b, nil
}

type decoder struct {
	b   []byte
	err error
}

func newDecoder(b []byte, format byte) *decoder {
	if len(b) == 0 || b[0] != format {
		return &decoder{err: errCorrupt}
	}
	return &decoder{b: b[1:]}
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) raw() []byte {
	n := d.uint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errCorrupt
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string { return string(d.raw()) }

func (d *decoder) bytes() []byte {
	r := d.raw()
	if r == nil {
		return nil
	}
	return append([]byte(nil), r...)
}

func (d *decoder) bool() bool {
	if d.err != nil {
		return false
	}
	if len(d.b) == 0 || d.b[0] > 1 {
		d.err = errCorrupt
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

func (d *decoder) time() time.Time {
	sec, nsec := d.int(), d.uint()
	if d.err != nil {
		return time.Time{}
	}
	if nsec >= 1e9 {
		d.err = errCorrupt
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// finish reports a decoding error, or trailing bytes, as errCorrupt.
func (d *decoder) finish(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return fmt.Errorf("decode %s: %w", what, d.err)
	}
	return nil
}

func encodeOTP(o chelseru.OTP) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 64)}
	e.b = append(e.b, fmtOTPv3)
	e.str(o.Mobile)
	e.bytes(o.Hash)
	e.int(int64(o.Attempts))
	e.bool(o.Burnt)
	e.time(o.ExpiresAt)
	e.int(int64(o.Sends))
	e.time(o.WindowEnd)
	e.str(o.Requester)
	return e.done("otp")
}

// decodeOTP reads both OTP formats; a v1 record (written before the send
// count moved into it) has counted no sends.
func decodeOTP(b []byte) (chelseru.OTP, error) {
	format := fmtOTPv3
	if len(b) > 0 && (b[0] == fmtOTPv1 || b[0] == fmtOTPv2) {
		format = b[0]
	}
	d := newDecoder(b, format)
	o := chelseru.OTP{
		Mobile:    d.str(),
		Hash:      d.bytes(),
		Attempts:  int(d.int()),
		Burnt:     d.bool(),
		ExpiresAt: d.time(),
	}
	if format != fmtOTPv1 {
		o.Sends = int(d.int())
		o.WindowEnd = d.time()
	}
	if format == fmtOTPv3 {
		o.Requester = d.str()
	}
	return o, d.finish("otp")
}

func encodeUser(u chelseru.User) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 64+len(u.PasswordHash))}
	e.b = append(e.b, fmtUserv2)
	e.int(u.ID)
	e.int(u.Group)
	e.str(u.Mobile)
	e.str(u.PasswordHash)
	e.time(u.CreatedAt)
	e.bool(u.Disabled)
	return e.done("user")
}

// decodeUser reads both user formats; a v1 record (written before users
// could be disabled) is enabled.
func decodeUser(b []byte) (chelseru.User, error) {
	format := fmtUserv2
	if len(b) > 0 && b[0] == fmtUserv1 {
		format = fmtUserv1
	}
	d := newDecoder(b, format)
	u := chelseru.User{
		ID:           d.int(),
		Group:        d.int(),
		Mobile:       d.str(),
		PasswordHash: d.str(),
		CreatedAt:    d.time(),
	}
	if format == fmtUserv2 {
		u.Disabled = d.bool()
	}
	return u, d.finish("user")
}

func encodeSession(s chelseru.Session) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 96+len(s.UserAgent)+len(s.Device)+len(s.Browser)+len(s.IP)+len(s.RefreshJTI))}
	e.b = append(e.b, fmtSessionv1)
	e.int(s.ID)
	e.int(s.UserID)
	e.str(s.UserAgent)
	e.str(s.Device)
	e.str(s.Browser)
	e.str(s.IP)
	e.time(s.CreatedAt)
	e.time(s.LastSeen)
	e.str(s.RefreshJTI)
	e.time(s.ExpiresAt)
	return e.done("session")
}

func decodeSession(b []byte) (chelseru.Session, error) {
	d := newDecoder(b, fmtSessionv1)
	s := chelseru.Session{
		ID:         d.int(),
		UserID:     d.int(),
		UserAgent:  d.str(),
		Device:     d.str(),
		Browser:    d.str(),
		IP:         d.str(),
		CreatedAt:  d.time(),
		LastSeen:   d.time(),
		RefreshJTI: d.str(),
		ExpiresAt:  d.time(),
	}
	return s, d.finish("session")
}

func encodeMessage(m chelseru.Message) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 128+len(m.Text)+len(m.ErrorText))}
	e.b = append(e.b, fmtMessagev1)
	e.int(m.ID)
	e.int(m.UserID)
	e.str(m.Mobile)
	e.str(m.Text)
	e.int(m.TemplateID)
	e.str(m.Service)
	e.str(string(m.Status))
	e.str(m.ProviderMessageID)
	e.str(m.ErrorClass)
	e.str(m.ErrorCode)
	e.str(m.ErrorText)
	e.time(m.CreatedAt)
	e.time(m.UpdatedAt)
	return e.done("message")
}

func decodeMessage(b []byte) (chelseru.Message, error) {
	d := newDecoder(b, fmtMessagev1)
	m := chelseru.Message{
		ID:                d.int(),
		UserID:            d.int(),
		Mobile:            d.str(),
		Text:              d.str(),
		TemplateID:        d.int(),
		Service:           d.str(),
		Status:            chelseru.MessageStatus(d.str()),
		ProviderMessageID: d.str(),
		ErrorClass:        d.str(),
		ErrorCode:         d.str(),
		ErrorText:         d.str(),
		CreatedAt:         d.time(),
		UpdatedAt:         d.time(),
	}
	return m, d.finish("message")
}

func encodeCounter(n uint64) []byte {
	return binary.AppendUvarint([]byte{fmtCounterv1}, n)
}

func decodeCounter(b []byte) (uint64, error) {
	d := newDecoder(b, fmtCounterv1)
	n := d.uint()
	return n, d.finish("counter")
}

// attempts is the record of an AttemptStore key.
type attempts struct {
	count       uint64    // attempts counted since the last reset
	lockedUntil time.Time // zero when not locked
	expiresAt   time.Time // when the record is forgotten (by the caller's clock)
}

func encodeAttempts(a attempts) []byte {
	e := encoder{b: make([]byte, 0, 32)}
	e.b = append(e.b, fmtAttemptsv1)
	e.uint(a.count)
	e.time(a.lockedUntil)
	e.time(a.expiresAt)
	return e.b
}

func decodeAttempts(b []byte) (attempts, error) {
	d := newDecoder(b, fmtAttemptsv1)
	a := attempts{count: d.uint(), lockedUntil: d.time(), expiresAt: d.time()}
	return a, d.finish("attempts")
}
