package pluginhost

import (
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultService          = "CONSOLE"
	DefaultTimeout          = 10 * time.Second
	DefaultCallTimeout      = 100 * time.Millisecond
	DefaultMemoryLimitPages = 512 // 32 MiB
	DefaultMaxResponseBytes = 1 << 20
	DefaultPollInterval     = time.Second
	// DefaultIdleConnTimeout is how long an idle provider connection is
	// kept: shorter than the shortest common server keep-alive timeout
	// (Apache's 5 s), so the host closes it before the provider does.
	DefaultIdleConnTimeout = 4 * time.Second
)

// Fixed limits of the host (documented in docs/plugin-abi.md).
const (
	// MaxSteps bounds the HTTP requests of one send.
	MaxSteps = 8
	// MaxOutputBytes bounds one output of a plugin call (an Action, a
	// Manifest, a ConfigureResult).
	MaxOutputBytes = 4 << 20
	// MaxModuleBytes is the most Config.MaxModuleBytes may be.
	MaxModuleBytes = 64 << 20
	// MaxPluginFiles bounds the *.wasm files read from PluginsDir.
	MaxPluginFiles = 64
	// MaxLogLine bounds one line a plugin logs through chelseru.log.
	MaxLogLine = 4096
	// minMemoryPages is the smallest memory cap accepted: the Go guest's GC
	// does not know the cap, and below ~128 pages a normal workload traps.
	minMemoryPages = 128
)

// Config configures a Host. Zero values take the defaults above.
type Config struct {
	// DataDir holds the compilation cache at DataDir/wasm-cache ("" = no disk cache).
	DataDir string
	// PluginsDir holds extra *.wasm modules ("" = built-ins only). A module
	// there whose manifest names the service overrides the built-in one. The
	// folder is polled for changes.
	PluginsDir string
	// Service is SMS_SERVICE, e.g. "KAVENEGAR_COM" (default CONSOLE).
	Service string
	// Settings is all of SMS.SETTINGS; a plugin receives exactly the keys
	// its manifest declares (each begins with its name and an underscore).
	Settings map[string]string
	// Pins maps a service name to the sha256 (hex) its module must have.
	Pins map[string]string
	// Timeout bounds a whole send, HTTP included (SMS.TIMEOUT) -> SMSTimeout.
	Timeout time.Duration
	// CallTimeout bounds one call into a plugin.
	CallTimeout time.Duration
	// MemoryLimitPages caps each instance's linear memory (64 KiB pages; at least 128).
	MemoryLimitPages uint32
	// PoolSize is the most instances per plugin (default GOMAXPROCS).
	PoolSize int
	// MaxResponseBytes caps a provider response body handed to a plugin.
	MaxResponseBytes int64
	// Logger receives the host's and the plugins' log lines (default slog.Default()).
	Logger *slog.Logger
	// Builtins overrides the embedded built-in modules (tests); nil = embedded.
	Builtins fs.FS

	// PollInterval is how often PluginsDir is checked for changed modules
	// (default 1s; negative disables reloading).
	PollInterval time.Duration
	// Transport, when set, makes the provider requests through net/http
	// (tests and benchmarks pass an in-process one). By default the Host
	// uses fasthttp's client, or net/http's when HTTPS_PROXY or HTTP_PROXY
	// is set.
	Transport http.RoundTripper

	// MaxModuleBytes is the module size limit, checked before a module is
	// compiled (default DefaultMaxModuleBytes, at most MaxModuleBytes).
	MaxModuleBytes int
	// Interrupt chooses how calls are bounded in time: "" or "instrument"
	// (the module is instrumented, falling back to "context" when it cannot
	// be), or "context" (wazero's own context-based interruption for every
	// module, slower; for when the instrumenter misbehaves).
	Interrupt string
	// AllowedHosts is SMS.PLUGIN_ALLOWED_HOSTS: service name to the hosts
	// (host or host:port) its plugin may call, beside the host of the
	// BASE_URL the operator set. A plugin from PluginsDir may call nothing
	// else (egress.go).
	AllowedHosts map[string][]string
	// Overrides is SMS.PLUGIN_OVERRIDES: the built-in services a module in
	// PluginsDir may replace (a sha256 pin in Pins also opts in).
	Overrides []string
	// IdleConnTimeout is how long an idle provider connection is kept
	// (SMS.PROVIDER_IDLE_TIMEOUT; default DefaultIdleConnTimeout).
	IdleConnTimeout time.Duration

	// limit forces a per-call limit mechanism (tests and benchmarks only).
	limit limitMode
	// lookup replaces DNS resolution of provider hosts (tests only).
	lookup lookupFunc
}

func (c Config) withDefaults() Config {
	if c.Service == "" {
		c.Service = DefaultService
	}
	c.Service = strings.ToUpper(c.Service)
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.MemoryLimitPages == 0 {
		c.MemoryLimitPages = DefaultMemoryLimitPages
	}
	if c.MemoryLimitPages < minMemoryPages {
		c.MemoryLimitPages = minMemoryPages
	}
	if c.MemoryLimitPages > 65536 {
		c.MemoryLimitPages = 65536
	}
	if c.PoolSize <= 0 {
		c.PoolSize = runtime.GOMAXPROCS(0)
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxModuleBytes <= 0 {
		c.MaxModuleBytes = DefaultMaxModuleBytes
	}
	if c.MaxModuleBytes > MaxModuleBytes {
		c.MaxModuleBytes = MaxModuleBytes
	}
	if c.limit == limitAuto && c.Interrupt == InterruptContext {
		c.limit = limitContext
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.IdleConnTimeout <= 0 {
		c.IdleConnTimeout = DefaultIdleConnTimeout
	}
	return c
}

// Values of Config.Interrupt (SMS.PLUGIN_INTERRUPT).
const (
	InterruptInstrument = "instrument"
	InterruptContext    = "context"
)

// discardLogger is used by Check, which has no configuration.
var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))
