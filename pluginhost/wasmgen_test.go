package pluginhost

import "github.com/chelseru/chelseru/sdk/abi"

// A tiny WebAssembly assembler for hostile test modules: a complete,
// well-formed plugin of ABI 1 whose entry points answer correctly, unless a
// test replaces one body with misbehaviour (spin, recursion, log flood, ...).
// Written as bytes so that each module is a few hundred bytes and does
// exactly what its test says, with no toolchain in between.

// Function indices of a wasmPlugin (import 0 is chelseru.log).
const (
	fnLog = iota
	fnVersion
	fnAlloc
	fnManifest
	fnConfigure
	fnSend
	fnResponse
	fnInit  // exported as _initialize when wasmPlugin.initialize
	fnStart // the start function when wasmPlugin.start
)

// Fixed memory layout of a wasmPlugin.
const (
	wgManifestAt = 1024
	wgConfigAt   = 8192
	wgActionAt   = 12288
	wgLogAt      = 16384 // 4096 bytes of 'A' for log floods
	wgAllocAt    = 65536
	wgPages      = 3
)

// wasmPlugin describes a hand-made plugin. Zero bodies are the correct ones.
type wasmPlugin struct {
	name       string
	initialize bool // export _initialize (body: init, default nothing)
	start      bool // add a wasm start section running start
	// Bodies: instructions only, without locals or the final end.
	version, alloc, manifest, configure, send, response, init, startBody []byte
	extraBytes int // a custom section of this many bytes (oversized modules)
}

// Instruction snippets.
var (
	// spin: loop br 0 end unreachable (valid for any result type).
	wgSpin = []byte{0x03, 0x40, 0x0C, 0x00, 0x0B, 0x00}
	// logFlood: loop { log(1, wgLogAt, 4096); br 0 } unreachable.
	wgLogFlood = concat([]byte{0x03, 0x40}, wgI32(1), wgI32(wgLogAt), wgI32(4096), []byte{0x10, fnLog, 0x0C, 0x00, 0x0B, 0x00})
	// trap: unreachable.
	wgTrap = []byte{0x00}
)

// wgRecurse calls function f with its own parameters (nparams i32 locals), forever.
func wgRecurse(f byte, nparams int) []byte {
	var b []byte
	for i := 0; i < nparams; i++ {
		b = append(b, 0x20, byte(i)) // local.get i
	}
	return append(b, 0x10, f)
}

// wgLogN logs n lines (a counted loop over local 2, an extra i32 local), then runs rest.
func wgLogN(n int32, rest []byte) []byte {
	// local 2 is declared by the body encoder for configure/send (see localsFor).
	b := []byte{0x41}
	b = append(b, sleb(int64(n))...)
	b = append(b, 0x21, 0x02)       // local.set 2
	b = append(b, 0x03, 0x40)       // loop
	b = append(b, 0x41, 0x01)       // level info
	b = append(b, wgI32(wgLogAt)...) // ptr
	b = append(b, wgI32(64)...)  // len
	b = append(b, 0x10, fnLog)
	b = append(b, 0x20, 0x02, 0x41, 0x01, 0x6B, 0x22, 0x02) // local.get 2; i32.const 1; i32.sub; local.tee 2
	b = append(b, 0x0D, 0x00, 0x0B)                         // br_if 0; end
	return append(b, rest...)
}

func wgI32(v int32) []byte { return append([]byte{0x41}, sleb(int64(v))...) }

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func wgI64(v int64) []byte { return append([]byte{0x42}, sleb(v)...) }

func packed(ptr, n int) int64 { return int64(ptr)<<32 | int64(n) }

func sleb(v int64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func uleb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func vec(items ...[]byte) []byte {
	b := uleb(uint64(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

func section(id byte, body []byte) []byte {
	return append(append([]byte{id}, uleb(uint64(len(body)))...), body...)
}

func name(s string) []byte { return append(uleb(uint64(len(s))), s...) }

// build returns the module's bytes.
func (p wasmPlugin) build() []byte {
	if p.name == "" {
		p.name = "HANDMADE"
	}
	man := abi.AppendManifest(nil, &abi.Manifest{ABI: abi.Version, Name: p.name, Version: "1", Text: true, Hosts: []string{"allowed.example"}})
	conf := abi.AppendConfigureResult(nil, &abi.ConfigureResult{})
	act := abi.AppendAction(nil, &abi.Action{Result: &abi.Result{OK: true, MessageID: "fine"}})
	def := func(b, d []byte) []byte {
		if b == nil {
			return d
		}
		return b
	}
	bodies := [][]byte{
		def(p.version, wgI32(abi.Version)),
		def(p.alloc, wgI32(wgAllocAt)),
		def(p.manifest, wgI64(packed(wgManifestAt, len(man)))),
		def(p.configure, wgI64(packed(wgConfigAt, len(conf)))),
		def(p.send, wgI64(packed(wgActionAt, len(act)))),
		def(p.response, wgI64(packed(wgActionAt, len(act)))),
		def(p.init, nil),
		def(p.startBody, nil),
	}
	// Types: 0 ()->i32, 1 (i32)->i32, 2 ()->i64, 3 (i32,i32)->i64, 4 ()->(), 5 (i32,i32,i32)->().
	const i32t, i64t = 0x7F, 0x7E
	ft := func(params, results []byte) []byte {
		return append(append([]byte{0x60}, vec(bytesOf(params)...)...), vec(bytesOf(results)...)...)
	}
	types := vec(ft(nil, []byte{i32t}), ft([]byte{i32t}, []byte{i32t}), ft(nil, []byte{i64t}),
		ft([]byte{i32t, i32t}, []byte{i64t}), ft(nil, nil), ft([]byte{i32t, i32t, i32t}, nil))
	imports := vec(append(append(name(abi.HostModule), name(abi.ImportLog)...), 0x00, 5))
	funcTypes := []byte{0, 1, 2, 3, 3, 3, 4, 4}
	funcs := vec(bytesOf(funcTypes)...)
	mem := vec(append([]byte{0x00}, uleb(wgPages)...))
	exp := func(n string, idx byte) []byte { return append(append(name(n), 0x00), idx) }
	exports := [][]byte{
		exp(abi.ExportVersion, fnVersion), exp(abi.ExportAlloc, fnAlloc), exp(abi.ExportManifest, fnManifest),
		exp(abi.ExportConfigure, fnConfigure), exp(abi.ExportSend, fnSend), exp(abi.ExportResponse, fnResponse),
		append(name("memory"), 0x02, 0x00),
	}
	if p.initialize {
		exports = append(exports, exp("_initialize", fnInit))
	}
	var code [][]byte
	for i, b := range bodies {
		locals := []byte{0x00}
		if funcTypes[i] == 3 {
			locals = []byte{0x01, 0x01, i32t} // one extra i32 local (index 2)
		}
		body := append(append(locals, b...), 0x0B)
		code = append(code, append(uleb(uint64(len(body))), body...))
	}
	seg := func(at int, data []byte) []byte {
		return append(append(append([]byte{0x00}, wgI32(int32(at))...), 0x0B), append(uleb(uint64(len(data))), data...)...)
	}
	fill := make([]byte, 4096)
	for i := range fill {
		fill[i] = 'A'
	}
	data := vec(seg(wgManifestAt, man), seg(wgConfigAt, conf), seg(wgActionAt, act), seg(wgLogAt, fill))

	out := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	out = append(out, section(1, types)...)
	out = append(out, section(2, imports)...)
	out = append(out, section(3, funcs)...)
	out = append(out, section(5, mem)...)
	out = append(out, section(7, vec(exports...))...)
	if p.start {
		out = append(out, section(8, []byte{fnStart})...)
	}
	out = append(out, section(10, vec(code...))...)
	out = append(out, section(11, data)...)
	if p.extraBytes > 0 {
		pad := make([]byte, p.extraBytes)
		out = append(out, section(0, append(name("padding"), pad...))...)
	}
	return out
}

func bytesOf(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}
