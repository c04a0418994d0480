package pluginhost

import (
	"testing"
	"time"
)

// TestLatencyBuckets checks that durations land in the first bucket whose
// upper bound they do not exceed, and past the last one in +Inf.
func TestLatencyBuckets(t *testing.T) {
	var l latency
	for _, d := range []time.Duration{
		time.Millisecond, 25 * time.Millisecond, // <= 0.025
		26 * time.Millisecond,  // <= 0.05
		700 * time.Millisecond, // <= 1
		10 * time.Second,       // <= 10
		11 * time.Second,       // +Inf
	} {
		l.observe(d)
	}
	got := l.snapshot()
	want := []int64{2, 1, 0, 0, 0, 1, 0, 0, 1, 1}
	if len(got) != len(want) {
		t.Fatalf("%d buckets, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("bucket %d: %d, want %d (all %v)", i, got[i], want[i], got)
		}
	}
}
