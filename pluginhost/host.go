// Package pluginhost runs SMS provider plugins: WebAssembly modules, sandboxed
// by wazero, that speak the ABI in docs/plugin-abi.md (types in sdk/abi).
//
// A plugin is sans-I/O. For a send it returns the HTTP request to make; the
// Host checks it against the plugin's allowed hosts, makes it with its own
// client, limits and timeouts, and hands the response back until the plugin
// returns a result. An instance is therefore busy for microseconds per step,
// never for a network round trip, and a small bounded pool of instances per
// plugin serves any load.
//
// Modules are compiled once (with an optional on-disk compilation cache) and
// instrumented so that every call is time-limited cheaply (package
// internal/interrupt); a trap, panic, out-of-memory, bad output or timeout in
// a plugin fails that one send with an SMSError of class SMSPlugin, and the
// instance is discarded and replaced. Built-in plugins are embedded
// (package builtin); PluginsDir adds or overrides them and is watched for
// changed modules.
package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/pluginhost/builtin"
	"github.com/chelseru/chelseru/sdk/abi"
)

// Host runs the plugin of the configured service. It is safe for concurrent use.
type Host struct {
	cfg    Config
	log    *slog.Logger
	eng    *engines
	caller caller // makes the provider requests
	// cacheDir holds the compilation cache and instrumented modules; empty
	// without a data folder.
	cacheDir string
	// operator is what the config names for the service's egress.
	operator *operatorEgress
	stats    counters

	active atomic.Pointer[module]
	mu     sync.Mutex // serialises swaps and Close
	closed atomic.Bool

	watch *watcher // nil without PluginsDir
}

var _ chelseru.SMSSender = (*Host)(nil)

// counters are the Host's cheap metrics.
type counters struct {
	sends, failures, pluginErrors, timeouts atomic.Int64
	instancesCreated, instancesDiscarded    atomic.Int64
	reloads, reloadFailures                 atomic.Int64
	httpRequests, httpNanos                 atomic.Int64
	staleRetries                            atomic.Int64
	httpLatency                             latency
}

// Stats is a snapshot of the Host's counters, for metrics.
type Stats struct {
	Sends              int64 // Send calls
	Failures           int64 // sends that returned an error (any class)
	PluginErrors       int64 // sends failed by the plugin itself (class SMSPlugin)
	Timeouts           int64 // sends that ran past Config.Timeout (class SMSTimeout)
	Instances          int64 // live instances of the active plugin
	InstancesCreated   int64 // instances created (all plugins, all versions)
	InstancesDiscarded int64 // instances thrown away after a failure
	Reloads            int64 // modules swapped in from PluginsDir
	ReloadFailures     int64 // changed modules refused (kept the old one)
	HTTPRequests       int64 // provider requests answered
	HTTPNanos          int64 // total time of those requests
	StaleRetries       int64 // requests made again because a reused connection had been closed (nothing was sent)
	// HTTPLatency counts those requests by duration: one count per bucket
	// of HTTPLatencyBuckets (not cumulative), then the +Inf bucket.
	HTTPLatency []int64
}

// Stats returns the current counters.
func (h *Host) Stats() Stats {
	s := Stats{
		Sends: h.stats.sends.Load(), Failures: h.stats.failures.Load(),
		PluginErrors: h.stats.pluginErrors.Load(), Timeouts: h.stats.timeouts.Load(),
		InstancesCreated: h.stats.instancesCreated.Load(), InstancesDiscarded: h.stats.instancesDiscarded.Load(),
		Reloads: h.stats.reloads.Load(), ReloadFailures: h.stats.reloadFailures.Load(),
		HTTPRequests: h.stats.httpRequests.Load(), HTTPNanos: h.stats.httpNanos.Load(),
		StaleRetries: h.stats.staleRetries.Load(),
		HTTPLatency:  h.stats.httpLatency.snapshot(),
	}
	if m := h.active.Load(); m != nil {
		s.Instances = m.live.Load()
	}
	return s
}

// Builtins returns the embedded built-in modules, as <lower-case service>.wasm.
func Builtins() fs.FS { return builtin.FS() }

// Open loads the plugin of cfg.Service (from PluginsDir when a module there
// declares that name, else the built-in one), validates its manifest and
// settings, and configures its first instance. The error is one line naming
// the problem.
func Open(ctx context.Context, cfg Config) (*Host, error) {
	cfg = cfg.withDefaults()
	if err := checkInterrupt(cfg.Interrupt); err != nil {
		return nil, err
	}
	h := &Host{cfg: cfg, log: cfg.Logger}
	h.operator = operatorEgressOf(&h.cfg)
	var cache wazero.CompilationCache
	if cfg.DataDir != "" {
		dir := filepath.Join(cfg.DataDir, "wasm-cache")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("plugin compilation cache: %w", err)
		}
		c, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return nil, fmt.Errorf("plugin compilation cache %s: %w", dir, err)
		}
		cache, h.cacheDir = c, dir
	}
	h.eng = newEngines(cache, cfg.MemoryLimitPages, h.log)
	h.caller = newCaller(cfg, &h.stats)
	m, err := h.openService(ctx)
	if err != nil {
		_ = h.eng.close(ctx)
		return nil, err
	}
	h.active.Store(m)
	h.log.Info("sms plugin loaded", slog.String("plugin", m.name), slog.String("version", m.manifest.Version),
		slog.String("origin", m.origin), slog.String("sha256", m.sha), slog.String("time_limit", m.mode.String()))
	if h.watch != nil && cfg.PollInterval > 0 {
		h.watch.start(h)
	}
	return h, nil
}

// openService finds, loads and prepares the service's module.
func (h *Host) openService(ctx context.Context) (*module, error) {
	svc := h.cfg.Service
	var m *module
	var dirNote string
	if h.cfg.PluginsDir != "" {
		h.watch = newWatcher(h.cfg.PluginsDir)
		found, note, err := h.watch.scan(ctx, h)
		if err != nil {
			return nil, err
		}
		m, dirNote = found, note
	}
	if m != nil {
		if err := h.admit(m); err != nil {
			m.discard(ctx)
			h.log.Error("sms plugin refused; using the built-in one if there is one", "plugin", m.name, "error", err.Error())
			m, dirNote = nil, err.Error()
		}
	}
	if m == nil {
		wasm, err := h.builtin(svc)
		if err != nil {
			if dirNote != "" {
				return nil, fmt.Errorf("%w (%s)", err, dirNote)
			}
			return nil, err
		}
		if err := h.checkPin(svc, wasm); err != nil {
			return nil, err
		}
		m, err = h.load(ctx, wasm, originBuiltin)
		if err != nil {
			return nil, fmt.Errorf("built-in plugin %s: %w", svc, err)
		}
		if m.name != svc {
			m.discard(ctx)
			return nil, fmt.Errorf("built-in module %s.wasm declares name %s", strings.ToLower(svc), m.name)
		}
	}
	if err := m.prepare(ctx, h.cfg.Settings); err != nil {
		m.discard(ctx)
		return nil, err
	}
	return m, nil
}

// builtin reads the built-in module for svc.
func (h *Host) builtin(svc string) ([]byte, error) {
	fsys := h.cfg.Builtins
	if fsys == nil {
		fsys = builtin.FS()
	}
	name := strings.ToLower(svc) + ".wasm"
	wasm, err := fs.ReadFile(fsys, name)
	if err == nil {
		return wasm, nil
	}
	if slices.Contains(builtin.Names(), svc) {
		return nil, fmt.Errorf("built-in plugin %s is not built: run `make plugins`", svc)
	}
	return nil, fmt.Errorf("SMS_SERVICE %s: no such plugin (built-in: %s; or put its module in PLUGINS_DIR)",
		svc, strings.Join(builtin.Names(), ", "))
}

// checkPin refuses wasm when a sha256 pin for svc is configured and differs.
func (h *Host) checkPin(svc string, wasm []byte) error {
	want, ok := h.cfg.Pins[svc]
	if !ok || want == "" {
		return nil
	}
	got := shaHex(wasm)
	if !strings.EqualFold(strings.TrimSpace(want), got) {
		return fmt.Errorf("plugin %s: module sha256 %s does not match the pinned %s", svc, got, want)
	}
	return nil
}

func (h *Host) load(ctx context.Context, wasm []byte, origin string) (*module, error) {
	m, err := loadModule(ctx, h.eng, wasm, loadOptions{
		origin: origin, mode: h.cfg.limit, callTimeout: h.cfg.CallTimeout,
		poolSize: h.cfg.PoolSize, logger: h.log, stats: &h.stats, maxModuleBytes: h.cfg.MaxModuleBytes,
		cacheDir: h.cacheDir,
	})
	if m != nil {
		m.operator = h.operator
	}
	return m, err
}

// swap makes m the active module and retires the old one once its sends in
// flight have finished.
func (h *Host) swap(m *module) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed.Load() {
		m.discard(context.Background())
		return
	}
	old := h.active.Swap(m)
	h.stats.reloads.Add(1)
	h.log.Info("sms plugin reloaded", slog.String("plugin", m.name), slog.String("version", m.manifest.Version),
		slog.String("origin", m.origin), slog.String("sha256", m.sha), slog.String("time_limit", m.mode.String()))
	if old != nil {
		go old.retire(context.Background())
	}
}

// Manifest returns the manifest of the active plugin.
func (h *Host) Manifest() abi.Manifest {
	if m := h.active.Load(); m != nil {
		return m.manifest
	}
	return abi.Manifest{}
}

// Ready reports whether the service plugin is loaded.
func (h *Host) Ready() error {
	if h.closed.Load() {
		return errors.New("sms plugin host is closed")
	}
	if h.active.Load() == nil {
		return errors.New("sms plugin is not loaded")
	}
	return nil
}

// Close stops watching PluginsDir, waits (until ctx ends) for sends in
// flight, and releases every module.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed.Swap(true) {
		h.mu.Unlock()
		return nil
	}
	h.mu.Unlock()
	if h.watch != nil {
		h.watch.stop()
	}
	if m := h.active.Load(); m != nil {
		go m.retire(context.WithoutCancel(ctx))
		select {
		case <-m.done:
		case <-ctx.Done():
			// Sends still in a plugin call: end them, and give them a
			// moment to return their instances.
			h.eng.stopCalls()
			select {
			case <-m.done:
			case <-time.After(time.Second):
			}
		}
	}
	err := h.eng.close(context.WithoutCancel(ctx))
	h.caller.close()
	return err
}

// Send hands m to the active plugin and makes the requests it asks for.
// Every failure is a *chelseru.SMSError.
func (h *Host) Send(ctx context.Context, msg chelseru.SMS) (chelseru.SMSResult, error) {
	h.stats.sends.Add(1)
	res, err := h.send(ctx, msg)
	if err != nil {
		h.stats.failures.Add(1)
		var se *chelseru.SMSError
		if errors.As(err, &se) {
			switch se.Class {
			case chelseru.SMSPlugin:
				h.stats.pluginErrors.Add(1)
			case chelseru.SMSTimeout:
				h.stats.timeouts.Add(1)
			}
		}
	}
	return res, err
}

func (h *Host) send(ctx context.Context, msg chelseru.SMS) (chelseru.SMSResult, error) {
	var m *module
	for {
		if h.closed.Load() {
			return chelseru.SMSResult{}, &chelseru.SMSError{Class: chelseru.SMSPlugin, Text: "the SMS service is shutting down",
				Err: errors.New("plugin host is closed")}
		}
		m = h.active.Load()
		if m.acquire() {
			break
		}
	}
	defer m.release()
	man := &m.manifest
	switch {
	case msg.To == "":
		return chelseru.SMSResult{}, &chelseru.SMSError{Class: chelseru.SMSBadRequest, Text: "no receiver"}
	case msg.TemplateID == 0 && !man.Text:
		return chelseru.SMSResult{}, &chelseru.SMSError{Class: chelseru.SMSBadRequest, Code: "template_required",
			Text: "this provider sends templates only: a template_id is required"}
	case msg.TemplateID != 0 && !man.Templates:
		return chelseru.SMSResult{}, &chelseru.SMSError{Class: chelseru.SMSBadRequest, Code: "templates_unsupported",
			Text: "this provider does not send templates"}
	}
	// The send's deadline (SMS.TIMEOUT, or the caller's if earlier) and its
	// callLog for the log import.
	ctx = context.WithValue(ctx, pluginKey{}, &callLog{name: m.name, secrets: m.secrets})
	ctx, cancel := context.WithTimeoutCause(ctx, h.cfg.Timeout, errSendTimeout)
	defer cancel()

	in := abi.Message{To: msg.To, Text: msg.Text, TemplateID: msg.TemplateID, Vars: msg.Vars, Ref: msg.Ref,
		Params: messageParams(man, &msg), Time: sendTime(man, msg.Time)}
	action, err := h.step(ctx, m, func(b []byte) []byte { return abi.AppendMessage(b, &in) }, false)
	reached := false // a request of this send may have reached the provider
	for steps := 0; err == nil; {
		if action.Result != nil {
			return m.resultOf(action.Result)
		}
		steps++
		if steps > MaxSteps {
			err = h.pluginFailure(m, &pluginError{msg: fmt.Sprintf("plugin asked for more than %d requests in one send", MaxSteps)})
			break
		}
		u, berr := m.checkRequest(action.Request)
		if berr != nil {
			err = h.pluginFailure(m, berr)
			break
		}
		resp, rerr := h.caller.call(ctx, action.Request, u, m.headers)
		if rerr != nil {
			var pe *pluginError
			if errors.As(rerr, &pe) {
				rerr = h.pluginFailure(m, pe)
			}
			reached = reached || !(pe != nil && pe.notSent) && !chelseru.SMSNotSent(rerr)
			err = rerr
			break
		}
		reached = true
		resp.State = action.State
		action, err = h.step(ctx, m, func(b []byte) []byte { return abi.AppendResponse(b, &resp) }, true)
	}
	return chelseru.SMSResult{}, notSent(err, !reached)
}

// notSent sets the NotSent mark of a send's error: no request of the send
// can have reached the provider, so the caller may give back its limits.
func notSent(err error, unsent bool) error {
	var se *chelseru.SMSError
	if errors.As(err, &se) {
		se.NotSent = unsent
	}
	return err
}

// step runs one plugin call (send, or response when isResponse) on a pooled
// instance and returns the validated action.
func (h *Host) step(ctx context.Context, m *module, encode func([]byte) []byte, isResponse bool) (abi.Action, error) {
	if ctx.Err() != nil {
		return abi.Action{}, timeoutError(ctx)
	}
	in, err := m.get(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return abi.Action{}, timeoutError(ctx)
		}
		return abi.Action{}, h.pluginFailure(m, &pluginError{msg: "cannot create a plugin instance", err: err})
	}
	in.buf = encode(in.buf[:0])
	fn := in.fnSend
	if isResponse {
		fn = in.fnResponse
	}
	out, err := m.invoke(ctx, in, fn, in.buf, true)
	if len(in.buf) > 64<<10 {
		in.buf = nil // do not keep a large buffer per instance
	}
	var action abi.Action
	if err == nil {
		if derr := abi.DecodeAction(out, &action); derr != nil {
			err = &pluginError{msg: "plugin output is not a valid action", err: derr}
		} else {
			err = validateAction(&action)
		}
	}
	m.put(ctx, in, err == nil)
	if err != nil {
		if ctx.Err() != nil && m.mode == limitContext {
			// The send's deadline closed the instance mid-call.
			return abi.Action{}, timeoutError(ctx)
		}
		return abi.Action{}, h.pluginFailure(m, err)
	}
	return action, nil
}

// validateAction checks that an action is well formed.
func validateAction(a *abi.Action) error {
	if (a.Request == nil) == (a.Result == nil) {
		return &pluginError{msg: "plugin action must hold exactly one of request and result"}
	}
	if len(a.State) > maxState {
		return &pluginError{msg: fmt.Sprintf("plugin state is over %d bytes", maxState)}
	}
	if r := a.Result; r != nil && !r.OK {
		switch r.Class {
		case abi.ClassBadCredentials, abi.ClassBadRequest, abi.ClassOutOfCredit,
			abi.ClassRateLimited, abi.ClassTemporary, abi.ClassPermanent:
		case abi.ClassPlugin:
			return guestFailure(r)
		default:
			return &pluginError{msg: fmt.Sprintf("plugin result has unknown error class %q", truncate(r.Class, 32))}
		}
	}
	return nil
}

// resultOf maps a plugin's result to the SMS port's, scrubbing secrets
// from the provider's code and text.
func (m *module) resultOf(r *abi.Result) (chelseru.SMSResult, error) {
	if r.OK {
		return chelseru.SMSResult{MessageID: truncate(r.MessageID, 128)}, nil
	}
	return chelseru.SMSResult{}, &chelseru.SMSError{
		Class: chelseru.SMSErrorClass(r.Class),
		Code:  truncate(m.scrub(r.Code), maxCodeLen),
		Text:  truncate(m.scrub(r.Text), maxTextLen),
	}
}

// pluginFailure logs a plugin's own failure and returns it as an SMSError
// of class SMSPlugin (502).
func (h *Host) pluginFailure(m *module, err error) error {
	h.log.Warn("sms plugin failed", slog.String("plugin", m.name), slog.String("origin", m.origin), slog.String("error", err.Error()))
	return &chelseru.SMSError{Class: chelseru.SMSPlugin, Code: "plugin_error", Text: "the SMS provider plugin failed",
		Err: fmt.Errorf("plugin %s: %w", m.name, err)}
}

func timeoutError(ctx context.Context) error {
	return &chelseru.SMSError{Class: chelseru.SMSTimeout, Text: "the provider did not answer in time", Err: context.Cause(ctx)}
}
