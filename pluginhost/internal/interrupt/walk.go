package interrupt

import (
	"errors"
	"fmt"
)

// ErrUnsupported is wrapped by the error Instrument returns for a module that may be well formed but
// uses an encoding this package does not decode (SIMD, threads, exception handling, GC, typed
// function references, multi-memory, ...). The caller can fall back to another way of bounding
// execution, such as wazero's RuntimeConfig.WithCloseOnContextDone.
var ErrUnsupported = errors.New("unsupported wasm feature")

// Opcodes and prefixes the walker treats specially.
const (
	opBlock       = 0x02
	opLoop        = 0x03
	opIf          = 0x04
	opElse        = 0x05
	opEnd         = 0x0B
	opUnreachable = 0x00
	opGlobalGet   = 0x23
	prefixFC      = 0xFC
	prefixFD      = 0xFD
	prefixFE      = 0xFE
	blockEmpty    = 0x40
)

// maxBlockDepth bounds structured-control nesting in one function body. wazero's own limits are
// lower in practice; the bound only keeps hostile input from building absurd state.
const maxBlockDepth = 1 << 20

// unsupportedOpcode names the single-byte opcodes that belong to proposals the walker refuses.
var unsupportedOpcode = map[byte]string{
	0x06:     "try (exception handling)",
	0x07:     "catch (exception handling)",
	0x08:     "throw (exception handling)",
	0x09:     "rethrow (exception handling)",
	0x0A:     "throw_ref (exception handling)",
	0x14:     "call_ref (typed function references)",
	0x15:     "return_call_ref (typed function references)",
	0x18:     "delegate (exception handling)",
	0x19:     "catch_all (exception handling)",
	0x1F:     "try_table (exception handling)",
	0xD3:     "ref.as_non_null (typed function references)",
	0xD4:     "br_on_null (typed function references)",
	0xD5:     "ref.eq (GC)",
	0xD6:     "br_on_non_null (typed function references)",
	0xFB:     "GC prefix 0xFB",
	prefixFD: "SIMD prefix 0xFD",
	prefixFE: "threads/atomics prefix 0xFE",
}

// rewriteBody walks the instruction sequence expr (a function body after its locals, ending with the
// final `end`), appends it to dst with check inserted after every `loop` instruction and its block
// type, and returns the extended dst and the number of loops found. Immediates are copied verbatim.
func rewriteBody(dst, expr, check []byte) ([]byte, int, error) {
	return rewriteBodyDepth(dst, expr, check, nil)
}

// rewriteBodyDepth is rewriteBody that also, when dc is not nil, wraps every call and
// call_indirect in dc.pre and dc.post, which count the call depth (return_call and
// return_call_indirect replace the caller's frame and keep its count).
func rewriteBodyDepth(dst, expr, check []byte, dc *depthCode) ([]byte, int, error) {
	r := reader{b: expr}
	depth := 0 // open blocks, not counting the function body itself
	loops := 0
	for r.remaining() > 0 {
		start := r.pos
		op, _ := r.byte1()
		var err error
		insert := false
		switch {
		case op == opBlock || op == opIf:
			err = skipBlockType(&r)
			depth++
		case op == opLoop:
			err = skipBlockType(&r)
			depth++
			insert = true
		case op == opElse:
		case op == opEnd:
			if depth == 0 {
				if r.remaining() != 0 {
					return nil, 0, fmt.Errorf("%w: %d bytes after the final end at body offset %d", ErrMalformed, r.remaining(), start)
				}
				return append(dst, expr[start:r.pos]...), loops, nil
			}
			depth--
		default:
			err = skipImmediates(&r, op)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("opcode 0x%02X at body offset %d: %w", op, start, err)
		}
		if depth > maxBlockDepth {
			return nil, 0, fmt.Errorf("%w: blocks nested deeper than %d", ErrUnsupported, maxBlockDepth)
		}
		isCall := dc != nil && (op == opCall || op == opCallIndirect)
		if isCall {
			dst = append(dst, dc.pre...)
		}
		dst = append(dst, expr[start:r.pos]...)
		if isCall {
			dst = append(dst, dc.post...)
		}
		if insert {
			dst = append(dst, check...)
			loops++
		}
	}
	return nil, 0, fmt.Errorf("%w: function body has no final end", ErrMalformed)
}

// skipBlockType skips a block type: 0x40 (empty), a value type, or a non-negative s33 type index.
func skipBlockType(r *reader) error {
	if r.remaining() == 0 {
		return fmt.Errorf("%w: missing block type", ErrMalformed)
	}
	c := r.b[r.pos]
	if c == blockEmpty || isValType(c) {
		r.pos++
		return nil
	}
	idx, err := r.signed(33)
	if err != nil {
		return err
	}
	if idx < 0 {
		return fmt.Errorf("%w: block type 0x%02X", ErrUnsupported, c)
	}
	return nil
}

// isValType reports whether c encodes one of the value types wazero knows: i32, i64, f32, f64, v128,
// funcref, externref.
func isValType(c byte) bool {
	switch c {
	case 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F:
		return true
	}
	return false
}

// skipMemarg skips a memory immediate: alignment exponent then offset. A set bit 6 in the alignment
// (the multi-memory encoding) is refused.
func skipMemarg(r *reader) error {
	align, err := r.u32()
	if err != nil {
		return err
	}
	if align >= 1<<6 {
		return fmt.Errorf("%w: memarg alignment %d (multi-memory)", ErrUnsupported, align)
	}
	_, err = r.u32()
	return err
}

// skipU32s skips n unsigned LEB128 immediates.
func skipU32s(r *reader, n int) error {
	for i := 0; i < n; i++ {
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	return nil
}

// skipImmediates skips the immediates of every opcode other than block, loop, if, else and end.
func skipImmediates(r *reader, op byte) error {
	switch {
	case op == opUnreachable || op == 0x01: // unreachable, nop
		return nil
	case op == 0x0C || op == 0x0D: // br, br_if
		return skipU32s(r, 1)
	case op == 0x0E: // br_table
		n, err := r.u32()
		if err != nil {
			return err
		}
		if int64(n) > int64(r.remaining()) { // each label takes at least one byte
			return fmt.Errorf("%w: br_table with %d labels exceeds body", ErrMalformed, n)
		}
		return skipU32s(r, int(n)+1)
	case op == 0x0F: // return
		return nil
	case op == 0x10 || op == 0x12: // call, return_call
		return skipU32s(r, 1)
	case op == 0x11 || op == 0x13: // call_indirect, return_call_indirect: type index, table index
		return skipU32s(r, 2)
	case op == 0x1A || op == 0x1B: // drop, select
		return nil
	case op == 0x1C: // select t*
		n, err := r.u32()
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("%w: typed select with %d types", ErrMalformed, n)
		}
		c, err := r.byte1()
		if err != nil {
			return err
		}
		if !isValType(c) {
			return fmt.Errorf("%w: typed select with value type 0x%02X", ErrUnsupported, c)
		}
		return nil
	case op >= 0x20 && op <= 0x26: // local.get/set/tee, global.get/set, table.get/set
		return skipU32s(r, 1)
	case op >= 0x28 && op <= 0x3E: // loads and stores
		return skipMemarg(r)
	case op == 0x3F || op == 0x40: // memory.size, memory.grow: memory index
		return skipU32s(r, 1)
	case op == 0x41: // i32.const
		_, err := r.signed(32)
		return err
	case op == 0x42: // i64.const
		_, err := r.signed(64)
		return err
	case op == 0x43: // f32.const
		return r.skip(4)
	case op == 0x44: // f64.const
		return r.skip(8)
	case op >= 0x45 && op <= 0xC4: // numeric MVP and sign extension
		return nil
	case op == 0xD0: // ref.null t
		c, err := r.byte1()
		if err != nil {
			return err
		}
		if c != 0x70 && c != 0x6F {
			return fmt.Errorf("%w: ref.null heap type 0x%02X", ErrUnsupported, c)
		}
		return nil
	case op == 0xD1: // ref.is_null
		return nil
	case op == 0xD2: // ref.func
		return skipU32s(r, 1)
	case op == prefixFC:
		return skipFC(r)
	}
	if what, ok := unsupportedOpcode[op]; ok {
		return fmt.Errorf("%w: %s", ErrUnsupported, what)
	}
	return fmt.Errorf("%w: unknown opcode", ErrUnsupported)
}

// skipFC skips a 0xFC-prefixed instruction: saturating truncation (0-7), bulk memory and table
// operations (8-17).
func skipFC(r *reader) error {
	sub, err := r.u32()
	if err != nil {
		return err
	}
	switch {
	case sub <= 7: // iNN.trunc_sat_fMM_{s,u}
		return nil
	case sub == 8: // memory.init data, mem
		return skipU32s(r, 2)
	case sub == 9: // data.drop data
		return skipU32s(r, 1)
	case sub == 10: // memory.copy mem, mem
		return skipU32s(r, 2)
	case sub == 11: // memory.fill mem
		return skipU32s(r, 1)
	case sub == 12: // table.init elem, table
		return skipU32s(r, 2)
	case sub == 13: // elem.drop elem
		return skipU32s(r, 1)
	case sub == 14: // table.copy table, table
		return skipU32s(r, 2)
	case sub >= 15 && sub <= 17: // table.grow, table.size, table.fill
		return skipU32s(r, 1)
	}
	return fmt.Errorf("%w: 0xFC sub-opcode %d", ErrUnsupported, sub)
}

// Call opcodes: a call outside every loop is what makes a function need the check at its entry.
const (
	opCall               = 0x10
	opCallIndirect       = 0x11
	opReturnCall         = 0x12
	opReturnCallIndirect = 0x13
)

// callsOutsideLoops reports whether the instruction sequence expr (a function body after its
// locals) holds a call that is not nested in any loop. A function without one needs no check at its
// entry: from the entry, control reaches a call only through the head of an enclosing loop, which
// has its own check, and everything before that is forward branches, so it is bounded by the body's
// size. Every path into a chain of calls, recursion included, therefore passes a check at least once
// per call of such a function, and a function with a call outside its loops keeps its entry check.
func callsOutsideLoops(expr []byte) (bool, error) {
	r := reader{b: expr}
	var loops []bool // per open block: whether it is a loop
	inLoops := 0
	for r.remaining() > 0 {
		start := r.pos
		op, _ := r.byte1()
		var err error
		switch {
		case op == opBlock || op == opIf || op == opLoop:
			err = skipBlockType(&r)
			loops = append(loops, op == opLoop)
			if op == opLoop {
				inLoops++
			}
			if len(loops) > maxBlockDepth {
				return false, fmt.Errorf("%w: blocks nested deeper than %d", ErrUnsupported, maxBlockDepth)
			}
		case op == opElse:
		case op == opEnd:
			if len(loops) == 0 {
				return false, nil // the final end
			}
			if loops[len(loops)-1] {
				inLoops--
			}
			loops = loops[:len(loops)-1]
		default:
			if inLoops == 0 && (op == opCall || op == opCallIndirect || op == opReturnCall || op == opReturnCallIndirect) {
				return true, nil
			}
			err = skipImmediates(&r, op)
		}
		if err != nil {
			return false, fmt.Errorf("opcode 0x%02X at body offset %d: %w", op, start, err)
		}
	}
	return false, fmt.Errorf("%w: function body has no final end", ErrMalformed)
}
