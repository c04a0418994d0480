package abi

import (
	"reflect"
	"strings"
	"testing"
)

// TestManifestTemplateParams: the optional template_params member round-trips,
// is left out when empty (so a manifest without it encodes as before), and
// a manifest of a plugin older than the member still decodes.
func TestManifestTemplateParams(t *testing.T) {
	m := Manifest{ABI: Version, Name: "SMS_IR", Version: "1.0.0", Templates: true, TemplateParams: []string{"Code", "NAME"}}
	enc := AppendManifest(nil, &m)
	if !strings.HasSuffix(string(enc), `"template_params":["Code","NAME"]}`) {
		t.Errorf("encoding %s lacks template_params at its end", enc)
	}
	var got Manifest
	if err := DecodeManifest(enc, &got); err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("DecodeManifest(%s) = %#v, %v; want %#v", enc, got, err, m)
	}
	m.TemplateParams = nil
	if enc := AppendManifest(nil, &m); strings.Contains(string(enc), "template_params") {
		t.Errorf("a manifest without names encodes the member: %s", enc)
	}
	for _, tt := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{`{"abi":1,"name":"OLD","version":"1","text":true,"templates":true}`, nil, true},
		{`{"abi":1,"name":"X","version":"1","template_params":null}`, nil, true},
		{`{"abi":1,"name":"X","version":"1","template_params":[]}`, nil, true},
		{`{"abi":1,"name":"X","version":"1","template_params":["Code"],"later":{"x":[1]}}`, []string{"Code"}, true},
		{`{"abi":1,"name":"X","version":"1","template_params":"Code"}`, nil, false},
		{`{"abi":1,"name":"X","version":"1","template_params":["Code",1]}`, nil, false},
		{`{"abi":1,"name":"X","version":"1","template_params":["Code"`, nil, false},
	} {
		var m Manifest
		err := DecodeManifest([]byte(tt.in), &m)
		if (err == nil) != tt.ok {
			t.Errorf("DecodeManifest(%s): err %v, want ok %v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && !reflect.DeepEqual(m.TemplateParams, tt.want) {
			t.Errorf("DecodeManifest(%s).TemplateParams = %#v, want %#v", tt.in, m.TemplateParams, tt.want)
		}
	}
}
