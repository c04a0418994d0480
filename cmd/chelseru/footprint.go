package main

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/chelseru/chelseru/pluginhost"
)

// releaseStartupMemory collects the start-up garbage (the plugin module's
// bytes and decoding, Badger's replay, the config) and hands the freed pages
// back to the OS before the server starts serving. With GOGC=400 the next
// collection would otherwise wait until the heap is five times the live one,
// and an idle server would keep that garbage resident: this keeps idle RSS
// near the live heap. It costs one collection, once.
func releaseStartupMemory() { debug.FreeOSMemory() }

// trimWhenIdle closes the plugin's idle instances and hands freed memory
// back to the OS once no send has started for idle (SMS.PLUGIN_IDLE_TIMEOUT;
// 0 turns it off), once per idle spell, until stop is closed. GOGC=400
// would otherwise keep a burst's garbage, and the instances, resident for
// as long as the server stays idle.
func trimWhenIdle(plugins *pluginhost.Host, idle time.Duration, log *slog.Logger) (stop func()) {
	if idle <= 0 {
		return func() {}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(max(idle/10, 100*time.Millisecond))
		defer tick.Stop()
		last, since, trimmed := plugins.Stats().Sends, time.Now(), false
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				if s := plugins.Stats().Sends; s != last {
					last, since, trimmed = s, now, false
					continue
				}
				if trimmed || now.Sub(since) < idle {
					continue
				}
				n := plugins.TrimIdle(context.Background())
				debug.FreeOSMemory()
				trimmed = true
				log.Debug("idle: plugin instances closed, memory released", "instances", n)
			}
		}
	}()
	return func() { close(done); <-finished }
}
