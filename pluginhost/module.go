package pluginhost

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/chelseru/chelseru/pluginhost/builtin"
	"github.com/chelseru/chelseru/pluginhost/internal/interrupt"
	"github.com/chelseru/chelseru/sdk/abi"
)

// errNotWasm is returned for a file that does not start with the wasm magic.
var errNotWasm = errors.New("not a WebAssembly module")

// pluginError is a failure of the plugin itself: a trap, a timeout of one
// call, or output that breaks the ABI. The instance that failed is discarded.
type pluginError struct {
	msg     string
	timeout bool // the per-call time limit stopped it
	notSent bool // a connection the plugin asked for was refused: nothing was sent
	err     error
}

func (e *pluginError) Error() string {
	if e.err != nil {
		return e.msg + ": " + firstLine(e.err.Error())
	}
	return e.msg
}

func (e *pluginError) Unwrap() error { return e.err }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// exportSig is the signature an ABI export must have.
type exportSig struct {
	name            string
	params, results []api.ValueType
}

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

var requiredExports = []exportSig{
	{abi.ExportVersion, nil, []api.ValueType{i32}},
	{abi.ExportAlloc, []api.ValueType{i32}, []api.ValueType{i32}},
	{abi.ExportManifest, nil, []api.ValueType{i64}},
	{abi.ExportConfigure, []api.ValueType{i32, i32}, []api.ValueType{i64}},
	{abi.ExportSend, []api.ValueType{i32, i32}, []api.ValueType{i64}},
	{abi.ExportResponse, []api.ValueType{i32, i32}, []api.ValueType{i64}},
}

// module is one loaded version of a plugin: compiled once, with a bounded
// pool of configured instances.
type module struct {
	name     string // manifest name
	origin   string // "built-in" or the file in PluginsDir
	sha      string // sha256 hex of the original module bytes
	mode     limitMode
	lim      limiter
	initLim  limiter // for _initialize, which is slower than a call
	rt       wazero.Runtime
	eng      *engines
	compiled wazero.CompiledModule
	manifest abi.Manifest
	logger   *slog.Logger
	stats    *counters

	// Set by prepare for the service module.
	settings map[string]string
	secrets  []string // values of secret settings (and their escaped forms), scrubbed from texts
	hosts    allowlist
	operator *operatorEgress // what the operator's config names (set by Host.load)
	headers  headerFilter    // the response headers the plugin reads
	lastURL  atomic.Pointer[checkedURL]
	config   []byte // the encoded abi.Configure

	idle  chan *instance // configured instances waiting for work
	slots chan struct{}  // one token per live instance (cap PoolSize)
	rw    sync.RWMutex   // sends hold R; retire holds W
	dead  atomic.Bool    // retired: acquire must look again
	live  atomic.Int64   // live instances
	once  sync.Once      // retire
	done  chan struct{}  // closed once retired
	first atomic.Pointer[instance]
}

// instance is one instantiated module. It is used by one goroutine at a time.
type instance struct {
	m                                                   *module
	setup                                               logBudget // chelseru.log outside sends
	mod                                                 api.Module
	mem                                                 api.Memory
	fnInit, fnVersion, fnAlloc, fnManifest, fnConfigure api.Function
	fnSend, fnResponse                                  api.Function
	watch                                               *watchdog // interrupt mode only
	inPtr, inCap                                        uint32
	stack                                               [2]uint64
	buf                                                 []byte // encode scratch
}

// loadOptions say how to load a module.
type loadOptions struct {
	origin      string
	mode        limitMode // limitAuto unless forced
	callTimeout time.Duration
	poolSize    int
	// maxModuleBytes is the module size limit (DefaultMaxModuleBytes when 0).
	maxModuleBytes int
	logger         *slog.Logger
	stats          *counters
	// cacheDir keeps instrumented modules across starts (instrumented);
	// empty: none.
	cacheDir string
}

// loadModule compiles wasm, checks its imports and exports, instantiates one
// instance, checks its ABI version and reads and validates its manifest.
// The instance is kept (unconfigured) as the module's first instance.
func loadModule(ctx context.Context, eng *engines, wasm []byte, o loadOptions) (*module, error) {
	if o.maxModuleBytes <= 0 {
		o.maxModuleBytes = DefaultMaxModuleBytes
	}
	if err := preflight(wasm, o.maxModuleBytes); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(wasm)
	m := &module{
		origin: o.origin, sha: hex.EncodeToString(sum[:]), logger: o.logger, stats: o.stats,
		idle: make(chan *instance, o.poolSize), slots: make(chan struct{}, o.poolSize), done: make(chan struct{}),
	}
	if m.stats == nil {
		m.stats = new(counters)
	}
	bin := wasm
	m.mode = o.mode
	switch o.mode {
	case limitAuto, limitInterrupt:
		out, err := instrumented(wasm, sum, o.cacheDir)
		switch {
		case err == nil:
			bin, m.mode = out, limitInterrupt
		case o.mode == limitInterrupt:
			return nil, fmt.Errorf("cannot instrument module for the per-call time limit: %w", err)
		default:
			// Fallback: wazero's own interruption, slower but complete.
			m.mode = limitContext
			o.logger.Warn("plugin module cannot be instrumented; using the slower context time limit",
				slog.String("origin", o.origin), slog.String("reason", err.Error()))
		}
	}
	initTimeout := max(time.Second, 10*o.callTimeout)
	switch m.mode {
	case limitInterrupt:
		m.lim, m.initLim = interruptLimiter{o.callTimeout}, interruptLimiter{initTimeout}
	case limitContext:
		m.lim, m.initLim = contextLimiter{o.callTimeout}, contextLimiter{initTimeout}
	default:
		m.lim, m.initLim = noLimiter{}, noLimiter{}
	}
	rt, err := eng.runtime(ctx, m.mode)
	if err != nil {
		return nil, err
	}
	m.rt, m.eng = rt, eng
	compiled, err := rt.CompileModule(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("compile: %s", firstLine(err.Error()))
	}
	m.compiled = compiled
	if err := checkModule(compiled, m.mode); err != nil {
		_ = compiled.Close(ctx)
		return nil, err
	}
	in, err := m.newInstance(ctx)
	if err != nil {
		_ = compiled.Close(ctx)
		return nil, err
	}
	out, err := m.invoke(ctx, in, in.fnManifest, nil, false)
	if err == nil && len(out) > 64<<10 {
		err = errors.New("manifest over 64 KiB")
	}
	if err == nil {
		err = abi.DecodeManifest(out, &m.manifest)
	}
	if err == nil {
		err = validateManifest(&m.manifest)
	}
	if err != nil {
		in.close(ctx)
		_ = compiled.Close(ctx)
		return nil, fmt.Errorf("manifest: %w", err)
	}
	m.name = m.manifest.Name
	m.first.Store(in)
	return m, nil
}

// checkModule refuses a module whose imports the host does not offer or
// whose ABI exports are missing or have the wrong signature.
func checkModule(c wazero.CompiledModule, mode limitMode) error {
	for _, def := range c.ImportedFunctions() {
		mod, name, _ := def.Import()
		switch {
		case mod == "wasi_snapshot_preview1":
		case mod == abi.HostModule && (name == abi.ImportLog || name == abi.ImportJSONExtract):
		default:
			return fmt.Errorf("module imports %s.%s, which the host does not offer", mod, name)
		}
	}
	if len(c.ImportedMemories()) > 0 {
		return errors.New("module imports a memory; it must define and export its own")
	}
	exports := c.ExportedFunctions()
	if len(exports) == 0 {
		return errors.New("module exports no functions: not a chelseru plugin")
	}
	if err := checkReactor(exports); err != nil {
		return err
	}
	for _, want := range requiredExports {
		def, ok := exports[want.name]
		if !ok {
			return fmt.Errorf("module does not export %s: not a chelseru plugin of ABI %d", want.name, abi.Version)
		}
		if !sameTypes(def.ParamTypes(), want.params) || !sameTypes(def.ResultTypes(), want.results) {
			return fmt.Errorf("export %s has signature %s -> %s, want %s -> %s", want.name,
				typeList(def.ParamTypes()), typeList(def.ResultTypes()), typeList(want.params), typeList(want.results))
		}
	}
	if def, ok := exports["_initialize"]; ok && (len(def.ParamTypes()) != 0 || len(def.ResultTypes()) != 0) {
		return errors.New("export _initialize must take and return nothing")
	}
	if _, ok := c.ExportedMemories()["memory"]; !ok {
		return errors.New("module does not export its memory as \"memory\"")
	}
	return nil
}

func sameTypes(a, b []api.ValueType) bool {
	return bytes.Equal(a, b)
}

func typeList(ts []api.ValueType) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = api.ValueTypeName(t)
	}
	return "(" + strings.Join(s, ",") + ")"
}

// newInstance instantiates the module, runs _initialize under the time
// limit and checks the ABI version.
func (m *module) newInstance(ctx context.Context) (*instance, error) {
	// The module has no wasm start function (preflight), and WASI's _start
	// is not run: _initialize is run below through the limiter instead.
	in := &instance{m: m}
	mod, err := m.rt.InstantiateModule(ctx, m.compiled, guestConfig(in))
	if err != nil {
		return nil, fmt.Errorf("instantiate: %s", firstLine(err.Error()))
	}
	in.mod, in.mem = mod, mod.Memory()
	in.fnInit = mod.ExportedFunction("_initialize")
	in.fnVersion = mod.ExportedFunction(abi.ExportVersion)
	in.fnAlloc = mod.ExportedFunction(abi.ExportAlloc)
	in.fnManifest = mod.ExportedFunction(abi.ExportManifest)
	in.fnConfigure = mod.ExportedFunction(abi.ExportConfigure)
	in.fnSend = mod.ExportedFunction(abi.ExportSend)
	in.fnResponse = mod.ExportedFunction(abi.ExportResponse)
	instances.Store(mod, in)
	if m.mode == limitInterrupt {
		g, err := interrupt.Flag(mod)
		if err != nil {
			instances.Delete(mod)
			_ = mod.Close(ctx)
			return nil, err
		}
		in.watch = newWatchdog(g)
	}
	if in.mem == nil {
		in.close(ctx)
		return nil, errors.New("module has no memory")
	}
	if in.fnInit != nil {
		if timedOut, err := m.initLim.call(ctx, in, in.fnInit, in.stack[:]); err != nil {
			in.close(ctx)
			if timedOut {
				return nil, errors.New("_initialize did not return in time")
			}
			return nil, fmt.Errorf("_initialize trapped: %s", firstLine(err.Error()))
		}
	}
	if _, err := m.lim.call(ctx, in, in.fnVersion, in.stack[:]); err != nil {
		in.close(ctx)
		return nil, fmt.Errorf("%s trapped: %s", abi.ExportVersion, firstLine(err.Error()))
	}
	if v := int32(uint32(in.stack[0])); v != abi.Version {
		in.close(ctx)
		return nil, fmt.Errorf("plugin speaks ABI version %d; this host speaks %d", v, abi.Version)
	}
	m.stats.instancesCreated.Add(1)
	return in, nil
}

func (in *instance) close(ctx context.Context) {
	if in.watch != nil {
		in.watch.stop()
	}
	instances.Delete(in.mod)
	_ = in.mod.Close(ctx)
}

// invoke calls fn with input (when hasInput) and returns a view of its
// output in the instance's memory, valid until the next call.
func (m *module) invoke(ctx context.Context, in *instance, fn api.Function, input []byte, hasInput bool) ([]byte, error) {
	stack := in.stack[:]
	if hasInput {
		n := uint32(len(input))
		if n > in.inCap || in.inCap == 0 {
			size := max(n, 4096)
			stack[0] = uint64(size)
			if _, err := m.lim.call(ctx, in, in.fnAlloc, stack); err != nil {
				return nil, &pluginError{msg: abi.ExportAlloc + " trapped", err: err}
			}
			ptr := uint32(stack[0])
			if ptr == 0 || uint64(ptr)+uint64(size) > uint64(in.mem.Size()) {
				return nil, &pluginError{msg: abi.ExportAlloc + " returned an invalid buffer"}
			}
			in.inPtr, in.inCap = ptr, size
		}
		if !in.mem.Write(in.inPtr, input) {
			return nil, &pluginError{msg: "input buffer outside memory"}
		}
		stack[0], stack[1] = uint64(in.inPtr), uint64(n)
	}
	timedOut, err := m.lim.call(ctx, in, fn, stack)
	if err != nil {
		if timedOut {
			return nil, &pluginError{msg: "plugin call exceeded its time limit", timeout: true, err: err}
		}
		return nil, &pluginError{msg: "plugin trapped", err: err}
	}
	packed := stack[0]
	ptr, n := uint32(packed>>32), uint32(packed)
	if n > MaxOutputBytes {
		return nil, &pluginError{msg: fmt.Sprintf("plugin output of %d bytes is over the %d-byte limit", n, MaxOutputBytes)}
	}
	out, ok := in.mem.Read(ptr, n)
	if !ok {
		return nil, &pluginError{msg: "plugin output lies outside its memory"}
	}
	return out, nil
}

// prepare validates settings for the service module, computes its allowlist
// and configures its first instance. Errors are one line, naming the key.
func (m *module) prepare(ctx context.Context, all map[string]string) error {
	settings, unknown, err := pluginSettings(&m.manifest, all)
	if err != nil {
		return err
	}
	for _, k := range unknown {
		m.logger.Warn("setting is not declared by the plugin and is ignored by it",
			slog.String("plugin", m.name), slog.String("key", "SMS.SETTINGS."+k))
	}
	hosts, err := m.buildAllowlist(settings, all)
	if err != nil {
		return err
	}
	m.settings, m.hosts = settings, hosts
	m.logEgress()
	m.headers = newHeaderFilter(m.manifest.ResponseHeaders)
	m.secrets = secretValues(&m.manifest, settings)
	m.config = abi.AppendConfigure(nil, &abi.Configure{Settings: settings})
	in := m.first.Swap(nil)
	if in == nil {
		if in, err = m.newInstance(ctx); err != nil {
			return err
		}
	}
	if err := m.configure(ctx, in); err != nil {
		in.close(ctx)
		return err
	}
	m.slots <- struct{}{}
	m.live.Add(1)
	m.idle <- in
	return nil
}

// secretValues lists the values of the secret settings, raw and escaped as
// they would appear in a URL, longest first.
func secretValues(man *abi.Manifest, settings map[string]string) []string {
	var out []string
	for _, s := range man.Settings {
		v := settings[s.Key]
		if !s.Secret || len(v) < 4 {
			continue
		}
		out = append(out, v)
		for _, e := range []string{url.PathEscape(v), url.QueryEscape(v)} {
			if e != v {
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// scrub replaces secret setting values in a text that came from the plugin
// (a provider's error text, a configure error) before the host shows or logs it.
func (m *module) scrub(s string) string {
	for _, v := range m.secrets {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
}

// configure hands an instance its settings.
func (m *module) configure(ctx context.Context, in *instance) error {
	cctx := context.WithValue(ctx, secretsKey{}, m.secrets)
	out, err := m.invoke(cctx, in, in.fnConfigure, m.config, true)
	if err != nil {
		return fmt.Errorf("plugin %s failed to configure: %w", m.name, err)
	}
	var res abi.ConfigureResult
	if err := abi.DecodeConfigureResult(out, &res); err != nil {
		return fmt.Errorf("plugin %s: configure output: %w", m.name, err)
	}
	if res.Error != "" {
		return fmt.Errorf("plugin %s refused its settings: %s", m.name, m.scrub(firstLine(res.Error)))
	}
	return nil
}

// get returns an idle instance, creates one when the pool has room, or
// waits for one until ctx ends.
func (m *module) get(ctx context.Context) (*instance, error) {
	select {
	case in := <-m.idle:
		return in, nil
	default:
	}
	select {
	case in := <-m.idle:
		return in, nil
	case m.slots <- struct{}{}:
		in, err := m.newInstance(ctx)
		if err == nil {
			err = m.configure(ctx, in)
			if err != nil {
				in.close(ctx)
			}
		}
		if err != nil {
			<-m.slots
			return nil, err
		}
		m.live.Add(1)
		return in, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// put returns a healthy instance to the pool, or discards a failed one so
// that the next get replaces it.
func (m *module) put(ctx context.Context, in *instance, healthy bool) {
	if healthy {
		m.idle <- in // never blocks: live instances <= cap(idle)
		return
	}
	in.close(context.WithoutCancel(ctx))
	m.live.Add(-1)
	m.stats.instancesDiscarded.Add(1)
	<-m.slots
}

// acquire pins the module for one send; false when it has been retired.
func (m *module) acquire() bool {
	m.rw.RLock()
	if m.dead.Load() {
		m.rw.RUnlock()
		return false
	}
	return true
}

func (m *module) release() { m.rw.RUnlock() }

// retire waits for the sends in flight, then closes the instances and the
// compiled module. It is safe to call more than once.
func (m *module) retire(ctx context.Context) {
	m.once.Do(func() {
		m.dead.Store(true)
		m.rw.Lock()
		defer m.rw.Unlock()
		for {
			select {
			case in := <-m.idle:
				in.close(ctx)
				m.live.Add(-1)
				continue
			default:
			}
			break
		}
		if in := m.first.Swap(nil); in != nil {
			in.close(ctx)
		}
		_ = m.compiled.Close(ctx)
		close(m.done)
	})
}

// discard closes a module that was loaded but never served.
func (m *module) discard(ctx context.Context) { m.retire(ctx) }

// validateManifest checks what the host relies on.
func validateManifest(man *abi.Manifest) error {
	if man.ABI != abi.Version {
		return fmt.Errorf("manifest ABI is %d; this host speaks %d", man.ABI, abi.Version)
	}
	if !validName(man.Name) {
		return fmt.Errorf("name %q is not a service name (A-Z, 0-9 and _, starting with a letter, at most 64)", truncate(man.Name, 80))
	}
	if err := checkNamePrefix(man.Name, builtin.Names()); err != nil {
		return err
	}
	if man.Version == "" || len(man.Version) > 64 {
		return errors.New("version must be 1 to 64 characters")
	}
	if len(man.Settings) > 64 {
		return errors.New("more than 64 settings")
	}
	seen := map[string]bool{}
	for _, s := range man.Settings {
		if !strings.HasPrefix(s.Key, man.Name+"_") || !validName(s.Key) {
			return fmt.Errorf("setting %q must be %s_ followed by A-Z, 0-9 or _", truncate(s.Key, 80), man.Name)
		}
		if seen[s.Key] {
			return fmt.Errorf("setting %s is declared twice", s.Key)
		}
		seen[s.Key] = true
	}
	if len(man.Hosts) > 32 {
		return errors.New("more than 32 hosts")
	}
	for _, h := range man.Hosts {
		if !validHost(h) {
			return fmt.Errorf("host %q is not a host name or host:port", truncate(h, 80))
		}
	}
	return validateTemplateParams(man.TemplateParams)
}

func validName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func validHost(h string) bool {
	if h == "" || len(h) > 255 || strings.ContainsAny(h, "/@?#% \t") {
		return false
	}
	u, err := url.Parse("http://" + h)
	return err == nil && u.Host == h && u.Hostname() != ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// instrumented returns wasm instrumented for the per-call time limit
// (interrupt.Instrument). With a cache dir it keeps the result there, named
// by the module's SHA-256 and interrupt.Version and prefixed with its own
// SHA-256, so a later start of the same module reads it instead of
// instrumenting again; a copy that is missing, damaged or cannot be written
// only costs the instrumentation.
func instrumented(wasm []byte, sum [sha256.Size]byte, dir string) ([]byte, error) {
	if dir == "" {
		return interrupt.Instrument(wasm)
	}
	path := filepath.Join(dir, fmt.Sprintf("interrupt-v%d-%x.wasm", interrupt.Version, sum))
	if b, err := os.ReadFile(path); err == nil && len(b) > sha256.Size {
		if got := sha256.Sum256(b[sha256.Size:]); bytes.Equal(got[:], b[:sha256.Size]) {
			return b[sha256.Size:], nil
		}
	}
	out, err := interrupt.Instrument(wasm)
	if err != nil {
		return nil, err
	}
	sealed := sha256.Sum256(out)
	tmp, err := os.CreateTemp(dir, ".interrupt-*")
	if err == nil {
		_, werr := tmp.Write(append(sealed[:], out...))
		cerr := tmp.Close()
		if werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
			_ = os.Remove(tmp.Name())
		}
	}
	return out, nil
}
