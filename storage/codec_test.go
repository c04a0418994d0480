package storage

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

var (
	sampleTime = time.Date(2026, 11, 29, 20, 37, 2, 123456789, time.UTC)
	sampleOTP  = chelseru.OTP{Mobile: mobile, Hash: bytes.Repeat([]byte{0xab}, 32), Attempts: 2, Burnt: true, ExpiresAt: sampleTime,
		Sends: 3, WindowEnd: sampleTime.Add(time.Hour), Requester: "2001:db8::/64"}
	sampleUser    = chelseru.User{ID: 42, Group: -3, Mobile: mobile, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", CreatedAt: sampleTime}
	sampleSession = chelseru.Session{
		ID: 1 << 40, UserID: 42, UserAgent: "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36",
		Device: "Samsung SM-S918B", Browser: "Chrome", IP: "2001:db8::1", CreatedAt: sampleTime, LastSeen: sampleTime.Add(time.Minute),
		RefreshJTI: "5f0c3a1e9b7d4c2a8e6f1d3b5a7c9e0f", ExpiresAt: sampleTime.Add(24 * time.Hour),
	}
	sampleMessage = chelseru.Message{
		ID: 7, UserID: 42, Mobile: mobile, Text: "کد ورود شما: ۱۲۳۴۵", TemplateID: 100, Service: "KAVENEGAR_COM",
		Status: chelseru.MessageSent, ProviderMessageID: "8792343", ErrorClass: "", ErrorCode: "", ErrorText: "",
		CreatedAt: sampleTime, UpdatedAt: sampleTime.Add(time.Second),
	}
)

// TestDecodeOTPv1: a record written before the send count moved into it
// still reads, with no sends counted.
func TestDecodeOTPv1(t *testing.T) {
	e := encoder{b: []byte{fmtOTPv1}}
	e.str(mobile)
	e.bytes([]byte{1, 2, 3})
	e.int(1)
	e.bool(false)
	e.time(sampleTime)
	b, err := e.done("otp")
	if err != nil {
		t.Fatal(err)
	}
	o, err := decodeOTP(b)
	want := chelseru.OTP{Mobile: mobile, Hash: []byte{1, 2, 3}, Attempts: 1, ExpiresAt: sampleTime}
	if err != nil || !reflect.DeepEqual(o, want) {
		t.Fatalf("decodeOTP(v1) = %+v, %v; want %+v", o, err, want)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		in     any
		encode func(any) ([]byte, error)
		decode func([]byte) (any, error)
	}{
		{"otp", sampleOTP,
			func(v any) ([]byte, error) { return encodeOTP(v.(chelseru.OTP)) },
			func(b []byte) (any, error) { return decodeOTP(b) }},
		{"otp zero", chelseru.OTP{},
			func(v any) ([]byte, error) { return encodeOTP(v.(chelseru.OTP)) },
			func(b []byte) (any, error) { return decodeOTP(b) }},
		{"user", sampleUser,
			func(v any) ([]byte, error) { return encodeUser(v.(chelseru.User)) },
			func(b []byte) (any, error) { return decodeUser(b) }},
		{"user zero", chelseru.User{},
			func(v any) ([]byte, error) { return encodeUser(v.(chelseru.User)) },
			func(b []byte) (any, error) { return decodeUser(b) }},
		{"session", sampleSession,
			func(v any) ([]byte, error) { return encodeSession(v.(chelseru.Session)) },
			func(b []byte) (any, error) { return decodeSession(b) }},
		{"message", sampleMessage,
			func(v any) ([]byte, error) { return encodeMessage(v.(chelseru.Message)) },
			func(b []byte) (any, error) { return decodeMessage(b) }},
		{"message zero", chelseru.Message{},
			func(v any) ([]byte, error) { return encodeMessage(v.(chelseru.Message)) },
			func(b []byte) (any, error) { return decodeMessage(b) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.encode(tt.in)
			wantErr(t, err, nil)
			got, err := tt.decode(b)
			wantErr(t, err, nil)
			if !equalRecords(got, tt.in) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, tt.in)
			}
			// Every strict prefix is refused, and so is a trailing byte.
			for i := range len(b) {
				if _, err := tt.decode(b[:i]); err == nil {
					t.Fatalf("prefix of %d of %d bytes decoded", i, len(b))
				}
			}
			if _, err := tt.decode(append(bytes.Clone(b), 0)); err == nil {
				t.Error("trailing byte accepted")
			}
		})
	}
}

// equalRecords compares records with time.Time.Equal semantics (decoded
// times are UTC) and nil and empty byte slices as equal.
func equalRecords(a, b any) bool {
	norm := func(v any) any {
		switch x := v.(type) {
		case chelseru.OTP:
			x.ExpiresAt = x.ExpiresAt.UTC()
			if len(x.Hash) == 0 {
				x.Hash = nil
			}
			return x
		case chelseru.User:
			x.CreatedAt = x.CreatedAt.UTC()
			return x
		case chelseru.Session:
			x.CreatedAt, x.LastSeen, x.ExpiresAt = x.CreatedAt.UTC(), x.LastSeen.UTC(), x.ExpiresAt.UTC()
			return x
		case chelseru.Message:
			x.CreatedAt, x.UpdatedAt = x.CreatedAt.UTC(), x.UpdatedAt.UTC()
			return x
		}
		return v
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func TestCodecRejectsOtherFormats(t *testing.T) {
	u, err := encodeUser(sampleUser)
	wantErr(t, err, nil)
	if _, err := decodeSession(u); err == nil {
		t.Error("a user record decoded as a session")
	}
	if _, err := decodeOTP(nil); err == nil {
		t.Error("empty value decoded")
	}
	bad := bytes.Clone(u)
	bad[len(bad)-1] = 0xff // nanoseconds out of range / varint cut short
	if _, err := decodeUser(bad); err == nil {
		t.Error("damaged time decoded")
	}
}

func TestCodecValueLimit(t *testing.T) {
	m := sampleMessage
	m.Text = string(make([]byte, maxValueLen))
	if _, err := encodeMessage(m); err == nil {
		t.Error("a record over the value limit was encoded")
	}
}

func FuzzDecode(f *testing.F) {
	for _, enc := range []func() ([]byte, error){
		func() ([]byte, error) { return encodeOTP(sampleOTP) },
		func() ([]byte, error) { return encodeUser(sampleUser) },
		func() ([]byte, error) { return encodeSession(sampleSession) },
		func() ([]byte, error) { return encodeMessage(sampleMessage) },
		func() ([]byte, error) { return encodeCounter(12), nil },
	} {
		b, err := enc()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// No input may panic, and whatever decodes must encode again.
		if o, err := decodeOTP(b); err == nil {
			if _, err := encodeOTP(o); err != nil {
				t.Fatal(err)
			}
		}
		if u, err := decodeUser(b); err == nil {
			if _, err := encodeUser(u); err != nil {
				t.Fatal(err)
			}
		}
		if s, err := decodeSession(b); err == nil {
			if _, err := encodeSession(s); err != nil {
				t.Fatal(err)
			}
		}
		if m, err := decodeMessage(b); err == nil {
			if _, err := encodeMessage(m); err != nil {
				t.Fatal(err)
			}
		}
		decodeCounter(b)
	})
}

// BenchmarkCodec compares this encoding with encoding/json for a session,
// the largest record on the request path.
func BenchmarkCodec(b *testing.B) {
	b.Run("binary", func(b *testing.B) {
		b.ReportAllocs()
		var size int
		for b.Loop() {
			v, err := encodeSession(sampleSession)
			if err != nil {
				b.Fatal(err)
			}
			size = len(v)
			if _, err := decodeSession(v); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(size), "bytes")
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		var size int
		for b.Loop() {
			v, err := json.Marshal(sampleSession)
			if err != nil {
				b.Fatal(err)
			}
			size = len(v)
			var s chelseru.Session
			if err := json.Unmarshal(v, &s); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(size), "bytes")
	})
}
