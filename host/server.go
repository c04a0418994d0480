// Package host serves chelseru's HTTP API over fasthttp: routing, body
// decoding (JSON and form bodies, as Django REST Framework's parsers accept
// them), the client address behind trusted proxies, request ids, metrics,
// health and readiness, and the one function that maps domain errors to HTTP
// statuses and bodies (writeError). The login logic itself is in package
// auth; host only translates between it and the wire.
//
// The hot paths decode and encode JSON by hand (jsonin.go, jsonout.go) into
// per-request buffers from a pool, so a request costs a handful of small
// allocations and no reflection.
package host

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru/auth"
	"github.com/chelseru/chelseru/chat"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes  = 16 << 10 // ample: the largest body (290 characters of text) is under 4 KiB, and a slow client holds this much
	DefaultReadTimeout   = 10 * time.Second
	DefaultWriteTimeout  = 30 * time.Second
	DefaultIdleTimeout   = 60 * time.Second
	DefaultConcurrency   = 10_000
	DefaultMaxHeaderSize = 8 << 10
	// lingerTimeout and lingerBytes bound how long and how much the server
	// keeps reading from a client after refusing its too large body.
	lingerTimeout = 2 * time.Second
	lingerBytes   = 16 << 20
	// maxLingering bounds the connections lingering at once.
	maxLingering = 256
)

// Options tune a Server. Zero values take the defaults named on each field.
type Options struct {
	// MaxBodyBytes is the largest request body accepted; larger ones get a
	// 413. 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int
	// ReadTimeout bounds reading one request (headers and body);
	// WriteTimeout bounds writing one response; IdleTimeout bounds a
	// keep-alive connection waiting for its next request.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// Concurrency is the most connections served at once (each is an open
	// file; the process may have 20,000). 0 means DefaultConcurrency.
	Concurrency int
	// MaxHeaderBytes bounds the request line and headers; larger requests get
	// a 431. 0 means DefaultMaxHeaderSize.
	MaxHeaderBytes int
	// TrustedProxies are the peers whose X-Forwarded-For is believed
	// (SERVER.TRUSTED_PROXIES). The client address is the socket peer unless
	// the peer is in this list; then it is the right-most address of
	// X-Forwarded-For that is not in the list.
	TrustedProxies []netip.Prefix
	// Logger receives access errors and internal failures; nil means
	// slog.Default().
	Logger *slog.Logger
	// MaxConnsPerIP is the most connections open at once from one socket
	// address (SERVER.MAX_CONNS_PER_IP); beyond it a new connection is
	// answered 429 and closed. 0 means no limit.
	MaxConnsPerIP int
	// Chat tunes the chat socket (used when Deps.Chat is set).
	Chat ChatOptions
	// MetricsOff takes GET /metrics off this server (404): it is served on
	// its own listener or the admin one instead (MetricsHandler).
	MetricsOff bool
	// CORSAllowedOrigins, CORSAllowCredentials and CORSMaxAge are
	// SERVER.CORS_ALLOWED_ORIGINS, _ALLOW_CREDENTIALS and _MAX_AGE (see
	// host/cors.go); no origins means CORS off.
	CORSAllowedOrigins   []string
	CORSAllowCredentials bool
	CORSMaxAge           time.Duration
}

// Deps are the collaborators of a Server.
type Deps struct {
	// Auth is the login logic (required).
	Auth *auth.Service
	// Ready reports whether the server can serve (storage open, provider
	// plugin loaded), for GET /readyz; nil means always ready.
	Ready func() error
	// Registry is where the host registers its metrics and which GET
	// /metrics serves; nil means a new registry with the Go runtime and
	// process collectors. Other packages may register on it too.
	Registry *prometheus.Registry
	// Chat is the chat logic; nil means no chat routes.
	Chat *chat.Service
	// Revocations, when set, reports revoked sessions, whose open chat
	// sockets are then closed with 4401 at once.
	Revocations interface{ OnRevoke(func(sessionID int64)) }
	// Captcha, when set, is checked on /api/otp/send/ (captcha.go).
	Captcha *Captcha
}

// Server is chelseru's HTTP server.
type Server struct {
	opts           Options
	auth           *auth.Service
	ready          func() error
	log            *slog.Logger
	srv            *fasthttp.Server
	reg            *prometheus.Registry
	metrics        *metrics
	metricsHandler fasthttp.RequestHandler
	// passwd is true with auth.MethodPasswd: /api/password/set/ exists and
	// /api/authenticate/ takes a password instead of a code.
	passwd bool
	// captcha, when set, guards /api/otp/send/.
	captcha *Captcha

	chat    *chat.Service
	sockets *socketHub

	// cors is the CORS policy, nil when off (host/cors.go).
	cors *cors

	idPrefix [12]byte
	idSeq    atomic.Uint64
	// activity counts requests served and chat frames received (Activity).
	activity atomic.Uint64
	states   sync.Pool
	linger   chan struct{}
}

// New returns a Server for opts and deps.
func New(opts Options, deps Deps) (*Server, error) {
	if deps.Auth == nil {
		return nil, errors.New("host: an auth service is required")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.MaxHeaderBytes <= 0 {
		opts.MaxHeaderBytes = DefaultMaxHeaderSize
	}
	proxies := make([]netip.Prefix, len(opts.TrustedProxies))
	for i, p := range opts.TrustedProxies {
		if !p.IsValid() {
			return nil, fmt.Errorf("host: trusted proxy %d is not a valid prefix", i)
		}
		proxies[i] = p.Masked()
	}
	opts.TrustedProxies = proxies
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{
		opts:   opts,
		auth:   deps.Auth,
		ready:  deps.Ready,
		log:    opts.Logger,
		reg:    deps.Registry,
		linger: make(chan struct{}, maxLingering),
		passwd: deps.Auth.Options().Method == auth.MethodPasswd,

		captcha: deps.Captcha,
	}
	var seed [6]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, fmt.Errorf("host: seed request ids: %w", err)
	}
	hex.Encode(s.idPrefix[:], seed[:])
	s.states.New = func() any { return new(reqState) }
	s.cors = newCORS(opts)
	m, err := newMetrics(&s.reg)
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	s.metrics = m
	if err := registerOpsMetrics(s.reg, s.auth); err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	s.metricsHandler = metricsHandler(s.reg)
	if deps.Chat != nil {
		s.opts.Chat.defaults()
		s.chat = deps.Chat
		s.sockets = newSocketHub(s)
		if deps.Revocations != nil {
			deps.Revocations.OnRevoke(s.sockets.revoke)
		}
	}
	s.srv = &fasthttp.Server{
		Handler:               s.serve,
		ErrorHandler:          s.serveError,
		Name:                  "chelseru",
		NoDefaultServerHeader: true,
		MaxRequestBodySize:    opts.MaxBodyBytes,
		ReadBufferSize:        opts.MaxHeaderBytes,
		ReadTimeout:           opts.ReadTimeout,
		WriteTimeout:          opts.WriteTimeout,
		IdleTimeout:           opts.IdleTimeout,
		Concurrency:           opts.Concurrency,
		MaxConnsPerIP:         max(opts.MaxConnsPerIP, 0),
		// An idle keep-alive connection holds no read or write buffer.
		ReduceMemoryUsage:            true,
		CloseOnShutdown:              true,
		DisablePreParseMultipartForm: true,
		NoDefaultContentType:         true,
		SecureErrorLogMessage:        true,
		Logger:                       fasthttpLogger{s.log},
	}
	return s, nil
}

// Serve accepts connections on ln until Shutdown; it returns nil after a
// Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.srv.Serve(&lingerListener{Listener: ln, slots: s.linger})
	if err != nil {
		return fmt.Errorf("host: serve: %w", err)
	}
	return nil
}

// Shutdown stops accepting connections, lets in-flight requests finish and
// closes idle connections; it returns ctx's error when ctx ends first.
//
// Chat sockets (which fasthttp no longer tracks once upgraded) are then
// closed with 1001 and waited for, so nothing writes to storage after
// Shutdown returns.
func (s *Server) Shutdown(ctx context.Context) error {
	if err := s.srv.ShutdownWithContext(ctx); err != nil {
		return fmt.Errorf("host: shutdown: %w", err)
	}
	if s.sockets != nil {
		if err := s.sockets.shutdown(ctx); err != nil {
			return fmt.Errorf("host: shutdown: %w", err)
		}
	}
	return nil
}

// OpenSockets returns how many chat sockets are open.
func (s *Server) OpenSockets() int {
	if s.sockets == nil {
		return 0
	}
	return s.sockets.count()
}

// Handler returns the request handler, for serving through another
// fasthttp.Server or in-memory listener (tests, benchmarks).
func (s *Server) Handler() fasthttp.RequestHandler { return s.serve }

// Activity returns a count that grows with every HTTP request and every
// chat frame a client sends: while it holds still, the server is quiet.
func (s *Server) Activity() uint64 { return s.activity.Load() }

// Registry returns the metrics registry GET /metrics serves.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// fasthttpLogger sends fasthttp's own messages to slog.
type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Warn("fasthttp: " + fmt.Sprintf(format, args...))
}
