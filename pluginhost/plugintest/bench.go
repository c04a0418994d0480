package plugintest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/pluginhost"
)

// replay is an in-process http.RoundTripper answering every request with
// one recorded response, so a benchmark measures the host and the plugin,
// not the network.
type replay struct {
	status int
	header http.Header
	body   string
}

func (r *replay) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: r.status, Header: r.header.Clone(), Body: io.NopCloser(strings.NewReader(r.body)),
		ContentLength: int64(len(r.body)), Request: req, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

// BenchmarkHost measures whole sends of c.Message through the real host
// with the module at wasmPath: every plugin call and the host's own work,
// each request answered in-process with c's first recorded response (no
// network). Run it with b.RunParallel semantics by passing -cpu.
func BenchmarkHost(b *testing.B, wasmPath string, c *Case) {
	b.Helper()
	if len(c.Exchanges) == 0 {
		b.Fatalf("plugintest: case %s has no recorded response", c.Name)
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		b.Fatal(err)
	}
	man, err := pluginhost.Check(context.Background(), wasm)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, strings.ToLower(man.Name)+".wasm"), wasm, 0o600); err != nil {
		b.Fatal(err)
	}
	resp := c.Exchanges[0].Response
	rt := &replay{status: resp.Status, header: http.Header{}, body: resp.Body}
	for _, h := range resp.Headers {
		rt.header.Add(h.Name, h.Value)
	}
	h, err := pluginhost.Open(context.Background(), pluginhost.Config{
		DataDir: b.TempDir(), PluginsDir: dir, Service: man.Name, Settings: c.Settings,
		Logger: slog.New(slog.DiscardHandler), Builtins: fstest.MapFS{}, PollInterval: -1, Transport: rt,
		Overrides: []string{man.Name}, // the module under test may carry a built-in's name
		// A module from PluginsDir calls only what the operator allows: here,
		// the hosts its manifest names (the replay answers them all).
		AllowedHosts: map[string][]string{man.Name: man.Hosts},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = h.Close(context.Background()) }()
	msg := chelseru.SMS{To: c.Message.To, Text: c.Message.Text, TemplateID: c.Message.TemplateID, Vars: c.Message.Vars}
	if _, err := h.Send(context.Background(), msg); err != nil && c.Result.OK {
		b.Fatalf("warm-up send: %v", err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := h.Send(context.Background(), msg); err != nil && c.Result.OK {
				b.Error(err)
				return
			}
		}
	})
}
