package provider

import (
	"reflect"
	"testing"

	"github.com/chelseru/chelseru/sdk/abi"
)

// TestParams: the host's names win; otherwise Vars are named in order, and
// a variable without a name is reported.
func TestParams(t *testing.T) {
	if got := ParamNames(" CODE, ,NAME ,"); !reflect.DeepEqual(got, []string{"CODE", "NAME"}) {
		t.Errorf("ParamNames = %q", got)
	}
	named := abi.Message{Vars: []string{"1"}, Params: []abi.Param{{Name: "X", Value: "1"}}}
	if got, miss := Params(nil, &named, []string{"CODE"}); miss != -1 || !reflect.DeepEqual(got, named.Params) {
		t.Errorf("host names: %v %d", got, miss)
	}
	pos := abi.Message{Vars: []string{"4821", "Ali"}}
	if got, miss := Params(nil, &pos, []string{"CODE", "NAME"}); miss != -1 || !reflect.DeepEqual(got, []abi.Param{{Name: "CODE", Value: "4821"}, {Name: "NAME", Value: "Ali"}}) {
		t.Errorf("fallback names: %v %d", got, miss)
	}
	if _, miss := Params(nil, &pos, []string{"CODE"}); miss != 1 {
		t.Errorf("second variable unnamed: missing = %d, want 1", miss)
	}
	short := abi.Message{TemplateID: 7, Vars: []string{"4821", "2"}, Params: []abi.Param{{Name: "CODE", Value: "4821"}}}
	if got, miss := Params(nil, &short, []string{"CODE", "MIN"}); miss != 1 || len(got) != 1 {
		t.Errorf("host named 1 of 2 variables: %v, missing = %d, want 1 (no mix with the fallback)", got, miss)
	}
	nt := NamedTemplate{TemplateField: "templateId", ParamsField: "parameters", Max: 16, NoParams: "none"}
	if _, a, ok := nt.Check(nil, &short, nil); ok || a.Result.Text != "template variable 2 has no name: name it in SMS.TEMPLATE_PARAMS" {
		t.Errorf("Check without a setting = %+v, %v", a.Result, ok)
	}
	nt.Setting = "X_PARAM_NAMES"
	if _, a, ok := nt.Check(nil, &short, nil); ok || a.Result.Text != "template variable 2 has no name: name it in SMS.TEMPLATE_PARAMS or X_PARAM_NAMES" {
		t.Errorf("Check with a setting = %+v, %v", a.Result, ok)
	}
	var s Scratch
	q := s.POST("https://x.example/a", JSONHeaders(), []byte(`{}`))
	if q.Method != "POST" || q.Body != "{}" || len(q.Headers) != 2 {
		t.Errorf("POST = %+v", q)
	}
}
