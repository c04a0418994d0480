package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/sdk/abi"
)

// Limits on what a plugin may put in a request and what the host hands back.
const (
	maxRequestHeaders  = 32
	maxResponseHeaders = 64
	maxHeaderValue     = 8 << 10
	maxState           = 64 << 10
	maxCodeLen         = 64
	maxTextLen         = 512
)

// pluginSettings returns the plugin's own settings (keys beginning with
// NAME_) with declared defaults filled in, the keys it does not declare, and
// a one-line error for a missing required key or a bad BASE_URL.
func pluginSettings(man *abi.Manifest, all map[string]string) (map[string]string, []string, error) {
	prefix := man.Name + "_"
	out := make(map[string]string)
	declared := make(map[string]bool, len(man.Settings))
	for _, s := range man.Settings {
		declared[s.Key] = true
	}
	var unknown []string
	for k, v := range all {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
			if !declared[k] {
				unknown = append(unknown, k)
			}
		}
	}
	slices.Sort(unknown)
	for _, s := range man.Settings {
		if v, ok := out[s.Key]; ok && v != "" {
			continue
		}
		switch {
		case s.Default != "":
			out[s.Key] = s.Default
		case s.Required:
			return nil, nil, fmt.Errorf("SMS.SETTINGS.%s is required by plugin %s", s.Key, man.Name)
		}
	}
	if v := out[prefix+"BASE_URL"]; v != "" {
		if _, err := baseURLHost(v); err != nil {
			return nil, nil, fmt.Errorf("SMS.SETTINGS.%sBASE_URL: %w", prefix, err)
		}
	}
	return out, unknown, nil
}

// baseURLHost returns "host:port" of an http(s) base URL. Its error never
// repeats the URL.
func baseURLHost(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
		return "", errors.New("not an http(s) URL with a host")
	}
	return hostPort(u), nil
}

// hostPort is the lower-case host and port of u, the port defaulting by scheme.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// allowlist holds the "host:port" entries a plugin may have the host call.
type allowlist map[string]struct{}

// buildAllowlist: each manifest host (without a port: on 80 and 443), and
// the host of the plugin's BASE_URL setting.
func buildAllowlist(man *abi.Manifest, settings map[string]string) (allowlist, error) {
	a := allowlist{}
	for _, h := range man.Hosts {
		u, err := url.Parse("http://" + h)
		if err != nil {
			return nil, fmt.Errorf("plugin %s: host %q: %w", man.Name, h, err)
		}
		name := strings.ToLower(u.Hostname())
		if p := u.Port(); p != "" {
			a[net.JoinHostPort(name, p)] = struct{}{}
		} else {
			a[net.JoinHostPort(name, "80")] = struct{}{}
			a[net.JoinHostPort(name, "443")] = struct{}{}
		}
	}
	if v := settings[man.Name+"_BASE_URL"]; v != "" {
		hp, err := baseURLHost(v)
		if err != nil {
			return nil, fmt.Errorf("SMS.SETTINGS.%s_BASE_URL: %w", man.Name, err)
		}
		a[hp] = struct{}{}
	}
	return a, nil
}

// forbiddenHeaders are set by the host's HTTP client, never by a plugin.
var forbiddenHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Upgrade": true, "Te": true, "Trailer": true, "Keep-Alive": true, "Proxy-Connection": true,
	"Proxy-Authorization": true,
}

// buildRequest checks a plugin's request against the allowlist and limits
// and turns it into an *http.Request. Errors are plugin errors and never
// contain the URL (a provider may keep its API key in the path).
func buildRequest(ctx context.Context, hosts allowlist, q *abi.Request) (*http.Request, error) {
	switch q.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return nil, &pluginError{msg: fmt.Sprintf("request method %q is not allowed", truncate(q.Method, 16))}
	}
	u, err := url.Parse(q.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &pluginError{msg: "request URL is not an absolute http(s) URL"}
	}
	if u.User != nil {
		return nil, &pluginError{msg: "request URL carries user info"}
	}
	hp := hostPort(u)
	if _, ok := hosts[hp]; !ok {
		return nil, &pluginError{msg: fmt.Sprintf("request to %s refused: not in the plugin's hosts or BASE_URL", truncate(hp, 100))}
	}
	if len(q.Headers) > maxRequestHeaders {
		return nil, &pluginError{msg: fmt.Sprintf("request has more than %d headers", maxRequestHeaders)}
	}
	var body io.Reader
	if q.Body != "" {
		body = strings.NewReader(q.Body)
	}
	req, err := http.NewRequestWithContext(ctx, q.Method, "http://placeholder/", body)
	if err != nil {
		return nil, &pluginError{msg: "request cannot be built"}
	}
	req.URL = u
	req.Host = u.Host
	for _, h := range q.Headers {
		name := http.CanonicalHeaderKey(h.Name)
		if !validHeaderName(name) || strings.ContainsAny(h.Value, "\r\n\x00") || len(h.Value) > maxHeaderValue {
			return nil, &pluginError{msg: fmt.Sprintf("request header %q is invalid", truncate(h.Name, 64))}
		}
		if forbiddenHeaders[name] {
			return nil, &pluginError{msg: fmt.Sprintf("request header %s is set by the host", name)}
		}
		req.Header.Add(name, h.Value)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "chelseru")
	}
	return req, nil
}

func validHeaderName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// errSendTimeout is the cause of a send's context when Config.Timeout passed.
var errSendTimeout = errors.New("send exceeded SMS.TIMEOUT")

// roundTrip makes the request and reads at most maxBody bytes of the answer.
// Failures are *chelseru.SMSError: SMSTimeout when the send's deadline
// passed, SMSTemporary otherwise. The URL is never part of an error.
func (h *Host) roundTrip(ctx context.Context, req *http.Request, maxBody int64) (abi.Response, error) {
	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		return abi.Response{}, h.transportError(ctx, "provider request failed", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return abi.Response{}, h.transportError(ctx, "reading the provider response failed", err)
	}
	if int64(len(body)) > maxBody {
		return abi.Response{}, &chelseru.SMSError{Class: chelseru.SMSTemporary, Code: "response_too_large",
			Text: "the provider's response was too large",
			Err:  fmt.Errorf("provider response over %d bytes (status %d)", maxBody, resp.StatusCode)}
	}
	h.stats.httpRequests.Add(1)
	h.stats.httpNanos.Add(int64(time.Since(start)))
	out := abi.Response{Status: resp.StatusCode, Body: string(body)}
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
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

// transportError classifies a failed round trip, dropping the URL that
// net/http puts into its errors.
func (h *Host) transportError(ctx context.Context, what string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctx.Err() != nil {
		return &chelseru.SMSError{Class: chelseru.SMSTimeout, Text: "the provider did not answer in time",
			Err: fmt.Errorf("%s: %w", what, context.Cause(ctx))}
	}
	return &chelseru.SMSError{Class: chelseru.SMSTemporary, Code: "unreachable", Text: "the provider could not be reached",
		Err: fmt.Errorf("%s: %w", what, err)}
}

// Connection limits of the default provider transport. Sends are not
// bounded by the instance pool (an instance is released during the round
// trip), so the idle pool per host must cover the sends in flight at once:
// with 32 idle connections per host, a load test of 64 concurrent sends
// closed and redialled a connection on most sends (17k sockets in
// TIME_WAIT, ~7% of the server's CPU in dials). MaxConnsPerHost bounds what
// a burst can open towards one provider; sends over it wait for a
// connection, within SMS.TIMEOUT.
const (
	maxIdleConnsPerHost = 256
	maxConnsPerHost     = 512
)

// newTransport is the default transport for provider requests.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           2 * maxIdleConnsPerHost,
		MaxIdleConnsPerHost:    maxIdleConnsPerHost,
		MaxConnsPerHost:        maxConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    5 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
}
