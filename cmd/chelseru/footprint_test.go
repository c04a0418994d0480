package main

import (
	"testing"
	"time"
)

// TestIdleTrim walks idleTrim through a day in the life of a server: a
// burst, quiet, a busy spell without SMS, SMS again.
func TestIdleTrim(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tr := newIdleTrim(t0, 30*time.Second, 0, 0)
	steps := []struct {
		name             string
		at               time.Duration
		activity, sends  uint64
		wantClose, wantR bool
	}{
		{"busy", 250 * time.Millisecond, 100, 1, false, false},
		{"still busy", 500 * time.Millisecond, 200, 1, false, false},
		{"quiet, not yet long enough", 1400 * time.Millisecond, 200, 1, false, false},
		{"quiet for a second: release once", 1500 * time.Millisecond, 200, 1, false, true},
		{"still quiet: nothing more", 3 * time.Second, 200, 1, false, false},
		{"busy again (chat, no SMS)", 4 * time.Second, 900, 1, false, false},
		{"busy past the SMS idle timeout: close the instances, no release while busy", 31 * time.Second, 5000, 1, true, false},
		{"still busy", 32 * time.Second, 6000, 1, false, false},
		{"quiet: the release that frees the instances' memory", 33 * time.Second, 6000, 1, false, true},
		{"quiet and idle: nothing more", 90 * time.Second, 6000, 1, false, false},
		{"an SMS send", 91 * time.Second, 6001, 2, false, false},
		{"quiet again", 92500 * time.Millisecond, 6001, 2, false, true},
		{"idle past the timeout while quiet: close, then release", 121 * time.Second, 6001, 2, true, true},
	}
	for _, s := range steps {
		c, r := tr.step(at(s.at), s.activity, s.sends)
		if c != s.wantClose || r != s.wantR {
			t.Fatalf("%s (t=%s): close=%v release=%v, want %v %v", s.name, s.at, c, r, s.wantClose, s.wantR)
		}
	}

	off := newIdleTrim(t0, 0, 0, 0) // SMS.PLUGIN_IDLE_TIMEOUT: 0 keeps the instances
	if c, _ := off.step(at(48*time.Hour), 0, 0); c {
		t.Fatal("idle timeout 0 closed the instances")
	}
}
