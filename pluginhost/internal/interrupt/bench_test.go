package interrupt

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// BenchmarkGoGuestWork measures one call of the Go guest's work function (hand-parse a 300-byte
// JSON request, build a form-encoded body) with no time limit, with wazero's
// WithCloseOnContextDone, and with Instrument.
func BenchmarkGoGuestWork(b *testing.B) {
	instrumented, err := Instrument(goGuest)
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name   string
		config wazero.RuntimeConfig
		wasm   []byte
	}{
		{"none", nil, goGuest},
		{"closeOnContextDone", wazero.NewRuntimeConfig().WithCloseOnContextDone(true), goGuest},
		{"instrument", nil, instrumented},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			m := instantiateGuest(b, guestRuntime(b, c.config), c.wasm)
			benchCall(b, m, "work")
		})
	}
}

// BenchmarkCGuestSum measures a tight C double loop (sum(300): about 45,000 inner iterations).
func BenchmarkCGuestSum(b *testing.B) {
	wasm, err := cGuest()
	if err != nil {
		b.Skipf("skipping the C guest: %v", err)
	}
	instrumented, err := Instrument(wasm)
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name   string
		config wazero.RuntimeConfig
		wasm   []byte
	}{
		{"none", nil, wasm},
		{"closeOnContextDone", wazero.NewRuntimeConfig().WithCloseOnContextDone(true), wasm},
		{"instrument", nil, instrumented},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			m := instantiateGuest(b, guestRuntime(b, c.config), c.wasm)
			benchCall(b, m, "sum", 300)
		})
	}
}

// BenchmarkInstrument measures instrumenting the Go guest (done once per plugin load).
func BenchmarkInstrument(b *testing.B) {
	b.SetBytes(int64(len(goGuest)))
	for b.Loop() {
		if _, err := Instrument(goGuest); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCall(b *testing.B, m api.Module, name string, params ...uint64) {
	f := m.ExportedFunction(name)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for b.Loop() {
		if _, err := f.Call(ctx, params...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInterruptLatency measures the time from setting the flag to the trap reaching the caller
// (reported as ns/interrupt), for a tight counting loop: the worst case, with the most loop
// iterations per unit of time. ns/op also counts starting the call.
func BenchmarkInterruptLatency(b *testing.B) {
	out, err := Instrument(modCount())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	m, err := rt.Instantiate(ctx, out)
	if err != nil {
		b.Fatal(err)
	}
	flag, err := Flag(m)
	if err != nil {
		b.Fatal(err)
	}
	n := m.ExportedGlobal("n").(api.MutableGlobal)
	count := m.ExportedFunction("count")
	done := make(chan error)
	var total time.Duration
	for b.Loop() {
		flag.Set(0)
		n.Set(0)
		go func() {
			_, err := count.Call(ctx)
			done <- err
		}()
		for n.Get() == 0 {
			runtime.Gosched()
		}
		start := time.Now()
		flag.Set(1)
		if err := <-done; err == nil {
			b.Fatal("count returned without a trap")
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/interrupt")
}
