package main

import (
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the soft memory limit serve sets unless GOMEMLIMIT
// is set: with GOGC=400 the heap may otherwise reach five times the live
// heap, and plugin instances that grow their memory and trap leave that
// much garbage behind (issue 9: 1.4 GB RSS after 150 such sends). The
// worst case it bounds is written in docs/RATIONALE.md § Plugin host memory.
const defaultMemoryLimit = 512 << 20

// tuneMemory applies defaultMemoryLimit unless the operator set GOMEMLIMIT.
func tuneMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
