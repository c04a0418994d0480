//go:build !wasip1

package sdk

import (
	"log/slog"
	"testing"

	"github.com/chelseru/chelseru/sdk/abi"
)

// TestSlogLevel: every ABI level maps to its slog level, anything else to Info.
func TestSlogLevel(t *testing.T) {
	for level, want := range map[int]slog.Level{
		abi.LogDebug: slog.LevelDebug, abi.LogInfo: slog.LevelInfo, abi.LogWarn: slog.LevelWarn,
		abi.LogError: slog.LevelError, 7: slog.LevelInfo, -1: slog.LevelInfo,
	} {
		if got := SlogLevel(level); got != want {
			t.Errorf("SlogLevel(%d) = %v, want %v", level, got, want)
		}
	}
}
