package chelseru

import "context"

// TemplateParams names the variables of provider templates: for a template
// id, the names of its parameters in the order of SMS.Vars (config
// SMS.TEMPLATE_PARAMS). Providers whose templates take named parameters
// (SMS.ir, Ghasedak) read the names from SMS.Params; positional providers
// ignore them.
type TemplateParams map[int64][]string

// Name returns m with Params filled from its Vars when its template has
// names: Vars[i] is named names[i]; variables beyond the names stay
// positional only. m is returned unchanged when it already has Params or
// its template has no names.
func (tp TemplateParams) Name(m SMS) SMS {
	names := tp[m.TemplateID]
	if m.TemplateID == 0 || len(names) == 0 || len(m.Params) > 0 || len(m.Vars) == 0 {
		return m
	}
	n := min(len(names), len(m.Vars))
	m.Params = make([]SMSParam, n)
	for i := range n {
		m.Params[i] = SMSParam{Name: names[i], Value: m.Vars[i]}
	}
	return m
}

// NamingSender returns s with each message's template parameters named by
// tp before it is sent (s itself when tp is empty).
func NamingSender(s SMSSender, tp TemplateParams) SMSSender {
	if len(tp) == 0 {
		return s
	}
	return namingSender{s: s, tp: tp}
}

type namingSender struct {
	s  SMSSender
	tp TemplateParams
}

func (n namingSender) Send(ctx context.Context, m SMS) (SMSResult, error) {
	return n.s.Send(ctx, n.tp.Name(m))
}
