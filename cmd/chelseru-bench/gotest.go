package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// maxGotestLine bounds one line of `go test` output.
const maxGotestLine = 1 << 20

// benchLine is one benchmark result from `go test -bench`.
type benchLine struct {
	Pkg     string
	Name    string // with the -GOMAXPROCS suffix, as go test prints it
	N       int64
	NsPerOp float64 // -1 when absent
	BPerOp  float64 // -1 when absent (no -benchmem)
	Allocs  float64 // -1 when absent
	Other   []string
}

// pkgStatus is the outcome of one package in `go test` output.
type pkgStatus struct {
	Pkg    string
	Status string // "ok", "FAIL", "no test files", ...
	Benchs int
}

// gotestSummary is everything parsed out of `go test -bench` output.
type gotestSummary struct {
	Benchmarks []benchLine
	Packages   []pkgStatus
	Failures   []string // "--- FAIL" and "panic:" lines, bounded
}

// Bounds on the failures kept: how many, and the length of each with the
// indented lines that follow it.
const (
	maxFailures   = 50
	maxFailureLen = 400
)

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// parseGotest reads `go test -bench -benchmem` output (several packages
// concatenated is fine).
func parseGotest(r io.Reader) (gotestSummary, error) {
	var s gotestSummary
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxGotestLine)
	var pkg, pending string
	counts := map[string]int{}
	detail := 0 // indented lines still to attach to the last failure
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if detail > 0 && len(s.Failures) > 0 && trimmed != "" && (line[0] == ' ' || line[0] == '\t') {
			last := &s.Failures[len(s.Failures)-1]
			*last = truncate(*last+" / "+trimmed, maxFailureLen)
			detail--
			continue
		}
		detail = 0
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimSpace(strings.TrimPrefix(line, "pkg: "))
			pending = ""
		case strings.HasPrefix(line, "Benchmark"):
			f := strings.Fields(line)
			if len(f) == 1 { // the benchmark printed output before its figures
				pending = f[0]
				continue
			}
			if b, ok := parseBenchFields(pkg, f[0], f[1:]); ok {
				s.Benchmarks = append(s.Benchmarks, b)
				counts[pkg]++
			}
			pending = ""
		case pending != "" && len(trimmed) > 0 && trimmed[0] >= '0' && trimmed[0] <= '9':
			if b, ok := parseBenchFields(pkg, pending, strings.Fields(trimmed)); ok {
				s.Benchmarks = append(s.Benchmarks, b)
				counts[pkg]++
				pending = ""
			}
		case strings.HasPrefix(line, "ok  \t") || strings.HasPrefix(line, "FAIL\t") || strings.HasPrefix(line, "?   \t"):
			f := strings.Split(line, "\t")
			if len(f) < 2 {
				continue
			}
			p := strings.TrimSpace(f[1])
			st := strings.TrimSpace(f[0])
			if st == "?" {
				st = "no test files"
			} else if len(f) > 2 && strings.Contains(f[2], "[") {
				st += " " + strings.TrimSpace(f[2][strings.Index(f[2], "["):])
			}
			s.Packages = append(s.Packages, pkgStatus{Pkg: p, Status: st, Benchs: counts[p]})
		case strings.HasPrefix(trimmed, "--- FAIL") || strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "# "):
			if len(s.Failures) < maxFailures {
				s.Failures = append(s.Failures, truncate(trimmed, maxFailureLen))
				detail = 3
			}
		}
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("reading go test output: %w", err)
	}
	return s, nil
}

// parseBenchFields parses "N value unit value unit ..." after a benchmark's name.
func parseBenchFields(pkg, name string, f []string) (benchLine, bool) {
	if len(f) < 3 || len(f)%2 != 1 {
		return benchLine{}, false
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return benchLine{}, false
	}
	b := benchLine{Pkg: pkg, Name: name, N: n, NsPerOp: -1, BPerOp: -1, Allocs: -1}
	for i := 1; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return benchLine{}, false
		}
		switch unit := f[i+1]; unit {
		case "ns/op":
			b.NsPerOp = v
		case "B/op":
			b.BPerOp = v
		case "allocs/op":
			b.Allocs = v
		default:
			b.Other = append(b.Other, f[i]+" "+unit)
		}
	}
	return b, true
}

// writeGotest prints the summary as Markdown tables.
func writeGotest(w io.Writer, s gotestSummary, module string) error {
	bw := bufio.NewWriter(w)
	short := func(p string) string {
		if p == module {
			return "."
		}
		return strings.TrimPrefix(p, module+"/")
	}
	fmt.Fprintln(bw, "| package | benchmark | iterations | time/op | B/op | allocs/op | other |")
	fmt.Fprintln(bw, "|---|---|---:|---:|---:|---:|---|")
	for _, b := range s.Benchmarks {
		fmt.Fprintf(bw, "| %s | %s | %d | %s | %s | %s | %s |\n", short(b.Pkg), strings.TrimPrefix(b.Name, "Benchmark"), b.N,
			formatNs(b.NsPerOp), formatCount(b.BPerOp), formatCount(b.Allocs), strings.Join(b.Other, ", "))
	}
	if len(s.Benchmarks) == 0 {
		fmt.Fprintln(bw, "| (none) | | | | | | |")
	}
	if len(s.Packages) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, "| package | go test | benchmarks |")
		fmt.Fprintln(bw, "|---|---|---:|")
		for _, p := range s.Packages {
			fmt.Fprintf(bw, "| %s | %s | %d |\n", short(p.Pkg), p.Status, p.Benchs)
		}
	}
	if len(s.Failures) > 0 {
		fmt.Fprintln(bw)
		for _, f := range s.Failures {
			fmt.Fprintf(bw, "- failure: `%s`\n", strings.ReplaceAll(f, "`", "'"))
		}
	}
	return bw.Flush()
}

// formatNs prints nanoseconds per op in a fitting unit, three significant
// digits.
func formatNs(ns float64) string {
	switch {
	case ns < 0:
		return ""
	case ns < 1000:
		return sig3(ns) + " ns"
	case ns < 1e6:
		return sig3(ns/1e3) + " µs"
	case ns < 1e9:
		return sig3(ns/1e6) + " ms"
	default:
		return sig3(ns/1e9) + " s"
	}
}

func formatCount(v float64) string {
	if v < 0 {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// runGotest implements `chelseru-bench gotest [FILE]`.
func runGotest(args []string, stdout, stderr io.Writer) int {
	var in io.Reader = os.Stdin
	switch len(args) {
	case 0:
	case 1:
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintf(stderr, "chelseru-bench gotest: %v\n", err)
			return exitFailure
		}
		defer f.Close()
		in = f
	default:
		fmt.Fprintln(stderr, "usage: chelseru-bench gotest [FILE]")
		return exitUsage
	}
	s, err := parseGotest(in)
	if err != nil {
		fmt.Fprintf(stderr, "chelseru-bench gotest: %v\n", err)
		return exitFailure
	}
	if err := writeGotest(stdout, s, "github.com/chelseru/chelseru"); err != nil {
		fmt.Fprintf(stderr, "chelseru-bench gotest: %v\n", err)
		return exitFailure
	}
	return exitOK
}
