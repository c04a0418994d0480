package provider

import (
	"strconv"
	"strings"

	"github.com/chelseru/chelseru/sdk/abi"
)

// ParamNames splits a comma-separated list of template parameter names,
// trimming spaces and dropping empty names.
func ParamNames(v string) []string {
	var out []string
	for n := range strings.SplitSeq(v, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Params returns m's template parameters by name, appended to dst[:0]: the
// names the host sent (m.Params: the operator's SMS.TEMPLATE_PARAMS, else
// the manifest's TemplateParams) when there are any, else m.Vars named by
// names in order (pass the manifest's TemplateParams, so the plugin names
// them the same on a host older than that member). missing is the index of
// the first variable without a name (-1 when every one has one), also when
// the host named fewer variables than m.Vars holds; a plugin usually
// refuses such a send with bad_request.
func Params(dst []abi.Param, m *abi.Message, names []string) (params []abi.Param, missing int) {
	dst = dst[:0]
	if len(m.Params) > 0 {
		dst = append(dst, m.Params...)
		if len(m.Params) < len(m.Vars) {
			return dst, len(m.Params)
		}
		return dst, -1
	}
	for i, v := range m.Vars {
		if i >= len(names) {
			return dst, i
		}
		dst = append(dst, abi.Param{Name: names[i], Value: v})
	}
	return dst, -1
}

// JSONHeaders returns the headers of a JSON POST that expects JSON back, in a
// new slice the caller may extend: a plugin that adds its own (an API key)
// builds its slice once, at configure time.
func JSONHeaders() []abi.Header { return append([]abi.Header(nil), jsonHeaders...) }

// jsonHeaders is the list JSONHeaders copies; never modified.
var jsonHeaders = []abi.Header{
	{Name: "Content-Type", Value: "application/json"},
	{Name: "Accept", Value: "application/json"},
}

// POST returns a POST of body with headers to url, held in s like
// POSTForm's. Neither headers nor body is copied: change neither until the
// next call.
func (s *Scratch) POST(url string, headers []abi.Header, body []byte) *abi.Request {
	q := s.POSTForm(url, body)
	q.Headers = headers
	return q
}

// NamedTemplate describes how a provider with named template parameters
// refuses a template send it cannot make (Check).
type NamedTemplate struct {
	// TemplateField and ParamsField are the provider's request fields the
	// refusals name as their code.
	TemplateField, ParamsField string
	// Setting, when not empty, is a naming setting of the plugin's own,
	// named beside SMS.TEMPLATE_PARAMS in the refusal of a variable
	// without a name. Prefer the manifest's TemplateParams to such a
	// setting (docs/writing-a-provider.md § 4).
	Setting string
	// Max bounds the parameters of one send.
	Max int
	// NoParams is the refusal's text when the template has no parameter.
	NoParams string
}

// Check returns m's named parameters (Params, appended to dst[:0]), or the
// refusal to answer with (ok false): variables without a template, a
// variable without a name, no parameter at all, or more than Max.
func (t NamedTemplate) Check(dst []abi.Param, m *abi.Message, names []string) (params []abi.Param, refusal abi.Action, ok bool) {
	if m.TemplateID == 0 {
		return dst, Fail(abi.ClassBadRequest, t.TemplateField, "template variables given without a template"), false
	}
	params, missing := Params(dst, m, names)
	switch {
	case missing >= 0:
		where := "SMS.TEMPLATE_PARAMS"
		if t.Setting != "" {
			where += " or " + t.Setting
		}
		return params, Fail(abi.ClassBadRequest, t.ParamsField,
			"template variable "+strconv.Itoa(missing+1)+" has no name: name it in "+where), false
	case len(params) == 0:
		return params, Fail(abi.ClassBadRequest, t.ParamsField, t.NoParams), false
	case len(params) > t.Max:
		return params, Fail(abi.ClassBadRequest, t.ParamsField, "too many template parameters"), false
	}
	return params, abi.Action{}, true
}
