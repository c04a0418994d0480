package config

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DefaultMaxConnsPerIP is the default of SERVER.MAX_CONNS_PER_IP: enough for
// a carrier's NAT or a busy office, far below SERVER.MAX_CONNS, so one host
// cannot hold every connection (10,300 idle sockets from one host once made
// the health probes of everyone else fail).
const DefaultMaxConnsPerIP = 128

// Bounds of AUTH.SERVICE_API_KEYS.
const (
	// MinServiceAPIKeyBytes is the shortest service key accepted: a key is a
	// password that is never typed, so it can be long and random.
	MinServiceAPIKeyBytes = 32
	maxServiceAPIKeyBytes = 512
	maxServiceAPIKeys     = 64
)

// secretList reads a list of at most max secret strings
// (AUTH.SERVICE_API_KEYS, JWT.PREVIOUS_SIGNING_KEYS). Error messages name the
// entry's index, never its value.
func (d *decoder) secretList(dst *[]string, max int) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		if probeList(n) {
			n.FootComment = "secret"
			return nil
		}
		n = envList(n)
		if isNull(n) {
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s must be a list of strings, got %s", key, kindNoValue(n))}
		}
		if len(n.Content) > max {
			return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s has more than %d entries", key, max)}
		}
		out := make([]string, 0, len(n.Content))
		for i, item := range n.Content {
			item = resolve(item)
			ikey := fmt.Sprintf("%s[%d]", key, i)
			if item.Kind != yaml.ScalarNode || isNull(item) {
				return &Error{Key: ikey, Line: item.Line, Msg: fmt.Sprintf("%s must be a string", ikey)}
			}
			out = append(out, item.Value)
		}
		*dst = out
		return nil
	}
}

// kindNoValue names a node's kind without its value (which may be a secret).
func kindNoValue(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "a single value"
}

// validateSecurity checks the keys of the security settings: service API
// keys, the per-address limits and the user message limit.
func (c *Config) validateSecurity() error {
	for i, k := range c.Auth.ServiceAPIKeys {
		key := fmt.Sprintf("AUTH.SERVICE_API_KEYS[%d]", i)
		switch {
		case len(k) < MinServiceAPIKeyBytes:
			return c.errorf("AUTH.SERVICE_API_KEYS", "%s is %d bytes long; a service key must be at least %d random bytes", key, len(k), MinServiceAPIKeyBytes)
		case len(k) > maxServiceAPIKeyBytes:
			return c.errorf("AUTH.SERVICE_API_KEYS", "%s is longer than %d bytes", key, maxServiceAPIKeyBytes)
		case strings.IndexFunc(k, func(r rune) bool { return r <= ' ' || r == 0x7f || r > 0x7e }) >= 0:
			return c.errorf("AUTH.SERVICE_API_KEYS", "%s must be printable ASCII without spaces (it is sent in an HTTP header)", key)
		}
		for j := 0; j < i; j++ {
			if c.Auth.ServiceAPIKeys[j] == k {
				return c.errorf("AUTH.SERVICE_API_KEYS", "%s repeats AUTH.SERVICE_API_KEYS[%d]", key, j)
			}
		}
	}
	o := &c.Auth.Options
	for _, e := range []error{
		c.between("AUTH.OPTIONS.OTP_SENDS_PER_NUMBER_PER_IP_PER_HOUR", int64(o.OTPSendsPerNumberPerIPPerHour), 0, 1_000_000_000),
		c.between("AUTH.OPTIONS.AUTHENTICATE_PER_IP_PER_HOUR", int64(o.AuthenticatePerIPPerHour), 1, 1_000_000_000),
		c.between("AUTH.OPTIONS.REFRESH_PER_IP_PER_HOUR", int64(o.RefreshPerIPPerHour), 1, 1_000_000_000),
		c.between("SMS.USER_MESSAGES_PER_HOUR", int64(c.SMS.UserMessagesPerHour), 1, 1_000_000_000),
	} {
		if e != nil {
			return e
		}
	}
	return nil
}

// String describes a without the service API keys (only how many there
// are), so that printing a Config never leaks them.
func (a Auth) String() string {
	return fmt.Sprintf("{AuthMethod:%s Options:%+v ServiceAPIKeys:%d set}", a.AuthMethod, a.Options, len(a.ServiceAPIKeys))
}

// GoString is String, for %#v.
func (a Auth) GoString() string { return "config.Auth" + a.String() }

// checkHMACKeyLength refuses an HS256 key shorter than minHMACKeyBytes
// (RFC 7518 section 3.2): with sequential user ids, whoever guesses a short
// key signs in as anyone. Its error completes a sentence that starts with the
// key's name and never contains the key.
func checkHMACKeyLength(alg, text string) error {
	if alg == HS256 && len(text) < minHMACKeyBytes {
		return fmt.Errorf("is %d bytes long; an HS256 key must be at least %d random bytes (RFC 7518 section 3.2); leave it empty to have one generated into the data folder", len(text), minHMACKeyBytes)
	}
	return nil
}
