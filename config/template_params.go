package config

import (
	"strconv"
	"strings"

	"github.com/chelseru/chelseru"
)

// Limits of SMS.TEMPLATE_PARAMS.
const (
	maxTemplateParams   = 16 // names per template
	maxTemplateParamLen = 64 // bytes per name
)

// validateTemplateParams checks SMS.TEMPLATE_PARAMS: each key a template id
// (1 to 2^53), each value 1 to 16 distinct comma-separated names of letters,
// digits, '_', '-' and '.', at most 64 bytes each.
func (c *Config) validateTemplateParams() error {
	s := &c.SMS
	if len(s.TemplateParams) > maxMapEntries {
		return c.errorf("SMS.TEMPLATE_PARAMS", "SMS.TEMPLATE_PARAMS has more than %d entries", maxMapEntries)
	}
	for _, k := range sortedKeys(s.TemplateParams) {
		key := "SMS.TEMPLATE_PARAMS." + k
		if id, err := strconv.ParseInt(k, 10, 64); err != nil || id < 1 || id > 1<<53 {
			return c.errorf(key, "%s: the key must be a template id (a positive integer such as OTP_SMS_TEMPLATE_ID), got %s", key, q(k))
		}
		names := splitNames(s.TemplateParams[k])
		if len(names) == 0 || len(names) > maxTemplateParams {
			return c.errorf(key, "%s must list 1 to %d parameter names separated by commas, got %s", key, maxTemplateParams, q(s.TemplateParams[k]))
		}
		seen := make(map[string]bool, len(names))
		for _, n := range names {
			if !validParamName(n) {
				return c.errorf(key, "%s: parameter names are 1 to %d letters, digits, '_', '-' or '.', got %s", key, maxTemplateParamLen, q(n))
			}
			if seen[n] {
				return c.errorf(key, "%s names %s twice", key, q(n))
			}
			seen[n] = true
		}
	}
	return nil
}

func splitNames(v string) []string {
	var out []string
	for n := range strings.SplitSeq(v, ",") {
		out = append(out, strings.TrimSpace(n))
	}
	if len(out) == 1 && out[0] == "" {
		return nil
	}
	return out
}

func validParamName(n string) bool {
	if n == "" || len(n) > maxTemplateParamLen {
		return false
	}
	for _, r := range n {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
		default:
			return false
		}
	}
	return true
}

// TemplateParamNames returns SMS.TEMPLATE_PARAMS as template ids to
// parameter names (of a validated config; entries that do not parse are
// left out).
func (s SMS) TemplateParamNames() chelseru.TemplateParams {
	out := chelseru.TemplateParams{}
	for k, v := range s.TemplateParams {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil || id < 1 {
			continue
		}
		if names := splitNames(v); len(names) > 0 {
			out[id] = names
		}
	}
	return out
}
