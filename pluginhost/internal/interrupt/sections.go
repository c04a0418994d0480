package interrupt

import "fmt"

// importCounts counts the imports that come first in their index spaces.
type importCounts struct {
	globals, memories uint32
}

// countImports walks the import section and counts global and memory imports.
func countImports(body []byte) (importCounts, error) {
	var c importCounts
	r := reader{b: body}
	n, err := vecLen(&r)
	if err != nil {
		return c, err
	}
	for i := uint32(0); i < n; i++ {
		if r.remaining() == 0 {
			return c, fmt.Errorf("%w: import %d of %d missing", ErrMalformed, i, n)
		}
		if _, err := r.name(); err != nil {
			return c, fmt.Errorf("import %d module name: %w", i, err)
		}
		if _, err := r.name(); err != nil {
			return c, fmt.Errorf("import %d field name: %w", i, err)
		}
		kind, err := r.byte1()
		if err != nil {
			return c, err
		}
		switch kind {
		case kindFunc:
			_, err = r.u32()
		case kindTable:
			if err = skipRefType(&r); err == nil {
				err = skipLimits(&r)
			}
		case kindMemory:
			err = skipLimits(&r)
			c.memories++
		case kindGlobal:
			err = skipGlobalType(&r)
			c.globals++
		case kindTag:
			if _, err = r.byte1(); err == nil {
				_, err = r.u32()
			}
		default:
			err = fmt.Errorf("%w: import kind 0x%02X", ErrMalformed, kind)
		}
		if err != nil {
			return c, fmt.Errorf("import %d: %w", i, err)
		}
	}
	if r.remaining() != 0 {
		return c, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, r.remaining())
	}
	return c, nil
}

// readGlobals checks every entry of the global section and returns their count and the bytes after
// the count, to which the new global is appended.
func readGlobals(body []byte) (uint32, []byte, error) {
	r := reader{b: body}
	n, err := vecLen(&r)
	if err != nil {
		return 0, nil, err
	}
	entries := r.pos
	for i := uint32(0); i < n; i++ {
		if r.remaining() == 0 {
			return 0, nil, fmt.Errorf("%w: global %d of %d missing", ErrMalformed, i, n)
		}
		if err := skipGlobalType(&r); err != nil {
			return 0, nil, fmt.Errorf("global %d: %w", i, err)
		}
		if err := skipConstExpr(&r); err != nil {
			return 0, nil, fmt.Errorf("global %d initialiser: %w", i, err)
		}
	}
	if r.remaining() != 0 {
		return 0, nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, r.remaining())
	}
	// Copy so that appending never writes into the caller's module.
	return n, append([]byte(nil), body[entries:]...), nil
}

// readExports checks every entry of the export section, refuses an existing export named
// GlobalName, and returns the count and the bytes after the count.
func readExports(body []byte) (uint32, []byte, error) {
	r := reader{b: body}
	n, err := vecLen(&r)
	if err != nil {
		return 0, nil, err
	}
	entries := r.pos
	for i := uint32(0); i < n; i++ {
		if r.remaining() == 0 {
			return 0, nil, fmt.Errorf("%w: export %d of %d missing", ErrMalformed, i, n)
		}
		name, err := r.name()
		if err != nil {
			return 0, nil, fmt.Errorf("export %d name: %w", i, err)
		}
		if string(name) == GlobalName {
			return 0, nil, fmt.Errorf("export %d: %w", i, ErrAlreadyInstrumented)
		}
		if _, err := r.byte1(); err != nil {
			return 0, nil, fmt.Errorf("export %d kind: %w", i, err)
		}
		if _, err := r.u32(); err != nil {
			return 0, nil, fmt.Errorf("export %d index: %w", i, err)
		}
	}
	if r.remaining() != 0 {
		return 0, nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, r.remaining())
	}
	if n == ^uint32(0) {
		return 0, nil, fmt.Errorf("%w: too many exports", ErrMalformed)
	}
	return n, body[entries:], nil
}

// rewriteCode re-encodes the code section with check inserted after every loop instruction,
// recomputing every body size.
func rewriteCode(body []byte, check []byte, dc *depthCode) ([]byte, error) {
	r := reader{b: body}
	n, err := vecLen(&r)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)+len(body)/8+16)
	out = appendU32(out, n)
	var fn []byte
	for i := uint32(0); i < n; i++ {
		if r.remaining() == 0 {
			return nil, fmt.Errorf("%w: function body %d of %d missing", ErrMalformed, i, n)
		}
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("function body %d size: %w", i, err)
		}
		code, err := r.bytesN(int(size))
		if err != nil {
			return nil, fmt.Errorf("function body %d: %w", i, err)
		}
		fn, err = rewriteFunction(fn[:0], code, check, dc)
		if err != nil {
			return nil, fmt.Errorf("function body %d: %w", i, err)
		}
		if uint64(len(fn)) > uint64(^uint32(0)) {
			return nil, fmt.Errorf("%w: function body %d grows past 4 GiB", ErrUnsupported, i)
		}
		out = appendU32(out, uint32(len(fn)))
		out = append(out, fn...)
	}
	if r.remaining() != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, r.remaining())
	}
	return out, nil
}

// rewriteFunction copies the local declarations of one function body, inserts check at the entry
// when the body calls outside its loops (callsOutsideLoops), and rewrites the expression.
func rewriteFunction(dst, code, check []byte, dc *depthCode) ([]byte, error) {
	r := reader{b: code}
	groups, err := vecLen(&r)
	if err != nil {
		return nil, fmt.Errorf("locals: %w", err)
	}
	var locals uint64
	for g := uint32(0); g < groups; g++ {
		count, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("local group %d: %w", g, err)
		}
		if locals += uint64(count); locals > maxFunctionLocals {
			return nil, fmt.Errorf("%w: more than %d locals", ErrUnsupported, maxFunctionLocals)
		}
		t, err := r.byte1()
		if err != nil {
			return nil, fmt.Errorf("local group %d: %w", g, err)
		}
		if !isValType(t) {
			return nil, fmt.Errorf("%w: local group %d type 0x%02X", ErrUnsupported, g, t)
		}
	}
	dst = append(dst, code[:r.pos]...)
	entry, err := callsOutsideLoops(code[r.pos:])
	if err != nil {
		return nil, err
	}
	if entry {
		dst = append(dst, check...)
	}
	dst, _, err = rewriteBodyDepth(dst, code[r.pos:], check, dc)
	return dst, err
}

// skipRefType skips a reference type (funcref or externref).
func skipRefType(r *reader) error {
	c, err := r.byte1()
	if err != nil {
		return err
	}
	if c != 0x70 && c != 0x6F {
		return fmt.Errorf("%w: reference type 0x%02X", ErrUnsupported, c)
	}
	return nil
}

// skipLimits skips table or memory limits. Shared memories (threads) are accepted here because only
// their encoding matters; 64-bit limits (memory64) are refused.
func skipLimits(r *reader) error {
	flags, err := r.byte1()
	if err != nil {
		return err
	}
	switch flags {
	case 0x00, 0x02:
		return skipU32s(r, 1)
	case 0x01, 0x03:
		return skipU32s(r, 2)
	}
	return fmt.Errorf("%w: limits flags 0x%02X", ErrUnsupported, flags)
}

// skipGlobalType skips a value type and a mutability flag.
func skipGlobalType(r *reader) error {
	t, err := r.byte1()
	if err != nil {
		return err
	}
	if !isValType(t) {
		return fmt.Errorf("%w: global type 0x%02X", ErrUnsupported, t)
	}
	m, err := r.byte1()
	if err != nil {
		return err
	}
	if m > 1 {
		return fmt.Errorf("%w: global mutability 0x%02X", ErrMalformed, m)
	}
	return nil
}

// skipConstExpr skips a constant expression up to and including its end. Structured control is not
// allowed in constant expressions.
func skipConstExpr(r *reader) error {
	for {
		start := r.pos
		op, err := r.byte1()
		if err != nil {
			return err
		}
		switch op {
		case opEnd:
			return nil
		case opBlock, opLoop, opIf, opElse:
			return fmt.Errorf("%w: control opcode 0x%02X in constant expression at offset %d", ErrMalformed, op, start)
		}
		if err := skipImmediates(r, op); err != nil {
			return fmt.Errorf("opcode 0x%02X at offset %d: %w", op, start, err)
		}
	}
}
