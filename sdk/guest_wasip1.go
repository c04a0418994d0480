//go:build wasip1

package sdk

import (
	"errors"
	"runtime"
	"runtime/debug"
	"unsafe"

	"github.com/chelseru/chelseru/sdk/abi"
)

// This file is the guest half of the ABI (docs/plugin-abi.md): the exports
// the host calls and the one host import. It is compiled only for
// GOOS=wasip1.
//
// Memory ownership:
//   - chelseru_alloc(n) returns a buffer of at least n bytes owned by the SDK.
//     The host writes one input there and passes (ptr, len) to one call. The
//     buffer stays put until the next chelseru_alloc, so the host may reuse it
//     for later inputs of at most n bytes without calling chelseru_alloc again.
//   - Every call returns its output packed as ptr<<32 | len. The output lives
//     in an SDK buffer that stays valid until the next call into the instance;
//     the host copies or decodes it before calling again.

// maxInput bounds one input; a larger chelseru_alloc returns 0.
const maxInput = 64 << 20

var (
	registered Plugin
	inBuf      []byte // the chelseru_alloc buffer
	outBuf     []byte // the last output
	// The decoded inputs, reused from call to call: their strings alias
	// inBuf and their slices keep their backing arrays (see Plugin).
	msgIn  abi.Message
	respIn abi.Response
	// actions encodes the outputs of send and response, reusing the
	// encoding of a request's method, URL and headers from call to call.
	actions abi.ActionEncoder
)

// The Go runtime in a wasm instance runs only while the host is inside one of
// its exports, on the export's goroutine: its background goroutines (the GC's
// mark workers, the sweeper) get the CPU only when that goroutine yields. The
// runtime's clocks are the host's fake ones, so the GC's CPU limiter can
// believe the GC is using most of the CPU and switch off mark assists; a GC
// cycle then never finishes, the heap grows past the host's memory cap and
// the instance dies ("out of memory", seen under load). So the SDK yields
// every yieldEvery calls, which lets a pending cycle finish, and sets a soft
// memory limit well below the host's cap so the GC works harder before the
// cap is reached. Measured: no cost within the noise of a send.
const (
	yieldEvery    = 16
	gcMemoryLimit = 16 << 20 // half the host's default 32 MiB cap
)

var calls uint32

func init() { debug.SetMemoryLimit(gcMemoryLimit) }

// done ends every call that allocates: it lets the runtime's background
// goroutines run now and then (see yieldEvery).
func done() {
	calls++
	if calls%yieldEvery == 0 {
		runtime.Gosched()
	}
}

// Register makes p the plugin this module serves. Call it from an init
// function of the main package: a -buildmode=c-shared module (a WASI reactor)
// runs package initialisers in _initialize but never runs main.main. It panics
// when p is nil or a plugin is already registered: a module serves one plugin.
func Register(p Plugin) { register(&registered, p) }

func plugin() Plugin {
	if registered == nil {
		panic("sdk: no plugin registered: call sdk.Register from an init function")
	}
	return registered
}

//go:wasmexport chelseru_abi_version
func exportVersion() int32 { return abi.Version }

//go:wasmexport chelseru_alloc
func exportAlloc(size int32) uint32 {
	if size < 0 || size > maxInput {
		return 0
	}
	if size == 0 {
		size = 1
	}
	if int(size) > cap(inBuf) {
		inBuf = make([]byte, size)
	}
	inBuf = inBuf[:cap(inBuf)]
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(inBuf))))
}

// input returns the bytes the host wrote for this call, checking that they
// lie in the chelseru_alloc buffer.
func input(ptr, n uint32) []byte {
	if len(inBuf) == 0 || uintptr(ptr) != uintptr(unsafe.Pointer(unsafe.SliceData(inBuf))) || int(n) > len(inBuf) {
		panic("sdk: input outside the chelseru_alloc buffer")
	}
	return inBuf[:n]
}

// output records b as the last output and packs it for the host.
func output(b []byte) uint64 {
	outBuf = b
	if len(b) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))<<32 | uint64(len(b))
}

//go:wasmexport chelseru_manifest
func exportManifest() uint64 {
	m := plugin().Manifest()
	if m.ABI == 0 {
		m.ABI = abi.Version
	}
	return output(abi.AppendManifest(outBuf[:0], &m))
}

//go:wasmexport chelseru_configure
func exportConfigure(ptr, n uint32) uint64 {
	var c abi.Configure
	var res abi.ConfigureResult
	if err := abi.DecodeConfigure(input(ptr, n), &c); err != nil {
		res.Error = "configure input: " + err.Error()
	} else if err := configure(c.Settings); err != nil {
		res.Error = err.Error()
	}
	return output(abi.AppendConfigureResult(outBuf[:0], &res))
}

//go:wasmexport chelseru_send
func exportSend(ptr, n uint32) uint64 {
	if err := abi.DecodeMessageView(input(ptr, n), &msgIn); err != nil {
		panic("sdk: send input: " + err.Error())
	}
	a := send(msgIn)
	defer done()
	return output(actions.Append(outBuf[:0], &a))
}

//go:wasmexport chelseru_response
func exportResponse(ptr, n uint32) uint64 {
	if err := abi.DecodeResponseView(input(ptr, n), &respIn); err != nil {
		panic("sdk: response input: " + err.Error())
	}
	a := response(respIn)
	defer done()
	return output(actions.Append(outBuf[:0], &a))
}

// configure, send and response call the plugin, turning a panic in its
// code into an error (configure) or a ClassPlugin Result that keeps the
// panic's text (see panicAction).
func configure(settings map[string]string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errors.New("plugin " + panicText(v))
		}
	}()
	return plugin().Configure(settings)
}

func send(m abi.Message) (a abi.Action) {
	defer func() {
		if v := recover(); v != nil {
			a = panicAction(v)
		}
	}()
	return plugin().Send(m)
}

func response(r abi.Response) (a abi.Action) {
	defer func() {
		if v := recover(); v != nil {
			a = panicAction(v)
		}
	}()
	return plugin().Response(r)
}

//go:wasmimport chelseru log
//go:noescape
func hostLog(level int32, ptr unsafe.Pointer, n int32)

// Log writes one line to the server log at level (abi.LogDebug … abi.LogError).
// Never log secrets: the host logs what it is given. Lines are truncated by
// the host (see docs/plugin-abi.md).
func Log(level int, msg string) {
	if len(msg) == 0 {
		return
	}
	hostLog(int32(level), unsafe.Pointer(unsafe.StringData(msg)), int32(len(msg)))
}
