package storage

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

func newSession(userID int64, created time.Time) chelseru.Session {
	return chelseru.Session{
		UserID:     userID,
		UserAgent:  "Mozilla/5.0 (Linux; Android 14) Chrome/120.0",
		Device:     "Android",
		Browser:    "Chrome",
		IP:         "203.0.113.7",
		CreatedAt:  created,
		LastSeen:   created,
		RefreshJTI: "jti-0",
		ExpiresAt:  time.Now().Add(24 * time.Hour),
	}
}

func TestCreateAndGetSession(t *testing.T) {
	db := openTest(t, Options{})
	now := time.Now().UTC()
	a, err := db.CreateSession(ctx, newSession(1, now))
	wantErr(t, err, nil)
	b, err := db.CreateSession(ctx, newSession(1, now))
	wantErr(t, err, nil)
	if a.ID < 1 || b.ID <= a.ID {
		t.Fatalf("ids %d, %d: want increasing from 1", a.ID, b.ID)
	}
	got, err := db.GetSession(ctx, a.ID)
	wantErr(t, err, nil)
	want := newSession(1, now)
	want.ID = a.ID
	if got.ID != want.ID || got.UserID != want.UserID || got.UserAgent != want.UserAgent || got.Device != want.Device ||
		got.Browser != want.Browser || got.IP != want.IP || got.RefreshJTI != want.RefreshJTI ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.LastSeen.Equal(want.LastSeen) || got.ExpiresAt.Unix() != want.ExpiresAt.Unix() {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	_, err = db.GetSession(ctx, b.ID+1)
	wantErr(t, err, chelseru.ErrNotFound)
	for _, k := range [][]byte{sessionKey(a.ID), userSessionKey(1, a.ID)} {
		ok, exp := rawGet(t, db, k)
		if !ok || exp != badgerExpiry(got.ExpiresAt) {
			t.Errorf("key %q: exists=%v ExpiresAt=%d, want a TTL at %d", k, ok, exp, badgerExpiry(got.ExpiresAt))
		}
	}
}

func TestSessionWithoutExpiry(t *testing.T) {
	db := openTest(t, Options{})
	s := newSession(1, time.Now())
	s.ExpiresAt = time.Time{}
	s, err := db.CreateSession(ctx, s)
	wantErr(t, err, nil)
	if _, err := db.GetSession(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if ok, exp := rawGet(t, db, sessionKey(s.ID)); !ok || exp != 0 {
		t.Errorf("exists=%v ExpiresAt=%d, want no TTL", ok, exp)
	}
}

func TestListSessions(t *testing.T) {
	c := &clock{}
	db := openTest(t, Options{Now: c.Now, MaxListSessions: 4})
	base := time.Now().UTC()
	var mine []chelseru.Session
	for i := range 3 {
		s, err := db.CreateSession(ctx, newSession(10, base.Add(time.Duration(i)*time.Minute)))
		wantErr(t, err, nil)
		mine = append(mine, s)
		// Another user's sessions, interleaved, with neighbouring user ids.
		for _, other := range []int64{9, 11} {
			_, err := db.CreateSession(ctx, newSession(other, base))
			wantErr(t, err, nil)
		}
	}
	short := newSession(10, base.Add(time.Hour))
	short.ExpiresAt = time.Now().Add(time.Minute)
	short, err := db.CreateSession(ctx, short)
	wantErr(t, err, nil)
	gone, err := db.CreateSession(ctx, newSession(10, base.Add(2*time.Hour)))
	wantErr(t, err, nil)
	wantErr(t, db.DeleteSession(ctx, 10, gone.ID), nil)

	ids := func(ss []chelseru.Session) string {
		out := ""
		for _, s := range ss {
			out += fmt.Sprintf("%d,", s.ID)
		}
		return out
	}
	got, err := db.ListSessions(ctx, 10)
	wantErr(t, err, nil)
	want := []chelseru.Session{short, mine[2], mine[1], mine[0]}
	if ids(got) != ids(want) {
		t.Errorf("list = %s, want %s (newest first)", ids(got), ids(want))
	}
	c.Advance(2 * time.Minute) // short has expired by the store's clock
	got, err = db.ListSessions(ctx, 10)
	wantErr(t, err, nil)
	if want := mine[:3]; ids(got) != fmt.Sprintf("%d,%d,%d,", want[2].ID, want[1].ID, want[0].ID) {
		t.Errorf("after expiry: list = %s", ids(got))
	}
	for _, s := range got {
		if s.UserID != 10 {
			t.Errorf("listed another user's session %+v", s)
		}
	}
	got, err = db.ListSessions(ctx, 12)
	wantErr(t, err, nil)
	if len(got) != 0 {
		t.Errorf("user without sessions: %d listed", len(got))
	}
}

func TestListSessionsCap(t *testing.T) {
	db := openTest(t, Options{MaxListSessions: 3})
	var last chelseru.Session
	for range 5 {
		var err error
		last, err = db.CreateSession(ctx, newSession(1, time.Now()))
		wantErr(t, err, nil)
	}
	got, err := db.ListSessions(ctx, 1)
	wantErr(t, err, nil)
	if len(got) != 3 || got[0].ID != last.ID {
		t.Errorf("got %d sessions starting at %d, want 3 starting at %d", len(got), got[0].ID, last.ID)
	}
}

func TestDeleteSession(t *testing.T) {
	tests := []struct {
		name    string
		userID  int64
		id      func(s chelseru.Session) int64
		wantErr error
		kept    bool
	}{
		{"owner deletes", 1, func(s chelseru.Session) int64 { return s.ID }, nil, false},
		{"another user cannot", 2, func(s chelseru.Session) int64 { return s.ID }, chelseru.ErrNotFound, true},
		{"unknown id", 1, func(s chelseru.Session) int64 { return s.ID + 1 }, chelseru.ErrNotFound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t, Options{})
			s, err := db.CreateSession(ctx, newSession(1, time.Now()))
			wantErr(t, err, nil)
			wantErr(t, db.DeleteSession(ctx, tt.userID, tt.id(s)), tt.wantErr)
			_, err = db.GetSession(ctx, s.ID)
			if tt.kept {
				wantErr(t, err, nil)
			} else {
				wantErr(t, err, chelseru.ErrNotFound)
			}
			for _, k := range [][]byte{sessionKey(s.ID), userSessionKey(1, s.ID)} {
				if ok, _ := rawGet(t, db, k); ok != tt.kept {
					t.Errorf("key %q exists = %v, want %v", k, ok, tt.kept)
				}
			}
			if !tt.kept {
				wantErr(t, db.DeleteSession(ctx, 1, s.ID), chelseru.ErrNotFound)
			}
		})
	}
}

func TestTouchSession(t *testing.T) {
	db := openTest(t, Options{})
	t0 := time.Now().UTC()
	s, err := db.CreateSession(ctx, newSession(1, t0))
	wantErr(t, err, nil)
	steps := []struct {
		at   time.Time
		want time.Time
	}{
		{t0.Add(time.Minute), t0.Add(time.Minute)},
		{t0.Add(30 * time.Second), t0.Add(time.Minute)}, // never backwards
		{t0.Add(2 * time.Minute), t0.Add(2 * time.Minute)},
	}
	for i, st := range steps {
		wantErr(t, db.TouchSession(ctx, s.ID, st.at), nil)
		got, err := db.GetSession(ctx, s.ID)
		wantErr(t, err, nil)
		if !got.LastSeen.Equal(st.want) {
			t.Errorf("step %d: LastSeen = %v, want %v", i, got.LastSeen, st.want)
		}
		if got.RefreshJTI != s.RefreshJTI || !got.CreatedAt.Equal(s.CreatedAt) {
			t.Errorf("step %d: touch changed other fields: %+v", i, got)
		}
	}
	if _, exp := rawGet(t, db, sessionKey(s.ID)); exp != badgerExpiry(s.ExpiresAt) {
		t.Errorf("touch changed the TTL to %d", exp)
	}
	wantErr(t, db.TouchSession(ctx, s.ID+1, t0), chelseru.ErrNotFound)
}

func TestRotateRefresh(t *testing.T) {
	db := openTest(t, Options{})
	s, err := db.CreateSession(ctx, newSession(1, time.Now()))
	wantErr(t, err, nil)
	newExp := time.Now().Add(48 * time.Hour)
	wantErr(t, db.RotateRefresh(ctx, s.ID, "jti-0", "jti-1", newExp), nil)
	got, err := db.GetSession(ctx, s.ID)
	wantErr(t, err, nil)
	if got.RefreshJTI != "jti-1" || !got.ExpiresAt.Equal(newExp) {
		t.Errorf("after rotate: jti=%q exp=%v", got.RefreshJTI, got.ExpiresAt)
	}
	for _, k := range [][]byte{sessionKey(s.ID), userSessionKey(1, s.ID)} {
		if _, exp := rawGet(t, db, k); exp != badgerExpiry(newExp) {
			t.Errorf("key %q: TTL %d, want %d", k, exp, badgerExpiry(newExp))
		}
	}
	tests := []struct {
		name    string
		id      int64
		old     string
		wantErr error
	}{
		{"reuse of the rotated-out token", s.ID, "jti-0", chelseru.ErrStale},
		{"empty jti", s.ID, "", chelseru.ErrStale},
		{"unknown session", s.ID + 1, "jti-1", chelseru.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, db.RotateRefresh(ctx, tt.id, tt.old, "jti-x", newExp), tt.wantErr)
		})
	}
	got, err = db.GetSession(ctx, s.ID)
	wantErr(t, err, nil)
	if got.RefreshJTI != "jti-1" {
		t.Errorf("failed rotations changed the jti to %q", got.RefreshJTI)
	}
}

func TestRotateRefreshConcurrent(t *testing.T) {
	const goroutines = 50
	db := openTest(t, Options{})
	s, err := db.CreateSession(ctx, newSession(1, time.Now()))
	wantErr(t, err, nil)
	var n atomic.Int64
	results := runConcurrent(t, goroutines, func() (string, error) {
		jti := fmt.Sprintf("jti-new-%d", n.Add(1))
		err := db.RotateRefresh(ctx, s.ID, "jti-0", jti, s.ExpiresAt)
		switch {
		case err == nil:
			return "ok", nil
		case errors.Is(err, chelseru.ErrStale):
			return "stale", nil
		}
		return "", err
	})
	if results["ok"] != 1 || results["stale"] != goroutines-1 {
		t.Errorf("results = %v, want exactly one rotation", results)
	}
}

func TestSessionExpiresInBadger(t *testing.T) {
	if testing.Short() {
		t.Skip("sleeps past a TTL")
	}
	db := openTest(t, Options{})
	s := newSession(1, time.Now())
	s.ExpiresAt = time.Now().Add(time.Second)
	s, err := db.CreateSession(ctx, s)
	wantErr(t, err, nil)
	time.Sleep(2100 * time.Millisecond)
	for _, k := range [][]byte{sessionKey(s.ID), userSessionKey(1, s.ID)} {
		if ok, _ := rawGet(t, db, k); ok {
			t.Errorf("Badger still holds %q after the TTL", k)
		}
	}
	_, err = db.GetSession(ctx, s.ID)
	wantErr(t, err, chelseru.ErrNotFound)
	list, err := db.ListSessions(ctx, 1)
	wantErr(t, err, nil)
	if len(list) != 0 {
		t.Errorf("listed %d expired sessions", len(list))
	}
}

func TestGetSessionExpiredByStoreClock(t *testing.T) {
	c := &clock{}
	db := openTest(t, Options{Now: c.Now})
	s, err := db.CreateSession(ctx, newSession(1, time.Now()))
	wantErr(t, err, nil)
	c.Advance(25 * time.Hour)
	_, err = db.GetSession(ctx, s.ID)
	wantErr(t, err, chelseru.ErrNotFound)
	wantErr(t, db.TouchSession(ctx, s.ID, time.Now()), chelseru.ErrNotFound)
	wantErr(t, db.RotateRefresh(ctx, s.ID, "jti-0", "jti-1", time.Now().Add(time.Hour)), chelseru.ErrNotFound)
	wantErr(t, db.DeleteSession(ctx, 1, s.ID), chelseru.ErrNotFound)
}
