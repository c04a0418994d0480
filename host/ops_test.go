package host_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru/host"
)

func TestRoutingErrors(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		method, path string
		status       int
		body, allow  string
	}{
		{"GET", "/api/otp/send/", 405, `{"detail":"Method \"GET\" not allowed."}`, "POST"},
		{"PUT", "/api/authenticate/", 405, `{"detail":"Method \"PUT\" not allowed."}`, "POST"},
		{"GET", "/api/token/refresh/", 405, `{"detail":"Method \"GET\" not allowed."}`, "POST"},
		{"DELETE", "/api/token/verify/", 405, `{"detail":"Method \"DELETE\" not allowed."}`, "POST"},
		{"POST", "/api/sessions/", 405, `{"detail":"Method \"POST\" not allowed."}`, "GET, HEAD"},
		{"GET", "/api/sessions/12/", 405, `{"detail":"Method \"GET\" not allowed."}`, "DELETE"},
		{"GET", "/api/message/send/", 405, `{"detail":"Method \"GET\" not allowed."}`, "POST"},
		{"POST", "/healthz", 405, `{"detail":"Method \"POST\" not allowed."}`, "GET, HEAD"},
		{"GET", "/", 404, `{"detail":"Not found."}`, ""},
		{"GET", "/api/otp/send", 404, `{"detail":"Not found."}`, ""},
		{"POST", "/api/password/set/", 404, `{"detail":"Not found."}`, ""},
		{"GET", "/api/sessions/-1/", 404, `{"detail":"Not found."}`, ""},
		{"GET", "/api/sessions/99999999999999999999999/", 404, `{"detail":"Not found."}`, ""},
	}
	for _, c := range cases {
		r := e.do(req{method: c.method, path: c.path})
		want(t, r, c.status, c.body)
		if got := r.header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-Id": "abc-123_x.y:z"}})
	if got := r.header.Get("X-Request-Id"); got != "abc-123_x.y:z" {
		t.Fatalf("sane id not kept: %q", got)
	}
	seen := map[string]bool{}
	for _, in := range []string{"", "has space", strings.Repeat("a", 65), "<script>"} {
		h := map[string]string{}
		if in != "" {
			h["X-Request-Id"] = in
		}
		id := e.do(req{method: "GET", path: "/nope", header: h}).header.Get("X-Request-Id")
		if id == "" || id == in || seen[id] {
			t.Fatalf("for incoming %q got id %q", in, id)
		}
		seen[id] = true
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	var notReady error
	e := newEnv(t, func(c *config) {
		c.ready = func() error { return notReady }
	})
	want(t, e.get("/healthz", ""), http.StatusOK, `{"status":"ok"}`)
	want(t, e.get("/readyz", ""), http.StatusOK, `{"status":"ready"}`)
	r := e.do(req{method: "HEAD", path: "/healthz"})
	want(t, r, http.StatusOK, "")
	notReady = errors.New("storage: open /tmp/x: badger closed")
	want(t, e.get("/readyz", ""), http.StatusServiceUnavailable, `{"status":"unavailable"}`)
	notReady = nil

	e.sendOTP(mobileA)
	want(t, e.post("/api/otp/send/", map[string]any{"mobile_number": mobileA}), http.StatusConflict, "")
	m := e.get("/metrics", "")
	want(t, m, http.StatusOK, "")
	for _, s := range []string{
		`chelseru_http_requests_total{route="otp_send",status="200"} 1`,
		`chelseru_http_requests_total{route="otp_send",status="409"} 1`,
		`chelseru_http_requests_total{route="readyz",status="503"} 1`,
		`chelseru_otp_sends_total{outcome="ok"} 1`,
		`chelseru_otp_sends_total{outcome="conflict"} 1`,
		`chelseru_http_request_duration_seconds_bucket{route="otp_send",le="+Inf"} 2`,
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !bytes.Contains(m.body, []byte(s)) {
			t.Errorf("metrics lack %q", s)
		}
	}
}

// TestBodyTooLarge: a 4 MB body gets a JSON 413 that the client actually
// reads (the server lingers instead of resetting the connection), and the
// server keeps serving.
func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t)
	big := `{"mobile_number":"` + strings.Repeat("9", 4<<20) + `"}`
	for _, path := range []string{"/api/otp/send/", "/api/authenticate/", "/api/message/send/"} {
		r := e.post(path, big)
		want(t, r, http.StatusRequestEntityTooLarge, `{"detail":"Request body is too large."}`)
	}
	// Chunked, without Content-Length: the limit holds while reading.
	hr, err := http.NewRequest("POST", e.base+"/api/otp/send/", io.MultiReader(strings.NewReader(big)))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.ContentLength = -1
	res, err := e.client.Do(hr)
	if err != nil {
		t.Fatalf("chunked 4 MB: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || string(b) != `{"detail":"Request body is too large.","code":"body_too_large"}` || res.Header.Get("X-Error-Code") != "body_too_large" {
		t.Fatalf("chunked 4 MB: %d %s", res.StatusCode, b)
	}
	// Just under the limit is read (and refused on its merits).
	ok := `{"mobile_number":"` + strings.Repeat(" ", host.DefaultMaxBodyBytes-40) + `09121234567"}`
	want(t, e.post("/api/otp/send/", ok), http.StatusOK, "")
	want(t, e.get("/healthz", ""), http.StatusOK, "")
}

// TestRawProtocolErrors speaks raw HTTP/1.1 to check answers to requests no
// client library would send.
func TestRawProtocolErrors(t *testing.T) {
	e := newEnv(t)
	addr := strings.TrimPrefix(e.base, "http://")
	raw := func(t *testing.T, request string) (int, string) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, request); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		assertClean(t, b)
		return res.StatusCode, string(b)
	}
	t.Run("headers too large", func(t *testing.T) {
		st, body := raw(t, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 20<<10)+"\r\n\r\n")
		if st != http.StatusRequestHeaderFieldsTooLarge || body != `{"detail":"Request headers are too large.","code":"headers_too_large"}` {
			t.Fatalf("%d %s", st, body)
		}
	})
	t.Run("malformed request line", func(t *testing.T) {
		st, body := raw(t, "BLAH\r\n\r\n")
		if st != http.StatusBadRequest || body != `{"detail":"Malformed request.","code":"malformed_request"}` {
			t.Fatalf("%d %s", st, body)
		}
	})
	t.Run("content-length lies", func(t *testing.T) {
		st, body := raw(t, "POST /api/otp/send/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{}")
		if st != http.StatusRequestEntityTooLarge || body != `{"detail":"Request body is too large.","code":"body_too_large"}` {
			t.Fatalf("%d %s", st, body)
		}
	})
	want(t, e.get("/healthz", ""), http.StatusOK, "")
}

// TestShutdownFinishesInFlight: Shutdown waits for a request in progress,
// which completes normally.
func TestShutdownFinishesInFlight(t *testing.T) {
	e := newEnv(t, func(c *config) { c.smsTimeout = 30 * time.Second })
	e.sms.setBehavior(bHang)
	type result struct {
		r   resp
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := e.roundTrip(req{method: "POST", path: "/api/otp/send/", body: `{"mobile_number":"09121234567"}`})
		done <- result{r, err}
	}()
	for e.sms.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		shut <- e.srv.Shutdown(ctx)
	}()
	// New connections are refused once Shutdown has closed the listener.
	for {
		c, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned while a request was in flight: %v", err)
	case res := <-done:
		t.Fatalf("request finished while the provider hangs: %+v", res)
	default:
	}
	e.sms.setBehavior(bOK)
	res := <-done
	if res.err != nil {
		t.Fatalf("in-flight request: %v", res.err)
	}
	if res.r.status != http.StatusOK {
		t.Fatalf("in-flight request: %d %s", res.r.status, res.r.body)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

// TestInternalErrors: a storage failure is a 500 with a fixed body, logged
// with the request id and the cause; readiness reports it.
func TestInternalErrors(t *testing.T) {
	e := newEnv(t)
	a, _ := e.login(mobileA, 0)
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	const body = `{"detail":"Internal server error."}`
	for _, r := range []req{
		{method: "POST", path: "/api/otp/send/", body: `{"mobile_number":"09121234567"}`, header: map[string]string{"X-Request-Id": "req-otp-500"}},
		{method: "POST", path: "/api/authenticate/", body: `{"mobile_number":"09121234567","code":"12345678"}`},
		{method: "POST", path: "/api/token/verify/", body: `{"token":"` + a + `"}`},
		{method: "GET", path: "/api/sessions/", header: map[string]string{"Authorization": "Bearer " + a}},
		{method: "POST", path: "/api/message/send/", body: `{"mobile_number":"09121234567","message_text":"x"}`, header: map[string]string{"Authorization": "Bearer " + a}},
	} {
		want(t, e.do(r), http.StatusInternalServerError, body)
	}
	want(t, e.get("/readyz", ""), http.StatusServiceUnavailable, `{"status":"unavailable"}`)
	logs := e.logs.String()
	if !strings.Contains(logs, "request_id=req-otp-500") || !strings.Contains(logs, "storage closed") {
		t.Fatalf("the 500 is not logged with its request id and cause:\n%s", logs)
	}
}

// TestPanicRecovered: a panic below a handler is a clean 500, logged with
// the stack, and the server keeps serving.
func TestPanicRecovered(t *testing.T) {
	e := newEnv(t)
	e.store.mu.Lock()
	e.store.panicOn = mobileB
	e.store.mu.Unlock()
	r := e.do(req{method: "POST", path: "/api/otp/send/", body: `{"mobile_number":"09351112233"}`, header: map[string]string{"X-Request-Id": "req-panic"}})
	want(t, r, http.StatusInternalServerError, `{"detail":"Internal server error."}`)
	if r.header.Get("X-Request-Id") != "req-panic" {
		t.Fatalf("request id %q", r.header.Get("X-Request-Id"))
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "request_id=req-panic") || !strings.Contains(logs, "test panic in the store") || !strings.Contains(logs, "goroutine") {
		t.Fatalf("panic not logged with id and stack:\n%s", logs)
	}
	e.sendOTP(mobileA)
	want(t, e.get("/healthz", ""), http.StatusOK, "")
}

// recTB records failures instead of failing, to test the test helpers.
type recTB struct {
	testing.TB
	failed bool
}

func (r *recTB) Helper()               {}
func (r *recTB) Errorf(string, ...any) { r.failed = true }

// TestAssertCleanCatchesLeaks: the leak check is not vacuous.
func TestAssertCleanCatchesLeaks(t *testing.T) {
	for _, body := range []string{
		`{"detail":"storage: open /tmp/x: badger: closed"}`,
		`{"detail":"panic: runtime error"}`,
		`{"detail":"dial tcp 127.0.0.1:1: connection refused"}`,
		`{"detail":"context deadline exceeded"}`,
		`{"detail":"at /work/main/host/errors.go:42"}`,
	} {
		r := &recTB{TB: t}
		assertClean(r, []byte(body))
		if !r.failed {
			t.Errorf("assertClean passed %s", body)
		}
	}
	r := &recTB{TB: t}
	assertClean(r, []byte(`{"details":"The SMS service provider was unable to process the request.","errorcode":418,"errortext":"اعتبار کافی نیست"}`))
	if r.failed {
		t.Errorf("assertClean refused a clean body")
	}
}
