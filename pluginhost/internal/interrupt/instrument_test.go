package interrupt

import (
	"bytes"
	"context"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// compile compiles b with wazero's default (optimising) engine, which validates it fully.
func compile(t testing.TB, rt wazero.Runtime, b []byte) wazero.CompiledModule {
	t.Helper()
	cm, err := rt.CompileModule(context.Background(), b)
	if err != nil {
		t.Fatalf("wazero CompileModule: %v", err)
	}
	return cm
}

// countLoops counts loop instructions in every function body of b using the package's own walker,
// and the functions that call outside their loops (entry checks).
func countLoops(t *testing.T, b []byte) (loops, entries int) {
	t.Helper()
	sections, err := splitSections(b[len(header):])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sections {
		if s.id != secCode {
			continue
		}
		r := reader{b: s.body}
		n, err := r.u32()
		if err != nil {
			t.Fatal(err)
		}
		for i := uint32(0); i < n; i++ {
			size, _ := r.u32()
			code, _ := r.bytesN(int(size))
			cr := reader{b: code}
			groups, _ := cr.u32()
			for g := uint32(0); g < groups; g++ {
				_, _ = cr.u32()
				_, _ = cr.byte1()
			}
			_, n, err := rewriteBody(nil, code[cr.pos:], nil)
			if err != nil {
				t.Fatal(err)
			}
			loops += n
			calls, err := callsOutsideLoops(code[cr.pos:])
			if err != nil {
				t.Fatal(err)
			}
			if calls {
				entries++
			}
		}
	}
	return loops, entries
}

func TestInstrumentHandModulesCompile(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	for _, tc := range handModules {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.build()
			orig := bytes.Clone(in)
			compile(t, rt, in)
			loops, entries := countLoops(t, in)
			if loops != tc.loops {
				t.Fatalf("input has %d loops, want %d", loops, tc.loops)
			}
			out, err := Instrument(in)
			if err != nil {
				t.Fatalf("Instrument: %v", err)
			}
			if !bytes.Equal(in, orig) {
				t.Fatal("Instrument modified its input")
			}
			cm := compile(t, rt, out)
			defer cm.Close(ctx)
			// Every loop, and the entry of every function that calls outside its loops, gains
			// exactly one check.
			idx := flagIndexOf(t, out)
			check := checkSequence(idx, idx+1)
			if entries > tc.funcs {
				t.Fatalf("%d functions call outside their loops, of %d", entries, tc.funcs)
			}
			if got, want := bytes.Count(out, check), entries+tc.loops; got != want {
				t.Errorf("found %d check sequences, want %d", got, want)
			}
			// Original exports survive.
			for name := range compile(t, rt, in).ExportedFunctions() {
				if _, ok := cm.ExportedFunctions()[name]; !ok {
					t.Errorf("export %q lost", name)
				}
			}
		})
	}
}

// flagIndexOf finds the global index of the GlobalName export in b.
func flagIndexOf(t *testing.T, b []byte) uint32 {
	t.Helper()
	sections, err := splitSections(b[len(header):])
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sections {
		if s.id != secExport {
			continue
		}
		r := reader{b: s.body}
		n, _ := r.u32()
		for i := uint32(0); i < n; i++ {
			name, _ := r.name()
			kind, _ := r.byte1()
			idx, _ := r.u32()
			if string(name) == GlobalName && kind == kindGlobal {
				return idx
			}
		}
	}
	t.Fatal("no flag export")
	return 0
}

func TestInstrumentExactBytes(t *testing.T) {
	out, err := Instrument(modSpin())
	if err != nil {
		t.Fatal(err)
	}
	// global.get 1; i32.const 1; i32.sub; global.set 1; global.get 1; i32.eqz
	// if; i32.const 16384; global.set 1; i32.const 0; memory.grow 0; drop; global.get 0; if; unreachable; end; end
	check := []byte{
		0x23, 0x01, 0x41, 0x01, 0x6B, 0x24, 0x01, 0x23, 0x01, 0x45,
		0x04, 0x40, 0x41, 0x80, 0x80, 0x01, 0x24, 0x01, 0x41, 0x00, 0x40, 0x00, 0x1A,
		0x23, 0x00, 0x04, 0x40, 0x00, 0x0B, 0x0B,
	}
	want := mod(
		sec(1, vec(functype(nil, nil))),
		sec(3, vec(leb(0))),
		sec(5, vec([]byte{0x00, 0x00})),
		// The flag, the countdown and the call depth.
		sec(6, vec([]byte{i32, 0x01, 0x41, 0x00, 0x0B}, []byte{i32, 0x01, 0x41, 0x80, 0x80, 0x01, 0x0B}, []byte{i32, 0x01, 0x41, 0x00, 0x0B})),
		sec(7, vec(export("spin", kindFunc, 0), export(GlobalName, kindGlobal, 0))),
		// No check at the entry: the function makes no call outside its loop.
		sec(10, vec(fn(noLocals, cat([]byte{0x03, 0x40}, check, []byte{0x0C, 0x00, 0x0B, 0x0B})...))),
	)
	if !bytes.Equal(out, want) {
		t.Fatalf("Instrument(spin) =\n% X\nwant\n% X", out, want)
	}
}

func TestInstrumentSectionOrder(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"no global/export: inserted before element", modOrdering(), []byte{1, 3, 4, 5, 0, 6, 7, 9, 12, 10, 11, 0}},
		{"tag section: global after tag", modTag(), []byte{1, 3, 5, 13, 6, 7, 10}},
		{"existing global and export sections edited in place", modImportedGlobals(), []byte{1, 2, 3, 5, 6, 7, 10}},
		{"no memory: one added before global", modNestedLoops(), []byte{1, 3, 5, 6, 7, 10}},
		{"empty memory section replaced in place", mod(sec(5, vec())), []byte{5, 6, 7}},
		{"imported memory: none added", mod(sec(2, vec(cat(str("env"), str("memory"), []byte{kindMemory, 0x00, 0x01})))), []byte{2, 6, 7}},
		{"global only", modEnv(), []byte{5, 6, 7}},
		{"header only", mod(), []byte{5, 6, 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Instrument(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			sections, err := splitSections(out[len(header):])
			if err != nil {
				t.Fatalf("output does not re-parse: %v", err)
			}
			var ids []byte
			for _, s := range sections {
				ids = append(ids, s.id)
			}
			if !bytes.Equal(ids, tc.want) {
				t.Fatalf("section ids %v, want %v", ids, tc.want)
			}
		})
	}
}

func TestInstrumentRunsHandModules(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	if _, err := rt.InstantiateWithConfig(ctx, modEnv(), wazero.NewModuleConfig().WithName("env")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		module []byte
		fn     string
		params []uint64
		want   uint64
	}{
		{"nested loops", modNestedLoops(), "run", nil, 100},
		{"imported globals", modImportedGlobals(), "run", nil, 7 + 5 + 11},
		{"loops in if/then", modBlocksIfs(), "run", []uint64{1}, 5},
		{"loops in if/else", modBlocksIfs(), "run", []uint64{0}, 0},
		{"multi-value loop", modMultiValue(), "run", []uint64{10}, 56},
		{"recursion", modFib(), "fib", []uint64{20}, 6765},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Instrument(tc.module)
			if err != nil {
				t.Fatal(err)
			}
			m, err := rt.InstantiateWithConfig(ctx, out, wazero.NewModuleConfig().WithName(""))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close(ctx)
			// Run long enough for the slow path to be taken many times.
			for i := 0; i < 2*CheckInterval/100; i++ {
				res, err := m.ExportedFunction(tc.fn).Call(ctx, tc.params...)
				if err != nil {
					t.Fatalf("%s with flag 0: %v", tc.fn, err)
				}
				if res[0] != tc.want {
					t.Fatalf("%s = %d, want %d", tc.fn, res[0], tc.want)
				}
			}
		})
	}
}

// TestFlagStopsWithinCheckInterval sets the flag before the call and checks, by counting iterations
// in the guest, that the loop stops exactly when the countdown first reaches zero.
func TestFlagStopsWithinCheckInterval(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	out, err := Instrument(modCount())
	if err != nil {
		t.Fatal(err)
	}
	m, err := rt.Instantiate(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	flag, err := Flag(m)
	if err != nil {
		t.Fatal(err)
	}
	flag.Set(1)
	_, err = m.ExportedFunction("count").Call(ctx)
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("count with flag 1: %v, want an unreachable trap", err)
	}
	// The countdown starts at CheckInterval; the function makes no call, so its entry has no
	// check, and each loop iteration takes one: it reaches zero at the head of iteration
	// CheckInterval, after CheckInterval-1 complete iterations.
	if got := m.ExportedGlobal("n").Get(); got != CheckInterval-1 {
		t.Fatalf("loop ran %d iterations, want %d", got, CheckInterval-1)
	}
}

// TestFlagStopsRecursion stops exponential recursion that never enters a loop.
func TestFlagStopsRecursion(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	out, err := Instrument(modFib())
	if err != nil {
		t.Fatal(err)
	}
	m, err := rt.Instantiate(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	flag, err := Flag(m)
	if err != nil {
		t.Fatal(err)
	}
	flag.Set(1)
	// fib(60) makes about 10^12 calls: only the interrupt can end it within the test.
	if _, err := m.ExportedFunction("fib").Call(ctx, 60); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("fib(60) with flag 1: %v, want an unreachable trap", err)
	}
}

// TestImportedGlobalsKeepIndices checks that the flag does not alias an imported or defined global.
func TestImportedGlobalsKeepIndices(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	env, err := rt.InstantiateWithConfig(ctx, modEnv(), wazero.NewModuleConfig().WithName("env"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Instrument(modImportedGlobals())
	if err != nil {
		t.Fatal(err)
	}
	m, err := rt.Instantiate(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	flag, err := Flag(m)
	if err != nil {
		t.Fatal(err)
	}
	if flag.Get() != 0 {
		t.Fatalf("flag starts at %d", flag.Get())
	}
	flag.Set(1)
	if got := m.ExportedGlobal("g2").Get(); got != 11 {
		t.Fatalf("g2 = %d after setting the flag, want 11", got)
	}
	if got := env.ExportedGlobal("g1").Get(); got != 5 {
		t.Fatalf("env.g1 = %d after setting the flag, want 5", got)
	}
	if m.ExportedMemory("memory") == nil {
		t.Fatal("memory export lost")
	}
}

func TestInstrumentStopsEndlessLoop(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	out, err := Instrument(modSpin())
	if err != nil {
		t.Fatal(err)
	}
	m, err := rt.Instantiate(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	stopsWithTrap(t, m, "spin", nil)
}

// stopsWithTrap calls fn in a goroutine, waits until running reports true (or briefly, if nil),
// sets the flag from this goroutine, and requires the call to end with an unreachable trap.
func stopsWithTrap(t *testing.T, m api.Module, fn string, running func() bool) {
	t.Helper()
	flag, err := Flag(m)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := m.ExportedFunction(fn).Call(context.Background())
		done <- err
	}()
	if running != nil {
		for !running() {
			select {
			case err := <-done:
				t.Fatalf("%s returned before the flag was set: %v", fn, err)
			case <-time.After(time.Millisecond):
			}
		}
	} else {
		select {
		case err := <-done:
			t.Fatalf("%s returned before the flag was set: %v", fn, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	runtime.GC() // needs every goroutine, the spinning one included, to reach a safe point
	flag.Set(1)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "unreachable") {
			t.Fatalf("%s after flag set: err = %v, want an unreachable trap", fn, err)
		}
	case <-time.After(time.Minute): // a hang guard, not a timing assertion
		t.Fatalf("%s did not stop within a minute of setting the flag", fn)
	}
}

func TestInstrumentTwiceRefused(t *testing.T) {
	for _, tc := range handModules {
		t.Run(tc.name, func(t *testing.T) {
			once, err := Instrument(tc.build())
			if err != nil {
				t.Fatal(err)
			}
			twice, err := Instrument(once)
			if !errors.Is(err, ErrAlreadyInstrumented) || twice != nil {
				t.Fatalf("second Instrument: out=%d bytes err=%v, want ErrAlreadyInstrumented", len(twice), err)
			}
		})
	}
}

func TestInstrumentRefuses(t *testing.T) {
	body := func(code ...byte) []byte {
		return mod(sec(1, vec(functype(nil, nil))), sec(3, vec(leb(0))), sec(10, vec(fn(noLocals, code...))))
	}
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"nil", nil, ErrMalformed},
		{"not wasm", []byte("#!/bin/sh\necho hi\n"), ErrMalformed},
		{"truncated header", header[:6], ErrMalformed},
		{"component binary", []byte{0x00, 0x61, 0x73, 0x6D, 0x0D, 0x00, 0x01, 0x00}, ErrUnsupported},
		{"section size past end", cat(header, []byte{0x01, 0x05, 0x00}), ErrMalformed},
		{"section size LEB overlong", cat(header, []byte{0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), ErrMalformed},
		{"section size LEB overflows u32", cat(header, []byte{0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F}), ErrMalformed},
		{"unknown section id", mod(sec(14)), ErrMalformed},
		{"sections out of order", mod(sec(3, vec(leb(0))), sec(1, vec(functype(nil, nil)))), ErrMalformed},
		{"duplicate section", mod(sec(1, vec()), sec(1, vec())), ErrMalformed},
		{"custom section without name", mod(sec(0)), ErrMalformed},
		{"existing export named GlobalName", modExportsFlag(), ErrAlreadyInstrumented},
		{"body without final end", body(0x03, 0x40, 0x0B), ErrMalformed},
		{"bytes after final end", body(0x0B, 0x01), ErrMalformed},
		{"truncated immediate", body(0x41), ErrMalformed},
		{"i32.const overflows s32", body(0x41, 0x80, 0x80, 0x80, 0x80, 0x70, 0x1A, 0x0B), ErrMalformed},
		{"br_table count exceeds body", body(0x0E, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x0B), ErrMalformed},
		{"function count exceeds section", mod(sec(10, leb(3), fn(noLocals, 0x0B))), ErrMalformed},
		{"function body size past section", mod(sec(10, leb(1), leb(100), []byte{0x00, 0x0B})), ErrMalformed},
		{"SIMD v128.const", body(0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1A, 0x0B), ErrUnsupported},
		{"atomics", body(0x41, 0x00, 0xFE, 0x10, 0x02, 0x00, 0x1A, 0x0B), ErrUnsupported},
		{"exception handling try", body(0x06, 0x40, 0x0B, 0x0B), ErrUnsupported},
		{"GC prefix", body(0xFB, 0x00, 0x0B), ErrUnsupported},
		{"unknown opcode", body(0xFF, 0x0B), ErrUnsupported},
		{"unknown 0xFC sub-opcode", body(0xFC, 0x12, 0x0B), ErrUnsupported},
		{"negative block type", body(0x02, 0x60, 0x0B, 0x0B), ErrUnsupported},
		{"multi-memory memarg", body(0x41, 0x00, 0x28, 0x42, 0x00, 0x00, 0x1A, 0x0B), ErrUnsupported},
		{"control in global initialiser", mod(sec(6, vec([]byte{i32, 0x00, 0x03, 0x40, 0x0B, 0x0B}))), ErrMalformed},
		{"global count exceeds section", mod(sec(6, leb(2), []byte{i32, 0x00, 0x41, 0x00, 0x0B})), ErrMalformed},
		{"bad import kind", mod(sec(2, vec(cat(str("a"), str("b"), []byte{0x09})))), ErrMalformed},
		{"table count exceeds section (wazero would allocate gigabytes)", cat(header, []byte{0x04, 0x04, 0xCB, 0xCB, 0xCB, 0x30}), ErrMalformed},
		{"type with 4 billion params", mod(sec(1, leb(1), []byte{0x60}, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x0F})), ErrMalformed},
		{"data segment longer than section", mod(sec(11, leb(1), []byte{0x01}, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x0F})), ErrMalformed},
		{"element segment bad flags", mod(sec(9, leb(1), []byte{0x08})), ErrMalformed},
		{"name section function map too long", mod(sec(0, str("name"), []byte{0x01, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F})), ErrMalformed},
		{"too many locals", mod(sec(1, vec(functype(nil, nil))), sec(3, vec(leb(0))), sec(10, vec(fn([]byte{0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, i32}, 0x0B)))), ErrUnsupported},
		{"GC type form", mod(sec(1, vec([]byte{0x5F, 0x00}))), ErrUnsupported},
		{"memory64 import", mod(sec(2, vec(cat(str("a"), str("b"), []byte{kindMemory, 0x04, 0x01})))), ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Instrument(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if out != nil {
				t.Fatalf("out = %d bytes on error", len(out))
			}
			if !strings.HasPrefix(err.Error(), "interrupt: instrument module: ") {
				t.Fatalf("error %q lacks context", err)
			}
		})
	}
}

// TestFlagIndexMultiByte checks the flag index is LEB-encoded when it needs more than one byte.
func TestFlagIndexMultiByte(t *testing.T) {
	var globals [][]byte
	for i := 0; i < 200; i++ {
		globals = append(globals, []byte{i32, 0x00, 0x41, 0x00, 0x0B})
	}
	in := mod(
		sec(1, vec(functype(nil, nil))),
		sec(3, vec(leb(0))),
		sec(6, vec(globals...)),
		sec(7, vec(export("spin", kindFunc, 0))),
		sec(10, vec(fn(noLocals, 0x03, 0x40, 0x0C, 0x00, 0x0B, 0x0B))),
	)
	out, err := Instrument(in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, cat([]byte{0x03, 0x40}, checkSequence(200, 201))) {
		t.Fatal("check with flag 200 and countdown 201 not found after the loop")
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	m, err := rt.Instantiate(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	stopsWithTrap(t, m, "spin", nil)
}

func TestLEB(t *testing.T) {
	tests := []struct {
		name string
		bits int // 0 = u32
		in   []byte
		want int64
		ok   bool
	}{
		{"u32 zero", 0, []byte{0x00}, 0, true},
		{"u32 padded zero", 0, []byte{0x80, 0x80, 0x00}, 0, true},
		{"u32 max", 0, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, math.MaxUint32, true},
		{"u32 overflow bits", 0, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x1F}, 0, false},
		{"u32 six bytes", 0, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0, false},
		{"u32 truncated", 0, []byte{0x80}, 0, false},
		{"u32 empty", 0, nil, 0, false},
		{"s32 -1", 32, []byte{0x7F}, -1, true},
		{"s32 64", 32, []byte{0xC0, 0x00}, 64, true},
		{"s32 -64", 32, []byte{0x40}, -64, true},
		{"s32 max", 32, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x07}, math.MaxInt32, true},
		{"s32 min", 32, []byte{0x80, 0x80, 0x80, 0x80, 0x78}, math.MinInt32, true},
		{"s32 bad sign bits", 32, []byte{0x80, 0x80, 0x80, 0x80, 0x70}, 0, false},
		{"s32 positive overflow", 32, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 0, false},
		{"s32 six bytes", 32, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0, false},
		{"s33 u32 max", 33, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, math.MaxUint32, true},
		{"s33 min", 33, []byte{0x80, 0x80, 0x80, 0x80, 0x70}, -1 << 32, true},
		{"s33 overflow", 33, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0x1F}, 0, false},
		{"s64 max", 64, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00}, math.MaxInt64, true},
		{"s64 min", 64, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F}, math.MinInt64, true},
		{"s64 overflow", 64, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, 0, false},
		{"s64 eleven bytes", 64, []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := reader{b: tc.in}
			var got int64
			var err error
			if tc.bits == 0 {
				var u uint32
				u, err = r.u32()
				got = int64(u)
			} else {
				got, err = r.signed(tc.bits)
			}
			if tc.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if err == nil && tc.bits != 0 && r.remaining() != 0 {
				t.Fatalf("%d bytes left", r.remaining())
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if tc.ok && got != tc.want {
				t.Fatalf("got %d, want %d", got, tc.want)
			}
		})
	}
	for _, v := range []uint32{0, 1, 127, 128, 300, 1 << 21, math.MaxUint32} {
		r := reader{b: appendU32(nil, v)}
		if got, err := r.u32(); err != nil || got != v || r.remaining() != 0 {
			t.Errorf("round trip %d: got %d, %v", v, got, err)
		}
	}
}

// TestCallsOutsideLoops: a function needs a check at its entry exactly when control can reach a
// call without passing the head of an enclosing loop.
func TestCallsOutsideLoops(t *testing.T) {
	const (
		block, loop, if_, else_, end = 0x02, 0x03, 0x04, 0x05, 0x0B
		empty, call, callIndirect    = 0x40, 0x10, 0x11
		nop, i32c                    = 0x01, 0x41
	)
	tests := []struct {
		name string
		body []byte
		want bool
	}{
		{"no call", []byte{nop, end}, false},
		{"call at the top", []byte{call, 0x00, end}, true},
		{"call in a loop", []byte{loop, empty, call, 0x00, end, end}, false},
		{"call in a block in a loop", []byte{loop, empty, block, empty, call, 0x00, end, end, end}, false},
		{"call in a block", []byte{block, empty, call, 0x00, end, end}, true},
		{"call after a loop", []byte{loop, empty, end, call, 0x00, end}, true},
		{"call in an else", []byte{i32c, 0x00, if_, empty, nop, else_, call, 0x00, end, end}, true},
		{"indirect call in a loop", []byte{loop, empty, i32c, 0x00, callIndirect, 0x00, 0x00, end, end}, false},
		{"indirect call at the top", []byte{i32c, 0x00, callIndirect, 0x00, 0x00, end}, true},
		{"return_call at the top", []byte{0x12, 0x00, end}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := callsOutsideLoops(tt.body)
			if err != nil || got != tt.want {
				t.Fatalf("callsOutsideLoops = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := callsOutsideLoops([]byte{loop, empty, nop}); err == nil {
		t.Error("a body without its final end was accepted")
	}
}
