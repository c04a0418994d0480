package echo_test

import (
	"testing"

	echo "github.com/chelseru/chelseru/examples/go-plugin"
	"github.com/chelseru/chelseru/pluginhost/plugintest"
)

// TestGolden runs the recorded exchanges in testdata natively and through
// the real host with the module built from ./wasm.
func TestGolden(t *testing.T) {
	plugintest.Golden(t, "testdata", echo.New, plugintest.BuildWasm(t, "./wasm"))
}
