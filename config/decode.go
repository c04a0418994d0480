package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Bounds on the size of lists and maps in a file.
const (
	maxListItems   = 1000
	maxMapEntries  = 1000
	maxValueBytes  = 64 << 10
	maxMapKeyBytes = 256
)

// The file is decoded by walking yaml.v3's node tree against the schema
// below, rather than with Decoder.KnownFields: that way every message names
// the key path as the user wrote it (KnownFields names Go struct types), and
// duplicates, bare-number durations and null values get messages of their
// own.

// field is one key of a mapping: its name and what to do with its value.
type field struct {
	name string
	set  func(n *yaml.Node, key string) error
}

func decode(r io.Reader, c *Config) error {
	dec := yaml.NewDecoder(r)
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file: all defaults
		}
		return yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return &Error{Line: extra.Line, Msg: "config file holds more than one YAML document"}
	} else if !errors.Is(err, io.EOF) {
		return yamlError(err)
	}
	d := &decoder{c: c}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil
		}
		root = root.Content[0]
	}
	return d.mapping(root, "", d.rootFields())
}

// yamlError turns a yaml.v3 syntax error into one line without the "yaml:"
// prefix.
func yamlError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.Join(strings.Fields(msg), " ")
	return &Error{Msg: "config file is not valid YAML: " + msg}
}

type decoder struct{ c *Config }

func (d *decoder) rootFields() []field {
	c := d.c
	return []field{
		{"SERVER", d.section(append([]field{
			{"LISTEN", d.str(&c.Server.Listen)},
			{"DATA_DIR", d.str(&c.Server.DataDir)},
			{"PLUGINS_DIR", d.str(&c.Server.PluginsDir)},
			{"TRUSTED_PROXIES", d.prefixes(&c.Server.TrustedProxies)},
			{"MAX_BODY_BYTES", d.int(&c.Server.MaxBodyBytes)},
			{"READ_TIMEOUT", d.duration(&c.Server.ReadTimeout)},
			{"WRITE_TIMEOUT", d.duration(&c.Server.WriteTimeout)},
			{"IDLE_TIMEOUT", d.duration(&c.Server.IdleTimeout)},
			{"MAX_CONNS", d.int(&c.Server.MaxConns)},
			{"MAX_CONNS_PER_IP", d.int(&c.Server.MaxConnsPerIP)},
			{"ALLOWED_ORIGINS", d.strList(&c.Server.AllowedOrigins, maxListItems, "origins (e.g. https://chat.example.com)")},
			{"ADMIN_LISTEN", d.str(&c.Server.AdminListen)},
			{"ADMIN_TOKEN", d.str((*string)(&c.Server.AdminToken))},
			{"ADMIN_TOKEN_FILE", d.str(&c.Server.AdminTokenFile)},
			{"METRICS_LISTEN", d.str(&c.Server.MetricsListen)},
			{"METRICS_ON_ADMIN", d.boolean(&c.Server.MetricsOnAdmin)},
		}, d.corsFields()...))},
		{"JWT", d.section([]field{
			{"SIGNING_KEY", d.str(&c.JWT.SigningKey)},
			{"ALGORITHM", d.str(&c.JWT.Algorithm)},
			{"ACCESS_TOKEN_LIFETIME", d.duration(&c.JWT.AccessTokenLifetime)},
			{"REFRESH_TOKEN_LIFETIME", d.duration(&c.JWT.RefreshTokenLifetime)},
			{"ROTATE_REFRESH_TOKENS", d.boolean(&c.JWT.RotateRefreshTokens)},
			{"PREVIOUS_SIGNING_KEYS", d.secretList(&c.JWT.PreviousSigningKeys, maxPreviousKeys)},
			{"IMPORTED_TOKENS_UNTIL", d.str(&c.JWT.ImportedTokensUntil)},
		})},
		{"AUTH", d.section([]field{
			{"AUTH_METHOD", d.str(&c.Auth.AuthMethod)},
			{"OPTIONS", d.section([]field{
				{"OTP_LENGTH", d.int(&c.Auth.Options.OTPLength)},
				{"OTP_EXPIRE_PER_MINUTES", d.int(&c.Auth.Options.OTPExpirePerMinutes)},
				{"OTP_SMS_TEMPLATE_ID", d.int64(&c.Auth.Options.OTPSMSTemplateID)},
				{"OTP_MAX_ATTEMPTS", d.int(&c.Auth.Options.OTPMaxAttempts)},
				{"OTP_SENDS_PER_NUMBER_PER_HOUR", d.int(&c.Auth.Options.OTPSendsPerNumberPerHour)},
				{"OTP_SENDS_PER_IP_PER_HOUR", d.int(&c.Auth.Options.OTPSendsPerIPPerHour)},
				{"OTP_SENDS_PER_NUMBER_PER_IP_PER_HOUR", d.int(&c.Auth.Options.OTPSendsPerNumberPerIPPerHour)},
				{"AUTHENTICATE_PER_IP_PER_HOUR", d.int(&c.Auth.Options.AuthenticatePerIPPerHour)},
				{"REFRESH_PER_IP_PER_HOUR", d.int(&c.Auth.Options.RefreshPerIPPerHour)},
			})},
			{"SERVICE_API_KEYS", d.secretList(&c.Auth.ServiceAPIKeys, maxServiceAPIKeys)},
			{"CAPTCHA", d.section([]field{
				{"SITEVERIFY_URL", d.str(&c.Auth.Captcha.SiteverifyURL)},
				{"SECRET", d.str((*string)(&c.Auth.Captcha.Secret))},
				{"SECRET_FILE", d.str(&c.Auth.Captcha.SecretFile)},
				{"TIMEOUT", d.duration(&c.Auth.Captcha.Timeout)},
			})},
		})},
		{"SMS", d.section([]field{
			{"TIMEOUT", d.duration(&c.SMS.Timeout)},
			{"USER_MESSAGES", d.boolean(&c.SMS.UserMessages)},
			{"USER_MESSAGES_PER_HOUR", d.int(&c.SMS.UserMessagesPerHour)},
			{"SMS_SERVICE", d.str(&c.SMS.SMSService)},
			{"SETTINGS", d.stringMap(&c.SMS.Settings)},
			{"TEMPLATES", d.intMap(&c.SMS.Templates)},
			{"PLUGIN_SHA256", d.stringMap(&c.SMS.PluginSHA256)},
			{"PLUGIN_MEMORY_LIMIT_MB", d.int(&c.SMS.PluginMemoryLimitMB)},
			{"PLUGIN_CALL_TIMEOUT", d.duration(&c.SMS.PluginCallTimeout)},
			{"PLUGIN_POOL_SIZE", d.int(&c.SMS.PluginPoolSize)},
			{"PLUGIN_IDLE_TIMEOUT", d.duration(&c.SMS.PluginIdleTimeout)},
			{"PLUGIN_MAX_RESPONSE_BYTES", d.int64(&c.SMS.PluginMaxResponseBytes)},
			{"TEMPLATE_PARAMS", d.stringMap(&c.SMS.TemplateParams)},
			{"PLUGIN_MAX_MODULE_BYTES", d.int(&c.SMS.PluginMaxModuleBytes)},
			{"PLUGIN_INTERRUPT", d.str(&c.SMS.PluginInterrupt)},
			{"PLUGIN_ALLOWED_HOSTS", d.stringListMap(&c.SMS.PluginAllowedHosts)},
			{"PLUGIN_OVERRIDES", d.stringList(&c.SMS.PluginOverrides)},
			{"PROVIDER_IDLE_TIMEOUT", d.duration(&c.SMS.ProviderIdleTimeout)},
			{"MAX_PER_HOUR", d.int(&c.SMS.MaxPerHour)},
			{"MAX_PER_DAY", d.int(&c.SMS.MaxPerDay)},
		})},
		{"LOG", d.section([]field{
			{"LEVEL", d.level(&c.Log.Level)},
			{"FORMAT", d.str(&c.Log.Format)},
		})},
		{"STORAGE", d.section(d.storageFields())},
		{"CHAT", d.section(d.chatFields())},
	}
}

// join makes a key path.
func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// resolve follows aliases (bounded: an alias never points at an alias in a
// tree yaml.v3 accepts, but a bound costs nothing).
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; i < 8 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// kind names a node's kind for messages.
func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return q(n.Value)
	}
	return "something else"
}

// section returns the setter of a nested mapping; null leaves defaults.
func (d *decoder) section(fields []field) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		if isNull(n) {
			return nil
		}
		return d.mapping(n, key, fields)
	}
}

// mapping walks a mapping node against fields.
func (d *decoder) mapping(n *yaml.Node, key string, fields []field) error {
	n = resolve(n)
	if isProbe(n) {
		d.probeFields(n, key, fields)
		return nil
	}
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		what := "the config file"
		if key != "" {
			what = key
		}
		names := make([]string, len(fields))
		for i, f := range fields {
			names[i] = f.name
		}
		return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s must be a mapping of keys (%s), got %s", what, strings.Join(names, ", "), kind(n))}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], resolve(n.Content[i+1])
		if kn.Kind != yaml.ScalarNode {
			return &Error{Key: key, Line: kn.Line, Msg: fmt.Sprintf("%s: keys must be plain names, got %s", orFile(key), kind(kn))}
		}
		path := join(key, kn.Value)
		var f *field
		for j := range fields {
			if fields[j].name == kn.Value {
				f = &fields[j]
				break
			}
		}
		if f == nil {
			return &Error{Key: path, Line: kn.Line, Msg: "unknown key " + path, Hint: suggest(key, kn.Value, fields)}
		}
		if first, dup := seen[kn.Value]; dup {
			return &Error{Key: path, Msg: fmt.Sprintf("%s is set twice (lines %d and %d)", path, first, kn.Line)}
		}
		seen[kn.Value] = kn.Line
		d.c.lines[path] = kn.Line
		if err := f.set(vn, path); err != nil {
			return err
		}
	}
	return nil
}

func orFile(key string) string {
	if key == "" {
		return "config file"
	}
	return key
}

// suggest proposes the known key closest to an unknown one.
func suggest(parent, name string, fields []field) string {
	best, bestDist := "", 3
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			return fmt.Sprintf("did you mean %s? (keys are upper case)", join(parent, f.name))
		}
		if dist := editDistance(strings.ToUpper(name), f.name); dist < bestDist {
			best, bestDist = f.name, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("did you mean %s?", join(parent, best))
}

// editDistance is the Levenshtein distance of a and b (bytes; keys are ASCII).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// scalar returns a scalar's text, or an error naming key when n is a list or
// a mapping. null reports ok=false.
func scalar(n *yaml.Node, key, want string) (s string, ok bool, err error) {
	if isProbe(n) {
		n.LineComment, n.FootComment = KindScalar, want
		return "", false, nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", false, &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s must be %s, got %s", key, want, kind(n))}
	}
	if isNull(n) {
		return "", false, nil
	}
	if len(n.Value) > maxValueBytes {
		return "", false, &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s is longer than %d bytes", key, maxValueBytes)}
	}
	return n.Value, true, nil
}

func (d *decoder) str(dst *string) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		s, ok, err := scalar(n, key, "a string")
		if ok {
			*dst = s
		}
		return err
	}
}

// parseInt reads a whole number written plain (any YAML 1.2 integer form) or
// quoted (decimal).
func parseInt(n *yaml.Node, key string) (int64, bool, error) {
	s, ok, err := scalar(n, key, "a whole number")
	if !ok || err != nil {
		return 0, ok, err
	}
	bad := &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s must be a whole number, got %s", key, q(s))}
	if n.ShortTag() == "!!int" {
		var v int64
		if err := n.Decode(&v); err != nil {
			bad.Msg = fmt.Sprintf("%s is out of range, got %s", key, short(s))
			return 0, false, bad
		}
		return v, true, nil
	}
	if tag := n.ShortTag(); tag != "!!str" && tag != "!!float" {
		return 0, false, bad
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		bad.Msg = fmt.Sprintf("%s is out of range, got %s", key, short(s))
		return 0, false, bad
	case err != nil:
		return 0, false, bad
	}
	return v, true, nil
}

func (d *decoder) int(dst *int) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		v, ok, err := parseInt(n, key)
		if err != nil || !ok {
			return err
		}
		if v < -1<<31 || v > 1<<31-1 {
			return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s is out of range, got %d", key, v)}
		}
		*dst = int(v)
		return nil
	}
}

func (d *decoder) int64(dst *int64) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		v, ok, err := parseInt(n, key)
		if ok {
			*dst = v
		}
		return err
	}
}

func (d *decoder) duration(dst *time.Duration) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		s, ok, err := scalar(n, key, "a duration (e.g. 10s)")
		if err != nil || !ok {
			return err
		}
		v, err := parseDuration(s)
		if err != nil {
			return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s: %s", key, err)}
		}
		*dst = v
		return nil
	}
}

// parseDuration parses a Go duration and explains the usual mistakes.
func parseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if _, err := strconv.ParseFloat(t, 64); err == nil {
		return 0, fmt.Errorf("%s is a bare number; a duration needs a unit, e.g. %ss", short(t), short(t))
	}
	if days, ok := strings.CutSuffix(t, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 && n < 100000 {
			return 0, fmt.Errorf("%s is not a duration: Go durations have no days, write %dh", q(s), 24*n)
		}
	}
	v, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%s is not a duration (e.g. 10s)", q(s))
	}
	return v, nil
}

func (d *decoder) boolean(dst *bool) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		s, ok, err := scalar(n, key, "true or false")
		if err != nil || !ok {
			return err
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "yes", "on":
			*dst = true
		case "false", "no", "off":
			*dst = false
		default:
			return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s must be true or false, got %s", key, q(s))}
		}
		return nil
	}
}

func (d *decoder) level(dst *slog.Level) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		s, ok, err := scalar(n, key, "a log level")
		if err != nil || !ok {
			return err
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "debug":
			*dst = slog.LevelDebug
		case "info":
			*dst = slog.LevelInfo
		case "warn", "warning":
			*dst = slog.LevelWarn
		case "error":
			*dst = slog.LevelError
		default:
			return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s must be debug, info, warn or error, got %s", key, q(s))}
		}
		return nil
	}
}

// prefixes reads a list of IP addresses and CIDRs.
func (d *decoder) prefixes(dst *[]netip.Prefix) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		if probeList(n) {
			return nil
		}
		n = envList(n)
		if isNull(n) {
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s must be a list of IP addresses or CIDRs (e.g. [127.0.0.1, 10.0.0.0/8]), got %s", key, kind(n))}
		}
		if len(n.Content) > maxListItems {
			return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s has more than %d entries", key, maxListItems)}
		}
		out := make([]netip.Prefix, 0, len(n.Content))
		for i, item := range n.Content {
			item = resolve(item)
			ikey := fmt.Sprintf("%s[%d]", key, i)
			s, ok, err := scalar(item, ikey, "an IP address or CIDR")
			if err != nil {
				return err
			}
			p, perr := parsePrefix(s)
			if !ok || perr != nil {
				return &Error{Key: ikey, Line: item.Line, Msg: fmt.Sprintf("%s: %s is not an IP address or CIDR (e.g. 10.0.0.0/8)", ikey, q(s))}
			}
			out = append(out, p)
		}
		*dst = out
		return nil
	}
}

// parsePrefix parses an address (a one-address prefix) or a CIDR, with host
// bits masked off and IPv4-mapped IPv6 addresses unmapped.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		a := p.Addr()
		bits := p.Bits()
		if a.Is4In6() {
			if bits < 96 {
				return netip.Prefix{}, fmt.Errorf("IPv4-mapped prefix shorter than /96")
			}
			a, bits = a.Unmap(), bits-96
		}
		return netip.PrefixFrom(a.WithZone(""), bits).Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// mapEntries checks a mapping node used as a map and calls each for every
// entry, in file order.
func mapEntries(n *yaml.Node, key, what string, each func(k string, v *yaml.Node, path string) error) error {
	if isProbe(n) {
		n.LineComment, n.FootComment = KindMap, what
		return nil
	}
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s must be a mapping of %s, got %s", key, what, kind(n))}
	}
	if len(n.Content)/2 > maxMapEntries {
		return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s has more than %d entries", key, maxMapEntries)}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := resolve(n.Content[i]), resolve(n.Content[i+1])
		if kn.Kind != yaml.ScalarNode || isNull(kn) || kn.Value == "" {
			return &Error{Key: key, Line: kn.Line, Msg: fmt.Sprintf("%s: keys must be non-empty names, got %s", key, kind(kn))}
		}
		if len(kn.Value) > maxMapKeyBytes {
			return &Error{Key: key, Line: kn.Line, Msg: fmt.Sprintf("%s: a key is longer than %d bytes", key, maxMapKeyBytes)}
		}
		path := key + "." + kn.Value
		if first, dup := seen[kn.Value]; dup {
			return &Error{Key: path, Msg: fmt.Sprintf("%s is set twice (lines %d and %d)", path, first, kn.Line)}
		}
		seen[kn.Value] = kn.Line
		if err := each(kn.Value, vn, path); err != nil {
			return err
		}
	}
	return nil
}

// stringMap reads a mapping of names to strings; a number or boolean is
// taken as written, null as "".
func (d *decoder) stringMap(dst *map[string]string) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		out := map[string]string{}
		err := mapEntries(n, key, "names to values", func(k string, v *yaml.Node, path string) error {
			d.c.lines[path] = v.Line
			s, _, err := scalar(v, path, "a string or a number")
			out[k] = s
			return err
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

// intMap reads a mapping of names to whole numbers.
func (d *decoder) intMap(dst *map[string]int64) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		out := map[string]int64{}
		err := mapEntries(n, key, "names to whole numbers", func(k string, v *yaml.Node, path string) error {
			d.c.lines[path] = v.Line
			x, ok, err := parseInt(v, path)
			if err == nil && !ok {
				err = &Error{Key: path, Line: v.Line, Msg: path + " must be a whole number, got nothing"}
			}
			out[k] = x
			return err
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

// sortedKeys returns m's keys in order, for deterministic messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// maxShown bounds how much of a value a message repeats.
const maxShown = 60

// short returns s cut to maxShown runes.
func short(s string) string {
	if len(s) <= maxShown {
		return s
	}
	r := []rune(s)
	if len(r) <= maxShown {
		return s
	}
	return string(r[:maxShown]) + "..."
}

// q quotes a value for a message, cut to maxShown runes.
func q(s string) string { return strconv.Quote(short(s)) }
