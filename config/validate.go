package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Validate checks every value and returns the first problem as one line
// naming the key (with the line it was set on, when it came from a file).
// Parse and Load call it; call it again after changing a Config in code.
func (c *Config) Validate() error {
	for _, check := range []func() error{c.validateServer, c.validateJWT, c.validateAuth, c.validateSMS, c.validateLog, c.validateStorage, c.validateSecurity, c.validateChat, c.validateOps, c.validateCORS, c.validateImported} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// between checks lo <= v <= hi.
func (c *Config) between(key string, v, lo, hi int64) error {
	if v < lo || v > hi {
		return c.errorf(key, "%s must be between %d and %d, got %d", key, lo, hi, v)
	}
	return nil
}

// durationBetween checks lo <= v <= hi.
func (c *Config) durationBetween(key string, v, lo, hi time.Duration) error {
	if v < lo || v > hi {
		return c.errorf(key, "%s must be between %v and %v, got %v", key, lo, hi, v)
	}
	return nil
}

func (c *Config) validateServer() error {
	s := &c.Server
	host, port, err := net.SplitHostPort(s.Listen)
	if err != nil || strings.ContainsAny(host, " \t") {
		return c.errorf("SERVER.LISTEN", "SERVER.LISTEN must be host:port (e.g. 127.0.0.1:8000), got %s", q(s.Listen))
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return c.errorf("SERVER.LISTEN", "SERVER.LISTEN: the port must be a number from 0 to 65535, got %s", q(port))
	}
	if strings.TrimSpace(s.DataDir) == "" {
		return c.errorf("SERVER.DATA_DIR", "SERVER.DATA_DIR must not be empty")
	}
	if len(s.TrustedProxies) > maxListItems {
		return c.errorf("SERVER.TRUSTED_PROXIES", "SERVER.TRUSTED_PROXIES has more than %d entries", maxListItems)
	}
	for i, p := range s.TrustedProxies {
		if !p.IsValid() {
			return c.errorf("SERVER.TRUSTED_PROXIES", "SERVER.TRUSTED_PROXIES[%d] is not a valid address or CIDR", i)
		}
	}
	for _, e := range []error{
		c.between("SERVER.MAX_BODY_BYTES", int64(s.MaxBodyBytes), 1<<10, 64<<20),
		c.durationBetween("SERVER.READ_TIMEOUT", s.ReadTimeout, time.Millisecond, 24*time.Hour),
		c.durationBetween("SERVER.WRITE_TIMEOUT", s.WriteTimeout, time.Millisecond, 24*time.Hour),
		c.durationBetween("SERVER.IDLE_TIMEOUT", s.IdleTimeout, time.Millisecond, 24*time.Hour),
		c.between("SERVER.MAX_CONNS", int64(s.MaxConns), 1, 1_000_000),
		c.between("SERVER.MAX_CONNS_PER_IP", int64(s.MaxConnsPerIP), 0, 1_000_000),
	} {
		if e != nil {
			return e
		}
	}
	return nil
}

func (c *Config) validateJWT() error {
	j := &c.JWT
	if j.Algorithm != HS256 && j.Algorithm != EdDSA {
		return c.errorf("JWT.ALGORITHM", "JWT.ALGORITHM must be HS256 or EdDSA, got %s", q(j.Algorithm))
	}
	for _, e := range []error{
		c.durationBetween("JWT.ACCESS_TOKEN_LIFETIME", j.AccessTokenLifetime, time.Second, 366*24*time.Hour),
		c.durationBetween("JWT.REFRESH_TOKEN_LIFETIME", j.RefreshTokenLifetime, time.Second, 10*366*24*time.Hour),
	} {
		if e != nil {
			return e
		}
	}
	if j.SigningKey != "" {
		if _, err := keyBytes(j.Algorithm, j.SigningKey); err != nil {
			return c.errorf("JWT.SIGNING_KEY", "%s %s", c.signingKeyName(), err)
		}
		if err := checkHMACKeyLength(j.Algorithm, j.SigningKey); err != nil {
			return c.errorf("JWT.SIGNING_KEY", "%s %s", c.signingKeyName(), err)
		}
	}
	return nil
}

// signingKeyName is where the signing key was set, for messages.
func (c *Config) signingKeyName() string {
	if c.JWT.SigningKeyFromEnv {
		if src := c.Source("JWT.SIGNING_KEY"); strings.HasPrefix(src, "env ") {
			return strings.TrimPrefix(src, "env ")
		}
		return EnvSigningKey
	}
	return "JWT.SIGNING_KEY"
}

func (c *Config) validateAuth() error {
	a := &c.Auth
	if a.AuthMethod != "OTP" && a.AuthMethod != "PASSWD" {
		return c.errorf("AUTH.AUTH_METHOD", "AUTH.AUTH_METHOD must be OTP or PASSWD, got %s", q(a.AuthMethod))
	}
	o := &a.Options
	for _, e := range []error{
		c.between("AUTH.OPTIONS.OTP_LENGTH", int64(o.OTPLength), 3, 10),
		c.between("AUTH.OPTIONS.OTP_EXPIRE_PER_MINUTES", int64(o.OTPExpirePerMinutes), 1, 1440),
		c.between("AUTH.OPTIONS.OTP_SMS_TEMPLATE_ID", o.OTPSMSTemplateID, 0, 1<<53),
		c.between("AUTH.OPTIONS.OTP_MAX_ATTEMPTS", int64(o.OTPMaxAttempts), 1, 100),
		c.between("AUTH.OPTIONS.OTP_SENDS_PER_NUMBER_PER_HOUR", int64(o.OTPSendsPerNumberPerHour), 1, 1_000_000_000),
		c.between("AUTH.OPTIONS.OTP_SENDS_PER_IP_PER_HOUR", int64(o.OTPSendsPerIPPerHour), 1, 1_000_000_000),
	} {
		if e != nil {
			return e
		}
	}
	return nil
}

func (c *Config) validateSMS() error {
	s := &c.SMS
	if err := c.durationBetween("SMS.TIMEOUT", s.Timeout, time.Millisecond, 10*time.Minute); err != nil {
		return err
	}
	if s.SMSService == "" || len(s.SMSService) > 64 || strings.IndexFunc(s.SMSService, func(r rune) bool {
		return r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.')
	}) >= 0 {
		return c.errorf("SMS.SMS_SERVICE", "SMS.SMS_SERVICE must be a provider name such as KAVENEGAR_COM or CONSOLE, got %s", q(s.SMSService))
	}
	if len(s.Settings) > maxMapEntries {
		return c.errorf("SMS.SETTINGS", "SMS.SETTINGS has more than %d entries", maxMapEntries)
	}
	for _, k := range sortedKeys(s.Settings) {
		if k == "" {
			return c.errorf("SMS.SETTINGS", "SMS.SETTINGS: keys must be non-empty names")
		}
		if len(s.Settings[k]) > maxValueBytes {
			return c.errorf("SMS.SETTINGS."+k, "SMS.SETTINGS.%s is longer than %d bytes", k, maxValueBytes)
		}
	}
	if len(s.Templates) > maxMapEntries {
		return c.errorf("SMS.TEMPLATES", "SMS.TEMPLATES has more than %d entries", maxMapEntries)
	}
	for _, k := range sortedKeys(s.Templates) {
		if err := c.between("SMS.TEMPLATES."+k, s.Templates[k], 0, 1<<53); err != nil {
			return err
		}
	}
	if err := c.validateTemplateParams(); err != nil {
		return err
	}
	for _, k := range sortedKeys(s.PluginSHA256) {
		v := s.PluginSHA256[k]
		if len(v) != 64 || strings.IndexFunc(v, func(r rune) bool { return !strings.ContainsRune("0123456789abcdefABCDEF", r) }) >= 0 {
			return c.errorf("SMS.PLUGIN_SHA256."+k, "SMS.PLUGIN_SHA256.%s must be 64 hex digits (sha256sum of the .wasm file), got %s", k, q(v))
		}
		s.PluginSHA256[k] = strings.ToLower(v)
	}
	for _, e := range []error{
		c.between("SMS.PLUGIN_MEMORY_LIMIT_MB", int64(s.PluginMemoryLimitMB), 1, 4096),
		c.durationBetween("SMS.PLUGIN_CALL_TIMEOUT", s.PluginCallTimeout, time.Millisecond, time.Minute),
		c.between("SMS.PLUGIN_POOL_SIZE", int64(s.PluginPoolSize), 0, 1024),
		c.between("SMS.PLUGIN_MAX_RESPONSE_BYTES", s.PluginMaxResponseBytes, 1<<10, 64<<20),
		c.between("SMS.PLUGIN_MAX_MODULE_BYTES", int64(s.PluginMaxModuleBytes), 64<<10, 64<<20),
		c.pluginInterrupt(s.PluginInterrupt),
	} {
		if e != nil {
			return e
		}
	}
	return c.validatePlugins()
}

func (c *Config) validateLog() error {
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return c.errorf("LOG.FORMAT", "LOG.FORMAT must be text or json, got %s", q(c.Log.Format))
	}
	return nil
}

// Warnings lists settings that are allowed but probably unwise, one line
// each, for the caller to log at start-up. It never includes a secret.
func (c *Config) Warnings() []string {
	var w []string
	if c.JWT.AccessTokenLifetime > c.JWT.RefreshTokenLifetime {
		w = append(w, fmt.Sprintf("JWT.ACCESS_TOKEN_LIFETIME (%v) is longer than JWT.REFRESH_TOKEN_LIFETIME (%v)",
			c.JWT.AccessTokenLifetime, c.JWT.RefreshTokenLifetime))
	}
	for _, p := range c.Server.TrustedProxies {
		if p.Bits() == 0 {
			w = append(w, fmt.Sprintf("SERVER.TRUSTED_PROXIES holds %s: every client can choose its own address with X-Forwarded-For, which defeats the per-address limits", p))
			break
		}
	}
	if c.SMS.SMSService == "CONSOLE" {
		w = append(w, "SMS.SMS_SERVICE is CONSOLE: messages, codes included, are written to the log, not sent")
	}
	if c.SMS.PluginCallTimeout > c.SMS.Timeout {
		w = append(w, fmt.Sprintf("SMS.PLUGIN_CALL_TIMEOUT (%v) is longer than SMS.TIMEOUT (%v)", c.SMS.PluginCallTimeout, c.SMS.Timeout))
	}
	return w
}

// pluginInterrupt checks SMS.PLUGIN_INTERRUPT.
func (c *Config) pluginInterrupt(v string) error {
	if v != "instrument" && v != "context" {
		return c.errorf("SMS.PLUGIN_INTERRUPT", "SMS.PLUGIN_INTERRUPT must be instrument or context, got %s", q(v))
	}
	return nil
}
