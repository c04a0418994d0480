//go:build wasip1

package sdk

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/chelseru/chelseru/sdk/abi"
)

// maxPanicText bounds the panic text a Result carries.
const maxPanicText = 400

// panicText describes a recovered panic value v in one line, with the first
// frame outside the runtime (where the plugin's code panicked) when known.
// It is called from the deferred recover, so the panicking frames are still
// on the stack.
func panicText(v any) string {
	msg := "panic: " + fmt.Sprint(v)
	var pcs [32]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if f.Function != "" && !strings.HasPrefix(f.Function, "runtime.") &&
			!strings.HasPrefix(f.Function, "github.com/chelseru/chelseru/sdk.") {
			msg += fmt.Sprintf(" (at %s %s:%d)", f.Function, trimPath(f.File), f.Line)
			break
		}
		if !more {
			break
		}
	}
	msg = strings.ReplaceAll(msg, "\n", " ")
	if len(msg) > maxPanicText {
		msg = msg[:maxPanicText]
	}
	return msg
}

// trimPath keeps the last two elements of a source path.
func trimPath(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		if j := strings.LastIndexByte(p[:i], '/'); j >= 0 {
			return p[j+1:]
		}
	}
	return p
}

// panicAction is the action answering a send or response whose plugin code
// panicked with v: a ClassPlugin Result keeping the panic's text, instead
// of the trap ("wasm error: unreachable") an unrecovered panic becomes.
func panicAction(v any) abi.Action {
	return abi.Action{Result: &abi.Result{Class: abi.ClassPlugin, Code: abi.CodePanic, Text: panicText(v)}}
}
