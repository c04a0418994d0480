package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

func TestParseChatOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(chatOptions) bool
	}{
		{name: "defaults", check: func(o chatOptions) bool {
			return len(o.MemorySockets) == 2 && o.MemorySockets[0] == 5000 && o.MemorySockets[1] == 19000 &&
				o.Rooms == 1000 && len(o.Rates) == 2 && o.Rates[0] == 7.5 && o.Rates[1] == 10 && o.ClosedDuration == 10*time.Second
		}},
		{name: "memory only", args: []string{"-rates", "", "-closed-duration", "0", "-memory-sockets", "10, 20"}, check: func(o chatOptions) bool {
			return len(o.Rates) == 0 && len(o.MemorySockets) == 2 && o.MemorySockets[1] == 20
		}},
		{name: "nothing to run", args: []string{"-rates", "", "-closed-duration", "0", "-memory-sockets", ""}, wantErr: "nothing to run"},
		{name: "odd sockets", args: []string{"-memory-sockets", "5001"}, wantErr: "even number"},
		{name: "descending steps", args: []string{"-memory-sockets", "20,10"}, wantErr: "ascend"},
		{name: "not a number", args: []string{"-rates", "fast"}, wantErr: `"fast" is not a number`},
		{name: "rate zero", args: []string{"-rates", "0"}, wantErr: "between 0.1 and 1000"},
		{name: "rate NaN", args: []string{"-rates", "NaN"}, wantErr: "between 0.1 and 1000"},
		{name: "no rooms", args: []string{"-rooms", "0"}, wantErr: "-rooms"},
		{name: "endless run", args: []string{"-duration", "1h"}, wantErr: "-duration"},
		{name: "stray argument", args: []string{"more"}, wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseChatOptions(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseChatOptions(%q) error = %v, want one containing %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(o) {
				t.Fatalf("options = %+v", o)
			}
		})
	}
}

func TestChatFrameCarriesItsClientID(t *testing.T) {
	frame := appendChatFrame(nil, 4000000000, 17, 123456, 987654321012)
	var msg struct {
		Message  string `json:"message"`
		ClientID string `json:"client_id"`
	}
	if err := json.Unmarshal(frame, &msg); err != nil || msg.Message != chatText {
		t.Fatalf("the frame is not the client message of the API: %s (%v)", frame, err)
	}
	// As the server sends it back: other fields around it, spaces.
	echoed := fmt.Sprintf(`{"message": %q, "sender": "G0-09121234567", "id": 42, "room": 12, "timestamp": "2026-12-03T16:00:00Z", "client_id" : %q}`, msg.Message, msg.ClientID)
	id, ok := jsonStringField([]byte(echoed), "client_id")
	if !ok {
		t.Fatalf("no client_id found in %s", echoed)
	}
	nonce, idx, seq, at, ok := parseClientID(id)
	if !ok || nonce != 4000000000 || idx != 17 || seq != 123456 || at != 987654321012 {
		t.Fatalf("parseClientID(%q) = %d %d %d %d %v", id, nonce, idx, seq, at, ok)
	}
	for _, bad := range []string{"", "1.2.3", "1.2.3.4.5", "a.b.c.d", "1..3.4", "1.2.3.4x", "4294967296.1.2.3", "1.2.3.1234567890123456789"} {
		if _, _, _, _, ok := parseClientID([]byte(bad)); ok {
			t.Errorf("parseClientID(%q) accepted it", bad)
		}
	}
	fieldTests := []struct {
		frame, key, want string
		ok               bool
	}{
		{`{"type": "error", "detail": "Invalid JSON."}`, "type", "error", true},
		{`{"message": "the word \"type\": \"x\" inside", "type":"read"}`, "type", "read", true}, // the key's text in a value is skipped
		{`{"message": "type: x", "type":"read"}`, "type", "read", true},
		{`{"type": 3}`, "type", "", false},
		{`{"typ": "x"}`, "type", "", false},
		{`{"type"`, "type", "", false},
		{`{"type": "unterminated`, "type", "", false},
	}
	for _, ft := range fieldTests {
		got, ok := jsonStringField([]byte(ft.frame), ft.key)
		if ok != ft.ok || string(got) != ft.want {
			t.Errorf("jsonStringField(%s, %q) = %q, %v; want %q, %v", ft.frame, ft.key, got, ok, ft.want, ft.ok)
		}
	}
}

func TestChatSocketMarksEachMessageOnce(t *testing.T) {
	var s chatSocket
	for _, seq := range []int64{0, 1, 63, 64, 1000} {
		if !s.mark(seq) {
			t.Fatalf("mark(%d) the first time = false", seq)
		}
		if s.mark(seq) {
			t.Fatalf("mark(%d) again = true", seq)
		}
	}
	if s.mark(2) != true {
		t.Fatal("mark(2) = false though 2 was never seen")
	}
}

func TestParallelStopsAtTheFirstError(t *testing.T) {
	var ran atomic.Int64
	// Items after the failing one wait until well after it has failed, so
	// that the others cannot race through every item before its error is
	// recorded (they would, being trivial).
	failedLong := make(chan struct{})
	err := parallel(context.Background(), 1000, 4, func(w, i int) error {
		ran.Add(1)
		if w < 0 || w >= 4 {
			return fmt.Errorf("worker %d out of range", w)
		}
		switch {
		case i == 10:
			time.AfterFunc(500*time.Millisecond, func() { close(failedLong) })
			return fmt.Errorf("item %d failed", i)
		case i > 10:
			<-failedLong
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "item 10 failed") {
		t.Fatalf("err = %v", err)
	}
	if n := ran.Load(); n >= 1000 {
		t.Fatalf("all %d items ran after an error", n)
	}
	ran.Store(0)
	if err := parallel(context.Background(), 100, 8, func(int, int) error { ran.Add(1); return nil }); err != nil || ran.Load() != 100 {
		t.Fatalf("parallel = %v after %d items, want nil after 100", err, ran.Load())
	}
}

// relay is a small WebSocket chat server for testing the load tool: the
// wire format of /ws/chat/{room}/, rooms of two sockets, every message sent
// back to its sender and to the other member, with a server id and the
// client_id. It is not chelseru: it lets the tests drop messages on
// purpose. Every dropEvery-th message (0: none) reaches its sender only.
type relay struct {
	ln        net.Listener
	srv       *fasthttp.Server
	dropEvery int64
	n         atomic.Int64
	mu        sync.Mutex
	rooms     map[string][]*relayConn
}

type relayConn struct {
	mu   sync.Mutex // one writer at a time
	conn *websocket.Conn
}

func (c *relayConn) write(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.conn.WriteMessage(websocket.TextMessage, b)
}

func startRelay(t *testing.T, dropEvery int64) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, dropEvery: dropEvery, rooms: map[string][]*relayConn{}}
	up := websocket.FastHTTPUpgrader{CheckOrigin: func(*fasthttp.RequestCtx) bool { return true }}
	r.srv = &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		room, ok := strings.CutPrefix(string(ctx.Path()), "/ws/chat/")
		room = strings.TrimSuffix(room, "/")
		if !ok || !bytes.HasPrefix(ctx.Request.Header.Peek("Authorization"), []byte("Bearer ")) {
			ctx.SetStatusCode(fasthttp.StatusNotFound)
			return
		}
		_ = up.Upgrade(ctx, func(conn *websocket.Conn) { r.serve(room, conn) })
	}}
	go r.srv.Serve(ln)
	t.Cleanup(func() { _ = r.srv.Shutdown() })
	return r
}

func (r *relay) serve(room string, conn *websocket.Conn) {
	me := &relayConn{conn: conn}
	r.mu.Lock()
	r.rooms[room] = append(r.rooms[room], me)
	r.mu.Unlock()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var in struct {
			Message  string `json:"message"`
			ClientID string `json:"client_id"`
		}
		if err := json.Unmarshal(data, &in); err != nil || in.Message == "" {
			me.write([]byte(`{"type": "error", "detail": "Invalid message."}`))
			continue
		}
		n := r.n.Add(1)
		out, _ := json.Marshal(map[string]any{"message": in.Message, "sender": "G0-09120000000", "id": n, "room": room,
			"timestamp": time.Now().UTC().Format(time.RFC3339Nano), "client_id": in.ClientID})
		members := r.members(room)
		for deadline := time.Now().Add(5 * time.Second); len(members) < 2 && time.Now().Before(deadline); {
			// The other member's upgrade is done but its handler has not
			// registered it yet: a test machine under load.
			time.Sleep(time.Millisecond)
			members = r.members(room)
		}
		for _, m := range members {
			if m != me && r.dropEvery > 0 && n%r.dropEvery == 0 {
				continue
			}
			m.write(out)
		}
	}
}

// members returns the sockets of room.
func (r *relay) members(room string) []*relayConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*relayConn(nil), r.rooms[room]...)
}

// waitConns waits until the relay has registered n sockets.
func (r *relay) waitConns(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		r.mu.Lock()
		got := 0
		for _, m := range r.rooms {
			got += len(m)
		}
		r.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the relay registered %d sockets, want %d", got, n)
		}
	}
}

// relayMembers returns the members of rooms rooms (tokens are not checked
// by the relay beyond their presence).
func relayMembers(rooms int) []chatMember {
	m := make([]chatMember, 2*rooms)
	for i := range m {
		m[i] = chatMember{Room: int64(i/2 + 1), Token: "t" + strconv.Itoa(i)}
	}
	return m
}

func TestChatLoadCountsWhatArrives(t *testing.T) {
	o := chatOptions{Warmup: 100 * time.Millisecond, Duration: 600 * time.Millisecond, ClosedDuration: 300 * time.Millisecond, Drain: 10 * time.Second, Workers: 4}
	ctx := context.Background()
	for _, tt := range []struct {
		name      string
		dropEvery int64
		perSide   float64
	}{
		{"open loop, nothing dropped", 0, 50},
		{"open loop, every 7th delivery dropped", 7, 50},
		{"closed loop, nothing dropped", 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := startRelay(t, tt.dropEvery)
			res := runChatLoad(ctx, r.ln.Addr().String(), os.Getpid(), relayMembers(4), tt.perSide, o, discardLogger())
			if res.Error != "" || res.Closed != 0 || res.ErrorEvents != 0 || res.Foreign != 0 || res.Duplicates != 0 {
				t.Fatalf("result = %+v", res)
			}
			relayed := r.n.Load()
			if res.Sent == 0 || res.Sent != relayed || res.Unacked != 0 {
				t.Fatalf("sent %d, the relay saw %d, unacked %d", res.Sent, relayed, res.Unacked)
			}
			wantLost := int64(0)
			if tt.dropEvery > 0 {
				wantLost = relayed / tt.dropEvery
			}
			if res.Lost != wantLost || res.Delivered != res.Sent-wantLost {
				t.Fatalf("lost %d and delivered %d of %d sent; the relay dropped %d", res.Lost, res.Delivered, res.Sent, wantLost)
			}
			if res.Latencies == 0 || res.Latencies > uint64(res.Delivered) || res.P50 <= 0 || res.P99 < res.P50 || res.DeliveredRate <= 0 {
				t.Fatalf("latencies %d (p50 %v, p99 %v), delivered/s %v", res.Latencies, res.P50, res.P99, res.DeliveredRate)
			}
			if tt.perSide > 0 && res.Offered != tt.perSide*8 {
				t.Fatalf("offered = %v, want %v", res.Offered, tt.perSide*8)
			}
		})
	}
}

func TestChatLoadReportsAClosedSocket(t *testing.T) {
	r := startRelay(t, 0)
	l, err := newChatLoad(r.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	if err := l.open(context.Background(), relayMembers(2), 2); err != nil {
		t.Fatal(err)
	}
	// The server closes one socket: its reader must see it.
	r.waitConns(t, 4)
	r.mu.Lock()
	victim := r.rooms["2"][0]
	r.mu.Unlock()
	victim.mu.Lock()
	err = victim.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4401, "revoked"), time.Now().Add(time.Second))
	victim.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); l.openCount() != 3; {
		if time.Now().After(deadline) {
			t.Fatalf("open sockets = %d, want 3", l.openCount())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := l.probe(context.Background(), 200*time.Millisecond); err == nil || !strings.Contains(err.Error(), "4401") {
		t.Fatalf("probe with a closed socket = %v", err)
	}
}

func TestNewChatLoadTargetsOnlyLoopback(t *testing.T) {
	for _, addr := range []string{"10.0.0.1:80", "localhost:80", "[::1]:80", "example.com:443", "nonsense"} {
		if _, err := newChatLoad(addr); err == nil {
			t.Errorf("newChatLoad(%q) accepted it", addr)
		}
	}
}

func TestMeasureMemoryOfIdleSockets(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for memory to settle; skipped with -short")
	}
	r := startRelay(t, 0)
	// The relay runs in this process: its memory is this process's.
	mem, err := measureMemory(context.Background(), r.ln.Addr().String(), os.Getpid(), relayMembers(20), []int{10, 40}, 4, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	if len(mem) != 2 || mem[0].Sockets != 10 || mem[1].Sockets != 40 || mem[0].BaseRSS <= 0 || mem[1].RSS <= 0 || mem[1].Error != "" {
		t.Fatalf("memory = %+v", mem)
	}
	if got := r.n.Load(); got != 20 {
		t.Fatalf("the probe sent %d messages, want one per room (20)", got)
	}
}

func TestChatReportPrintsEveryRow(t *testing.T) {
	rep := &chatReport{
		Commit: "abc1234", Machine: machine{CPUs: 2, LoadAvg: -1},
		Setup:  chatSetup{Users: 38000, Rooms: 19000, Took: 3 * time.Second},
		Memory: []memoryResult{{Sockets: 5000, BaseRSS: 40 << 20, RSS: 80 << 20, KiBPerSocket: 8.2}, {Sockets: 19000, RSS: 0, Error: "boom"}},
		Loads: []chatResult{
			{Label: "open loop low", Offered: 15000, Sent: 1, DeliveredRate: 14990, P99: 15 * time.Millisecond, Latencies: 1},
			{Label: "open loop high", Offered: 20000, Sent: 1, DeliveredRate: 18000, P99: 15 * time.Millisecond, Latencies: 1},
			{Label: "closed", Sent: 1, DeliveredRate: 40000, Latencies: 1},
		},
	}
	rep.finish()
	var b bytes.Buffer
	if err := writeChatReport(&b, rep, false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| idle authenticated sockets: 5,000 | — | — | — | — | — | 8.2 (0.0) | ≤ 12 KiB: **met** |",
		"| idle authenticated sockets: 19,000 | — | — | — | — | — | failed | ≤ 12 KiB: not measured |",
		"| open loop low | 15,000 msg/s | 14,990 | 0 | 15.0 ms | 0 | — | p99 ≤ 20.0 ms, none lost: **met** |",
		"| open loop high | 20,000 msg/s | 18,000 |",
		"≥ 19,000 delivered/s, p99 ≤ 50.0 ms, none lost: **not met**",
		"| closed | — (closed loop) | 40,000 |",
		"38,000 users logged in",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if rep.allTargetsMet() {
		t.Error("allTargetsMet with a failed step and a missed target")
	}
}

func TestChatAgainstTheRealServer(t *testing.T) {
	bin := serverBinary(t)
	if testing.Short() {
		t.Skip("starts the server binary; skipped with -short")
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"chat", "-bin", bin, "-memory-sockets", "20,40", "-rooms", "10", "-rates", "5",
		"-warmup", "100ms", "-duration", "1s", "-closed-duration", "500ms", "-workers", "4", "-json"}, &out, &errOut)
	if code != exitOK && strings.Contains(errOut.String(), "POST "+roomsPath+": HTTP 404") {
		t.Skipf("the server binary %s has no chat rooms yet", bin)
	}
	if code != exitOK {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	var rep chatReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("-json output: %v\n%s", err, out.String())
	}
	if rep.Setup.Users != 40 || rep.Setup.Rooms != 20 || len(rep.Memory) != 2 || len(rep.Loads) != 2 {
		t.Fatalf("report = %+v", rep)
	}
	for _, m := range rep.Memory {
		if m.Error != "" || m.BaseRSS <= 0 || m.RSS <= 0 {
			t.Errorf("memory step %+v", m)
		}
	}
	for _, l := range rep.Loads {
		if l.Error != "" || l.Sent == 0 || l.Lost != 0 || l.Unacked != 0 || l.Delivered != l.Sent || l.Closed != 0 ||
			l.Duplicates != 0 || l.ErrorEvents != 0 || l.Foreign != 0 || l.Latencies == 0 {
			t.Errorf("%s: %+v", l.Label, l)
		}
	}
}
