package pluginhost

import (
	"crypto/rand"
	"path/filepath"

	"github.com/tetratelabs/wazero"
)

// guestConfig is what an instance sees of the host through WASI
// (docs/plugin-abi.md § WASI): no files, environment or arguments; random
// bytes from crypto/rand; the real wall clock and monotonic clock (a
// provider may sign requests with a nonce or a timestamp); sleeps return at
// once (a sleep would hold the call past its time limit, where no interrupt
// check runs); stdout and stderr to the server log at debug level, tagged
// and budgeted (guestOutput). No start function runs at instantiation.
func guestConfig(in *instance) wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions().
		WithRandSource(rand.Reader).
		WithSysWalltime().
		WithSysNanotime().
		WithStdout(&guestOutput{in: in, stream: "stdout"}).
		WithStderr(&guestOutput{in: in, stream: "stderr"})
}

// label names the module in log lines: its manifest name once read, else
// its file (or "built-in") while it is being loaded.
func (m *module) label() string {
	if m.name != "" {
		return m.name
	}
	if m.origin == "built-in" || m.origin == "check" {
		return m.origin
	}
	return filepath.Base(m.origin)
}
