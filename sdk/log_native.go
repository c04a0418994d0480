//go:build !wasip1

package sdk

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/chelseru/chelseru/sdk/abi"
)

// nativeLog receives Log calls when a plugin's logic runs natively (tests,
// benchmarks, sdk/plugintest).
var nativeLog atomic.Pointer[func(level int, msg string)]

// SetNativeLog directs Log, when the plugin runs natively rather than as a
// wasm module, to f; nil restores the default (slog.Default). It exists for
// tests and benchmarks; it is not part of the ABI.
func SetNativeLog(f func(level int, msg string)) {
	if f == nil {
		nativeLog.Store(nil)
		return
	}
	nativeLog.Store(&f)
}

// Log writes one line to the server log at level (abi.LogDebug … abi.LogError).
// Natively it goes to the function set with SetNativeLog, or to slog.Default.
func Log(level int, msg string) {
	if f := nativeLog.Load(); f != nil {
		(*f)(level, msg)
		return
	}
	slog.Default().Log(context.Background(), SlogLevel(level), msg, "source", "plugin")
}

// SlogLevel maps an ABI log level (abi.LogDebug … abi.LogError) to a slog
// level; unknown levels are Info. The host logs plugin lines with it too.
func SlogLevel(level int) slog.Level {
	switch level {
	case abi.LogDebug:
		return slog.LevelDebug
	case abi.LogWarn:
		return slog.LevelWarn
	case abi.LogError:
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}
