package interrupt

// Helpers that assemble small binary modules by hand (the wat each one encodes is written next to
// it), so tests do not depend on an external assembler.

// leb encodes v as an unsigned LEB128.
func leb(v uint32) []byte { return appendU32(nil, v) }

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// sec encodes a section with its id and size.
func sec(id byte, parts ...[]byte) []byte {
	body := cat(parts...)
	return cat([]byte{id}, leb(uint32(len(body))), body)
}

// vec encodes a vector: a count and the items.
func vec(items ...[]byte) []byte { return cat(append([][]byte{leb(uint32(len(items)))}, items...)...) }

// str encodes a name.
func str(s string) []byte { return cat(leb(uint32(len(s))), []byte(s)) }

// mod prefixes sections with the wasm header.
func mod(sections ...[]byte) []byte { return cat(append([][]byte{header}, sections...)...) }

// fn encodes one code-section entry: locals and instructions, size-prefixed.
func fn(locals []byte, code ...byte) []byte {
	body := cat(locals, code)
	return cat(leb(uint32(len(body))), body)
}

// functype encodes a function type.
func functype(params, results []byte) []byte {
	return cat([]byte{0x60}, leb(uint32(len(params))), params, leb(uint32(len(results))), results)
}

// export encodes an export entry.
func export(name string, kind byte, index uint32) []byte {
	return cat(str(name), []byte{kind}, leb(index))
}

const (
	i32 = 0x7F
)

var noLocals = []byte{0x00}

// modNestedLoops has no global section and no export of a global:
//
//	(module
//	  (func (export "run") (result i32) (local $i i32) (local $j i32) (local $s i32)
//	    (loop $outer
//	      (local.set $j (i32.const 0))
//	      (loop $inner
//	        (local.set $s (i32.add (local.get $s) (i32.const 1)))
//	        (br_if $inner (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (i32.const 10))))
//	      (br_if $outer (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 10))))
//	    (local.get $s)))
func modNestedLoops() []byte {
	return mod(
		sec(1, vec(functype(nil, []byte{i32}))),
		sec(3, vec(leb(0))),
		sec(7, vec(export("run", kindFunc, 0))),
		sec(10, vec(fn([]byte{0x01, 0x03, i32},
			0x03, 0x40,
			0x41, 0x00, 0x21, 0x01,
			0x03, 0x40,
			0x20, 0x02, 0x41, 0x01, 0x6A, 0x21, 0x02,
			0x20, 0x01, 0x41, 0x01, 0x6A, 0x22, 0x01, 0x41, 0x0A, 0x48, 0x0D, 0x00,
			0x0B,
			0x20, 0x00, 0x41, 0x01, 0x6A, 0x22, 0x00, 0x41, 0x0A, 0x48, 0x0D, 0x00,
			0x0B,
			0x20, 0x02,
			0x0B))),
	)
}

// modSpin has one endless loop and nothing else of note:
//
//	(module (func (export "spin") (loop $l (br $l))))
func modSpin() []byte {
	return mod(
		sec(1, vec(functype(nil, nil))),
		sec(3, vec(leb(0))),
		sec(7, vec(export("spin", kindFunc, 0))),
		sec(10, vec(fn(noLocals, 0x03, 0x40, 0x0C, 0x00, 0x0B, 0x0B))),
	)
}

// modCount counts loop iterations in an exported global until it is stopped:
//
//	(module
//	  (global $n (export "n") (mut i32) (i32.const 0))
//	  (func (export "count") (loop $l (global.set $n (i32.add (global.get $n) (i32.const 1))) (br $l))))
func modCount() []byte {
	return mod(
		sec(1, vec(functype(nil, nil))),
		sec(3, vec(leb(0))),
		sec(6, vec([]byte{i32, 0x01, 0x41, 0x00, 0x0B})),
		sec(7, vec(export("n", kindGlobal, 0), export("count", kindFunc, 0))),
		sec(10, vec(fn(noLocals, 0x03, 0x40, 0x23, 0x00, 0x41, 0x01, 0x6A, 0x24, 0x00, 0x0C, 0x00, 0x0B, 0x0B))),
	)
}

// modFib recurses exponentially without any loop, so only the function-entry check stops it:
//
//	(module
//	  (func $fib (export "fib") (param $n i32) (result i32)
//	    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
//	      (then (local.get $n))
//	      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
//	                     (call $fib (i32.sub (local.get $n) (i32.const 2))))))))
func modFib() []byte {
	return mod(
		sec(1, vec(functype([]byte{i32}, []byte{i32}))),
		sec(3, vec(leb(0))),
		sec(7, vec(export("fib", kindFunc, 0))),
		sec(10, vec(fn(noLocals,
			0x20, 0x00, 0x41, 0x02, 0x48,
			0x04, i32,
			0x20, 0x00,
			0x05,
			0x20, 0x00, 0x41, 0x01, 0x6B, 0x10, 0x00,
			0x20, 0x00, 0x41, 0x02, 0x6B, 0x10, 0x00,
			0x6A,
			0x0B,
			0x0B))),
	)
}

// modEnv exports two globals for modImportedGlobals to import:
//
//	(module (global (export "g0") i32 (i32.const 7)) (global (export "g1") (mut i32) (i32.const 5)))
func modEnv() []byte {
	return mod(
		sec(6, vec(
			[]byte{i32, 0x00, 0x41, 0x07, 0x0B},
			[]byte{i32, 0x01, 0x41, 0x05, 0x0B})),
		sec(7, vec(export("g0", kindGlobal, 0), export("g1", kindGlobal, 1))),
	)
}

// modImportedGlobals imports two globals and defines a third, so the flag must get index 3:
//
//	(module
//	  (import "env" "g0" (global $g0 i32))
//	  (import "env" "g1" (global $g1 (mut i32)))
//	  (memory (export "memory") 1)
//	  (global $g2 (export "g2") (mut i32) (i32.const 11))
//	  (func (export "run") (result i32)
//	    (loop)
//	    (i32.add (i32.add (global.get $g0) (global.get $g1)) (global.get $g2))))
func modImportedGlobals() []byte {
	return mod(
		sec(1, vec(functype(nil, []byte{i32}))),
		sec(2, vec(
			cat(str("env"), str("g0"), []byte{kindGlobal, i32, 0x00}),
			cat(str("env"), str("g1"), []byte{kindGlobal, i32, 0x01}))),
		sec(3, vec(leb(0))),
		sec(5, vec([]byte{0x00, 0x01})),
		sec(6, vec([]byte{i32, 0x01, 0x41, 0x0B, 0x0B})),
		sec(7, vec(export("memory", kindMemory, 0), export("g2", kindGlobal, 2), export("run", kindFunc, 0))),
		sec(10, vec(fn(noLocals,
			0x03, 0x40, 0x0B,
			0x23, 0x00, 0x23, 0x01, 0x6A, 0x23, 0x02, 0x6A,
			0x0B))),
	)
}

// modBlocksIfs has loops inside a block and both arms of an if:
//
//	(module
//	  (func (export "run") (param $n i32) (result i32) (local $c i32)
//	    (block
//	      (if (local.get $n)
//	        (then (loop $l (br_if $l (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 1))) (i32.const 5)))))
//	        (else (loop))))
//	    (local.get $c)))
func modBlocksIfs() []byte {
	return mod(
		sec(1, vec(functype([]byte{i32}, []byte{i32}))),
		sec(3, vec(leb(0))),
		sec(7, vec(export("run", kindFunc, 0))),
		sec(10, vec(fn([]byte{0x01, 0x01, i32},
			0x02, 0x40,
			0x20, 0x00,
			0x04, 0x40,
			0x03, 0x40,
			0x20, 0x01, 0x41, 0x01, 0x6A, 0x22, 0x01, 0x41, 0x05, 0x48, 0x0D, 0x00,
			0x0B,
			0x05,
			0x03, 0x40, 0x0B,
			0x0B,
			0x0B,
			0x20, 0x01,
			0x0B))),
	)
}

// modMultiValue runs a loop whose block type is a type index with two parameters and two results,
// and a block returning two values:
//
//	(module
//	  (type $t0 (func (param i32) (result i32)))
//	  (type $t1 (func (param i32 i32) (result i32 i32)))
//	  (type $t2 (func (result i32 i32)))
//	  (func (export "run") (type $t0) (local $tmp i32)
//	    (i32.const 0) (local.get 0)
//	    (loop (type $t1)            ;; [acc n]
//	      (local.set $tmp)          ;; [acc]
//	      (i32.add (local.get $tmp)) ;; [acc+n]
//	      (local.tee $tmp (i32.sub (local.get $tmp) (i32.const 1))) ;; [acc' n-1]
//	      (br_if 0 (local.get $tmp)))
//	    (drop)
//	    (block (type $t2) (i32.const 1) (i32.const 2))
//	    (drop) (i32.add)))
//
// run(n) = 1 + n(n+1)/2 for n >= 1.
func modMultiValue() []byte {
	return mod(
		sec(1, vec(
			functype([]byte{i32}, []byte{i32}),
			functype([]byte{i32, i32}, []byte{i32, i32}),
			functype(nil, []byte{i32, i32}))),
		sec(3, vec(leb(0))),
		sec(7, vec(export("run", kindFunc, 0))),
		sec(10, vec(fn([]byte{0x01, 0x01, i32},
			0x41, 0x00, 0x20, 0x00,
			0x03, 0x01,
			0x21, 0x01,
			0x20, 0x01, 0x6A,
			0x20, 0x01, 0x41, 0x01, 0x6B, 0x22, 0x01,
			0x20, 0x01, 0x0D, 0x00,
			0x0B,
			0x1A,
			0x02, 0x02, 0x41, 0x01, 0x41, 0x02, 0x0B,
			0x1A, 0x6A,
			0x0B))),
	)
}

// modOrdering has neither a global nor an export section but a table, an element segment, a data
// count section, data and custom sections, so both new sections must be placed between memory and
// element:
//
//	(module
//	  (type (func (result i32)))
//	  (func $f (result i32) (loop) (i32.const 42))
//	  (table 1 funcref)
//	  (memory 1)
//	  ;; custom "between"
//	  (elem (i32.const 0) $f)
//	  ;; datacount 1
//	  (data (i32.const 0) "hi")
//	  ;; custom "name": function 0 is "f")
func modOrdering() []byte {
	return mod(
		sec(1, vec(functype(nil, []byte{i32}))),
		sec(3, vec(leb(0))),
		sec(4, vec([]byte{0x70, 0x00, 0x01})),
		sec(5, vec([]byte{0x00, 0x01})),
		sec(0, str("between"), []byte{1, 2, 3}),
		sec(9, vec(cat([]byte{0x00, 0x41, 0x00, 0x0B}, vec(leb(0))))),
		sec(12, leb(1)),
		sec(10, vec(fn(noLocals, 0x03, 0x40, 0x0B, 0x41, 0x2A, 0x0B))),
		sec(11, vec(cat([]byte{0x00, 0x41, 0x00, 0x0B}, str("hi")))),
		sec(0, str("name"), sec(1, vec(cat(leb(0), str("f"))))),
	)
}

// modTag has a tag section (exception handling) and no global section, to check that the new global
// section goes after the tag section. wazero does not compile it; only the layout is checked.
func modTag() []byte {
	return mod(
		sec(1, vec(functype(nil, nil))),
		sec(3, vec(leb(0))),
		sec(5, vec([]byte{0x00, 0x01})),
		sec(13, vec([]byte{0x00, 0x00})),
		sec(10, vec(fn(noLocals, 0x03, 0x40, 0x0B, 0x0B))),
	)
}

// modExportsFlag already exports a function under GlobalName.
func modExportsFlag() []byte {
	return mod(
		sec(1, vec(functype(nil, nil))),
		sec(3, vec(leb(0))),
		sec(7, vec(export(GlobalName, kindFunc, 0))),
		sec(10, vec(fn(noLocals, 0x0B))),
	)
}

// handModules lists the hand-written modules wazero must compile before and after instrumentation.
var handModules = []struct {
	name  string
	build func() []byte
	funcs int
	loops int
}{
	{"nested loops, no global section", modNestedLoops, 1, 2},
	{"endless loop", modSpin, 1, 1},
	{"env with exported globals, no code", modEnv, 0, 0},
	{"imported globals and existing exports", modImportedGlobals, 1, 1},
	{"loops inside block and if/else", modBlocksIfs, 1, 2},
	{"multi-value block types", modMultiValue, 1, 1},
	{"no global or export section, element, data count, custom sections", modOrdering, 1, 1},
	{"counting loop", modCount, 1, 1},
	{"recursion without loops", modFib, 1, 0},
}
