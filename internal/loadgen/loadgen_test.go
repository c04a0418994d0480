package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
		want    Config
	}{
		{"duration only", Config{Concurrency: 2, Duration: time.Second}, "", Config{Concurrency: 2, Duration: time.Second, Grace: DefaultGrace}},
		{"units only gets the hard cap", Config{Concurrency: 1, Units: 10}, "", Config{Concurrency: 1, Units: 10, Duration: MaxDuration, Grace: DefaultGrace}},
		{"no bound", Config{Concurrency: 1}, "one of duration and units", Config{}},
		{"zero workers", Config{Concurrency: 0, Duration: time.Second}, "concurrency", Config{}},
		{"too many workers", Config{Concurrency: MaxConcurrency + 1, Duration: time.Second}, "concurrency", Config{}},
		{"window too long", Config{Concurrency: 1, Duration: MaxDuration + 1}, "duration", Config{}},
		{"negative warm-up", Config{Concurrency: 1, Duration: time.Second, Warmup: -1}, "warm-up", Config{}},
		{"negative units", Config{Concurrency: 1, Units: -1}, "units", Config{}},
		{"negative grace", Config{Concurrency: 1, Units: 1, Grace: -1}, "grace", Config{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.validate()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("validate() error = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("validate() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestRunCountsUnitsAndErrorsByKind(t *testing.T) {
	var calls atomic.Int64
	s := Scenario{Name: "counted", NewWorker: func(int) (Unit, error) {
		n := 0 // per-worker state
		return func(context.Context) error {
			calls.Add(1)
			n++
			switch n % 4 {
			case 1:
				return &StatusError{Op: "POST /x", Status: 409, Body: "busy"}
			case 2:
				return fmt.Errorf("reading code: %w", errors.New("no code"))
			default:
				return nil
			}
		}, nil
	}}
	res, err := Run(context.Background(), Config{Concurrency: 1, Units: 400}, s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 400 || calls.Load() != 400 {
		t.Fatalf("Requests = %d, calls = %d, want 400 each", res.Requests, calls.Load())
	}
	if res.Errors != 200 || res.ErrorKinds["HTTP 409"] != 100 || res.ErrorKinds[KindOther] != 100 {
		t.Fatalf("Errors = %d, kinds = %v; want 200 = 100 HTTP 409 + 100 other", res.Errors, res.ErrorKinds)
	}
	if !strings.Contains(res.ErrorSamples["HTTP 409"], "busy") {
		t.Fatalf("sample for HTTP 409 = %q", res.ErrorSamples["HTTP 409"])
	}
	if res.Latency.Count() != 200 || res.Scenario != "counted" || res.Concurrency != 1 {
		t.Fatalf("latency count %d, scenario %q, concurrency %d", res.Latency.Count(), res.Scenario, res.Concurrency)
	}
	if res.RPS <= 0 || res.Duration <= 0 {
		t.Fatalf("RPS = %v, Duration = %v, want both positive", res.RPS, res.Duration)
	}
}

func TestRunWarmupIsNotMeasured(t *testing.T) {
	var calls atomic.Int64
	s := Scenario{Name: "warm", NewWorker: func(int) (Unit, error) {
		return func(context.Context) error {
			calls.Add(1)
			time.Sleep(time.Millisecond)
			return nil
		}, nil
	}}
	res, err := Run(context.Background(), Config{Concurrency: 2, Warmup: 30 * time.Millisecond, Units: 10}, s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 10 {
		t.Fatalf("Requests = %d, want 10", res.Requests)
	}
	if calls.Load() <= 10 {
		t.Fatalf("calls = %d, want warm-up calls beyond the 10 measured", calls.Load())
	}
}

func TestRunStopsWhenUnitsIgnoreTheirContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	s := Scenario{Name: "stuck", NewWorker: func(w int) (Unit, error) {
		return func(context.Context) error {
			if w == 0 {
				<-release // ignores ctx on purpose
			}
			time.Sleep(time.Millisecond)
			return nil
		}, nil
	}}
	res, err := Run(context.Background(), Config{Concurrency: 3, Duration: 20 * time.Millisecond, Grace: 20 * time.Millisecond}, s)
	if err == nil || !strings.Contains(err.Error(), "still busy") {
		t.Fatalf("Run error = %v, want a report of busy workers", err)
	}
	if res.Stuck != 1 || res.Requests == 0 {
		t.Fatalf("Stuck = %d, Requests = %d; want 1 stuck worker and the others' units", res.Stuck, res.Requests)
	}
}

func TestRunReleasesUnitsThroughContext(t *testing.T) {
	s := Scenario{Name: "blocking", NewWorker: func(int) (Unit, error) {
		return func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}, nil
	}}
	res, err := Run(context.Background(), Config{Concurrency: 4, Duration: 10 * time.Millisecond, Grace: 40 * time.Millisecond}, s)
	if err != nil {
		t.Fatalf("Run error = %v, want none: every unit returns when its context ends", err)
	}
	if res.Stuck != 0 || res.Requests != 4 || res.ErrorKinds[KindTimeout] != 4 {
		t.Fatalf("Stuck = %d, Requests = %d, kinds = %v; want 4 timed-out units", res.Stuck, res.Requests, res.ErrorKinds)
	}
}

func TestRunRejectsBadScenarios(t *testing.T) {
	cfg := Config{Concurrency: 2, Units: 1}
	if _, err := Run(context.Background(), cfg, Scenario{Name: "none"}); err == nil {
		t.Fatal("Run accepted a scenario without NewWorker")
	}
	boom := errors.New("boom")
	_, err := Run(context.Background(), cfg, Scenario{Name: "failing", NewWorker: func(int) (Unit, error) { return nil, boom }})
	if !errors.Is(err, boom) {
		t.Fatalf("Run error = %v, want it to wrap the worker's error", err)
	}
	_, err = Run(context.Background(), cfg, Scenario{Name: "nil", NewWorker: func(int) (Unit, error) { return nil, nil }})
	if err == nil {
		t.Fatal("Run accepted a nil unit")
	}
}

func TestRunInterruptedByContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := Scenario{Name: "cancel", NewWorker: func(int) (Unit, error) {
		var n int
		return func(context.Context) error {
			if n++; n == 50 {
				cancel()
			}
			return nil
		}, nil
	}}
	res, err := Run(ctx, Config{Concurrency: 1, Duration: MaxDuration}, s)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", err)
	}
	if res.Requests != 50 {
		t.Fatalf("Requests = %d, want the 50 units before the cancel", res.Requests)
	}
}

// startServer serves h on a real socket at 127.0.0.1 and returns its address.
func startServer(t *testing.T, h fasthttp.RequestHandler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: h}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func TestEndToEndOverRealSockets(t *testing.T) {
	var served, conflicts atomic.Int64
	addr := startServer(t, func(ctx *fasthttp.RequestCtx) {
		n := served.Add(1)
		if string(ctx.Path()) != "/api/otp/send/" || !ctx.IsPost() || string(ctx.Request.Header.ContentType()) != "application/json" ||
			!strings.HasPrefix(string(ctx.Request.Header.UserAgent()), "chelseru-bench") {
			ctx.Error("unexpected request", fasthttp.StatusBadRequest)
			return
		}
		if n%5 == 0 {
			conflicts.Add(1)
			ctx.SetStatusCode(fasthttp.StatusConflict)
			ctx.SetBodyString(`{"details": "wait"}`)
			return
		}
		ctx.SetContentType("application/json")
		ctx.SetBody(ctx.PostBody()) // echo
	})
	const workers = 4
	client := NewClient(addr, workers)
	s := Scenario{Name: "echo", NewWorker: func(w int) (Unit, error) {
		hw := NewHTTPWorker(client)
		var body []byte
		var n int
		return func(context.Context) error {
			n++
			body = fmt.Appendf(body[:0], `{"mobile_number":"09%09d"}`, w*1_000_000+n)
			got, err := hw.PostJSON("/api/otp/send/", body, fasthttp.StatusOK)
			if err != nil {
				return err
			}
			if string(got) != string(body) {
				return fmt.Errorf("echo: got %q, want %q", got, body)
			}
			return nil
		}, nil
	}}
	res, err := Run(context.Background(), Config{Concurrency: workers, Warmup: 0, Units: 500}, s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 500 || served.Load() != 500 {
		t.Fatalf("Requests = %d, served = %d; want 500 each", res.Requests, served.Load())
	}
	if res.Errors != conflicts.Load() || res.ErrorKinds["HTTP 409"] != conflicts.Load() || len(res.ErrorKinds) != 1 {
		t.Fatalf("Errors = %d, kinds = %v; want exactly the server's %d conflicts", res.Errors, res.ErrorKinds, conflicts.Load())
	}
	if int64(res.Latency.Count()) != 500-conflicts.Load() || res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 {
		t.Fatalf("latency count %d, p50 %v, p99 %v, max %v", res.Latency.Count(), res.P50, res.P99, res.Max)
	}
	if client.ConnsCount() > workers {
		t.Fatalf("client opened %d connections, want at most %d", client.ConnsCount(), workers)
	}
}

func TestHTTPErrorKinds(t *testing.T) {
	release := make(chan struct{})
	addr := startServer(t, func(ctx *fasthttp.RequestCtx) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
	})
	defer close(release) // before the server's shutdown in Cleanup

	// A port nobody listens on: take one and close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name string
		addr string
		want string
	}{
		{"server too slow", addr, KindTimeout},
		{"nobody listening", closed, KindTransport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hw := NewHTTPWorker(NewClient(tt.addr, 1))
			hw.Timeout = 20 * time.Millisecond
			_, err := hw.PostJSON("/", []byte(`{}`), fasthttp.StatusOK)
			if err == nil {
				t.Fatal("PostJSON succeeded, want an error")
			}
			if got := ErrorKind(err); got != tt.want {
				t.Fatalf("ErrorKind(%v) = %q, want %q", err, got, tt.want)
			}
		})
	}
}

func TestErrorKind(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&StatusError{Status: 502}, "HTTP 502"},
		{fmt.Errorf("login: %w", &StatusError{Status: 401}), "HTTP 401"},
		{fasthttp.ErrTimeout, KindTimeout},
		{context.DeadlineExceeded, KindTimeout},
		{fasthttp.ErrConnectionClosed, KindTransport},
		{fasthttp.ErrNoFreeConns, KindTransport},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, KindTransport},
		{errors.New("no code for 09120000000"), KindOther},
	}
	for _, tt := range tests {
		if got := ErrorKind(tt.err); got != tt.want {
			t.Errorf("ErrorKind(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
