package interrupt

import "fmt"

// maxFunctionLocals bounds the locals one function may declare (V8 uses the same limit). wazero
// reserves memory for the declared total before it reads the body, so without a bound a few bytes
// could make it allocate gigabytes.
const maxFunctionLocals = 50_000

// checkSection walks a section Instrument does not otherwise parse and checks that every vector
// count and byte length fits in the bytes that remain. wazero's decoder sizes its allocations from
// these counts before reading the entries, so a 20-byte module claiming 100 million tables would
// otherwise make CompileModule allocate gigabytes; Instrument refuses such a module instead.
func checkSection(id byte, body []byte) error {
	r := reader{b: body}
	var err error
	switch id {
	case secCustom:
		name, err := r.name()
		if err != nil {
			return err
		}
		if string(name) == "name" {
			return checkNameSection(&r)
		}
		return nil
	case 1: // type
		err = forEach(&r, func() error {
			form, err := r.byte1()
			if err != nil {
				return err
			}
			if form != 0x60 {
				return fmt.Errorf("%w: type form 0x%02X (GC types)", ErrUnsupported, form)
			}
			if err := skipValTypes(&r); err != nil {
				return err
			}
			return skipValTypes(&r)
		})
	case 3: // function
		err = forEach(&r, func() error { return skipU32s(&r, 1) })
	case 4: // table
		err = forEach(&r, func() error {
			if err := skipRefType(&r); err != nil {
				return err
			}
			return skipLimits(&r)
		})
	case secMemory:
		err = forEach(&r, func() error { return skipLimits(&r) })
	case 8, 12: // start, data count
		err = skipU32s(&r, 1)
	case 9: // element
		err = forEach(&r, func() error { return skipElement(&r) })
	case 11: // data
		err = forEach(&r, func() error { return skipData(&r) })
	case maxSectionID: // tag
		err = forEach(&r, func() error {
			if _, err := r.byte1(); err != nil {
				return err
			}
			return skipU32s(&r, 1)
		})
	default:
		return nil // parsed elsewhere
	}
	if err != nil {
		return err
	}
	if r.remaining() != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrMalformed, r.remaining())
	}
	return nil
}

// forEach reads a vector count, checks it against the bytes left (every entry takes at least one
// byte), and calls entry that many times.
func forEach(r *reader, entry func() error) error {
	n, err := vecLen(r)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if err := entry(); err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
	}
	return nil
}

// vecLen reads a vector count and checks that many one-byte entries could fit in what is left.
func vecLen(r *reader) (uint32, error) {
	at := r.pos
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if int64(n) > int64(r.remaining()) {
		return 0, fmt.Errorf("%w: vector of %d entries at offset %d has only %d bytes", ErrMalformed, n, at, r.remaining())
	}
	return n, nil
}

// skipValTypes skips a vector of value types.
func skipValTypes(r *reader) error {
	return forEach(r, func() error {
		c, err := r.byte1()
		if err != nil {
			return err
		}
		if !isValType(c) {
			return fmt.Errorf("%w: value type 0x%02X", ErrUnsupported, c)
		}
		return nil
	})
}

// skipElement skips one element segment in any of its eight encodings.
func skipElement(r *reader) error {
	flags, err := r.u32()
	if err != nil {
		return err
	}
	if flags > 7 {
		return fmt.Errorf("%w: element segment flags %d", ErrMalformed, flags)
	}
	if flags&0b011 == 0b010 { // active with an explicit table index
		if err := skipU32s(r, 1); err != nil {
			return err
		}
	}
	if flags&0b001 == 0 { // active: offset expression
		if err := skipConstExpr(r); err != nil {
			return err
		}
	}
	if flags&0b011 != 0 { // element kind (0x00 = funcref) or reference type
		if _, err := r.byte1(); err != nil {
			return err
		}
	}
	if flags&0b100 == 0 {
		return forEach(r, func() error { return skipU32s(r, 1) })
	}
	return forEach(r, func() error { return skipConstExpr(r) })
}

// skipData skips one data segment.
func skipData(r *reader) error {
	flags, err := r.u32()
	if err != nil {
		return err
	}
	switch flags {
	case 0:
		err = skipConstExpr(r)
	case 1:
	case 2:
		if err = skipU32s(r, 1); err == nil {
			err = skipConstExpr(r)
		}
	default:
		return fmt.Errorf("%w: data segment flags %d", ErrMalformed, flags)
	}
	if err != nil {
		return err
	}
	_, err = r.name() // vec(byte), bounded like a name
	return err
}

// checkNameSection checks the subsections wazero decodes: module name (0), function names (1) and
// local names (2).
func checkNameSection(r *reader) error {
	for r.remaining() > 0 {
		id, _ := r.byte1()
		size, err := r.u32()
		if err != nil {
			return fmt.Errorf("name subsection %d: %w", id, err)
		}
		body, err := r.bytesN(int(size))
		if err != nil {
			return fmt.Errorf("name subsection %d: %w", id, err)
		}
		sr := reader{b: body}
		nameMap := func() error {
			return forEach(&sr, func() error {
				if err := skipU32s(&sr, 1); err != nil {
					return err
				}
				_, err := sr.name()
				return err
			})
		}
		switch id {
		case 0:
			_, err = sr.name()
		case 1:
			err = nameMap()
		case 2:
			err = forEach(&sr, func() error {
				if err := skipU32s(&sr, 1); err != nil {
					return err
				}
				return nameMap()
			})
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("name subsection %d: %w", id, err)
		}
		if sr.remaining() != 0 {
			return fmt.Errorf("%w: name subsection %d has %d trailing bytes", ErrMalformed, id, sr.remaining())
		}
	}
	return nil
}
