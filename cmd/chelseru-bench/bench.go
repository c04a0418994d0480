package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/chelseru/chelseru/internal/fakeprovider"
	"github.com/chelseru/chelseru/internal/loadgen"
)

// Targets from the issue, as fractions of the bare handler's rate.
const (
	targetSend  = 0.20
	targetLogin = 0.08
)

// runBench runs the chosen scenarios in order and returns the report, with
// what was measured even when some scenario failed (then also an error).
func runBench(ctx context.Context, o options, stderr io.Writer) (*report, error) {
	level := slog.LevelWarn
	if o.Verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	rep := newReport(ctx, o)
	cfg := loadgen.Config{Concurrency: o.Concurrency, Warmup: o.Warmup, Duration: o.Duration}
	nums := new(mobiles)
	var errs []error

	if slices.Contains(o.Scenarios, scenarioBare) {
		res, err := runBare(ctx, cfg, o, nums, log)
		rep.add(res, err)
		errs = append(errs, err)
	}
	if slices.Contains(o.Scenarios, scenarioSend) || slices.Contains(o.Scenarios, scenarioLogin) {
		errs = append(errs, runServer(ctx, cfg, o, nums, rep, log, stderr))
	}
	rep.finish()
	return rep, errors.Join(errs...)
}

// runBare measures the ceiling: the bare handler in a process of its own,
// as the server under test is, so both pay the same for sharing the two cores
// with the load tool.
func runBare(ctx context.Context, cfg loadgen.Config, o options, nums *mobiles, log *slog.Logger) (scenarioResult, error) {
	r := scenarioResult{Name: scenarioBare, Label: "bare fasthttp handler (ceiling)", Unit: "req/s"}
	b, err := startBareChild(ctx)
	if err != nil {
		return r, err
	}
	client := loadgen.NewClient(b.addr, o.Concurrency)
	log.Info("running", "scenario", scenarioBare, "addr", b.addr)
	cpu := startCPU(b.cmd.Process.Pid)
	res, runErr := loadgen.Run(ctx, cfg, sendScenario(scenarioBare, client, o.Timeout, nums))
	r.LoadCPU, r.ServerCPU = cpu.stop()
	r.Result = res
	client.CloseIdleConnections()
	return r, errors.Join(runErr, b.stop())
}

// runServer starts the fake Kavenegar and the real server, runs the server
// scenarios against them, and stops both. With -v, the end of the server's
// log goes to stderr.
func runServer(ctx context.Context, cfg loadgen.Config, o options, nums *mobiles, rep *report, log *slog.Logger, stderr io.Writer) (err error) {
	// The fake runs on fasthttp: it shares the CPUs with the server, and on
	// net/http it used more CPU per request than the load tool itself. It
	// keeps the last code of many more numbers than logins can be in flight
	// (each worker reads its code right after its send), but not of a
	// quarter of a million: that index cost the fake a cache miss or three
	// per send, on the CPUs it shares with the server.
	fake := fakeprovider.NewKavenegar(fakeprovider.WithFastHTTP(), fakeprovider.WithCapacity(max(4096, 64*cfg.Concurrency)))
	defer fake.Close()
	rep.Server = serverVersion(ctx, o.Bin)
	srv, err := startServer(ctx, o.Bin, fake.URL(), fakeprovider.KavenegarAPIKey, o.ServerLogLevel, o.ReadyTimeout, log)
	if err != nil {
		for _, s := range []string{scenarioSend, scenarioLogin} {
			if slices.Contains(o.Scenarios, s) {
				rep.add(scenarioResult{Name: s, Label: labelOf(s), Unit: unitOf(s)}, err)
			}
		}
		return fmt.Errorf("starting the server: %w", err)
	}
	defer func() {
		if serr := srv.stop(); serr != nil {
			err = errors.Join(err, fmt.Errorf("stopping the server: %w", serr))
		}
		if o.Verbose {
			fmt.Fprintf(stderr, "--- the server's log ends with:\n%s\n---\n", srv.out.Tail(30))
		}
	}()
	client := loadgen.NewClient(srv.addr, o.Concurrency)
	defer client.CloseIdleConnections()

	var errs []error
	for _, s := range []string{scenarioSend, scenarioLogin} {
		if !slices.Contains(o.Scenarios, s) {
			continue
		}
		var sc loadgen.Scenario
		if s == scenarioSend {
			sc = sendScenario(s, client, o.Timeout, nums)
		} else {
			sc = loginScenario(client, o.Timeout, nums, fake)
		}
		log.Info("running", "scenario", s, "addr", srv.addr)
		before := fake.Count()
		cpu := startCPU(srv.cmd.Process.Pid)
		res, runErr := loadgen.Run(ctx, cfg, sc)
		r := scenarioResult{Name: s, Label: labelOf(s), Unit: unitOf(s), Result: res}
		r.LoadCPU, r.ServerCPU = cpu.stop()
		r.ProviderCalls = fake.Count() - before
		rep.add(r, runErr)
		errs = append(errs, runErr)
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

func labelOf(s string) string {
	switch s {
	case scenarioSend:
		return "POST /api/otp/send/"
	case scenarioLogin:
		return "whole login (send, read code, authenticate)"
	default:
		return "bare fasthttp handler (ceiling)"
	}
}

func unitOf(s string) string {
	if s == scenarioLogin {
		return "logins/s"
	}
	return "req/s"
}

// cpuMeter measures the CPU time used by this process and by the server
// process between its start and stop, in cores (CPU seconds per second).
type cpuMeter struct {
	pid        int
	wall       time.Time
	self, peer time.Duration
	selfErr    error
	peerErr    error
}

// startCPU starts measuring; pid 0 measures this process only.
func startCPU(pid int) *cpuMeter {
	m := &cpuMeter{pid: pid, wall: time.Now()}
	m.self, m.selfErr = selfCPU()
	if pid != 0 {
		m.peer, m.peerErr = procCPU(pid)
	}
	return m
}

// stop returns the cores used by this process and by the server (-1 when
// unknown).
func (m *cpuMeter) stop() (self, peer float64) {
	wall := time.Since(m.wall).Seconds()
	self, peer = -1, -1
	if s, err := selfCPU(); err == nil && m.selfErr == nil && wall > 0 {
		self = (s - m.self).Seconds() / wall
	}
	if m.pid != 0 {
		if p, err := procCPU(m.pid); err == nil && m.peerErr == nil && wall > 0 {
			peer = (p - m.peer).Seconds() / wall
		}
	}
	return self, peer
}
