package pluginhost

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

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

// pluginSettings returns the plugin's settings: exactly the keys its
// manifest declares (each NAME_…), the operator's value or the declared
// default; the keys with its prefix that it does not declare (not handed
// to it, for a warning); and a one-line error for a missing required key or
// a bad BASE_URL.
func pluginSettings(man *abi.Manifest, all map[string]string) (map[string]string, []string, error) {
	prefix := man.Name + "_"
	out := make(map[string]string, len(man.Settings))
	declared := make(map[string]bool, len(man.Settings))
	for _, s := range man.Settings {
		declared[s.Key] = true
		if v := all[s.Key]; v != "" {
			out[s.Key] = v
		}
	}
	var unknown []string
	for k := range all {
		if strings.HasPrefix(k, prefix) && !declared[k] {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, s := range man.Settings {
		if _, ok := out[s.Key]; ok {
			continue
		}
		switch {
		case s.Default != "":
			out[s.Key] = s.Default
		case s.Required:
			return nil, nil, fmt.Errorf("SMS.SETTINGS.%s is required by plugin %s", s.Key, man.Name)
		default:
			if _, set := all[s.Key]; set {
				out[s.Key] = ""
			}
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

// allowlist holds the "host:port" entries a plugin may have the host call
// (built by module.buildAllowlist, egress.go).
type allowlist map[string]struct{}

// forbiddenHeaders are set by the host's HTTP client, never by a plugin.
var forbiddenHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Upgrade": true, "Te": true, "Trailer": true, "Keep-Alive": true, "Proxy-Connection": true,
	"Proxy-Authorization": true,
}

// checkedURL is a request URL that passed the allowlist: parsed, and in the
// form the fasthttp caller sends (rebuilt from the checked parts).
type checkedURL struct {
	raw string
	u   *url.URL
	uri string
}

// checkRequest checks a plugin's request against the allowlist and limits
// and returns its checked URL. A plugin calls the same URL on nearly every
// send, so the last one checked is remembered and reused when q's URL is
// the same string. Errors are plugin errors and never contain the URL (a
// provider may keep its API key in the path).
func (m *module) checkRequest(q *abi.Request) (*checkedURL, error) {
	if err := checkMethodAndHeaders(q); err != nil {
		return nil, err
	}
	if c := m.lastURL.Load(); c != nil && c.raw == q.URL {
		return c, nil
	}
	u, err := checkURL(m.hosts, q.URL)
	if err != nil {
		return nil, err
	}
	if err := m.checkLiteral(u); err != nil {
		return nil, err
	}
	c := &checkedURL{raw: q.URL, u: u, uri: u.Scheme + "://" + u.Host + u.RequestURI()}
	m.lastURL.Store(c)
	return c, nil
}

// checkMethodAndHeaders checks a request's method and headers.
func checkMethodAndHeaders(q *abi.Request) error {
	switch q.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return &pluginError{msg: fmt.Sprintf("request method %q is not allowed", truncate(q.Method, 16))}
	}
	if len(q.Headers) > maxRequestHeaders {
		return &pluginError{msg: fmt.Sprintf("request has more than %d headers", maxRequestHeaders)}
	}
	for _, h := range q.Headers {
		name := http.CanonicalHeaderKey(h.Name)
		if !validHeaderName(name) || strings.ContainsAny(h.Value, "\r\n\x00") || len(h.Value) > maxHeaderValue {
			return &pluginError{msg: fmt.Sprintf("request header %q is invalid", truncate(h.Name, 64))}
		}
		if forbiddenHeaders[name] {
			return &pluginError{msg: fmt.Sprintf("request header %s is set by the host", name)}
		}
	}
	return nil
}

// checkURL parses raw and checks it against the allowlist.
func checkURL(hosts allowlist, raw string) (*url.URL, error) {
	u, err := parseRequestURL(raw)
	if err != nil {
		return nil, err
	}
	hp := hostPort(u)
	if _, ok := hosts[hp]; !ok {
		return nil, &pluginError{msg: fmt.Sprintf("request to %s refused: not in the plugin's allowed hosts (docs/plugin-abi.md § 6)", truncate(hp, 100))}
	}
	return u, nil
}

// parseRequestURL parses a request URL a plugin asked for: absolute
// http(s), with a host and no user info.
func parseRequestURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &pluginError{msg: "request URL is not an absolute http(s) URL"}
	}
	if u.User != nil {
		return nil, &pluginError{msg: "request URL carries user info"}
	}
	return u, nil
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

// headerFilter selects the response headers a plugin's manifest asks for
// (ResponseHeaders): none by default, every one with "*".
type headerFilter struct {
	all   bool
	names map[string]bool // canonical header names
}

func newHeaderFilter(names []string) headerFilter {
	f := headerFilter{names: map[string]bool{}}
	for _, n := range names {
		if n == "*" {
			f.all = true
		}
		f.names[http.CanonicalHeaderKey(n)] = true
	}
	return f
}

// any reports whether f selects any header at all.
func (f headerFilter) any() bool { return f.all || len(f.names) > 0 }

// wants reports whether f selects the header called name (any case).
func (f headerFilter) wants(name string) bool {
	return f.all || (len(f.names) > 0 && f.names[http.CanonicalHeaderKey(name)])
}
