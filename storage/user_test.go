package storage

import (
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

func TestGetOrCreateUser(t *testing.T) {
	db := openTest(t, Options{})
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	steps := []struct {
		group       int64
		mobile      string
		wantCreated bool
		wantID      int64
	}{
		{0, "09120000001", true, 1},
		{0, "09120000001", false, 1},
		{1, "09120000001", true, 2}, // same mobile, other group: another user
		{-5, "09120000001", true, 3},
		{0, "09120000002", true, 4},
		{1, "09120000001", false, 2},
	}
	for i, s := range steps {
		u, created, err := db.GetOrCreateUser(ctx, s.group, s.mobile, t0.Add(time.Duration(i)*time.Second))
		wantErr(t, err, nil)
		if created != s.wantCreated || u.ID != s.wantID || u.Group != s.group || u.Mobile != s.mobile {
			t.Fatalf("step %d: got %+v created=%v, want id %d created=%v", i, u, created, s.wantID, s.wantCreated)
		}
		if u.Username() != chelseru.Username(s.group, s.mobile) {
			t.Errorf("step %d: username %q", i, u.Username())
		}
	}
	u, _, err := db.GetOrCreateUser(ctx, 0, "09120000001", t0.Add(time.Hour))
	wantErr(t, err, nil)
	if !u.CreatedAt.Equal(t0) {
		t.Errorf("CreatedAt = %v, want the first login's %v", u.CreatedAt, t0)
	}
	if _, _, err := db.GetOrCreateUser(ctx, 0, "", t0); err == nil {
		t.Error("empty mobile: err = nil")
	}
}

func TestGetAndFindUser(t *testing.T) {
	db := openTest(t, Options{})
	u, _, err := db.GetOrCreateUser(ctx, 7, mobile, time.Now())
	wantErr(t, err, nil)
	tests := []struct {
		name    string
		get     func() (chelseru.User, error)
		wantErr error
	}{
		{"get by id", func() (chelseru.User, error) { return db.GetUser(ctx, u.ID) }, nil},
		{"find by group and mobile", func() (chelseru.User, error) { return db.FindUser(ctx, 7, mobile) }, nil},
		{"get unknown id", func() (chelseru.User, error) { return db.GetUser(ctx, u.ID+1) }, chelseru.ErrNotFound},
		{"get id 0", func() (chelseru.User, error) { return db.GetUser(ctx, 0) }, chelseru.ErrNotFound},
		{"find other group", func() (chelseru.User, error) { return db.FindUser(ctx, 8, mobile) }, chelseru.ErrNotFound},
		{"find other mobile", func() (chelseru.User, error) { return db.FindUser(ctx, 7, "09129999999") }, chelseru.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.get()
			wantErr(t, err, tt.wantErr)
			if tt.wantErr == nil && (got.ID != u.ID || got.Mobile != u.Mobile || got.Group != u.Group || !got.CreatedAt.Equal(u.CreatedAt)) {
				t.Errorf("got %+v, want %+v", got, u)
			}
		})
	}
}

func TestSetPassword(t *testing.T) {
	db := openTest(t, Options{})
	u, _, err := db.GetOrCreateUser(ctx, 0, mobile, time.Now())
	wantErr(t, err, nil)
	const hash = "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA"
	wantErr(t, db.SetPassword(ctx, u.ID, hash), nil)
	got, err := db.FindUser(ctx, 0, mobile)
	wantErr(t, err, nil)
	if got.PasswordHash != hash {
		t.Errorf("PasswordHash = %q, want %q", got.PasswordHash, hash)
	}
	wantErr(t, db.SetPassword(ctx, u.ID+100, hash), chelseru.ErrNotFound)
}

func TestGetOrCreateUserConcurrent(t *testing.T) {
	const goroutines = 50
	db := openTest(t, Options{})
	created := runConcurrent(t, goroutines, func() (bool, error) {
		_, c, err := db.GetOrCreateUser(ctx, 3, mobile, time.Now())
		return c, err
	})
	if created[true] != 1 || created[false] != goroutines-1 {
		t.Errorf("created = %v, want exactly one creation", created)
	}
	ids := runConcurrent(t, goroutines, func() (int64, error) {
		u, _, err := db.GetOrCreateUser(ctx, 3, mobile, time.Now())
		return u.ID, err
	})
	if len(ids) != 1 {
		t.Errorf("ids = %v, want one id", ids)
	}
}
