package pluginhost

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

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
		if got := names(keepHeaders(newHeaderFilter(tt.manifest), hs())); !slices.Equal(got, tt.want) {
			t.Errorf("ResponseHeaders %q: got %q, want %q", tt.manifest, got, tt.want)
		}
	}
	m := abi.Manifest{ABI: abi.Version, Name: "X", Version: "1", ResponseHeaders: []string{"Retry-After"}}
	var back abi.Manifest
	if err := abi.DecodeManifest(abi.AppendManifest(nil, &m), &back); err != nil || !slices.Equal(back.ResponseHeaders, m.ResponseHeaders) {
		t.Fatalf("manifest round trip: %+v, %v", back, err)
	}
}

// keepHeaders returns the headers of hs f selects, as the callers do.
func keepHeaders(f headerFilter, hs []abi.Header) []abi.Header {
	var out []abi.Header
	for _, h := range hs {
		if f.wants(h.Name) {
			out = append(out, h)
		}
	}
	return out
}

// TestCallerHeaders: both callers hand over, from a real HTTP answer, only
// the headers the filter selects, sorted by name with the values of one name
// in their order, and none when the filter selects none.
func TestCallerHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Retry-After", "30")
		w.Header().Add("X-Rate", "a")
		w.Header().Add("X-Rate", "b")
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL + "/send")
	if err != nil {
		t.Fatal(err)
	}
	cu := &checkedURL{raw: u.String(), u: u, uri: u.String()}
	// The fake is on loopback: the operator names it.
	cfg := Config{Service: "T", Timeout: 5 * time.Second, MaxResponseBytes: 1 << 20, AllowedHosts: map[string][]string{"T": {u.Host}}}
	callers := map[string]caller{
		"fasthttp": newFastCaller(cfg, newGuard(operatorEgressOf(&cfg), nil), &counters{}),
		"net-http": newNetCaller(http.DefaultTransport.(*http.Transport).Clone(), nil, nil, cfg.MaxResponseBytes, &counters{}),
	}
	tests := []struct {
		manifest []string
		want     []string
	}{
		{nil, nil},
		{[]string{"retry-after"}, []string{"Retry-After: 30"}},
		{[]string{"x-rate", "Retry-After"}, []string{"Retry-After: 30", "X-Rate: a", "X-Rate: b"}},
		{[]string{"*"}, []string{"Content-Length: 2", "Content-Type: text/plain; charset=utf-8", "Date: *", "Retry-After: 30", "X-Rate: a", "X-Rate: b"}},
	}
	for name, c := range callers {
		defer c.close()
		for _, tt := range tests {
			resp, err := c.call(context.Background(), &abi.Request{Method: "GET", URL: cu.raw}, cu, newHeaderFilter(tt.manifest))
			if err != nil || resp.Status != 200 || resp.Body != "ok" {
				t.Fatalf("%s: call = %+v, %v", name, resp, err)
			}
			var got []string
			for _, h := range resp.Headers {
				if h.Name == "Date" {
					h.Value = "*"
				}
				got = append(got, h.Name+": "+h.Value)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s, ResponseHeaders %q: got %q, want %q", name, tt.manifest, got, tt.want)
			}
		}
	}
}
