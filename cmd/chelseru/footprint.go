package main

import "runtime/debug"

// releaseStartupMemory collects the start-up garbage (the plugin module's
// bytes and decoding, Badger's replay, the config) and hands the freed pages
// back to the OS before the server starts serving. With GOGC=400 the next
// collection would otherwise wait until the heap is five times the live one,
// and an idle server would keep that garbage resident: this keeps idle RSS
// near the live heap. It costs one collection, once.
func releaseStartupMemory() { debug.FreeOSMemory() }
