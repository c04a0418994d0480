package chelseru

import (
	"context"
	"reflect"
	"testing"
)

type captureSender struct{ got SMS }

func (c *captureSender) Send(_ context.Context, m SMS) (SMSResult, error) {
	c.got = m
	return SMSResult{}, nil
}

// TestTemplateParams: a template with names gets Params in the order of its
// Vars; extra variables stay positional; other messages pass unchanged.
func TestTemplateParams(t *testing.T) {
	tp := TemplateParams{100: {"CODE"}, 200: {"NAME", "CODE", "UNUSED"}}
	tests := []struct {
		in   SMS
		want []SMSParam
	}{
		{SMS{TemplateID: 100, Vars: []string{"4821"}}, []SMSParam{{"CODE", "4821"}}},
		{SMS{TemplateID: 100, Vars: []string{"4821", "x"}}, []SMSParam{{"CODE", "4821"}}},
		{SMS{TemplateID: 200, Vars: []string{"Ali", "4821"}}, []SMSParam{{"NAME", "Ali"}, {"CODE", "4821"}}},
		{SMS{TemplateID: 300, Vars: []string{"4821"}}, nil},
		{SMS{Text: "hello"}, nil},
		{SMS{TemplateID: 100}, nil},
		{SMS{TemplateID: 100, Vars: []string{"1"}, Params: []SMSParam{{"X", "y"}}}, []SMSParam{{"X", "y"}}},
	}
	for _, tt := range tests {
		c := &captureSender{}
		if _, err := NamingSender(c, tp).Send(context.Background(), tt.in); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(c.got.Params, tt.want) || !reflect.DeepEqual(c.got.Vars, tt.in.Vars) {
			t.Errorf("%+v: got %+v, want params %+v", tt.in, c.got, tt.want)
		}
	}
	s := &captureSender{}
	if NamingSender(s, nil) != SMSSender(s) {
		t.Error("NamingSender with no names should return the sender itself")
	}
}
