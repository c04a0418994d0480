package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net"

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

// bareServer is the ceiling: a fasthttp server in this process whose one
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
