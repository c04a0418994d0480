// Package config reads chelseru's YAML configuration file.
//
// Key names are those users of django-chelseru already know: the inner keys of
// DJANGO_CHELSERU['AUTH'] and ['SMS'], and simplejwt's SIMPLE_JWT names, in
// upper case, grouped in sections SERVER, JWT, AUTH, SMS and LOG. Every key
// has a default (Default); a file sets only what it changes. Unknown keys are
// an error, so a typo is caught, and so is a key set twice.
//
// Every error is one line that names the key as written in the file and says
// what is wrong, in the manner of Django's ImproperlyConfigured, for example
//
//	AUTH.OPTIONS.OTP_LENGTH must be between 3 and 10, got 20 (line 14)
//	JWT.ALGORITHM must be HS256 or EdDSA, got "RS256" (line 7)
//	SMS.TIMEOUT: "ten" is not a duration (e.g. 10s) (line 20)
//	unknown key SMS.SETINGS (line 22); did you mean SMS.SETTINGS?
//
// It never carries a Go type name or a stack.
//
// Values: durations are Go durations in a string ("90s", "5m", "24h"); a bare
// number is refused because its unit would be a guess. Whole numbers may be
// written plain or quoted. SMS.SETTINGS values are strings, and a number
// there is taken exactly as written, so 10004346 and "10004346" are the
// same. An empty value (`KEY:` or `KEY: ~`) leaves the default in place;
// `KEY: ""` sets an empty string.
//
// The JWT signing key may come from the environment (CHELSERU_JWT_SIGNING_KEY,
// which wins over the file) or, when neither sets one, from a key file
// generated once in the data folder (see Config.SigningKey).
package config

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"runtime"
	"time"
)

// EnvSigningKey is the environment variable that, when set and not empty,
// overrides JWT.SIGNING_KEY.
const EnvSigningKey = "CHELSERU_JWT_SIGNING_KEY"

// MaxFileBytes bounds the size of a configuration file.
const MaxFileBytes = 1 << 20

// Config is the whole configuration. Field comments give the key and the
// default.
type Config struct {
	Server Server
	JWT    JWT
	Auth   Auth
	SMS    SMS
	Log    Log
	// Storage is the STORAGE section (config/storage.go).
	Storage Storage
	// Chat is the CHAT section.
	Chat Chat

	// lines maps key paths to the line they were set on, for messages.
	lines map[string]int
	// sources names the environment variables and flags values came from
	// (config/env.go).
	sources []string
}

// Server is the SERVER section: where to listen, where to keep data, and the
// HTTP server's limits.
type Server struct {
	// Listen is SERVER.LISTEN, host:port; default 127.0.0.1:8000. Port 0
	// picks a free port.
	Listen string
	// DataDir is SERVER.DATA_DIR, the data folder (storage, key file, plugin
	// compilation cache); default ./data.
	DataDir string
	// PluginsDir is SERVER.PLUGINS_DIR, a folder of extra provider plugins
	// (*.wasm); default ./plugins; "" for none (built-ins only).
	PluginsDir string
	// TrustedProxies is SERVER.TRUSTED_PROXIES, a list of IP addresses and
	// CIDRs. A request's client address is taken from X-Forwarded-For only
	// when the socket peer is in this list; default empty (never).
	TrustedProxies []netip.Prefix
	// MaxBodyBytes is SERVER.MAX_BODY_BYTES, the largest request body
	// accepted (413 beyond); default 16384 (16 KiB: the largest body the
	// API takes is under 4 KiB, and a slow client holds a buffer of the size
	// its request announces), 1024 to 64 MiB.
	MaxBodyBytes int
	// ReadTimeout, WriteTimeout and IdleTimeout are SERVER.READ_TIMEOUT,
	// WRITE_TIMEOUT and IDLE_TIMEOUT: reading one request, writing one
	// response, and an idle keep-alive connection; defaults 10s, 10s, 60s.
	// The time a handler waits for the SMS provider is bounded by
	// SMS.TIMEOUT, not by these.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxConns is SERVER.MAX_CONNS, the most connections served at once;
	// default 10000, below the process's open-file limit.
	MaxConns int
	// MaxConnsPerIP is SERVER.MAX_CONNS_PER_IP, the most connections open at
	// once from one socket address; default DefaultMaxConnsPerIP (128), 0 for
	// no limit. Mobile carriers put many users behind one address, and a
	// reverse proxy puts every client behind its own: raise it (or set 0)
	// when the server sits behind a proxy.
	MaxConnsPerIP int
	// AllowedOrigins is SERVER.ALLOWED_ORIGINS, the Origin values
	// (scheme://host[:port]) a chat socket is accepted from; default empty,
	// meaning any (native apps send no Origin).
	AllowedOrigins []string

	// AdminListen is SERVER.ADMIN_LISTEN, host:port of the admin API and
	// page (its own listener, never SERVER.LISTEN); default "" (off).
	AdminListen string
	// AdminToken is SERVER.ADMIN_TOKEN, the admin API's bearer token, at
	// least 32 bytes; required with AdminListen (or AdminTokenFile).
	AdminToken Secret
	// AdminTokenFile is SERVER.ADMIN_TOKEN_FILE, a file holding AdminToken
	// (not readable by other users); Validate reads it into AdminToken.
	AdminTokenFile string
	// MetricsListen is SERVER.METRICS_LISTEN, host:port of a listener
	// serving only GET /metrics; default "" (on the public port, unless
	// MetricsOnAdmin).
	MetricsListen string
	// MetricsOnAdmin is SERVER.METRICS_ON_ADMIN: /metrics is served on the
	// admin listener (with the admin token) and not on the public port;
	// default false.
	MetricsOnAdmin bool

	// CORSAllowedOrigins is SERVER.CORS_ALLOWED_ORIGINS: the browser origins
	// (scheme://host[:port], or "*") allowed to call the API; default empty
	// (CORS off: no preflight is answered, no CORS header sent).
	CORSAllowedOrigins []string
	// CORSAllowCredentials is SERVER.CORS_ALLOW_CREDENTIALS: send
	// Access-Control-Allow-Credentials: true (cookies, HTTP auth); default
	// false. The API takes bearer tokens, which need no credentials mode.
	CORSAllowCredentials bool
	// CORSMaxAge is SERVER.CORS_MAX_AGE, how long a browser may cache a
	// preflight's answer (Access-Control-Max-Age); default 10m, at most 24h.
	CORSMaxAge time.Duration
}

// JWT is the JWT section, simplejwt's SIMPLE_JWT names.
type JWT struct {
	// SigningKey is JWT.SIGNING_KEY. For HS256 it is the secret, used as
	// its UTF-8 bytes (as simplejwt does). For EdDSA it is the Ed25519 key:
	// the base64 (standard or URL alphabet, padded or not) of the 32-byte
	// seed, or a PKCS#8 PEM private key as simplejwt takes it. Empty: the
	// key file in the data folder (see Config.SigningKey).
	SigningKey string
	// SigningKeyFromEnv records that SigningKey came from EnvSigningKey.
	SigningKeyFromEnv bool
	// Algorithm is JWT.ALGORITHM, HS256 or EdDSA; default HS256.
	Algorithm string
	// AccessTokenLifetime is JWT.ACCESS_TOKEN_LIFETIME; default 5m.
	AccessTokenLifetime time.Duration
	// RefreshTokenLifetime is JWT.REFRESH_TOKEN_LIFETIME; default 24h.
	RefreshTokenLifetime time.Duration
	// RotateRefreshTokens is JWT.ROTATE_REFRESH_TOKENS: /api/token/refresh/
	// also returns a new refresh token and retires the old one; default true.
	RotateRefreshTokens bool
	// PreviousSigningKeys is JWT.PREVIOUS_SIGNING_KEYS: earlier signing keys,
	// written as JWT.SIGNING_KEY is, accepted for verifying tokens only (a
	// key rotation's grace period); default empty, at most 8.
	PreviousSigningKeys []string
	// ImportedTokensUntil is JWT.IMPORTED_TOKENS_UNTIL: an RFC 3339 time
	// until which tokens simplejwt issued before an import from
	// django-chelseru are accepted for imported users; empty (the default):
	// never. See ImportedTokensCutoff.
	ImportedTokensUntil string
}

// Auth is the AUTH section, DJANGO_CHELSERU['AUTH'].
type Auth struct {
	// AuthMethod is AUTH.AUTH_METHOD, OTP or PASSWD; default OTP.
	AuthMethod string
	// Options is AUTH.OPTIONS.
	Options AuthOptions
	// ServiceAPIKeys is AUTH.SERVICE_API_KEYS: the keys service clients (a
	// backend) present as "Authorization: Api-Key <key>" to call
	// /api/message/send/; default empty (no service may send). Secret: never
	// printed or logged.
	ServiceAPIKeys []string
	// Captcha is AUTH.CAPTCHA (config/admin.go).
	Captcha Captcha
}

// AuthOptions is AUTH.OPTIONS.
type AuthOptions struct {
	// OTPLength is OTP_LENGTH, digits in a code, 3 to 10; default 8.
	OTPLength int
	// OTPExpirePerMinutes is OTP_EXPIRE_PER_MINUTES, how long a code lives
	// in minutes, 1 to 1440; default 4.
	OTPExpirePerMinutes int
	// OTPSMSTemplateID is OTP_SMS_TEMPLATE_ID, the provider template codes
	// are sent with; default 1.
	OTPSMSTemplateID int64
	// OTPMaxAttempts is OTP_MAX_ATTEMPTS, wrong codes (or passwords) before
	// the code is burnt, 1 to 100; default 5.
	OTPMaxAttempts int
	// OTPSendsPerNumberPerHour is OTP_SENDS_PER_NUMBER_PER_HOUR, codes sent to
	// one number per hour; default 5. Raise it (up to 1e9) to get it out of
	// the way, e.g. for a benchmark.
	OTPSendsPerNumberPerHour int
	// OTPSendsPerIPPerHour is OTP_SENDS_PER_IP_PER_HOUR, codes asked for from
	// one client address per hour; default 50, up to 1e9.
	OTPSendsPerIPPerHour int
	// OTPSendsPerNumberPerIPPerHour is OTP_SENDS_PER_NUMBER_PER_IP_PER_HOUR:
	// codes one client address may have sent to one number per hour beyond
	// the number's shared OTP_SENDS_PER_NUMBER_PER_HOUR, so that sends from
	// other addresses cannot use up the owner's; default 3, 0 to 1e9 (0: the
	// shared budget alone, as before).
	OTPSendsPerNumberPerIPPerHour int
	// AuthenticatePerIPPerHour is AUTHENTICATE_PER_IP_PER_HOUR: requests to
	// /api/authenticate/ from one client address per hour (429 beyond);
	// default 300, 1 to 1e9.
	AuthenticatePerIPPerHour int
	// RefreshPerIPPerHour is REFRESH_PER_IP_PER_HOUR: requests to
	// /api/token/refresh/ from one client address per hour (429 beyond);
	// default 3600, 1 to 1e9.
	RefreshPerIPPerHour int
}

// MetricsMoved reports whether /metrics is off the public port.
func (s Server) MetricsMoved() bool { return s.MetricsListen != "" || s.MetricsOnAdmin }

// OTPExpiry is OTPExpirePerMinutes as a duration.
func (o AuthOptions) OTPExpiry() time.Duration {
	return time.Duration(o.OTPExpirePerMinutes) * time.Minute
}

// SMS is the SMS section, DJANGO_CHELSERU['SMS'], plus the plugin runtime's
// limits.
type SMS struct {
	// Timeout is SMS.TIMEOUT, the bound on one whole send, HTTP included (504
	// beyond); default 10s, 1ms to 10m.
	Timeout time.Duration
	// UserMessages is SMS.USER_MESSAGES: signed-in users (Bearer) may send
	// free-text SMS through /api/message/send/ too; default false (only
	// service clients with an AUTH.SERVICE_API_KEYS key may).
	UserMessages bool
	// UserMessagesPerHour is SMS.USER_MESSAGES_PER_HOUR, messages one user
	// may send per hour when UserMessages is on (429 beyond); default 10,
	// 1 to 1e9.
	UserMessagesPerHour int
	// MaxPerHour and MaxPerDay are SMS.MAX_PER_HOUR and SMS.MAX_PER_DAY, the
	// global budgets of SMS over every send (codes and messages; 429 with
	// Retry-After beyond); default 0 (off), up to 1e9.
	MaxPerHour, MaxPerDay int
	// SMSService is SMS.SMS_SERVICE, the provider: PARSIAN_WEBCO_IR,
	// MELI_PAYAMAK_COM, KAVENEGAR_COM, CONSOLE or a plugin's name; default
	// CONSOLE (each SMS printed to the log).
	SMSService string
	// Settings is SMS.SETTINGS, provider settings; each plugin gets the keys
	// that start with its name and "_". Default empty.
	Settings map[string]string
	// Templates is SMS.TEMPLATES, template names to provider template ids;
	// default empty.
	Templates map[string]int64
	// TemplateParams is SMS.TEMPLATE_PARAMS: a template id (decimal) to the
	// comma-separated names of its parameters, in the order of the message's
	// variables (for the OTP template: the code). Plugins with named
	// template parameters receive them (docs/plugin-abi.md, Message).
	// Default empty. See TemplateParamNames.
	TemplateParams map[string]string
	// PluginSHA256 is SMS.PLUGIN_SHA256: service name to the SHA-256 (64
	// lower-case hex digits) a plugin's module must have; a plugin that does
	// not match is refused. Default empty (no pins). Validate lower-cases
	// the digits.
	PluginSHA256 map[string]string
	// PluginMemoryLimitMB is SMS.PLUGIN_MEMORY_LIMIT_MB, the linear memory one
	// plugin instance may grow to, 1 to 4096; default 32.
	PluginMemoryLimitMB int
	// PluginCallTimeout is SMS.PLUGIN_CALL_TIMEOUT, the bound on one call into
	// a plugin (the HTTP calls it asks for are not counted); default 100ms,
	// 1ms to 1m.
	PluginCallTimeout time.Duration
	// PluginPoolSize is SMS.PLUGIN_POOL_SIZE, instances per plugin, 0 to
	// 1024; default 0, meaning GOMAXPROCS.
	PluginPoolSize int
	// PluginIdleTimeout is SMS.PLUGIN_IDLE_TIMEOUT: after this long without
	// a send, the plugin's idle instances are closed and the freed memory
	// handed back to the OS (the next send starts one again, ~20 ms);
	// default 30s (DefaultPluginIdleTimeout), 0 keeps them, at most 24h.
	PluginIdleTimeout time.Duration
	// PluginMaxResponseBytes is SMS.PLUGIN_MAX_RESPONSE_BYTES, the largest
	// provider response body handed to a plugin, 1024 to 64 MiB; default
	// 1048576 (1 MiB).
	PluginMaxResponseBytes int64
	// PluginMaxModuleBytes is SMS.PLUGIN_MAX_MODULE_BYTES, the largest
	// plugin module accepted, checked before it is compiled, 64 KiB to 64
	// MiB; default 8388608 (8 MiB; the built-ins are ~2.5 MB).
	PluginMaxModuleBytes int
	// PluginInterrupt is SMS.PLUGIN_INTERRUPT, how calls into plugins are
	// stopped at their time limit: instrument (default: the module is
	// rewritten with cheap checks; context when it cannot be) or context
	// (wazero's own context-based interruption for every module, slower).
	PluginInterrupt string
	// PluginAllowedHosts is SMS.PLUGIN_ALLOWED_HOSTS: service name to the
	// hosts (host or host:port; a host alone means ports 80 and 443) its
	// plugin may call beside its BASE_URL's. A plugin from
	// SERVER.PLUGINS_DIR may call only these and the host of the BASE_URL
	// set in SMS.SETTINGS. Default empty.
	PluginAllowedHosts map[string][]string
	// PluginOverrides is SMS.PLUGIN_OVERRIDES: the built-in services a
	// module in SERVER.PLUGINS_DIR may replace (a pin in PLUGIN_SHA256 also
	// allows it). Default empty.
	PluginOverrides []string
	// ProviderIdleTimeout is SMS.PROVIDER_IDLE_TIMEOUT, how long an idle
	// connection to a provider is kept, 100ms to 10m; default 4s.
	ProviderIdleTimeout time.Duration
}

// PluginMemoryLimitPages is PluginMemoryLimitMB in 64 KiB WebAssembly pages.
func (s SMS) PluginMemoryLimitPages() uint32 { return uint32(s.PluginMemoryLimitMB) * 16 }

// Log is the LOG section.
type Log struct {
	// Level is LOG.LEVEL: debug, info, warn or error; default info.
	Level slog.Level
	// Format is LOG.FORMAT: text or json; default text.
	Format string
}

// Default returns the configuration used when there is no file: the values of
// the example in the API spec, except for no signing key, the CONSOLE
// provider and no provider settings.
func Default() *Config {
	return &Config{
		Server: Server{
			Listen:        "127.0.0.1:8000",
			DataDir:       "./data",
			PluginsDir:    "./plugins",
			MaxBodyBytes:  16 << 10,
			ReadTimeout:   10 * time.Second,
			WriteTimeout:  10 * time.Second,
			IdleTimeout:   60 * time.Second,
			MaxConns:      10000,
			MaxConnsPerIP: DefaultMaxConnsPerIP,
			CORSMaxAge:    DefaultCORSMaxAge,
		},
		JWT: JWT{
			Algorithm:            "HS256",
			AccessTokenLifetime:  5 * time.Minute,
			RefreshTokenLifetime: 24 * time.Hour,
			RotateRefreshTokens:  true,
		},
		Auth: Auth{
			AuthMethod: "OTP",
			Options: AuthOptions{
				OTPLength:                8,
				OTPExpirePerMinutes:      4,
				OTPSMSTemplateID:         1,
				OTPMaxAttempts:           5,
				OTPSendsPerNumberPerHour: 5,
				OTPSendsPerIPPerHour:     50,

				OTPSendsPerNumberPerIPPerHour: 3,
				AuthenticatePerIPPerHour:      300,
				RefreshPerIPPerHour:           3600,
			},
			Captcha: Captcha{Timeout: DefaultCaptchaTimeout},
		},
		SMS: SMS{
			Timeout:                10 * time.Second,
			UserMessagesPerHour:    10,
			SMSService:             "CONSOLE",
			Settings:               map[string]string{},
			Templates:              map[string]int64{},
			TemplateParams:         map[string]string{},
			PluginSHA256:           map[string]string{},
			PluginMemoryLimitMB:    32,
			PluginCallTimeout:      100 * time.Millisecond,
			PluginPoolSize:         0,
			PluginMaxResponseBytes: 1 << 20,
			PluginMaxModuleBytes:   8 << 20,
			PluginInterrupt:        "instrument",
			PluginAllowedHosts:     map[string][]string{},
			ProviderIdleTimeout:    DefaultProviderIdleTimeout,
			PluginIdleTimeout:      DefaultPluginIdleTimeout,
		},
		Log:     Log{Level: slog.LevelInfo, Format: "text"},
		Storage: Storage{MinFreeBytes: DefaultMinFreeBytes},
		Chat:    defaultChat(),
	}
}

// readFile reads a config file of at most MaxFileBytes.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read config file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read config file: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("config file %s is larger than %d bytes", path, MaxFileBytes)
	}
	return data, nil
}

// Parse reads a configuration from YAML and validates it. It does not look at
// the environment; Load does.
func Parse(data []byte) (*Config, error) {
	c, err := parse(data)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func parse(data []byte) (*Config, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("config file is larger than %d bytes", MaxFileBytes)
	}
	c := Default()
	c.lines = map[string]int{}
	if err := decode(bytes.NewReader(data), c); err != nil {
		return nil, err
	}
	return c, nil
}

// ApplyEnv applies the environment, read through lookup (os.LookupEnv): a
// non-empty EnvSigningKey replaces JWT.SIGNING_KEY.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) {
	if v, ok := lookup(EnvSigningKey); ok && v != "" {
		c.JWT.SigningKey = v
		c.JWT.SigningKeyFromEnv = true
	}
}

// Error is a configuration error: one line naming the key.
type Error struct {
	Key  string // the key path, e.g. AUTH.OPTIONS.OTP_LENGTH ("" for the file as a whole)
	Line int    // the line in the file, or 0 when unknown
	Msg  string // the whole message, key included, without the line
	Hint string // an optional suggestion, e.g. "did you mean SMS.SETTINGS?"
	// Source names the environment variable or flag the value came from
	// ("env CHELSERU_SERVER__LISTEN", "flag --listen"), or "".
	Source string
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Line > 0 {
		s = fmt.Sprintf("%s (line %d)", s, e.Line)
	}
	if e.Source != "" {
		s = fmt.Sprintf("%s (%s)", s, e.Source)
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// errorf returns an *Error for key with the message format(args...) and the
// line key was set on, if known.
func (c *Config) errorf(key, format string, args ...any) error {
	return &Error{Key: key, Line: c.lines[key], Msg: fmt.Sprintf(format, args...)}
}

// numCPU is what PLUGIN_POOL_SIZE 0 means.
var numCPU = runtime.GOMAXPROCS

// EffectivePoolSize is PluginPoolSize, or GOMAXPROCS when it is 0.
func (s SMS) EffectivePoolSize() int {
	if s.PluginPoolSize > 0 {
		return s.PluginPoolSize
	}
	return numCPU(0)
}

// String describes j without the signing key, so that printing a Config
// (fmt's %v, slog) never leaks it.
func (j JWT) String() string {
	key := "unset"
	if j.SigningKey != "" {
		key = fmt.Sprintf("set (%d bytes)", len(j.SigningKey))
		if j.SigningKeyFromEnv {
			key += " from " + EnvSigningKey
		}
	}
	return fmt.Sprintf("{SigningKey:%s Algorithm:%s AccessTokenLifetime:%v RefreshTokenLifetime:%v RotateRefreshTokens:%t}",
		key, j.Algorithm, j.AccessTokenLifetime, j.RefreshTokenLifetime, j.RotateRefreshTokens)
}

// GoString is String, for %#v.
func (j JWT) GoString() string { return "config.JWT" + j.String() }

// String describes s with the names of its settings but not their values,
// which hold provider credentials.
func (s SMS) String() string {
	return fmt.Sprintf("{Timeout:%v SMSService:%s Settings:%v Templates:%v PluginSHA256:%v PluginMemoryLimitMB:%d PluginCallTimeout:%v PluginPoolSize:%d PluginMaxResponseBytes:%d}",
		s.Timeout, s.SMSService, sortedKeys(s.Settings), s.Templates, s.PluginSHA256, s.PluginMemoryLimitMB, s.PluginCallTimeout, s.PluginPoolSize, s.PluginMaxResponseBytes)
}

// GoString is String, for %#v.
func (s SMS) GoString() string { return "config.SMS" + s.String() }
