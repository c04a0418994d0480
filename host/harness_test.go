package host_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/auth"
	"github.com/chelseru/chelseru/chat"
	"github.com/chelseru/chelseru/host"
	"github.com/chelseru/chelseru/internal/fakeprovider"
	"github.com/chelseru/chelseru/storage"
	"github.com/chelseru/chelseru/token"
)

// The black-box harness: a real host listening on 127.0.0.1:0, real Badger in
// t.TempDir(), a real token issuer, and the SMS provider (see provider_test.go),
// driven by net/http, an HTTP client that shares no code with the server.

// clock is a settable clock shared by auth, storage and the token checks.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// config is what a test may change before the environment starts.
type config struct {
	auth      auth.Options
	host      host.Options
	rotate    bool
	accessTTL time.Duration
	ready     func() error
	// smsTimeout is SMS.TIMEOUT.
	smsTimeout time.Duration
	// service is SMS_SERVICE: KAVENEGAR_COM (the default) or CONSOLE.
	service string
	// sms, when set, makes the SMS side instead of newProvider (another
	// built-in against its fake: builtin_providers_test.go).
	sms func(t testing.TB, timeout time.Duration, logger *slog.Logger) *provider

	// freeBytes, when set, is storage's free-space measurement (the disk
	// guard's); nil is the real one.
	freeBytes func(string) (uint64, error)

	// fake are the fake provider's options.
	fake []fakeprovider.Option

	// chatMaxChars is CHAT.MAX_MESSAGE_CHARS (0: the default).
	chatMaxChars int
	// captcha, when set, is host.Deps.Captcha.
	captcha *host.Captcha
}

// env is one running server with its parts.
type env struct {
	t      testing.TB
	clock  *clock
	db     *storage.DB
	store  *recordingStore
	tokens *token.Issuer
	srv    *host.Server
	base   string
	client *http.Client
	sms    *provider
	served chan error
	logs   *syncBuffer
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const testSigningKey = "0123456789abcdef0123456789abcdef-test-key"

// testServiceKey is the harness's one AUTH.SERVICE_API_KEYS entry.
const testServiceKey = "svc-0123456789abcdef0123456789abcdef"

// newEnv starts a server; change the defaults with fns.
func newEnv(t testing.TB, fns ...func(*config)) *env {
	t.Helper()
	cfg := config{
		auth: auth.Options{
			OTPLength:             8,
			OTPTTL:                4 * time.Minute,
			OTPTemplateID:         1,
			MaxAttempts:           5,
			SendsPerNumberPerHour: 100,
			SendsPerIPPerHour:     1000,
			Service:               "KAVENEGAR_COM",
			// Users may send messages here (most message tests are about
			// the send itself); TestMessageSendCallers checks the default.
			UserMessages:        true,
			UserMessagesPerHour: 1000,
			ServiceAPIKeys:      []string{testServiceKey},
		},
		rotate:     true,
		accessTTL:  5 * time.Minute,
		smsTimeout: 2 * time.Second,
		service:    "KAVENEGAR_COM",
	}
	for _, fn := range fns {
		fn(&cfg)
	}
	// Start at the next whole hour (rate-limit windows are aligned to the
	// hour), close to the real time (Badger's TTLs use the real clock).
	clk := &clock{t: time.Now().Truncate(time.Hour).Add(time.Hour)}
	logs := &syncBuffer{}
	var logOut io.Writer = logs
	if os.Getenv("HOST_TEST_LOG") != "" {
		logOut = io.MultiWriter(logs, os.Stderr)
	}
	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo}))

	db, err := storage.Open(t.TempDir(), storage.Options{Logger: logger, Now: clk.Now, GCInterval: -1, FreeBytes: cfg.freeBytes})
	if err != nil {
		t.Fatalf("open storage: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	iss, err := token.New(token.Config{
		Algorithm:       token.HS256,
		SigningKey:      []byte(testSigningKey),
		AccessLifetime:  cfg.accessTTL,
		RefreshLifetime: 24 * time.Hour,
		Rotate:          cfg.rotate,
	})
	if err != nil {
		t.Fatalf("token issuer: %v", err)
	}
	var sms *provider
	if cfg.sms != nil {
		sms = cfg.sms(t, cfg.smsTimeout, logger)
	} else {
		sms = newProvider(t, cfg.service, cfg.smsTimeout, logger, cfg.fake...)
	}
	rec := &recordingStore{Store: db}
	revocations := chat.WatchRevocations(rec) // as chelseru serve wires it
	// As chelseru serve: the plugin host alone bounds a send by SMS.TIMEOUT.
	svc, err := auth.New(cfg.auth, auth.Deps{
		Store:  revocations,
		Sender: &recordingSender{SMSSender: sms.sender, store: rec},
		Tokens: iss,
		OTPKey: []byte("otp-key-0123456789abcdef"),
		Now:    clk.Now,
		Logger: logger,
	})
	if err != nil {
		t.Fatalf("auth: %v", err)
	}
	ready := cfg.ready
	if ready == nil {
		ready = func() error { return db.Ping(context.Background()) }
	}
	cfg.host.Logger = logger
	chatSvc, err := chat.New(chat.Options{MaxMessageChars: cfg.chatMaxChars}, chat.Deps{
		Rooms: db, Users: db, Broker: chat.NewLocalBroker(), Now: clk.Now, Logger: logger,
	})
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	srv, err := host.New(cfg.host, host.Deps{Auth: svc, Ready: ready, Chat: chatSvc, Revocations: revocations, Captcha: cfg.captcha})
	if err != nil {
		t.Fatalf("host: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	e := &env{
		t: t, clock: clk, db: db, logs: logs, store: rec, tokens: iss, srv: srv, sms: sms,
		base:   "http://" + ln.Addr().String(),
		client: &http.Client{Timeout: 30 * time.Second},
		served: make(chan error, 1),
	}
	go func() { e.served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-e.served; err != nil {
			t.Errorf("serve: %v", err)
		}
		e.client.CloseIdleConnections()
	})
	return e
}

// resp is an answer, with its body decoded when it is JSON.
type resp struct {
	status int
	header http.Header
	body   []byte
	obj    map[string]any // the body when it is a JSON object
	arr    []any          // the body when it is a JSON array
}

// str returns obj[k] as a string ("" when absent or not a string).
func (r resp) str(k string) string {
	s, _ := r.obj[k].(string)
	return s
}

// req describes one request.
type req struct {
	method string
	path   string
	ctype  string // Content-Type; "" with a body means application/json
	body   string
	header map[string]string
}

// roundTrip sends r and returns the answer; it may run on any goroutine.
func (e *env) roundTrip(r req) (resp, error) {
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, e.base+r.path, body)
	if err != nil {
		return resp{}, err
	}
	if r.body != "" {
		ct := r.ctype
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	res, err := e.client.Do(hr)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, fmt.Errorf("read body: %w", err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}, nil
}

// do sends r and returns the answer. Every answer must carry X-Request-Id
// and a JSON body, and no error body may leak internals (checked here for
// every request of every test).
func (e *env) do(r req) resp {
	e.t.Helper()
	out, err := e.roundTrip(r)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	e.check(r, &out)
	return out
}

// check decodes out's body and checks the properties every answer has.
func (e *env) check(r req, out *resp) {
	e.t.Helper()
	b := out.body
	if out.header.Get("X-Request-Id") == "" {
		e.t.Errorf("%s %s: no X-Request-Id", r.method, r.path)
	}
	if len(b) > 0 {
		if ct := out.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && r.path != "/metrics" {
			e.t.Errorf("%s %s: Content-Type %q", r.method, r.path, ct)
		}
		switch b[0] {
		case '{':
			if err := json.Unmarshal(b, &out.obj); err != nil {
				e.t.Errorf("%s %s: body is not JSON: %q", r.method, r.path, b)
			}
		case '[':
			if err := json.Unmarshal(b, &out.arr); err != nil {
				e.t.Errorf("%s %s: body is not JSON: %q", r.method, r.path, b)
			}
		}
	}
	if out.status >= 400 {
		assertClean(e.t, b)
		if out.header.Get("X-Error-Code") == "" {
			e.t.Errorf("%s %s: %d without X-Error-Code: %.200s", r.method, r.path, out.status, b)
		}
	}
}

// post sends a JSON body (a string is sent as it is, anything else is
// marshalled) with optional header pairs.
func (e *env) post(path string, body any, hdr ...string) resp {
	e.t.Helper()
	s, ok := body.(string)
	if !ok {
		j, err := json.Marshal(body)
		if err != nil {
			e.t.Fatalf("marshal: %v", err)
		}
		s = string(j)
	}
	return e.do(req{method: http.MethodPost, path: path, body: s, header: pairs(hdr)})
}

func pairs(kv []string) map[string]string {
	if len(kv) == 0 {
		return nil
	}
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// leaks are fragments that only internals would put in a body.
var leaks = []string{".go:", "goroutine ", "runtime.", "panic", "/work/", "/tmp/", "/root/", "badger", "wazero",
	"context deadline", "context canceled", "storage:", "auth:", "token:", "pluginhost", "sms bad_", "sms out_of", "sms temporary", "sms permanent", "sms timeout", "sms plugin", "sms rate_", "%!", "0x", "dial tcp",
	"connection refused", "EOF", "<nil>", "errors.", "*chelseru", "chelseru."}

// assertClean fails when body carries a Go error string, a path or a stack.
func assertClean(t testing.TB, body []byte) {
	t.Helper()
	for _, l := range leaks {
		if bytes.Contains(bytes.ToLower(body), []byte(strings.ToLower(l))) {
			t.Errorf("body leaks internals (%q): %s", l, body)
		}
	}
}

// want checks status and, when body is non-empty, the exact body.
func want(t testing.TB, r resp, status int, body string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if body != "" && string(r.body) != body && !withErrorCode(r, body) {
		t.Fatalf("body\n got %s\nwant %s", r.body, body)
	}
}

// withErrorCode reports whether r's body is body with the "code" member a
// detail body carries appended, and that code is the X-Error-Code header:
// tests written before error codes name the rest of the body exactly.
func withErrorCode(r resp, body string) bool {
	code := r.header.Get("X-Error-Code")
	return code != "" && strings.HasSuffix(body, "}") &&
		string(r.body) == strings.TrimSuffix(body, "}")+`,"code":"`+code+`"}`
}

// sendOTP asks for a code for mobile and returns it as the provider got it.
func (e *env) sendOTP(mobile string, hdr ...string) string {
	e.t.Helper()
	r := e.post("/api/otp/send/", map[string]any{"mobile_number": mobile}, hdr...)
	want(e.t, r, http.StatusOK, `{"details":"The OTP code was sent correctly."}`)
	norm, ok := chelseru.NormalizeMobile(mobile)
	if !ok {
		e.t.Fatalf("bad test mobile %q", mobile)
	}
	code, ok := e.sms.code(norm)
	if !ok {
		e.t.Fatalf("the provider got no code for %s", norm)
	}
	return code
}

// login sends a code to mobile and logs in with it, returning the tokens.
func (e *env) login(mobile string, group int64, hdr ...string) (access, refresh string) {
	e.t.Helper()
	code := e.sendOTP(mobile, hdr...)
	r := e.post("/api/authenticate/", map[string]any{"mobile_number": mobile, "code": code, "group": group}, hdr...)
	want(e.t, r, http.StatusOK, "")
	access, refresh = r.str("access"), r.str("refresh")
	if access == "" || refresh == "" {
		e.t.Fatalf("login answered %s", r.body)
	}
	return access, refresh
}

// get sends a GET with a bearer token ("" for none).
func (e *env) get(path, access string) resp {
	e.t.Helper()
	var h map[string]string
	if access != "" {
		h = map[string]string{"Authorization": "Bearer " + access}
	}
	return e.do(req{method: http.MethodGet, path: path, header: h})
}

// recordingStore is the real store with a log of the message writes, so a
// test can check that a message is recorded before the provider is called.
type recordingStore struct {
	chelseru.Store
	mu     sync.Mutex
	events []string
	lastID int64
	// panicOn makes CreateOTP panic for this mobile, to test recovery.
	panicOn string
}

func (s *recordingStore) CreateOTP(ctx context.Context, o chelseru.OTP, l chelseru.SendLimit) (chelseru.OTP, error) {
	s.mu.Lock()
	p := s.panicOn
	s.mu.Unlock()
	if p != "" && o.Mobile == p {
		panic("test panic in the store")
	}
	return s.Store.CreateOTP(ctx, o, l)
}

func (s *recordingStore) event(ev string) {
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
}

func (s *recordingStore) CreateMessage(ctx context.Context, m chelseru.Message) (chelseru.Message, error) {
	m, err := s.Store.CreateMessage(ctx, m)
	if err == nil {
		s.mu.Lock()
		s.lastID = m.ID
		s.mu.Unlock()
		s.event("create:" + string(m.Status))
	}
	return m, err
}

func (s *recordingStore) UpdateMessage(ctx context.Context, m chelseru.Message) error {
	err := s.Store.UpdateMessage(ctx, m)
	if err == nil {
		s.event("update:" + string(m.Status))
	}
	return err
}

func (s *recordingStore) log() ([]string, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...), s.lastID
}

func (s *recordingStore) reset() {
	s.mu.Lock()
	s.events = nil
	s.mu.Unlock()
}

// recordingSender is the real sender; it notes each call in the store's log.
type recordingSender struct {
	chelseru.SMSSender
	store *recordingStore
}

func (s *recordingSender) Send(ctx context.Context, m chelseru.SMS) (chelseru.SMSResult, error) {
	if m.TemplateID == 0 || m.Text != "" {
		s.store.event("send")
	}
	return s.SMSSender.Send(ctx, m)
}

// trusted parses prefixes for host.Options.TrustedProxies.
func trusted(t testing.TB, ps ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ps))
	for i, p := range ps {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}
