package pluginhost

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"

	"github.com/chelseru/chelseru/sdk/abi"
)

// checkCacheDir, when set (by tests), gives Check a compilation cache.
var checkCacheDir string

// Check validates a module fully, as Open would load it: it compiles it,
// instruments it for the time limit, instantiates it, checks its ABI version
// and exports and reads and validates its manifest. It does not configure
// it (that needs the settings). It is what `chelseru plugin check` runs; the
// error is one line.
func Check(ctx context.Context, wasm []byte) (abi.Manifest, error) {
	var cache wazero.CompilationCache
	if checkCacheDir != "" {
		if c, err := wazero.NewCompilationCacheWithDir(checkCacheDir); err == nil {
			cache = c
		}
	}
	eng := newEngines(cache, DefaultMemoryLimitPages, discardLogger)
	defer func() { _ = eng.close(ctx) }()
	m, err := loadModule(ctx, eng, wasm, loadOptions{
		origin: "check", callTimeout: 10 * DefaultCallTimeout, poolSize: 1, logger: discardLogger,
	})
	if err != nil {
		return abi.Manifest{}, fmt.Errorf("invalid plugin: %w", err)
	}
	defer m.discard(ctx)
	return m.manifest, nil
}
