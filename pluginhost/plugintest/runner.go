// Package plugintest is the host-backed half of the provider test helper:
// it runs golden cases (see github.com/chelseru/chelseru/sdk/plugintest,
// which parses them and runs them natively) through the real plugin host,
// the compiled .wasm loaded by pluginhost.Open with its requests answered
// by an httptest server that replays each case's recorded responses.
//
// Runner needs no testing.T, so "chelseru plugin test" uses it for a plugin
// written in any language; Host, Golden, BuildWasm and BenchmarkHost are the
// go test helpers the built-in plugins and the examples use. It lives with
// the server, not in the sdk module, because it links the whole host
// (wazero and the rest); a plugin's own module needs only the sdk.
package plugintest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/pluginhost"
	"github.com/chelseru/chelseru/sdk/abi"
	sdkplugintest "github.com/chelseru/chelseru/sdk/plugintest"
)

// Case is one golden case (the sdk's type).
type Case = sdkplugintest.Case

// Exchange is one recorded HTTP call of a Case (the sdk's type).
type Exchange = sdkplugintest.Exchange

// LoadCases reads every *.case file in dir, sorted by name (see the sdk's
// plugintest.LoadCases).
func LoadCases(dir string) ([]*Case, error) { return sdkplugintest.LoadCases(dir) }

// CheckResult is the sdk's plugintest.CheckResult, for fuzz tests.
func CheckResult(t testing.TB, a abi.Action, secret string) {
	t.Helper()
	sdkplugintest.CheckResult(t, a, secret)
}

// Received is one request the provider's stand-in server received.
type Received struct {
	Method     string
	RequestURI string // path and query as sent
	Header     http.Header
	Body       string
}

// maxBody bounds a request body the replay server reads.
const maxBody = 1 << 20

// maxHosts bounds the hosts a Runner keeps open (one per distinct set of
// settings); past it the oldest is closed.
const maxHosts = 16

// Runner runs cases through the real plugin host: the module is loaded by
// pluginhost.Open from a PLUGINS_DIR of its own, and <NAME>_BASE_URL points
// at an httptest server that replays each case's recorded responses. One
// pluginhost.Host is opened per distinct set of settings and reused, so
// many cases stay cheap. A Runner runs one case at a time.
type Runner struct {
	service  string
	baseKey  string
	baseDef  string // the manifest's default BASE_URL
	dir      string // PLUGINS_DIR
	dataDir  string
	logger   *slog.Logger
	srv      *httptest.Server
	mu       sync.Mutex
	replies  []abi.Response
	received []Received
	hosts    map[string]*pluginhost.Host
	order    []string
}

// NewRunner prepares a Runner for wasm, whose manifest is man (nil: read it
// with pluginhost.Check, which costs one more compilation). tmp is an
// existing empty folder the Runner uses for the module and the host's data;
// logger receives the host's log (nil: discarded). Close releases it.
func NewRunner(wasm []byte, man *abi.Manifest, tmp string, logger *slog.Logger) (*Runner, error) {
	if man == nil {
		m, err := pluginhost.Check(context.Background(), wasm)
		if err != nil {
			return nil, err
		}
		man = &m
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{
		service: man.Name,
		baseKey: man.Name + "_BASE_URL",
		dir:     filepath.Join(tmp, "plugins"),
		dataDir: filepath.Join(tmp, "data"),
		logger:  logger,
		hosts:   map[string]*pluginhost.Host{},
	}
	for _, s := range man.Settings {
		if s.Key == r.baseKey {
			r.baseDef = s.Default
		}
	}
	for _, d := range []string{r.dir, r.dataDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(r.dir, strings.ToLower(man.Name)+".wasm"), wasm, 0o600); err != nil {
		return nil, err
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	return r, nil
}

// Close closes the hosts and the stand-in server.
func (r *Runner) Close() {
	for _, ph := range r.hosts {
		_ = ph.Close(context.Background())
	}
	r.hosts = map[string]*pluginhost.Host{}
	r.srv.Close()
}

// Service returns the module's SMS_SERVICE name.
func (r *Runner) Service() string { return r.service }

func (r *Runner) serve(w http.ResponseWriter, q *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(q.Body, maxBody))
	r.mu.Lock()
	r.received = append(r.received, Received{Method: q.Method, RequestURI: q.RequestURI, Header: q.Header.Clone(), Body: string(body)})
	var reply *abi.Response
	if len(r.replies) > 0 {
		reply = &r.replies[0]
		r.replies = r.replies[1:]
	}
	r.mu.Unlock()
	if reply == nil {
		http.Error(w, "plugintest: no recorded response left for this request", http.StatusTeapot)
		return
	}
	for _, hd := range reply.Headers {
		w.Header().Add(hd.Name, hd.Value)
	}
	w.WriteHeader(reply.Status)
	_, _ = io.WriteString(w, reply.Body)
}

// host returns the pluginhost.Host for settings, opening it on first use.
func (r *Runner) host(settings map[string]string) (*pluginhost.Host, error) {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var fp strings.Builder
	for _, k := range keys {
		fp.WriteString(k + "=" + settings[k] + "\x00")
	}
	if ph, ok := r.hosts[fp.String()]; ok {
		return ph, nil
	}
	ph, err := pluginhost.Open(context.Background(), pluginhost.Config{
		DataDir:      r.dataDir,
		PluginsDir:   r.dir,
		Service:      r.service,
		Settings:     settings,
		Logger:       r.logger,
		Builtins:     fstest.MapFS{},
		PollInterval: -1,
		// The module under test may carry a built-in's name (the built-in
		// providers' own golden tests): the harness opts in to it.
		Overrides: []string{r.service},
	})
	if err != nil {
		return nil, err
	}
	if len(r.order) == maxHosts {
		_ = r.hosts[r.order[0]].Close(context.Background())
		delete(r.hosts, r.order[0])
		r.order = r.order[1:]
	}
	r.hosts[fp.String()] = ph
	r.order = append(r.order, fp.String())
	return ph, nil
}

// Outcome is what the real host did with one case.
type Outcome struct {
	// Received are the requests the stand-in server received, in order.
	Received []Received
	// Result is the host's answer; SendErr its error (an
	// *chelseru.SMSError for every failure of a send).
	Result  chelseru.SMSResult
	SendErr error
	// base is the case's provider base URL, to rebuild recorded URLs.
	base *url.URL
}

// Run sends c.Message through the real host and returns what happened. An
// error means the host could not be opened with c's settings (the plugin
// refused its configuration, or the module is invalid).
func (r *Runner) Run(c *Case) (Outcome, error) {
	base := r.baseDef
	if v := c.Settings[r.baseKey]; v != "" {
		base = v
	}
	bu, err := url.Parse(base)
	if err != nil {
		return Outcome{}, fmt.Errorf("plugintest: %s: %w", r.baseKey, err)
	}
	settings := make(map[string]string, len(c.Settings)+1)
	for k, v := range c.Settings {
		settings[k] = v
	}
	settings[r.baseKey] = r.srv.URL + strings.TrimRight(bu.EscapedPath(), "/")
	ph, err := r.host(settings)
	if err != nil {
		return Outcome{}, err
	}
	r.mu.Lock()
	r.received = nil
	r.replies = r.replies[:0]
	for _, x := range c.Exchanges {
		r.replies = append(r.replies, x.Response)
	}
	r.mu.Unlock()
	o := Outcome{base: bu}
	o.Result, o.SendErr = ph.Send(context.Background(), smsOf(&c.Message))
	r.mu.Lock()
	o.Received = r.received
	r.received = nil
	r.mu.Unlock()
	return o, nil
}

// Diff compares what the host did with the case and returns one line per
// difference (none when they agree): the requests the server received
// (method, path and query, every recorded header, body) and the result.
func Diff(c *Case, o Outcome) []string {
	var diffs []string
	if len(o.Received) != len(c.Exchanges) {
		diffs = append(diffs, fmt.Sprintf("the provider received %d requests, want %d", len(o.Received), len(c.Exchanges)))
	}
	for i := range min(len(o.Received), len(c.Exchanges)) {
		got, want := o.Received[i], c.Exchanges[i].Request
		wu, err := url.Parse(want.URL)
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("request %d: recorded URL: %v", i+1, err))
			continue
		}
		if got.Method != want.Method || got.RequestURI != wu.RequestURI() {
			diffs = append(diffs, fmt.Sprintf("request %d: %s %s, want %s %s", i+1, got.Method, got.RequestURI, want.Method, wu.RequestURI()))
		}
		for _, hd := range want.Headers {
			if !slices.Contains(got.Header.Values(hd.Name), hd.Value) {
				diffs = append(diffs, fmt.Sprintf("request %d: header %s = %q, want %q", i+1, hd.Name, got.Header.Values(hd.Name), hd.Value))
			}
		}
		if got.Body != want.Body {
			diffs = append(diffs, fmt.Sprintf("request %d body:\n got %q\nwant %q", i+1, got.Body, want.Body))
		}
	}
	if c.Result.OK {
		if o.SendErr != nil {
			diffs = append(diffs, fmt.Sprintf("send failed: %v; want ok with message id %q", o.SendErr, c.Result.MessageID))
		} else if o.Result.MessageID != c.Result.MessageID {
			diffs = append(diffs, fmt.Sprintf("message id %q, want %q", o.Result.MessageID, c.Result.MessageID))
		}
		return diffs
	}
	var se *chelseru.SMSError
	if !errors.As(o.SendErr, &se) {
		return append(diffs, fmt.Sprintf("got %v (message id %q), want an error %s/%s", o.SendErr, o.Result.MessageID, c.Result.Class, c.Result.Code))
	}
	if string(se.Class) != c.Result.Class || se.Code != c.Result.Code || se.Text != c.Result.Text {
		diffs = append(diffs, fmt.Sprintf("error %s/%q/%q, want %s/%q/%q (cause: %v)", se.Class, se.Code, se.Text, c.Result.Class, c.Result.Code, c.Result.Text, se.Err))
	}
	return diffs
}

// hostHeaders are set by the host's HTTP client or Go's server, not by the
// plugin, so Update does not record them.
var hostHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Accept-Encoding": true, "Te": true, "Trailer": true, "Keep-Alive": true,
}

// Update rewrites c's requests and result from what the host did: each
// recorded request (as many as c has responses for) becomes the one the
// provider received, its URL rebuilt on the case's base URL and with the
// headers the plugin set; the result becomes the host's answer. It fails
// when the send ended in neither a result nor a classified provider error
// (a plugin failure, a timeout), which a case cannot record.
func Update(c *Case, o Outcome) error {
	var res abi.Result
	var se *chelseru.SMSError
	switch {
	case o.SendErr == nil:
		res = abi.Result{OK: true, MessageID: o.Result.MessageID}
	case errors.As(o.SendErr, &se) && se.Class != chelseru.SMSPlugin && se.Class != chelseru.SMSTimeout:
		res = abi.Result{Class: string(se.Class), Code: se.Code, Text: se.Text}
	default:
		return fmt.Errorf("the send failed in the plugin or the host, not with the provider: %w", o.SendErr)
	}
	for i := range c.Exchanges {
		if i >= len(o.Received) {
			break
		}
		got := o.Received[i]
		q := abi.Request{Method: got.Method, URL: o.base.Scheme + "://" + o.base.Host + got.RequestURI, Body: got.Body}
		// The headers the case recorded keep their order (a native run
		// compares it); the others follow, sorted.
		var names, rest []string
		for _, hd := range c.Exchanges[i].Request.Headers {
			name := http.CanonicalHeaderKey(hd.Name)
			if _, ok := got.Header[name]; ok && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
		for name := range got.Header {
			if !slices.Contains(names, name) {
				rest = append(rest, name)
			}
		}
		slices.Sort(rest)
		for _, name := range append(names, rest...) {
			if hostHeaders[name] || (name == "User-Agent" && got.Header.Get(name) == "chelseru") {
				continue
			}
			for _, v := range got.Header.Values(name) {
				q.Headers = append(q.Headers, abi.Header{Name: name, Value: v})
			}
		}
		c.Exchanges[i].Request = q
	}
	c.Result = res
	return nil
}
