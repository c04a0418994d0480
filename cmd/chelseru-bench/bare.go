package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"

	"github.com/chelseru/chelseru"
	"github.com/valyala/fasthttp"
)

// Wire constants of POST /api/otp/send/ (see /api/otp/send/ in the spec).
const (
	sendPath   = "/api/otp/send/"
	authPath   = "/api/authenticate/"
	readyPath  = "/readyz"
	sentBody   = `{"details": "The OTP code was sent correctly."}`
	invalidMsg = `{"mobile_number": ["Enter a valid mobile number."]}`
)

// bareServer is the ceiling: a fasthttp server (in the bare-handler child
// process) whose one
// handler does what POST /api/otp/send/ does on the wire and nothing else:
// parse the JSON body, normalise the mobile number, answer the same 200 body.
type bareServer struct {
	srv  *fasthttp.Server
	ln   net.Listener
	done chan error
}

// startBare listens on 127.0.0.1 at a free port and serves the bare handler.
func startBare(log *slog.Logger) (*bareServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bare handler: listen: %w", err)
	}
	b := &bareServer{
		srv: &fasthttp.Server{
			Handler:            bareHandler,
			Name:               "bare",
			MaxRequestBodySize: 1 << 20,
			Logger:             slogPrinter{log},
		},
		ln:   ln,
		done: make(chan error, 1),
	}
	go func() { b.done <- b.srv.Serve(ln) }()
	return b, nil
}

// Addr is the host:port the bare handler listens on.
func (b *bareServer) Addr() string { return b.ln.Addr().String() }

// Close stops the server and waits for it.
func (b *bareServer) Close() error {
	if err := b.srv.Shutdown(); err != nil {
		return fmt.Errorf("bare handler: shutdown: %w", err)
	}
	if err := <-b.done; err != nil {
		return fmt.Errorf("bare handler: serve: %w", err)
	}
	return nil
}

// sendRequest is the JSON body of POST /api/otp/send/.
type sendRequest struct {
	MobileNumber string `json:"mobile_number"`
}

// bareHandler answers POST /api/otp/send/ like chelseru does when the send
// succeeds, without storage, limits or a provider.
func bareHandler(ctx *fasthttp.RequestCtx) {
	if string(ctx.Path()) != sendPath {
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		return
	}
	if !ctx.IsPost() {
		ctx.SetStatusCode(fasthttp.StatusMethodNotAllowed)
		return
	}
	ctx.SetContentType("application/json")
	var req sendRequest
	if err := json.Unmarshal(ctx.PostBody(), &req); err != nil {
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
		ctx.SetBodyString(`{"detail": "JSON parse error."}`)
		return
	}
	if _, ok := chelseru.NormalizeMobile(req.MobileNumber); !ok {
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
		ctx.SetBodyString(invalidMsg)
		return
	}
	ctx.SetBodyString(sentBody)
}

// slogPrinter adapts slog to fasthttp.Logger.
type slogPrinter struct{ log *slog.Logger }

// Printf implements fasthttp.Logger.
func (p slogPrinter) Printf(format string, args ...any) {
	p.log.Warn(fmt.Sprintf(format, args...), "component", "bare")
}

// bareChildCommand is the hidden subcommand that serves the bare handler in a
// child process: the ceiling then runs as a process of its own, like the
// server it is compared with.
const bareChildCommand = "bare-handler-child"

// serveBareChild serves the bare handler, prints its address as the first
// line of stdout, and stops when stdin closes (the parent went away or is done).
func serveBareChild(ctx context.Context, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := startBare(log)
	if err != nil {
		fmt.Fprintf(stderr, "chelseru-bench: %v\n", err)
		return exitFailure
	}
	fmt.Fprintln(stdout, b.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin) // returns when the parent closes our stdin
	if err := b.Close(); err != nil {
		fmt.Fprintf(stderr, "chelseru-bench: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// bareChild is a running bare-handler child process.
type bareChild struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
}

// startBareChild starts this program as a bare-handler child and waits for
// its address.
func startBareChild(ctx context.Context) (*bareChild, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bare handler: %w", err)
	}
	cmd := exec.CommandContext(ctx, self, bareChildCommand)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("bare handler: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("bare handler: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bare handler: start: %w", err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stdin.Close()
		cmd.Wait()
		return nil, fmt.Errorf("bare handler: no address from the child: %w", err)
	}
	return &bareChild{cmd: cmd, stdin: stdin, addr: strings.TrimSpace(line)}, nil
}

// stop closes the child's stdin and waits for it to exit.
func (b *bareChild) stop() error {
	b.stdin.Close()
	if err := b.cmd.Wait(); err != nil {
		return fmt.Errorf("bare handler: %w", err)
	}
	return nil
}
