package pluginhost

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// limitMode names how a call into a plugin is bounded in time.
type limitMode int

const (
	// limitAuto: interrupt when the module can be instrumented, else context.
	limitAuto limitMode = iota
	// limitInterrupt: the module is rewritten by internal/interrupt to check
	// an exported flag at every loop header; a timer sets the flag.
	limitInterrupt
	// limitContext: wazero's WithCloseOnContextDone with a deadline per call.
	// It checks at every function entry and loop header through an indirect
	// call, which costs Go guests several times their speed.
	limitContext
	// limitNone: no limit at all. Benchmarks only, as the reference.
	limitNone
)

func (m limitMode) String() string {
	switch m {
	case limitInterrupt:
		return "interrupt"
	case limitContext:
		return "context"
	case limitNone:
		return "none"
	}
	return "auto"
}

// limiter runs one exported function under the per-call time limit.
// timedOut reports that the limit, not the guest, ended a failed call.
type limiter interface {
	call(ctx context.Context, in *instance, fn api.Function, stack []uint64) (timedOut bool, err error)
}

// interruptLimiter arms the instance's timer, which sets the instrumented
// flag global once the call runs past d; the guest then traps at its next
// loop header. The flag is set only under the instance's mutex while the
// call is armed, so it can never hit an instance after its call returned.
type interruptLimiter struct{ d time.Duration }

func (l interruptLimiter) call(ctx context.Context, in *instance, fn api.Function, stack []uint64) (bool, error) {
	w := in.watch
	w.mu.Lock()
	w.flag.Set(0)
	w.fired = false
	w.armed = true
	w.deadline = time.Now().Add(l.d)
	w.mu.Unlock()
	w.timer.Reset(l.d)
	err := fn.CallWithStack(ctx, stack)
	w.mu.Lock()
	w.armed = false
	fired := w.fired
	w.mu.Unlock()
	w.timer.Stop()
	return err != nil && fired, err
}

// watchdog is an instance's interrupt state.
type watchdog struct {
	mu       sync.Mutex
	flag     api.MutableGlobal
	timer    *time.Timer
	armed    bool
	fired    bool
	deadline time.Time
}

func newWatchdog(flag api.MutableGlobal) *watchdog {
	w := &watchdog{flag: flag}
	w.timer = time.AfterFunc(time.Hour, w.fire)
	w.timer.Stop()
	return w
}

// fire runs on the timer goroutine. A late run left over from an earlier
// call sees armed false or a deadline in the future and does nothing.
func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.armed && !time.Now().Before(w.deadline) {
		w.flag.Set(1)
		w.fired = true
	}
}

func (w *watchdog) stop() { w.timer.Stop() }

// contextLimiter relies on a runtime built WithCloseOnContextDone(true): the
// deadline closes the instance (exit code ExitCodeDeadlineExceeded).
type contextLimiter struct{ d time.Duration }

func (l contextLimiter) call(ctx context.Context, _ *instance, fn api.Function, stack []uint64) (bool, error) {
	cctx, cancel := context.WithTimeout(ctx, l.d)
	err := fn.CallWithStack(cctx, stack)
	cancel()
	if err == nil {
		return false, nil
	}
	var ee *sys.ExitError
	if errors.As(err, &ee) && (ee.ExitCode() == sys.ExitCodeDeadlineExceeded || ee.ExitCode() == sys.ExitCodeContextCanceled) {
		return true, err
	}
	return false, err
}

// noLimiter calls without any limit (benchmark reference only).
type noLimiter struct{}

func (noLimiter) call(ctx context.Context, _ *instance, fn api.Function, stack []uint64) (bool, error) {
	return false, fn.CallWithStack(ctx, stack)
}
