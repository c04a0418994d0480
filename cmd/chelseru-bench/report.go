package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/chelseru/chelseru/internal/loadgen"
)

// Figures of the original Django package, measured by the author
// on the same kind of machine.
const (
	djangoSend   = "~65 req/s"
	djangoLogins = "27-46 logins/s"
)

// report is everything one run prints.
type report struct {
	Commit   string            `json:"commit"`
	Date     time.Time         `json:"date"`
	Machine  machine           `json:"machine"`
	Server   string            `json:"server,omitempty"`
	Settings settings          `json:"settings"`
	Results  []scenarioResult  `json:"results"`
	Django   map[string]string `json:"django"`
	Notes    []string          `json:"notes"`
	// Runs is every run's figures when there were several (-runs).
	Runs []runRow `json:"runs,omitempty"`
}

type machine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model,omitempty"`
	// LoadAvg is the 1-minute load average when the run began (-1 unknown):
	// other work on the machine makes the figures unreliable.
	LoadAvg float64 `json:"load_avg_1m"`
	OS      string  `json:"os"`
	Go      string  `json:"go"`
}

type settings struct {
	Concurrency int           `json:"concurrency"`
	Warmup      time.Duration `json:"warmup_ns"`
	Duration    time.Duration `json:"duration_ns"`
	Timeout     time.Duration `json:"timeout_ns"`
	// ServerLogLevel is the LOG.LEVEL given to the server ("" = default).
	ServerLogLevel string `json:"server_log_level,omitempty"`
}

// scenarioResult is one row of the table.
type scenarioResult struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Unit  string `json:"unit"`
	loadgen.Result
	// Ratio is RPS over the bare handler's RPS; nil without a bare run.
	Ratio *float64 `json:"ratio_to_bare,omitempty"`
	// Target is the least acceptable Ratio; nil when there is none.
	Target *float64 `json:"target,omitempty"`
	Met    *bool    `json:"target_met,omitempty"`
	// LoadCPU and ServerCPU are the cores used by this process (the load
	// tool; for bare, also the handler) and by the server; -1 unknown.
	LoadCPU   float64 `json:"load_cpu_cores"`
	ServerCPU float64 `json:"server_cpu_cores"`
	// PerCPU is units per CPU-second of both processes (RPS over the cores
	// used; for bare, over this process's): a figure less sensitive to
	// other work on the machine than RPS. 0 when unknown.
	PerCPU float64 `json:"units_per_cpu_second,omitempty"`
	// PerCPURatio is PerCPU over the bare handler's PerCPU.
	PerCPURatio *float64 `json:"per_cpu_ratio_to_bare,omitempty"`
	// ProviderCalls is how many requests the fake provider served.
	ProviderCalls int64  `json:"provider_calls,omitempty"`
	Error         string `json:"error,omitempty"`
}

func newReport(ctx context.Context, o options) *report {
	return &report{
		Commit: gitCommit(ctx),
		Date:   time.Now().UTC().Truncate(time.Second),
		Machine: machine{
			CPUs:       runtime.NumCPU(),
			GOMAXPROCS: runtime.GOMAXPROCS(0),
			CPUModel:   cpuModel(),
			LoadAvg:    loadAvg(),
			OS:         runtime.GOOS + "/" + runtime.GOARCH,
			Go:         runtime.Version(),
		},
		Settings: settings{Concurrency: o.Concurrency, Warmup: o.Warmup, Duration: o.Duration, Timeout: o.Timeout, ServerLogLevel: o.ServerLogLevel},
		Django:   map[string]string{scenarioSend: djangoSend, scenarioLogin: djangoLogins},
	}
}

// add appends a row; err, when not nil, is shown in the row.
func (r *report) add(s scenarioResult, err error) {
	if err != nil {
		s.Error = firstLine(err.Error())
	}
	r.Results = append(r.Results, s)
}

// finish computes the ratios to the bare handler and the targets.
func (r *report) finish() {
	for i := range r.Results {
		s := &r.Results[i]
		cores := s.LoadCPU + s.ServerCPU
		if s.ServerCPU < 0 {
			cores = -1
		}
		if s.LoadCPU > 0 && cores > 0 {
			s.PerCPU = s.RPS / cores
		}
	}
	var bare, barePerCPU float64
	for _, s := range r.Results {
		if s.Name == scenarioBare && s.Error == "" {
			bare, barePerCPU = s.RPS, s.PerCPU
		}
	}
	for i := range r.Results {
		s := &r.Results[i]
		if barePerCPU > 0 && s.PerCPU > 0 {
			s.PerCPURatio = ptr(s.PerCPU / barePerCPU)
		}
		switch s.Name {
		case scenarioSend:
			s.Target = ptr(targetSend)
		case scenarioLogin:
			s.Target = ptr(targetLogin)
		}
		if bare <= 0 {
			continue
		}
		s.Ratio = ptr(s.RPS / bare)
		if s.Target != nil {
			s.Met = ptr(s.Error == "" && *s.Ratio >= *s.Target)
		}
	}
	r.Notes = append(r.Notes,
		fmt.Sprintf("The load tool and the server share the same %d CPUs: the rates are for both together. The bare handler runs in a child process of its own, as the server does.", r.Machine.CPUs),
		"Closed loop: each worker keeps one keep-alive connection and sends its next unit when the previous one is answered. Rates count successful units only; latencies are of successful units.",
		"CPU: cores used during the scenario (warm-up included); the load tool's share includes the in-process fake Kavenegar. Per CPU-second: units per second of CPU used by both processes, less sensitive to other work on the machine than the rate (the targets are on the rate).",
		"Server scenarios: the real binary with the KAVENEGAR_COM plugin calling a local fake Kavenegar over HTTP, a fresh data folder, send limits raised out of the way, a new mobile number per send.",
	)
}

// busy reports whether the load average at the start was over a quarter of
// the CPUs: figures then understate what the machine can do.
func (m machine) busy() bool { return m.LoadAvg > float64(m.CPUs)/4 }

// writeRunHeader prints the lines every report begins with: the commit and
// date, the machine, and its load at the start.
func writeRunHeader(bw *bufio.Writer, commit string, date time.Time, m machine) {
	fmt.Fprintf(bw, "- commit: `%s`, %s\n", commit, date.Format(time.RFC3339))
	model := m.CPUModel
	if model == "" {
		model = "unknown CPU"
	}
	fmt.Fprintf(bw, "- machine: %d CPUs (%s), GOMAXPROCS %d, %s, %s\n", m.CPUs, model, m.GOMAXPROCS, m.OS, m.Go)
	if m.LoadAvg >= 0 {
		fmt.Fprintf(bw, "- load average at the start: %.2f", m.LoadAvg)
		if m.busy() {
			fmt.Fprint(bw, " (**the machine was busy: these figures understate what it can do**)")
		}
		fmt.Fprintln(bw)
	}
}

// allTargetsMet reports whether every row with a target met it.
func (r *report) allTargetsMet() bool {
	for _, s := range r.Results {
		if s.Target != nil && (s.Met == nil || !*s.Met) {
			return false
		}
	}
	return true
}

func ptr[T any](v T) *T { return &v }

// writeReport prints the report as Markdown, or as indented JSON.
func writeReport(w io.Writer, r *report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "## Load test (chelseru-bench)\n\n")
	writeRunHeader(bw, r.Commit, r.Date, r.Machine)
	if r.Server != "" {
		fmt.Fprintf(bw, "- server: `%s`\n", r.Server)
	}
	fmt.Fprintf(bw, "- load: %d closed-loop workers (one connection each), %s warm-up + %s measured per scenario, %s per-request timeout\n\n",
		r.Settings.Concurrency, r.Settings.Warmup, r.Settings.Duration, r.Settings.Timeout)

	fmt.Fprintln(bw, "| scenario | rate | p50 | p90 | p99 | max | errors | ratio to bare | target | CPU (load tool / server) | per CPU-second (ratio) |")
	fmt.Fprintln(bw, "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")
	for _, s := range r.Results {
		if s.Error != "" && s.Requests == 0 {
			fmt.Fprintf(bw, "| %s | failed | | | | | | | %s | | |\n", s.Label, targetCell(s))
			continue
		}
		fmt.Fprintf(bw, "| %s | %s %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			s.Label, formatRate(s.RPS), s.Unit, formatDur(s.P50), formatDur(s.P90), formatDur(s.P99), formatDur(s.Max),
			errorsCell(s), ratioCell(s.Ratio), targetCell(s), cpuCell(s), perCPUCell(s))
	}
	fmt.Fprintln(bw)
	for _, s := range r.Results {
		if s.Error != "" {
			fmt.Fprintf(bw, "- **%s failed**: %s\n", s.Name, s.Error)
		}
		for k, n := range s.ErrorKinds {
			fmt.Fprintf(bw, "- %s: %d × %s, e.g. `%s`\n", s.Name, n, k, strings.ReplaceAll(s.ErrorSamples[k], "`", "'"))
		}
		if s.ProviderCalls > 0 {
			fmt.Fprintf(bw, "- %s: the fake Kavenegar served %d requests during the run (warm-up included)\n", s.Name, s.ProviderCalls)
		}
	}
	if len(r.Runs) > 0 {
		fmt.Fprintln(bw, "\n| run | scenario | rate | ratio to bare | per CPU-second ratio |")
		fmt.Fprintln(bw, "|---:|---|---:|---:|---:|")
		for _, row := range r.Runs {
			rate := formatRate(row.RPS)
			if row.Error != "" {
				rate = "failed"
			}
			perCPU := "—"
			if row.PerCPURatio != nil {
				perCPU = fmt.Sprintf("%.3f", *row.PerCPURatio)
			}
			fmt.Fprintf(bw, "| %d | %s | %s | %s | %s |\n", row.Run, row.Name, rate, ratioCell(row.Ratio), perCPU)
		}
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "- targets: otp/send ≥ %.2f of the bare handler's req/s, logins/s ≥ %.2f of it\n", targetSend, targetLogin)
	fmt.Fprintf(bw, "- for context, the original Django package (measured by the issue's author): otp/send %s, %s\n", r.Django[scenarioSend], r.Django[scenarioLogin])
	for _, n := range r.Notes {
		fmt.Fprintf(bw, "- %s\n", n)
	}
	return bw.Flush()
}

// writeReportFile writes the JSON report to path.
func writeReportFile(path string, r *report) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("JSON report: %w", err)
	}
	if err := writeReport(f, r, true); err != nil {
		f.Close()
		return fmt.Errorf("JSON report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("JSON report %s: %w", path, err)
	}
	return nil
}

func errorsCell(s scenarioResult) string {
	if s.Requests == 0 {
		return "0"
	}
	if s.Errors == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%.2f%%)", s.Errors, 100*float64(s.Errors)/float64(s.Requests))
}

func ratioCell(r *float64) string {
	if r == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", *r)
}

func perCPUCell(s scenarioResult) string {
	if s.PerCPU <= 0 {
		return "?"
	}
	return fmt.Sprintf("%s (%s)", formatRate(s.PerCPU), ratioCell(s.PerCPURatio))
}

func targetCell(s scenarioResult) string {
	switch {
	case s.Target == nil:
		return "—"
	case s.Met == nil:
		return fmt.Sprintf("≥ %.2f: not measured", *s.Target)
	case *s.Met:
		return fmt.Sprintf("≥ %.2f: **met**", *s.Target)
	default:
		return fmt.Sprintf("≥ %.2f: **not met**", *s.Target)
	}
}

func cpuCell(s scenarioResult) string {
	f := func(v float64) string {
		if v < 0 {
			return "?"
		}
		return fmt.Sprintf("%.2f", v)
	}
	return f(s.LoadCPU) + " / " + f(s.ServerCPU) + " cores"
}

// formatRate prints a rate with thousands separators, or with one decimal
// below 100.
func formatRate(v float64) string {
	if v < 100 {
		return fmt.Sprintf("%.1f", v)
	}
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatDur prints a latency with three significant digits in a fitting unit.
func formatDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d)
	case d < time.Millisecond:
		return sig3(float64(d)/float64(time.Microsecond)) + " µs"
	case d < time.Second:
		return sig3(float64(d)/float64(time.Millisecond)) + " ms"
	default:
		return sig3(d.Seconds()) + " s"
	}
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

// gitCommit is `git rev-parse --short HEAD` (with "-dirty" when tracked
// files differ from it), else the VCS revision this binary was built from,
// else "unknown".
func gitCommit(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err == nil {
		c := strings.TrimSpace(string(out))
		if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
			c += "-dirty"
		}
		return c
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 7 {
				return s.Value[:7]
			}
		}
	}
	return "unknown"
}

// serverVersion is the first line of `bin version`, or "" when it fails.
func serverVersion(ctx context.Context, bin string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return ""
	}
	return firstLine(strings.TrimSpace(string(out)))
}

// loadAvg is the 1-minute load average from /proc/loadavg, or -1.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
