package chat

import (
	"context"
	"sync"

	"github.com/chelseru/chelseru"
)

// LocalBroker is the in-process chelseru.Broker: a room's subscribers are a
// slice under the room's mutex, and Publish hands each of them the event
// with Deliver, which must not block. A subscriber whose Deliver refuses an
// event is unsubscribed and told through Lagged, after the room's mutex is
// released. One room's events are delivered in the order Publish was
// called for them.
type LocalBroker struct {
	mu    sync.RWMutex
	rooms map[int64]*roomSubs
}

var _ chelseru.Broker = (*LocalBroker)(nil)

// NewLocalBroker returns an empty LocalBroker.
func NewLocalBroker() *LocalBroker { return &LocalBroker{rooms: make(map[int64]*roomSubs)} }

type roomSubs struct {
	mu   sync.Mutex
	subs []*localSub
}

type localSub struct {
	b    *LocalBroker
	room int64
	rs   *roomSubs
	s    chelseru.Subscriber
	gone bool // under rs.mu
}

// Publish implements chelseru.Broker.
func (b *LocalBroker) Publish(_ context.Context, ev chelseru.ChatEvent) error {
	b.mu.RLock()
	rs := b.rooms[ev.Room]
	b.mu.RUnlock()
	if rs == nil {
		return nil
	}
	var lagged []*localSub
	rs.mu.Lock()
	for i := 0; i < len(rs.subs); i++ {
		ls := rs.subs[i]
		if ls.s.Deliver(ev) {
			continue
		}
		ls.gone = true
		lagged = append(lagged, ls)
		rs.subs = append(rs.subs[:i], rs.subs[i+1:]...)
		i--
	}
	empty := len(rs.subs) == 0
	rs.mu.Unlock()
	if empty && lagged != nil {
		b.dropIfEmpty(ev.Room, rs)
	}
	for _, ls := range lagged {
		ls.s.Lagged()
	}
	return nil
}

// Subscribe implements chelseru.Broker.
func (b *LocalBroker) Subscribe(room int64, s chelseru.Subscriber) (chelseru.Subscription, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	rs := b.rooms[room]
	if rs == nil {
		rs = &roomSubs{}
		b.rooms[room] = rs
	}
	ls := &localSub{b: b, room: room, rs: rs, s: s}
	rs.mu.Lock()
	rs.subs = append(rs.subs, ls)
	rs.mu.Unlock()
	return ls, nil
}

// Cancel implements chelseru.Subscription.
func (ls *localSub) Cancel() {
	rs := ls.rs
	rs.mu.Lock()
	if ls.gone {
		rs.mu.Unlock()
		return
	}
	ls.gone = true
	for i, x := range rs.subs {
		if x == ls {
			last := len(rs.subs) - 1
			rs.subs[i] = rs.subs[last]
			rs.subs[last] = nil
			rs.subs = rs.subs[:last]
			break
		}
	}
	empty := len(rs.subs) == 0
	rs.mu.Unlock()
	if empty {
		ls.b.dropIfEmpty(ls.room, rs)
	}
}

// dropIfEmpty forgets a room nobody subscribes to any more.
func (b *LocalBroker) dropIfEmpty(room int64, rs *roomSubs) {
	b.mu.Lock()
	rs.mu.Lock()
	if len(rs.subs) == 0 && b.rooms[room] == rs {
		delete(b.rooms, room)
	}
	rs.mu.Unlock()
	b.mu.Unlock()
}

// Rooms returns how many rooms have subscribers (for metrics and tests).
func (b *LocalBroker) Rooms() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.rooms)
}
