package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// The chat against the real binary: shutdown and a kill -9.

// server is a running chelseru serve.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
	base string
}

// startServer runs chelseru serve in dir with a config listening on addr.
func startServer(t *testing.T, dir, addr string) *server {
	t.Helper()
	return startServerWith(t, dir, addr, "")
}

// startServerWith is startServer with more config sections (YAML) after
// SERVER.
func startServerWith(t *testing.T, dir, addr, more string) *server {
	t.Helper()
	cfg := writeFile(t, dir, "serve.yaml", "SERVER:\n  LISTEN: "+addr+"\n  DATA_DIR: ./data\n  PLUGINS_DIR: \"\"\n"+more)
	cmd := exec.Command(binary, "serve", "--config", cfg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CHELSERU_JWT_SIGNING_KEY=")
	s := &server{t: t, cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1), base: "http://" + addr}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	waitReady(t, s.base+"/readyz", s.done)
	return s
}

// post sends a JSON body and decodes the JSON answer.
func (s *server) post(path, access string, body any, out any) int {
	s.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.base+path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	if access != "" {
		req.Header.Set("Authorization", "Bearer "+access)
	}
	return s.do(req, out)
}

func (s *server) get(path, access string, out any) int {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+access)
	return s.do(req, out)
}

func (s *server) do(req *http.Request, out any) int {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode
}

// login logs mobile in through the CONSOLE provider (the code is read from
// the log) and returns the access token.
func (s *server) login(mobile string) string {
	s.t.Helper()
	if st := s.post("/api/otp/send/", "", map[string]string{"mobile_number": mobile}, nil); st != 200 {
		s.t.Fatalf("otp/send: %d", st)
	}
	code := waitFor(s.t, s.logs, regexp.MustCompile(mobile+`.*\[(\d{8})\]`))
	var tok struct{ Access string }
	if st := s.post("/api/authenticate/", "", map[string]string{"mobile_number": mobile, "code": code}, &tok); st != 200 || tok.Access == "" {
		s.t.Fatalf("authenticate: %d", st)
	}
	return tok.Access
}

func (s *server) dial(room int64, access string) *websocket.Conn {
	s.t.Helper()
	u := "ws" + strings.TrimPrefix(s.base, "http") + fmt.Sprintf("/ws/chat/%d/", room)
	c, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + access}})
	if err != nil {
		s.t.Fatalf("dial: %v", err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

// chatPair logs two users in and opens their room.
func (s *server) chatPair() (room int64, a, b string) {
	s.t.Helper()
	a, b = s.login("09121110001"), s.login("09121110002")
	var r struct{ ID int64 }
	if st := s.post("/api/chat/rooms/", a, map[string]string{"mobile_number": "09121110002"}, &r); st != 201 {
		s.t.Fatalf("open room: %d", st)
	}
	return r.ID, a, b
}

func TestChatSIGTERMClosesSocketsWith1001(t *testing.T) {
	s := startServer(t, t.TempDir(), freePort(t))
	room, a, b := s.chatPair()
	conns := []*websocket.Conn{s.dial(room, a), s.dial(room, b)}
	if err := conns[0].WriteMessage(websocket.TextMessage, []byte(`{"message":"before the end"}`)); err != nil {
		t.Fatal(err)
	}
	for _, c := range conns { // both are served
		_ = c.SetReadDeadline(time.Now().Add(time.Minute))
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for i, c := range conns {
		_, _, err := c.ReadMessage()
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Fatalf("socket %d: %v, want close 1001", i, err)
		}
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; log:\n%s", err, s.logs.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not exit after SIGTERM")
	}
}

// TestChatKill9LosesNoAcknowledgedMessage kills the server with SIGKILL
// while a client streams messages, restarts it on the same data folder and
// checks that every message the server acknowledged (the sender's own copy)
// is in the history, with its id and text.
func TestChatKill9LosesNoAcknowledgedMessage(t *testing.T) {
	dir, addr := t.TempDir(), freePort(t)
	s := startServer(t, dir, addr)
	room, a, _ := s.chatPair()
	c := s.dial(room, a)

	var (
		mu    sync.Mutex
		acked = map[int64]string{}
	)
	go func() { // a steady stream until the connection dies
		for i := 1; ; i++ {
			msg := fmt.Sprintf(`{"message":"m%d","client_id":"c%d"}`, i, i)
			if c.WriteMessage(websocket.TextMessage, []byte(msg)) != nil {
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()
	enough := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			_, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			var ev struct {
				ID      int64
				Message string
			}
			if json.Unmarshal(b, &ev) != nil || ev.ID == 0 {
				continue
			}
			mu.Lock()
			acked[ev.ID] = ev.Message
			if len(acked) == 300 {
				close(enough)
			}
			mu.Unlock()
		}
	}()
	select {
	case <-enough:
	case <-time.After(2 * time.Minute):
		t.Fatal("the stream never got 300 acknowledgements")
	}
	if err := s.cmd.Process.Kill(); err != nil { // SIGKILL mid-stream
		t.Fatal(err)
	}
	<-s.done
	<-readerDone
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d messages acknowledged before the kill", len(acked))

	s2 := startServer(t, dir, addr)
	stored := map[int64]string{}
	before := ""
	for {
		var page []struct {
			ID      int64
			Message string
		}
		if st := s2.get(fmt.Sprintf("/api/chat/rooms/%d/messages/?limit=200%s", room, before), a, &page); st != 200 {
			t.Fatalf("history after restart: %d", st)
		}
		for _, m := range page {
			stored[m.ID] = m.Message
		}
		if len(page) < 200 {
			break
		}
		before = fmt.Sprintf("&before=%d", page[len(page)-1].ID)
	}
	for id, msg := range acked {
		if stored[id] != msg {
			t.Fatalf("acknowledged message %d %q is %q after the restart", id, msg, stored[id])
		}
	}
	for id := int64(1); id <= int64(len(stored)); id++ {
		if _, ok := stored[id]; !ok {
			t.Fatalf("ids after restart are not 1..%d: %d is missing", len(stored), id)
		}
	}
	// The room goes on from the next id.
	c2 := s2.dial(room, a)
	if err := c2.WriteMessage(websocket.TextMessage, []byte(`{"message":"after the restart"}`)); err != nil {
		t.Fatal(err)
	}
	_ = c2.SetReadDeadline(time.Now().Add(time.Minute))
	_, b, err := c2.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var ev struct{ ID int64 }
	_ = json.Unmarshal(b, &ev)
	if ev.ID != int64(len(stored))+1 {
		t.Fatalf("next id %d, want %d", ev.ID, len(stored)+1)
	}
}
