package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru/internal/loadgen"
)

func TestReportRatiosAndTargets(t *testing.T) {
	tests := []struct {
		name              string
		bare, send, login float64
		loginErr          error
		wantSend          *bool
		wantLogin         *bool
		allMet            bool
	}{
		{"both met", 40000, 9000, 4000, nil, ptr(true), ptr(true), true},
		{"exactly at the targets", 1000, 200, 80, nil, ptr(true), ptr(true), true},
		{"send below", 40000, 7000, 4000, nil, ptr(false), ptr(true), false},
		{"login failed", 40000, 9000, 4000, errors.New("server exited"), ptr(true), ptr(false), false},
		{"no bare run", 0, 9000, 4000, nil, nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &report{Machine: machine{CPUs: 2}}
			if tt.bare > 0 {
				r.add(scenarioResult{Name: scenarioBare, Result: loadgen.Result{RPS: tt.bare}}, nil)
			}
			r.add(scenarioResult{Name: scenarioSend, Result: loadgen.Result{RPS: tt.send}}, nil)
			r.add(scenarioResult{Name: scenarioLogin, Result: loadgen.Result{RPS: tt.login}}, tt.loginErr)
			r.finish()
			got := map[string]*bool{}
			for _, s := range r.Results {
				got[s.Name] = s.Met
			}
			if !equalPtr(got[scenarioSend], tt.wantSend) || !equalPtr(got[scenarioLogin], tt.wantLogin) {
				t.Fatalf("met = send %v, login %v; want %v, %v", deref(got[scenarioSend]), deref(got[scenarioLogin]), deref(tt.wantSend), deref(tt.wantLogin))
			}
			if r.allTargetsMet() != tt.allMet {
				t.Fatalf("allTargetsMet = %v, want %v", r.allTargetsMet(), tt.allMet)
			}
		})
	}
}

func equalPtr(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(p *bool) string {
	if p == nil {
		return "nil"
	}
	if *p {
		return "true"
	}
	return "false"
}

func TestWriteReport(t *testing.T) {
	r := &report{Commit: "abc1234", Date: time.Date(2026, 11, 29, 21, 0, 0, 0, time.UTC), Machine: machine{CPUs: 2, GOMAXPROCS: 2, OS: "linux/amd64", Go: "go1.26.8", LoadAvg: 0.1},
		Settings: settings{Concurrency: 64, Warmup: 2 * time.Second, Duration: 10 * time.Second, Timeout: 10 * time.Second},
		Django:   map[string]string{scenarioSend: djangoSend, scenarioLogin: djangoLogins}}
	r.add(scenarioResult{Name: scenarioBare, Label: labelOf(scenarioBare), Unit: "req/s", LoadCPU: 0.9, ServerCPU: 1.0,
		Result: loadgen.Result{Requests: 500000, RPS: 50000, P50: 1200 * time.Microsecond, P99: 4 * time.Millisecond}}, nil)
	r.add(scenarioResult{Name: scenarioSend, Label: labelOf(scenarioSend), Unit: "req/s", LoadCPU: 0.7, ServerCPU: 1.2,
		Result: loadgen.Result{Requests: 120001, Errors: 1, ErrorKinds: map[string]int64{"HTTP 502": 1}, ErrorSamples: map[string]string{"HTTP 502": "POST /api/otp/send/: HTTP 502: `x`"}, RPS: 12000, P50: 5 * time.Millisecond}}, nil)
	r.add(scenarioResult{Name: scenarioLogin, Label: labelOf(scenarioLogin), Unit: "logins/s"}, errors.New("starting the server: boom\nlog tail"))
	r.finish()

	var md bytes.Buffer
	if err := writeReport(&md, r, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"- commit: `abc1234`, 2026-11-29T21:00:00Z",
		"| bare fasthttp handler (ceiling) | 50,000 req/s | 1.20 ms |",
		"| POST /api/otp/send/ | 12,000 req/s | 5.00 ms |",
		"| 1 (0.00%) | 0.240 | ≥ 0.20: **met** | 0.70 / 1.20 cores | 6,316 (0.240) |",
		"| 0 | 1.000 | — | 0.90 / 1.00 cores | 26,316 (1.000) |",
		"| whole login (send, read code, authenticate) | failed |",
		"≥ 0.08: **not met**",
		"- **login failed**: starting the server: boom …",
		"- otp-send: 1 × HTTP 502, e.g. `POST /api/otp/send/: HTTP 502: 'x'`",
		"otp/send ~65 req/s, 27-46 logins/s",
		"share the same 2 CPUs",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
	var js bytes.Buffer
	if err := writeReport(&js, r, true); err != nil {
		t.Fatal(err)
	}
	var back report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Results) != 3 || back.Results[1].Ratio == nil || *back.Results[1].Ratio != 0.24 {
		t.Fatalf("JSON round trip: %v %+v", err, back.Results)
	}
}

func TestFormatting(t *testing.T) {
	for v, want := range map[float64]string{0: "0.0", 65.26: "65.3", 100: "100", 1234.4: "1,234", 49999.6: "50,000", 1234567: "1,234,567"} {
		if got := formatRate(v); got != want {
			t.Errorf("formatRate(%v) = %q, want %q", v, got, want)
		}
	}
	for d, want := range map[time.Duration]string{0: "0", 999: "999 ns", 1500: "1.50 µs", 43210 * time.Nanosecond: "43.2 µs",
		1234 * time.Microsecond: "1.23 ms", 250 * time.Millisecond: "250 ms", 2 * time.Second: "2.00 s"} {
		if got := formatDur(d); got != want {
			t.Errorf("formatDur(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestMedianReport: with three runs each scenario keeps the run with the
// median ratio (bare: the median rate), the targets are judged on it, and
// every run is listed.
func TestMedianReport(t *testing.T) {
	run := func(bare, send, login float64) *report {
		r := &report{Machine: machine{CPUs: 2}}
		r.add(scenarioResult{Name: scenarioBare, Label: labelOf(scenarioBare), Result: loadgen.Result{RPS: bare}}, nil)
		r.add(scenarioResult{Name: scenarioSend, Label: labelOf(scenarioSend), Result: loadgen.Result{RPS: send}}, nil)
		r.add(scenarioResult{Name: scenarioLogin, Label: labelOf(scenarioLogin), Result: loadgen.Result{RPS: login}}, nil)
		r.finish()
		return r
	}
	// send ratios 0.19, 0.21, 0.25; login ratios 0.10, 0.07, 0.09.
	m := medianReport([]*report{run(100000, 19000, 10000), run(100000, 21000, 7000), run(80000, 20000, 7200)})
	got := map[string]float64{}
	for _, s := range m.Results {
		got[s.Name] = s.RPS
	}
	if got[scenarioBare] != 100000 || got[scenarioSend] != 21000 || got[scenarioLogin] != 7200 {
		t.Fatalf("median rows: %v", got)
	}
	if !m.allTargetsMet() {
		t.Error("median send 0.21 and login 0.09 meet the targets")
	}
	if len(m.Runs) != 9 {
		t.Fatalf("%d run rows, want 9", len(m.Runs))
	}
	var b bytes.Buffer
	if err := writeReport(&b, m, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| 3 | otp-send | 20,000 | 0.250 |") || !strings.Contains(b.String(), "median ratio") {
		t.Fatalf("report:\n%s", b.String())
	}
	if one := run(1, 1, 1); medianReport([]*report{one}) != one {
		t.Error("one run is not reported as it is")
	}
}
