//go:build !wasip1

package ghasedak_test

import (
	"testing"

	"github.com/chelseru/chelseru/pluginhost/plugintest"
	"github.com/chelseru/chelseru/plugins/ghasedak"
)

// The tests in this file run the plugin through the real host; the others
// also build for GOOS=wasip1, so the plugin's own benchmark can run inside a
// wasm runtime (GOOS=wasip1 GOARCH=wasm go test -c).

// TestGolden runs every testdata/*.case natively and through the real host
// with the module built from ./wasm.
func TestGolden(t *testing.T) {
	wasm := ""
	if !testing.Short() {
		wasm = plugintest.BuildWasm(t, "./wasm")
	}
	plugintest.Golden(t, "testdata", ghasedak.New, wasm)
}

// BenchmarkSendWasm measures the same OTP send through the real host with
// the module built from ./wasm (in-process HTTP, no network).
func BenchmarkSendWasm(b *testing.B) {
	cases, err := plugintest.LoadCases("testdata")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		if c.Name == "otp_ok" {
			plugintest.BenchmarkHost(b, plugintest.BuildWasm(b, "./wasm"), c)
			return
		}
	}
	b.Fatal("no otp_ok case")
}
