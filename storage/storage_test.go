package storage

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := db.GetOrCreateUser(ctx, 0, mobile, time.Now())
	wantErr(t, err, nil)
	s, err := db.CreateSession(ctx, newSession(u.ID, time.Now()))
	wantErr(t, err, nil)
	m, err := db.CreateMessage(ctx, chelseru.Message{UserID: u.ID, Mobile: mobile, Text: "hi", Status: chelseru.MessageSent})
	wantErr(t, err, nil)
	_, err = db.CreateOTP(ctx, newOTP("code", time.Hour), chelseru.SendLimit{})
	wantErr(t, err, nil)
	wantErr(t, db.Close(), nil)

	db = openAt(t, dir, Options{})
	if got, err := db.FindUser(ctx, 0, mobile); err != nil || got.ID != u.ID {
		t.Errorf("user after reopen: %+v, %v", got, err)
	}
	if got, err := db.GetSession(ctx, s.ID); err != nil || got.RefreshJTI != s.RefreshJTI {
		t.Errorf("session after reopen: %+v, %v", got, err)
	}
	if list, err := db.ListSessions(ctx, u.ID); err != nil || len(list) != 1 {
		t.Errorf("sessions after reopen: %d, %v", len(list), err)
	}
	if got, err := db.GetMessage(ctx, m.ID); err != nil || got.Text != "hi" {
		t.Errorf("message after reopen: %+v, %v", got, err)
	}
	if res, err := db.VerifyOTP(ctx, mobile, "", matchHash("code"), 3); err != nil || res != chelseru.OTPMatched {
		t.Errorf("otp after reopen: %v, %v", res, err)
	}
	// Close returned the unused leases: ids continue without a gap.
	u2, _, err := db.GetOrCreateUser(ctx, 0, "09120000009", time.Now())
	wantErr(t, err, nil)
	s2, err := db.CreateSession(ctx, newSession(u.ID, time.Now()))
	wantErr(t, err, nil)
	if u2.ID != u.ID+1 || s2.ID != s.ID+1 {
		t.Errorf("ids after reopen: user %d (was %d), session %d (was %d); want the next ones", u2.ID, u.ID, s2.ID, s.ID)
	}
}

func TestCloseIdempotentAndClosedErrors(t *testing.T) {
	db, err := Open(t.TempDir(), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, db.Ping(ctx), nil)
	wantErr(t, db.Close(), nil)
	wantErr(t, db.Close(), nil)
	calls := map[string]error{
		"Ping":            db.Ping(ctx),
		"CreateOTP":       func() error { _, err := db.CreateOTP(ctx, newOTP("a", time.Minute), chelseru.SendLimit{}); return err }(),
		"VerifyOTP":       func() error { _, err := db.VerifyOTP(ctx, mobile, "", matchHash("a"), 3); return err }(),
		"DeleteOTP":       db.DeleteOTP(ctx, mobile, []byte("a"), false),
		"GetOrCreateUser": func() error { _, _, err := db.GetOrCreateUser(ctx, 0, mobile, time.Now()); return err }(),
		"GetUser":         func() error { _, err := db.GetUser(ctx, 1); return err }(),
		"FindUser":        func() error { _, err := db.FindUser(ctx, 0, mobile); return err }(),
		"SetPassword":     db.SetPassword(ctx, 1, "x"),
		"CreateSession":   func() error { _, err := db.CreateSession(ctx, newSession(1, time.Now())); return err }(),
		"GetSession":      func() error { _, err := db.GetSession(ctx, 1); return err }(),
		"ListSessions":    func() error { _, err := db.ListSessions(ctx, 1); return err }(),
		"DeleteSession":   db.DeleteSession(ctx, 1, 1),
		"TouchSession":    db.TouchSession(ctx, 1, time.Now()),
		"RotateRefresh":   db.RotateRefresh(ctx, 1, "a", "b", time.Now().Add(time.Hour)),
		"CreateMessage":   func() error { _, err := db.CreateMessage(ctx, chelseru.Message{}); return err }(),
		"UpdateMessage":   db.UpdateMessage(ctx, chelseru.Message{ID: 1}),
		"GetMessage":      func() error { _, err := db.GetMessage(ctx, 1); return err }(),
		"Take": func() error {
			_, err := db.Take(ctx, time.Now(), chelseru.Limit{Key: "a", Max: 1, Window: time.Minute})
			return err
		}(),
		"Backup":  db.Backup(&bytes.Buffer{}),
		"Restore": db.Restore(&bytes.Buffer{}),
	}
	for name, err := range calls {
		t.Run(name, func(t *testing.T) { wantErr(t, err, ErrClosed) })
	}
}

func TestCloseWaitsForInFlight(t *testing.T) {
	db, err := Open(t.TempDir(), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for {
				_, err := db.Take(ctx, time.Now(), chelseru.Limit{Key: "k", Max: 1 << 30, Window: time.Hour})
				if err != nil {
					if !errors.Is(err, ErrClosed) {
						t.Errorf("goroutine %d: %v", i, err)
					}
					return
				}
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	wantErr(t, db.Close(), nil)
	wg.Wait()
}

func TestCanceledContext(t *testing.T) {
	db := openTest(t, Options{})
	c, cancel := context.WithCancel(ctx)
	cancel()
	_, err := db.CreateOTP(c, newOTP("a", time.Minute), chelseru.SendLimit{})
	wantErr(t, err, context.Canceled)
	_, err = db.GetUser(c, 1)
	wantErr(t, err, context.Canceled)
	wantErr(t, db.Ping(c), context.Canceled)
}

func TestOpenRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"discard ratio 1", Options{GCDiscardRatio: 1}},
		{"negative retries", Options{MaxRetries: -1}},
		{"one compactor", Options{NumCompactors: 1}},
		{"tiny memtable", Options{MemTableSize: 1024}},
		{"huge value log", Options{ValueLogFileSize: 4 << 30}},
		{"negative list cap", Options{MaxListSessions: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Logger = slog.New(slog.DiscardHandler)
			db, err := Open(t.TempDir(), tt.opts)
			if err == nil {
				db.Close()
				t.Fatal("err = nil, want an error")
			}
		})
	}
}

func TestOpenLockedFolder(t *testing.T) {
	dir := t.TempDir()
	openAt(t, dir, Options{})
	if db, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler)}); err == nil {
		db.Close()
		t.Fatal("a second Open of one folder succeeded")
	}
}

// recorder is a slog.Handler that keeps records.
type recorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func TestBadgerLogRoutedToSlog(t *testing.T) {
	rec := &recorder{}
	db := openTest(t, Options{Logger: slog.New(rec)})
	wantErr(t, db.Close(), nil)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.recs) == 0 {
		t.Fatal("no Badger log lines reached slog")
	}
	for _, r := range rec.recs {
		if r.Level > slog.LevelDebug {
			t.Errorf("Badger's chatter at %v: %q", r.Level, r.Message)
		}
		if strings.HasSuffix(r.Message, "\n") {
			t.Errorf("message keeps its newline: %q", r.Message)
		}
	}
}

func TestGCLoopStopsOnClose(t *testing.T) {
	rec := &recorder{}
	db := openTest(t, Options{Logger: slog.New(rec), GCInterval: time.Millisecond, ValueLogFileSize: 1 << 20})
	big := strings.Repeat("x", 2<<20) // over Badger's value threshold: goes to the value log
	for range 4 {
		m, err := db.CreateMessage(ctx, chelseru.Message{Text: big[:maxValueLen-200]})
		wantErr(t, err, nil)
		m.Text = "short"
		wantErr(t, db.UpdateMessage(ctx, m), nil)
	}
	time.Sleep(20 * time.Millisecond) // let a few GC rounds run
	wantErr(t, db.Close(), nil)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, r := range rec.recs {
		if r.Level >= slog.LevelWarn {
			t.Errorf("GC logged %v %q", r.Level, r.Message)
		}
	}
}

func TestBackupRestore(t *testing.T) {
	src := openTest(t, Options{})
	u, _, err := src.GetOrCreateUser(ctx, 2, mobile, time.Now())
	wantErr(t, err, nil)
	wantErr(t, src.SetPassword(ctx, u.ID, "hash"), nil)
	s, err := src.CreateSession(ctx, newSession(u.ID, time.Now()))
	wantErr(t, err, nil)
	gone, err := src.CreateSession(ctx, newSession(u.ID, time.Now()))
	wantErr(t, err, nil)
	wantErr(t, src.DeleteSession(ctx, u.ID, gone.ID), nil)
	m, err := src.CreateMessage(ctx, chelseru.Message{UserID: u.ID, Text: "hello"})
	wantErr(t, err, nil)
	var buf bytes.Buffer
	wantErr(t, src.Backup(&buf), nil)

	dst := openTest(t, Options{})
	wantErr(t, dst.Restore(bytes.NewReader(buf.Bytes())), nil)
	if got, err := dst.FindUser(ctx, 2, mobile); err != nil || got.ID != u.ID || got.PasswordHash != "hash" {
		t.Errorf("user after restore: %+v, %v", got, err)
	}
	if list, err := dst.ListSessions(ctx, u.ID); err != nil || len(list) != 1 || list[0].ID != s.ID {
		t.Errorf("sessions after restore: %+v, %v", list, err)
	}
	if got, err := dst.GetMessage(ctx, m.ID); err != nil || got.Text != "hello" {
		t.Errorf("message after restore: %+v, %v", got, err)
	}
	// New ids never collide with restored ones.
	s2, err := dst.CreateSession(ctx, newSession(u.ID, time.Now()))
	wantErr(t, err, nil)
	u2, _, err := dst.GetOrCreateUser(ctx, 2, "09120000009", time.Now())
	wantErr(t, err, nil)
	if s2.ID <= gone.ID || u2.ID <= u.ID {
		t.Errorf("new ids %d (session) %d (user) reuse restored ones", s2.ID, u2.ID)
	}
	// Only into an empty database.
	wantErr(t, dst.Restore(bytes.NewReader(buf.Bytes())), chelseru.ErrExists)
	wantErr(t, src.Restore(bytes.NewReader(buf.Bytes())), chelseru.ErrExists)
}

func TestRestoreRejectsDamagedBackups(t *testing.T) {
	src := openTest(t, Options{})
	for i := range 20 {
		_, _, err := src.GetOrCreateUser(ctx, int64(i), mobile, time.Now())
		wantErr(t, err, nil)
	}
	var buf bytes.Buffer
	wantErr(t, src.Backup(&buf), nil)
	good := buf.Bytes()
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x55
		return b
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"plain text", []byte("not a backup at all, just text")},
		{"empty", nil},
		{"other version", flip(len(backupMagic))},
		{"frame length far too big", append(append([]byte(backupMagic), backupVersion), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)},
		{"truncated in a frame", good[:len(good)/2]},
		{"truncated before the checksum", good[:len(good)-2]},
		{"damaged payload", flip(len(good) - 20)},
		{"damaged checksum", flip(len(good) - 1)},
		{"trailing bytes", append(bytes.Clone(good), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t, Options{})
			if err := db.Restore(bytes.NewReader(tt.in)); err == nil {
				t.Fatal("err = nil, want an error")
			}
			if _, err := db.FindUser(ctx, 0, mobile); err == nil {
				t.Error("a refused backup left data behind")
			}
			// Still empty: a good backup loads afterwards.
			wantErr(t, db.Restore(bytes.NewReader(good)), nil)
			if _, err := db.FindUser(ctx, 19, mobile); err != nil {
				t.Errorf("good backup after a refused one: %v", err)
			}
		})
	}
}
