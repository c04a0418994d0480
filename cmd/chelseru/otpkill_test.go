package main

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestOTPKill9KeepsAcknowledgedCodes kills the server with SIGKILL while
// clients ask for codes concurrently (their writes share group commits),
// restarts it on the same data folder and logs in with every code the
// server acknowledged with a 200: none was lost.
func TestOTPKill9KeepsAcknowledgedCodes(t *testing.T) {
	dir, addr := t.TempDir(), freePort(t)
	start := func() *server {
		return startServerWith(t, dir, addr, "AUTH:\n  OPTIONS:\n    OTP_SENDS_PER_IP_PER_HOUR: 1000000\n    AUTHENTICATE_PER_IP_PER_HOUR: 1000000\n")
	}
	s := start()

	var (
		mu    sync.Mutex
		acked []string
	)
	enough := make(chan struct{})
	var senders sync.WaitGroup
	for w := range 16 {
		senders.Add(1)
		go func() { // until the server dies
			defer senders.Done()
			for i := 0; ; i++ {
				mobile := fmt.Sprintf("0912%03d%04d", w, i)
				resp, err := http.Post(s.base+"/api/otp/send/", "application/json",
					strings.NewReader(`{"mobile_number":"`+mobile+`"}`))
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("otp/send %s: %d", mobile, resp.StatusCode)
					return
				}
				mu.Lock()
				if acked = append(acked, mobile); len(acked) == 300 {
					close(enough)
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-enough:
	case <-time.After(2 * time.Minute):
		t.Fatal("300 codes were never acknowledged")
	}
	if err := s.cmd.Process.Kill(); err != nil { // SIGKILL mid-stream
		t.Fatal(err)
	}
	<-s.done
	senders.Wait()
	t.Logf("%d codes acknowledged before the kill", len(acked))

	// The console plugin logged each code before its 200 was sent.
	logs := s.logs.String()
	s2 := start()
	for _, mobile := range acked {
		m := regexp.MustCompile(mobile + `.*\[(\d{8})\]`).FindStringSubmatch(logs)
		if m == nil {
			t.Fatalf("no code logged for %s", mobile)
		}
		var tok struct{ Access string }
		if st := s2.post("/api/authenticate/", "", map[string]string{"mobile_number": mobile, "code": m[1]}, &tok); st != 200 || tok.Access == "" {
			t.Fatalf("authenticate %s after the restart: %d, want 200", mobile, st)
		}
	}
}
