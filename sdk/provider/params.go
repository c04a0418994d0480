package provider

import (
	"strings"

	"github.com/chelseru/chelseru/sdk/abi"
)

// ParamNames splits a comma-separated list of template parameter names (a
// plugin's fallback setting, such as SMS_IR_PARAM_NAMES), trimming spaces
// and dropping empty names.
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
// names the host sent (m.Params, from the operator's SMS.TEMPLATE_PARAMS)
// when there are any, else m.Vars named by names in order. missing is the
// index of the first variable without a name (-1 when every one has one);
// a plugin usually refuses such a send with bad_request.
func Params(dst []abi.Param, m *abi.Message, names []string) (params []abi.Param, missing int) {
	dst = dst[:0]
	if len(m.Params) > 0 {
		return append(dst, m.Params...), -1
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
