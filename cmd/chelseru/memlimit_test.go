package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneMemory: serve sets a soft memory limit unless GOMEMLIMIT is set.
func TestTuneMemory(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))

	want := memoryLimit(2, 32<<20)
	if want != 128<<20+2*2*(40<<20) {
		t.Fatalf("memoryLimit(2, 32 MiB) = %d", want)
	}
	t.Setenv("GOMEMLIMIT", "")
	debug.SetMemoryLimit(math.MaxInt64)
	tuneMemory(want)
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Errorf("GOMEMLIMIT unset: limit %d, want %d", got, want)
	}

	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(1 << 30)
	tuneMemory(want)
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("GOMEMLIMIT=1GiB: limit %d, want it left at %d", got, 1<<30)
	}
}
