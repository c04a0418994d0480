package interrupt

import (
	"context"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
)

// modDepth exports down(n), which recurses n deep and returns 0:
//
//	(func $down (param i32) (result i32)
//	  (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
//	    (else (call $down (i32.sub (local.get 0) (i32.const 1))))))
func modDepth() []byte {
	return mod(
		sec(1, vec(functype([]byte{i32}, []byte{i32}))),
		sec(3, vec(leb(0))),
		sec(7, vec(export("down", kindFunc, 0))),
		sec(10, vec(fn(noLocals,
			0x20, 0x00, 0x45,
			0x04, i32,
			0x41, 0x00,
			0x05,
			0x20, 0x00, 0x41, 0x01, 0x6B, 0x10, 0x00,
			0x0B,
			0x0B))),
	)
}

// TestCallDepthCapped: recursion deeper than MaxCallDepth traps at once
// (instead of growing wazero's stack towards 400 MB), recursion within it
// returns, and the count goes back down on return, so repeated calls at
// nearly the cap keep working.
func TestCallDepthCapped(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	out, err := Instrument(modDepth())
	if err != nil {
		t.Fatal(err)
	}
	m, err := rt.Instantiate(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	down := m.ExportedFunction("down")
	for range 3 {
		if _, err := down.Call(ctx, MaxCallDepth-1); err != nil {
			t.Fatalf("down(%d): %v", MaxCallDepth-1, err)
		}
	}
	if _, err := down.Call(ctx, 1<<30); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("down(2^30): %v, want an unreachable trap at the depth cap", err)
	}
}
