package chat

import (
	"context"
	"sync"
	"testing"

	"github.com/chelseru/chelseru"
)

// queue is a Subscriber with a bounded queue, as a socket has.
type queue struct {
	mu     sync.Mutex
	max    int
	got    []int64
	lagged int
}

func (q *queue) Deliver(ev chelseru.ChatEvent) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.got) >= q.max {
		return false
	}
	q.got = append(q.got, ev.ID)
	return true
}

func (q *queue) Lagged() {
	q.mu.Lock()
	q.lagged++
	q.mu.Unlock()
}

func TestLocalBrokerOrderLagAndCancel(t *testing.T) {
	b := NewLocalBroker()
	ctx := context.Background()
	fast, slow, other := &queue{max: 100}, &queue{max: 3}, &queue{max: 100}
	subFast, _ := b.Subscribe(1, fast)
	if _, err := b.Subscribe(1, slow); err != nil {
		t.Fatal(err)
	}
	subOther, _ := b.Subscribe(2, other)
	for id := int64(1); id <= 10; id++ {
		if err := b.Publish(ctx, chelseru.ChatEvent{Kind: chelseru.ChatEventMessage, Room: 1, ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if len(fast.got) != 10 || fast.got[0] != 1 || fast.got[9] != 10 {
		t.Fatalf("fast subscriber got %v", fast.got)
	}
	// The slow one took 3, was told once that it fell behind, and got
	// nothing after (not a silent gap).
	if len(slow.got) != 3 || slow.lagged != 1 {
		t.Fatalf("slow subscriber got %v, lagged %d", slow.got, slow.lagged)
	}
	if len(other.got) != 0 {
		t.Fatalf("another room's subscriber got %v", other.got)
	}
	subFast.Cancel()
	subFast.Cancel() // twice is harmless
	_ = b.Publish(ctx, chelseru.ChatEvent{Room: 1, ID: 11})
	if len(fast.got) != 10 {
		t.Fatalf("delivered after Cancel: %v", fast.got)
	}
	subOther.Cancel()
	if n := b.Rooms(); n != 0 {
		t.Fatalf("%d rooms still held with no subscriber", n)
	}
}

func TestLocalBrokerConcurrentPublishers(t *testing.T) {
	b := NewLocalBroker()
	q := &queue{max: 1 << 20}
	if _, err := b.Subscribe(7, q); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				_ = b.Publish(context.Background(), chelseru.ChatEvent{Room: 7, ID: int64(i)})
			}
		}()
	}
	wg.Wait()
	if len(q.got) != 4000 || q.lagged != 0 {
		t.Fatalf("got %d events, lagged %d", len(q.got), q.lagged)
	}
}
