package host_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/chelseru/chelseru/host"
)

// The chat over real sockets: the real host, real Badger, and
// github.com/fasthttp/websocket's client.

// safety bounds a wait for a frame so a broken server fails the test instead
// of hanging it; it is not a timing assertion.
const safety = 30 * time.Second

// chatUser is a logged-in user.
type chatUser struct {
	mobile, name, access string
}

func (e *env) chatUser(mobile string) chatUser {
	e.t.Helper()
	access, _ := e.login(mobile, 0)
	return chatUser{mobile: mobile, name: "G0-" + mobile, access: access}
}

// openRoom posts /api/chat/rooms/ and returns the answer.
func (e *env) openRoom(u chatUser, mobile string) resp {
	e.t.Helper()
	return e.post("/api/chat/rooms/", map[string]any{"mobile_number": mobile}, "Authorization", "Bearer "+u.access)
}

// room opens the room between a and b and returns its id.
func (e *env) room(a, b chatUser) int64 {
	e.t.Helper()
	r := e.openRoom(a, b.mobile)
	if r.status != http.StatusCreated && r.status != http.StatusOK {
		e.t.Fatalf("open room: %d %s", r.status, r.body)
	}
	return int64(r.obj["id"].(float64))
}

func (e *env) wsURL(room int64, query string) string {
	u := "ws" + strings.TrimPrefix(e.base, "http") + "/ws/chat/" + strconv.FormatInt(room, 10) + "/"
	if query != "" {
		u += "?" + query
	}
	return u
}

// dial opens a socket with the user's token in the Authorization header.
func (e *env) dial(u chatUser, room int64, query string) *websocket.Conn {
	e.t.Helper()
	c, err := e.tryDial(u.access, room, query, nil)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	return c
}

func (e *env) tryDial(access string, room int64, query string, hdr http.Header) (*websocket.Conn, error) {
	if hdr == nil {
		hdr = http.Header{}
	}
	if access != "" {
		hdr.Set("Authorization", "Bearer "+access)
	}
	c, resp, err := websocket.DefaultDialer.Dial(e.wsURL(room, query), hdr)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (status %d)", err, resp.StatusCode)
		}
		return nil, err
	}
	e.t.Cleanup(func() { c.Close() })
	return c, nil
}

// event is one frame from the server, decoded.
type event map[string]any

func (ev event) id() int64 { f, _ := ev["id"].(float64); return int64(f) }
func (ev event) str(k string) string {
	s, _ := ev[k].(string)
	return s
}

// next reads the next frame; a close is returned as the error.
func next(t testing.TB, c *websocket.Conn) (event, error) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(safety))
	_, b, err := c.ReadMessage()
	if err != nil {
		return nil, err
	}
	var ev event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("frame is not a JSON object: %q", b)
	}
	return ev, nil
}

func mustNext(t testing.TB, c *websocket.Conn) event {
	t.Helper()
	ev, err := next(t, c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return ev
}

// closeCode reads until the socket closes and returns the close code.
func closeCode(t testing.TB, c *websocket.Conn) int {
	t.Helper()
	for {
		_, err := next(t, c)
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		t.Fatalf("socket ended without a close frame: %v", err)
	}
}

func send(t testing.TB, c *websocket.Conn, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := c.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func TestChatBothMembersExchange(t *testing.T) {
	e := newEnv(t)
	a, b := e.chatUser("09120000001"), e.chatUser("09120000002")
	room := e.room(a, b)
	ca, cb := e.dial(a, room, ""), e.dial(b, room, "")

	send(t, ca, map[string]any{"message": "  salam  ", "client_id": "c-1"})
	for _, c := range []*websocket.Conn{ca, cb} {
		ev := mustNext(t, c)
		if ev.str("message") != "salam" || ev.str("sender") != a.name || ev.id() != 1 ||
			int64(ev["room"].(float64)) != room || ev.str("client_id") != "c-1" || ev["type"] != nil {
			t.Fatalf("got %v", ev)
		}
		if _, err := time.Parse(time.RFC3339, ev.str("timestamp")); err != nil {
			t.Fatalf("timestamp %q: %v", ev.str("timestamp"), err)
		}
	}
	send(t, cb, map[string]any{"message": "سلام!"})
	for _, c := range []*websocket.Conn{ca, cb} {
		ev := mustNext(t, c)
		if ev.str("message") != "سلام!" || ev.str("sender") != b.name || ev.id() != 2 {
			t.Fatalf("got %v", ev)
		}
		if _, ok := ev["client_id"]; ok {
			t.Fatalf("client_id echoed without one: %v", ev)
		}
	}
}

func TestChatSeveralDevicesAllReceive(t *testing.T) {
	e := newEnv(t)
	a, b := e.chatUser("09120000011"), e.chatUser("09120000012")
	b2 := e.chatUser(b.mobile) // a second login: another device
	room := e.room(a, b)
	conns := []*websocket.Conn{e.dial(a, room, ""), e.dial(a, room, ""), e.dial(b, room, ""), e.dial(b2, room, "")}
	send(t, conns[0], map[string]any{"message": "to every device"})
	for i, c := range conns {
		if ev := mustNext(t, c); ev.str("message") != "to every device" || ev.id() != 1 {
			t.Fatalf("conn %d got %v", i, ev)
		}
	}
}

func TestChatRefusals(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.chatUser("09120000021"), e.chatUser("09120000022"), e.chatUser("09120000023")
	room := e.room(a, b)
	dialCode := func(access string, room int64, query string) int {
		t.Helper()
		conn, err := e.tryDial(access, room, query, nil)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		return closeCode(t, conn)
	}
	for _, tc := range []struct {
		name   string
		access string
		room   int64
		query  string
		want   int
	}{
		{"third user", c.access, room, "", host.CloseForbidden},
		{"no token", "", room, "", host.CloseUnauthorized},
		{"bad token", "not-a-token", room, "", host.CloseUnauthorized},
		{"unknown room", a.access, room + 1000, "", host.CloseNotFound},
		{"bad since", a.access, room, "since=abc", host.CloseBadRequest},
	} {
		if got := dialCode(tc.access, tc.room, tc.query); got != tc.want {
			t.Errorf("%s: close %d, want %d", tc.name, got, tc.want)
		}
	}
	// ?token= for browsers, which cannot set headers.
	conn, err := e.tryDial("", room, "token="+a.access, nil)
	if err != nil {
		t.Fatal(err)
	}
	send(t, conn, map[string]any{"message": "via query token"})
	if ev := mustNext(t, conn); ev.str("sender") != a.name {
		t.Fatalf("got %v", ev)
	}
	// A revoked session is refused as on HTTP.
	sid := currentSession(t, e, b)
	if r := e.do(req{method: http.MethodDelete, path: fmt.Sprintf("/api/sessions/%d/", sid), header: map[string]string{"Authorization": "Bearer " + b.access}}); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if got := dialCode(b.access, room, ""); got != host.CloseUnauthorized {
		t.Fatalf("revoked session: close %d, want 4401", got)
	}
	// Not a socket at all.
	if r := e.get(fmt.Sprintf("/ws/chat/%d/", room), a.access); r.status != http.StatusUpgradeRequired {
		t.Fatalf("plain GET of the socket path: %d %s", r.status, r.body)
	}
}

func currentSession(t *testing.T, e *env, u chatUser) int64 {
	t.Helper()
	r := e.get("/api/sessions/", u.access)
	for _, s := range r.arr {
		m := s.(map[string]any)
		if m["current"] == true {
			return int64(m["id"].(float64))
		}
	}
	t.Fatalf("no current session in %s", r.body)
	return 0
}

func TestChatRevokedSessionSocketIsClosed(t *testing.T) {
	e := newEnv(t)
	a, b := e.chatUser("09120000031"), e.chatUser("09120000032")
	b2 := e.chatUser(b.mobile)
	room := e.room(a, b)
	cb, cb2 := e.dial(b, room, ""), e.dial(b2, room, "")
	sid := currentSession(t, e, b)
	// b2 revokes b's session (another device of the same user).
	if r := e.do(req{method: http.MethodDelete, path: fmt.Sprintf("/api/sessions/%d/", sid), header: map[string]string{"Authorization": "Bearer " + b2.access}}); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if got := closeCode(t, cb); got != host.CloseUnauthorized {
		t.Fatalf("close %d, want 4401", got)
	}
	// The other session's socket is still served.
	ca := e.dial(a, room, "")
	send(t, ca, map[string]any{"message": "still there?"})
	if ev := mustNext(t, cb2); ev.str("message") != "still there?" {
		t.Fatalf("got %v", ev)
	}
}

func TestChatThousandMessagesCompleteAndInOrder(t *testing.T) {
	e := newEnv(t)
	a, b := e.chatUser("09120000041"), e.chatUser("09120000042")
	room := e.room(a, b)
	ca, cb := e.dial(a, room, ""), e.dial(b, room, "")
	const n = 1000
	window := make(chan struct{}, 100) // at most 100 messages in flight, as a real client
	go func() {                        // a's own copies (acks)
		for i := 0; i < n; i++ {
			if _, err := next(t, ca); err != nil {
				return
			}
			<-window
		}
	}()
	go func() {
		for i := 1; i <= n; i++ {
			window <- struct{}{}
			b, _ := json.Marshal(map[string]any{"message": fmt.Sprintf("m%d", i)})
			if ca.WriteMessage(websocket.TextMessage, b) != nil {
				return
			}
		}
	}()
	for i := 1; i <= n; i++ {
		ev := mustNext(t, cb)
		if ev.id() != int64(i) || ev.str("message") != fmt.Sprintf("m%d", i) {
			t.Fatalf("message %d: got %v", i, ev)
		}
	}
}

func TestChatClientIDRetryStoresOne(t *testing.T) {
	e := newEnv(t)
	a, b := e.chatUser("09120000051"), e.chatUser("09120000052")
	room := e.room(a, b)
	ca, cb := e.dial(a, room, ""), e.dial(b, room, "")
	send(t, ca, map[string]any{"message": "once", "client_id": "retry-me"})
	first := mustNext(t, ca)
	send(t, ca, map[string]any{"message": "once", "client_id": "retry-me"})
	again := mustNext(t, ca)
	if first.id() != 1 || again.id() != 1 || again.str("client_id") != "retry-me" || again.str("timestamp") != first.str("timestamp") {
		t.Fatalf("first %v, retry %v", first, again)
	}
	send(t, ca, map[string]any{"message": "next"})
	if ev := mustNext(t, ca); ev.id() != 2 {
		t.Fatalf("got %v", ev)
	}
	// b saw the message once, then the next one.
	if ev := mustNext(t, cb); ev.id() != 1 {
		t.Fatalf("got %v", ev)
	}
	if ev := mustNext(t, cb); ev.id() != 2 {
		t.Fatalf("b got a second copy: %v", ev)
	}
	r := e.get(fmt.Sprintf("/api/chat/rooms/%d/messages/", room), a.access)
	if r.status != 200 || len(r.arr) != 2 {
		t.Fatalf("history: %d %s", r.status, r.body)
	}
}

func TestChatHistoryPaging(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.chatUser("09120000061"), e.chatUser("09120000062"), e.chatUser("09120000063")
	room := e.room(a, b)
	ca := e.dial(a, room, "")
	for i := 1; i <= 7; i++ {
		send(t, ca, map[string]any{"message": fmt.Sprintf("h%d", i)})
		mustNext(t, ca)
	}
	ids := func(r resp) []int64 {
		t.Helper()
		if r.status != 200 {
			t.Fatalf("history: %d %s", r.status, r.body)
		}
		var out []int64
		for _, m := range r.arr {
			mm := m.(map[string]any)
			if mm["sender"] != a.name || mm["room"].(float64) != float64(room) {
				t.Fatalf("history item %v", mm)
			}
			out = append(out, int64(mm["id"].(float64)))
		}
		return out
	}
	path := fmt.Sprintf("/api/chat/rooms/%d/messages/", room)
	for _, tc := range []struct {
		query string
		want  string
	}{
		{"", "[7 6 5 4 3 2 1]"},
		{"?limit=3", "[7 6 5]"},
		{"?limit=3&before=5", "[4 3 2]"},
		{"?limit=3&before=2", "[1]"},
		{"?before=1", "[]"},
		{"?limit=1000", "[7 6 5 4 3 2 1]"},
	} {
		if got := fmt.Sprint(ids(e.get(path+tc.query, b.access))); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.query, got, tc.want)
		}
	}
	want(t, e.get(path, c.access), http.StatusNotFound, `{"detail":"Not found."}`)
	want(t, e.get(fmt.Sprintf("/api/chat/rooms/%d/messages/", room+99), a.access), http.StatusNotFound, `{"detail":"Not found."}`)
	want(t, e.get(path+"?limit=x", a.access), http.StatusBadRequest, `{"limit":["A valid integer is required."]}`)
	want(t, e.get(path+"?before=0", a.access), http.StatusBadRequest, `{"before":["Ensure this value is greater than or equal to 1."]}`)
	if r := e.get(path, ""); r.status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", r.status)
	}
}

func TestChatReconnectWithSinceWhilePeerSends(t *testing.T) {
	e := newEnv(t)
	a, b := e.chatUser("09120000071"), e.chatUser("09120000072")
	room := e.room(a, b)
	ca, cb := e.dial(a, room, ""), e.dial(b, room, "")
	for i := 1; i <= 5; i++ {
		send(t, ca, map[string]any{"message": fmt.Sprintf("s%d", i)})
		mustNext(t, ca)
	}
	for i := 1; i <= 3; i++ { // b has seen 1..3, then drops off
		mustNext(t, cb)
	}
	cb.Close()

	const total = 2000
	acks := make(chan int64, total)
	window := make(chan struct{}, 100)
	go func() {
		for {
			ev, err := next(t, ca)
			if err != nil {
				close(acks)
				return
			}
			acks <- ev.id()
			<-window
		}
	}()
	started := make(chan struct{})
	go func() { // a keeps sending while b reconnects
		for i := 6; i <= total; i++ {
			if i == 50 {
				close(started)
			}
			window <- struct{}{}
			b, _ := json.Marshal(map[string]any{"message": fmt.Sprintf("s%d", i)})
			if ca.WriteMessage(websocket.TextMessage, b) != nil {
				return
			}
		}
	}()
	<-started
	<-acks // at least one message after the drop is stored before b returns
	cb = e.dial(b, room, "since=3")
	for i := int64(4); i <= total; i++ {
		ev := mustNext(t, cb)
		if ev.id() != i || ev.str("message") != fmt.Sprintf("s%d", i) {
			t.Fatalf("want message %d, got %v", i, ev)
		}
	}
	// And nothing more: the next frame is a message sent after the check.
	send(t, cb, map[string]any{"message": "from b"})
	if ev := mustNext(t, cb); ev.id() != total+1 || ev.str("sender") != b.name {
		t.Fatalf("after the replay: %v", ev)
	}
}

func TestChatFrameOverLimitGets1009(t *testing.T) {
	e := newEnv(t)
	a, b := e.chatUser("09120000081"), e.chatUser("09120000082")
	room := e.room(a, b)
	ca, cb := e.dial(a, room, ""), e.dial(b, room, "")
	big := `{"message":"` + strings.Repeat("x", 2<<20) + `"}`
	if err := ca.WriteMessage(websocket.TextMessage, []byte(big)); err != nil {
		t.Fatal(err)
	}
	if got := closeCode(t, ca); got != websocket.CloseMessageTooBig {
		t.Fatalf("close %d, want 1009", got)
	}
	// The other connection and the server carry on.
	ca = e.dial(a, room, "")
	send(t, ca, map[string]any{"message": "after the big one"})
	if ev := mustNext(t, cb); ev.str("message") != "after the big one" || ev.id() != 1 {
		t.Fatalf("got %v", ev)
	}
	if r := e.get("/healthz", ""); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
}

func TestChatMalformedFramesGetErrorEvents(t *testing.T) {
	e := newEnv(t, func(c *config) { c.chatMaxChars = 10 })
	a, b := e.chatUser("09120000091"), e.chatUser("09120000092")
	room := e.room(a, b)
	ca := e.dial(a, room, "")
	for _, tc := range []struct{ frame, detail string }{
		{`not json`, "Malformed frame: expected a JSON object."},
		{`[1,2]`, "Malformed frame: expected a JSON object."},
		{"{\"message\":\"\xff\"}", "Malformed frame: expected a JSON object."},
		{`{"type":"bogus"}`, `Unknown type "bogus".`},
		{`{"type":5}`, `"type" must be a string.`},
		{`{"message":5}`, `"message" is required and must be a string.`},
		{`{}`, `"message" is required and must be a string.`},
		{`{"message":"   "}`, "message: This field may not be blank."},
		{`{"message":"12345678901"}`, "message: Ensure this field has no more than 10 characters."},
		{`{"message":"ok","client_id":7}`, `"client_id" must be a string.`},
		{`{"type":"read","id":"x"}`, `A read event needs "id", a message id.`},
	} {
		if err := ca.WriteMessage(websocket.TextMessage, []byte(tc.frame)); err != nil {
			t.Fatal(err)
		}
		ev := mustNext(t, ca)
		if ev.str("type") != "error" || ev.str("detail") != tc.detail || ev["sender"] != nil {
			t.Errorf("%s: got %v, want detail %q", tc.frame, ev, tc.detail)
		}
	}
	// Still open, and nothing was stored.
	send(t, ca, map[string]any{"message": "1234567890"}) // exactly the limit
	if ev := mustNext(t, ca); ev.id() != 1 || ev.str("message") != "1234567890" {
		t.Fatalf("got %v", ev)
	}
}

func TestChatClientThatNeverReadsDoesNotDelayOthers(t *testing.T) {
	e := newEnv(t, func(c *config) { c.host.Chat.SendQueue = 32; c.host.Chat.WriteTimeout = 2 * time.Second })
	a, b := e.chatUser("09120000101"), e.chatUser("09120000102")
	room := e.room(a, b)
	ca, cb := e.dial(a, room, ""), e.dial(b, room, "")
	stuck := e.dial(b, room, "") // b's second device never reads
	const n = 600
	text := strings.Repeat("ب", 4000) // 8 KB a message: the stuck socket's buffers fill
	window := make(chan struct{}, 16) // below the send queue: a's own socket keeps up
	go func() {
		for i := 0; i < n; i++ {
			if _, err := next(t, ca); err != nil {
				return
			}
			<-window
		}
	}()
	go func() {
		for i := 0; i < n; i++ {
			window <- struct{}{}
			b, _ := json.Marshal(map[string]any{"message": text})
			if ca.WriteMessage(websocket.TextMessage, b) != nil {
				return
			}
		}
	}()
	for i := 1; i <= n; i++ {
		if ev := mustNext(t, cb); ev.id() != int64(i) {
			t.Fatalf("want %d, got id %d", i, ev.id())
		}
	}
	// The stuck socket was cut off before it could get everything.
	got := 0
	for {
		if _, err := next(t, stuck); err != nil {
			break
		}
		got++
	}
	if got >= n {
		t.Fatalf("the never-reading socket got all %d messages", got)
	}
	r := e.get("/metrics", "")
	if !strings.Contains(string(r.body), "chelseru_chat_slow_disconnects_total 1\n") {
		t.Fatalf("metrics lack the slow-client counter:\n%s", r.body)
	}
}

func TestChatRooms(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.chatUser("09120000111"), e.chatUser("09120000112"), e.chatUser("09120000113")
	hdr := func(u chatUser) []string { return []string{"Authorization", "Bearer " + u.access} }

	r := e.openRoom(a, "+98 912 000 0112")
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := r.obj["id"].(float64)
	for _, k := range []string{"id", "user_1", "user_2", "created_at"} {
		if _, ok := r.obj[k]; !ok {
			t.Fatalf("create body lacks %s: %s", k, r.body)
		}
	}
	r2 := e.openRoom(b, "09120000111") // the other side: the same room
	if r2.status != http.StatusOK || r2.obj["id"].(float64) != id {
		t.Fatalf("from the other side: %d %s", r2.status, r2.body)
	}
	r3 := e.openRoom(a, "۰۹۱۲۰۰۰۰۱۱۲") // Persian digits: the same user
	if r3.status != http.StatusOK || r3.obj["id"].(float64) != id {
		t.Fatalf("persian digits: %d %s", r3.status, r3.body)
	}
	want(t, e.openRoom(a, a.mobile), http.StatusBadRequest, `{"mobile_number":["You cannot open a chat room with yourself."]}`)
	want(t, e.openRoom(a, "12345"), http.StatusBadRequest, `{"mobile_number":["Enter a valid mobile number."]}`)
	want(t, e.post("/api/chat/rooms/", map[string]any{}, hdr(a)...), http.StatusBadRequest, `{"mobile_number":["This field is required."]}`)
	if r := e.post("/api/chat/rooms/", map[string]any{"mobile_number": b.mobile}); r.status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", r.status)
	}
	// A user who never logged in is created, as the original's get-or-create.
	if r := e.openRoom(a, "09129999999"); r.status != http.StatusCreated {
		t.Fatalf("new user: %d %s", r.status, r.body)
	}
	// Form bodies work too, with a group.
	if r := e.do(req{method: http.MethodPost, path: "/api/chat/rooms/", ctype: "application/x-www-form-urlencoded", body: "mobile_number=09120000113&group=0", header: map[string]string{"Authorization": "Bearer " + a.access}}); r.status != http.StatusCreated {
		t.Fatalf("form: %d %s", r.status, r.body)
	}
	roomAC := e.room(a, c)
	roomAB := int64(id)

	// a writes to b; b's list shows the unread count, most active first.
	e.clock.Advance(time.Second)
	ca := e.dial(a, roomAB, "")
	for i := 1; i <= 3; i++ {
		send(t, ca, map[string]any{"message": fmt.Sprintf("u%d", i)})
		mustNext(t, ca)
	}
	list := func(u chatUser) []map[string]any {
		t.Helper()
		r := e.get("/api/chat/rooms/", u.access)
		if r.status != 200 {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		var out []map[string]any
		for _, x := range r.arr {
			out = append(out, x.(map[string]any))
		}
		return out
	}
	lb := list(b)
	if len(lb) != 1 || lb[0]["unread"].(float64) != 3 || lb[0]["other"].(map[string]any)["username"] != a.name {
		t.Fatalf("b's rooms: %v", lb)
	}
	if lm := lb[0]["last_message"].(map[string]any); lm["message"] != "u3" || lm["sender"] != a.name || lm["id"].(float64) != 3 {
		t.Fatalf("last message: %v", lm)
	}
	la := list(a)
	if len(la) != 3 || la[0]["id"].(float64) != float64(roomAB) || la[0]["unread"].(float64) != 0 {
		t.Fatalf("a's rooms: %v", la)
	}
	for _, x := range la[1:] {
		if x["last_message"] != nil {
			t.Fatalf("a room without messages: %v", x)
		}
	}

	// b reads up to 2: a gets the receipt, b's unread count follows.
	cb := e.dial(b, roomAB, "")
	send(t, cb, map[string]any{"type": "read", "id": 2})
	if ev := mustNext(t, ca); ev.str("type") != "read" || ev.id() != 2 || ev.str("reader") != b.name {
		t.Fatalf("receipt: %v", ev)
	}
	if lb := list(b); lb[0]["unread"].(float64) != 1 {
		t.Fatalf("after read: %v", lb)
	}
	send(t, cb, map[string]any{"type": "read", "id": 99}) // capped at the newest
	if ev := mustNext(t, ca); ev.str("type") != "read" || ev.id() != 3 {
		t.Fatalf("receipt: %v", ev)
	}
	if lb := list(b); lb[0]["unread"].(float64) != 0 {
		t.Fatalf("after read all: %v", lb)
	}
	// c's room becomes the most recently active one for a.
	e.clock.Advance(time.Second)
	cc := e.dial(c, roomAC, "")
	send(t, cc, map[string]any{"message": "hi a"})
	mustNext(t, cc)
	if la := list(a); la[0]["id"].(float64) != float64(roomAC) || la[0]["unread"].(float64) != 1 {
		t.Fatalf("a's rooms after c wrote: %v", la)
	}
}

func TestChatConcurrentCreatesGiveOneRoom(t *testing.T) {
	e := newEnv(t)
	a, b := e.chatUser("09120000121"), e.chatUser("09120000122")
	const n = 16
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[float64]int{}
		created int
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, other := a, b
			if i%2 == 1 {
				u, other = b, a
			}
			r, err := e.roundTrip(req{method: http.MethodPost, path: "/api/chat/rooms/", body: `{"mobile_number":"` + other.mobile + `"}`,
				header: map[string]string{"Authorization": "Bearer " + u.access}})
			if err != nil {
				t.Error(err)
				return
			}
			_ = json.Unmarshal(r.body, &r.obj)
			mu.Lock()
			defer mu.Unlock()
			if r.status == http.StatusCreated {
				created++
			}
			if r.obj != nil {
				ids[r.obj["id"].(float64)]++
			}
		}()
	}
	wg.Wait()
	if len(ids) != 1 || created != 1 {
		t.Fatalf("rooms %v, created %d; want one room created once", ids, created)
	}
}

func TestChatOriginAndConnectionCap(t *testing.T) {
	e := newEnv(t, func(c *config) {
		c.host.Chat.AllowedOrigins = []string{"https://chat.example.com"}
		c.host.Chat.MaxConnectionsPerUser = 2
	})
	a, b := e.chatUser("09120000131"), e.chatUser("09120000132")
	room := e.room(a, b)
	if _, err := e.tryDial(a.access, room, "", http.Header{"Origin": {"https://evil.example.com"}}); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("foreign origin: %v", err)
	}
	for i := 0; i < 2; i++ {
		c, err := e.tryDial(a.access, room, "", http.Header{"Origin": {"https://chat.example.com"}})
		if err != nil {
			t.Fatalf("allowed origin: %v", err)
		}
		send(t, c, map[string]any{"message": "hi"})
		mustNext(t, c)
	}
	c, err := e.tryDial(a.access, room, "", nil) // no Origin: a native app
	if err != nil {
		t.Fatal(err)
	}
	if got := closeCode(t, c); got != host.CloseTooMany {
		t.Fatalf("third socket: close %d, want 4429", got)
	}
}

func TestChatShutdownClosesSocketsWith1001(t *testing.T) {
	e := newEnv(t)
	a, b := e.chatUser("09120000141"), e.chatUser("09120000142")
	room := e.room(a, b)
	conns := []*websocket.Conn{e.dial(a, room, ""), e.dial(b, room, "")}
	codes := make(chan int, len(conns))
	for _, c := range conns {
		go func() {
			for {
				_, _, err := c.ReadMessage()
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					codes <- ce.Code
					return
				}
				if err != nil {
					codes <- -1
					return
				}
			}
		}()
	}
	shutdown(t, e)
	for range conns {
		if got := <-codes; got != websocket.CloseGoingAway {
			t.Fatalf("close %d, want 1001", got)
		}
	}
	if n := e.srv.OpenSockets(); n != 0 {
		t.Fatalf("%d sockets still open after Shutdown", n)
	}
}

// shutdown stops e's server now (the cleanup's Shutdown then finds it
// stopped).
func shutdown(t *testing.T, e *env) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- e.srv.Shutdown(t.Context()) }()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestChatPingPongAndDeadPeers(t *testing.T) {
	e := newEnv(t, func(c *config) {
		// Pings go out from a one-second sweep, so up to 2 s apart; the
		// rest leaves room for a loaded machine.
		c.host.Chat.PingInterval = time.Second
		c.host.Chat.IdleTimeout = 5 * time.Second
	})
	a, b := e.chatUser("09120000151"), e.chatUser("09120000152")
	room := e.room(a, b)
	ca := e.dial(a, room, "")
	pings := make(chan struct{}, 16)
	ca.SetPingHandler(func(data string) error {
		pings <- struct{}{}
		return ca.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	pongs := make(chan string, 1)
	ca.SetPongHandler(func(data string) error { pongs <- data; return nil })
	if err := ca.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	go func() { // a reads (and so answers pings) until the end of the test
		for {
			if _, _, err := ca.ReadMessage(); err != nil {
				return
			}
		}
	}()
	if got := <-pongs; got != "are you there" {
		t.Fatalf("pong %q", got)
	}
	// b's socket never reads, so never answers a ping: it is reaped.
	cb := e.dial(b, room, "")
	<-pings // the server pings
	for i := 0; e.srv.OpenSockets() != 1; i++ {
		if i > 3000 { // 30 s: a safety bound, not a timing assertion

			t.Fatalf("%d sockets open; the silent one was not closed", e.srv.OpenSockets())
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cb
	// a, which answered every ping, is still served.
	send(t, ca, map[string]any{"message": "still here"})
	if n := e.srv.OpenSockets(); n != 1 {
		t.Fatalf("%d sockets open, want a's", n)
	}
}

// TestChatWithoutADescriptor serves the socket through an in-memory
// listener: no descriptor to duplicate, so the socket is served inside
// fasthttp's hijack handler instead.
func TestChatWithoutADescriptor(t *testing.T) {
	e := newEnv(t)
	a, b := e.chatUser("09120000161"), e.chatUser("09120000162")
	room := e.room(a, b)
	ln := fasthttputil.NewInmemoryListener()
	srv := &fasthttp.Server{Handler: e.srv.Handler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(); ln.Close() })
	d := websocket.Dialer{NetDial: func(string, string) (net.Conn, error) { return ln.Dial() }}
	dial := func(u chatUser) *websocket.Conn {
		c, _, err := d.Dial(fmt.Sprintf("ws://chat.test/ws/chat/%d/", room), http.Header{"Authorization": {"Bearer " + u.access}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	ca, cb := dial(a), dial(b)
	send(t, ca, map[string]any{"message": "in memory"})
	for _, c := range []*websocket.Conn{ca, cb} {
		if ev := mustNext(t, c); ev.str("message") != "in memory" || ev.id() != 1 {
			t.Fatalf("got %v", ev)
		}
	}
	send(t, cb, map[string]any{"type": "read", "id": 1})
	if ev := mustNext(t, ca); ev.str("type") != "read" {
		t.Fatalf("got %v", ev)
	}
}

// TestActivityCountsRequestsAndFrames: Server.Activity (what the server's
// quiet-time memory release watches) grows with each HTTP request and each
// frame a client sends, and holds still while nothing arrives.
func TestActivityCountsRequestsAndFrames(t *testing.T) {
	e := newEnv(t)
	a, b := e.chatUser("09120000001"), e.chatUser("09120000002")
	room := e.room(a, b)
	before := e.srv.Activity()
	e.get("/api/chat/rooms/", a.access)
	if got := e.srv.Activity(); got != before+1 {
		t.Fatalf("activity after one request: %d, want %d", got, before+1)
	}
	ca := e.dial(a, room, "") // the upgrade is a request
	afterDial := e.srv.Activity()
	if afterDial != before+2 {
		t.Fatalf("activity after the upgrade: %d, want %d", afterDial, before+2)
	}
	send(t, ca, map[string]any{"message": "hi"})
	mustNext(t, ca)
	send(t, ca, map[string]any{"type": "nonsense"})
	mustNext(t, ca)
	if got := e.srv.Activity(); got != afterDial+2 {
		t.Fatalf("activity after two frames: %d, want %d", got, afterDial+2)
	}
}
