package storage

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

func TestChatRoomGetOrCreate(t *testing.T) {
	db := openTest(t, Options{})
	now := time.Now().UTC()
	// Concurrent creates of one pair, from both sides, make one room.
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[int64]int{}
		created int
	)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, b := int64(5), int64(9)
			if i%2 == 1 {
				a, b = b, a
			}
			r, c, err := db.GetOrCreateRoom(ctx, a, b, now)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[r.ID]++
			if c {
				created++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(ids) != 1 || created != 1 {
		t.Fatalf("rooms %v, created %d", ids, created)
	}
	for id := range ids {
		r, err := db.GetRoom(ctx, id)
		if err != nil || r.User1 != 5 || r.User2 != 9 || !r.CreatedAt.Equal(now) {
			t.Fatalf("GetRoom: %+v %v", r, err)
		}
	}
	if _, _, err := db.GetOrCreateRoom(ctx, 5, 5, now); err == nil {
		t.Fatal("a room with oneself was created")
	}
	if _, err := db.GetRoom(ctx, 999); !errors.Is(err, chelseru.ErrNotFound) {
		t.Fatalf("missing room: %v", err)
	}
}

func TestChatAppendHistoryReplay(t *testing.T) {
	dir := t.TempDir()
	db := openAt(t, dir, Options{})
	now := time.Now().UTC()
	r, _, err := db.GetOrCreateRoom(ctx, 1, 2, now)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 10; i++ {
		m, dup, err := db.AppendMessage(ctx, chelseru.ChatMessage{Room: r.ID, Sender: int64(1 + i%2), Text: fmt.Sprint("t", i), CreatedAt: now})
		if err != nil || dup || m.ID != int64(i) {
			t.Fatalf("append %d: %+v %v %v", i, m, dup, err)
		}
	}
	// client_id: the first message comes back, nothing is stored.
	first, dup, err := db.AppendMessage(ctx, chelseru.ChatMessage{Room: r.ID, Sender: 1, Text: "x", ClientID: "k", CreatedAt: now})
	if err != nil || dup || first.ID != 11 {
		t.Fatalf("%+v %v %v", first, dup, err)
	}
	again, dup, err := db.AppendMessage(ctx, chelseru.ChatMessage{Room: r.ID, Sender: 1, Text: "x", ClientID: "k", CreatedAt: now})
	if err != nil || !dup || again.ID != 11 || again.Text != "x" {
		t.Fatalf("retry: %+v %v %v", again, dup, err)
	}
	// The same client_id from the other member is its own key.
	other, dup, err := db.AppendMessage(ctx, chelseru.ChatMessage{Room: r.ID, Sender: 2, Text: "y", ClientID: "k", CreatedAt: now})
	if err != nil || dup || other.ID != 12 {
		t.Fatalf("other sender: %+v %v %v", other, dup, err)
	}
	// Outsiders and unknown rooms.
	if _, _, err := db.AppendMessage(ctx, chelseru.ChatMessage{Room: r.ID, Sender: 3, Text: "z"}); !errors.Is(err, chelseru.ErrNotFound) {
		t.Fatalf("outsider: %v", err)
	}
	if _, _, err := db.AppendMessage(ctx, chelseru.ChatMessage{Room: 77, Sender: 1, Text: "z"}); !errors.Is(err, chelseru.ErrNotFound) {
		t.Fatalf("unknown room: %v", err)
	}

	ids := func(ms []chelseru.ChatMessage) string {
		out := make([]int64, len(ms))
		for i, m := range ms {
			out[i] = m.ID
		}
		return fmt.Sprint(out)
	}
	for _, tc := range []struct {
		before int64
		limit  int
		want   string
	}{
		{0, 3, "[12 11 10]"},
		{10, 3, "[9 8 7]"},
		{2, 5, "[1]"},
		{1, 5, "[]"},
	} {
		got, err := db.History(ctx, r.ID, tc.before, tc.limit)
		if err != nil || ids(got) != tc.want {
			t.Errorf("History(before %d, limit %d) = %s %v, want %s", tc.before, tc.limit, ids(got), err, tc.want)
		}
	}
	after, err := db.MessagesAfter(ctx, r.ID, 8, 100)
	if err != nil || ids(after) != "[9 10 11 12]" || after[0].Text != "t9" {
		t.Fatalf("MessagesAfter: %s %v", ids(after), err)
	}

	// Ids go on after a restart.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2 := openAt(t, dir, Options{})
	m, _, err := db2.AppendMessage(ctx, chelseru.ChatMessage{Room: r.ID, Sender: 1, Text: "after", CreatedAt: now})
	if err != nil || m.ID != 13 {
		t.Fatalf("after reopen: %+v %v", m, err)
	}
	if again, dup, _ := db2.AppendMessage(ctx, chelseru.ChatMessage{Room: r.ID, Sender: 1, Text: "x", ClientID: "k"}); !dup || again.ID != 11 {
		t.Fatalf("client_id after reopen: %+v %v", again, dup)
	}
}

func TestChatUnreadAndActivity(t *testing.T) {
	db := openTest(t, Options{})
	t0 := time.Now().UTC().Truncate(time.Second)
	rAB, _, _ := db.GetOrCreateRoom(ctx, 1, 2, t0)
	rAC, _, _ := db.GetOrCreateRoom(ctx, 1, 3, t0.Add(time.Second))
	list, err := db.ListRooms(ctx, 1)
	if err != nil || len(list) != 2 || list[0].Room.ID != rAC.ID || list[0].Last.ID != 0 {
		t.Fatalf("fresh list: %+v %v", list, err)
	}
	send := func(room, from int64, at time.Duration) int64 {
		m, _, err := db.AppendMessage(ctx, chelseru.ChatMessage{Room: room, Sender: from, Text: "m", CreatedAt: t0.Add(at)})
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	send(rAB.ID, 2, 2*time.Second) // 1
	send(rAB.ID, 1, 3*time.Second) // 2 (mine)
	send(rAB.ID, 2, 4*time.Second) // 3
	send(rAB.ID, 2, 5*time.Second) // 4
	unread := func(user, room int64) int64 {
		t.Helper()
		list, err := db.ListRooms(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list {
			if s.Room.ID == room {
				return s.Unread
			}
		}
		t.Fatalf("room %d not listed for %d", room, user)
		return 0
	}
	if got := unread(1, rAB.ID); got != 3 {
		t.Fatalf("unread %d, want 3", got)
	}
	if got := unread(2, rAB.ID); got != 1 {
		t.Fatalf("unread of the other member %d, want 1", got)
	}
	list, _ = db.ListRooms(ctx, 1)
	if list[0].Room.ID != rAB.ID || list[0].Last.ID != 4 || !list[0].Activity.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("most active first: %+v", list[0])
	}
	for _, tc := range []struct {
		upTo, mark int64
		moved      bool
		unread     int64
	}{
		{2, 2, true, 2},   // messages 1 read; 3 and 4 left
		{1, 2, false, 2},  // a mark never moves back
		{3, 3, true, 1},   //
		{99, 4, true, 0},  // capped at the newest
		{99, 4, false, 0}, // already there
	} {
		mark, moved, err := db.MarkRead(ctx, rAB.ID, 1, tc.upTo)
		if err != nil || mark != tc.mark || moved != tc.moved {
			t.Fatalf("MarkRead(%d) = %d %v %v, want %d %v", tc.upTo, mark, moved, err, tc.mark, tc.moved)
		}
		if got := unread(1, rAB.ID); got != tc.unread {
			t.Fatalf("after MarkRead(%d): unread %d, want %d", tc.upTo, got, tc.unread)
		}
	}
	if _, _, err := db.MarkRead(ctx, rAB.ID, 3, 1); !errors.Is(err, chelseru.ErrNotFound) {
		t.Fatalf("outsider: %v", err)
	}
}

func TestChatConcurrentAppendsKeepIDsDense(t *testing.T) {
	db := openTest(t, Options{})
	now := time.Now()
	const rooms, per = 8, 50
	var wg sync.WaitGroup
	for r := 0; r < rooms; r++ {
		room, _, err := db.GetOrCreateRoom(ctx, int64(100+r), int64(200+r), now)
		if err != nil {
			t.Fatal(err)
		}
		for s := 0; s < 2; s++ { // both members at once
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < per; i++ {
					if _, _, err := db.AppendMessage(ctx, chelseru.ChatMessage{Room: room.ID, Sender: []int64{room.User1, room.User2}[s], Text: "x", CreatedAt: now}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	for r := int64(1); r <= rooms; r++ {
		ms, err := db.MessagesAfter(ctx, r, 0, 1000)
		if err != nil || len(ms) != 2*per {
			t.Fatalf("room %d: %d messages, %v", r, len(ms), err)
		}
		for i, m := range ms {
			if m.ID != int64(i+1) {
				t.Fatalf("room %d: message %d has id %d", r, i, m.ID)
			}
		}
	}
}

// BenchmarkAppendMessage is one chat message stored (its own group-commit
// round when alone; Badger and the group commit batch concurrent ones).
func BenchmarkAppendMessage(b *testing.B) {
	benchStores(b, func(b *testing.B, db *DB) {
		r, _, err := db.GetOrCreateRoom(ctx, 1, 2, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, _, err := db.AppendMessage(ctx, chelseru.ChatMessage{Room: r.ID, Sender: 1, Text: "a chat message of a usual length", CreatedAt: time.Now()}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAppendMessageParallel is appends to 1,000 rooms from many
// goroutines at once, as under load: the group commit shares rounds.
func BenchmarkAppendMessageParallel(b *testing.B) {
	benchStores(b, func(b *testing.B, db *DB) {
		const rooms = 1000
		for i := int64(0); i < rooms; i++ {
			if _, _, err := db.GetOrCreateRoom(ctx, 2*i+1, 2*i+2, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
		var next sync.Mutex
		n := int64(0)
		b.SetParallelism(32)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				next.Lock()
				n++
				room := n%rooms + 1
				next.Unlock()
				if _, _, err := db.AppendMessage(ctx, chelseru.ChatMessage{Room: room, Sender: 2*room - 1, Text: "a chat message of a usual length", CreatedAt: time.Now()}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
