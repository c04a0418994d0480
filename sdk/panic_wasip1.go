//go:build wasip1

package sdk

import (
	"reflect"
	"runtime"
	"strconv"
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
	msg := "panic: " + panicValue(v)
	var pcs [32]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if f.Function != "" && !strings.HasPrefix(f.Function, "runtime.") &&
			!strings.HasPrefix(f.Function, "github.com/chelseru/chelseru/sdk.") {
			msg += " (at " + f.Function + " " + trimPath(f.File) + ":" + strconv.Itoa(f.Line) + ")"
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

// panicValue is a panic value as text, without fmt (which would add ~0.35
// MB to every plugin module, and ~2 MB to each instance's compiled code and
// host memory): strings, errors, Stringers and numbers as fmt prints them,
// other values by their type.
func panicValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case error:
		return x.Error()
	case interface{ String() string }:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint:
		return strconv.FormatUint(uint64(x), 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case nil:
		return "nil"
	}
	return "(a value of type " + reflect.TypeOf(v).String() + ")"
}
