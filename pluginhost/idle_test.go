package pluginhost

import (
	"context"
	"sync"
	"testing"

	"github.com/chelseru/chelseru"
)

// TestTrimIdle: TrimIdle closes the instances waiting in the pool; sends
// in flight and after it start new ones and work.
func TestTrimIdle(t *testing.T) {
	p := newProvider(t)
	cfg := testplugConfig(t, p.URL)
	cfg.PoolSize = 2
	h, _ := open(t, cfg)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if _, err := h.Send(ctx, chelseru.SMS{To: "09121234567", Text: "ok"}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	before := h.Stats()
	if before.Instances < 1 {
		t.Fatalf("no instance after sends: %+v", before)
	}
	if n := h.TrimIdle(ctx); n != int(before.Instances) {
		t.Fatalf("TrimIdle closed %d of %d", n, before.Instances)
	}
	if st := h.Stats(); st.Instances != 0 {
		t.Fatalf("instances after TrimIdle: %d", st.Instances)
	}
	if n := h.TrimIdle(ctx); n != 0 {
		t.Fatalf("second TrimIdle closed %d", n)
	}

	// A send waiting on the provider holds no instance (sans-I/O: its
	// instance is back in the pool during the HTTP call); trimming then
	// does not break it: its response step starts a new one.
	p.mu.Lock()
	reached := p.count
	p.mu.Unlock()
	p.set(200, "msg-1", true)
	sent := make(chan error, 1)
	go func() {
		_, err := h.Send(ctx, chelseru.SMS{To: "09121234567", Text: "http"})
		sent <- err
	}()
	waitFor(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.count > reached
	})
	h.TrimIdle(ctx)
	p.set(200, "msg-1", false)
	p.release <- struct{}{}
	if err := <-sent; err != nil {
		t.Fatalf("send held across TrimIdle: %v", err)
	}
	if _, err := h.Send(ctx, chelseru.SMS{To: "09121234567", Text: "ok"}); err != nil {
		t.Fatalf("send after TrimIdle: %v", err)
	}
	if st := h.Stats(); st.Instances != 1 || st.InstancesCreated <= before.InstancesCreated || st.InstancesDiscarded != before.InstancesDiscarded {
		t.Fatalf("after: %+v (before %+v): want one live instance, new ones started, none counted as failed", st, before)
	}
}
