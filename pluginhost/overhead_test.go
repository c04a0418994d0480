package pluginhost

import (
	"context"
	"runtime"
	"testing"

	"github.com/chelseru/chelseru/sdk/abi"
)

// BenchmarkCallOverhead: the fixed cost of one call into a Go guest (the
// trivial chelseru_abi_version export) under each time-limit mechanism.
func BenchmarkCallOverhead(b *testing.B) {
	c := benchCases[0]
	c.load(b)
	for _, mode := range modes {
		b.Run(mode.String(), func(b *testing.B) {
			h := c.open(b, mode, 1)
			m := h.active.Load()
			ctx := context.Background()
			in, err := m.get(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer m.put(ctx, in, true)
			for b.Loop() {
				if _, err := m.lim.call(ctx, in, in.fnVersion, in.stack[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSDKOverhead: one chelseru_send of a plugin that answers at once
// (testplug "ok"): the SDK's decode, a trivial Send and the encode, in wasm.
func BenchmarkSDKOverhead(b *testing.B) {
	h, err := Open(context.Background(), Config{
		Service: "TESTPLUG", Settings: map[string]string{"TESTPLUG_API_KEY": "k"}, Builtins: builtins(), DataDir: cacheDir,
		PluginsDir: pluginsDir(b, map[string][]byte{"testplug.wasm": mods["testplug"]}), Logger: discardLogger, PollInterval: -1,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close(context.Background())
	m := h.active.Load()
	msg := abi.Message{To: "09123456789", Text: "ok", TemplateID: 100, Vars: []string{"4821"}}
	for b.Loop() {
		if _, err := h.step(context.Background(), m, func(buf []byte) []byte { return abi.AppendMessage(buf, &msg) }, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInstanceMemory reports the Go heap held per live, configured
// instance (linear memory and wazero's per-instance state; the compiled code
// is shared by all instances).
func BenchmarkInstanceMemory(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.service, func(b *testing.B) {
			c.load(b)
			h := c.open(b, limitInterrupt, 0)
			m := h.active.Load()
			ctx := context.Background()
			const n = 16
			var perInstance float64
			for b.Loop() {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				ins := make([]*instance, 0, n)
				for range n {
					in, err := m.newInstance(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if err := m.configure(ctx, in); err != nil {
						b.Fatal(err)
					}
					ins = append(ins, in)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				perInstance = float64(after.HeapAlloc-before.HeapAlloc) / n
				for _, in := range ins {
					in.close(ctx)
				}
			}
			b.ReportMetric(perInstance/(1<<20), "MiB/instance")
		})
	}
}
