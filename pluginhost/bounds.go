package pluginhost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// Bounds on what a module may cost the host before and while it runs
// (issue 9; docs/RATIONALE.md § Plugin host memory).
const (
	// DefaultMaxModuleBytes is the default module size limit: the built-in
	// Go plugins are ~2.5 MB, and compiling a module costs the host about
	// 50 times its size in memory for a moment, so 8 MiB keeps one compile
	// within a few hundred MB on an edge box.
	DefaultMaxModuleBytes = 8 << 20
	// maxSections bounds the sections a module may have (a hostile module of
	// many empty sections costs the scan nothing, but there is no reason to
	// accept it).
	maxSections = 1 << 16
)

// errStartSection refuses a module with a wasm start function: it would run
// inside instantiation, where no time limit can reach it, and a plugin is a
// reactor that needs none (Go's c-shared and clang's reactors use
// _initialize, which the host runs under the time limit).
var errStartSection = errors.New("module has a start function (wasm start section); a plugin must be a reactor without one (-buildmode=c-shared, or clang -mexec-model=reactor)")

// preflight is the bounded check every module gets before anything else
// touches it: the wasm magic and version, the size limit, a walk of the
// section headers (no section body is decoded), and no start section. Its
// cost is linear in the number of sections, not in the module's contents.
func preflight(wasm []byte, maxBytes int) error {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], []byte{0, 'a', 's', 'm'}) {
		return errNotWasm
	}
	if len(wasm) > maxBytes {
		return fmt.Errorf("module is %d bytes, over the %d-byte limit (SMS.PLUGIN_MAX_MODULE_BYTES)", len(wasm), maxBytes)
	}
	if !bytes.Equal(wasm[4:8], []byte{1, 0, 0, 0}) {
		return fmt.Errorf("not a core WebAssembly module of version 1 (version bytes % x)", wasm[4:8])
	}
	b := wasm[8:]
	for n := 0; len(b) > 0; n++ {
		if n == maxSections {
			return fmt.Errorf("module has more than %d sections", maxSections)
		}
		id := b[0]
		size, k := uleb32(b[1:])
		if k == 0 || uint64(size) > uint64(len(b)-1-k) {
			return fmt.Errorf("malformed module: section %d at offset %d overruns the file", id, len(wasm)-len(b))
		}
		if id == 8 {
			return errStartSection
		}
		b = b[1+k+int(size):]
	}
	return nil
}

// uleb32 decodes an unsigned LEB128 of at most 5 bytes; k is 0 when b does
// not hold one.
func uleb32(b []byte) (v uint32, k int) {
	for i := 0; i < 5 && i < len(b); i++ {
		v |= uint32(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			if i == 4 && b[i]&0xf0 != 0 {
				return 0, 0
			}
			return v, i + 1
		}
	}
	return 0, 0
}

// Log budgets (docs/plugin-abi.md § Limits). A send, and the setting up of
// an instance (_initialize, version, manifest and configure together), may
// each log at most maxLogLines lines and maxLogBytes bytes through
// chelseru.log; the rest is dropped, with one warning. Guest writes to
// stdout and stderr (WASI fd 1 and 2) go to the server log at debug level,
// within maxGuestOutputLines and maxLogBytes per instance.
const (
	maxLogLines         = 32
	maxLogBytes         = 16 << 10
	maxGuestOutputLines = 64
)

// logBudget is the log allowance of one send or one instance's set-up.
type logBudget struct {
	lines, bytes atomic.Int64
	warned       atomic.Bool
}

// take reports whether a line of n bytes fits; the first refusal returns
// warn so the caller logs it once.
func (b *logBudget) take(n, maxLines int) (ok, warn bool) {
	l := b.lines.Add(1)
	by := b.bytes.Add(int64(n))
	if l <= int64(maxLines) && by <= maxLogBytes {
		return true, false
	}
	return false, !b.warned.Swap(true)
}

// instances maps a live wazero module to its instance, for the host
// functions, which are handed only the module.
var instances sync.Map // api.Module → *instance

// instanceOf returns the instance mod belongs to, or nil.
func instanceOf(mod api.Module) *instance {
	if v, ok := instances.Load(mod); ok {
		return v.(*instance)
	}
	return nil
}

// errHostCallTimeLimit ends a call whose time limit passed while it was in a
// host function.
var errHostCallTimeLimit = errors.New("time limit reached in a host call")

// enforceDeadline makes a host function count toward the time limit of the
// call that made it: when the call has run past its limit, the guest traps
// now, instead of at its next interrupt check, which may be CheckInterval
// slow host calls away (a log flood ran for seconds that way). In the
// context mode the call's own context says so.
func enforceDeadline(ctx context.Context, in *instance) {
	if in != nil && in.watch != nil {
		if in.watch.expire() {
			panic(errHostCallTimeLimit)
		}
		return
	}
	if ctx.Err() != nil {
		panic(sys.NewExitError(sys.ExitCodeDeadlineExceeded))
	}
}

// expire reports whether the armed call ran past its deadline, and marks it
// fired so that the limiter reports a timeout.
func (w *watchdog) expire() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.armed && (w.fired || scan.now.Load() >= w.deadline) {
		w.flag.Set(1)
		w.fired = true
		return true
	}
	return false
}

// guestOutput receives an instance's writes to WASI stdout or stderr and
// logs them, one record per line, at debug level, tagged with the plugin,
// within the instance's budget. Writes are never refused (a guest whose
// write fails may panic), only dropped.
type guestOutput struct {
	in     *instance
	stream string // "stdout" or "stderr"

	mu      sync.Mutex
	partial []byte
	lines   int
	bytes   int
	dropped bool
}

func (g *guestOutput) Write(p []byte) (int, error) {
	in := g.in
	enforceDeadline(context.Background(), in)
	logger := in.m.logger
	if !logger.Enabled(context.Background(), slog.LevelDebug) {
		return len(p), nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	n := len(p)
	for len(p) > 0 && !g.dropped {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if room := MaxLogLine - len(g.partial); len(chunk) > room {
			chunk = chunk[:max(room, 0)]
		}
		g.partial = append(g.partial, chunk...)
		if i < 0 {
			break
		}
		p = p[i+1:]
		g.flushLocked()
	}
	return n, nil
}

// flushLocked logs the pending line, if the budget allows.
func (g *guestOutput) flushLocked() {
	line := g.partial
	g.partial = g.partial[:0]
	if g.dropped {
		return
	}
	g.lines++
	g.bytes += len(line)
	if g.lines > maxGuestOutputLines || g.bytes > maxLogBytes {
		g.dropped = true
		g.in.m.logger.Warn("plugin output over its budget is dropped", slog.String("plugin", g.in.m.label()),
			slog.String("stream", g.stream))
		return
	}
	g.in.m.logger.Debug(sanitizeLine(line), slog.String("plugin", g.in.m.label()), slog.String("stream", g.stream))
}

// checkInterrupt checks Config.Interrupt.
func checkInterrupt(v string) error {
	switch v {
	case "", InterruptInstrument, InterruptContext:
		return nil
	}
	return fmt.Errorf("SMS.PLUGIN_INTERRUPT must be %s or %s, got %q", InterruptInstrument, InterruptContext, v)
}

// errCallsStopped fails a call made after StopCalls.
var errCallsStopped = errors.New("plugin calls are stopped: the server is shutting down")

// stopCalls ends every call running in a module of e (each traps at its
// next interrupt check, or its context is cancelled) and makes every later
// call fail at once.
func (e *engines) stopCalls() {
	e.stopped.Store(true)
	e.stopCancel()
	instances.Range(func(_, v any) bool {
		if in := v.(*instance); in.m.eng == e && in.watch != nil {
			in.watch.fire()
		}
		return true
	})
}

// fire stops the watchdog's call, if one is running.
func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.armed {
		w.flag.Set(1)
		w.fired = true
	}
}

// StopCalls ends every call into a plugin that is running, and fails every
// later one, at once: sends in flight end with a plugin error (502) instead
// of running to their time limit. The server calls it when its shutdown
// grace is nearly over; Close calls it when its context ends first.
func (h *Host) StopCalls() {
	h.log.Info("stopping the plugin calls still running")
	h.eng.stopCalls()
}
