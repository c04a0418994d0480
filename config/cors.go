package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Bounds of the CORS keys.
const (
	maxCORSOrigins    = 100
	maxCORSOriginLen  = 256
	DefaultCORSMaxAge = 10 * time.Minute // SERVER.CORS_MAX_AGE's default
)

// corsFields are the CORS keys of the SERVER section.
func (d *decoder) corsFields() []field {
	c := d.c
	return []field{
		{"CORS_ALLOWED_ORIGINS", d.strList(&c.Server.CORSAllowedOrigins, maxCORSOrigins, "origins (e.g. [https://app.example.com])")},
		{"CORS_ALLOW_CREDENTIALS", d.boolean(&c.Server.CORSAllowCredentials)},
		{"CORS_MAX_AGE", d.duration(&c.Server.CORSMaxAge)},
	}
}

// strList reads a list of at most max strings; in the environment, comma
// separated.
func (d *decoder) strList(dst *[]string, max int, what string) func(*yaml.Node, string) error {
	return func(n *yaml.Node, key string) error {
		if probeList(n) {
			return nil
		}
		n = envList(n)
		if isNull(n) {
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s must be a list of %s, got %s", key, what, kind(n))}
		}
		if len(n.Content) > max {
			return &Error{Key: key, Line: n.Line, Msg: fmt.Sprintf("%s has more than %d entries", key, max)}
		}
		out := make([]string, 0, len(n.Content))
		for i, item := range n.Content {
			item = resolve(item)
			ikey := fmt.Sprintf("%s[%d]", key, i)
			s, ok, err := scalar(item, ikey, "a string")
			if err != nil {
				return err
			}
			if !ok {
				return &Error{Key: ikey, Line: item.Line, Msg: ikey + " must be a string, got nothing"}
			}
			out = append(out, s)
		}
		*dst = out
		return nil
	}
}

// validateCORS checks SERVER.CORS_*: each origin is "*" or
// scheme://host[:port] with no path, and "*" never goes with credentials
// (browsers refuse it, and it would let any site act as the user).
func (c *Config) validateCORS() error {
	s := &c.Server
	for i, o := range s.CORSAllowedOrigins {
		key := fmt.Sprintf("SERVER.CORS_ALLOWED_ORIGINS[%d]", i)
		if o == "*" {
			if s.CORSAllowCredentials {
				return c.errorf("SERVER.CORS_ALLOWED_ORIGINS", "%s is \"*\", which cannot go with SERVER.CORS_ALLOW_CREDENTIALS: true; list the origins", key)
			}
			continue
		}
		if err := checkOrigin(o); err != nil {
			return c.errorf("SERVER.CORS_ALLOWED_ORIGINS", "%s: %s %s (e.g. https://app.example.com)", key, q(o), err)
		}
	}
	return c.durationBetween("SERVER.CORS_MAX_AGE", s.CORSMaxAge, 0, 24*time.Hour)
}

// checkOrigin accepts an origin as browsers send it: scheme://host[:port].
func checkOrigin(o string) error {
	if len(o) > maxCORSOriginLen {
		return fmt.Errorf("is longer than %d bytes", maxCORSOriginLen)
	}
	u, err := url.Parse(o)
	switch {
	case err != nil || u.Scheme == "" || u.Host == "":
		return fmt.Errorf("is not an origin")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("must begin with http:// or https://")
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("must be scheme://host[:port] with no path")
	case o != strings.ToLower(o):
		return fmt.Errorf("must be lower case, as browsers send it")
	}
	return nil
}
