package pluginhost

import (
	"context"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru/internal/fakeprovider"
	"github.com/chelseru/chelseru/sdk/abi"
)

// BenchmarkProviderRoundTrip weighs the host's side of one provider round
// trip (a Kavenegar verify/lookup POST to the local fake over loopback,
// answer read in full) with net/http's client (newTransport, used behind a
// proxy) against fasthttp's (the default caller), serial and from
// GOMAXPROCS goroutines (docs/plugin-abi.md § 10).
func BenchmarkProviderRoundTrip(b *testing.B) {
	srv := fakeprovider.NewKavenegar()
	defer srv.Close()
	url := srv.URL() + "/v1/" + fakeprovider.KavenegarAPIKey + "/verify/lookup.json"
	const form = "receptor=09123456789&token=4821&template=100"

	cfg := Config{Service: "KAVENEGAR_COM", Settings: map[string]string{"KAVENEGAR_COM_BASE_URL": srv.URL()}}
	tr := newTransport(newGuard(operatorEgressOf(&cfg), nil), DefaultIdleConnTimeout)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	viaNetHTTP := func() error {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(form))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return err
	}
	fc := &fasthttp.Client{MaxConnsPerHost: maxConnsPerHost, MaxIdleConnDuration: 90 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, MaxResponseBodySize: 1 << 20}
	viaFasthttp := func() error {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		req.SetRequestURI(url)
		req.Header.SetMethod(fasthttp.MethodPost)
		req.Header.SetContentType("application/x-www-form-urlencoded")
		req.SetBodyString(form)
		if err := fc.Do(req, resp); err != nil {
			return err
		}
		_ = append([]byte(nil), resp.Body()...)
		return nil
	}
	// The host's own caller: fasthttp through the egress guard's dialer and
	// the stale-connection check (egress.go, staleconn.go).
	hc := newFastCaller(cfg.withDefaults(), newGuard(operatorEgressOf(&cfg), nil), &counters{})
	defer hc.close()
	u, err := neturl.Parse(url)
	if err != nil {
		b.Fatal(err)
	}
	cu := &checkedURL{raw: url, u: u, uri: url}
	q := &abi.Request{Method: "POST", URL: url, Headers: []abi.Header{{Name: "Content-Type", Value: "application/x-www-form-urlencoded"}}, Body: form}
	viaCaller := func() error {
		_, err := hc.call(context.Background(), q, cu, headerFilter{})
		return err
	}
	for _, c := range []struct {
		name string
		do   func() error
	}{{"net-http", viaNetHTTP}, {"fasthttp", viaFasthttp}, {"host-caller", viaCaller}} {
		b.Run(c.name+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.do(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := c.do(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
