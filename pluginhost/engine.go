package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
)

// engines holds one wazero runtime per time-limit mechanism in use: the
// mechanism is a runtime-wide setting (WithCloseOnContextDone), so modules
// that need the context fallback live in a runtime of their own. Both share
// the compilation cache and the memory cap.
type engines struct {
	cache  wazero.CompilationCache // nil: no disk cache
	pages  uint32
	logger *slog.Logger
	paths  pathCache // json_extract's decoded paths

	mu     sync.Mutex
	byMode map[limitMode]wazero.Runtime
	closed bool

	// Set by stopCalls (bounds.go): every call into a module of these
	// engines ends, and none starts.
	stopped    atomic.Bool
	stopCtx    context.Context
	stopCancel context.CancelFunc
}

func newEngines(cache wazero.CompilationCache, pages uint32, logger *slog.Logger) *engines {
	e := &engines{cache: cache, pages: pages, logger: logger, byMode: map[limitMode]wazero.Runtime{}}
	e.stopCtx, e.stopCancel = context.WithCancel(context.Background())
	return e
}

// runtime returns the runtime for mode, creating it on first use.
func (e *engines) runtime(ctx context.Context, mode limitMode) (wazero.Runtime, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, errors.New("plugin host is closed")
	}
	if rt, ok := e.byMode[mode]; ok {
		return rt, nil
	}
	rc := wazero.NewRuntimeConfig().
		WithMemoryLimitPages(e.pages).
		WithCloseOnContextDone(mode == limitContext)
	if e.cache != nil {
		rc = rc.WithCompilationCache(e.cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	// A Go guest imports WASI even when it uses none of it: the module gets
	// no files, no environment, no arguments, fake clocks and a
	// deterministic random source (wazero's defaults).
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("instantiate WASI: %w", err)
	}
	_, err := rt.NewHostModuleBuilder(abi.HostModule).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(e.hostLog), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32}, nil).
		WithParameterNames("level", "ptr", "len").
		Export(abi.ImportLog).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(e.hostJSONExtract),
			[]api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32},
			[]api.ValueType{api.ValueTypeI32}).
		WithParameterNames("doc", "doc_len", "paths", "paths_len", "out", "out_len").
		Export(abi.ImportJSONExtract).
		Instantiate(ctx)
	if err != nil {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("instantiate host module %q: %w", abi.HostModule, err)
	}
	e.byMode[mode] = rt
	return rt, nil
}

// close closes every runtime, and with them every module and instance.
func (e *engines) close(ctx context.Context) error {
	e.stopCancel()
	instances.Range(func(k, v any) bool { // closed below with their runtime
		if v.(*instance).m.eng == e {
			instances.Delete(k)
		}
		return true
	})
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	var errs []error
	for mode, rt := range e.byMode {
		errs = append(errs, rt.Close(ctx))
		delete(e.byMode, mode)
	}
	if e.cache != nil {
		errs = append(errs, e.cache.Close(ctx))
		e.cache = nil
	}
	return errors.Join(errs...)
}

// pluginKey carries the *callLog of a send in its context, for the log
// import. Outside sends (set-up calls) the instance's own budget applies.
type pluginKey struct{}

// callLog is the log state of one send.
type callLog struct {
	name    string
	budget  logBudget
	secrets []string // the plugin's secret values, scrubbed from its lines (scrub.go)
}

// hostLog implements chelseru.log(level, ptr, len). It counts toward the
// call's time limit, and logs within the send's or the instance's budget
// (bounds.go); every line carries plugin=.
func (e *engines) hostLog(ctx context.Context, mod api.Module, stack []uint64) {
	in := instanceOf(mod)
	enforceDeadline(ctx, in)
	level, ptr, n := int32(uint32(stack[0])), uint32(stack[1]), uint32(stack[2])
	truncated := false
	if n > MaxLogLine {
		n, truncated = MaxLogLine, true
	}
	name := "unknown"
	var budget *logBudget
	if cl, ok := ctx.Value(pluginKey{}).(*callLog); ok {
		name, budget = cl.name, &cl.budget
	} else if in != nil {
		name, budget = in.m.label(), &in.setup
	}
	if budget != nil {
		if ok, warn := budget.take(int(n), maxLogLines); !ok {
			if warn {
				e.logger.Warn("plugin log lines over the budget of one send or instance set-up are dropped",
					slog.String("plugin", name), slog.Int("max_lines", maxLogLines), slog.Int("max_bytes", maxLogBytes))
			}
			return
		}
	}
	b, ok := mod.Memory().Read(ptr, n)
	if !ok {
		return
	}
	if sec := logSecrets(ctx); len(sec) > 0 {
		b = []byte(scrubLine(sec, string(b), truncated))
	}
	msg := sanitizeLine(b)
	if truncated {
		msg += "…"
	}
	e.logger.Log(ctx, sdk.SlogLevel(int(level)), msg, slog.String("plugin", name))
}

// sanitizeLine makes a guest's bytes one printable line of valid UTF-8.
func sanitizeLine(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size == 1:
			sb.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\r' || r == '\t':
			sb.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			sb.WriteRune(utf8.RuneError)
		default:
			sb.WriteRune(r)
		}
		b = b[size:]
	}
	return sb.String()
}
