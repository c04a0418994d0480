package pluginhost

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

// TestHostileSend: each module misbehaves on the text "boom". The host must
// answer that send with an SMSError of class SMSPlugin, discard the
// instance, and serve the next send normally.
func TestHostileSend(t *testing.T) {
	tests := []struct {
		module, service string
		limit           limitMode
		pages           uint32
		callTimeout     time.Duration
		want            string // in the error's internal cause
		timeout         bool   // the per-call time limit ended the call
	}{
		{module: "loop", service: "HOSTILE_LOOP", limit: limitAuto, want: "time limit", timeout: true},
		{module: "loop", service: "HOSTILE_LOOP", limit: limitContext, want: "time limit", timeout: true},
		// A generous call limit, so that the memory cap, not the clock, stops it
		// (0.5-2 s alone; over 5 s once under `make test` on two shared cores).
		{module: "alloc", service: "HOSTILE_ALLOC", callTimeout: 30 * time.Second, want: "trapped"},
		// The Go SDK recovers the panic and reports it with its text and place.
		{module: "panic", service: "HOSTILE_PANIC", want: "(plugin_panic): panic: hostile plugin panics on purpose (at main.plug.Send "},
		// Enough memory to build the 5 MiB output, which the host refuses.
		{module: "huge", service: "HOSTILE_HUGE", pages: 2048, callTimeout: 5 * time.Second, want: "over the 4194304-byte limit"},
		{module: "badhost", service: "HOSTILE_BADHOST", want: "evil.example.net:443 refused"},
	}
	for _, tt := range tests {
		t.Run(tt.module+"/"+tt.limit.String(), func(t *testing.T) {
			h, logs := open(t, Config{
				Service:          tt.service,
				PluginsDir:       pluginsDir(t, map[string][]byte{tt.module + ".wasm": mods[tt.module]}),
				PollInterval:     -1,
				MemoryLimitPages: tt.pages,
				CallTimeout:      tt.callTimeout,
				PoolSize:         1,
				limit:            tt.limit,
			})
			sendOK(t, h, "warm up")
			_, err := h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "boom"})
			se := smsError(t, err, chelseru.SMSPlugin)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			var pe *pluginError
			if !errors.As(se, &pe) || pe.timeout != tt.timeout {
				t.Errorf("pluginError %+v, want timeout=%v", pe, tt.timeout)
			}
			if !strings.Contains(logs.String(), "sms plugin failed") {
				t.Errorf("the failure was not logged")
			}
			// The host keeps serving, on a fresh instance where one was discarded.
			for range 3 {
				if res := sendOK(t, h, "normal"); res.MessageID != "fine" {
					t.Fatalf("message id %q", res.MessageID)
				}
			}
			st := h.Stats()
			if st.PluginErrors != 1 || st.Sends != 5 {
				t.Errorf("stats %+v", st)
			}
			if tt.module != "badhost" && tt.module != "huge" && st.InstancesDiscarded != 1 {
				t.Errorf("instances discarded = %d, want 1", st.InstancesDiscarded)
			}
		})
	}
}

// TestHostileLoad: modules that cannot be loaded are refused with a clear
// one-line error by Check and by Open when named as the service, and are
// ignored (with a warning) beside a good service, which keeps serving.
func TestHostileLoad(t *testing.T) {
	tests := []struct {
		name string
		wasm []byte
		want string
	}{
		{"wrongabi", nil, "ABI version 2"},
		{"notwasm", notWasm, "not a WebAssembly module"},
		{"exportnothing", exportNothing, "exports no functions"},
		// Built without -buildmode=c-shared: a WASI command, refused with the hint.
		{"command", nil, "build it as a reactor (Go: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wasm := tt.wasm
			if wasm == nil {
				wasm = mods[tt.name]
			}
			_, err := Check(context.Background(), wasm)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Check: %v, want one line containing %q", err, tt.want)
			}
			dir := pluginsDir(t, map[string][]byte{tt.name + ".wasm": wasm})
			_, err = Open(context.Background(), Config{Service: "HOSTILE_X", PluginsDir: dir, Builtins: builtins(), PollInterval: -1, DataDir: cacheDir, Logger: discardLogger})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "HOSTILE_X") {
				t.Fatalf("Open: %v, want it to name the service and %q", err, tt.want)
			}
			// Beside a built-in service, the file is not selected: it is
			// neither read nor compiled, and the service serves.
			h, logs := open(t, Config{Service: "CONSOLE", PluginsDir: dir, PollInterval: -1})
			sendOK(t, h, "hello")
			if !strings.Contains(logs.String(), "not selected") {
				t.Errorf("the unselected file was not noted")
			}
		})
	}
}

func TestCheck(t *testing.T) {
	man, err := Check(context.Background(), mods["console"])
	if err != nil {
		t.Fatal(err)
	}
	if man.Name != "CONSOLE" || !man.Text || !man.Templates {
		t.Fatalf("manifest %+v", man)
	}
	man, err = Check(context.Background(), mods["testplug"])
	if err != nil || man.Name != "TESTPLUG" || len(man.Settings) != 3 {
		t.Fatalf("testplug: %+v, %v", man, err)
	}
}

// TestPoolWaitBoundedBySendDeadline: with the only instance busy (a guest
// call that runs until its time limit), another send waits for an instance
// only until its own SMS.TIMEOUT, and fails as a timeout while the busy call
// is still running.
func TestPoolWaitBoundedBySendDeadline(t *testing.T) {
	h, _ := open(t, Config{
		Service:      "HOSTILE_LOOP",
		PluginsDir:   pluginsDir(t, map[string][]byte{"loop.wasm": mods["loop"]}),
		PollInterval: -1,
		CallTimeout:  3 * time.Second,
		Timeout:      300 * time.Millisecond,
		PoolSize:     1,
	})
	sendOK(t, h, "warm up")
	busy := make(chan struct{})
	go func() {
		defer close(busy)
		_, _ = h.Send(context.Background(), chelseru.SMS{To: "09121234567", Text: "boom"})
	}()
	// Wait until the busy send holds the instance.
	for h.active.Load().live.Load() != 1 || len(h.active.Load().idle) != 0 {
		time.Sleep(time.Millisecond)
	}
	_, err := h.Send(context.Background(), chelseru.SMS{To: "09121234568", Text: "normal"})
	smsError(t, err, chelseru.SMSTimeout)
	if !errors.Is(err, errSendTimeout) {
		t.Errorf("cause %v, want errSendTimeout", err)
	}
	// Had the wait lasted until the busy call gave the instance back, this
	// send would have taken it and returned it to the pool.
	if n := len(h.active.Load().idle); n != 0 {
		t.Fatalf("%d idle instances after the timed-out wait: it waited for the busy call", n)
	}
	select {
	case <-busy:
		t.Fatal("the busy call ended first: the wait was not bounded by the send's deadline")
	default:
	}
}
