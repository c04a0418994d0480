package storage

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/chelseru/chelseru"
)

func TestUserDisabledCodec(t *testing.T) {
	u := chelseru.User{ID: 7, Group: 2, Mobile: "09121234567", PasswordHash: "h", CreatedAt: time.Unix(1700000000, 5).UTC(), Disabled: true}
	b, err := encodeUser(u)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != fmtUserv2 {
		t.Fatalf("format %#x, want v2", b[0])
	}
	got, err := decodeUser(b)
	if err != nil || got != u {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	// A v1 record (written by an older release) reads as enabled.
	e := encoder{}
	e.b = append(e.b, fmtUserv1)
	e.int(u.ID)
	e.int(u.Group)
	e.str(u.Mobile)
	e.str(u.PasswordHash)
	e.time(u.CreatedAt)
	old, err := decodeUser(e.b)
	want := u
	want.Disabled = false
	if err != nil || old != want {
		t.Fatalf("v1: %+v, %v", old, err)
	}
	// A v1 record with a trailing byte is corrupt, not a v2 one.
	if _, err := decodeUser(append(e.b, 1)); err == nil {
		t.Fatal("v1 with a trailing byte decoded")
	}
}

func TestAdminUsersAndSessions(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	now := time.Now()
	u0, _, err := db.GetOrCreateUser(ctx, 0, "09121234567", now)
	if err != nil {
		t.Fatal(err)
	}
	u3, _, err := db.GetOrCreateUser(ctx, 3, "09121234567", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.GetOrCreateUser(ctx, 0, "09129999999", now); err != nil {
		t.Fatal(err)
	}
	users, err := db.FindUsers(ctx, "09121234567")
	if err != nil || len(users) != 2 || users[0].ID != u0.ID || users[1].ID != u3.ID {
		t.Fatalf("FindUsers = %+v, %v", users, err)
	}
	if users, err := db.FindUsers(ctx, "09120000000"); err != nil || len(users) != 0 {
		t.Fatalf("FindUsers(unknown) = %+v, %v", users, err)
	}

	if d, err := db.MobileDisabled(ctx, "09121234567"); err != nil || d {
		t.Fatalf("MobileDisabled before = %v, %v", d, err)
	}
	got, err := db.SetUserDisabled(ctx, u3.ID, true)
	if err != nil || !got.Disabled {
		t.Fatalf("SetUserDisabled = %+v, %v", got, err)
	}
	if d, err := db.MobileDisabled(ctx, "09121234567"); err != nil || !d {
		t.Fatalf("MobileDisabled after disable = %v, %v", d, err)
	}
	if d, err := db.MobileDisabled(ctx, "09129999999"); err != nil || d {
		t.Fatalf("another number disabled: %v, %v", d, err)
	}
	if u, err := db.GetUser(ctx, u3.ID); err != nil || !u.Disabled {
		t.Fatalf("GetUser after disable = %+v, %v", u, err)
	}
	if _, err := db.SetUserDisabled(ctx, u3.ID, false); err != nil {
		t.Fatal(err)
	}
	if d, err := db.MobileDisabled(ctx, "09121234567"); err != nil || d {
		t.Fatalf("MobileDisabled after enable = %v, %v", d, err)
	}
	if _, err := db.SetUserDisabled(ctx, 999999, true); !errors.Is(err, chelseru.ErrNotFound) {
		t.Fatalf("SetUserDisabled(unknown) = %v, want ErrNotFound", err)
	}

	for i := 0; i < 5; i++ {
		if _, err := db.CreateSession(ctx, chelseru.Session{UserID: u0.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	other, err := db.CreateSession(ctx, chelseru.Session{UserID: u3.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.DeleteUserSessions(ctx, u0.ID)
	if err != nil || n != 5 {
		t.Fatalf("DeleteUserSessions = %d, %v; want 5", n, err)
	}
	if l, err := db.ListSessions(ctx, u0.ID); err != nil || len(l) != 0 {
		t.Fatalf("sessions left: %d, %v", len(l), err)
	}
	if _, err := db.GetSession(ctx, other.ID); err != nil {
		t.Fatalf("another user's session went too: %v", err)
	}
}

func TestListMessagesFiltersAndPaging(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	numbers := []string{"09120000001", "09120000002"}
	statuses := []chelseru.MessageStatus{chelseru.MessageSent, chelseru.MessageFailed, chelseru.MessagePending}
	var all []chelseru.Message
	for i := 0; i < 30; i++ {
		m, err := db.CreateMessage(ctx, chelseru.Message{
			Mobile: numbers[i%2], Text: fmt.Sprint("m", i), Status: statuses[i%3],
			CreatedAt: base.Add(time.Duration(i) * time.Minute),
		})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, m)
	}
	// Update keeps the index entry single.
	all[4].Status = chelseru.MessageSent
	if err := db.UpdateMessage(ctx, all[4]); err != nil {
		t.Fatal(err)
	}
	collect := func(f chelseru.MessageFilter) []int64 {
		t.Helper()
		var ids []int64
		for pages := 0; ; pages++ {
			if pages > 100 {
				t.Fatal("paging does not end")
			}
			p, err := db.ListMessages(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Messages) > f.Limit {
				t.Fatalf("page of %d, limit %d", len(p.Messages), f.Limit)
			}
			for _, m := range p.Messages {
				ids = append(ids, m.ID)
			}
			if p.Next == 0 {
				return ids
			}
			f.Before = p.Next
		}
	}
	expect := func(keep func(m chelseru.Message) bool) []int64 {
		var ids []int64
		for i := len(all) - 1; i >= 0; i-- {
			if keep(all[i]) {
				ids = append(ids, all[i].ID)
			}
		}
		return ids
	}
	cases := []struct {
		name string
		f    chelseru.MessageFilter
		keep func(m chelseru.Message) bool
	}{
		{"all", chelseru.MessageFilter{Limit: 7}, func(chelseru.Message) bool { return true }},
		{"number", chelseru.MessageFilter{Mobile: numbers[1], Limit: 4}, func(m chelseru.Message) bool { return m.Mobile == numbers[1] }},
		{"status", chelseru.MessageFilter{Status: chelseru.MessageFailed, Limit: 3}, func(m chelseru.Message) bool { return m.Status == chelseru.MessageFailed }},
		{"number and status", chelseru.MessageFilter{Mobile: numbers[0], Status: chelseru.MessageSent, Limit: 2}, func(m chelseru.Message) bool {
			return m.Mobile == numbers[0] && m.Status == chelseru.MessageSent
		}},
		{"time range", chelseru.MessageFilter{Since: base.Add(10 * time.Minute), Until: base.Add(20 * time.Minute), Limit: 4}, func(m chelseru.Message) bool {
			return !m.CreatedAt.Before(base.Add(10*time.Minute)) && m.CreatedAt.Before(base.Add(20*time.Minute))
		}},
		{"unknown number", chelseru.MessageFilter{Mobile: "09129999999", Limit: 5}, func(chelseru.Message) bool { return false }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, want := collect(c.f), expect(c.keep)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("ids %v, want %v", got, want)
			}
		})
	}
}

// TestAdminIndexBackfill: users and messages written without the admin
// indexes (by an older release) are indexed when the database is opened.
func TestAdminIndexBackfill(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	u, _, err := db.GetOrCreateUser(ctx, 0, "09121234567", now)
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.CreateMessage(ctx, chelseru.Message{Mobile: "09121234567", Text: "x", Status: chelseru.MessageSent, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	// Remove what a new release writes, as an old one would have left it.
	err = db.bdb.Update(func(txn *badger.Txn) error {
		for _, k := range [][]byte{mobileUsersKey(u.Mobile, u.Group), messageByMobileKey(m.Mobile, m.ID), []byte(keyAdminIndex)} {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if users, _ := db.FindUsers(ctx, u.Mobile); len(users) != 0 {
		t.Fatal("index still there")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, dir, Options{})
	users, err := db.FindUsers(ctx, u.Mobile)
	if err != nil || len(users) != 1 || users[0].ID != u.ID {
		t.Fatalf("FindUsers after reopen = %+v, %v", users, err)
	}
	p, err := db.ListMessages(ctx, chelseru.MessageFilter{Mobile: m.Mobile, Limit: 10})
	if err != nil || len(p.Messages) != 1 || p.Messages[0].ID != m.ID {
		t.Fatalf("ListMessages after reopen = %+v, %v", p, err)
	}
}

// BenchmarkMobileDisabled measures the check /api/otp/send/ makes for every
// code: no read while no user is disabled, else one prefix read of
// user-disabled/{mobile}/.
func BenchmarkMobileDisabled(b *testing.B) {
	for _, disable := range []bool{false, true} {
		b.Run(fmt.Sprintf("some_disabled=%t", disable), func(b *testing.B) {
			ctx := context.Background()
			db := openTest(b, Options{})
			for i := 0; i < 1000; i++ {
				u, _, err := db.GetOrCreateUser(ctx, 0, fmt.Sprintf("0912%07d", i), time.Now())
				if err != nil {
					b.Fatal(err)
				}
				if disable && i%10 == 0 {
					if _, err := db.SetUserDisabled(ctx, u.ID, true); err != nil {
						b.Fatal(err)
					}
				}
			}
			i := 0
			for b.Loop() {
				if _, err := db.MobileDisabled(ctx, fmt.Sprintf("0912%07d", i%1000)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// TestDisabledSurvivesReopen: the count of disabled users that spares
// MobileDisabled its read is loaded again at open.
func TestDisabledSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := db.GetOrCreateUser(ctx, 0, "09121234567", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetUserDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetUserDisabled(ctx, u.ID, true); err != nil { // twice: counted once
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, dir, Options{})
	if d, err := db.MobileDisabled(ctx, "09121234567"); err != nil || !d {
		t.Fatalf("after reopen: %v, %v", d, err)
	}
	if _, err := db.SetUserDisabled(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if d, err := db.MobileDisabled(ctx, "09121234567"); err != nil || d {
		t.Fatalf("after enable: %v, %v", d, err)
	}
	if n := db.disabledUsers.Load(); n != 0 {
		t.Fatalf("count %d after enable", n)
	}
}
