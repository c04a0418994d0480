package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The environment and the command line are applied by building a YAML node
// tree from them and merging it over the file's tree before the one decoder
// walks it (see LoadSources). Every key of the decoder's table therefore has
// an environment variable without a second list of names, and values from
// the environment are checked, and named in messages, exactly as values
// from the file are. Nodes that came from the environment or a flag carry a
// negative Line: -(index into Config.sources + 1).

// EnvPrefix begins the environment variable of every key: EnvPrefix + the
// key's path with "__" between levels (CHELSERU_SERVER__LISTEN,
// CHELSERU_SMS__SETTINGS__KAVENEGAR_COM_API_KEY). A name that ends in
// EnvFileSuffix reads the value from the file it names.
const EnvPrefix = "CHELSERU_"

// EnvFileSuffix ends the name of a variable that holds the path of a file
// with the value (a secret mounted by a container), rather than the value.
const EnvFileSuffix = "_FILE"

// nonKeyEnv are CHELSERU_ variables that are not configuration keys and are
// therefore not refused as unknown: the old name of the signing key (an
// alias of CHELSERU_JWT__SIGNING_KEY) and the tools' own switches.
var nonKeyEnv = map[string]bool{
	EnvSigningKey:          true,
	"CHELSERU_CPU_PROFILE": true, // serve: write a CPU profile (benchmarks)
	"CHELSERU_BIN":         true, // chelseru-bench's tests: the binary to run
}

// nonKeyEnvPrefixes are prefixes of test switches (go test only).
var nonKeyEnvPrefixes = []string{"CHELSERU_SLOWBODY_", "CHELSERU_TEST_"}

// IsKeyEnv reports whether an environment variable name is read as a
// configuration key (it begins with EnvPrefix and is not one of the few
// switches that are not keys).
func IsKeyEnv(name string) bool {
	if !strings.HasPrefix(name, EnvPrefix) || nonKeyEnv[name] {
		return false
	}
	for _, p := range nonKeyEnvPrefixes {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return true
}

// EnvName is the environment variable of a key path: EnvName("SERVER.LISTEN")
// is "CHELSERU_SERVER__LISTEN".
func EnvName(path string) string {
	return EnvPrefix + strings.ReplaceAll(path, ".", "__")
}

// Flag is a key set on the command line, e.g. {"--listen", "SERVER.LISTEN",
// "0.0.0.0:8000"}.
type Flag struct {
	Name  string // the flag as written in messages, e.g. "--listen"
	Key   string // the key path it sets
	Value string
}

// Sources are what LoadSources reads, in rising precedence: defaults, then
// File, then Environ, then Flags.
type Sources struct {
	// File is the config file; "" for none.
	File string
	// Environ is the environment as os.Environ returns it; nil for none.
	Environ []string
	// Flags are keys set on the command line.
	Flags []Flag
}

// Load reads the file at path (none when path is ""), applies the process
// environment over it and validates the result: LoadSources with
// os.Environ and no flags.
func Load(path string) (*Config, error) {
	return LoadSources(Sources{File: path, Environ: os.Environ()})
}

// LoadSources builds a configuration from defaults, a file, the environment
// and command-line flags (each over the one before) and validates it. Every
// error is one line naming the key and where it was set: the file's line,
// the environment variable or the flag. A CHELSERU_ variable that names no
// key is an error, as an unknown key in the file is.
func LoadSources(src Sources) (*Config, error) {
	c := Default()
	var root *yaml.Node
	if src.File != "" {
		data, err := readFile(src.File)
		if err != nil {
			return nil, err
		}
		if root, err = parseTree(data); err != nil {
			return nil, err
		}
	}
	env, err := c.envTree(src.Environ)
	if err != nil {
		return nil, err
	}
	flags, err := c.flagTree(src.Flags)
	if err != nil {
		return nil, err
	}
	merged := mergeNodes(mergeNodes(root, env), flags)
	if merged != nil {
		c.lines = map[string]int{}
		d := &decoder{c: c}
		if err := d.mapping(merged, "", d.rootFields()); err != nil {
			return nil, c.attribute(err)
		}
	}
	if l := c.lines["JWT.SIGNING_KEY"]; l < 0 && strings.HasPrefix(c.sourceAt(l), "env ") && c.JWT.SigningKey != "" {
		c.JWT.SigningKeyFromEnv = true
	}
	if err := c.Validate(); err != nil {
		return nil, c.attribute(err)
	}
	return c, nil
}

// parseTree parses a config file into its root node (nil for an empty file),
// refusing more than one document, as decode does.
func parseTree(data []byte) (*yaml.Node, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("config file is larger than %d bytes", MaxFileBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{Line: extra.Line, Msg: "config file holds more than one YAML document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(err)
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return doc.Content[0], nil
	}
	return &doc, nil
}

// addSource records where values came from and returns the Line their nodes
// carry.
func (c *Config) addSource(name string) int {
	c.sources = append(c.sources, name)
	return -len(c.sources)
}

// sourceAt names the source of a negative Line.
func (c *Config) sourceAt(line int) string {
	if i := -line - 1; i >= 0 && i < len(c.sources) {
		return c.sources[i]
	}
	return ""
}

// Source names where key got its value: "default", "file:LINE", "env NAME"
// or "flag --NAME".
func (c *Config) Source(key string) string {
	l, ok := c.lines[key]
	switch {
	case !ok || l == 0:
		return "default"
	case l > 0:
		return fmt.Sprintf("file:%d", l)
	default:
		return c.sourceAt(l)
	}
}

// attribute names the environment variable or flag in an *Error whose value
// came from one, in place of a line number.
func (c *Config) attribute(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Line < 0 {
		src := c.sourceAt(e.Line)
		e.Line = 0
		// A message that names the variable already (signingKeyName) is
		// left as it is.
		if _, name, _ := strings.Cut(src, " "); !strings.Contains(e.Msg, name) {
			e.Source = src
		}
	}
	return err
}

// maxEnvFileBytes bounds a _FILE variable's file (a secret is short).
const maxEnvFileBytes = maxValueBytes

// envTree builds the tree of the CHELSERU_ variables in environ, sorted by
// name so that messages do not depend on the environment's order.
func (c *Config) envTree(environ []string) (*yaml.Node, error) {
	vars := map[string]string{}
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(name, EnvPrefix) {
			vars[name] = val // the last of duplicates wins, as getenv does
		}
	}
	names := sortedKeys(vars)
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	owner := map[string]string{} // path -> the variable that set it
	for _, name := range names {
		if !IsKeyEnv(name) {
			continue
		}
		rest, val := name[len(EnvPrefix):], vars[name]
		if base, ok := strings.CutSuffix(rest, EnvFileSuffix); ok && base != "" {
			b, err := readEnvFile(name, val)
			if err != nil {
				return nil, err
			}
			rest, val = base, b
		}
		segs := strings.Split(rest, "__")
		for _, s := range segs {
			if s == "" {
				return nil, &Error{Msg: fmt.Sprintf("%s: not a key: levels are separated by exactly two underscores (e.g. CHELSERU_SERVER__LISTEN)", name)}
			}
		}
		path := strings.Join(segs, ".")
		if other, dup := owner[path]; dup {
			return nil, &Error{Key: path, Msg: fmt.Sprintf("%s is set by both %s and %s; set one", path, other, name)}
		}
		owner[path] = name
		if err := insertPath(root, segs, val, c.addSource("env "+name)); err != nil {
			return nil, &Error{Key: path, Msg: fmt.Sprintf("%s: %v", name, err)}
		}
	}
	// The old name of the signing key, when the new one is not set.
	if v, ok := vars[EnvSigningKey]; ok && v != "" {
		if other, dup := owner["JWT.SIGNING_KEY"]; dup {
			return nil, &Error{Key: "JWT.SIGNING_KEY", Msg: fmt.Sprintf("JWT.SIGNING_KEY is set by both %s and %s; set one", EnvSigningKey, other)}
		}
		if err := insertPath(root, []string{"JWT", "SIGNING_KEY"}, v, c.addSource("env "+EnvSigningKey)); err != nil {
			return nil, &Error{Key: "JWT.SIGNING_KEY", Msg: fmt.Sprintf("%s: %v", EnvSigningKey, err)}
		}
	}
	if len(root.Content) == 0 {
		return nil, nil
	}
	return root, nil
}

// readEnvFile reads the value a _FILE variable points at, without one
// trailing line break (files written by echo or editors end with one).
func readEnvFile(name, path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("%s is empty: it must name a file", name)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s: cannot read %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxEnvFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("%s: cannot read %w", name, err)
	}
	if len(b) > maxEnvFileBytes {
		return "", fmt.Errorf("%s: %s is larger than %d bytes", name, path, maxEnvFileBytes)
	}
	s := strings.TrimSuffix(string(b), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

// flagTree builds the tree of command-line flags; a later flag for the same
// key wins, as flag packages do.
func (c *Config) flagTree(flags []Flag) (*yaml.Node, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, f := range flags {
		segs := strings.Split(f.Key, ".")
		tree := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if err := insertPath(tree, segs, f.Value, c.addSource("flag "+f.Name)); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		root = mergeNodes(root, tree)
	}
	return root, nil
}

// insertPath sets segs to the string val in the mapping root, creating the
// mappings on the way.
func insertPath(root *yaml.Node, segs []string, val string, line int) error {
	n := root
	for i, s := range segs {
		var next *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == s {
				next = n.Content[j+1]
				break
			}
		}
		last := i == len(segs)-1
		switch {
		case next != nil && (last || next.Kind != yaml.MappingNode):
			return fmt.Errorf("%s is set by another variable too", strings.Join(segs[:i+1], "."))
		case next == nil && last:
			n.Content = append(n.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Line: line},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: val, Line: line})
			return nil
		case next == nil:
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Line: line}, next)
		}
		n = next
	}
	return nil
}

// mergeNodes lays src over dst: mappings merge key by key, anything else in
// src replaces what dst has. dst is not changed (a file's anchors may share
// nodes).
func mergeNodes(dst, src *yaml.Node) *yaml.Node {
	if src == nil {
		return dst
	}
	if dst == nil {
		return src
	}
	dst = resolve(dst)
	if dst.Kind != yaml.MappingNode || src.Kind != yaml.MappingNode {
		return src
	}
	out := *dst
	out.Content = append([]*yaml.Node(nil), dst.Content...)
	for i := 0; i+1 < len(src.Content); i += 2 {
		k, v := src.Content[i], src.Content[i+1]
		found := false
		for j := 0; j+1 < len(out.Content); j += 2 {
			if kn := out.Content[j]; kn.Kind == yaml.ScalarNode && kn.Value == k.Value {
				if resolve(out.Content[j+1]).Kind != yaml.MappingNode || v.Kind != yaml.MappingNode {
					out.Content[j] = k // the value's source is the key's line
				}
				out.Content[j+1] = mergeNodes(out.Content[j+1], v)
				found = true
				break
			}
		}
		if !found {
			out.Content = append(out.Content, k, v)
		}
	}
	return &out
}

// envList turns a list written in an environment variable or a _FILE into
// a list node: items separated by commas or line breaks, spaces around them
// trimmed, empty items dropped (so "" is the empty list). Any other node is
// returned as it is.
func envList(n *yaml.Node) *yaml.Node {
	if n.Kind != yaml.ScalarNode || n.Line >= 0 {
		return n
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: n.Line}
	for _, item := range strings.FieldsFunc(n.Value, func(r rune) bool { return r == ',' || r == '\n' }) {
		if item = strings.TrimSpace(item); item != "" {
			seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: item, Line: n.Line})
		}
	}
	return seq
}

// Schema walking: the decoder's setters, handed a probe node, record what
// they take instead of decoding (scalar, mapping, mapEntries and the list
// setters know the probe), and sections walk their fields.

// probeTag marks a node that walks the schema.
const probeTag = "!chelseru-schema-probe"

func isProbe(n *yaml.Node) bool { return n != nil && n.Tag == probeTag }

// Kinds of keys.
const (
	KindScalar  = "scalar"  // a string, number, boolean, duration or level
	KindList    = "list"    // a list; in the environment, comma-separated
	KindMap     = "map"     // names to values; in the environment, one variable per entry
	KindSection = "section" // a mapping of fixed keys
)

// KeyInfo describes one key of the configuration.
type KeyInfo struct {
	Path string // e.g. SERVER.LISTEN
	Kind string // KindScalar, KindList, KindMap or KindSection
	Want string // for scalars, what the value must be (e.g. "a duration (e.g. 10s)")
}

// Env is the key's environment variable.
func (k KeyInfo) Env() string { return EnvName(k.Path) }

// Keys lists every key the decoder knows, sections included, in the order
// of the decoder's table.
func Keys() []KeyInfo {
	d := &decoder{c: Default()}
	d.c.lines = map[string]int{}
	root := &yaml.Node{Kind: yaml.ScalarNode, Tag: probeTag}
	_ = d.mapping(root, "", d.rootFields())
	var out []KeyInfo
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := join(path, n.Content[i].Value)
			v := n.Content[i+1]
			kind := v.LineComment
			if kind == "" {
				kind = KindScalar // a setter that does not know the probe
			}
			out = append(out, KeyInfo{Path: p, Kind: kind, Want: v.FootComment})
			if kind == KindSection {
				walk(v, p)
			}
		}
	}
	walk(root, "")
	return out
}

// probeFields records a section and walks its fields.
func (d *decoder) probeFields(n *yaml.Node, key string, fields []field) {
	n.LineComment = KindSection
	for _, f := range fields {
		child := &yaml.Node{Kind: yaml.ScalarNode, Tag: probeTag}
		_ = f.set(child, join(key, f.name))
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: f.name}, child)
	}
}

// probeList marks a probe as a list; list setters return at once when it
// reports true.
func probeList(n *yaml.Node) bool {
	if isProbe(n) {
		n.LineComment = KindList
		return true
	}
	return false
}

// secretWords are words that make a key's or a setting's name secret when
// it ends with one (API_KEY, PASSWORD, ADMIN_TOKEN, CAPTCHA_SECRET).
var secretWords = []string{"KEY", "KEYS", "PASSWORD", "PASSWD", "PASS", "SECRET", "SECRETS", "TOKEN", "APIKEY"}

// SecretName reports whether a key or setting name looks secret: its last
// word (after the last "_" or ".") is KEY, PASSWORD, SECRET, TOKEN or the
// like. Values of such keys are masked when printed.
func SecretName(name string) bool {
	up := strings.ToUpper(name)
	if i := strings.LastIndexAny(up, "._"); i >= 0 {
		up = up[i+1:]
	}
	for _, w := range secretWords {
		if up == w {
			return true
		}
	}
	return false
}

// quoteIfNeeded quotes an empty or space-padded value for printing.
func quoteIfNeeded(s string) string {
	if s == "" || strings.TrimSpace(s) != s || strings.ContainsAny(s, "\n\r\t\"") {
		return strconv.Quote(s)
	}
	return s
}
