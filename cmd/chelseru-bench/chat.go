package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chelseru/chelseru/internal/fakeprovider"
	"github.com/chelseru/chelseru/internal/loadgen"
	"github.com/valyala/fasthttp"
)

// chatCommand is the subcommand that benchmarks the chat: "chelseru-bench
// chat [flags]".
const chatCommand = "chat"

// Chat targets (issue 10).
const (
	targetKiBPerSocket = 12.0
	// At 15,000 msg/s offered: p99 at most 20 ms, none lost.
	targetLowOffered = 15_000
	targetLowP99     = 20 * time.Millisecond
	// At 20,000 msg/s offered: at least 19,000 delivered per second, p99 at
	// most 50 ms, none lost.
	targetHighOffered   = 20_000
	targetHighDelivered = 19_000
	targetHighP99       = 50 * time.Millisecond
)

// Headroom of open files beyond the sockets: the load tool's own (its HTTP
// client, the fake provider, the files it reads) and the server's (Badger's
// files, the listener, the plugins' cache).
const (
	toolFDHeadroom   = 200
	serverFDHeadroom = 500
)

// The chat wire paths (see the chat part of the API).
const roomsPath = "/api/chat/rooms/"

// chatAccessLifetime is the access-token lifetime given to the server: the
// users log in once, before the restarts, and their tokens must outlive
// the whole run.
const chatAccessLifetime = "2h"

// chatOptions are the flags of "chelseru-bench chat".
type chatOptions struct {
	Bin            string
	MemorySockets  []int
	Rooms          int
	Rates          []float64 // messages per second per side
	Duration       time.Duration
	Warmup         time.Duration
	Drain          time.Duration
	ClosedDuration time.Duration
	Workers        int
	ReadyTimeout   time.Duration
	MaxTime        time.Duration
	JSON           bool
	JSONOut        string
	ServerLogLevel string
	Strict         bool
	Verbose        bool
}

func parseChatOptions(args []string, stderr io.Writer) (chatOptions, error) {
	var o chatOptions
	fs := flag.NewFlagSet("chelseru-bench chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Bin, "bin", "./bin/chelseru", "path of the chelseru server binary")
	mem := fs.String("memory-sockets", "5000,19000", "idle sockets to hold for the memory figure, in ascending steps (comma-separated; empty skips it)")
	fs.IntVar(&o.Rooms, "rooms", 1000, "rooms of the message runs (two sockets each)")
	rates := fs.String("rates", "7.5,10", "open-loop runs: messages per second sent by each side of every room (comma-separated; empty skips them)")
	fs.DurationVar(&o.Duration, "duration", 15*time.Second, "measured window of each open-loop run")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "unmeasured sending before each window")
	fs.DurationVar(&o.Drain, "drain", 5*time.Second, "longest wait after a run for messages still on their way (then they count as lost)")
	fs.DurationVar(&o.ClosedDuration, "closed-duration", 10*time.Second, "measured window of the closed-loop run (0 skips it)")
	fs.IntVar(&o.Workers, "workers", 32, "concurrent logins, room creations and socket dials while setting up")
	fs.DurationVar(&o.ReadyTimeout, "ready-timeout", 60*time.Second, "bound on each server start (until /readyz answers 200)")
	fs.DurationVar(&o.MaxTime, "max-time", 15*time.Minute, "bound on the whole command")
	fs.BoolVar(&o.JSON, "json", false, "print JSON instead of Markdown")
	fs.StringVar(&o.JSONOut, "json-out", "", "also write the JSON report to this file")
	fs.StringVar(&o.ServerLogLevel, "server-log-level", "", "the server's LOG.LEVEL (debug, info, warn, error); empty keeps its default")
	fs.BoolVar(&o.Strict, "strict", false, "exit 1 when a target is not met")
	fs.BoolVar(&o.Verbose, "v", false, "log progress, and the end of the server's log, to stderr")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: chelseru-bench chat [flags]\n\nBenchmarks the chat of the real server (started here, on 127.0.0.1, with a fresh data folder):\nmemory per idle authenticated socket, open-loop message runs and the closed-loop maximum.\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.MemorySockets, err = parseList(*mem, strconv.Atoi); err != nil {
		return o, fmt.Errorf("-memory-sockets: %w", err)
	}
	for i, n := range o.MemorySockets {
		if n < 2 || n > 200_000 || n%2 != 0 {
			return o, fmt.Errorf("-memory-sockets: %d is not an even number between 2 and 200000", n)
		}
		if i > 0 && n <= o.MemorySockets[i-1] {
			return o, errors.New("-memory-sockets: the steps must ascend")
		}
	}
	if o.Rates, err = parseList(*rates, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }); err != nil {
		return o, fmt.Errorf("-rates: %w", err)
	}
	for _, r := range o.Rates {
		if !(r >= 0.1 && r <= 1000) {
			return o, fmt.Errorf("-rates: %v is not between 0.1 and 1000 messages per second", r)
		}
	}
	switch {
	case o.Rooms < 1 || o.Rooms > 50_000:
		return o, fmt.Errorf("-rooms must be between 1 and 50000, got %d", o.Rooms)
	case o.Duration <= 0 || o.Duration > 2*time.Minute:
		return o, fmt.Errorf("-duration must be between 0 and 2m, got %s", o.Duration)
	case o.Warmup < 0 || o.Warmup > time.Minute:
		return o, fmt.Errorf("-warmup must be between 0 and 1m, got %s", o.Warmup)
	case o.Drain <= 0 || o.Drain > time.Minute:
		return o, fmt.Errorf("-drain must be between 0 and 1m, got %s", o.Drain)
	case o.ClosedDuration < 0 || o.ClosedDuration > 2*time.Minute:
		return o, fmt.Errorf("-closed-duration must be between 0 and 2m, got %s", o.ClosedDuration)
	case o.Workers < 1 || o.Workers > 512:
		return o, fmt.Errorf("-workers must be between 1 and 512, got %d", o.Workers)
	case o.ReadyTimeout <= 0 || o.ReadyTimeout > 5*time.Minute:
		return o, fmt.Errorf("-ready-timeout must be between 0 and 5m, got %s", o.ReadyTimeout)
	case o.MaxTime <= 0 || o.MaxTime > time.Hour:
		return o, fmt.Errorf("-max-time must be between 0 and 1h, got %s", o.MaxTime)
	case len(o.MemorySockets) == 0 && len(o.Rates) == 0 && o.ClosedDuration == 0:
		return o, errors.New("nothing to run: -memory-sockets and -rates are empty and -closed-duration is 0")
	}
	return o, nil
}

// parseList parses a comma-separated list; blanks are skipped.
func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := parse(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// runChat is the chat subcommand: it returns the exit code.
func runChat(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseChatOptions(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "chelseru-bench chat: %v\n", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, o.MaxTime)
	defer cancel()
	level := slog.LevelWarn
	if o.Verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	rep, err := chatBench(ctx, o, log, stderr)
	if werr := writeChatReport(stdout, rep, o.JSON); werr != nil {
		fmt.Fprintf(stderr, "chelseru-bench chat: writing the report: %v\n", werr)
		return exitFailure
	}
	if o.JSONOut != "" {
		if werr := writeJSONFile(o.JSONOut, rep); werr != nil {
			fmt.Fprintf(stderr, "chelseru-bench chat: %v\n", werr)
			return exitFailure
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "chelseru-bench chat: %v\n", err)
		return exitFailure
	}
	if o.Strict && !rep.allTargetsMet() {
		fmt.Fprintln(stderr, "chelseru-bench chat: a target was not met (-strict)")
		return exitFailure
	}
	return exitOK
}

// chatBench runs every part asked for and returns the report, with what was
// measured even when a part failed (then also an error).
func chatBench(ctx context.Context, o chatOptions, log *slog.Logger, stderr io.Writer) (rep *chatReport, err error) {
	rep = newChatReport(ctx, o)
	defer rep.finish()
	loadSockets := 0
	if len(o.Rates) > 0 || o.ClosedDuration > 0 {
		loadSockets = 2 * o.Rooms
	}
	want := loadSockets
	if n := len(o.MemorySockets); n > 0 {
		want = max(want, o.MemorySockets[n-1])
	}
	toolLimit, err := raiseOpenFiles(uint64(want + toolFDHeadroom))
	if err != nil {
		return rep, err
	}
	rep.Limits.Tool = int64(toolLimit)

	fake := fakeprovider.NewKavenegar(fakeprovider.WithFastHTTP(), fakeprovider.WithCapacity(max(4096, 64*o.Workers)))
	defer fake.Close()
	rep.Server = serverVersion(ctx, o.Bin)
	cfg := serverConfig{ProviderURL: fake.URL(), ProviderKey: fakeprovider.KavenegarAPIKey, LogLevel: o.ServerLogLevel, AccessTokenLifetime: chatAccessLifetime}
	srv, err := startServerConfig(ctx, o.Bin, cfg, o.ReadyTimeout, log)
	if err != nil {
		return rep, fmt.Errorf("starting the server: %w", err)
	}
	defer func() {
		if serr := srv.stop(); serr != nil {
			err = errors.Join(err, fmt.Errorf("stopping the server: %w", serr))
		}
		if o.Verbose {
			fmt.Fprintf(stderr, "--- the server's log ends with:\n%s\n---\n", srv.out.Tail(30))
		}
	}()
	serverLimit, err := procOpenFiles(srv.cmd.Process.Pid)
	if err != nil {
		return rep, err
	}
	rep.Limits.Server = serverLimit

	// The memory steps that fit both processes' open-file limits.
	fit := int64(toolLimit) - toolFDHeadroom
	if serverLimit >= 0 {
		fit = min(fit, serverLimit-serverFDHeadroom)
	}
	fit -= fit % 2
	steps := slices.Clone(o.MemorySockets)
	for i := range steps {
		if int64(steps[i]) > fit {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%d idle sockets asked for, %d measured: the largest number that fits the open-file limits (load tool %d, server %d, with %d and %d files of headroom)",
				steps[i], fit, toolLimit, serverLimit, toolFDHeadroom, serverFDHeadroom))
			steps = append(steps[:i], int(fit))
			break
		}
	}
	if int64(loadSockets) > fit {
		return rep, fmt.Errorf("%d rooms need %d sockets, more than the open-file limits allow (%d)", o.Rooms, loadSockets, fit)
	}
	rooms := loadSockets / 2
	if len(steps) > 0 {
		rooms = max(rooms, steps[len(steps)-1]/2)
	}

	log.Info("chat setup: logging users in and creating rooms", "users", 2*rooms, "rooms", rooms)
	began := time.Now()
	members, err := setupChat(ctx, srv.addr, fake, rooms, o.Workers)
	if err != nil {
		return rep, fmt.Errorf("setting up users and rooms: %w", err)
	}
	rep.Setup = chatSetup{Users: 2 * rooms, Rooms: rooms, Took: time.Since(began)}

	if len(steps) > 0 {
		log.Info("chat memory: restarting the server", "steps", steps)
		if stopped, err := srv.restart(ctx, o.ReadyTimeout, log); err != nil || stopped != nil {
			return rep, restartError(stopped, err)
		}
		mem, err := measureMemory(ctx, srv.addr, srv.cmd.Process.Pid, members, steps, o.Workers, log)
		rep.Memory = mem
		if err != nil {
			return rep, fmt.Errorf("memory per socket: %w", err)
		}
	}
	// Each message run in a server restarted for it: what one run left
	// queued cannot reach the next.
	runs := slices.Clone(o.Rates)
	if o.ClosedDuration > 0 {
		runs = append(runs, 0) // 0: the closed loop
	}
	var errs []error
	for _, r := range runs {
		log.Info("chat message run: restarting the server", "rooms", o.Rooms, "per_side", r)
		stopped, err := srv.restart(ctx, o.ReadyTimeout, log)
		if stopped != nil {
			// A server that does not stop in time after a run (a backlog) is
			// a failure of that run; the next one still runs in a new process.
			errs = append(errs, restartError(stopped, nil))
			rep.Notes = append(rep.Notes, firstLine(restartError(stopped, nil).Error()))
		}
		if err != nil {
			return rep, errors.Join(append(errs, restartError(nil, err))...)
		}
		res := runChatLoad(ctx, srv.addr, srv.cmd.Process.Pid, members[:loadSockets], r, o, log)
		rep.Loads = append(rep.Loads, res)
		if res.Error != "" {
			errs = append(errs, fmt.Errorf("%s: %s", res.Label, res.Error))
		}
	}
	return rep, errors.Join(errs...)
}

// restartError describes a failed restart: the old process's stop, the
// new one's start.
func restartError(stopped, started error) error {
	var errs []error
	if stopped != nil {
		errs = append(errs, fmt.Errorf("stopping the server for a restart: %w", stopped))
	}
	if started != nil {
		errs = append(errs, fmt.Errorf("restarting the server: %w", started))
	}
	return errors.Join(errs...)
}

// setupChat logs 2*rooms new users in (POST /api/otp/send/, the code from
// the fake provider, POST /api/authenticate/) and has user 2i create the
// room with user 2i+1 (POST /api/chat/rooms/). It returns the members in
// pairs: 2i and 2i+1 share room i.
func setupChat(ctx context.Context, addr string, codes codeSource, rooms, workers int) ([]chatMember, error) {
	client := loadgen.NewClient(addr, workers)
	defer client.CloseIdleConnections()
	nums := new(mobiles)
	users := 2 * rooms
	mobiles := make([]string, users)
	members := make([]chatMember, users)
	senders := make([]*sender, workers)
	for w := range senders {
		senders[w] = newSender(client, loadgen.DefaultRequestTimeout, nums)
	}
	err := parallel(ctx, users, workers, func(w, i int) error {
		c := senders[w]
		if _, err := c.send(); err != nil {
			return err
		}
		code, ok := codes.Code(string(c.mobile))
		if !ok || !isToken(code) {
			return fmt.Errorf("the fake provider has no usable code for %s", c.mobile)
		}
		body, err := json.Marshal(map[string]string{"mobile_number": string(c.mobile), "code": code})
		if err != nil {
			return err
		}
		got, err := c.w.PostJSON(authPath, body, fasthttp.StatusOK)
		if err != nil {
			return err
		}
		var tok struct {
			Access string `json:"access"`
		}
		if err := json.Unmarshal(got, &tok); err != nil || tok.Access == "" {
			return fmt.Errorf("POST %s: 200 without an access token: %.100q", authPath, got)
		}
		mobiles[i], members[i].Token = string(c.mobile), tok.Access
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("logging users in: %w", err)
	}
	err = parallel(ctx, rooms, workers, func(_, i int) error {
		id, err := createRoom(client, members[2*i].Token, mobiles[2*i+1])
		if err != nil {
			return err
		}
		members[2*i].Room, members[2*i+1].Room = id, id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("creating rooms: %w", err)
	}
	return members, nil
}

// createRoom asks for the room between the token's user and mobile and
// returns its id; 201 (created) and 200 (it existed) both do.
func createRoom(client *fasthttp.HostClient, token, mobile string) (int64, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://" + client.Addr + roomsPath)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	body, err := json.Marshal(map[string]any{"mobile_number": mobile, "group": 0})
	if err != nil {
		return 0, err
	}
	req.SetBody(body)
	if err := client.DoTimeout(req, resp, loadgen.DefaultRequestTimeout); err != nil {
		return 0, fmt.Errorf("POST %s: %w", roomsPath, err)
	}
	if st := resp.StatusCode(); st != fasthttp.StatusCreated && st != fasthttp.StatusOK {
		return 0, &loadgen.StatusError{Op: "POST " + roomsPath, Status: st, Body: string(resp.Body()[:min(len(resp.Body()), 200)])}
	}
	var room struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(resp.Body(), &room); err != nil || room.ID == 0 {
		return 0, fmt.Errorf("POST %s: a room without an id: %.100q", roomsPath, resp.Body())
	}
	return room.ID, nil
}

// measureMemory opens idle sockets in steps (members 0..steps[i]-1) in the
// server just restarted (at addr, process pid) and reads its resident
// memory before and after each step. Afterwards, one message in every room
// proves each socket was authenticated and subscribed.
func measureMemory(ctx context.Context, addr string, pid int, members []chatMember, steps []int, workers int, log *slog.Logger) ([]memoryResult, error) {
	baseRSS, baseAnon, err := settleRSS(ctx, pid, time.Second, 5*time.Second)
	if err != nil {
		return nil, err
	}
	l, err := newChatLoad(addr)
	if err != nil {
		return nil, err
	}
	defer l.close()
	var out []memoryResult
	for _, n := range steps {
		r := memoryResult{Sockets: n, BaseRSS: baseRSS, BaseAnon: baseAnon}
		began := time.Now()
		if err := l.open(ctx, members[len(l.socks):n], workers); err != nil {
			r.Error = firstLine(err.Error())
			return append(out, r), err
		}
		r.OpenTook = time.Since(began)
		if r.RSS, r.Anon, err = settleRSS(ctx, pid, 2*time.Second, 10*time.Second); err != nil {
			r.Error = err.Error()
			return append(out, r), err
		}
		r.KiBPerSocket = float64(r.RSS-baseRSS) / 1024 / float64(n)
		r.AnonKiBPerSocket = float64(r.Anon-baseAnon) / 1024 / float64(n)
		if open := l.openCount(); open != n {
			err := fmt.Errorf("%d of %d sockets were closed while idle (%s)", n-open, n, l.totals().sample)
			r.Error = err.Error()
			return append(out, r), err
		}
		log.Info("chat memory", "sockets", n, "rss", r.RSS, "kib_per_socket", r.KiBPerSocket)
		out = append(out, r)
	}
	if err := l.probe(ctx, 15*time.Second); err != nil {
		out[len(out)-1].Error = err.Error()
		return out, err
	}
	return out, nil
}

// probe sends one message from the first member of every room and checks
// that it reaches both members: the sockets are authenticated, joined and
// live.
func (l *chatLoad) probe(ctx context.Context, timeout time.Duration) error {
	var buf []byte
	for i := 0; i < len(l.socks); i += 2 {
		s := l.socks[i]
		select {
		case <-s.done:
			return fmt.Errorf("probe: socket %d was closed: %w", i, s.err)
		default:
		}
		if err := l.send(s, &buf, 0, 0); err != nil {
			return fmt.Errorf("probe: socket %d: %w", i, err)
		}
	}
	l.drain(ctx, timeout)
	if t := l.totals(); t.lost != 0 || t.unacked != 0 || t.closed != 0 {
		return fmt.Errorf("probe: of %d messages (one per room), %d did not reach the other member and %d not the sender; %d sockets closed (%s)",
			t.sent, t.lost, t.unacked, t.closed, t.sample)
	}
	return nil
}

// settleRSS waits at least minWait, then until the resident memory of pid
// holds still (three readings 250 ms apart within 128 KiB) or maxWait
// passes, and returns it.
func settleRSS(ctx context.Context, pid int, minWait, maxWait time.Duration) (rss, anon int64, err error) {
	deadline := time.Now().Add(maxWait)
	if err := sleepCtx(ctx, minWait); err != nil {
		return 0, 0, err
	}
	rss, anon, err = procMemory(pid)
	for stable := 0; err == nil && stable < 3 && time.Now().Before(deadline); {
		if err := sleepCtx(ctx, 250*time.Millisecond); err != nil {
			return 0, 0, err
		}
		var r, a int64
		if r, a, err = procMemory(pid); err != nil {
			break
		}
		if abs(r-rss) <= 128<<10 {
			stable++
		} else {
			stable = 0
		}
		rss, anon = r, a
	}
	return rss, anon, err
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runChatLoad opens a socket for every member and runs one message load:
// open loop at perSide messages per second per socket, or closed loop when
// perSide is 0. Then it waits for the messages still on their way, counts
// what was lost and closes the sockets.
// The server listens at addr; pid is its process, for its CPU time.
func runChatLoad(ctx context.Context, addr string, pid int, members []chatMember, perSide float64, o chatOptions, log *slog.Logger) chatResult {
	rooms := len(members) / 2
	res := chatResult{Rooms: rooms, Sockets: len(members), PerSide: perSide, Warmup: o.Warmup, Window: o.Duration}
	if perSide > 0 {
		res.Name = "chat-open"
		res.Label = fmt.Sprintf("open loop, %s rooms, %s msg/s per side", formatInt(rooms), strconv.FormatFloat(perSide, 'f', -1, 64))
		res.Offered = perSide * float64(len(members))
	} else {
		res.Name = "chat-closed"
		res.Label = fmt.Sprintf("closed loop, %s rooms (one message in flight per socket)", formatInt(rooms))
		res.Window, res.Warmup = o.ClosedDuration, min(o.Warmup, time.Second)
	}
	l, err := newChatLoad(addr)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer l.close()
	if err := l.open(ctx, members, o.Workers); err != nil {
		res.Error = firstLine(err.Error())
		return res
	}
	if err := sleepCtx(ctx, 500*time.Millisecond); err != nil { // the server settles after the dials
		res.Error = err.Error()
		return res
	}

	t0 := l.now() + int64(100*time.Millisecond)
	ws := t0 + int64(res.Warmup)
	we := ws + int64(res.Window)
	l.winStart.Store(ws)
	l.winEnd.Store(we)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures int
		firstErr error
	)
	fail := func(s *chatSocket, err error) {
		mu.Lock()
		defer mu.Unlock()
		failures++
		if firstErr == nil {
			firstErr = fmt.Errorf("socket %d: %w", s.idx, err)
		}
	}
	cpu := startCPU(pid)
	period := int64(0)
	if perSide > 0 {
		period = int64(float64(time.Second) / perSide)
	}
	for _, s := range l.socks {
		wg.Go(func() {
			var err error
			if period > 0 {
				err = l.sendOpen(ctx, s, t0+rand.Int64N(period), period, we)
			} else {
				if err = sleepCtx(ctx, time.Duration(t0-l.now())); err == nil {
					err = l.sendClosed(ctx, s, we)
				}
			}
			if err != nil {
				fail(s, err)
			}
		})
	}
	wg.Wait()
	res.LoadCPU, res.ServerCPU = cpu.stop()
	l.drain(ctx, o.Drain)

	t := l.totals()
	h, lag := l.latency()
	secs := res.Window.Seconds()
	res.Sent, res.SentRate = t.sent, float64(t.sentWin)/secs
	res.Delivered, res.DeliveredRate = t.got, float64(t.gotWin)/secs
	res.Lost, res.Unacked = t.lost, t.unacked
	res.Duplicates, res.Reordered, res.ErrorEvents, res.Foreign = t.dups, t.reordered, t.errEvents, t.foreign
	res.Closed, res.Sample = t.closed, t.sample
	res.Latencies = h.Count()
	res.P50, res.P90, res.P99, res.Max = h.Quantile(0.50), h.Quantile(0.90), h.Quantile(0.99), h.Max()
	res.LagP99, res.LagMax = lag.Quantile(0.99), lag.Max()
	if firstErr != nil {
		res.Error = fmt.Sprintf("%d of %d sockets stopped sending: %v", failures, len(l.socks), firstLine(firstErr.Error()))
	}
	log.Info("chat load done", "run", res.Label, "delivered_per_s", res.DeliveredRate, "p99", res.P99, "lost", res.Lost)
	return res
}

// formatInt prints an integer with thousands separators.
func formatInt[T int | int64](n T) string {
	if n < 0 {
		return "-" + formatInt(-n)
	}
	if n < 1000 {
		return strconv.FormatInt(int64(n), 10)
	}
	return formatRate(float64(n))
}
