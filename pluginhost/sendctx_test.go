package pluginhost

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSendContext: the send's context agrees with a context.WithDeadline
// whether or not anything asked for Done (which alone starts a timer).
func TestSendContext(t *testing.T) {
	type key struct{}
	parent := context.WithValue(context.Background(), key{}, "v")
	log := &callLog{name: "X"}

	t.Run("deadline passes, Done never asked", func(t *testing.T) {
		c := newSendContext(parent, 20*time.Millisecond, log)
		defer c.release()
		if d, ok := c.Deadline(); !ok || time.Until(d) > 20*time.Millisecond {
			t.Fatalf("Deadline = %v, %v", d, ok)
		}
		if c.Err() != nil || c.cause() != nil {
			t.Fatalf("before the deadline: Err %v, cause %v", c.Err(), c.cause())
		}
		time.Sleep(30 * time.Millisecond)
		if !errors.Is(c.Err(), context.DeadlineExceeded) || !errors.Is(causeOf(c), errSendTimeout) {
			t.Fatalf("after the deadline: Err %v, cause %v", c.Err(), causeOf(c))
		}
		if c.real != nil {
			t.Fatal("a timer-backed context was made with no one asking for Done")
		}
	})
	t.Run("deadline passes, Done asked", func(t *testing.T) {
		c := newSendContext(parent, 20*time.Millisecond, log)
		defer c.release()
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("Done not closed at the deadline")
		}
		if !errors.Is(c.Err(), context.DeadlineExceeded) || !errors.Is(causeOf(c), errSendTimeout) {
			t.Fatalf("Err %v, cause %v", c.Err(), causeOf(c))
		}
	})
	t.Run("parent cancelled", func(t *testing.T) {
		why := errors.New("client went away")
		p, cancel := context.WithCancelCause(parent)
		c := newSendContext(p, time.Minute, log)
		defer c.release()
		done := c.Done()
		cancel(why)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Done not closed when the parent was cancelled")
		}
		if !errors.Is(c.Err(), context.Canceled) || !errors.Is(causeOf(c), why) {
			t.Fatalf("Err %v, cause %v", c.Err(), causeOf(c))
		}
		// Without Done asked first, too.
		p2, cancel2 := context.WithCancelCause(parent)
		c2 := newSendContext(p2, time.Minute, log)
		defer c2.release()
		cancel2(why)
		if !errors.Is(c2.Err(), context.Canceled) || !errors.Is(causeOf(c2), why) {
			t.Fatalf("Done not asked: Err %v, cause %v", c2.Err(), causeOf(c2))
		}
	})
	t.Run("earlier parent deadline and values", func(t *testing.T) {
		p, cancel := context.WithTimeout(parent, time.Second)
		defer cancel()
		c := newSendContext(p, time.Hour, log)
		defer c.release()
		pd, _ := p.Deadline()
		if d, _ := c.Deadline(); !d.Equal(pd) {
			t.Fatalf("Deadline %v, want the parent's %v", d, pd)
		}
		if c.Value(pluginKey{}) != log || c.Value(key{}) != "v" {
			t.Fatalf("values: %v, %v", c.Value(pluginKey{}), c.Value(key{}))
		}
	})
}
