package pluginhost

import (
	"fmt"
	"strings"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/sdk/abi"
)

// Limits of a manifest's template_params, the same as the operator's
// SMS.TEMPLATE_PARAMS: a hostile manifest cannot make every send carry
// thousands of names.
const (
	maxTemplateParams   = 16 // names
	maxTemplateParamLen = 64 // bytes per name
)

// validateTemplateParams checks a manifest's template_params: at most 16
// distinct names, each 1 to 64 letters, digits, '_', '-' or '.'. Its error
// quotes a bad name truncated and escaped, never raw.
func validateTemplateParams(names []string) error {
	if len(names) > maxTemplateParams {
		return fmt.Errorf("template_params lists %d names; at most %d", len(names), maxTemplateParams)
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if !validParamName(n) {
			return fmt.Errorf("template_params: %q is not a parameter name (1 to %d letters, digits, '_', '-' or '.')", truncate(n, 80), maxTemplateParamLen)
		}
		if seen[n] {
			return fmt.Errorf("template_params names %q twice", n)
		}
		seen[n] = true
	}
	return nil
}

func validParamName(n string) bool {
	if n == "" || len(n) > maxTemplateParamLen {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// messageParams is the Message's params for msg sent to a plugin with
// manifest man: the names the operator gave (msg.Params, from
// SMS.TEMPLATE_PARAMS) when there are any, else the template's variables
// named by the manifest's template_params in order, min(names, vars) of
// them; nil for a text, a template without variables, or a plugin that
// names none.
func messageParams(man *abi.Manifest, msg *chelseru.SMS) []abi.Param {
	if len(msg.Params) > 0 {
		return abiParams(msg.Params)
	}
	if msg.TemplateID == 0 {
		return nil
	}
	return namedVars(man.TemplateParams, msg.Vars)
}

// namedVars names vars by names in order: min(len(names), len(vars))
// params, nil when either is empty.
func namedVars(names, vars []string) []abi.Param {
	if len(names) == 0 || len(vars) == 0 {
		return nil
	}
	out := make([]abi.Param, min(len(names), len(vars)))
	for i := range out {
		out[i] = abi.Param{Name: names[i], Value: vars[i]}
	}
	return out
}

// templateParamsNote is plugin check's line on a manifest's template_params.
func templateParamsNote(man *abi.Manifest) string {
	return fmt.Sprintf("template parameters: %s (the names of a template's variables, in order, when SMS.TEMPLATE_PARAMS names none for it)",
		strings.Join(man.TemplateParams, ", "))
}
