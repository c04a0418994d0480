package host_test

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/internal/loadgen"
)

// bareHandler is the ceiling: parse the same JSON, normalise the number,
// answer the same body, with nothing else.
func bareHandler(ctx *fasthttp.RequestCtx) {
	var in struct {
		Mobile string `json:"mobile_number"`
	}
	if err := json.Unmarshal(ctx.PostBody(), &in); err != nil {
		ctx.SetStatusCode(400)
		return
	}
	if _, ok := chelseru.NormalizeMobile(in.Mobile); !ok {
		ctx.SetStatusCode(400)
		return
	}
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"details":"The OTP code was sent correctly."}`)
}

// otpScenario posts /api/otp/send/ for a new number each time.
func otpScenario(addr string) loadgen.Scenario {
	client := loadgen.NewClient(addr, 64)
	return loadgen.Scenario{
		Name: "otp_send",
		NewWorker: func(worker int) (loadgen.Unit, error) {
			w := loadgen.NewHTTPWorker(client)
			n := worker * 3_000_000 // 32 workers stay below 10^8: no number repeats
			buf := make([]byte, 0, 64)
			return func(ctx context.Context) error {
				n++
				buf = append(buf[:0], `{"mobile_number":"091`...)
				s := strconv.Itoa(100_000_000 + n%100_000_000)
				buf = append(buf, s[1:]...)
				buf = append(buf, `"}`...)
				_, err := w.PostJSON("/api/otp/send/", buf, 200)
				return err
			}, nil
		},
	}
}

// BenchmarkOTPSendVsBare runs the same closed-loop load (the project's load
// tool, 32 workers, fasthttp client) against a bare fasthttp handler and
// against /api/otp/send/ on real Badger through the plugin host, once with
// the CONSOLE plugin (no provider round trip) and once with the Kavenegar
// plugin against the fake Kavenegar, and reports the rates and ratios.
func BenchmarkOTPSendVsBare(b *testing.B) {
	cfg := loadgen.Config{Concurrency: 32, Warmup: time.Second, Duration: 3 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	bare := &fasthttp.Server{Handler: bareHandler}
	go bare.Serve(ln)
	defer bare.Shutdown()
	cpu0 := cpuTime()
	rb, err := loadgen.Run(context.Background(), cfg, otpScenario(ln.Addr().String()))
	if err != nil {
		b.Fatal(err)
	}
	cpuBare := perRequest(cpuTime()-cpu0, rb)

	host := func(service string) (loadgen.Result, time.Duration) {
		e := newEnv(b, func(c *config) {
			c.auth.SendsPerNumberPerHour = 1 << 30
			c.auth.SendsPerIPPerHour = 1 << 30
			c.service = service
		})
		c0 := cpuTime()
		r, err := loadgen.Run(context.Background(), cfg, otpScenario(e.base[len("http://"):]))
		if err != nil {
			b.Fatal(err)
		}
		if r.Errors > 0 {
			b.Fatalf("%s: errors %v %v", service, r.ErrorKinds, r.ErrorSamples)
		}
		return r, perRequest(cpuTime()-c0, r)
	}
	rc, cpuConsole := host("CONSOLE")
	rh, cpuKavenegar := host("KAVENEGAR_COM")
	if rb.Errors > 0 {
		b.Fatalf("bare: errors %v", rb.ErrorKinds)
	}
	b.ReportMetric(rb.RPS, "bare-req/s")
	b.ReportMetric(rc.RPS, "console-req/s")
	b.ReportMetric(rh.RPS, "kavenegar-req/s")
	b.ReportMetric(rc.RPS/rb.RPS, "console-ratio")
	b.ReportMetric(rh.RPS/rb.RPS, "kavenegar-ratio")
	b.ReportMetric(float64(cpuKavenegar.Microseconds()), "kavenegar-cpu-µs/req")
	b.Logf("bare %.0f req/s (p50 %v p99 %v), %v CPU/req", rb.RPS, rb.P50, rb.P99, cpuBare)
	b.Logf("otp/send, CONSOLE plugin: %.0f req/s (p50 %v p99 %v), ratio %.2f, %v CPU/req", rc.RPS, rc.P50, rc.P99, rc.RPS/rb.RPS, cpuConsole)
	b.Logf("otp/send, Kavenegar plugin + fake Kavenegar: %.0f req/s (p50 %v p99 %v), ratio %.2f, %v CPU/req", rh.RPS, rh.P50, rh.P99, rh.RPS/rb.RPS, cpuKavenegar)
	b.Logf("(CPU per request is the whole process: load tool, server and fake provider, warm-up included)")
}

// BenchmarkHandler measures the handler alone (no sockets, CONSOLE plugin,
// real Badger) for a few requests, to watch time and allocations per request.
func BenchmarkHandler(b *testing.B) {
	e := newEnv(b, func(c *config) {
		c.auth.SendsPerNumberPerHour = 1 << 30
		c.auth.SendsPerIPPerHour = 1 << 30
		c.service = "CONSOLE"
	})
	h := e.srv.Handler()
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4000}
	run := func(b *testing.B, method, path string, body func(i int) []byte, want int) {
		b.ReportAllocs()
		var ctx fasthttp.RequestCtx
		var r fasthttp.Request
		for i := 0; b.Loop(); i++ {
			r.Reset()
			r.Header.SetMethod(method)
			r.SetRequestURI(path)
			r.Header.SetContentType("application/json")
			if body != nil {
				r.SetBody(body(i))
			}
			ctx.Init(&r, addr, nil)
			h(&ctx)
			if ctx.Response.StatusCode() != want {
				b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
		}
	}
	buf := make([]byte, 0, 64)
	b.Run("otp_send", func(b *testing.B) {
		run(b, "POST", "/api/otp/send/", func(i int) []byte {
			buf = append(buf[:0], `{"mobile_number":"091`...)
			buf = strconv.AppendInt(buf, int64(10_000_000+i%90_000_000), 10)
			return append(buf, `"}`...)
		}, 200)
	})
	b.Run("otp_send_invalid", func(b *testing.B) {
		run(b, "POST", "/api/otp/send/", func(int) []byte { return []byte(`{"mobile_number":"123"}`) }, 400)
	})
	b.Run("healthz", func(b *testing.B) { run(b, "GET", "/healthz", nil, 200) })
	b.Run("not_found", func(b *testing.B) { run(b, "GET", "/nope", nil, 404) })
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// perRequest divides CPU time by the requests of r and its warm-up (whose
// count is not reported: it is estimated at the measured rate).
func perRequest(cpu time.Duration, r loadgen.Result) time.Duration {
	n := float64(r.Requests) * (1 + float64(time.Second)/float64(r.Duration))
	if n == 0 {
		return 0
	}
	return time.Duration(float64(cpu) / n)
}
