package config

import (
	"fmt"
	"log/slog"
	"net/netip"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Setting is one key of a configuration as config check prints it.
type Setting struct {
	Key    string // the key path, e.g. SMS.SETTINGS.KAVENEGAR_COM_API_KEY
	Value  string // the value as it would be written in the file; secrets masked
	Source string // "default", "file:LINE", "env NAME" or "flag --NAME"
	Secret bool   // the value is masked
}

// Mask replaces a secret value when printed.
const Mask = "********"

// Describe lists every key of c (each entry of a map as a key of its own)
// with its value and where it came from, in the order of the decoder's
// table. Values of keys whose names look secret (SecretName), of secret
// lists (AUTH.SERVICE_API_KEYS, JWT.PREVIOUS_SIGNING_KEYS) and of the
// settings named in secretSettings (those a plugin's manifest declares
// secret) are masked. Values are found by matching each key's words to the
// Config's field names (MAX_CONNS_PER_IP is MaxConnsPerIP), a rule
// TestDescribeCoversEveryKey holds every key to.
func (c *Config) Describe(secretSettings map[string]bool) []Setting {
	var out []Setting
	for _, k := range Keys() {
		if k.Kind == KindSection {
			continue
		}
		v, ok := c.fieldByPath(k.Path)
		if !ok {
			out = append(out, Setting{Key: k.Path, Value: "(not shown)", Source: c.Source(k.Path)})
			continue
		}
		secret := SecretName(k.Path) || k.Want == "secret"
		if k.Kind == KindMap && v.Kind() == reflect.Map {
			keys := make([]string, 0, v.Len())
			for _, mk := range v.MapKeys() {
				keys = append(keys, mk.String())
			}
			sort.Strings(keys)
			if len(keys) == 0 {
				out = append(out, Setting{Key: k.Path, Value: "{}", Source: c.Source(k.Path)})
			}
			for _, name := range keys {
				path := k.Path + "." + name
				s := Setting{Key: path, Value: formatValue(v.MapIndex(reflect.ValueOf(name))), Source: c.Source(path)}
				if SecretName(name) || secretSettings[name] {
					s.Value, s.Secret = mask(s.Value), true
				}
				out = append(out, s)
			}
			continue
		}
		s := Setting{Key: k.Path, Value: formatValue(v), Source: c.Source(k.Path)}
		if secret {
			s.Secret = true
			if v.Kind() == reflect.Slice {
				items := make([]string, v.Len())
				for i := range items {
					items[i] = Mask
				}
				s.Value = "[" + strings.Join(items, ", ") + "]"
			} else {
				s.Value = mask(s.Value)
			}
		}
		out = append(out, s)
	}
	return out
}

func mask(v string) string {
	if v == `""` || v == "" {
		return `""`
	}
	return Mask
}

// fieldByPath finds the Config field of a key path by its words.
func (c *Config) fieldByPath(path string) (reflect.Value, bool) {
	v := reflect.ValueOf(c).Elem()
	for _, seg := range strings.Split(path, ".") {
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, false
		}
		want := strings.ReplaceAll(seg, "_", "")
		found := false
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() && strings.EqualFold(t.Field(i).Name, want) {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			return reflect.Value{}, false
		}
	}
	return v, true
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	levelType    = reflect.TypeOf(slog.Level(0))
	prefixType   = reflect.TypeOf(netip.Prefix{})
)

// formatValue writes a value as it would be written in the file.
func formatValue(v reflect.Value) string {
	switch {
	case v.Type() == durationType:
		return time.Duration(v.Int()).String()
	case v.Type() == levelType:
		return strings.ToLower(slog.Level(v.Int()).String())
	case v.Type() == prefixType:
		return v.Interface().(netip.Prefix).String()
	}
	switch v.Kind() {
	case reflect.String:
		return quoteIfNeeded(v.String())
	case reflect.Int, reflect.Int64, reflect.Int32:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = formatValue(v.Index(i))
		}
		return "[" + strings.Join(items, ", ") + "]"
	case reflect.Map:
		if v.Len() == 0 {
			return "{}"
		}
	}
	return fmt.Sprint(v.Interface())
}
