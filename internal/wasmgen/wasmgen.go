// Package wasmgen assembles small, complete chelseru plugins (ABI 1) byte
// by byte, for tests: each entry point answers correctly unless a test
// replaces its body with misbehaviour (spin, recursion, log flood, trap).
// No toolchain is involved, so each module is a few hundred bytes and does
// exactly what its test says.
package wasmgen

import "github.com/chelseru/chelseru/sdk/abi"

// Function indices of a Plugin (import 0 is chelseru.log).
const (
	FnLog = iota
	FnVersion
	FnAlloc
	FnManifest
	FnConfigure
	FnSend
	FnResponse
	FnInit  // exported as _initialize when Plugin.initialize
	FnStart // the start function when Plugin.start
)

// Fixed memory layout of a Plugin.
const (
	ManifestAt = 1024
	ConfigAt   = 8192
	ActionAt   = 12288
	LogAt      = 16384 // 4096 bytes of 'A' for log floods
	AllocAt    = 65536
	Pages      = 3
)

// Plugin describes a hand-made plugin. Zero bodies are the correct ones.
type Plugin struct {
	Name       string // manifest name (default HANDMADE)
	Initialize bool   // export _initialize (body: Init, default nothing)
	Start      bool   // add a wasm start section running StartBody
	// Bodies: instructions only, without locals or the final end. The
	// (ptr, len) entries have one extra i32 local, index 2.
	Version, Alloc, Manifest, Configure, Send, Response, Init, StartBody []byte

	// ExtraBytes adds a custom section of this many bytes (oversized modules).
	ExtraBytes int
}

// Instruction snippets.
var (
	// Spin is loop br 0 end unreachable (valid for any result type).
	Spin = []byte{0x03, 0x40, 0x0C, 0x00, 0x0B, 0x00}
	// LogFlood is loop { log(1, LogAt, 4096); br 0 } unreachable.
	LogFlood = concat([]byte{0x03, 0x40}, I32(1), I32(LogAt), I32(4096), []byte{0x10, FnLog, 0x0C, 0x00, 0x0B, 0x00})
	// Trap is unreachable.
	Trap = []byte{0x00}
	// GrowAndTrap grows memory 16 pages at a time until the cap refuses,
	// writes every byte of it, then traps.
	GrowAndTrap = []byte{
		0x02, 0x40, 0x03, 0x40, // block loop
		0x41, 0x10, 0x40, 0x00, 0x41, 0x7F, 0x46, 0x0D, 0x01, // memory.grow 16 == -1: br_if out
		0x0C, 0x00, 0x0B, 0x0B, // br 0; end; end
		0x41, 0x00, 0x41, 0x01, 0x3F, 0x00, 0x41, 0x10, 0x74, // 0, 1, memory.size << 16
		0xFC, 0x0B, 0x00, // memory.fill
		0x00, // unreachable
	}
)

// Recurse calls function f with its own parameters (nparams i32 locals), forever.
func Recurse(f byte, nparams int) []byte {
	var b []byte
	for i := 0; i < nparams; i++ {
		b = append(b, 0x20, byte(i)) // local.get i
	}
	return append(b, 0x10, f)
}

// LogN logs n lines (a counted loop over local 2, an extra i32 local), then runs rest.
func LogN(n int32, rest []byte) []byte {
	// Local 2 is the extra local of the (ptr, len) entries.
	b := []byte{0x41}
	b = append(b, sleb(int64(n))...)
	b = append(b, 0x21, 0x02)    // local.set 2
	b = append(b, 0x03, 0x40)    // loop
	b = append(b, 0x41, 0x01)    // level info
	b = append(b, I32(LogAt)...) // ptr
	b = append(b, I32(64)...)    // len
	b = append(b, 0x10, FnLog)
	b = append(b, 0x20, 0x02, 0x41, 0x01, 0x6B, 0x22, 0x02) // local.get 2; i32.const 1; i32.sub; local.tee 2
	b = append(b, 0x0D, 0x00, 0x0B)                         // br_if 0; end
	return append(b, rest...)
}

// I32 is i32.const v.
func I32(v int32) []byte { return append([]byte{0x41}, sleb(int64(v))...) }

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// I64 is i64.const v.
func I64(v int64) []byte { return append([]byte{0x42}, sleb(v)...) }

// Packed is an entry's (ptr<<32 | len) result.
func Packed(ptr, n int) int64 { return int64(ptr)<<32 | int64(n) }

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

// Build returns the module's bytes.
func (p Plugin) Build() []byte {
	if p.Name == "" {
		p.Name = "HANDMADE"
	}
	man := abi.AppendManifest(nil, &abi.Manifest{ABI: abi.Version, Name: p.Name, Version: "1", Text: true, Templates: true, Hosts: []string{"allowed.example"}})
	conf := abi.AppendConfigureResult(nil, &abi.ConfigureResult{})
	act := abi.AppendAction(nil, &abi.Action{Result: &abi.Result{OK: true, MessageID: "fine"}})
	def := func(b, d []byte) []byte {
		if b == nil {
			return d
		}
		return b
	}
	bodies := [][]byte{
		def(p.Version, I32(abi.Version)),
		def(p.Alloc, I32(AllocAt)),
		def(p.Manifest, I64(Packed(ManifestAt, len(man)))),
		def(p.Configure, I64(Packed(ConfigAt, len(conf)))),
		def(p.Send, I64(Packed(ActionAt, len(act)))),
		def(p.Response, I64(Packed(ActionAt, len(act)))),
		def(p.Init, nil),
		def(p.StartBody, nil),
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
	mem := vec(append([]byte{0x00}, uleb(Pages)...))
	exp := func(n string, idx byte) []byte { return append(append(name(n), 0x00), idx) }
	exports := [][]byte{
		exp(abi.ExportVersion, FnVersion), exp(abi.ExportAlloc, FnAlloc), exp(abi.ExportManifest, FnManifest),
		exp(abi.ExportConfigure, FnConfigure), exp(abi.ExportSend, FnSend), exp(abi.ExportResponse, FnResponse),
		append(name("memory"), 0x02, 0x00),
	}
	if p.Initialize {
		exports = append(exports, exp("_initialize", FnInit))
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
		return append(append(append([]byte{0x00}, I32(int32(at))...), 0x0B), append(uleb(uint64(len(data))), data...)...)
	}
	fill := make([]byte, 4096)
	for i := range fill {
		fill[i] = 'A'
	}
	data := vec(seg(ManifestAt, man), seg(ConfigAt, conf), seg(ActionAt, act), seg(LogAt, fill))

	out := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	out = append(out, section(1, types)...)
	out = append(out, section(2, imports)...)
	out = append(out, section(3, funcs)...)
	out = append(out, section(5, mem)...)
	out = append(out, section(7, vec(exports...))...)
	if p.Start {
		out = append(out, section(8, []byte{FnStart})...)
	}
	out = append(out, section(10, vec(code...))...)
	out = append(out, section(11, data)...)
	if p.ExtraBytes > 0 {
		pad := make([]byte, p.ExtraBytes)
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
