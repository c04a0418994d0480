package plugintest

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/sdk/abi"
)

// TestUpdate: a case rewritten from what the host saw gets the provider's
// URL back on the case's base, the plugin's headers in the case's order
// (then the new ones, sorted) without those the host and Go's client add,
// the body and the result; a plugin failure is not written.
func TestUpdate(t *testing.T) {
	base, _ := url.Parse("https://api.example.com/v1")
	c := &Case{
		Exchanges: []Exchange{{Request: abi.Request{Method: "POST", URL: "https://api.example.com/v1/old",
			Headers: []abi.Header{{Name: "X-Api-Key", Value: "old"}, {Name: "Content-Type", Value: "text/plain"}}}}},
		Result: abi.Result{OK: true, MessageID: "old"},
	}
	h := http.Header{}
	for k, v := range map[string]string{"Content-Type": "application/json", "X-Api-Key": "k", "Accept": "*/*",
		"User-Agent": "chelseru", "Content-Length": "2", "Accept-Encoding": "gzip", "Host": "127.0.0.1"} {
		h.Set(k, v)
	}
	o := Outcome{base: base, Received: []Received{{Method: "PUT", RequestURI: "/v1/send?x=1", Header: h, Body: "{}"}},
		SendErr: &chelseru.SMSError{Class: chelseru.SMSRateLimited, Code: "429", Text: "slow"}}
	if err := Update(c, o); err != nil {
		t.Fatal(err)
	}
	q := c.Exchanges[0].Request
	want := []abi.Header{{Name: "X-Api-Key", Value: "k"}, {Name: "Content-Type", Value: "application/json"}, {Name: "Accept", Value: "*/*"}}
	if q.Method != "PUT" || q.URL != "https://api.example.com/v1/send?x=1" || q.Body != "{}" || !slices.Equal(q.Headers, want) {
		t.Errorf("request %+v", q)
	}
	if c.Result != (abi.Result{Class: "rate_limited", Code: "429", Text: "slow"}) {
		t.Errorf("result %+v", c.Result)
	}
	if d := Diff(c, o); len(d) != 0 {
		t.Errorf("the rewritten case still differs: %v", d)
	}
	o.SendErr = &chelseru.SMSError{Class: chelseru.SMSPlugin, Code: "plugin_error", Err: errors.New("trap")}
	if err := Update(c, o); err == nil || !strings.Contains(err.Error(), "trap") {
		t.Errorf("a plugin failure was written: %v", err)
	}
}
