package plugintest_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/plugintest"
)

// named is a plugin whose manifest names template variables; it answers
// each send with the names and values it was given.
type named struct{ names []string }

func (p *named) Manifest() abi.Manifest {
	return abi.Manifest{ABI: abi.Version, Name: "NAMED", Version: "1", Templates: true, TemplateParams: p.names}
}
func (p *named) Configure(map[string]string) error { return nil }
func (p *named) Send(m abi.Message) abi.Action {
	var b strings.Builder
	for _, pr := range m.Params {
		b.WriteString(pr.Name + "=" + pr.Value + ";")
	}
	return abi.Action{Result: &abi.Result{OK: true, MessageID: b.String()}}
}
func (p *named) Response(abi.Response) abi.Action { return abi.Action{} }

// TestRunNativeTemplateParams: a native run names a template's variables
// with the manifest's template_params, as the host does, unless the case's
// message names them (the operator's SMS.TEMPLATE_PARAMS).
func TestRunNativeTemplateParams(t *testing.T) {
	for _, tt := range []struct {
		names []string
		msg   abi.Message
		want  string
	}{
		{[]string{"Code"}, abi.Message{To: "09123456789", TemplateID: 7, Vars: []string{"4821"}}, "Code=4821;"},
		{[]string{"Code", "Min"}, abi.Message{To: "09123456789", TemplateID: 7, Vars: []string{"4821"}}, "Code=4821;"},
		{[]string{"Code"}, abi.Message{To: "09123456789", TemplateID: 7, Vars: []string{"4821", "2"}}, "Code=4821;"},
		{[]string{"Code"}, abi.Message{To: "09123456789", TemplateID: 7, Vars: []string{"4821"}, Params: []abi.Param{{Name: "OTP", Value: "4821"}}}, "OTP=4821;"},
		{nil, abi.Message{To: "09123456789", TemplateID: 7, Vars: []string{"4821"}}, ""},
		{[]string{"Code"}, abi.Message{To: "09123456789", Text: "hi"}, ""},
	} {
		c := &plugintest.Case{Message: tt.msg, Result: abi.Result{OK: true, MessageID: tt.want}}
		tr, err := plugintest.RunNative(&named{names: tt.names}, c)
		if err != nil {
			t.Fatal(err)
		}
		if d := plugintest.Diff(c, tr); len(d) != 0 {
			t.Errorf("names %q, message %+v: %v", tt.names, tt.msg, d)
		}
	}
	m := abi.Message{TemplateID: 7, Vars: []string{"1", "2"}}
	if got := plugintest.DefaultParams(&m, []string{"A", "B", "C"}); !reflect.DeepEqual(got, []abi.Param{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}}) {
		t.Errorf("DefaultParams = %v", got)
	}
}
