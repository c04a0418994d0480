package loadgen

import (
	"bytes"
	"fmt"
	"time"

	"github.com/valyala/fasthttp"
)

// Defaults of the HTTP helpers.
const (
	// DefaultRequestTimeout bounds one request made through HTTPWorker.
	DefaultRequestTimeout = 10 * time.Second
	// MaxResponseBody bounds a response body read by NewClient's client.
	MaxResponseBody = 1 << 20
	// UserAgent is the User-Agent the load tool sends.
	UserAgent     = "chelseru-bench/1 (loadgen)"
	maxBodySample = 200
)

// NewClient returns a fasthttp client for one host ("127.0.0.1:8000") that
// keeps up to conns keep-alive connections: give it the run's concurrency so
// that every closed-loop worker has its own connection. It never retries (a
// retried POST would hide failures and double-send) and bounds every read,
// write and response body.
func NewClient(addr string, conns int) *fasthttp.HostClient {
	return &fasthttp.HostClient{
		Addr:                      addr,
		Name:                      UserAgent,
		MaxConns:                  conns,
		MaxConnWaitTimeout:        DefaultRequestTimeout,
		MaxIdemponentCallAttempts: 1,
		ReadTimeout:               DefaultRequestTimeout,
		WriteTimeout:              DefaultRequestTimeout,
		MaxResponseBodySize:       MaxResponseBody,
		MaxIdleConnDuration:       time.Minute,
	}
}

// HTTPWorker is per-worker state for units that make HTTP requests: the
// shared client and one request/response pair reused by every request of the
// worker, so that the load tool allocates next to nothing per request. It is
// not safe for concurrent use.
type HTTPWorker struct {
	// Client is shared by the workers of a run.
	Client *fasthttp.HostClient
	// Timeout bounds one request; 0 means DefaultRequestTimeout.
	Timeout time.Duration

	req  fasthttp.Request
	resp fasthttp.Response
	uri  []byte
}

// NewHTTPWorker returns a worker state using c.
func NewHTTPWorker(c *fasthttp.HostClient) *HTTPWorker {
	return &HTTPWorker{Client: c}
}

// PostJSON sends body as a JSON POST to path and returns the response body,
// valid until the next call. A status other than want is a *StatusError.
func (w *HTTPWorker) PostJSON(path string, body []byte, want int) ([]byte, error) {
	w.req.Reset()
	w.resp.Reset()
	w.uri = append(append(append(w.uri[:0], "http://"...), w.Client.Addr...), path...)
	w.req.SetRequestURIBytes(w.uri)
	w.req.Header.SetMethod(fasthttp.MethodPost)
	w.req.Header.SetContentType("application/json")
	w.req.Header.SetUserAgent(UserAgent)
	w.req.SetBody(body)
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	if err := w.Client.DoTimeout(&w.req, &w.resp, timeout); err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	got := w.resp.Body()
	if st := w.resp.StatusCode(); st != want {
		sample := bytes.TrimSpace(got)
		if len(sample) > maxBodySample {
			sample = sample[:maxBodySample]
		}
		return nil, &StatusError{Op: "POST " + path, Status: st, Body: string(sample)}
	}
	return got, nil
}
