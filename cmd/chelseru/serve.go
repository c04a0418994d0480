package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	domain "github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/auth"
	"github.com/chelseru/chelseru/chat"
	"github.com/chelseru/chelseru/config"
	"github.com/chelseru/chelseru/host"
	"github.com/chelseru/chelseru/pluginhost"
	"github.com/chelseru/chelseru/storage"
	"github.com/chelseru/chelseru/token"
)

// shutdownGrace bounds how long in-flight requests may take after SIGTERM.
const shutdownGrace = 15 * time.Second

// pluginStopMargin: plugin calls still running this long before the grace
// ends are stopped (pluginhost.Host.StopCalls).
const pluginStopMargin = 3 * time.Second

// File names inside DATA_DIR.
const (
	dbDirName  = "db"      // the Badger database
	otpKeyName = "otp-key" // the HMAC key one-time codes are hashed with
)

// cmdServe runs the server until SIGINT or SIGTERM.
func cmdServe(args []string, stderr io.Writer) error {
	fs := newFlags("serve")
	path := fs.String("config", "", "config `FILE` (YAML); default: built-in defaults")
	keys := addKeyFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path, keys)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	tuneGC()
	tuneMemory(memoryLimit(cfg.SMS.EffectivePoolSize(), int64(cfg.SMS.PluginMemoryLimitMB)<<20))
	if stopProfile, err := startCPUProfile(os.Getenv(envCPUProfile)); err != nil {
		return err
	} else {
		defer stopProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		app.close(log)
		return fmt.Errorf("SERVER.LISTEN: cannot listen on %s: %w", cfg.Server.Listen, unwrapOp(err))
	}
	log.Info("chelseru serving", "addr", ln.Addr().String(), "sms_service", cfg.SMS.SMSService,
		"data_dir", cfg.Server.DataDir, "version", version())

	releaseStartupMemory()
	stopTrim := trimWhenIdle(app.plugins, cfg.SMS.PluginIdleTimeout, app.http.Activity, log)
	defer stopTrim()
	stopOps, err := serveOps(cfg, app, log)
	if err != nil {
		ln.Close()
		app.close(log)
		return err
	}
	stopAdmin := serveAdmin(ctx, cfg, app.db, log)
	served := make(chan error, 1)
	go func() { served <- app.http.Serve(ln) }()
	select {
	case err = <-served: // the listener failed on its own
	case <-ctx.Done():
		log.Info("shutting down: finishing in-flight requests")
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		// Requests still inside a plugin call near the end of the grace
		// are ended (502), so that they are answered and the process
		// exits within the grace whatever a plugin does.
		stopCalls := time.AfterFunc(shutdownGrace-pluginStopMargin, app.plugins.StopCalls)
		err = app.http.Shutdown(sctx)
		stopCalls.Stop()
		cancel()
		if err == nil {
			err = <-served
		}
	}
	stopAdmin()
	stopOps()
	app.close(log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// app is the wired server: storage, plugin host, login logic and HTTP.
type app struct {
	db      *storage.DB
	plugins *pluginhost.Host
	auth    *auth.Service
	http    *host.Server
}

// openApp opens every part of the server from cfg, closing what it opened if
// a later part fails. Errors are one line, naming the config key where one is
// at fault.
func openApp(ctx context.Context, cfg *config.Config, log *slog.Logger) (_ *app, err error) {
	for _, w := range cfg.Warnings() {
		log.Warn("config: " + w)
	}
	a := &app{}
	defer func() {
		if err != nil {
			a.close(log)
		}
	}()
	dataDir := cfg.Server.DataDir
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("SERVER.DATA_DIR: %w", unwrapOp(err))
	}
	// Storage first: a damaged data folder stops the start before any key
	// is generated, and tokens are bound to the database's identity.
	a.db, err = storage.Open(filepath.Join(dataDir, dbDirName), storageOptions(cfg, log))
	if err != nil {
		return nil, fmt.Errorf("SERVER.DATA_DIR: storage: %w", err)
	}
	tc, src, err := cfg.TokenConfig()
	if err != nil {
		return nil, err
	}
	if src == config.KeyFileGenerated {
		log.Info("generated a JWT signing key (kept for later runs)", "path", cfg.KeyFile())
	}
	tc.DatabaseID = a.db.ID()
	issuer, err := token.New(tc)
	if err != nil {
		return nil, fmt.Errorf("JWT: %w", err)
	}
	otpKey, created, err := config.LoadOrCreateSecret(filepath.Join(dataDir, otpKeyName))
	if err != nil {
		return nil, fmt.Errorf("SERVER.DATA_DIR: OTP key: %w", err)
	}
	if created {
		log.Info("generated an OTP hashing key (kept for later runs)", "path", filepath.Join(dataDir, otpKeyName))
	}

	a.plugins, err = pluginhost.Open(ctx, pluginhost.Config{
		DataDir:          dataDir,
		PluginsDir:       cfg.Server.PluginsDir,
		Service:          cfg.SMS.SMSService,
		Settings:         cfg.SMS.Settings,
		Pins:             cfg.SMS.PluginSHA256,
		Timeout:          cfg.SMS.Timeout,
		CallTimeout:      cfg.SMS.PluginCallTimeout,
		MemoryLimitPages: cfg.SMS.PluginMemoryLimitPages(),
		PoolSize:         cfg.SMS.EffectivePoolSize(),
		MaxResponseBytes: cfg.SMS.PluginMaxResponseBytes,
		MaxModuleBytes:   cfg.SMS.PluginMaxModuleBytes,
		Interrupt:        cfg.SMS.PluginInterrupt,
		Logger:           log.With("component", "plugins"),
		AllowedHosts:     cfg.SMS.PluginAllowedHosts,
		Overrides:        cfg.SMS.PluginOverrides,
		IdleConnTimeout:  cfg.SMS.ProviderIdleTimeout,
	})
	if err != nil {
		return nil, err
	}
	man := a.plugins.Manifest()
	// Sessions deleted through auth are reported to the chat sockets.
	revocations := chat.WatchRevocations(a.db)
	a.auth, err = auth.New(auth.Options{
		OTPLength:             cfg.Auth.Options.OTPLength,
		OTPTTL:                cfg.Auth.Options.OTPExpiry(),
		OTPTemplateID:         cfg.Auth.Options.OTPSMSTemplateID,
		MaxAttempts:           cfg.Auth.Options.OTPMaxAttempts,
		SendsPerNumberPerHour: cfg.Auth.Options.OTPSendsPerNumberPerHour,
		SendsPerIPPerHour:     cfg.Auth.Options.OTPSendsPerIPPerHour,
		// No SMSTimeout: the plugin host bounds every send by SMS.TIMEOUT
		// itself, and a second timer per send would only cost CPU.
		Service:      man.Name,
		TemplateOnly: man.Templates && !man.Text,
		Method:       auth.Method(cfg.Auth.AuthMethod),

		SendsPerNumberPerIPPerHour: cfg.Auth.Options.OTPSendsPerNumberPerIPPerHour,
		AuthenticatePerIPPerHour:   cfg.Auth.Options.AuthenticatePerIPPerHour,
		RefreshPerIPPerHour:        cfg.Auth.Options.RefreshPerIPPerHour,
		ServiceAPIKeys:             cfg.Auth.ServiceAPIKeys,
		UserMessages:               cfg.SMS.UserMessages,
		UserMessagesPerHour:        cfg.SMS.UserMessagesPerHour,
		MaxSMSPerHour:              cfg.SMS.MaxPerHour,
		MaxSMSPerDay:               cfg.SMS.MaxPerDay,
	}, auth.Deps{
		Store:    revocations,
		Imported: a.db,
		Sender:   domain.NamingSender(a.plugins, cfg.SMS.TemplateParamNames()),
		Tokens:   issuer,
		OTPKey:   []byte(otpKey),
		Logger:   log.With("component", "auth"),
	})
	if err != nil {
		return nil, err
	}
	chatSvc, err := newChat(cfg, a.db, log)
	if err != nil {
		return nil, err
	}
	a.http, err = host.New(host.Options{
		MaxBodyBytes:   cfg.Server.MaxBodyBytes,
		ReadTimeout:    cfg.Server.ReadTimeout,
		WriteTimeout:   cfg.Server.WriteTimeout,
		IdleTimeout:    cfg.Server.IdleTimeout,
		Concurrency:    cfg.Server.MaxConns,
		TrustedProxies: cfg.Server.TrustedProxies,
		MaxConnsPerIP:  cfg.Server.MaxConnsPerIP,
		MetricsOff:     cfg.Server.MetricsMoved(),
		Logger:         log.With("component", "http"),
		Chat:           chatOptions(cfg),

		CORSAllowedOrigins:   cfg.Server.CORSAllowedOrigins,
		CORSAllowCredentials: cfg.Server.CORSAllowCredentials,
		CORSMaxAge:           cfg.Server.CORSMaxAge,
	}, host.Deps{
		Auth:        a.auth,
		Ready:       a.ready,
		Chat:        chatSvc,
		Revocations: revocations,
		Captcha:     captcha(cfg),
	})
	if err != nil {
		return nil, err
	}
	registerPluginMetrics(a.http.Registry(), a.plugins)
	registerBuildInfo(a.http.Registry())
	return a, nil
}

// ready reports whether storage is open and the provider plugin loaded.
func (a *app) ready() error {
	if err := a.db.Ping(context.Background()); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if err := a.db.DiskFull(); err != nil {
		return fmt.Errorf("storage: below STORAGE.MIN_FREE_BYTES: %w", err)
	}
	if err := a.plugins.Ready(); err != nil {
		return fmt.Errorf("plugin: %w", err)
	}
	return nil
}

// close releases everything opened, storage last so it is flushed after the
// last request that could write.
func (a *app) close(log *slog.Logger) {
	if a.plugins != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := a.plugins.Close(ctx); err != nil {
			log.Error("closing plugins", "err", err)
		}
		cancel()
	}
	if a.db != nil {
		if err := a.db.Close(); err != nil {
			log.Error("closing storage", "err", err)
		}
	}
}

// newLogger builds the process logger from the LOG section.
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Level}
	var h slog.Handler
	if c.Format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(h)
}

// unwrapOp strips *os.PathError / *net.OpError wrappers down to the cause, so
// a one-line message does not repeat the operation.
func unwrapOp(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// defaultGOGC is the server's GC target percentage unless GOGC is set. The
// live heap is small (tens of MiB: Badger's caches are sized for an edge
// box) and request handling allocates fast, so Go's default of 100 spent
// ~6% of the CPU under load marking the same small heap over and over; 400
// marks a quarter as often for a heap that peaks at five times the live one.
const defaultGOGC = 400

// tuneGC applies defaultGOGC unless the operator set GOGC.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGOGC)
	}
}

// envCPUProfile names a file to write a CPU profile of the whole run to (for
// benchmarking the real binary; off when unset).
const envCPUProfile = "CHELSERU_CPU_PROFILE"

// startCPUProfile starts a CPU profile into path when path is set.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envCPUProfile, unwrapOp(err))
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", envCPUProfile, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
