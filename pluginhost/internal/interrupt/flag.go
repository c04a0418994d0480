package interrupt

import (
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// Flag returns the interrupt flag of an instance of a module returned by Instrument. Setting it to a
// non-zero value (flag.Set(1)), from any goroutine, makes the running call trap with `unreachable`
// at its next loop iteration. The instance must then be treated as dead, as after any trap: the
// guest may have been stopped half-way through updating its own state.
func Flag(mod api.Module) (api.MutableGlobal, error) {
	g := mod.ExportedGlobal(GlobalName)
	if g == nil {
		return nil, fmt.Errorf("interrupt: module %q does not export %s: not instrumented", mod.Name(), GlobalName)
	}
	mg, ok := g.(api.MutableGlobal)
	if !ok || g.Type() != api.ValueTypeI32 {
		return nil, fmt.Errorf("interrupt: module %q exports %s, but not as a mutable i32 global", mod.Name(), GlobalName)
	}
	return mg, nil
}
