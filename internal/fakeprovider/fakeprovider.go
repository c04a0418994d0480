// Package fakeprovider runs fake SMS providers: real HTTP servers (httptest,
// or fasthttp with WithFastHTTP for load tests) that speak the wire formats of Kavenegar, Meli Payamak and Parsian Webco,
// SMS.ir and Ghasedak, and a webhook receiver that checks WEBHOOK's signature
// — their paths, form fields, JSON answers and HTTP statuses — so the
// plugins, the host and the whole server can be tested and load-tested
// without the real services.
//
// A Server checks the credentials it was given (a wrong Kavenegar key gets
// Kavenegar's 403 envelope, wrong Meli Payamak credentials its code 0, a
// wrong Parsian Webco token its status 401), validates the request, and
// answers according to its Behavior. It remembers the last code sent to each
// receptor (for tests that log in with the OTP), in bounded memory, and the
// last few requests. It needs no testing.T, is safe for concurrent use, and
// Close never blocks on requests held by the Hang behavior.
package fakeprovider

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Behavior selects how a Server answers well-formed, authorised requests.
type Behavior int

// Behaviors.
const (
	// OK accepts the message.
	OK Behavior = iota
	// Reject answers a provider business error: Kavenegar 418 (out of
	// credit), Meli Payamak code 2 (no credit), Parsian Webco status 100.
	Reject
	// ServerError answers HTTP 500 with a plain-text body.
	ServerError
	// Malformed answers HTTP 200 with broken JSON.
	Malformed
	// Hang holds the request until Close, SetBehavior or the client gives up.
	Hang
)

var behaviorNames = [...]string{"OK", "Reject", "ServerError", "Malformed", "Hang"}

// String returns the behavior's name.
func (b Behavior) String() string {
	if b >= 0 && int(b) < len(behaviorNames) {
		return behaviorNames[b]
	}
	return fmt.Sprintf("Behavior(%d)", int(b))
}

// Default credentials a Server accepts unless told otherwise.
const (
	KavenegarAPIKey     = "test-key"
	MeliPayamakUsername = "test-user"
	MeliPayamakPassword = "test-pass"
	ParsianWebcoToken   = "test-token"
	SMSIRAPIKey         = "test-smsir-key"
	GhasedakAPIKey      = "test-ghasedak-key"
	WebhookSecret       = "test-webhook-secret-0123"
)

// Limits.
const (
	// DefaultCapacity is how many receptors' last codes a Server keeps by
	// default; the oldest receptor is forgotten first.
	DefaultCapacity = 1 << 18
	// ReceivedKept is how many recent requests Received returns.
	ReceivedKept = 64
	// maxBody bounds a request body.
	maxBody = 64 << 10
	// closeWait bounds how long Close waits for a fasthttp server's
	// connections to finish.
	closeWait = 2 * time.Second
)

// Received is one request as the fake provider parsed it.
type Received struct {
	Time     time.Time
	Method   string
	Path     string   // the URL path; for Kavenegar the API key in it is replaced by "{key}"
	APIKey   string   // the credential sent: Kavenegar's key, Meli Payamak's username, Parsian Webco's token
	Receptor string   // as sent
	Text     string   // the text of a text message
	Template string   // the template (Kavenegar's name, Meli Payamak's bodyId, Parsian Webco's TemplateID, SMS.ir's templateId, Ghasedak's templateName, the webhook's template_id)
	Vars     []string // the template's variables
	// Names are the names of the template's parameters, beside Vars, for
	// providers that name them (SMS.ir, Ghasedak, the webhook's params).
	Names []string
}

// Option configures a Server.
type Option func(*Server)

// WithAPIKey sets the API key (Kavenegar) or token (Parsian Webco) the
// server accepts; "" accepts any non-empty one.
func WithAPIKey(key string) Option { return func(s *Server) { s.key = key; s.anyKey = key == "" } }

// WithCredentials sets the Meli Payamak username and password the server
// accepts; empty strings accept any non-empty ones.
func WithCredentials(username, password string) Option {
	return func(s *Server) { s.user, s.pass = username, password; s.anyKey = username == "" && password == "" }
}

// WithCapacity sets how many receptors' last codes are kept (at least 1).
func WithCapacity(n int) Option { return func(s *Server) { s.capacity = max(n, 1) } }

// Server is a running fake provider. Create one with NewKavenegar,
// NewMeliPayamak or NewParsianWebco; Close it when done.
type Server struct {
	kind     string
	srv      *httptest.Server // the net/http server, or
	fast     *fasthttp.Server // the fasthttp one (WithFastHTTP)
	fastLn   net.Listener
	url      string
	useFast  bool
	handle   func(s *Server, x exchange)
	key      string // Kavenegar key / Parsian token
	user     string // Meli Payamak
	pass     string
	anyKey   bool
	capacity int

	count    atomic.Int64
	conns    atomic.Int64  // connections accepted (net/http server only)
	idle     time.Duration // keep-alive timeout (net/http server only; 0: net/http's default)
	behavior atomic.Int32
	msgID    atomic.Int64

	mu       sync.Mutex
	wake     chan struct{} // closed (and replaced) by SetBehavior
	closed   chan struct{}
	closeOne sync.Once
	codes    map[string]string
	order    []string // receptors in insertion order (a ring of capacity entries)
	head     int
	recent   []Received // ring of ReceivedKept
	next     int
}

func newServer(kind string, handle func(*Server, exchange), opts []Option) *Server {
	s := &Server{
		kind:     kind,
		handle:   handle,
		capacity: DefaultCapacity,
		wake:     make(chan struct{}),
		closed:   make(chan struct{}),
		codes:    map[string]string{},
	}
	for _, o := range opts {
		o(s)
	}
	s.msgID.Store(time.Now().UnixNano() / 1e6 % 1e9 * 1e3)
	if s.useFast {
		s.startFast()
	} else {
		s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
		s.srv.Config.IdleTimeout = s.idle
		s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.conns.Add(1)
			}
		}
		s.srv.Start()
		s.url = s.srv.URL
	}
	return s
}

// startFast serves on a fasthttp.Server on a loopback port.
func (s *Server) startFast() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("fakeprovider: listening: %v", err)) // as httptest.NewServer does
	}
	s.fastLn = ln
	s.url = "http://" + ln.Addr().String()
	s.fast = &fasthttp.Server{
		Handler:               s.serveFast,
		Name:                  "fakeprovider",
		MaxRequestBodySize:    maxBody,
		NoDefaultServerHeader: true,
		NoDefaultDate:         true,
		Logger:                quietLogger{},
	}
	go func() { _ = s.fast.Serve(ln) }()
}

// quietLogger drops fasthttp's log lines (aborted connections at Close).
type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// WithFastHTTP serves with fasthttp instead of net/http's httptest: the
// same wire format and behaviors for a fraction of the CPU per request, so
// that a load test measures the server rather than its fake provider. A
// request aborted by Close or by the client (Hang) is dropped without an
// answer either way.
func WithFastHTTP() Option { return func(s *Server) { s.useFast = true } }

// URL returns the server's base URL, to put in <SERVICE>_BASE_URL.
func (s *Server) URL() string { return s.url }

// SetBehavior changes how the server answers from now on; requests held by
// Hang are released and answered with the new behavior.
func (s *Server) SetBehavior(b Behavior) {
	s.behavior.Store(int32(b))
	s.mu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

// Behavior returns the current behavior.
func (s *Server) Behavior() Behavior { return Behavior(s.behavior.Load()) }

// Code returns the last code delivered to receptor (given as 09XXXXXXXXX,
// or +989…/989…/9…): the first template variable of an accepted template
// send, or the last run of 4 to 10 digits in an accepted text message.
// Refused and failed sends deliver nothing.
func (s *Server) Code(receptor string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[normalize(receptor)]
	return c, ok
}

// Received returns the last requests (at most ReceivedKept), oldest first.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, 0, len(s.recent))
	if len(s.recent) < ReceivedKept {
		return append(out, s.recent...)
	}
	out = append(out, s.recent[s.next:]...)
	return append(out, s.recent[:s.next]...)
}

// Count returns how many requests the server has served.
func (s *Server) Count() int64 { return s.count.Load() }

// Conns returns how many connections the server has accepted (0 with
// WithFastHTTP).
func (s *Server) Conns() int64 { return s.conns.Load() }

// WithIdleTimeout makes the server close a keep-alive connection idle for
// d, as real providers do (Apache after 5 s), to test the clients' handling
// of connections closed under them. net/http server only.
func WithIdleTimeout(d time.Duration) Option { return func(s *Server) { s.idle = d } }

// Close releases held requests and shuts the server down. It does not block
// on hung handlers and may be called more than once.
func (s *Server) Close() {
	s.closeOne.Do(func() {
		close(s.closed)
		if s.fast != nil {
			ctx, cancel := context.WithTimeout(context.Background(), closeWait)
			defer cancel()
			_ = s.fast.ShutdownWithContext(ctx)
			_ = s.fastLn.Close()
			return
		}
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.count.Add(1)
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	s.handle(s, stdExchange{w: w, r: r})
}

func (s *Server) serveFast(c *fasthttp.RequestCtx) {
	s.count.Add(1)
	s.handle(s, fastExchange{c: c})
}

// hold blocks while the behavior is Hang. When the server is closing or
// the client went away it aborts the exchange, so the client sees a broken
// connection rather than an answer, and returns false: the handler returns
// without answering.
func (s *Server) hold(x exchange) bool {
	ctx := x.Context()
	for s.Behavior() == Hang {
		s.mu.Lock()
		wake := s.wake
		s.mu.Unlock()
		if s.Behavior() != Hang {
			break
		}
		select {
		case <-wake:
		case <-s.closed:
			x.Abort()
			return false
		case <-ctx.Done():
			x.Abort()
			return false
		}
	}
	return true
}

// record remembers a parsed request.
func (s *Server) record(rec Received) {
	rec.Time = time.Now()
	rec.Vars = slices.Clone(rec.Vars)
	rec.Names = slices.Clone(rec.Names)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.recent) < ReceivedKept {
		s.recent = append(s.recent, rec)
	} else {
		s.recent[s.next] = rec
		s.next = (s.next + 1) % ReceivedKept
	}
}

// delivered remembers the code a message accepted for rec.Receptor carried:
// its first template variable, or the last run of 4 to 10 digits of its text.
func (s *Server) delivered(rec Received) {
	code := ""
	if len(rec.Vars) > 0 {
		code = rec.Vars[0]
	} else {
		code = lastDigits(rec.Text)
	}
	if code == "" || rec.Receptor == "" {
		return
	}
	key := normalize(rec.Receptor)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.codes[key]; !ok {
		if len(s.order) < s.capacity {
			s.order = append(s.order, key)
		} else {
			delete(s.codes, s.order[s.head])
			s.order[s.head] = key
			s.head = (s.head + 1) % s.capacity
		}
	}
	s.codes[key] = code
}

// nextID returns a fresh message id.
func (s *Server) nextID() int64 { return s.msgID.Add(1) }

// normalize turns +989…, 00989…, 989… and 9… into 09…; anything else is
// returned as is.
func normalize(m string) string {
	m = strings.TrimSpace(m)
	switch {
	case strings.HasPrefix(m, "+98"):
		m = "0" + m[3:]
	case strings.HasPrefix(m, "0098"):
		m = "0" + m[4:]
	case strings.HasPrefix(m, "98") && len(m) == 12:
		m = "0" + m[2:]
	case strings.HasPrefix(m, "9") && len(m) == 10:
		m = "0" + m
	}
	return m
}

// validMobile reports whether m is an Iranian mobile number in one of the
// forms providers accept.
func validMobile(m string) bool {
	m = normalize(m)
	if len(m) != 11 || !strings.HasPrefix(m, "09") {
		return false
	}
	for i := 0; i < len(m); i++ {
		if m[i] < '0' || m[i] > '9' {
			return false
		}
	}
	return true
}

// lastDigits returns the last run of 4 to 10 ASCII digits in s.
func lastDigits(s string) string {
	end := -1
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		isDigit := c >= '0' && c <= '9'
		switch {
		case isDigit && end < 0:
			end = i + 1
		case !isDigit && end >= 0:
			if n := end - (i + 1); n >= 4 && n <= 10 {
				return s[i+1 : end]
			}
			end = -1
		}
	}
	if end >= 0 && end >= 4 && end <= 10 {
		return s[:end]
	}
	return ""
}

// writeJSON writes a JSON body with status.
func writeJSON(x exchange, status int, body string) {
	x.Write(status, "application/json; charset=utf-8", body)
}

// postForm reads the form of a POST; anything else is answered 405 or 400
// as net/http would, and postForm reports false.
func postForm(x exchange) bool {
	if x.Method() != http.MethodPost {
		x.SetHeader("Allow", "POST")
		httpError(x, "405 method not allowed", http.StatusMethodNotAllowed)
		return false
	}
	if !x.ParseForm() {
		httpError(x, "400 bad request", http.StatusBadRequest)
		return false
	}
	return true
}

// notFound and httpError answer as net/http's NotFound and Error do.
func notFound(x exchange) { httpError(x, "404 page not found", http.StatusNotFound) }

func httpError(x exchange, msg string, status int) {
	x.SetHeader("X-Content-Type-Options", "nosniff")
	x.Write(status, "text/plain; charset=utf-8", msg+"\n")
}

// serverError and malformed are shared by every provider.
func serverError(x exchange) {
	x.Write(http.StatusInternalServerError, "text/html", "<html><body><h1>500 Internal Server Error</h1></body></html>")
}

func malformed(x exchange) {
	writeJSON(x, http.StatusOK, `{"status":200,"Value":"1`)
}
