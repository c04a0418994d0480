package interrupt

import (
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by the error Instrument returns for bytes that are not a well-formed
// WebAssembly binary module.
var ErrMalformed = errors.New("malformed wasm module")

// reader is a bounds-checked cursor over untrusted bytes. Every method reports an error instead of
// panicking, whatever the input.
type reader struct {
	b   []byte
	pos int
}

// remaining reports how many bytes are left.
func (r *reader) remaining() int { return len(r.b) - r.pos }

// byte1 reads one byte.
func (r *reader) byte1() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, fmt.Errorf("%w: unexpected end at offset %d", ErrMalformed, r.pos)
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

// bytesN reads n bytes, returning a sub-slice of the input.
func (r *reader) bytesN(n int) ([]byte, error) {
	if n < 0 || n > r.remaining() {
		return nil, fmt.Errorf("%w: %d bytes needed at offset %d, %d left", ErrMalformed, n, r.pos, r.remaining())
	}
	s := r.b[r.pos : r.pos+n]
	r.pos += n
	return s, nil
}

// skip advances over n bytes.
func (r *reader) skip(n int) error {
	_, err := r.bytesN(n)
	return err
}

// u32 reads an unsigned LEB128 of at most 32 bits. Padded encodings are accepted, as the spec
// allows, but at most 5 bytes, and the unused bits of the fifth byte must be zero.
func (r *reader) u32() (uint32, error) {
	start := r.pos
	var v uint32
	for i := 0; i < 5; i++ {
		c, err := r.byte1()
		if err != nil {
			return 0, err
		}
		if i == 4 && c&0xF0 != 0 {
			return 0, fmt.Errorf("%w: u32 LEB128 overflows at offset %d", ErrMalformed, start)
		}
		v |= uint32(c&0x7F) << (7 * i)
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, fmt.Errorf("%w: u32 LEB128 longer than 5 bytes at offset %d", ErrMalformed, start)
}

// signed validates a signed LEB128 of the given bit width (32, 33 or 64) and returns its value.
// The unused bits of the last permitted byte must be a sign extension, as the spec requires.
func (r *reader) signed(bits int) (int64, error) {
	start := r.pos
	maxBytes := (bits + 6) / 7
	var v int64
	shift := 0
	for i := 0; i < maxBytes; i++ {
		c, err := r.byte1()
		if err != nil {
			return 0, err
		}
		if i == maxBytes-1 {
			if c&0x80 != 0 {
				return 0, fmt.Errorf("%w: s%d LEB128 longer than %d bytes at offset %d", ErrMalformed, bits, maxBytes, start)
			}
			// Bits of this byte at positions >= used are beyond the width: they must all equal the
			// sign bit (the highest used bit).
			used := bits - 7*i // 1..7
			if used < 7 {
				sign := (c >> (used - 1)) & 1
				mask := byte(0x7F) &^ (byte(1)<<used - 1)
				if (sign == 1 && c&mask != mask) || (sign == 0 && c&mask != 0) {
					return 0, fmt.Errorf("%w: s%d LEB128 overflows at offset %d", ErrMalformed, bits, start)
				}
			}
		}
		v |= int64(c&0x7F) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, nil
		}
	}
	// Unreachable: the last byte either ends the number or is rejected above.
	return 0, fmt.Errorf("%w: s%d LEB128 unterminated at offset %d", ErrMalformed, bits, start)
}

// name reads a length-prefixed byte string (a wasm name; UTF-8 validity is left to the engine).
func (r *reader) name() ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	return r.bytesN(int(n))
}

// appendU32 appends v as a minimal unsigned LEB128.
func appendU32(dst []byte, v uint32) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// appendS32 appends v as a minimal signed LEB128.
func appendS32(dst []byte, v int32) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}
