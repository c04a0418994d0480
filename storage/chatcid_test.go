package storage

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

// TestChatClientIDsStayExact drives appends with client_ids drawn from a
// small alphabet (so retries are frequent) through three rooms, reopening
// the database now and then, and checks every answer against a model: a
// client_id seen before from that sender in that room gives the first
// message back, a new one a new message. It runs with the default bounds of
// the client_id sets and with bounds so small that rooms keep no set, lose
// it while appending, or are refused one by the shared budget.
func TestChatClientIDsStayExact(t *testing.T) {
	for _, tc := range []struct {
		name          string
		perRoom       int
		budget        int64
		wantSetsGone  bool
		wantSetsAlive bool
	}{
		{name: "default bounds", perRoom: maxRoomCIDs, budget: maxCIDHashes, wantSetsAlive: true},
		{name: "tiny bounds", perRoom: 5, budget: 8, wantSetsGone: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(p int, b int64) { maxRoomCIDs, maxCIDHashes = p, b }(maxRoomCIDs, maxCIDHashes)
			maxRoomCIDs, maxCIDHashes = tc.perRoom, tc.budget

			dir := t.TempDir()
			db := openAt(t, dir, Options{})
			now := time.Now().UTC()
			var rooms []chelseru.Room
			for _, pair := range [][2]int64{{1, 2}, {1, 3}, {2, 3}} {
				r, _, err := db.GetOrCreateRoom(ctx, pair[0], pair[1], now)
				if err != nil {
					t.Fatal(err)
				}
				rooms = append(rooms, r)
			}
			type key struct {
				room, sender int64
				cid          string
			}
			first := map[key]chelseru.ChatMessage{}
			last := map[int64]int64{}
			rng := rand.New(rand.NewPCG(1, 2))
			sawNoSet, sawSet := false, false
			for i := range 600 {
				if i%150 == 149 { // a restart: every set is built again from disk
					if err := db.Close(); err != nil {
						t.Fatal(err)
					}
					db = openAt(t, dir, Options{})
				}
				r := rooms[rng.IntN(len(rooms))]
				sender := r.User1
				if rng.IntN(2) == 1 {
					sender = r.User2
				}
				cid := ""
				if rng.IntN(10) > 0 {
					cid = fmt.Sprint("c", rng.IntN(40))
				}
				text := fmt.Sprint("m", i)
				got, dup, err := db.AppendMessage(ctx, chelseru.ChatMessage{Room: r.ID, Sender: sender, Text: text, ClientID: cid, CreatedAt: now})
				if err != nil {
					t.Fatalf("append %d: %v", i, err)
				}
				k := key{r.ID, sender, cid}
				if want, seen := first[k]; seen && cid != "" {
					if !dup || got.ID != want.ID || got.Text != want.Text {
						t.Fatalf("append %d (retry of %q): got %+v dup=%v, want the first message %+v", i, cid, got, dup, want)
					}
				} else {
					if dup || got.ID != last[r.ID]+1 {
						t.Fatalf("append %d (new %q): got id %d dup=%v, want id %d", i, cid, got.ID, dup, last[r.ID]+1)
					}
					last[r.ID] = got.ID
					if cid != "" {
						first[k] = got
					}
				}
				lr, unlock, err := db.lockRoom(r.ID)
				if err != nil {
					t.Fatal(err)
				}
				if lr.cids == nil {
					sawNoSet = true
				} else {
					sawSet = true
				}
				unlock()
				if held := db.chat.cids.held.Load(); held < 0 || held > maxCIDHashes {
					t.Fatalf("append %d: %d hashes held, bound %d", i, held, maxCIDHashes)
				}
			}
			if tc.wantSetsGone && !sawNoSet {
				t.Error("with tiny bounds every room kept its set: the bounds were never met")
			}
			if tc.wantSetsAlive && (!sawSet || sawNoSet) {
				t.Errorf("with the default bounds: a room with a set %v, without %v; want every room to keep one", sawSet, sawNoSet)
			}
		})
	}
}

// TestChatClientIDSetBuiltFromDisk checks that a room loaded after a
// restart knows the client_ids stored before it: its set is built from the
// index keys, so a retry is found without having been appended in this run.
func TestChatClientIDSetBuiltFromDisk(t *testing.T) {
	dir := t.TempDir()
	db := openAt(t, dir, Options{})
	now := time.Now().UTC()
	r, _, err := db.GetOrCreateRoom(ctx, 1, 2, now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, _, err := db.AppendMessage(ctx, chelseru.ChatMessage{Room: r.ID, Sender: 1, Text: "x", ClientID: fmt.Sprint("k", i), CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, dir, Options{})
	lr, unlock, err := db.lockRoom(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := len(lr.cids)
	for i := range 10 {
		if !lr.mayHaveCID(db.chat.cids.hash(chatCIDKey(r.ID, 1, fmt.Sprint("k", i)))) {
			t.Errorf("client_id k%d stored before the restart is missing from the set", i)
		}
	}
	if lr.mayHaveCID(db.chat.cids.hash(chatCIDKey(r.ID, 2, "k0"))) {
		t.Error("the other member's k0 (never stored) is in the set")
	}
	unlock()
	if n != 10 || db.chat.cids.held.Load() != 10 {
		t.Fatalf("set of %d, %d held; want 10 and 10", n, db.chat.cids.held.Load())
	}
}
