//go:build wasip1

// Command wrongabi is a hostile plugin that does not use the SDK and claims
// ABI version 2 while exporting every function of version 1.
package main

//go:wasmexport chelseru_abi_version
func version() int32 { return 2 }

var buf [4096]byte

//go:wasmexport chelseru_alloc
func alloc(int32) uint32 { return 4096 }

//go:wasmexport chelseru_manifest
func manifest() uint64 { return 0 }

//go:wasmexport chelseru_configure
func configure(uint32, uint32) uint64 { return 0 }

//go:wasmexport chelseru_send
func send(uint32, uint32) uint64 { return 0 }

//go:wasmexport chelseru_response
func response(uint32, uint32) uint64 { return 0 }

func main() { _ = buf }
