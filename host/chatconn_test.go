package host

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// tcpPair returns both ends of a real TCP connection on the loopback.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// TestSockConnNeverBlocksAndKeepsOrder: writes to a peer that does not
// read return at once; what the kernel did not take waits in the backlog
// and reaches the peer complete and in order once it reads.
func TestSockConnNeverBlocksAndKeepsOrder(t *testing.T) {
	server, client := tcpPair(t)
	sc := newSockConn(server, 10*time.Second)
	if sc.raw == nil {
		t.Skip("no descriptor on this platform: every write goes through the flusher")
	}
	frame := make([]byte, 16<<10)
	const n = 400 // 6.4 MB: far more than the loopback's socket buffers
	for i := range n {
		binary.BigEndian.PutUint32(frame, uint32(i))
		if k, err := sc.Write(frame); err != nil || k != len(frame) {
			t.Fatalf("write %d: %d, %v", i, k, err)
		}
	}
	if sc.Backlog() == 0 {
		t.Fatal("nothing waits in the backlog: the peer's buffers took 6.4 MB")
	}
	got := make([]byte, len(frame))
	for i := range n {
		if _, err := io.ReadFull(client, got); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if v := binary.BigEndian.Uint32(got); v != uint32(i) {
			t.Fatalf("frame %d arrived as %d", i, v)
		}
	}
	if err := sc.waitBacklog(0, 10*time.Second); err != nil {
		t.Fatalf("backlog not drained: %v", err)
	}
	// Direct writes again once the flusher is done.
	if _, err := sc.Write([]byte("tail")); err != nil {
		t.Fatal(err)
	}
	tail := make([]byte, 4)
	if _, err := io.ReadFull(client, tail); err != nil || string(tail) != "tail" {
		t.Fatalf("tail: %q, %v", tail, err)
	}
}

// TestSockConnStuckPeerTimesOut: a peer that never reads makes the
// flusher's write time out; the connection is closed and later writes
// fail.
func TestSockConnStuckPeerTimesOut(t *testing.T) {
	server, client := tcpPair(t)
	_ = client
	sc := newSockConn(server, 200*time.Millisecond)
	frame := make([]byte, 64<<10)
	for range 200 { // 12.8 MB
		if _, err := sc.Write(frame); err != nil {
			break
		}
	}
	if err := sc.waitBacklog(0, 10*time.Second); err == nil {
		t.Fatal("the backlog drained to a peer that never reads")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := sc.Write([]byte("x")); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writes still succeed after the flusher timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSockConnReadAhead: what readAhead read is returned by Read first,
// then the connection's own bytes; end of stream is met by Read.
func TestSockConnReadAhead(t *testing.T) {
	server, client := tcpPair(t)
	sc := newSockConn(server, time.Second)
	if _, err := client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := sc.readAhead(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte(" world")); err != nil {
		t.Fatal(err)
	}
	client.Close()
	got, err := io.ReadAll(sc)
	if err != nil || !bytes.Equal(got, []byte("hello world")) {
		t.Fatalf("read %q, %v", got, err)
	}
	if err := sc.readAhead(); err != nil {
		t.Fatalf("readAhead at end of stream: %v", err)
	}
	if _, err := sc.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("after end of stream: %v", err)
	}
}
