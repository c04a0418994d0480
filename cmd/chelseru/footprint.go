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

// quietRelease is how long the server must be quiet (no request, no chat
// frame from a client) before the garbage of the last burst is collected
// and its pages handed back to the OS.
const quietRelease = time.Second

// trimWhenIdle gives memory back when the server goes quiet, until stop is
// called (the decisions are idleTrim's): it closes the plugin's idle
// instances once no send has started for idle (SMS.PLUGIN_IDLE_TIMEOUT; 0
// keeps them), and collects and hands freed pages back to the OS once the
// server has been quiet for quietRelease. activity is host.Server.Activity.
func trimWhenIdle(plugins *pluginhost.Host, idle time.Duration, activity func() uint64, log *slog.Logger) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(quietRelease / 4)
		defer tick.Stop()
		t := newIdleTrim(time.Now(), idle, activity(), uint64(plugins.Stats().Sends))
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				closeInstances, release := t.step(now, activity(), uint64(plugins.Stats().Sends))
				if closeInstances {
					n := plugins.TrimIdle(context.Background())
					log.Debug("idle: plugin instances closed", "instances", n)
				}
				if release {
					debug.FreeOSMemory()
					log.Debug("quiet: memory released")
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// idleTrim decides when to give memory back:
//   - release: once the server has been quiet (its activity count held
//     still) for quietRelease, once per quiet spell. GOGC=400 would
//     otherwise keep a burst's garbage (thousands of logins or socket
//     handshakes) resident for as long as the server stays quiet, where it
//     reads as memory the server needs. A forced collection costs a few
//     milliseconds of CPU with the small live heap, and is never made while
//     the server is busy;
//   - closeInstances: once no SMS send has started for idle (0: never),
//     once per idle spell. The instances' memory goes back with the next
//     release: at once when quiet, while a busy server (a chat server may
//     send no SMS for hours) reuses it instead of stopping to collect.
type idleTrim struct {
	idle                 time.Duration
	activity, sends      uint64
	activeAt, sentAt     time.Time
	released, instClosed bool
}

func newIdleTrim(now time.Time, idle time.Duration, activity, sends uint64) *idleTrim {
	return &idleTrim{idle: idle, activity: activity, sends: sends, activeAt: now, sentAt: now}
}

// step takes the counts read at now and says what to do.
func (t *idleTrim) step(now time.Time, activity, sends uint64) (closeInstances, release bool) {
	if activity != t.activity {
		t.activity, t.activeAt, t.released = activity, now, false
	}
	if sends != t.sends {
		t.sends, t.sentAt, t.instClosed = sends, now, false
	}
	if t.idle > 0 && !t.instClosed && now.Sub(t.sentAt) >= t.idle {
		t.instClosed, t.released = true, false
		closeInstances = true
	}
	if !t.released && now.Sub(t.activeAt) >= quietRelease {
		t.released = true
		release = true
	}
	return closeInstances, release
}
