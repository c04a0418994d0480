package interrupt

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
)

// fuzzRuntimes holds one runtime per engine for the fuzz target: the optimising compiler for small
// inputs and the interpreter, whose CompileModule runs the same decoder and validator far faster,
// for large ones such as the Go guest seed.
var fuzzRuntimes = sync.OnceValues(func() (wazero.Runtime, wazero.Runtime) {
	ctx := context.Background()
	return wazero.NewRuntime(ctx), wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
})

// compiles reports whether wazero accepts b.
func compiles(b []byte) bool {
	compiler, interpreter := fuzzRuntimes()
	rt := compiler
	if len(b) > 256<<10 {
		rt = interpreter
	}
	ctx := context.Background()
	cm, err := rt.CompileModule(ctx, b)
	if err != nil {
		return false
	}
	_ = cm.Close(ctx)
	return true
}

// FuzzInstrument checks that Instrument never panics, that it returns either output or an error
// wrapping one of its sentinels, that its output is refused as already instrumented, and that
// whenever wazero compiles the input, it also compiles the output.
func FuzzInstrument(f *testing.F) {
	for _, m := range handModules {
		f.Add(m.build())
	}
	f.Add(modTag())
	f.Add(modExportsFlag())
	f.Add(goGuest)
	if c, err := cGuest(); err == nil {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Instrument(in)
		if err != nil {
			if out != nil {
				t.Fatal("output returned with an error")
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrAlreadyInstrumented) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if _, err := Instrument(out); !errors.Is(err, ErrAlreadyInstrumented) {
			t.Fatalf("second pass: %v, want ErrAlreadyInstrumented", err)
		}
		if compiles(in) && !compiles(out) {
			compiler, _ := fuzzRuntimes()
			_, err := compiler.CompileModule(context.Background(), out)
			t.Fatalf("input compiles, output does not: %v", err)
		}
	})
}
