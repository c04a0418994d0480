//go:build wasip1

package jsonlite

import (
	"strings"
	"unsafe"
)

// In a wasm guest a byte of JSON costs several nanoseconds, ten times what
// it costs natively, and the answers plugins read are mostly text to be
// validated. So Extract hands the pass to the host (chelseru.json_extract,
// docs/plugin-abi.md § 6), which reads the document in the guest's memory
// in place and writes back where each value is. The Values it returns
// are the same as extract's; on a syntax error, or a host that refuses the
// call, Extract runs extract itself, so errors are identical too.

//go:wasmimport chelseru json_extract
//go:noescape
func hostJSONExtract(doc unsafe.Pointer, docLen uint32, paths unsafe.Pointer, pathsLen uint32, out unsafe.Pointer, outLen uint32) int32

// The encoding of the last paths, and copies of the strings it was made
// from: a plugin passes the same package-level paths on every call, and
// comparing a few short strings is cheaper than encoding again. The strings
// are compared by content, never by address: a path element may be a view
// of a buffer the SDK reuses (a response's state, say), whose bytes change
// while its address and length stay. (A plugin runs one call at a time.)
var (
	pathsBuf   []byte
	pathsElems []string // copies of every element of the encoded paths, in order
	pathsLens  []int    // the number of elements of each path
)

// encodedPaths returns the encoding of paths, reusing the last one when
// paths holds strings with the same contents.
func encodedPaths(paths [][]string) ([]byte, error) {
	if len(paths) == len(pathsLens) && pathsBuf != nil {
		same, k := true, 0
		for i, p := range paths {
			if len(p) != pathsLens[i] {
				same = false
				break
			}
			for _, e := range p {
				c := pathsElems[k]
				k++
				if e != c {
					same = false
					break
				}
			}
			if !same {
				break
			}
		}
		if same {
			return pathsBuf, nil
		}
	}
	enc, err := AppendPaths(pathsBuf[:0], paths)
	if err != nil {
		pathsBuf = nil
		return nil, err
	}
	pathsBuf = enc
	pathsElems, pathsLens = pathsElems[:0], pathsLens[:0]
	for _, p := range paths {
		pathsLens = append(pathsLens, len(p))
		for _, e := range p {
			pathsElems = append(pathsElems, strings.Clone(e))
		}
	}
	return enc, nil
}

// Extract validates doc exactly as Parse does and, in the same single pass,
// finds the value at each of paths (object keys and decimal array indexes,
// as in Get): found[i] receives the value at paths[i], or the zero Value
// when there is none; when an object repeats a key the last one wins. It
// returns the document's root value. At most MaxPaths paths; found must be
// at least as long as paths. Here, in a wasm guest, the pass runs in the
// host.
func Extract(doc []byte, paths [][]string, found []Value) (Value, error) {
	if len(doc) == 0 || len(paths) > MaxPaths || len(found) < len(paths) {
		return extract(doc, paths, found)
	}
	enc, err := encodedPaths(paths)
	if err != nil {
		return extract(doc, paths, found)
	}
	var out [2 * (MaxPaths + 1)]uint32
	n := 2 * (len(paths) + 1)
	if hostJSONExtract(unsafe.Pointer(unsafe.SliceData(doc)), uint32(len(doc)),
		unsafe.Pointer(unsafe.SliceData(enc)), uint32(len(enc)),
		unsafe.Pointer(&out[0]), uint32(n)) != 0 {
		return extract(doc, paths, found)
	}
	at := func(i int) Value {
		off, l := out[2*i], out[2*i+1]
		if l == 0 || uint64(off)+uint64(l) > uint64(len(doc)) {
			return Value{}
		}
		return Value{raw: doc[off : off+l : off+l]}
	}
	for k := range paths {
		found[k] = at(k + 1)
	}
	return at(0), nil
}
