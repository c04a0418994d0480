package pluginhost

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/plugins/console"
	"github.com/chelseru/chelseru/plugins/kavenegar"
	"github.com/chelseru/chelseru/plugins/melipayamak"
	"github.com/chelseru/chelseru/plugins/parsianwebco"
	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
)

// Benchmarks, per provider (docs/plugin-abi.md § 10; run with -cpu=1,2 so
// that the -1/-2 suffix gives the cores):
//
//	BenchmarkWholeSend/P/LIMIT/serial    one Host.Send after another (latency)
//	BenchmarkWholeSend/P/LIMIT/parallel  Host.Send from GOMAXPROCS goroutines (throughput)
//	BenchmarkPluginWork/P/native         the plugin's work of a send, native Go
//	BenchmarkPluginWork/P/wasm-LIMIT     the same in wasm; x-native = wasm/native
//	BenchmarkInstantiate/P               a new configured instance (pool growth)
//	BenchmarkCompile/P/cold|disk-cache   compiling the module
//	BenchmarkInstanceMemory/P            Go heap per live instance
//	BenchmarkStartupWarmCache/P          Open (start-up) with a warm compilation cache
//
// LIMIT is the per-call time limit: interrupt (the default), context
// (wazero's WithCloseOnContextDone, the fallback) or none (reference only).
// No network: an in-process http.RoundTripper answers with the provider's
// documented success response from its golden case.

// benchCase is a provider's success case: settings, message and response.
type benchCase struct {
	service  string
	module   string
	native   func() sdk.Plugin
	file     string // golden case under plugins/
	settings map[string]string
	message  abi.Message
	status   int
	headers  http.Header
	body     string
}

var benchCases = []*benchCase{
	{service: "CONSOLE", module: "console", native: console.New},
	{service: "KAVENEGAR_COM", module: "kavenegar_com", native: kavenegar.New, file: "../plugins/kavenegar/testdata/lookup_ok.case"},
	{service: "MELI_PAYAMAK_COM", module: "meli_payamak_com", native: melipayamak.New, file: "../plugins/melipayamak/testdata/template_ok.case"},
	{service: "PARSIAN_WEBCO_IR", module: "parsian_webco_ir", native: parsianwebco.New, file: "../plugins/parsianwebco/testdata/template_ok.case"},
}

// load reads the golden case (=== settings / message / response sections).
func (c *benchCase) load(b testing.TB) {
	b.Helper()
	c.settings = map[string]string{}
	if c.file == "" {
		c.message = abi.Message{To: "09123456789", TemplateID: 100, Vars: []string{"4821"}}
		return
	}
	raw, err := os.ReadFile(c.file)
	if err != nil {
		b.Fatal(err)
	}
	sections := map[string]string{}
	var name string
	var cur []string
	flush := func() {
		if name != "" {
			sections[name] = strings.Join(cur, "\n")
		}
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "=== "); ok {
			flush()
			name, cur = rest, nil
			continue
		}
		cur = append(cur, line)
	}
	flush()
	for _, kv := range strings.Split(strings.TrimSpace(sections["settings"]), "\n") {
		k, v, _ := strings.Cut(kv, "=")
		c.settings[k] = v
	}
	if err := abi.DecodeMessage([]byte(strings.TrimSpace(sections["message"])), &c.message); err != nil {
		b.Fatal(err)
	}
	r := bufio.NewReader(strings.NewReader(sections["response"]))
	statusLine, _ := r.ReadString('\n')
	c.status, err = strconv.Atoi(strings.TrimSpace(statusLine))
	if err != nil {
		b.Fatal(err)
	}
	c.headers = http.Header{}
	for {
		line, _ := r.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		k, v, _ := strings.Cut(line, ":")
		c.headers.Add(k, strings.TrimSpace(v))
	}
	rest, _ := io.ReadAll(r)
	c.body = strings.TrimRight(string(rest), "\n")
}

// cannedTransport answers every request in process with one response.
type cannedTransport struct{ c *benchCase }

func (t cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: t.c.status, Header: t.c.headers.Clone(), Request: req,
		Body: io.NopCloser(strings.NewReader(t.c.body)), ContentLength: int64(len(t.c.body)),
	}, nil
}

func (c *benchCase) open(b *testing.B, mode limitMode, pool int) *Host {
	b.Helper()
	if _, ok := mods[c.module]; !ok {
		b.Skipf("module %s was not built", c.module)
	}
	h, err := Open(context.Background(), Config{
		Service: c.service, Settings: c.settings, Builtins: builtins(), DataDir: cacheDir,
		Transport: cannedTransport{c}, Logger: discardLogger, PoolSize: pool, PollInterval: -1, limit: mode,
		// Generous: a loaded machine must not fail a benchmark on the limit.
		CallTimeout: time.Second,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = h.Close(context.Background()) })
	return h
}

func (c *benchCase) sms() chelseru.SMS {
	return chelseru.SMS{To: c.message.To, Text: c.message.Text, TemplateID: c.message.TemplateID, Vars: c.message.Vars}
}

var modes = []limitMode{limitInterrupt, limitContext, limitNone}

// BenchmarkWholeSend: a whole send through Host.Send (pool, plugin calls,
// the host's checks and net/http client plumbing with an in-process
// transport): serial (one goroutine, latency) and parallel (GOMAXPROCS
// goroutines, per-op time is throughput).
func BenchmarkWholeSend(b *testing.B) {
	sdk.SetNativeLog(func(int, string) {})
	for _, c := range benchCases {
		b.Run(c.service, func(b *testing.B) {
			c.load(b)
			for _, mode := range modes {
				b.Run(mode.String(), func(b *testing.B) {
					h := c.open(b, mode, 0)
					ctx := context.Background()
					m := c.sms()
					b.Run("serial", func(b *testing.B) {
						b.ReportAllocs()
						for b.Loop() {
							if _, err := h.Send(ctx, m); err != nil {
								b.Fatal(err)
							}
						}
					})
					b.Run("parallel", func(b *testing.B) {
						b.ReportAllocs()
						b.RunParallel(func(pb *testing.PB) {
							for pb.Next() {
								if _, err := h.Send(ctx, m); err != nil {
									b.Error(err)
									return
								}
							}
						})
					})
				})
			}
		})
	}
}

// BenchmarkPluginWork: only the plugin's work of a send (the send call and,
// for a provider, the response call, each with ABI encode and decode), in
// wasm through the pool and natively. The wasm runs report x-native, their
// time over the native run's.
func BenchmarkPluginWork(b *testing.B) {
	sdk.SetNativeLog(func(int, string) {})
	for _, c := range benchCases {
		b.Run(c.service, func(b *testing.B) {
			c.load(b)
			resp := abi.Response{Status: c.status, Body: c.body}
			for _, k := range []string{"Content-Type"} {
				if v := c.headers.Get(k); v != "" {
					resp.Headers = append(resp.Headers, abi.Header{Name: k, Value: v})
				}
			}
			// Both sides get the headers the host would hand the plugin.
			resp.Headers = keepHeaders(newHeaderFilter(c.native().Manifest().ResponseHeaders), resp.Headers)
			var nativeNs float64
			b.Run("native", func(b *testing.B) {
				defer func() { nativeNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N) }()
				p := c.native()
				if err := p.Configure(c.settings); err != nil {
					b.Fatal(err)
				}
				var buf []byte
				b.ReportAllocs()
				for b.Loop() {
					buf = abi.AppendMessage(buf[:0], &c.message)
					var m abi.Message
					if err := abi.DecodeMessage(buf, &m); err != nil {
						b.Fatal(err)
					}
					a := p.Send(m)
					buf = abi.AppendAction(buf[:0], &a)
					if err := abi.DecodeAction(buf, &a); err != nil {
						b.Fatal(err)
					}
					if a.Request == nil {
						continue
					}
					r := resp
					r.State = a.State
					buf = abi.AppendResponse(buf[:0], &r)
					if err := abi.DecodeResponse(buf, &r); err != nil {
						b.Fatal(err)
					}
					a = p.Response(r)
					buf = abi.AppendAction(buf[:0], &a)
					if err := abi.DecodeAction(buf, &a); err != nil || a.Result == nil || !a.Result.OK {
						b.Fatalf("%+v %v", a.Result, err)
					}
				}
			})
			for _, mode := range modes {
				b.Run("wasm-"+mode.String(), func(b *testing.B) {
					h := c.open(b, mode, 0)
					m := h.active.Load()
					ctx := context.Background()
					msg := c.message
					b.ReportAllocs()
					for b.Loop() {
						a, err := h.step(ctx, m, func(buf []byte) []byte { return abi.AppendMessage(buf, &msg) }, false)
						if err != nil {
							b.Fatal(err)
						}
						if a.Request == nil {
							continue
						}
						r := resp
						r.State = a.State
						a, err = h.step(ctx, m, func(buf []byte) []byte { return abi.AppendResponse(buf, &r) }, true)
						if err != nil || a.Result == nil || !a.Result.OK {
							b.Fatalf("%+v %v", a.Result, err)
						}
					}
					if nativeNs > 0 {
						b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/nativeNs, "x-native")
					}
				})
			}
		})
	}
}

// BenchmarkInstantiate: a new instance (instantiate, _initialize, ABI
// version, configure), as the pool does when it grows or replaces one. It
// reports the instance's linear memory.
func BenchmarkInstantiate(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.service, func(b *testing.B) {
			c.load(b)
			h := c.open(b, limitInterrupt, 0)
			m := h.active.Load()
			ctx := context.Background()
			var memBytes uint32
			for b.Loop() {
				in, err := m.newInstance(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if err := m.configure(ctx, in); err != nil {
					b.Fatal(err)
				}
				memBytes = in.mem.Size()
				in.close(ctx)
			}
			b.ReportMetric(float64(memBytes)/(1<<20), "MiB-linear-memory")
		})
	}
}

// BenchmarkCompile: compiling a module cold and from the disk cache.
func BenchmarkCompile(b *testing.B) {
	ctx := context.Background()
	for _, c := range benchCases {
		wasm, ok := mods[c.module]
		if !ok {
			continue
		}
		b.Run(c.service+"/cold", func(b *testing.B) {
			for b.Loop() {
				rt := wazero.NewRuntime(ctx)
				if _, err := rt.CompileModule(ctx, wasm); err != nil {
					b.Fatal(err)
				}
				_ = rt.Close(ctx)
			}
		})
		b.Run(c.service+"/disk-cache", func(b *testing.B) {
			dir := b.TempDir()
			warm := func() {
				cache, err := wazero.NewCompilationCacheWithDir(dir)
				if err != nil {
					b.Fatal(err)
				}
				rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache))
				if _, err := rt.CompileModule(ctx, wasm); err != nil {
					b.Fatal(err)
				}
				_ = rt.Close(ctx)
				_ = cache.Close(ctx)
			}
			warm()
			for b.Loop() {
				warm()
			}
		})
	}
}

// BenchmarkStartupWarmCache: start-up of a Host (load, instrument, read the
// compiled module from the warm disk cache, instantiate, configure) per
// provider.
func BenchmarkStartupWarmCache(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.service, func(b *testing.B) {
			c.load(b)
			if _, ok := mods[c.module]; !ok {
				b.Skip("not built")
			}
			_ = c.open(b, limitAuto, 0) // warms cacheDir
			for b.Loop() {
				h, err := Open(context.Background(), Config{Service: c.service, Settings: c.settings, Builtins: builtins(),
					DataDir: cacheDir, Logger: discardLogger, PollInterval: -1})
				if err != nil {
					b.Fatal(err)
				}
				_ = h.Close(context.Background())
			}
		})
	}
}
