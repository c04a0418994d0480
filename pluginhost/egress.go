package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/chelseru/chelseru/sdk/abi"
)

// The operator owns egress (docs/plugin-abi.md § 6, docs/RATIONALE.md):
//
//   - A plugin from PluginsDir may call only the hosts the operator's config
//     names for its service: the host of SMS.SETTINGS.<SERVICE>_BASE_URL
//     when the operator set it, and the entries of
//     SMS.PLUGIN_ALLOWED_HOSTS.<SERVICE>. Its manifest's hosts and its
//     manifest's default BASE_URL are shown (plugin check, the load log
//     line) and grant nothing.
//   - A built-in plugin, which ships in the binary, may call its manifest's
//     hosts and its BASE_URL (the operator's or its default) as before.
//   - Whatever the allowlist says, the host never connects to a loopback,
//     link-local (169.254.169.254, the cloud metadata address), private
//     (10/8, 172.16/12, 192.168/16, fc00::/7), unspecified or multicast
//     address, whether the URL holds it literally or a DNS name resolves to
//     it at dial time, unless the operator's own config names that very
//     host and port (a BASE_URL of http://127.0.0.1:8080 works).
//   - The host follows no redirect: a 3xx goes back to the plugin, and a
//     request to its Location passes the same checks as any other.

// operatorEgress is what the operator's config says about where the
// service's plugin may connect.
type operatorEgress struct {
	baseURL string          // host:port of SMS.SETTINGS.<SERVICE>_BASE_URL, when set by the operator
	allowed map[string]bool // host:port entries of SMS.PLUGIN_ALLOWED_HOSTS.<SERVICE>
	proxies map[string]bool // host:port of the proxies in the environment (dialled, never checked)
}

// operatorEgressOf reads cfg (already withDefaults) for its service.
func operatorEgressOf(cfg *Config) *operatorEgress {
	o := &operatorEgress{allowed: map[string]bool{}, proxies: map[string]bool{}}
	if v := cfg.Settings[cfg.Service+"_BASE_URL"]; v != "" {
		if hp, err := baseURLHost(v); err == nil {
			o.baseURL = hp
		}
	}
	for _, h := range cfg.AllowedHosts[cfg.Service] {
		for _, hp := range hostPorts(h) {
			o.allowed[hp] = true
		}
	}
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		v := os.Getenv(k)
		if v == "" {
			continue
		}
		if !strings.Contains(v, "://") {
			v = "http://" + v
		}
		if u, err := url.Parse(v); err == nil && u.Hostname() != "" {
			o.proxies[hostPort(u)] = true
		}
	}
	return o
}

// names reports whether the operator's config names host:port hp.
func (o *operatorEgress) names(hp string) bool {
	return o != nil && (hp == o.baseURL || o.allowed[hp])
}

// hostPorts turns an allowlist entry (host or host:port, as a manifest
// lists it) into host:port entries: a host alone means ports 80 and 443.
// An entry that is not a host gives none.
func hostPorts(h string) []string {
	if !validHost(h) {
		return nil
	}
	u, err := url.Parse("http://" + h)
	if err != nil {
		return nil
	}
	name := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" {
		return []string{net.JoinHostPort(name, p)}
	}
	return []string{net.JoinHostPort(name, "80"), net.JoinHostPort(name, "443")}
}

// ValidAllowedHost reports whether h is a valid SMS.PLUGIN_ALLOWED_HOSTS
// entry: a host name or IP address, optionally with :port (IPv6 in brackets).
func ValidAllowedHost(h string) bool { return len(hostPorts(h)) > 0 }

// addrClass names why the host refuses to connect to a, or "" when it may.
func addrClass(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "an invalid address"
	case a.IsUnspecified() || (a.Is4() && a.As4()[0] == 0):
		return "an unspecified address"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return "a link-local address"
	case a.IsPrivate():
		return "a private address"
	case a.IsMulticast():
		return "a multicast address"
	case a.Is4() && a.As4()[0] == 100 && a.As4()[1]&0xc0 == 64:
		return "a shared (carrier-grade NAT) address"
	}
	return ""
}

// hostClass classifies a host name or literal without resolving it:
// localhost and its subdomains count as loopback.
func hostClass(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return addrClass(a)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return "a loopback address"
	}
	return ""
}

// egressError is a connection the host refused to make. It is the plugin's
// doing (it asked for the host), so a send that meets one fails with class
// SMSPlugin, and nothing of the request was sent.
type egressError struct {
	hostPort string
	class    string
	resolved bool // the class is that of an address the name resolved to
}

func (e *egressError) Error() string {
	if e.resolved {
		return fmt.Sprintf("connection to %s refused: it resolves only to %s, which the operator's config does not name", truncate(e.hostPort, 100), e.class)
	}
	return fmt.Sprintf("connection to %s refused: %s, which the operator's config does not name", truncate(e.hostPort, 100), e.class)
}

// lookupFunc resolves a host name (tests replace it).
type lookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

func defaultLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// guard makes the host's provider connections: it refuses the addresses
// above unless the operator named the host.
type guard struct {
	op     *operatorEgress
	lookup lookupFunc
	dialer net.Dialer
}

func newGuard(op *operatorEgress, lookup lookupFunc) *guard {
	if lookup == nil {
		lookup = defaultLookup
	}
	return &guard{op: op, lookup: lookup, dialer: net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}}
}

// addrs returns the addresses the host may connect to for host:port hp:
// the name's own when the operator named it, else the name's without the
// refused ones (an error when none is left).
func (g *guard) addrs(ctx context.Context, hp string) ([]string, error) {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return nil, err
	}
	key := net.JoinHostPort(strings.ToLower(host), port)
	named := g.op.names(key) || g.op.proxies[key]
	if a, err := netip.ParseAddr(host); err == nil {
		if c := addrClass(a); c != "" && !named {
			return nil, &egressError{hostPort: key, class: c}
		}
		return []string{hp}, nil
	}
	if c := hostClass(host); c != "" && !named {
		return nil, &egressError{hostPort: key, class: c}
	}
	ips, err := g.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	var out []string
	class := ""
	for _, a := range ips {
		if c := addrClass(a); c != "" && !named {
			class = c
			continue
		}
		out = append(out, net.JoinHostPort(a.Unmap().String(), port))
	}
	if len(out) == 0 {
		if class == "" {
			return nil, fmt.Errorf("%s has no address", truncate(host, 100))
		}
		return nil, &egressError{hostPort: key, class: class, resolved: true}
	}
	return out, nil
}

// dial connects to host:port hp through the checks, trying each allowed
// address in turn. Its errors are *dialError: nothing was sent.
func (g *guard) dial(ctx context.Context, network, hp string) (net.Conn, error) {
	addrs, err := g.addrs(ctx, hp)
	if err != nil {
		return nil, &dialError{err: err}
	}
	var errs []error
	for _, a := range addrs {
		c, err := g.dialer.DialContext(ctx, network, a)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, &dialError{err: errors.Join(errs...)}
}

// dialError is a failure to connect: no byte of the request was sent.
type dialError struct{ err error }

func (e *dialError) Error() string { return "dial: " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// buildAllowlist returns the host:port entries the module may have the
// host call, by where it came from: a built-in's manifest hosts and BASE_URL
// (set or default), or, for a module from PluginsDir, only what the
// operator's config names. The operator's SMS.PLUGIN_ALLOWED_HOSTS entries
// are added for both. A module from PluginsDir that asks for hosts
// (manifest hosts or a default BASE_URL) while the operator named none is
// warned about, with what to configure.
func (m *module) buildAllowlist(settings, all map[string]string) (allowlist, error) {
	a := allowlist{}
	builtIn := m.origin == originBuiltin
	base := m.manifest.Name + "_BASE_URL"
	if builtIn {
		for _, h := range m.manifest.Hosts {
			for _, hp := range hostPorts(h) {
				a[hp] = struct{}{}
			}
		}
		if v := settings[base]; v != "" {
			hp, err := baseURLHost(v)
			if err != nil {
				return nil, fmt.Errorf("SMS.SETTINGS.%s: %w", base, err)
			}
			a[hp] = struct{}{}
		}
	} else if v := all[base]; v != "" {
		hp, err := baseURLHost(v)
		if err != nil {
			return nil, fmt.Errorf("SMS.SETTINGS.%s: %w", base, err)
		}
		a[hp] = struct{}{}
	}
	if m.operator != nil {
		for hp := range m.operator.allowed {
			a[hp] = struct{}{}
		}
	}
	if !builtIn && len(a) == 0 {
		if asked := askedHosts(&m.manifest); len(asked) > 0 {
			m.logger.Warn("sms plugin from PLUGINS_DIR may call no host: every request it makes is refused",
				slog.String("plugin", m.name), slog.String("manifest_hosts", truncate(strings.Join(asked, ", "), 300)),
				slog.String("to_allow", fmt.Sprintf("SMS.PLUGIN_ALLOWED_HOSTS.%s or SMS.SETTINGS.%s", m.name, base)))
		}
	}
	return a, nil
}

// askedHosts lists the hosts a manifest asks for: its hosts and the host
// of its BASE_URL default, each with a note when it is an address the host
// refuses unless the operator names it.
func askedHosts(man *abi.Manifest) []string {
	var out []string
	add := func(h string) {
		if c := hostClass(hostOnly(h)); c != "" {
			h += " (" + c + ")"
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	for _, h := range man.Hosts {
		add(h)
	}
	for _, s := range man.Settings {
		if s.Key == man.Name+"_BASE_URL" && s.Default != "" {
			if u, err := url.Parse(s.Default); err == nil && u.Host != "" {
				add(u.Host)
			}
		}
	}
	return out
}

// hostOnly is the host of a host or host:port entry.
func hostOnly(h string) string {
	if u, err := url.Parse("http://" + h); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return h
}

// logEgress writes the load line that shows where the plugin may connect.
func (m *module) logEgress() {
	allowed := make([]string, 0, len(m.hosts))
	for hp := range m.hosts {
		allowed = append(allowed, hp)
	}
	slices.Sort(allowed)
	attrs := []any{slog.String("plugin", m.name), slog.String("origin", m.origin),
		slog.String("allowed", strings.Join(allowed, " "))}
	if m.origin != originBuiltin {
		var refused []string
		for _, h := range askedHosts(&m.manifest) {
			hp := hostPorts(strings.SplitN(h, " (", 2)[0])
			if len(hp) == 0 || !m.allows(hp) {
				refused = append(refused, h)
			}
		}
		attrs = append(attrs, slog.String("manifest_hosts_not_allowed", strings.Join(refused, ", ")))
	}
	m.logger.Info("sms plugin egress", attrs...)
}

// allows reports whether every one of hps is in the allowlist.
func (m *module) allows(hps []string) bool {
	for _, hp := range hps {
		if _, ok := m.hosts[hp]; !ok {
			return false
		}
	}
	return true
}

// checkLiteral refuses a URL whose host is itself a refused address (or
// localhost) that the operator's config does not name; a name that only
// resolves to one is refused when the host dials it.
func (m *module) checkLiteral(u *url.URL) error {
	hp := hostPort(u)
	if m.operator.names(hp) {
		return nil
	}
	if c := hostClass(u.Hostname()); c != "" {
		return &pluginError{msg: fmt.Sprintf("request to %s refused: %s, which the operator's config does not name", truncate(hp, 100), c)}
	}
	return nil
}

// CheckNotes returns what `plugin check` shows beside a valid module's
// manifest: the hosts it asks to call (none of which a module from
// PLUGINS_DIR may call unless the operator's config names it) and whether
// it would override a built-in plugin (which needs an opt-in). One line each.
func CheckNotes(man abi.Manifest) []string {
	var out []string
	asked := askedHosts(&man)
	if len(asked) == 0 {
		out = append(out, "egress: the manifest asks for no host")
	} else {
		out = append(out, fmt.Sprintf("egress: the manifest asks for %s; from PLUGINS_DIR it may call only what the operator names in SMS.SETTINGS.%s_BASE_URL or SMS.PLUGIN_ALLOWED_HOSTS.%s (loopback, link-local, private and unspecified addresses only then)",
			strings.Join(asked, ", "), man.Name, man.Name))
	}
	var secret []string
	for _, s := range man.Settings {
		if s.Secret {
			secret = append(secret, s.Key)
		}
	}
	keys := make([]string, 0, len(man.Settings))
	for _, s := range man.Settings {
		keys = append(keys, s.Key)
	}
	out = append(out, fmt.Sprintf("settings: receives exactly %s (secret, scrubbed from its log lines: %s)",
		orNone(keys), orNone(secret)))
	if isBuiltinName(man.Name) {
		out = append(out, fmt.Sprintf("override: %s is a built-in plugin; a module from PLUGINS_DIR replaces it only with SMS.PLUGIN_OVERRIDES: [%s] or its sha256 in SMS.PLUGIN_SHA256.%s",
			man.Name, man.Name, man.Name))
	}
	if len(man.TemplateParams) > 0 {
		out = append(out, templateParamsNote(&man))
	}
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
