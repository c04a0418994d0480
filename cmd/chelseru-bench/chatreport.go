package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"time"
)

// chatReport is everything "chelseru-bench chat" prints.
type chatReport struct {
	Commit   string         `json:"commit"`
	Date     time.Time      `json:"date"`
	Machine  machine        `json:"machine"`
	Server   string         `json:"server,omitempty"`
	Settings chatSettings   `json:"settings"`
	Limits   chatLimits     `json:"open_file_limits"`
	Setup    chatSetup      `json:"setup"`
	Memory   []memoryResult `json:"memory,omitempty"`
	Loads    []chatResult   `json:"loads,omitempty"`
	Notes    []string       `json:"notes"`
}

type chatSettings struct {
	Rooms          int           `json:"rooms"`
	Warmup         time.Duration `json:"warmup_ns"`
	Duration       time.Duration `json:"duration_ns"`
	ClosedDuration time.Duration `json:"closed_duration_ns"`
	Drain          time.Duration `json:"drain_ns"`
	ServerLogLevel string        `json:"server_log_level,omitempty"`
}

// chatLimits are the soft limits on open files (-1: unlimited, 0: unknown).
type chatLimits struct {
	Tool   int64 `json:"load_tool"`
	Server int64 `json:"server"`
}

// chatSetup is what was done before the measurements.
type chatSetup struct {
	Users int           `json:"users"`
	Rooms int           `json:"rooms"`
	Took  time.Duration `json:"took_ns"`
}

// memoryResult is one step of the idle-socket memory measurement.
type memoryResult struct {
	Sockets  int           `json:"sockets"`
	OpenTook time.Duration `json:"open_took_ns"`
	// Resident memory of the server process, bytes: before any socket and
	// with Sockets open (VmRSS; Anon is RssAnon, heap and stacks only).
	BaseRSS  int64 `json:"base_rss"`
	RSS      int64 `json:"rss"`
	BaseAnon int64 `json:"base_anon"`
	Anon     int64 `json:"anon"`
	// KiBPerSocket is the growth of VmRSS per socket.
	KiBPerSocket     float64 `json:"kib_per_socket"`
	AnonKiBPerSocket float64 `json:"anon_kib_per_socket"`
	Target           string  `json:"target"`
	Met              *bool   `json:"target_met,omitempty"`
	Error            string  `json:"error,omitempty"`
}

// chatResult is one message load.
type chatResult struct {
	Name    string  `json:"name"`
	Label   string  `json:"label"`
	Rooms   int     `json:"rooms"`
	Sockets int     `json:"sockets"`
	PerSide float64 `json:"per_side,omitempty"` // messages per second per socket; 0 = closed loop
	// Offered is messages per second over all sockets (0: closed loop).
	Offered float64       `json:"offered,omitempty"`
	Warmup  time.Duration `json:"warmup_ns"`
	Window  time.Duration `json:"window_ns"`
	// Sent is every message sent (warm-up included); SentRate those sent in
	// the window per second.
	Sent     int64   `json:"sent"`
	SentRate float64 `json:"sent_per_s"`
	// Delivered is every distinct message received by the other member;
	// DeliveredRate those received inside the window, per second.
	Delivered     int64   `json:"delivered"`
	DeliveredRate float64 `json:"delivered_per_s"`
	// Lost is messages sent that the other member never received (after the
	// drain); Unacked those whose own copy never came back to the sender.
	Lost        int64 `json:"lost"`
	Unacked     int64 `json:"unacked"`
	Duplicates  int64 `json:"duplicates"`
	Reordered   int64 `json:"reordered"`
	ErrorEvents int64 `json:"error_events"`
	Foreign     int64 `json:"foreign_frames"`
	// Closed is the sockets that ended before the load closed them.
	Closed int    `json:"closed"`
	Sample string `json:"sample,omitempty"`
	// End-to-end latency (sent by one member, received by the other) of the
	// messages sent inside the window.
	Latencies uint64        `json:"latencies"`
	P50       time.Duration `json:"p50_ns"`
	P90       time.Duration `json:"p90_ns"`
	P99       time.Duration `json:"p99_ns"`
	Max       time.Duration `json:"max_ns"`
	// LagP99 and LagMax are how late the open-loop senders sent the
	// messages due inside the window (the load tool falling behind, or
	// writes blocked by a server that does not read): the latencies are
	// measured from the actual send.
	LagP99    time.Duration `json:"send_lag_p99_ns,omitempty"`
	LagMax    time.Duration `json:"send_lag_max_ns,omitempty"`
	LoadCPU   float64       `json:"load_cpu_cores"`
	ServerCPU float64       `json:"server_cpu_cores"`
	Target    string        `json:"target,omitempty"`
	Met       *bool         `json:"target_met,omitempty"`
	Error     string        `json:"error,omitempty"`
}

func newChatReport(ctx context.Context, o chatOptions) *chatReport {
	return &chatReport{
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
		Settings: chatSettings{Rooms: o.Rooms, Warmup: o.Warmup, Duration: o.Duration, ClosedDuration: o.ClosedDuration, Drain: o.Drain, ServerLogLevel: o.ServerLogLevel},
	}
}

// finish judges the targets and writes the notes.
func (r *chatReport) finish() {
	for i := range r.Memory {
		m := &r.Memory[i]
		m.Target = fmt.Sprintf("≤ %g KiB", targetKiBPerSocket)
		if m.RSS > 0 {
			m.Met = ptr(m.Error == "" && m.KiBPerSocket <= targetKiBPerSocket)
		}
	}
	for i := range r.Loads {
		c := &r.Loads[i]
		switch {
		case math.Abs(c.Offered-targetLowOffered) < 0.5:
			c.Target = fmt.Sprintf("p99 ≤ %s, none lost", formatDur(targetLowP99))
			c.Met = ptr(c.Error == "" && c.Latencies > 0 && c.Lost == 0 && c.P99 <= targetLowP99)
		case math.Abs(c.Offered-targetHighOffered) < 0.5:
			c.Target = fmt.Sprintf("≥ %s delivered/s, p99 ≤ %s, none lost", formatRate(targetHighDelivered), formatDur(targetHighP99))
			c.Met = ptr(c.Error == "" && c.Latencies > 0 && c.Lost == 0 && c.DeliveredRate >= targetHighDelivered && c.P99 <= targetHighP99)
		}
	}
	r.Notes = append(r.Notes,
		fmt.Sprintf("The server is the real binary in a process of its own on 127.0.0.1; the load tool (with the fake Kavenegar that delivered the login codes) is another process on the same %d CPUs.", r.Machine.CPUs),
		"Set-up: users log in through POST /api/otp/send/ and /api/authenticate/, the first member of each room creates it (POST /api/chat/rooms/); then the server is restarted on the same data folder before the memory part and before each message run, so none measures what the logins or an earlier run left behind.",
		"Memory: growth of the server's resident memory (VmRSS in /proc/PID/status; the anonymous part, RssAnon, in brackets) from before the first socket to a few seconds after the last one of a step opened, divided by the sockets then open; the sockets are idle (no message yet). Afterwards one message per room must reach both members: every socket was authenticated and joined.",
		"Messages: each socket sends {\"message\", \"client_id\"}, the client_id carrying the socket, a sequence number and the send time; latency is from just before the write to the frame's arrival at the other member. Open loop: each socket sends at its fixed rate from a random phase, a late sender catches up without skipping. Closed loop: each socket sends its next message when its own copy (the server's ack) comes back. Delivered/s counts the other member's receipts inside the window; lost counts messages sent (warm-up included) that the other member had not received when the drain ended.",
	)
}

// allTargetsMet reports whether every row with a target met it.
func (r *chatReport) allTargetsMet() bool {
	for _, m := range r.Memory {
		if m.Met == nil || !*m.Met {
			return false
		}
	}
	for _, c := range r.Loads {
		if c.Target != "" && (c.Met == nil || !*c.Met) {
			return false
		}
	}
	return true
}

// writeChatReport prints the report as Markdown, or as indented JSON.
func writeChatReport(w io.Writer, r *chatReport, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "## Chat (chelseru-bench chat)\n\n")
	writeRunHeader(bw, r.Commit, r.Date, r.Machine)
	if r.Server != "" {
		fmt.Fprintf(bw, "- server: `%s`\n", r.Server)
	}
	if r.Setup.Users > 0 {
		fmt.Fprintf(bw, "- set-up: %s users logged in and %s rooms created in %s; open files allowed: load tool %s, server %s\n",
			formatInt(r.Setup.Users), formatInt(r.Setup.Rooms), r.Setup.Took.Round(100*time.Millisecond), limitCell(r.Limits.Tool), limitCell(r.Limits.Server))
	}
	fmt.Fprintf(bw, "- message runs: %s warm-up + %s measured per open-loop run, %s for the closed loop, up to %s of drain\n\n",
		r.Settings.Warmup, r.Settings.Duration, r.Settings.ClosedDuration, r.Settings.Drain)

	fmt.Fprintln(bw, "| scenario | offered | delivered/s | p50 | p99 | lost | KiB/socket | target | CPU (load tool / server) |")
	fmt.Fprintln(bw, "|---|---:|---:|---:|---:|---:|---:|---|---|")
	for _, m := range r.Memory {
		kib := "failed"
		if m.RSS > 0 {
			kib = fmt.Sprintf("%.1f (%.1f)", m.KiBPerSocket, m.AnonKiBPerSocket)
		}
		fmt.Fprintf(bw, "| idle authenticated sockets: %s | — | — | — | — | — | %s | %s | — |\n", formatInt(m.Sockets), kib, metCell(m.Target, m.Met))
	}
	for _, c := range r.Loads {
		offered := "— (closed loop)"
		if c.Offered > 0 {
			offered = formatRate(c.Offered) + " msg/s"
		}
		if c.Sent == 0 && c.Error != "" {
			fmt.Fprintf(bw, "| %s | %s | failed | | | | — | %s | |\n", c.Label, offered, metCell(c.Target, c.Met))
			continue
		}
		fmt.Fprintf(bw, "| %s | %s | %s | %s | %s | %s | — | %s | %s |\n", c.Label, offered, formatRate(c.DeliveredRate),
			formatDur(c.P50), formatDur(c.P99), formatInt(c.Lost), metCell(c.Target, c.Met), cpuCell(scenarioResult{LoadCPU: c.LoadCPU, ServerCPU: c.ServerCPU}))
	}
	fmt.Fprintln(bw)
	for _, m := range r.Memory {
		fmt.Fprintf(bw, "- %s idle sockets: server RSS %s → %s (anonymous %s → %s), opened in %s",
			formatInt(m.Sockets), mib(m.BaseRSS), mib(m.RSS), mib(m.BaseAnon), mib(m.Anon), m.OpenTook.Round(10*time.Millisecond))
		if m.Error != "" {
			fmt.Fprintf(bw, "; **failed**: %s", m.Error)
		}
		fmt.Fprintln(bw)
	}
	for _, c := range r.Loads {
		fmt.Fprintf(bw, "- %s: sent %s (%s/s in the window), delivered %s, lost %s, unacknowledged %s; p90 %s, max %s; duplicates %d, out of order %d, error events %d, foreign frames %d, sockets closed early %d",
			c.Label, formatInt(c.Sent), formatRate(c.SentRate), formatInt(c.Delivered), formatInt(c.Lost), formatInt(c.Unacked),
			formatDur(c.P90), formatDur(c.Max), c.Duplicates, c.Reordered, c.ErrorEvents, c.Foreign, c.Closed)
		if c.Offered > 0 {
			fmt.Fprintf(bw, "; sent behind schedule by p99 %s, max %s", formatDur(c.LagP99), formatDur(c.LagMax))
		}
		if c.Sample != "" {
			fmt.Fprintf(bw, " (e.g. `%s`)", strings.ReplaceAll(firstLine(c.Sample), "`", "'"))
		}
		if c.Error != "" {
			fmt.Fprintf(bw, "; **failed**: %s", c.Error)
		}
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "- targets (issue 10): at most %g KiB per idle socket; at %s msg/s offered p99 ≤ %s; at %s offered ≥ %s delivered/s with p99 ≤ %s; none lost\n",
		targetKiBPerSocket, formatRate(targetLowOffered), formatDur(targetLowP99), formatRate(targetHighOffered), formatRate(targetHighDelivered), formatDur(targetHighP99))
	for _, n := range r.Notes {
		fmt.Fprintf(bw, "- %s\n", n)
	}
	return bw.Flush()
}

func metCell(target string, met *bool) string {
	switch {
	case target == "":
		return "—"
	case met == nil:
		return target + ": not measured"
	case *met:
		return target + ": **met**"
	default:
		return target + ": **not met**"
	}
}

func limitCell(n int64) string {
	switch {
	case n < 0:
		return "unlimited"
	case n == 0:
		return "unknown"
	}
	return formatInt(n)
}

// mib prints bytes as MiB with one decimal.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// writeJSONFile writes v as indented JSON to path.
func writeJSONFile(path string, r *chatReport) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("JSON report: %w", err)
	}
	if err := writeChatReport(f, r, true); err != nil {
		f.Close()
		return fmt.Errorf("JSON report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("JSON report %s: %w", path, err)
	}
	return nil
}
