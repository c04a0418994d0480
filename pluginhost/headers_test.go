package pluginhost

import (
	"slices"
	"testing"

	"github.com/chelseru/chelseru/sdk/abi"
)

// TestHeaderFilter: a plugin gets only the response headers its manifest
// names (any case), all of them with "*", none by default.
func TestHeaderFilter(t *testing.T) {
	hs := func() []abi.Header {
		return []abi.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "Retry-After", Value: "30"}, {Name: "Date", Value: "x"}}
	}
	names := func(hs []abi.Header) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.Name)
		}
		return out
	}
	tests := []struct {
		manifest []string
		want     []string
	}{
		{nil, nil},
		{[]string{"retry-after"}, []string{"Retry-After"}},
		{[]string{"CONTENT-TYPE", "Retry-After", "X-Missing"}, []string{"Content-Type", "Retry-After"}},
		{[]string{"*"}, []string{"Content-Type", "Retry-After", "Date"}},
	}
	for _, tt := range tests {
		if got := names(newHeaderFilter(tt.manifest).keep(hs())); !slices.Equal(got, tt.want) {
			t.Errorf("ResponseHeaders %q: got %q, want %q", tt.manifest, got, tt.want)
		}
	}
	m := abi.Manifest{ABI: abi.Version, Name: "X", Version: "1", ResponseHeaders: []string{"Retry-After"}}
	var back abi.Manifest
	if err := abi.DecodeManifest(abi.AppendManifest(nil, &m), &back); err != nil || !slices.Equal(back.ResponseHeaders, m.ResponseHeaders) {
		t.Fatalf("manifest round trip: %+v, %v", back, err)
	}
}
