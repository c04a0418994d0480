// Command chelseru-bench measures chelseru under load over real sockets.
//
// In one run and with the same closed-loop load generator
// (internal/loadgen) it measures:
//
//   - bare: a bare fasthttp handler, started as a child process of its own
//     like the server, that parses the same JSON as POST /api/otp/send/ and
//     answers the same 200 body: the ceiling on this machine;
//   - otp-send: POST /api/otp/send/ against the real chelseru binary, started
//     as a child process with a generated config, a temporary data folder and
//     the KAVENEGAR_COM plugin pointed at an in-process fake Kavenegar, with
//     the send limits raised out of the way and a fresh mobile number per
//     request (a live code answers 409);
//   - login: whole logins (send a code, read it from the fake provider,
//     POST /api/authenticate/), one login being one unit.
//
// It prints a Markdown table (or JSON with -json) with the rates, latencies,
// errors and ratios to the bare handler, and whether the targets are met.
//
// A second mode, "chelseru-bench gotest [FILE]", reads the output of
// `go test -bench` (FILE or stdin) and prints it as a Markdown table.
//
// A third, "chelseru-bench chat [flags]", benchmarks the chat of the real
// server over real WebSockets (github.com/fasthttp/websocket's client): the
// server's resident memory per idle authenticated socket, open-loop message
// runs over many rooms (delivered per second, end-to-end latency, lost
// messages) and the closed-loop maximum. It prints its own Markdown table
// (or JSON with -json).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "gotest" {
		return runGotest(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == chatCommand {
		return runChat(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == bareChildCommand {
		return serveBareChild(ctx, stdout, stderr)
	}
	opts, err := parseOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "chelseru-bench: %v\n", err)
		return exitUsage
	}
	if opts.CPUProfile != "" {
		f, err := os.Create(opts.CPUProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "chelseru-bench: -cpuprofile: %v\n", err)
			return exitUsage
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}
	var reps []*report
	for i := 0; i < opts.Runs && ctx.Err() == nil; i++ {
		var rep *report
		rep, err = runBench(ctx, opts, stderr)
		if rep != nil {
			reps = append(reps, rep)
		}
		if err != nil {
			break
		}
	}
	var rep *report
	if len(reps) > 0 {
		rep = medianReport(reps)
	}
	if rep != nil {
		if werr := writeReport(stdout, rep, opts.JSON); werr != nil {
			fmt.Fprintf(stderr, "chelseru-bench: writing the report: %v\n", werr)
			return exitFailure
		}
		if opts.JSONOut != "" {
			if werr := writeReportFile(opts.JSONOut, rep); werr != nil {
				fmt.Fprintf(stderr, "chelseru-bench: %v\n", werr)
				return exitFailure
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "chelseru-bench: %v\n", err)
		return exitFailure
	}
	if opts.Strict && !rep.allTargetsMet() {
		fmt.Fprintln(stderr, "chelseru-bench: a target was not met (-strict)")
		return exitFailure
	}
	return exitOK
}

// Scenario names accepted by -scenarios.
const (
	scenarioBare  = "bare"
	scenarioSend  = "otp-send"
	scenarioLogin = "login"
)

var allScenarios = []string{scenarioBare, scenarioSend, scenarioLogin}

// options are the command-line flags of a load run.
type options struct {
	Bin          string
	Concurrency  int
	Duration     time.Duration
	Warmup       time.Duration
	Timeout      time.Duration
	ReadyTimeout time.Duration
	Scenarios    []string
	JSON         bool
	JSONOut      string
	CPUProfile   string // this process's CPU profile (the load tool and the in-process fake)
	Runs         int    // whole runs; the report keeps each scenario's median run
	// ServerLogLevel is the server's LOG.LEVEL ("" = its default).
	ServerLogLevel string
	Strict         bool
	Verbose        bool
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("chelseru-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Bin, "bin", "./bin/chelseru", "path of the chelseru server binary")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "closed-loop workers, one connection each")
	fs.IntVar(&o.Runs, "runs", 1, "whole runs (bare, then a fresh server), reported as each scenario's median run")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "measured window per scenario")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "unmeasured warm-up per scenario")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "bound on one request")
	fs.DurationVar(&o.ReadyTimeout, "ready-timeout", 30*time.Second, "bound on the server's start-up (until /readyz answers 200)")
	scen := fs.String("scenarios", strings.Join(allScenarios, ","), "comma-separated scenarios to run: "+strings.Join(allScenarios, ", "))
	fs.BoolVar(&o.JSON, "json", false, "print JSON instead of Markdown")
	fs.StringVar(&o.ServerLogLevel, "server-log-level", "", "the server's LOG.LEVEL (debug, info, warn, error); empty keeps its default")
	fs.StringVar(&o.JSONOut, "json-out", "", "also write the JSON report to this file")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the load tool (with the in-process fake provider) to this file")
	fs.BoolVar(&o.Strict, "strict", false, "exit 1 when a target is not met")
	fs.BoolVar(&o.Verbose, "v", false, "log progress and the server's log on failure to stderr")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage:\n  chelseru-bench [flags]\n  chelseru-bench gotest [FILE]   (Markdown table of `go test -bench` output)\n  chelseru-bench chat [flags]    (chat benchmarks; chelseru-bench chat -h)\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case o.Runs < 1 || o.Runs > 25:
		return o, fmt.Errorf("-runs must be between 1 and 25, got %d", o.Runs)
	case o.Concurrency < 1 || o.Concurrency > 4096:
		return o, fmt.Errorf("-concurrency must be between 1 and 4096, got %d", o.Concurrency)
	case o.Duration <= 0 || o.Duration > 10*time.Minute:
		return o, fmt.Errorf("-duration must be between 0 and 10m, got %s", o.Duration)
	case o.Warmup < 0 || o.Warmup > 10*time.Minute:
		return o, fmt.Errorf("-warmup must be between 0 and 10m, got %s", o.Warmup)
	case o.Timeout <= 0 || o.Timeout > time.Minute:
		return o, fmt.Errorf("-timeout must be between 0 and 1m, got %s", o.Timeout)
	case o.ReadyTimeout <= 0 || o.ReadyTimeout > 5*time.Minute:
		return o, fmt.Errorf("-ready-timeout must be between 0 and 5m, got %s", o.ReadyTimeout)
	}
	seen := map[string]bool{}
	for s := range strings.SplitSeq(*scen, ",") {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		if !slices.Contains(allScenarios, s) {
			return o, fmt.Errorf("-scenarios: unknown scenario %q (want %s)", s, strings.Join(allScenarios, ", "))
		}
		seen[s] = true
	}
	for _, s := range allScenarios { // always in the canonical order
		if seen[s] {
			o.Scenarios = append(o.Scenarios, s)
		}
	}
	if len(o.Scenarios) == 0 {
		return o, errors.New("-scenarios: none given")
	}
	return o, nil
}
