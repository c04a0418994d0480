package interrupt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// goGuest is testdata/guest built for wasip1 as a reactor by TestMain.
var goGuest []byte

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "interrupt-guest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "guest.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, ".")
	cmd.Dir = filepath.Join("testdata", "guest")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build Go guest: %v\n%s", err, b)
		return 1
	}
	if goGuest, err = os.ReadFile(out); err != nil {
		fmt.Fprintln(os.Stderr, "read Go guest:", err)
		return 1
	}
	return m.Run()
}

// guestRuntime returns a runtime with WASI for Go guests; config may be nil for the default.
func guestRuntime(tb testing.TB, config wazero.RuntimeConfig) wazero.Runtime {
	tb.Helper()
	ctx := context.Background()
	if config == nil {
		config = wazero.NewRuntimeConfig()
	}
	rt := wazero.NewRuntimeWithConfig(ctx, config)
	tb.Cleanup(func() { rt.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	return rt
}

// instantiateGuest compiles and instantiates a reactor module, running _initialize if present.
func instantiateGuest(tb testing.TB, rt wazero.Runtime, wasm []byte) api.Module {
	tb.Helper()
	ctx := context.Background()
	cm, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		tb.Fatalf("compile: %v", err)
	}
	cfg := wazero.NewModuleConfig().WithName("")
	if _, ok := cm.ExportedFunctions()["_initialize"]; ok {
		cfg = cfg.WithStartFunctions("_initialize")
	}
	m, err := rt.InstantiateModule(ctx, cm, cfg)
	if err != nil {
		tb.Fatalf("instantiate: %v", err)
	}
	tb.Cleanup(func() { m.Close(ctx) })
	return m
}

// call calls an exported function and fails the test on error.
func call(tb testing.TB, m api.Module, name string, params ...uint64) uint64 {
	tb.Helper()
	f := m.ExportedFunction(name)
	if f == nil {
		tb.Fatalf("no export %q", name)
	}
	res, err := f.Call(context.Background(), params...)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	if len(res) == 0 {
		return 0
	}
	return res[0]
}

// expectedWorkLen computes natively what the guest's work function returns: the length of the
// form encoding of its request.
func expectedWorkLen(t *testing.T) int {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "guest", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(src, []byte("[]byte(`")) + len("[]byte(`")
	end := bytes.Index(src[start:], []byte("`)")) + start
	dec := json.NewDecoder(bytes.NewReader(src[start:end]))
	dec.UseNumber()
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	for k, v := range fields {
		form.Set(k, fmt.Sprint(v))
	}
	return len(form.Encode())
}

func TestGoGuest(t *testing.T) {
	out, err := Instrument(goGuest)
	if err != nil {
		t.Fatalf("Instrument(Go guest): %v", err)
	}
	t.Logf("Go guest: %d bytes, instrumented %d bytes (+%.1f%%)", len(goGuest), len(out),
		100*float64(len(out)-len(goGuest))/float64(len(goGuest)))
	rt := guestRuntime(t, nil)
	plain := instantiateGuest(t, rt, goGuest)
	m := instantiateGuest(t, rt, out)

	want := expectedWorkLen(t)
	for _, mod := range []api.Module{plain, m} {
		if got := int32(call(t, mod, "add", 2, 3)); got != 5 {
			t.Fatalf("add(2, 3) = %d", got)
		}
		if got := int32(call(t, mod, "add", api.EncodeI32(-7), 3)); got != -4 {
			t.Fatalf("add(-7, 3) = %d", got)
		}
		for i := 0; i < 100; i++ {
			if got := int32(call(t, mod, "work")); got != int32(want) {
				t.Fatalf("work() = %d, want %d", got, want)
			}
		}
	}

	addr := uint32(call(t, m, "counter_addr"))
	running := func() bool {
		v, ok := m.Memory().ReadUint64Le(addr)
		return ok && v > 0
	}
	stopsWithTrap(t, m, "spin", running)
}

// cGuest builds testdata/c/spin.c once, or reports why it cannot.
var cGuest = sync.OnceValues(func() ([]byte, error) {
	targets, err := exec.Command("clang", "--print-targets").Output()
	if err != nil {
		return nil, fmt.Errorf("clang not available: %w", err)
	}
	if !strings.Contains(string(targets), "wasm32") {
		return nil, fmt.Errorf("clang has no wasm32 target")
	}
	dir, err := os.MkdirTemp("", "interrupt-c-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "spin.wasm")
	cmd := exec.Command("clang", "--target=wasm32-wasi", "-O2", "-nostdlib", "-Wl,--no-entry",
		"-o", out, filepath.Join("testdata", "c", "spin.c"))
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("clang: %w\n%s", err, b)
	}
	return os.ReadFile(out)
})

func TestCGuest(t *testing.T) {
	wasm, err := cGuest()
	if err != nil {
		t.Skipf("skipping the C guest: %v (install clang and lld with wasm32 support)", err)
	}
	out, err := Instrument(wasm)
	if err != nil {
		t.Fatalf("Instrument(C guest): %v", err)
	}
	rt := guestRuntime(t, nil)
	m := instantiateGuest(t, rt, out)
	for _, n := range []int32{0, 1, 10, 300} {
		want := int32(0)
		for i := int32(0); i < n; i++ {
			for j := int32(0); j <= i; j++ {
				want += j ^ i
			}
		}
		if got := int32(call(t, m, "sum", uint64(n))); got != want {
			t.Fatalf("sum(%d) = %d, want %d", n, got, want)
		}
	}
	if got := call(t, m, "fib", 20); got != 6765 {
		t.Fatalf("fib(20) = %d", got)
	}
	addr := uint32(call(t, m, "counter_addr"))
	stopsWithTrap(t, m, "spin", func() bool {
		v, ok := m.Memory().ReadUint64Le(addr)
		return ok && v > 0
	})
}

// TestGCWhileSpinning checks that a garbage collection, which must stop every goroutine, completes
// while an instrumented guest spins: the slow path returns to the Go runtime every CheckInterval
// checks. Without it runtime.GC would wait forever for the spinning goroutine.
func TestGCWhileSpinning(t *testing.T) {
	out, err := Instrument(modSpin())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	m, err := rt.Instantiate(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	flag, err := Flag(m)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := m.ExportedFunction("spin").Call(ctx)
		done <- err
	}()
	for i := 0; i < 5; i++ {
		runtime.GC()
	}
	flag.Set(1)
	if err := <-done; err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("spin: %v, want an unreachable trap", err)
	}
}
