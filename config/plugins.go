package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The operator's say over plugins from SERVER.PLUGINS_DIR (docs/configuration.md):
// which hosts a plugin may call (SMS.PLUGIN_ALLOWED_HOSTS), which built-in
// plugins a module there may replace (SMS.PLUGIN_OVERRIDES), and how long an
// idle provider connection is kept (SMS.PROVIDER_IDLE_TIMEOUT).

// DefaultProviderIdleTimeout is SMS.PROVIDER_IDLE_TIMEOUT's default: shorter
// than Apache's 5 s keep-alive timeout, the shortest common one.
const DefaultProviderIdleTimeout = 4 * time.Second

// DefaultPluginIdleTimeout is SMS.PLUGIN_IDLE_TIMEOUT's default: a server
// sending a code at least every 30 s keeps its plugin instances warm; an
// idle one gives their memory (~4 MB each) back.
const DefaultPluginIdleTimeout = 30 * time.Second

// stringList reads a list of strings (a single string is a list of one).
func (d *decoder) stringList(dst *[]string) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		n = resolve(n)
		if isNull(n) {
			return nil
		}
		if n.Kind == yaml.ScalarNode {
			s, _, err := scalar(n, key, "a list of strings")
			if err == nil {
				*dst = []string{s}
			}
			return err
		}
		if n.Kind != yaml.SequenceNode {
			return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s must be a list of strings, got %s", key, kind(n))}
		}
		if len(n.Content) > maxListItems {
			return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s has more than %d entries", key, maxListItems)}
		}
		out := make([]string, 0, len(n.Content))
		for i, item := range n.Content {
			item = resolve(item)
			ikey := fmt.Sprintf("%s[%d]", key, i)
			d.c.lines[ikey] = item.Line
			s, ok, err := scalar(item, ikey, "a string")
			if err != nil {
				return err
			}
			if !ok || s == "" {
				return &Error{Key: ikey, Line: item.Line, Msg: ikey + " must not be empty"}
			}
			out = append(out, s)
		}
		*dst = out
		return nil
	}
}

// stringListMap reads a mapping of names to lists of strings.
func (d *decoder) stringListMap(dst *map[string][]string) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		out := map[string][]string{}
		err := mapEntries(n, key, "service names to lists of hosts", func(k string, v *yaml.Node, path string) error {
			d.c.lines[path] = v.Line
			var list []string
			if err := d.stringList(&list)(v, path); err != nil {
				return err
			}
			out[k] = list
			return nil
		})
		if err != nil {
			return err
		}
		if !isNull(n) {
			*dst = out
		}
		return nil
	}
}

// validatePlugins checks the plugin egress and override settings.
func (c *Config) validatePlugins() error {
	s := &c.SMS
	for _, k := range sortedKeys(s.PluginAllowedHosts) {
		if !serviceName(k) {
			return c.errorf("SMS.PLUGIN_ALLOWED_HOSTS."+k, "SMS.PLUGIN_ALLOWED_HOSTS: %s is not a service name (A-Z, 0-9 and _)", q(k))
		}
		for i, h := range s.PluginAllowedHosts[k] {
			key := fmt.Sprintf("SMS.PLUGIN_ALLOWED_HOSTS.%s[%d]", k, i)
			if !allowedHost(h) {
				return c.errorf(key, "%s must be a host name or address, optionally with :port (e.g. api.example.com or 10.0.0.5:8080), got %s", key, q(h))
			}
		}
	}
	for i, k := range s.PluginOverrides {
		if !serviceName(k) {
			key := fmt.Sprintf("SMS.PLUGIN_OVERRIDES[%d]", i)
			return c.errorf(key, "%s must be a service name such as KAVENEGAR_COM, got %s", key, q(k))
		}
	}
	if err := c.durationBetween("SMS.PLUGIN_IDLE_TIMEOUT", s.PluginIdleTimeout, 0, 24*time.Hour); err != nil {
		return err
	}
	return c.durationBetween("SMS.PROVIDER_IDLE_TIMEOUT", s.ProviderIdleTimeout, 100*time.Millisecond, 10*time.Minute)
}

// serviceName reports whether s is a plugin's service name.
func serviceName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') }) < 0
}

// allowedHost reports whether h is a host or host:port (as a plugin
// manifest lists hosts).
func allowedHost(h string) bool {
	if h == "" || len(h) > 255 || strings.ContainsAny(h, "/@?#% \t") {
		return false
	}
	u, err := url.Parse("http://" + h)
	return err == nil && u.Host == h && u.Hostname() != ""
}
