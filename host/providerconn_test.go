package host_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru/internal/fakeprovider"
)

// TestProviderClosesIdleConnections (issue 8, item 10): a provider that
// closes idle keep-alive connections after 1 s (Apache does after 5 s) gets
// every otp/send through, each on a new connection: the host notices the
// pooled connection was closed before writing on it and makes the request
// again, instead of answering 502.
func TestProviderClosesIdleConnections(t *testing.T) {
	e := newEnv(t, func(c *config) { c.fake = []fakeprovider.Option{fakeprovider.WithIdleTimeout(time.Second)} })
	const rounds = 4
	for i := range rounds {
		if i > 0 {
			time.Sleep(1500 * time.Millisecond) // the provider closes the idle connection meanwhile
		}
		e.sendOTP("0912100000" + strconv.Itoa(i)) // 200, and the provider got the code
	}
	if n := e.sms.fake.Conns(); n != rounds {
		t.Fatalf("the provider accepted %d connections, want %d (one per send)", n, rounds)
	}
	if n := e.sms.count(); n != rounds {
		t.Fatalf("the provider served %d requests, want %d", n, rounds)
	}
}

// TestFailedSendGivesBackLimits (issue 8, item 10): a send that failed on
// our side (the provider could not be reached: nothing was sent) gives back
// the number's and the address's sends; a send the provider answered with
// an error still counts.
func TestFailedSendGivesBackLimits(t *testing.T) {
	e := newEnv(t, func(c *config) {
		c.auth.SendsPerNumberPerHour = 1
		c.auth.SendsPerIPPerHour = 2
	})
	e.sms.fake.Close() // nobody listens there now: every send fails before reaching it
	for range 4 {
		r := e.post("/api/otp/send/", map[string]any{"mobile_number": mobileA})
		want(t, r, http.StatusBadGateway, "")
	}
	if !strings.Contains(e.logs.String(), "unreachable") {
		t.Fatalf("the failures were not provider-unreachable:\n%s", e.logs)
	}

	e2 := newEnv(t, func(c *config) {
		c.auth.SendsPerNumberPerHour = 1
		c.auth.SendsPerIPPerHour = 2
	})
	e2.sms.setBehavior(bServerError) // the provider answers: the send counts
	want(t, e2.post("/api/otp/send/", map[string]any{"mobile_number": mobileA}), http.StatusBadGateway, "")
	want(t, e2.post("/api/otp/send/", map[string]any{"mobile_number": mobileA}), http.StatusTooManyRequests, "")
	want(t, e2.post("/api/otp/send/", map[string]any{"mobile_number": mobileB}), http.StatusBadGateway, "")
	want(t, e2.post("/api/otp/send/", map[string]any{"mobile_number": "09127777777"}), http.StatusTooManyRequests, "")
}
