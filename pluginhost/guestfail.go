package pluginhost

import (
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"

	"github.com/chelseru/chelseru/sdk/abi"
)

// maxGuestFailureText bounds the text of a plugin's own failure kept in the
// error (and so in the log).
const maxGuestFailureText = 400

// guestFailure is the error for a Result of class abi.ClassPlugin: the
// plugin reports a failure of its own code (the Go SDK does so for a
// panic, with the panic's text). It is a plugin failure like a trap, but
// keeps the plugin's words for the log; the client sees only the generic
// plugin error.
func guestFailure(r *abi.Result) error {
	code := truncate(r.Code, 64)
	if code == "" {
		code = "plugin_error"
	}
	return &pluginError{msg: "plugin failed in its own code (" + code + ")",
		err: errors.New(truncate(r.Text, maxGuestFailureText))}
}

// reactorHint is the one-line hint for a module built as a WASI command (it
// exports _start and no _initialize): its runtime is never initialised for
// the host's calls, which then trap. Go builds a command unless told
// -buildmode=c-shared.
const reactorHint = "module is a WASI command (it exports _start, not _initialize): build it as a reactor " +
	"(Go: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared; C: clang -mexec-model=reactor; Rust: --crate-type cdylib)"

// checkReactor refuses a module that exports _start and not _initialize,
// with reactorHint.
func checkReactor(exports map[string]api.FunctionDefinition) error {
	_, start := exports["_start"]
	_, init := exports["_initialize"]
	if start && !init {
		return fmt.Errorf("%s", reactorHint)
	}
	return nil
}
