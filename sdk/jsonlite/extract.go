package jsonlite

import (
	"math/bits"
	"unsafe"
)

// MaxPaths is the most paths one Extract call looks for.
const MaxPaths = 64

// extract is Extract in Go, wherever it runs.
func extract(doc []byte, paths [][]string, found []Value) (Value, error) {
	if len(paths) > MaxPaths || len(found) < len(paths) {
		return Value{}, &SyntaxError{Msg: "Extract needs at most 64 paths and a found slice as long as paths"}
	}
	for k := range paths {
		found[k] = Value{}
	}
	x := extractor{paths: paths, found: found}
	var mask uint64
	for k, p := range paths {
		if len(p) > 0 {
			mask |= 1 << k
		}
	}
	d := NewDecoder(doc)
	d.Look()
	start := d.pos
	x.walk(&d, 0, mask)
	end := d.pos
	if err := d.End(); err != nil {
		for k := range paths {
			found[k] = Value{}
		}
		return Value{}, err
	}
	root := Value{raw: doc[start:end]}
	for k, p := range paths {
		if len(p) == 0 {
			found[k] = root
		}
	}
	return root, nil
}

// ExtractString is Extract over a string, without copying it: the values
// found share the string's memory (they never modify it).
func ExtractString(doc string, paths [][]string, found []Value) (Value, error) {
	return Extract(unsafe.Slice(unsafe.StringData(doc), len(doc)), paths, found)
}

// ParseString is Parse over a string, without copying it: the values share
// the string's memory (they never modify it).
func ParseString(doc string) (Value, error) {
	return Parse(unsafe.Slice(unsafe.StringData(doc), len(doc)))
}

// extractor carries Extract's paths through validation. A mask bit k set
// for a value means paths[k] leads to or into that value.
type extractor struct {
	paths [][]string
	found []Value
}

// walk reads the value at d with Decoder, recording in x.found the values
// of the paths of mask (which lead to or into it); pos is the position in
// those paths of this value's keys or indexes.
func (x *extractor) walk(d *Decoder, pos int, mask uint64) {
	if mask == 0 {
		d.Skip()
		return
	}
	switch d.Look() {
	case '{':
		if !d.Open('{') {
			return
		}
		for n := 0; d.More('}', n); n++ {
			key := d.Key()
			child := x.matchKey(mask, pos, key)
			x.member(d, pos, child)
		}
	case '[':
		if !d.Open('[') {
			return
		}
		for n := 0; d.More(']', n); n++ {
			x.member(d, pos, x.matchIndex(mask, pos, n))
		}
	default:
		d.Skip()
	}
}

// member reads a member or element whose key or index matched the paths
// of mask, and captures it for those that end there. What an earlier
// member of the same key found for them is dropped first: the last
// duplicate wins, also when it does not hold the rest of a path.
func (x *extractor) member(d *Decoder, pos int, mask uint64) {
	for m := mask; m != 0; m &= m - 1 {
		x.found[bits.TrailingZeros64(m)] = Value{}
	}
	d.Look()
	start := d.pos
	x.walk(d, pos+1, mask)
	if mask != 0 && d.err == nil {
		x.capture(mask, pos, Value{raw: d.data[start:d.pos:d.pos]})
	}
}

// matchKey returns the paths of mask whose element at pos is key.
func (x *extractor) matchKey(mask uint64, pos int, key []byte) uint64 {
	var out uint64
	for m := mask; m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		if p := x.paths[k]; pos < len(p) && string(key) == p[pos] {
			out |= 1 << k
		}
	}
	return out
}

// matchIndex returns the paths of mask whose element at pos is the index n.
func (x *extractor) matchIndex(mask uint64, pos, n int) uint64 {
	var out uint64
	for m := mask; m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		if p := x.paths[k]; pos < len(p) {
			if idx, ok := parseIndex(p[pos]); ok && idx == n {
				out |= 1 << k
			}
		}
	}
	return out
}

// capture records v for the paths of mask that end at pos.
func (x *extractor) capture(mask uint64, pos int, v Value) {
	for m := mask; m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		if len(x.paths[k]) == pos+1 {
			x.found[k] = v
		}
	}
}

// StringIn returns what v.String() returns, as a substring of doc when v
// was found in doc by ExtractString or ParseString and holds no escapes:
// doc is an immutable string, so sharing its memory is safe, and the copy
// String makes (an allocation, in a wasm guest ~150 ns) is saved.
func StringIn(doc string, v Value) string {
	if len(v.raw) == 0 || len(doc) == 0 {
		return v.String()
	}
	off := int(uintptr(unsafe.Pointer(unsafe.SliceData(v.raw))) - uintptr(unsafe.Pointer(unsafe.StringData(doc))))
	if off < 0 || off+len(v.raw) > len(doc) {
		return v.String()
	}
	if v.Kind() != String {
		return doc[off : off+len(v.raw)]
	}
	if indexByte(v.raw[1:len(v.raw)-1], '\\') >= 0 {
		return v.String()
	}
	return doc[off+1 : off+len(v.raw)-1]
}
