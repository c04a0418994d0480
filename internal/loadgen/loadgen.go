// Package loadgen is a closed-loop load generator for HTTP services over real
// sockets.
//
// A Scenario makes one Unit per worker (the unit's per-worker state lives in
// its closure); Run starts Config.Concurrency workers that each call their
// unit in a loop, back to back (closed loop: a worker starts its next unit
// only when the previous one has returned), first for a warm-up that is not
// measured, then for a measured window. A unit may be one request or a whole
// flow of several (a login); latency is measured per unit into a log-linear
// Histogram of fixed size, and failures are counted by kind (HTTP status,
// timeout, transport).
//
// Run always stops by itself: the window is bounded by Config.Duration (or a
// hard cap when only a unit count is given), units get a context that is
// cancelled shortly after the window, and Run returns at the latest
// Config.Grace after the window even if a unit ignores its context.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Limits and defaults of Config.
const (
	// MaxConcurrency bounds Config.Concurrency (each worker may hold a socket;
	// the process may open at most 20,000 files here).
	MaxConcurrency = 4096
	// MaxDuration bounds a run's measured window, and is the window when only
	// Config.Units is given.
	MaxDuration = 10 * time.Minute
	// DefaultGrace is how long Run waits for units still in flight after the
	// window has ended.
	DefaultGrace = 10 * time.Second
	// maxSampleLen bounds the error text kept per error kind.
	maxSampleLen = 300
)

// Unit performs one unit of work: one request, or a whole flow of several.
// It returns nil on success. A failure is reported as an error; return a
// *StatusError for an unexpected HTTP status so that Result counts it by
// status. A unit must return soon after ctx is done.
type Unit func(ctx context.Context) error

// Scenario names a kind of unit and makes one per worker.
type Scenario struct {
	// Name labels the Result.
	Name string
	// NewWorker is called once per worker, before any load, and returns the
	// unit that worker runs; per-worker state (buffers, request objects,
	// counters) belongs in the returned closure. An error aborts the run.
	NewWorker func(worker int) (Unit, error)
}

// Config bounds a run.
type Config struct {
	// Concurrency is the number of workers, 1..MaxConcurrency.
	Concurrency int
	// Warmup runs the units unmeasured before the window (0 = none).
	Warmup time.Duration
	// Duration is the measured window; at most MaxDuration. When it is 0,
	// Units must be set and the window is at most MaxDuration.
	Duration time.Duration
	// Units stops the window after this many measured units have started
	// (0 = no count limit).
	Units int64
	// Grace is how long Run waits for units still running when the window
	// ends; 0 means DefaultGrace.
	Grace time.Duration
}

func (c Config) validate() (Config, error) {
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		return c, fmt.Errorf("loadgen: concurrency must be between 1 and %d, got %d", MaxConcurrency, c.Concurrency)
	}
	if c.Warmup < 0 || c.Warmup > MaxDuration {
		return c, fmt.Errorf("loadgen: warm-up must be between 0 and %s, got %s", MaxDuration, c.Warmup)
	}
	if c.Units < 0 {
		return c, fmt.Errorf("loadgen: units must not be negative, got %d", c.Units)
	}
	if c.Duration < 0 || c.Duration > MaxDuration {
		return c, fmt.Errorf("loadgen: duration must be between 0 and %s, got %s", MaxDuration, c.Duration)
	}
	if c.Duration == 0 {
		if c.Units == 0 {
			return c, errors.New("loadgen: one of duration and units must be set")
		}
		c.Duration = MaxDuration
	}
	if c.Grace < 0 {
		return c, fmt.Errorf("loadgen: grace must not be negative, got %s", c.Grace)
	}
	if c.Grace == 0 {
		c.Grace = DefaultGrace
	}
	return c, nil
}

// Result is what one Run measured. Only units that started inside the
// measured window count; warm-up units do not.
type Result struct {
	// Scenario is Scenario.Name.
	Scenario string `json:"scenario"`
	// Concurrency is the number of workers.
	Concurrency int `json:"concurrency"`
	// Requests is the number of units completed in the window, failed ones
	// included (a unit is one request, or a whole login of several).
	Requests int64 `json:"requests"`
	// Errors is the number of those units that failed.
	Errors int64 `json:"errors"`
	// ErrorKinds counts failures by kind: "HTTP 409", "timeout", "transport",
	// "other".
	ErrorKinds map[string]int64 `json:"error_kinds,omitempty"`
	// ErrorSamples holds the first error text seen for each kind.
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
	// Duration is the window: from its start to the end of the last unit
	// that started in it.
	Duration time.Duration `json:"duration_ns"`
	// RPS is successful units per second over Duration (goodput).
	RPS float64 `json:"rps"`
	// Latency quantiles of the successful units; failures are not in them
	// (a fast 409 would flatter the figures).
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P99  time.Duration `json:"p99_ns"`
	Max  time.Duration `json:"max_ns"`
	Mean time.Duration `json:"mean_ns"`
	// Stuck is the number of workers whose unit had not returned Grace after
	// the window; their figures are missing from the result.
	Stuck int `json:"stuck,omitempty"`
	// Latency is the merged histogram of the successful units.
	Latency *Histogram `json:"-"`
}

// worker is the state Run keeps per worker; only the worker's goroutine
// touches it until done is closed.
type worker struct {
	unit     Unit
	hist     Histogram
	requests int64
	errors   int64
	kinds    map[string]int64
	samples  map[string]string
	lastEnd  time.Time
	done     chan struct{}
}

func (w *worker) fail(err error) {
	w.errors++
	k := ErrorKind(err)
	if w.kinds == nil {
		w.kinds = make(map[string]int64)
		w.samples = make(map[string]string)
	}
	w.kinds[k]++
	if _, ok := w.samples[k]; !ok {
		s := err.Error()
		if len(s) > maxSampleLen {
			s = s[:maxSampleLen] + "..."
		}
		w.samples[k] = s
	}
}

// Run drives the scenario under cfg and returns what it measured. It returns
// an error when cfg is invalid, when a worker cannot be set up, or when ctx is
// cancelled before the window ends (with what was measured so far).
func Run(ctx context.Context, cfg Config, s Scenario) (Result, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return Result{}, err
	}
	if s.NewWorker == nil {
		return Result{}, fmt.Errorf("loadgen: scenario %q has no NewWorker", s.Name)
	}
	workers := make([]*worker, cfg.Concurrency)
	for i := range workers {
		u, err := s.NewWorker(i)
		if err != nil {
			return Result{}, fmt.Errorf("loadgen: scenario %q worker %d: %w", s.Name, i, err)
		}
		if u == nil {
			return Result{}, fmt.Errorf("loadgen: scenario %q worker %d: nil unit", s.Name, i)
		}
		workers[i] = &worker{unit: u, done: make(chan struct{})}
	}

	start := time.Now()
	windowStart := start.Add(cfg.Warmup)
	windowEnd := windowStart.Add(cfg.Duration)
	// Units see a context that ends a little after the window, so that units
	// blocked on it are released while Run is still waiting for them.
	unitCtx, cancel := context.WithDeadline(ctx, windowEnd.Add(cfg.Grace/2))
	defer cancel()

	var (
		stop    atomic.Bool  // set when the unit count is reached
		started atomic.Int64 // measured units started
	)
	for _, w := range workers {
		go func() {
			defer close(w.done)
			for {
				if stop.Load() || unitCtx.Err() != nil {
					return
				}
				t0 := time.Now()
				if !t0.Before(windowEnd) {
					return
				}
				measured := !t0.Before(windowStart)
				if measured && cfg.Units > 0 && started.Add(1) > cfg.Units {
					stop.Store(true)
					return
				}
				err := w.unit(unitCtx)
				t1 := time.Now()
				if !measured {
					continue
				}
				w.requests++
				w.lastEnd = t1
				if err != nil {
					w.fail(err)
					continue
				}
				w.hist.Record(t1.Sub(t0))
			}
		}()
	}

	// Wait for every worker, but no longer than Grace after the window.
	deadline := time.NewTimer(time.Until(windowEnd.Add(cfg.Grace)))
	defer deadline.Stop()
	finished := make([]bool, len(workers))
	left := len(workers)
wait:
	for i, w := range workers {
		select {
		case <-w.done:
			finished[i] = true
			left--
		case <-deadline.C:
			break wait
		}
	}
	if left > 0 {
		// The timer fired: collect whoever has finished since.
		for i, w := range workers {
			if finished[i] {
				continue
			}
			select {
			case <-w.done:
				finished[i] = true
				left--
			default:
			}
		}
	}

	res := Result{Scenario: s.Name, Concurrency: cfg.Concurrency, Stuck: left, Latency: new(Histogram)}
	last := windowStart
	for i, w := range workers {
		if !finished[i] {
			continue
		}
		res.Requests += w.requests
		res.Errors += w.errors
		res.Latency.Merge(&w.hist)
		for k, n := range w.kinds {
			if res.ErrorKinds == nil {
				res.ErrorKinds = make(map[string]int64)
				res.ErrorSamples = make(map[string]string)
			}
			res.ErrorKinds[k] += n
			if _, ok := res.ErrorSamples[k]; !ok {
				res.ErrorSamples[k] = w.samples[k]
			}
		}
		if w.lastEnd.After(last) {
			last = w.lastEnd
		}
	}
	res.Duration = last.Sub(windowStart)
	if res.Requests == 0 {
		res.Duration = min(time.Since(windowStart), cfg.Duration)
	}
	if res.Duration > 0 {
		res.RPS = float64(res.Requests-res.Errors) / res.Duration.Seconds()
	}
	h := res.Latency
	res.P50, res.P90, res.P99 = h.Quantile(0.50), h.Quantile(0.90), h.Quantile(0.99)
	res.Max, res.Mean = h.Max(), h.Mean()

	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("loadgen: scenario %q interrupted: %w", s.Name, err)
	}
	if left > 0 {
		return res, fmt.Errorf("loadgen: scenario %q: %d of %d workers still busy %s after the window", s.Name, left, len(workers), cfg.Grace)
	}
	return res, nil
}
