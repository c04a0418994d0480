//go:build wasip1

package main

import "unsafe"

// counterPtr returns the address of counter in linear memory.
func counterPtr() unsafe.Pointer { return unsafe.Pointer(&counter) }
