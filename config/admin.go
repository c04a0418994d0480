package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Secret is a secret string from the config file: printing it (fmt's %v,
// %s, %#v, slog) shows only whether it is set and its length.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return "unset"
	}
	return fmt.Sprintf("set (%d bytes)", len(s))
}

// GoString is String, for %#v.
func (s Secret) GoString() string { return s.String() }

// MinAdminTokenBytes is the shortest SERVER.ADMIN_TOKEN accepted.
const MinAdminTokenBytes = 32

// Captcha is AUTH.CAPTCHA: an optional Turnstile/hCaptcha-style check on
// /api/otp/send/. Off while SiteverifyURL is empty.
type Captcha struct {
	// SiteverifyURL is AUTH.CAPTCHA.SITEVERIFY_URL, the verifier's
	// siteverify endpoint (http or https), e.g.
	// https://challenges.cloudflare.com/turnstile/v0/siteverify; default ""
	// (no captcha).
	SiteverifyURL string
	// Secret is AUTH.CAPTCHA.SECRET, the site's secret key; required with
	// SiteverifyURL (or SECRET_FILE).
	Secret Secret
	// SecretFile is AUTH.CAPTCHA.SECRET_FILE, a file holding Secret (not
	// readable by other users); Validate reads it into Secret.
	SecretFile string
	// Timeout is AUTH.CAPTCHA.TIMEOUT, the bound on one siteverify call (503
	// beyond); default 5s, 100ms to 1m.
	Timeout time.Duration
}

// DefaultCaptchaTimeout is AUTH.CAPTCHA.TIMEOUT's default.
const DefaultCaptchaTimeout = 5 * time.Second

// validateOps checks the admin listener, the metrics listener, the SMS
// budget and the captcha, reading the *_FILE secrets.
func (c *Config) validateOps() error {
	s := &c.Server
	for _, k := range []struct{ key, addr string }{{"SERVER.ADMIN_LISTEN", s.AdminListen}, {"SERVER.METRICS_LISTEN", s.MetricsListen}} {
		if k.addr == "" {
			continue
		}
		host, port, err := net.SplitHostPort(k.addr)
		if err != nil || strings.ContainsAny(host, " \t") {
			return c.errorf(k.key, "%s must be host:port (e.g. 127.0.0.1:8001), got %s", k.key, q(k.addr))
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return c.errorf(k.key, "%s: the port must be a number from 0 to 65535, got %s", k.key, q(port))
		}
		if sameAddr(k.addr, s.Listen) {
			return c.errorf(k.key, "%s must not be SERVER.LISTEN (%s): it must never be served on the public port", k.key, s.Listen)
		}
	}
	if s.AdminListen != "" && s.MetricsListen != "" && sameAddr(s.AdminListen, s.MetricsListen) {
		return c.errorf("SERVER.METRICS_LISTEN", "SERVER.METRICS_LISTEN must not be SERVER.ADMIN_LISTEN; set SERVER.METRICS_ON_ADMIN: true instead")
	}
	if s.AdminToken != "" && s.AdminTokenFile != "" {
		return c.errorf("SERVER.ADMIN_TOKEN_FILE", "set SERVER.ADMIN_TOKEN or SERVER.ADMIN_TOKEN_FILE, not both")
	}
	if s.AdminTokenFile != "" {
		v, err := readSecret(s.AdminTokenFile)
		if err != nil {
			return c.errorf("SERVER.ADMIN_TOKEN_FILE", "SERVER.ADMIN_TOKEN_FILE: %s", strings.ReplaceAll(err.Error(), "signing key file", "token file"))
		}
		s.AdminToken = Secret(v)
	}
	if s.AdminListen != "" && s.AdminToken == "" {
		return c.errorf("SERVER.ADMIN_LISTEN", "SERVER.ADMIN_LISTEN needs SERVER.ADMIN_TOKEN or SERVER.ADMIN_TOKEN_FILE (at least %d random bytes)", MinAdminTokenBytes)
	}
	if s.AdminToken != "" && len(s.AdminToken) < MinAdminTokenBytes {
		return c.errorf("SERVER.ADMIN_TOKEN", "SERVER.ADMIN_TOKEN is %d bytes long; it must be at least %d random bytes", len(s.AdminToken), MinAdminTokenBytes)
	}
	if s.MetricsOnAdmin && s.AdminListen == "" {
		return c.errorf("SERVER.METRICS_ON_ADMIN", "SERVER.METRICS_ON_ADMIN needs SERVER.ADMIN_LISTEN")
	}
	if s.MetricsOnAdmin && s.MetricsListen != "" {
		return c.errorf("SERVER.METRICS_ON_ADMIN", "set SERVER.METRICS_ON_ADMIN or SERVER.METRICS_LISTEN, not both")
	}
	for _, e := range []error{
		c.between("SMS.MAX_PER_HOUR", int64(c.SMS.MaxPerHour), 0, 1e9),
		c.between("SMS.MAX_PER_DAY", int64(c.SMS.MaxPerDay), 0, 1e9),
	} {
		if e != nil {
			return e
		}
	}
	cp := &c.Auth.Captcha
	if cp.Secret != "" && cp.SecretFile != "" {
		return c.errorf("AUTH.CAPTCHA.SECRET_FILE", "set AUTH.CAPTCHA.SECRET or AUTH.CAPTCHA.SECRET_FILE, not both")
	}
	if cp.SecretFile != "" {
		v, err := readSecret(cp.SecretFile)
		if err != nil {
			return c.errorf("AUTH.CAPTCHA.SECRET_FILE", "AUTH.CAPTCHA.SECRET_FILE: %s", strings.ReplaceAll(err.Error(), "signing key file", "secret file"))
		}
		cp.Secret = Secret(v)
	}
	if cp.SiteverifyURL != "" {
		u, err := url.Parse(cp.SiteverifyURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return c.errorf("AUTH.CAPTCHA.SITEVERIFY_URL", "AUTH.CAPTCHA.SITEVERIFY_URL must be an http or https URL, got %s", q(cp.SiteverifyURL))
		}
		if cp.Secret == "" {
			return c.errorf("AUTH.CAPTCHA.SITEVERIFY_URL", "AUTH.CAPTCHA.SITEVERIFY_URL needs AUTH.CAPTCHA.SECRET or AUTH.CAPTCHA.SECRET_FILE")
		}
	}
	return c.durationBetween("AUTH.CAPTCHA.TIMEOUT", cp.Timeout, 100*time.Millisecond, time.Minute)
}

// sameAddr reports whether two host:port addresses name the same listener
// (the same port with the same host, or either host a wildcard).
func sameAddr(a, b string) bool {
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	if pa != pb || pa == "0" {
		return false
	}
	wild := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || wild(ha) || wild(hb)
}
