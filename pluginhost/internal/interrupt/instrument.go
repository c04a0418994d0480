package interrupt

import (
	"bytes"
	"errors"
	"fmt"
	"math"
)

// GlobalName is the export name of the interrupt flag global.
const GlobalName = "chelseru_interrupt"

// ErrAlreadyInstrumented is wrapped by the error Instrument returns for a module that already
// exports GlobalName, including a module Instrument has already processed: instrumenting twice is
// refused rather than silently stacking a second flag.
var ErrAlreadyInstrumented = errors.New("module already exports " + GlobalName)

// Section ids of the WebAssembly binary format.
const (
	secCustom    = 0
	secImport    = 2
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secCode      = 10
	maxSectionID = 13 // tag
)

// sectionRank gives the required relative order of non-custom sections: the tag section (13) sits
// between memory (5) and global (6), the data count section (12) between element (9) and code (10).
var sectionRank = [maxSectionID + 1]int{
	1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13,
}

// Import and export kinds.
const (
	kindFunc   = 0x00
	kindTable  = 0x01
	kindMemory = 0x02
	kindGlobal = 0x03
	kindTag    = 0x04
)

// header is the magic number and version 1 of a core WebAssembly binary module.
var header = []byte{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}

type section struct {
	id   byte
	body []byte
}

// CheckInterval is the number of checks (function entries plus loop iterations) between two visits
// of the slow path, which reads the interrupt flag and briefly returns control to the Go runtime.
// It bounds how long an interrupted guest keeps running, and how long a spinning guest goes without
// giving the Go runtime a chance to preempt its goroutine (which a garbage collection needs).
const CheckInterval = 1 << 14

// Version names Instrument's output format: the same module instrumented
// by another Version may differ, so a cache of instrumented modules keys
// on it. Bump it whenever Instrument's output changes.
const Version = 1

// Instrument returns a copy of the wasm binary module instrumented so that the host can stop any
// call into it: it adds a mutable i32 global (initial 0) exported as GlobalName (the flag), a second,
// unexported mutable i32 global (the countdown), and a check at the start of every function body and
// at the head of every loop body (right after each `loop` instruction and its block type):
//
//	global.get $countdown; i32.const 1; i32.sub; global.set $countdown
//	global.get $countdown; i32.eqz
//	if
//	  i32.const CheckInterval; global.set $countdown
//	  i32.const 0; memory.grow; drop        ;; a no-op that returns to the Go runtime
//	  global.get $flag; if; unreachable; end
//	end
//
// When the host sets the flag to a non-zero value (see Flag), the guest traps with `unreachable`
// within CheckInterval checks. A module with no memory gets an empty, unexported one so that
// `memory.grow 0` is valid; see the package documentation for why the slow path must return to Go.
//
// The new globals are appended after every imported and defined global, so no existing global index
// moves; function, table, memory, type and data indices are untouched, and custom sections (including
// the name section) are kept verbatim. Instrument never modifies module.
//
// It refuses a module it cannot instrument safely with an error wrapping ErrMalformed (not a
// well-formed binary module), ErrUnsupported (an opcode or encoding it does not decode, such as SIMD
// or atomics) or ErrAlreadyInstrumented (GlobalName is already exported, which includes the output of
// Instrument itself), so the caller can fall back. Instrument does not type-check: wazero's
// CompileModule stays the validator, and it accepts the output of Instrument whenever it accepts the
// input.
func Instrument(module []byte) ([]byte, error) {
	out, err := instrument(module)
	if err != nil {
		return nil, fmt.Errorf("interrupt: instrument module: %w", err)
	}
	return out, nil
}

func instrument(module []byte) ([]byte, error) {
	if len(module) < len(header) || !bytes.Equal(module[:4], header[:4]) {
		return nil, fmt.Errorf("%w: no wasm magic number", ErrMalformed)
	}
	if !bytes.Equal(module[4:8], header[4:8]) {
		return nil, fmt.Errorf("%w: binary version % X (only core module version 1)", ErrUnsupported, module[4:8])
	}
	sections, err := splitSections(module[len(header):])
	if err != nil {
		return nil, err
	}

	var imports importCounts
	var definedMemories, definedGlobals, exportCount uint32
	var globalEntries, exportEntries []byte
	present := map[byte]bool{}
	for _, s := range sections {
		present[s.id] = true
		if err := checkSection(s.id, s.body); err != nil {
			return nil, fmt.Errorf("section %d: %w", s.id, err)
		}
		switch s.id {
		case secImport:
			if imports, err = countImports(s.body); err != nil {
				return nil, fmt.Errorf("import section: %w", err)
			}
		case secMemory:
			r := reader{b: s.body}
			if definedMemories, err = r.u32(); err != nil {
				return nil, fmt.Errorf("memory section: %w", err)
			}
		case secGlobal:
			if definedGlobals, globalEntries, err = readGlobals(s.body); err != nil {
				return nil, fmt.Errorf("global section: %w", err)
			}
		case secExport:
			if exportCount, exportEntries, err = readExports(s.body); err != nil {
				return nil, fmt.Errorf("export section: %w", err)
			}
		}
	}
	if uint64(imports.globals)+uint64(definedGlobals)+3 > math.MaxUint32 {
		return nil, fmt.Errorf("%w: too many globals", ErrMalformed)
	}
	flagIndex := imports.globals + definedGlobals
	countdownIndex := flagIndex + 1
	depthIndex := flagIndex + 2

	// Replacement bodies, by section id, for the sections Instrument adds or edits.
	replace := map[byte][]byte{}

	// A memory for `memory.grow 0`, only when the module has none.
	if imports.memories == 0 && definedMemories == 0 {
		replace[secMemory] = []byte{0x01, 0x00, 0x00} // one memory, min 0 pages, no max
	}

	// The flag, initialised by `i32.const 0; end`, and the countdown, by `i32.const CheckInterval`.
	globalBody := appendU32(nil, definedGlobals+3)
	globalBody = append(globalBody, globalEntries...)
	globalBody = append(globalBody, i32Type, mutable, opI32Const, 0x00, opEnd)
	globalBody = append(globalBody, i32Type, mutable, opI32Const)
	globalBody = appendS32(globalBody, CheckInterval)
	globalBody = append(globalBody, opEnd)
	// The call depth, initially 0.
	globalBody = append(globalBody, i32Type, mutable, opI32Const, 0x00, opEnd)
	replace[secGlobal] = globalBody

	exportBody := appendU32(nil, exportCount+1)
	exportBody = append(exportBody, exportEntries...)
	exportBody = appendU32(exportBody, uint32(len(GlobalName)))
	exportBody = append(exportBody, GlobalName...)
	exportBody = append(exportBody, kindGlobal)
	exportBody = appendU32(exportBody, flagIndex)
	replace[secExport] = exportBody

	check := checkSequence(flagIndex, countdownIndex)
	dc := depthSequences(depthIndex)

	out := make([]byte, 0, len(module)+len(module)/4+64)
	out = append(out, header...)
	// pending lists the new sections in rank order; each is emitted just before the first existing
	// non-custom section that must follow it, or at the end.
	var pending []byte
	for _, id := range []byte{secMemory, secGlobal, secExport} {
		if _, ok := replace[id]; ok && !present[id] {
			pending = append(pending, id)
		}
	}
	for _, s := range sections {
		if s.id != secCustom {
			for len(pending) > 0 && sectionRank[pending[0]] < sectionRank[s.id] {
				if out, err = appendSection(out, pending[0], replace[pending[0]]); err != nil {
					return nil, err
				}
				pending = pending[1:]
			}
		}
		body := s.body
		if b, ok := replace[s.id]; ok {
			body = b
		} else if s.id == secCode {
			if body, err = rewriteCode(s.body, check, dc); err != nil {
				return nil, fmt.Errorf("code section: %w", err)
			}
		}
		if out, err = appendSection(out, s.id, body); err != nil {
			return nil, err
		}
	}
	for _, id := range pending {
		if out, err = appendSection(out, id, replace[id]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Encoding bytes used to build the check and the new globals.
const (
	i32Type    = 0x7F
	mutable    = 0x01
	opDrop     = 0x1A
	opGlobal   = 0x24 // global.set
	opI32Const = 0x41
	opI32Eqz   = 0x45
	opI32Sub   = 0x6B
	opI32Add   = 0x6A
	opI32GtU   = 0x4B
	opMemGrow  = 0x40
)

// checkSequence encodes the instructions inserted at every function entry and loop head. The
// sequence leaves the operand stack as it found it, so it is valid at any of those points.
func checkSequence(flag, countdown uint32) []byte {
	c := []byte{opGlobalGet}
	c = appendU32(c, countdown)
	c = append(c, opI32Const, 0x01, opI32Sub, opGlobal)
	c = appendU32(c, countdown)
	c = append(c, opGlobalGet)
	c = appendU32(c, countdown)
	c = append(c, opI32Eqz, opIf, blockEmpty)
	c = append(c, opI32Const)
	c = appendS32(c, CheckInterval)
	c = append(c, opGlobal)
	c = appendU32(c, countdown)
	c = append(c, opI32Const, 0x00, opMemGrow, 0x00, opDrop)
	c = append(c, opGlobalGet)
	c = appendU32(c, flag)
	c = append(c, opIf, blockEmpty, opUnreachable, opEnd)
	return append(c, opEnd)
}

// splitSections splits the bytes after the header into sections, checking ids, sizes and the order
// of non-custom sections.
func splitSections(b []byte) ([]section, error) {
	r := reader{b: b}
	var sections []section
	lastRank := 0
	for r.remaining() > 0 {
		at := r.pos + len(header)
		id, _ := r.byte1()
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("section header at offset %d: %w", at, err)
		}
		body, err := r.bytesN(int(size))
		if err != nil {
			return nil, fmt.Errorf("section %d at offset %d: %w", id, at, err)
		}
		if id > maxSectionID {
			return nil, fmt.Errorf("%w: unknown section id %d at offset %d", ErrMalformed, id, at)
		}
		if id == secCustom {
			br := reader{b: body}
			if _, err := br.name(); err != nil {
				return nil, fmt.Errorf("custom section at offset %d: %w", at, err)
			}
		} else {
			rank := sectionRank[id]
			if rank <= lastRank {
				return nil, fmt.Errorf("%w: section %d at offset %d is duplicated or out of order", ErrMalformed, id, at)
			}
			lastRank = rank
		}
		sections = append(sections, section{id: id, body: body})
	}
	return sections, nil
}

// appendSection appends a section with its id and size.
func appendSection(dst []byte, id byte, body []byte) ([]byte, error) {
	if uint64(len(body)) > math.MaxUint32 {
		return nil, fmt.Errorf("%w: section %d grows past 4 GiB", ErrUnsupported, id)
	}
	dst = append(dst, id)
	dst = appendU32(dst, uint32(len(body)))
	return append(dst, body...), nil
}

// MaxCallDepth bounds the nesting of calls in one call into an instrumented module. wazero grows a
// call's stack by doubling up to ~400 MB (its callStackCeiling, not configurable), and unbounded
// recursion cost ~160 MB of host memory per call; at this depth a frame-heavy guest uses a few MiB.
// Go's wasm port nests a wasm call per Go call, and ordinary plugins stay in the low hundreds.
const MaxCallDepth = 10000

// depthCode is the code wrapped around every call: pre counts the call and traps with
// `unreachable` past MaxCallDepth, post uncounts it when it returns. A trap leaves the count
// raised, but a trapped instance is discarded anyway.
type depthCode struct{ pre, post []byte }

// depthSequences encodes the depth counting for the global depth. Both sequences are stack-neutral,
// so they are valid around a call whatever its arguments and results.
func depthSequences(depth uint32) *depthCode {
	pre := []byte{opGlobalGet}
	pre = appendU32(pre, depth)
	pre = append(pre, opI32Const, 0x01, opI32Add, opGlobal)
	pre = appendU32(pre, depth)
	pre = append(pre, opGlobalGet)
	pre = appendU32(pre, depth)
	pre = append(pre, opI32Const)
	pre = appendS32(pre, MaxCallDepth)
	pre = append(pre, opI32GtU, opIf, blockEmpty, opUnreachable, opEnd)
	post := []byte{opGlobalGet}
	post = appendU32(post, depth)
	post = append(post, opI32Const, 0x01, opI32Sub, opGlobal)
	post = appendU32(post, depth)
	return &depthCode{pre: pre, post: post}
}
