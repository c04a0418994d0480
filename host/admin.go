package host

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/auth"
)

// The admin listener (SERVER.ADMIN_LISTEN) serves the admin API under
// /admin/api/ (bearer SERVER.ADMIN_TOKEN), a read-only admin page under
// /admin/ (a login form that sets a session cookie: admin_page.go) and,
// with SERVER.METRICS_ON_ADMIN, GET /metrics (bearer token too). None of it
// exists on the public listener. See docs/API.md, "Admin API".

// MinAdminTokenBytes is the shortest admin token NewAdmin accepts.
const MinAdminTokenBytes = 32

// Admin texts.
const (
	msgAdminNoToken  = "Authentication credentials were not provided."
	msgAdminBadToken = "Invalid admin token."
	defaultPageSize  = 50
	adminBodyBytes   = 16 << 10
	adminConcurrency = 256
)

// AdminOptions configure an Admin server.
type AdminOptions struct {
	// Token is the bearer token (SERVER.ADMIN_TOKEN), at least
	// MinAdminTokenBytes; required. Never logged.
	Token string
	// Metrics serves GET /metrics of the public server's registry here,
	// with the token (SERVER.METRICS_ON_ADMIN).
	Metrics bool
	// Logger receives the admin's actions and failures; nil means the
	// public server's.
	Logger *slog.Logger
	// Now is the clock of the page's sessions; nil means time.Now.
	Now func() time.Time
}

// Admin is the admin listener's server.
type Admin struct {
	pub     *Server
	auth    *auth.Service
	log     *slog.Logger
	now     func() time.Time
	digest  [sha256.Size]byte // of the token: compared in constant time
	metrics bool
	srv     *fasthttp.Server
	page    *adminPage
}

// NewAdmin returns the admin server for the public server pub.
func NewAdmin(pub *Server, opts AdminOptions) (*Admin, error) {
	if pub == nil {
		return nil, errors.New("host: admin: the public server is required")
	}
	if len(opts.Token) < MinAdminTokenBytes {
		return nil, fmt.Errorf("host: admin: the token must be at least %d bytes, got %d", MinAdminTokenBytes, len(opts.Token))
	}
	if opts.Logger == nil {
		opts.Logger = pub.log
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &Admin{
		pub:     pub,
		auth:    pub.auth,
		log:     opts.Logger,
		now:     opts.Now,
		digest:  sha256.Sum256([]byte(opts.Token)),
		metrics: opts.Metrics,
	}
	page, err := newAdminPage(a)
	if err != nil {
		return nil, err
	}
	a.page = page
	a.srv = sideServer(a.serve, "chelseru-admin", opts.Logger)
	return a, nil
}

// sideServer is a small fasthttp server for the admin and metrics
// listeners: bounded bodies, connections and times.
func sideServer(h fasthttp.RequestHandler, name string, log *slog.Logger) *fasthttp.Server {
	return &fasthttp.Server{
		Handler:                      h,
		Name:                         name,
		NoDefaultServerHeader:        true,
		MaxRequestBodySize:           adminBodyBytes,
		ReadTimeout:                  DefaultReadTimeout,
		WriteTimeout:                 DefaultWriteTimeout,
		IdleTimeout:                  DefaultIdleTimeout,
		Concurrency:                  adminConcurrency,
		CloseOnShutdown:              true,
		DisablePreParseMultipartForm: true,
		NoDefaultContentType:         true,
		SecureErrorLogMessage:        true,
		Logger:                       fasthttpLogger{log},
		ErrorHandler:                 sideError,
	}
}

// Serve accepts connections on ln until Shutdown; it returns nil after a
// Shutdown.
func (a *Admin) Serve(ln net.Listener) error {
	if err := a.srv.Serve(ln); err != nil {
		return fmt.Errorf("host: admin: serve: %w", err)
	}
	return nil
}

// Shutdown stops the admin server as Server.Shutdown does.
func (a *Admin) Shutdown(ctx context.Context) error {
	if err := a.srv.ShutdownWithContext(ctx); err != nil {
		return fmt.Errorf("host: admin: shutdown: %w", err)
	}
	return nil
}

// Handler returns the admin request handler.
func (a *Admin) Handler() fasthttp.RequestHandler { return a.serve }

// MetricsServer serves only GET /metrics (SERVER.METRICS_LISTEN).
type MetricsServer struct{ srv *fasthttp.Server }

// NewMetricsServer returns a server of the public server's metrics alone.
// Set Options.MetricsOff on the public server to take them off it.
func (s *Server) NewMetricsServer() *MetricsServer {
	h := func(ctx *fasthttp.RequestCtx) {
		switch {
		case string(ctx.Path()) != "/metrics":
			adminDetail(ctx, fasthttp.StatusNotFound, "Not found.")
		case !ctx.IsGet() && !ctx.IsHead():
			ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, HEAD")
			adminDetail(ctx, fasthttp.StatusMethodNotAllowed, `Method "`+string(ctx.Method())+`" not allowed.`)
		default:
			s.metricsHandler(ctx)
		}
	}
	return &MetricsServer{srv: sideServer(h, "chelseru-metrics", s.log)}
}

// Serve accepts connections on ln until Shutdown.
func (m *MetricsServer) Serve(ln net.Listener) error {
	if err := m.srv.Serve(ln); err != nil {
		return fmt.Errorf("host: metrics: serve: %w", err)
	}
	return nil
}

// Shutdown stops the metrics server.
func (m *MetricsServer) Shutdown(ctx context.Context) error {
	if err := m.srv.ShutdownWithContext(ctx); err != nil {
		return fmt.Errorf("host: metrics: shutdown: %w", err)
	}
	return nil
}

// registerOpsMetrics registers chelseru_sms_budget_exceeded_total.
func registerOpsMetrics(reg *prometheus.Registry, svc *auth.Service) error {
	c := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "chelseru_sms_budget_exceeded_total",
		Help: "Sends (codes and messages) refused by the global SMS budget (SMS.MAX_PER_HOUR, SMS.MAX_PER_DAY).",
	}, func() float64 { return float64(svc.BudgetRefusals()) })
	if err := reg.Register(c); err != nil {
		return fmt.Errorf("register budget metric: %w", err)
	}
	return nil
}

// tokenOK compares a presented token with the admin token in constant time
// (of their SHA-256 digests, so the length leaks nothing either).
func (a *Admin) tokenOK(tok []byte) bool {
	d := sha256.Sum256(tok)
	return subtle.ConstantTimeCompare(d[:], a.digest[:]) == 1
}

// bearerOK checks "Authorization: Bearer <token>", answering 401 itself.
func (a *Admin) bearerOK(ctx *fasthttp.RequestCtx) bool {
	h := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)
	tok, ok := bytes.CutPrefix(h, []byte("Bearer "))
	if len(h) == 0 || !ok {
		ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Bearer realm="admin"`)
		adminDetailCode(ctx, fasthttp.StatusUnauthorized, CodeNotAuthenticated, msgAdminNoToken)
		return false
	}
	if !a.tokenOK(bytes.TrimSpace(tok)) {
		a.log.Warn("admin: wrong token", "remote", ctx.RemoteIP().String(), "path", string(ctx.Path()))
		ctx.Response.Header.Set(fasthttp.HeaderWWWAuthenticate, `Bearer realm="admin", error="invalid_token"`)
		adminDetailCode(ctx, fasthttp.StatusUnauthorized, CodeInvalidAdminToken, msgAdminBadToken)
		return false
	}
	return true
}

// serve routes an admin request.
func (a *Admin) serve(ctx *fasthttp.RequestCtx) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("admin: panic serving request", "path", string(ctx.Path()), "panic", fmt.Sprint(p))
			ctx.Response.Reset()
			adminDetail(ctx, fasthttp.StatusInternalServerError, msgInternal)
		}
	}()
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.Response.Header.Set("X-Content-Type-Options", "nosniff")
	path := string(ctx.Path())
	switch {
	case path == "/metrics" && a.metrics:
		if !ctx.IsGet() && !ctx.IsHead() {
			ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, HEAD")
			adminDetail(ctx, fasthttp.StatusMethodNotAllowed, `Method "`+string(ctx.Method())+`" not allowed.`)
			return
		}
		if a.bearerOK(ctx) {
			a.pub.metricsHandler(ctx)
		}
	case strings.HasPrefix(path, "/admin/api/"):
		if a.bearerOK(ctx) {
			a.serveAPI(ctx, strings.TrimPrefix(path, "/admin/api/"))
		}
	case path == "/admin" || strings.HasPrefix(path, "/admin/"):
		a.page.serve(ctx, path)
	default:
		adminDetail(ctx, fasthttp.StatusNotFound, "Not found.")
	}
}

// serveAPI serves /admin/api/{rest}.
func (a *Admin) serveAPI(ctx *fasthttp.RequestCtx, rest string) {
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	method := string(ctx.Method())
	get := method == fasthttp.MethodGet || method == fasthttp.MethodHead
	c := reqContext()
	switch {
	case len(parts) == 1 && parts[0] == "users":
		if !get {
			notAllowed(ctx, "GET, HEAD")
			return
		}
		a.apiFindUsers(ctx, c)
	case len(parts) == 1 && parts[0] == "messages":
		if !get {
			notAllowed(ctx, "GET, HEAD")
			return
		}
		a.apiMessages(ctx, c)
	case len(parts) >= 2 && parts[0] == "users":
		id, ok := positiveID(parts[1])
		if !ok {
			adminDetail(ctx, fasthttp.StatusNotFound, "Not found.")
			return
		}
		a.apiUser(ctx, c, id, parts[2:], method)
	default:
		adminDetail(ctx, fasthttp.StatusNotFound, "Not found.")
	}
}

// apiUser serves /admin/api/users/{id}/... .
func (a *Admin) apiUser(ctx *fasthttp.RequestCtx, c context.Context, id int64, rest []string, method string) {
	get := method == fasthttp.MethodGet || method == fasthttp.MethodHead
	switch {
	case len(rest) == 0:
		if !get {
			notAllowed(ctx, "GET, HEAD")
			return
		}
		u, err := a.auth.AdminUser(c, id)
		if err != nil {
			a.writeErr(ctx, err)
			return
		}
		writeAdminJSON(ctx, fasthttp.StatusOK, userJSON(u))
	case len(rest) == 1 && rest[0] == "sessions":
		switch {
		case get:
			list, err := a.auth.AdminSessions(c, id)
			if err != nil {
				a.writeErr(ctx, err)
				return
			}
			out := make([]adminSession, len(list))
			for i, s := range list {
				out[i] = sessionJSON(s)
			}
			writeAdminJSON(ctx, fasthttp.StatusOK, map[string]any{"sessions": out})
		case method == fasthttp.MethodDelete:
			n, err := a.auth.AdminRevokeAll(c, id)
			if err != nil {
				a.writeErr(ctx, err)
				return
			}
			writeAdminJSON(ctx, fasthttp.StatusOK, map[string]any{"revoked": n})
		default:
			notAllowed(ctx, "GET, HEAD, DELETE")
		}
	case len(rest) == 2 && rest[0] == "sessions":
		sid, ok := positiveID(rest[1])
		if !ok {
			adminDetail(ctx, fasthttp.StatusNotFound, "Not found.")
			return
		}
		if method != fasthttp.MethodDelete {
			notAllowed(ctx, "DELETE")
			return
		}
		if err := a.auth.AdminRevokeSession(c, id, sid); err != nil {
			a.writeErr(ctx, err)
			return
		}
		a.log.Info("admin revoked a session", "user_id", id, "session_id", sid)
		ctx.SetStatusCode(fasthttp.StatusNoContent)
	case len(rest) == 1 && (rest[0] == "disable" || rest[0] == "enable"):
		if method != fasthttp.MethodPost {
			notAllowed(ctx, "POST")
			return
		}
		u, err := a.auth.AdminSetDisabled(c, id, rest[0] == "disable")
		if err != nil {
			a.writeErr(ctx, err)
			return
		}
		writeAdminJSON(ctx, fasthttp.StatusOK, userJSON(u))
	default:
		adminDetail(ctx, fasthttp.StatusNotFound, "Not found.")
	}
}

// apiFindUsers serves GET /admin/api/users/?mobile=...[&group=...].
func (a *Admin) apiFindUsers(ctx *fasthttp.RequestCtx, c context.Context) {
	args := ctx.QueryArgs()
	mobile := strings.TrimSpace(string(args.Peek("mobile")))
	if mobile == "" {
		a.writeErr(ctx, chelseru.FieldError("mobile", msgRequired))
		return
	}
	var group *int64
	if g := strings.TrimSpace(string(args.Peek("group"))); g != "" {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil || len(g) > 19 {
			a.writeErr(ctx, chelseru.FieldError("group", msgNotInteger))
			return
		}
		group = &n
	}
	users, err := a.auth.AdminFindUsers(c, mobile, group)
	if err != nil {
		a.writeErr(ctx, err)
		return
	}
	out := make([]adminUser, len(users))
	for i, u := range users {
		out[i] = userJSON(u)
	}
	writeAdminJSON(ctx, fasthttp.StatusOK, map[string]any{"users": out})
}

// messageFilter reads the SMS log filters from the query: mobile (any
// accepted spelling), status, since and until (RFC 3339), cursor, limit.
func messageFilter(args *fasthttp.Args) (chelseru.MessageFilter, error) {
	f := chelseru.MessageFilter{Limit: defaultPageSize}
	var fe fieldErrors
	if m := strings.TrimSpace(string(args.Peek("mobile"))); m != "" {
		n, ok := chelseru.NormalizeMobile(m)
		if !ok {
			fe.add("mobile", auth.MsgInvalidMobile)
		}
		f.Mobile = n
	}
	switch st := chelseru.MessageStatus(args.Peek("status")); st {
	case "", chelseru.MessagePending, chelseru.MessageSent, chelseru.MessageFailed:
		f.Status = st
	default:
		fe.add("status", `Must be one of "pending", "sent", "failed".`)
	}
	for _, tf := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := string(args.Peek(tf.name)); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				fe.add(tf.name, "Datetime has wrong format. Use RFC 3339, e.g. 2026-01-02T15:04:05Z.")
			}
			*tf.dst = t
		}
	}
	if v := string(args.Peek("cursor")); v != "" {
		id, ok := positiveID(v)
		if !ok {
			fe.add("cursor", "Invalid cursor.")
		}
		f.Before = id
	}
	if v := string(args.Peek("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > chelseru.MaxMessagePage {
			fe.add("limit", fmt.Sprintf("Must be an integer from 1 to %d.", chelseru.MaxMessagePage))
		}
		f.Limit = n
	}
	return f, fe.err()
}

// apiMessages serves GET /admin/api/messages/.
func (a *Admin) apiMessages(ctx *fasthttp.RequestCtx, c context.Context) {
	f, err := messageFilter(ctx.QueryArgs())
	if err != nil {
		a.writeErr(ctx, err)
		return
	}
	page, err := a.auth.AdminMessages(c, f)
	if err != nil {
		a.writeErr(ctx, err)
		return
	}
	out := make([]adminMessage, len(page.Messages))
	for i, m := range page.Messages {
		out[i] = messageJSON(m)
	}
	var next any
	if page.Next > 0 {
		next = strconv.FormatInt(page.Next, 10)
	}
	writeAdminJSON(ctx, fasthttp.StatusOK, map[string]any{"messages": out, "next_cursor": next})
}

// adminUser is a user as the admin API shows it.
type adminUser struct {
	ID          int64     `json:"id"`
	Group       int64     `json:"group"`
	Mobile      string    `json:"mobile"`
	Username    string    `json:"username"`
	CreatedAt   time.Time `json:"created_at"`
	Disabled    bool      `json:"disabled"`
	HasPassword bool      `json:"has_password"`
}

func userJSON(u chelseru.User) adminUser {
	return adminUser{ID: u.ID, Group: u.Group, Mobile: u.Mobile, Username: u.Username(), CreatedAt: u.CreatedAt.UTC(),
		Disabled: u.Disabled, HasPassword: u.PasswordHash != ""}
}

// adminSession is a session as the admin API shows it.
type adminSession struct {
	ID        int64     `json:"id"`
	UserAgent string    `json:"user_agent"`
	IP        string    `json:"ip_address"`
	Device    string    `json:"device"`
	Browser   string    `json:"browser"`
	CreatedAt time.Time `json:"created_at"`
	LastSeen  time.Time `json:"last_seen"`
	ExpiresAt time.Time `json:"expires_at"`
}

func sessionJSON(s chelseru.Session) adminSession {
	return adminSession{ID: s.ID, UserAgent: s.UserAgent, IP: s.IP, Device: s.Device, Browser: s.Browser,
		CreatedAt: s.CreatedAt.UTC(), LastSeen: s.LastSeen.UTC(), ExpiresAt: s.ExpiresAt.UTC()}
}

// adminMessage is an SMS log entry as the admin API shows it.
type adminMessage struct {
	ID                int64     `json:"id"`
	UserID            int64     `json:"user_id"`
	Mobile            string    `json:"mobile"`
	Text              string    `json:"text"`
	TemplateID        int64     `json:"template_id"`
	Service           string    `json:"service"`
	Status            string    `json:"status"`
	ProviderMessageID string    `json:"provider_message_id"`
	ErrorClass        string    `json:"error_class"`
	ErrorCode         string    `json:"error_code"`
	ErrorText         string    `json:"error_text"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

func messageJSON(m chelseru.Message) adminMessage {
	return adminMessage{ID: m.ID, UserID: m.UserID, Mobile: m.Mobile, Text: m.Text, TemplateID: m.TemplateID,
		Service: m.Service, Status: string(m.Status), ProviderMessageID: m.ProviderMessageID, ErrorClass: m.ErrorClass,
		ErrorCode: m.ErrorCode, ErrorText: m.ErrorText, CreatedAt: m.CreatedAt.UTC(), UpdatedAt: m.UpdatedAt.UTC()}
}

// writeErr answers err with the status of the one mapping (statusOf): a
// validation error in DRF's shape, others as {"detail": ...}; internal
// causes are logged, never shown.
func (a *Admin) writeErr(ctx *fasthttp.RequestCtx, err error) {
	var e *chelseru.Error
	if !errors.As(err, &e) || statusOf(e.Code) == fasthttp.StatusInternalServerError {
		a.log.Error("admin: internal error", "path", string(ctx.Path()), "err", err)
		adminDetail(ctx, fasthttp.StatusInternalServerError, msgInternal)
		return
	}
	if len(e.Fields) > 0 {
		setAdminCode(ctx, errorCode(e))
		writeAdminJSON(ctx, statusOf(e.Code), e.Fields)
		return
	}
	if e.Err != nil {
		a.log.Warn("admin: request refused", "path", string(ctx.Path()), "err", err)
	}
	adminDetailCode(ctx, statusOf(e.Code), errorCode(e), e.Message)
}

// adminDetail answers {"detail": msg, "code": ...} with the code of status
// (statusErrorCode) in X-Error-Code too.
func adminDetail(ctx *fasthttp.RequestCtx, status int, msg string) {
	adminDetailCode(ctx, status, statusErrorCode(status), msg)
}

func notAllowed(ctx *fasthttp.RequestCtx, allow string) {
	ctx.Response.Header.Set(fasthttp.HeaderAllow, allow)
	adminDetail(ctx, fasthttp.StatusMethodNotAllowed, `Method "`+string(ctx.Method())+`" not allowed.`)
}

func writeAdminJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = fasthttp.StatusInternalServerError, []byte(`{"detail":"Internal server error."}`)
	}
	ctx.SetStatusCode(status)
	ctx.Response.Header.SetContentTypeBytes(contentTypeJSON)
	ctx.Response.SetBody(b)
}

// randomToken is 32 random bytes, hex encoded.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// macHex is HMAC-SHA256(key, msg), hex encoded.
func macHex(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// pageSessions are the admin page's logged-in browsers: random ids with
// their expiry, at most maxPageSessions (the oldest is dropped).
type pageSessions struct {
	mu sync.Mutex
	m  map[string]time.Time
}

const (
	maxPageSessions = 64
	pageSessionTTL  = 8 * time.Hour
)

func (p *pageSessions) add(id string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]time.Time{}
	}
	for k, exp := range p.m {
		if !now.Before(exp) {
			delete(p.m, k)
		}
	}
	for len(p.m) >= maxPageSessions {
		var oldest string
		var at time.Time
		for k, exp := range p.m {
			if oldest == "" || exp.Before(at) {
				oldest, at = k, exp
			}
		}
		delete(p.m, oldest)
	}
	p.m[id] = now.Add(pageSessionTTL)
}

func (p *pageSessions) valid(id string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	exp, ok := p.m[id]
	if ok && !now.Before(exp) {
		delete(p.m, id)
		return false
	}
	return ok
}

func (p *pageSessions) remove(id string) {
	p.mu.Lock()
	delete(p.m, id)
	p.mu.Unlock()
}
