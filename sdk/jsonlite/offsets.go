package jsonlite

import (
	"encoding/binary"
	"errors"
	"unsafe"
)

// The wire of the host function json_extract (docs/plugin-abi.md § 6),
// shared by the guest (extract_wasip1.go) and the host (pluginhost): the
// paths travel as one byte string, the values found come back as offsets.
//
// Paths: a byte with the number of paths (at most MaxPaths); per path a byte
// with its number of elements; per element a little-endian uint16 length and
// the element's bytes.
//
// Offsets: one (offset, length) pair of uint32 for the root and then one per
// path, in the document's bytes; length 0 means not found.

// Limits of the paths encoding.
const (
	maxPathElems   = 255
	maxPathElemLen = 1<<16 - 1
)

// AppendPaths appends the encoding of paths to dst; it fails when paths are
// over the encoding's limits (MaxPaths paths, 255 elements, 65535-byte
// elements).
func AppendPaths(dst []byte, paths [][]string) ([]byte, error) {
	if len(paths) > MaxPaths {
		return dst, errors.New("jsonlite: more than 64 paths")
	}
	dst = append(dst, byte(len(paths)))
	for _, p := range paths {
		if len(p) > maxPathElems {
			return dst, errors.New("jsonlite: a path with more than 255 elements")
		}
		dst = append(dst, byte(len(p)))
		for _, e := range p {
			if len(e) > maxPathElemLen {
				return dst, errors.New("jsonlite: a path element over 65535 bytes")
			}
			dst = binary.LittleEndian.AppendUint16(dst, uint16(len(e)))
			dst = append(dst, e...)
		}
	}
	return dst, nil
}

// DecodePaths decodes what AppendPaths wrote. It never panics.
func DecodePaths(b []byte) ([][]string, error) {
	bad := errors.New("jsonlite: malformed paths encoding")
	if len(b) == 0 || int(b[0]) > MaxPaths {
		return nil, bad
	}
	n := int(b[0])
	b = b[1:]
	paths := make([][]string, n)
	for i := range paths {
		if len(b) == 0 {
			return nil, bad
		}
		elems := int(b[0])
		b = b[1:]
		p := make([]string, elems)
		for j := range p {
			if len(b) < 2 {
				return nil, bad
			}
			l := int(binary.LittleEndian.Uint16(b))
			if len(b) < 2+l {
				return nil, bad
			}
			p[j] = string(b[2 : 2+l])
			b = b[2+l:]
		}
		paths[i] = p
	}
	if len(b) != 0 {
		return nil, bad
	}
	return paths, nil
}

// ExtractOffsets runs Extract over doc and writes into out the (offset,
// length) pairs of the root and of each path's value; out must hold
// 2*(len(paths)+1) entries. On a syntax error out is left zero.
func ExtractOffsets(doc []byte, paths [][]string, out []uint32) error {
	if len(out) < 2*(len(paths)+1) {
		return errors.New("jsonlite: ExtractOffsets needs 2 entries per path and 2 for the root")
	}
	var buf [MaxPaths]Value
	root, err := extract(doc, paths, buf[:len(paths)])
	clear(out[:2*(len(paths)+1)])
	if err != nil {
		return err
	}
	put := func(i int, v Value) {
		if len(v.raw) == 0 {
			return
		}
		out[2*i] = uint32(offsetIn(doc, v.raw))
		out[2*i+1] = uint32(len(v.raw))
	}
	put(0, root)
	for k := range paths {
		put(k+1, buf[k])
	}
	return nil
}

// offsetIn is where sub, a subslice of doc, begins in doc.
func offsetIn(doc, sub []byte) int {
	return int(uintptr(unsafe.Pointer(unsafe.SliceData(sub))) - uintptr(unsafe.Pointer(unsafe.SliceData(doc))))
}
