package pluginhost

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/sdk/abi"
)

// A caller makes the provider requests plugins ask for: the one place the
// Host does network I/O. Its errors are *chelseru.SMSError (SMSTimeout when
// the send's deadline passed, SMSTemporary otherwise) and never contain the
// URL, which may hold an API key.
type caller interface {
	// call makes q (already checked: checkRequest returned u) and reads at
	// most Config.MaxResponseBytes of the answer, with the response headers
	// keep selects (sorted by name; values of one name in their order).
	call(ctx context.Context, q *abi.Request, u *checkedURL, keep headerFilter) (abi.Response, error)
	// close drops idle connections.
	close()
}

// errSendTimeout is the cause of a send's context when Config.Timeout passed.
var errSendTimeout = errors.New("send exceeded SMS.TIMEOUT")

// Connection limits of the provider clients. Sends are not bounded by the
// instance pool (an instance is released during the round trip), so the
// idle pool per host must cover the sends in flight at once, or sends close
// and redial connections (docs/RATIONALE.md, "Plugins"). maxConnsPerHost
// bounds what a burst can open towards one provider; sends over it wait for
// a connection, within SMS.TIMEOUT.
const (
	maxIdleConnsPerHost = 256
	maxConnsPerHost     = 512
	dialTimeout         = 5 * time.Second
	// maxStaleAttempts bounds the attempts of one request when reused
	// connections turn out to have been closed by the provider (each such
	// attempt wrote nothing; staleconn.go).
	maxStaleAttempts = 8
	// readBufferSize bounds the provider's response headers.
	readBufferSize = 16 << 10
	userAgent      = "chelseru"
)

// newCaller returns the default caller: fasthttp's client, or net/http's
// when a proxy is configured in the environment (HTTPS_PROXY, HTTP_PROXY),
// which fasthttp's client does not read.
func newCaller(cfg Config, st *counters) caller {
	g := newGuard(operatorEgressOf(&cfg), cfg.lookup)
	if cfg.Transport != nil {
		return newNetCaller(cfg.Transport, nil, nil, cfg.MaxResponseBytes, st)
	}
	if proxyFromEnvironment() {
		tr := newTransport(g, cfg.IdleConnTimeout)
		return newNetCaller(tr, tr, g, cfg.MaxResponseBytes, st)
	}
	return newFastCaller(cfg, g, st)
}

func proxyFromEnvironment() bool {
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

// fastCaller makes provider requests with fasthttp's client: about a third
// less CPU per request than net/http's (docs/RATIONALE.md). It never
// follows redirects (the plugin sees the 3xx), connects only through the
// guard (egress.go), and retries a request only when a reused connection
// turned out closed before a byte of it was written (staleconn.go).
type fastCaller struct {
	c       *fasthttp.Client
	maxBody int64
	stats   *counters
}

func newFastCaller(cfg Config, g *guard, st *counters) *fastCaller {
	return &fastCaller{stats: st, maxBody: cfg.MaxResponseBytes, c: &fasthttp.Client{
		Name:                   userAgent,
		MaxConnsPerHost:        maxConnsPerHost,
		MaxIdleConnDuration:    cfg.IdleConnTimeout,
		MaxConnWaitTimeout:     cfg.Timeout,
		ReadTimeout:            cfg.Timeout,
		WriteTimeout:           cfg.Timeout,
		ReadBufferSize:         readBufferSize,
		MaxResponseBodySize:    int(cfg.MaxResponseBytes),
		DisablePathNormalizing: true,
		TLSConfig:              &tls.Config{MinVersion: tls.VersionTLS12},
		Dial: func(addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
			defer cancel()
			c, err := g.dial(ctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			// fasthttp has no background reader that would notice the
			// provider closing an idle connection: look before writing.
			return newProbedConn(c), nil
		},
		MaxIdemponentCallAttempts: maxStaleAttempts,
		RetryIfErr: func(_ *fasthttp.Request, _ int, err error) (bool, bool) {
			if isStale(err) {
				st.staleRetries.Add(1)
				return false, true
			}
			return false, false
		},
	}}
}

func (f *fastCaller) close() { f.c.CloseIdleConnections() }

func (f *fastCaller) call(ctx context.Context, q *abi.Request, u *checkedURL, keep headerFilter) (abi.Response, error) {
	start := time.Now()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	// The URI was rebuilt from the parts checkRequest checked, so fasthttp's
	// parser cannot read another host out of it.
	req.SetRequestURI(u.uri)
	req.Header.SetMethod(q.Method)
	for _, h := range q.Headers {
		req.Header.Add(h.Name, h.Value)
	}
	if len(req.Header.UserAgent()) == 0 {
		req.Header.SetUserAgent(userAgent)
	}
	if q.Body != "" {
		req.SetBodyString(q.Body)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Minute)
	}
	if err := f.c.DoDeadline(req, resp, deadline); err != nil {
		if errors.Is(err, fasthttp.ErrBodyTooLarge) {
			return abi.Response{}, tooLarge(f.maxBody, resp.StatusCode())
		}
		if ce := connError(ctx, err); ce != nil {
			return abi.Response{}, ce
		}
		if errors.Is(err, fasthttp.ErrTimeout) && ok {
			// The deadline was the send's: say so even if the context's
			// timer has not fired yet.
			return abi.Response{}, &chelseru.SMSError{Class: chelseru.SMSTimeout, Text: "the provider did not answer in time",
				Err: fmt.Errorf("provider request failed: %w", errSendTimeout)}
		}
		return abi.Response{}, transportError(ctx, "provider request failed", err)
	}
	f.stats.httpRequests.Add(1)
	took := time.Since(start)
	f.stats.httpNanos.Add(int64(took))
	f.stats.httpLatency.observe(took)
	out := abi.Response{Status: resp.StatusCode(), Body: string(resp.Body())}
	if !keep.any() {
		return out, nil // most plugins want no headers: copy none
	}
	for k, v := range resp.Header.All() {
		if len(out.Headers) == maxResponseHeaders {
			break
		}
		if name := string(k); keep.wants(name) {
			out.Headers = append(out.Headers, abi.Header{Name: name, Value: truncate(string(v), maxHeaderValue)})
		}
	}
	// Sorted by name, the order net/http's map gave; values of one name
	// keep their order.
	slices.SortStableFunc(out.Headers, func(a, b abi.Header) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// netCaller makes provider requests with a net/http client: for a
// Config.Transport (tests, benchmarks) and for proxies.
type netCaller struct {
	c       *http.Client
	owned   *http.Transport // closed by close when the caller made it
	guard   *guard          // checks the target host before a proxied request (nil: Config.Transport)
	maxBody int64
	stats   *counters
}

func newNetCaller(rt http.RoundTripper, owned *http.Transport, g *guard, maxBody int64, st *counters) *netCaller {
	return &netCaller{owned: owned, guard: g, maxBody: maxBody, stats: st, c: &http.Client{
		Transport: rt,
		// A redirect could lead anywhere: the plugin sees the 3xx instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (n *netCaller) close() {
	if n.owned != nil {
		n.owned.CloseIdleConnections()
	}
}

func (n *netCaller) call(ctx context.Context, q *abi.Request, c *checkedURL, keep headerFilter) (abi.Response, error) {
	var body io.Reader
	if q.Body != "" {
		body = strings.NewReader(q.Body)
	}
	req, err := http.NewRequestWithContext(ctx, q.Method, "http://placeholder/", body)
	if err != nil {
		return abi.Response{}, &pluginError{msg: "request cannot be built"}
	}
	if n.guard != nil {
		// Through a proxy the host dials the proxy, not the provider: check
		// the provider's name here (the guard dials direct connections).
		if _, err := n.guard.addrs(ctx, hostPort(c.u)); err != nil {
			if ce := connError(ctx, &dialError{err: err}); ce != nil {
				return abi.Response{}, ce
			}
		}
	}
	u := *c.u // the checked URL is shared by sends: give net/http its own copy
	req.URL = &u
	req.Host = u.Host
	for _, h := range q.Headers {
		req.Header.Add(h.Name, h.Value)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", userAgent)
	}
	start := time.Now()
	resp, err := n.c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		if ce := connError(ctx, err); ce != nil {
			return abi.Response{}, ce
		}
		return abi.Response{}, transportError(ctx, "provider request failed", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, n.maxBody+1))
	if err != nil {
		return abi.Response{}, transportError(ctx, "reading the provider response failed", err)
	}
	if int64(len(b)) > n.maxBody {
		return abi.Response{}, tooLarge(n.maxBody, resp.StatusCode)
	}
	n.stats.httpRequests.Add(1)
	took := time.Since(start)
	n.stats.httpNanos.Add(int64(took))
	n.stats.httpLatency.observe(took)
	out := abi.Response{Status: resp.StatusCode, Body: string(b)}
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		if keep.wants(k) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range resp.Header[k] {
			if len(out.Headers) == maxResponseHeaders {
				break
			}
			out.Headers = append(out.Headers, abi.Header{Name: k, Value: truncate(v, maxHeaderValue)})
		}
	}
	return out, nil
}

// newTransport is the net/http transport for provider requests through a
// proxy.
func newTransport(g *guard, idle time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            g.dial,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           2 * maxIdleConnsPerHost,
		MaxIdleConnsPerHost:    maxIdleConnsPerHost,
		MaxConnsPerHost:        maxConnsPerHost,
		IdleConnTimeout:        idle,
		TLSHandshakeTimeout:    dialTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

func tooLarge(maxBody int64, status int) error {
	return &chelseru.SMSError{Class: chelseru.SMSTemporary, Code: "response_too_large",
		Text: "the provider's response was too large",
		Err:  fmt.Errorf("provider response over %d bytes (status %d)", maxBody, status)}
}

// transportError classifies a failed round trip.
func transportError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return &chelseru.SMSError{Class: chelseru.SMSTimeout, Text: "the provider did not answer in time",
			Err: fmt.Errorf("%s: %w", what, context.Cause(ctx))}
	}
	return &chelseru.SMSError{Class: chelseru.SMSTemporary, Code: "unreachable", Text: "the provider could not be reached",
		Err: fmt.Errorf("%s: %w", what, err)}
}

// connError is the error of a request that failed before a byte of it was
// written: a connection the guard refused (a plugin failure: the plugin
// asked for that host), one that could not be made, no free connection, or
// only stale ones. Nil for any other error. Each says NotSent.
func connError(ctx context.Context, err error) error {
	var ee *egressError
	if errors.As(err, &ee) {
		return &pluginError{msg: ee.Error(), notSent: true}
	}
	var de *dialError
	if errors.As(err, &de) || errors.Is(err, fasthttp.ErrNoFreeConns) || isStale(err) {
		e := transportError(ctx, "provider request failed", err)
		var se *chelseru.SMSError
		if errors.As(e, &se) {
			se.NotSent = true
		}
		return e
	}
	return nil
}
