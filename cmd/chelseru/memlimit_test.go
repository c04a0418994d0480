package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneMemory: serve sets a soft memory limit unless GOMEMLIMIT is set.
func TestTuneMemory(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))

	t.Setenv("GOMEMLIMIT", "")
	debug.SetMemoryLimit(math.MaxInt64)
	tuneMemory()
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Errorf("GOMEMLIMIT unset: limit %d, want %d", got, defaultMemoryLimit)
	}

	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(1 << 30)
	tuneMemory()
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("GOMEMLIMIT=1GiB: limit %d, want it left at %d", got, 1<<30)
	}
}
