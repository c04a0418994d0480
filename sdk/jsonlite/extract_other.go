//go:build !wasip1

package jsonlite

// Extract validates doc exactly as Parse does and, in the same single pass,
// finds the value at each of paths (object keys and decimal array indexes,
// as in Get): found[i] receives the value at paths[i], or the zero Value
// when there is none; when an object repeats a key the last one wins. It
// returns the document's root value.
//
// Extract reads every byte once, where Parse followed by several Get calls
// skips over the same values again for each Get: in a wasm guest, where a
// byte costs several nanoseconds, that is the difference that matters. At
// most MaxPaths paths; found must be at least as long as paths.
//
// In a chelseru plugin (GOOS=wasip1) the pass runs in the host, natively,
// through the host function json_extract (docs/plugin-abi.md § 6), with the
// same results (extract_wasip1.go); elsewhere it is extract.
func Extract(doc []byte, paths [][]string, found []Value) (Value, error) {
	return extract(doc, paths, found)
}
