package loadgen_test

import (
	"context"
	"fmt"
	"net"

	"github.com/chelseru/chelseru/internal/loadgen"
	"github.com/valyala/fasthttp"
)

// A scenario of one JSON POST per unit against a server on a real socket,
// stopped after a fixed number of units.
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"details": "The OTP code was sent correctly."}`)
	}}
	go srv.Serve(ln)
	defer srv.Shutdown()

	const workers = 8
	client := loadgen.NewClient(ln.Addr().String(), workers)
	send := loadgen.Scenario{
		Name: "otp-send",
		NewWorker: func(worker int) (loadgen.Unit, error) {
			w := loadgen.NewHTTPWorker(client) // per-worker state
			return func(context.Context) error {
				_, err := w.PostJSON("/api/otp/send/", []byte(`{"mobile_number":"09121234567"}`), fasthttp.StatusOK)
				return err
			}, nil
		},
	}
	res, err := loadgen.Run(context.Background(), loadgen.Config{Concurrency: workers, Units: 1000}, send)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Scenario, res.Requests, "units,", res.Errors, "errors, p50 <= p99:", res.P50 <= res.P99)
	// Output: otp-send 1000 units, 0 errors, p50 <= p99: true
}
