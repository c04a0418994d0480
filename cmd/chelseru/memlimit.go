package main

import (
	"os"
	"runtime/debug"
)

// Terms of the soft memory limit serve sets unless GOMEMLIMIT is set
// (docs/RATIONALE.md § Plugin host bounds). With GOGC=400 the heap may
// otherwise grow to five times the live heap, and plugin instances that grow
// their memory and trap leave that much garbage behind (issue 9: 1.4 GB RSS
// after 150 such sends).
const (
	// memoryLimitBase covers the server without plugins: Badger's caches,
	// buffers, the HTTP server (its live heap is tens of MiB).
	memoryLimitBase = 128 << 20
	// memoryLimitStack is the host stack one plugin call may use at the
	// call-depth cap (a few MiB, doubled as wazero grows it by copying).
	memoryLimitStack = 8 << 20
)

// memoryLimit is the default soft limit for a plugin pool of pool instances
// of capBytes linear memory each: the base, plus twice the pool's worst
// live memory, so the collector has room to work before the limit bites.
func memoryLimit(pool int, capBytes int64) int64 {
	return memoryLimitBase + 2*int64(pool)*(capBytes+memoryLimitStack)
}

// tuneMemory applies limit unless the operator set GOMEMLIMIT.
func tuneMemory(limit int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}
