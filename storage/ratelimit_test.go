package storage

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

func TestTake(t *testing.T) {
	// A fixed instant 10 s into a minute and 70 s into an hour.
	now := time.Date(2026, 3, 1, 12, 1, 10, 500_000_000, time.UTC)
	minute := func(key string, max int) chelseru.Limit {
		return chelseru.Limit{Key: key, Max: max, Window: time.Minute}
	}
	hour := func(key string, max int) chelseru.Limit { return chelseru.Limit{Key: key, Max: max, Window: time.Hour} }
	type take struct {
		at     time.Time
		limits []chelseru.Limit
		want   time.Duration
	}
	tests := []struct {
		name  string
		takes []take
	}{
		{"under the limit", []take{
			{now, []chelseru.Limit{minute("a", 2)}, 0},
			{now, []chelseru.Limit{minute("a", 2)}, 0},
		}},
		{"exhausted: wait until the window ends", []take{
			{now, []chelseru.Limit{minute("a", 1)}, 0},
			{now, []chelseru.Limit{minute("a", 1)}, 49500 * time.Millisecond},
			{now.Add(49 * time.Second), []chelseru.Limit{minute("a", 1)}, 500 * time.Millisecond},
		}},
		{"next window starts afresh", []take{
			{now, []chelseru.Limit{minute("a", 1)}, 0},
			{now.Add(50 * time.Second), []chelseru.Limit{minute("a", 1)}, 0},
			{now.Add(50 * time.Second), []chelseru.Limit{minute("a", 1)}, 59500 * time.Millisecond},
		}},
		{"all or none: an exhausted limit takes nothing from the others", []take{
			{now, []chelseru.Limit{minute("ip", 1)}, 0},
			{now, []chelseru.Limit{minute("mobile", 1), minute("ip", 1)}, 49500 * time.Millisecond},
			{now, []chelseru.Limit{minute("mobile", 1)}, 0}, // mobile was not consumed above
		}},
		{"wait is for the latest exhausted window", []take{
			{now, []chelseru.Limit{minute("a", 1), hour("b", 1)}, 0},
			{now, []chelseru.Limit{minute("a", 1), hour("b", 1)}, 58*time.Minute + 49500*time.Millisecond},
		}},
		{"one key, two windows: separate counters", []take{
			{now, []chelseru.Limit{minute("a", 1), hour("a", 3)}, 0},
			{now, []chelseru.Limit{hour("a", 3)}, 0},
			{now, []chelseru.Limit{minute("a", 1)}, 49500 * time.Millisecond},
		}},
		{"a limit named twice takes two units", []take{
			{now, []chelseru.Limit{minute("a", 3), minute("a", 3)}, 0},
			{now, []chelseru.Limit{minute("a", 3), minute("a", 3)}, 49500 * time.Millisecond},
			{now, []chelseru.Limit{minute("a", 3)}, 0},
		}},
		{"max 0 always refuses", []take{
			{now, []chelseru.Limit{minute("a", 0)}, 49500 * time.Millisecond},
		}},
		{"no limits", []take{{now, nil, 0}}},
		{"keys with slashes do not collide", []take{
			{now, []chelseru.Limit{minute("a/b", 1)}, 0},
			{now, []chelseru.Limit{minute("a", 1)}, 0},
			{now, []chelseru.Limit{minute("a/b", 1)}, 49500 * time.Millisecond},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t, Options{})
			for i, tk := range tt.takes {
				got, err := db.Take(ctx, tk.at, tk.limits...)
				wantErr(t, err, nil)
				if got != tk.want {
					t.Fatalf("take %d: retryAfter = %v, want %v", i, got, tk.want)
				}
			}
		})
	}
}

func TestTakeInvalid(t *testing.T) {
	db := openTest(t, Options{})
	tests := []struct {
		name   string
		limits []chelseru.Limit
	}{
		{"empty key", []chelseru.Limit{{Key: "", Max: 1, Window: time.Minute}}},
		{"key too long", []chelseru.Limit{{Key: string(make([]byte, maxLimitKeyLen+1)), Max: 1, Window: time.Minute}}},
		{"zero window", []chelseru.Limit{{Key: "a", Max: 1}}},
		{"sub-millisecond window", []chelseru.Limit{{Key: "a", Max: 1, Window: time.Microsecond}}},
		{"too many limits", make([]chelseru.Limit, maxLimitsPerTake+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.Take(ctx, time.Now(), tt.limits...); err == nil {
				t.Error("err = nil, want an error")
			}
		})
	}
}

func TestTakeWindowTTL(t *testing.T) {
	db := openTest(t, Options{})
	now := time.Now()
	_, err := db.Take(ctx, now, chelseru.Limit{Key: "a", Max: 5, Window: time.Hour})
	wantErr(t, err, nil)
	start := now.Truncate(time.Hour) // the Unix epoch is hour-aligned
	end := start.Add(time.Hour).Unix()
	if ok, _ := rawGet(t, db, rateLimitKey("a", time.Hour, start)); ok {
		t.Error("the count reached Badger before a flush: it should be held in memory")
	}
	wantErr(t, db.Flush(ctx), nil)
	ok, exp := rawGet(t, db, rateLimitKey("a", time.Hour, start))
	if !ok || int64(exp) < end || int64(exp) > end+1 {
		t.Errorf("window key exists=%v ExpiresAt=%d, want %d", ok, exp, end)
	}
}

func TestTakeCallerClockInThePast(t *testing.T) {
	db := openTest(t, Options{})
	past := time.Now().Add(-24 * time.Hour)
	l := chelseru.Limit{Key: "a", Max: 1, Window: time.Minute}
	wait, err := db.Take(ctx, past, l)
	wantErr(t, err, nil)
	if wait != 0 {
		t.Fatalf("first take: wait %v", wait)
	}
	wait, err = db.Take(ctx, past, l)
	wantErr(t, err, nil)
	if wait <= 0 {
		t.Error("second take in the same (past) window was admitted")
	}
}

func TestTakeConcurrent(t *testing.T) {
	const goroutines, max = 50, 10
	db := openTest(t, Options{})
	now := time.Now()
	limits := []chelseru.Limit{
		{Key: "ip:203.0.113.7", Max: max, Window: time.Hour},
		{Key: "mobile:" + mobile, Max: 2 * max, Window: time.Hour},
	}
	res := runConcurrent(t, goroutines, func() (bool, error) {
		wait, err := db.Take(ctx, now, limits...)
		return wait == 0, err
	})
	if res[true] != max || res[false] != goroutines-max {
		t.Errorf("admitted %d of %d, want exactly %d", res[true], goroutines, max)
	}
	// All or none: the mobile limit was charged only for admitted takes.
	res = runConcurrent(t, goroutines, func() (bool, error) {
		wait, err := db.Take(ctx, now, limits[1])
		return wait == 0, err
	})
	if res[true] != max {
		t.Errorf("mobile limit admitted %d more, want %d", res[true], max)
	}
}

// TestTakeSurvivesRestart: counts held in memory are written on Close and
// read back after reopening, so a restart does not reset the limits.
func TestTakeSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	l := chelseru.Limit{Key: "ip:198.51.100.1", Max: 3, Window: time.Hour}
	db, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler), GCInterval: -1})
	wantErr(t, err, nil)
	for i := 0; i < 2; i++ {
		wait, err := db.Take(ctx, now, l)
		wantErr(t, err, nil)
		if wait != 0 {
			t.Fatalf("take %d refused", i+1)
		}
	}
	wantErr(t, db.Close(), nil)
	db, err = Open(dir, Options{Logger: slog.New(slog.DiscardHandler), GCInterval: -1})
	wantErr(t, err, nil)
	defer db.Close()
	<-db.counters.stored.scanned // the window found at start-up is known to the filter
	if wait, err := db.Take(ctx, now, l); err != nil || wait != 0 {
		t.Fatalf("third take after restart: wait %v, err %v; want admitted", wait, err)
	}
	if wait, err := db.Take(ctx, now, l); err != nil || wait <= 0 {
		t.Fatalf("fourth take after restart: wait %v, err %v; want refused (the count survived)", wait, err)
	}
}

// TestTakeCacheBound: with a cache of two windows, counting in many windows
// keeps at most a bounded number in memory and loses no count.
func TestTakeCacheBound(t *testing.T) {
	db := openTest(t, Options{MaxCachedCounters: 2})
	<-db.counters.stored.scanned // evicted windows are then found through the filter
	now := time.Now()
	for round := 0; round < 3; round++ {
		for k := 0; k < 10; k++ {
			l := chelseru.Limit{Key: fmt.Sprintf("k%d", k), Max: 3, Window: time.Hour}
			if wait, err := db.Take(ctx, now, l); err != nil || wait != 0 {
				t.Fatalf("round %d key %d: wait %v err %v; want admitted", round, k, wait, err)
			}
		}
	}
	for k := 0; k < 10; k++ {
		l := chelseru.Limit{Key: fmt.Sprintf("k%d", k), Max: 3, Window: time.Hour}
		if wait, err := db.Take(ctx, now, l); err != nil || wait <= 0 {
			t.Fatalf("key %d: a fourth take was admitted (a count was lost on eviction)", k)
		}
	}
	db.counters.mu.Lock()
	n := len(db.counters.m)
	db.counters.mu.Unlock()
	if n > 11 {
		t.Errorf("%d windows cached, want the cache bounded", n)
	}
}

// TestPresence: the filter answers "absent" only for keys it has never
// seen, keeps a key for at least presencePeriod, stops answering once a key
// may outlive it, and answers nothing before the start-up scan.
func TestPresence(t *testing.T) {
	now := time.Now()
	soon := now.Add(time.Minute)
	p := newPresence(func() time.Time { return now })
	if p.absent("rl/a", now) {
		t.Fatal("absent before the start-up scan")
	}
	p.ready = true
	if !p.absent("rl/a", now) {
		t.Fatal("an unseen key is not absent")
	}
	p.add("rl/a", soon, now)
	if p.absent("rl/a", now) {
		t.Fatal("an added key is absent")
	}
	later := now.Add(presencePeriod + time.Minute) // one rotation: still known
	if p.absent("rl/a", later) {
		t.Fatal("forgotten after one rotation")
	}
	if !p.absent("rl/a", later.Add(presencePeriod+time.Minute)) {
		t.Fatal("still known after two rotations")
	}
	misses := 0
	for i := 0; i < 10000; i++ {
		p.add(fmt.Sprintf("rl/key-%d", i), soon, now)
	}
	for i := 0; i < 10000; i++ {
		if !p.absent(fmt.Sprintf("rl/other-%d", i), now) {
			misses++
		}
	}
	if misses > 10 {
		t.Errorf("%d false positives in 10000", misses)
	}
	p.add("rl/hourly", now.Add(time.Hour), now) // an hourly window just begun
	if !p.absent("rl/b", now) {
		t.Fatal("an hour-long key turned the filter off")
	}
	p.add("rl/long", now.Add(presencePeriod), now) // a key that outlives the filter
	if p.absent("rl/b", now) {
		t.Fatal("a key longer-lived than the filter was answered for")
	}
}

// TestTakeSkipsReadForNewWindows: after the start-up scan, a window never
// stored is counted from zero without a Badger read, and a stored one is
// still read.
func TestTakeSkipsReadForNewWindows(t *testing.T) {
	db := openTest(t, Options{})
	<-db.counters.stored.scanned
	now := time.Now()
	ws, err := windows(now, []chelseru.Limit{{Key: "new", Max: 1, Window: time.Hour}})
	wantErr(t, err, nil)
	if !db.counters.stored.absent(string(ws[0].key), now) {
		t.Fatal("a window never stored is not known to be absent")
	}
	found, err := db.counters.load(ws, nil)
	wantErr(t, err, nil)
	if len(found) != 0 {
		t.Fatalf("load found %v for a new window", found)
	}
}

// TestTakeAfterEviction: a window cached when Take looked for stored counts
// and evicted before it counted (a full cache's flush by another caller) is
// read back from Badger, not counted from zero.
func TestTakeAfterEviction(t *testing.T) {
	db := openTest(t, Options{})
	ctx := context.Background()
	now := time.Now()
	lim := chelseru.Limit{Key: "evicted", Max: 2, Window: time.Hour}
	wait, err := db.Take(ctx, now, lim)
	wantErr(t, err, nil)
	if wait != 0 {
		t.Fatalf("first take waits %v", wait)
	}
	ws, err := windows(now, []chelseru.Limit{lim})
	wantErr(t, err, nil)
	stored, err := db.counters.load(ws, nil) // cached: nothing to load
	wantErr(t, err, nil)
	wantErr(t, db.counters.flush(true), nil) // written
	wantErr(t, db.counters.flush(true), nil) // clean now: evicted
	db.counters.mu.Lock()
	ok := db.counters.attach(now, ws, stored)
	db.counters.mu.Unlock()
	if ok {
		t.Fatal("attach counted an evicted window it had not loaded")
	}
	// Take as a whole: the stored count (1) plus this one reaches Max.
	wait, err = db.Take(ctx, now, lim)
	wantErr(t, err, nil)
	if wait != 0 {
		t.Fatalf("second take waits %v", wait)
	}
	wait, err = db.Take(ctx, now, lim)
	wantErr(t, err, nil)
	if wait == 0 {
		t.Fatal("third take of a limit of 2 was admitted: the evicted count was lost")
	}
}
