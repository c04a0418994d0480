package pluginhost

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/chelseru/chelseru/sdk/abi"
)

// CheckOptions says how CheckRun runs a module.
type CheckOptions struct {
	// Settings are SMS.SETTINGS (the plugin gets the keys with its prefix).
	// A required setting missing here is given the placeholder
	// CheckPlaceholder, so that a module can be checked without its secrets.
	Settings map[string]string
	// To is the receiver of the dry send (default "09120000000").
	To string
	// CallTimeout bounds each call into the module (default DefaultCallTimeout).
	CallTimeout time.Duration
	// MemoryLimitPages caps the instance's memory (default DefaultMemoryLimitPages).
	MemoryLimitPages uint32
	// MaxModuleBytes is the module size limit (default DefaultMaxModuleBytes).
	MaxModuleBytes int
	// Interrupt is as Config.Interrupt.
	Interrupt string
}

// CheckPlaceholder is the value CheckRun gives a required setting that was
// not supplied.
const CheckPlaceholder = "CHECK-PLACEHOLDER"

// CheckReport is what CheckRun found.
type CheckReport struct {
	Manifest abi.Manifest
	// Placeholders lists the required settings given CheckPlaceholder.
	Placeholders []string
	// TimeLimit is the mechanism that bounds the module's calls.
	TimeLimit string
	// Request is the first request of the dry send (not made), with secret
	// setting values replaced by ***; nil when the plugin answered at once.
	Request *abi.Request
	// Result is the plugin's immediate answer to the dry send, if it made
	// no request.
	Result *abi.Result
	// Refused, when set, is why serving would refuse Request as things
	// stand (its host is not allowed without the operator's config).
	Refused string
}

// CheckRun checks a module as serving would use it, every entry bounded by
// the time limit and the memory cap: Check's checks, then configure with
// the settings (through chelseru_alloc), then a dry send of a text message
// (a template one for a template-only plugin) whose request is checked
// against the allowed hosts and returned, not made. A configure that traps,
// refuses or spins, a broken chelseru_alloc, or a send that fails are each
// a one-line error.
func CheckRun(ctx context.Context, wasm []byte, o CheckOptions) (*CheckReport, error) {
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.MemoryLimitPages == 0 {
		o.MemoryLimitPages = DefaultMemoryLimitPages
	}
	if o.To == "" {
		o.To = "09120000000"
	}
	mode := limitAuto
	switch o.Interrupt {
	case "", InterruptInstrument:
	case InterruptContext:
		mode = limitContext
	default:
		return nil, fmt.Errorf("interrupt mode %q: want %s or %s", o.Interrupt, InterruptInstrument, InterruptContext)
	}
	var cache wazero.CompilationCache
	if checkCacheDir != "" {
		if c, err := wazero.NewCompilationCacheWithDir(checkCacheDir); err == nil {
			cache = c
		}
	}
	eng := newEngines(cache, max(o.MemoryLimitPages, minMemoryPages), discardLogger)
	defer func() { _ = eng.close(context.WithoutCancel(ctx)) }()
	m, err := loadModule(ctx, eng, wasm, loadOptions{
		origin: "check", mode: mode, callTimeout: o.CallTimeout, poolSize: 1, logger: discardLogger,
		maxModuleBytes: o.MaxModuleBytes,
	})
	if err != nil {
		return nil, fmt.Errorf("invalid plugin: %w", err)
	}
	defer m.discard(context.WithoutCancel(ctx))
	rep := &CheckReport{Manifest: m.manifest, TimeLimit: m.mode.String()}
	settings := maps.Clone(o.Settings)
	if settings == nil {
		settings = map[string]string{}
	}
	for _, s := range m.manifest.Settings {
		if s.Required && s.Default == "" && settings[s.Key] == "" {
			settings[s.Key] = CheckPlaceholder
			rep.Placeholders = append(rep.Placeholders, s.Key)
		}
	}
	if err := m.prepare(ctx, settings); err != nil {
		return rep, fmt.Errorf("configure: %w", err)
	}
	msg := abi.Message{To: o.To, Text: "chelseru plugin check: your code is 123456", Ref: "check"}
	if !m.manifest.Text {
		msg = abi.Message{To: o.To, TemplateID: 1, Vars: []string{"123456"}, Ref: "check"}
		msg.Params = namedVars(m.manifest.TemplateParams, msg.Vars) // as serving names them
	}
	in, err := m.get(ctx)
	if err != nil {
		return rep, fmt.Errorf("dry send: %w", err)
	}
	out, err := m.invoke(ctx, in, in.fnSend, abi.AppendMessage(nil, &msg), true)
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
		return rep, fmt.Errorf("dry send: %w", err)
	}
	if action.Result != nil {
		rep.Result = action.Result
		return rep, nil
	}
	if err := checkMethodAndHeaders(action.Request); err != nil {
		return rep, fmt.Errorf("dry send: %w", err)
	}
	if _, err := parseRequestURL(action.Request.URL); err != nil {
		return rep, fmt.Errorf("dry send: %w", err)
	}
	if _, err := m.checkRequest(action.Request); err != nil {
		// A well-formed request to a host the module may not call: serving
		// refuses it until the operator's config names the host (egress.go),
		// which a check cannot know; it is reported, not fatal.
		rep.Refused = err.Error()
	}
	q := *action.Request
	q.URL, q.Body = m.scrub(q.URL), m.scrub(q.Body)
	q.Headers = nil
	for _, h := range action.Request.Headers {
		q.Headers = append(q.Headers, abi.Header{Name: h.Name, Value: m.scrub(h.Value)})
	}
	rep.Request = &q
	return rep, nil
}
