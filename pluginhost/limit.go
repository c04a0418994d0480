package pluginhost

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
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

// interruptLimiter arms the instance's watchdog; the scanner sets the
// instrumented flag global once the call runs past d, and the guest then
// traps at its next check. The flag is set only under the watchdog's mutex
// while the call is armed, so it can never hit an instance after its call
// returned. Arming is two uncontended locks and an atomic load rather than
// a time.Timer per call, which would cost most of a trivial call
// (docs/RATIONALE.md, "Time limits by instrumenting the module").
type interruptLimiter struct{ d time.Duration }

func (l interruptLimiter) call(ctx context.Context, in *instance, fn api.Function, stack []uint64) (bool, error) {
	if in.m.eng.stopped.Load() {
		return true, errCallsStopped
	}
	w := in.watch
	w.mu.Lock()
	w.flag.Set(0)
	w.fired = false
	w.armed = true
	w.deadline = scan.now.Load() + int64(l.d)
	w.mu.Unlock()
	err := fn.CallWithStack(ctx, stack)
	w.mu.Lock()
	w.armed = false
	fired := w.fired
	w.mu.Unlock()
	return err != nil && fired, err
}

// watchdog is an instance's interrupt state.
type watchdog struct {
	mu       sync.Mutex
	flag     api.MutableGlobal
	armed    bool
	fired    bool
	deadline int64 // on the scanner's clock
}

// newWatchdog returns a watchdog for the instance whose flag global is
// flag, registered with the scanner until stop.
func newWatchdog(flag api.MutableGlobal) *watchdog {
	w := &watchdog{flag: flag}
	scan.add(w)
	return w
}

func (w *watchdog) stop() { scan.remove(w) }

// check fires w when its call has run past its deadline.
func (w *watchdog) check(now int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.armed && now >= w.deadline {
		w.flag.Set(1)
		w.fired = true
	}
}

// scanInterval is the period of the scanner: a call is stopped between
// CallTimeout - scanInterval and CallTimeout + scanInterval after it began
// (plus the guest's CheckInterval checks).
const scanInterval = 5 * time.Millisecond

// scan is the process's one watchdog scanner.
var scan scanner

// scanner is a goroutine that runs while any watchdog is registered: every
// scanInterval it advances a coarse clock (read by every call) and fires the
// watchdogs of calls past their deadline.
type scanner struct {
	now  atomic.Int64 // Unix nanoseconds, at most scanInterval old
	mu   sync.Mutex
	dogs map[*watchdog]struct{}
	quit chan struct{} // closed to stop the goroutine; nil when it is not running
}

func (s *scanner) add(w *watchdog) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dogs == nil {
		s.dogs = map[*watchdog]struct{}{}
	}
	s.dogs[w] = struct{}{}
	if s.quit == nil {
		s.now.Store(time.Now().UnixNano())
		s.quit = make(chan struct{})
		go s.run(s.quit)
	}
}

func (s *scanner) remove(w *watchdog) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.dogs, w)
	if len(s.dogs) == 0 && s.quit != nil {
		close(s.quit)
		s.quit = nil
	}
}

func (s *scanner) run(quit chan struct{}) {
	t := time.NewTicker(scanInterval)
	defer t.Stop()
	for {
		select {
		case <-quit:
			return
		case now := <-t.C:
			n := now.UnixNano()
			s.now.Store(n)
			s.mu.Lock()
			for w := range s.dogs {
				w.check(n)
			}
			s.mu.Unlock()
		}
	}
}

// contextLimiter relies on a runtime built WithCloseOnContextDone(true): the
// deadline closes the instance (exit code ExitCodeDeadlineExceeded).
type contextLimiter struct{ d time.Duration }

func (l contextLimiter) call(ctx context.Context, in *instance, fn api.Function, stack []uint64) (bool, error) {
	if in.m.eng.stopped.Load() {
		return true, errCallsStopped
	}
	cctx, cancel := context.WithTimeout(ctx, l.d)
	unhook := context.AfterFunc(in.m.eng.stopCtx, cancel) // stopCalls ends the call
	err := fn.CallWithStack(cctx, stack)
	unhook()
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
