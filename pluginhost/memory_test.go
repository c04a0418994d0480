package pluginhost

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestManySendsStayUnderTheMemoryCap runs 100k sends (10k with -short)
// through one instance of each provider, then a fifth as many from four
// goroutines through a pool of two: no send may fail, no instance may be
// discarded (a Go guest whose GC falls behind dies with "out of memory" at
// the cap; see sdk/guest_wasip1.go), and the instances' linear memory must
// stay under the cap. The per-call time limit is generous: this test is
// about memory, and runs beside other packages' tests.
func TestManySendsStayUnderTheMemoryCap(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	for _, c := range benchCases {
		t.Run(c.service, func(t *testing.T) {
			if _, ok := mods[c.module]; !ok {
				t.Skipf("module %s was not built", c.module)
			}
			c.load(t)
			for _, tt := range []struct {
				name          string
				pool, senders int
				sends         int
			}{{"one instance", 1, 1, n}, {"pool of two, four senders", 2, 4, n / 5}} {
				t.Run(tt.name, func(t *testing.T) {
					h, err := Open(context.Background(), Config{
						Service: c.service, Settings: c.settings, Builtins: builtins(), DataDir: cacheDir,
						Transport: cannedTransport{c}, Logger: discardLogger, PoolSize: tt.pool, PollInterval: -1,
						CallTimeout: time.Second,
					})
					if err != nil {
						t.Fatal(err)
					}
					defer h.Close(context.Background())
					ctx := context.Background()
					msg := c.sms()
					var wg sync.WaitGroup
					for range tt.senders {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for i := range tt.sends / tt.senders {
								if _, err := h.Send(ctx, msg); err != nil {
									t.Errorf("send %d: %v", i+1, err)
									return
								}
							}
						}()
					}
					wg.Wait()
					st := h.Stats()
					if st.PluginErrors != 0 || st.InstancesDiscarded != 0 {
						t.Fatalf("after %d sends: %d plugin errors, %d instances discarded", tt.sends, st.PluginErrors, st.InstancesDiscarded)
					}
					m := h.active.Load()
					for range tt.pool {
						in, err := m.get(ctx)
						if err != nil {
							t.Fatal(err)
						}
						defer m.put(ctx, in, true)
						if size, limit := in.mem.Size(), uint32(DefaultMemoryLimitPages)*65536; size > limit {
							t.Errorf("linear memory %d bytes, over the cap of %d", size, limit)
						} else {
							t.Logf("linear memory after %d sends: %.1f MiB of %d MiB", tt.sends, float64(size)/(1<<20), limit>>20)
						}
					}
				})
			}
		})
	}
}
