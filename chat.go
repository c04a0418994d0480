package chelseru

import (
	"context"
	"time"
)

// Room is the one chat room between two users. User1 < User2 always, so a
// pair has exactly one room whichever side asks.
type Room struct {
	ID        int64
	User1     int64
	User2     int64
	CreatedAt time.Time
}

// Has reports whether user is one of the room's two members.
func (r Room) Has(user int64) bool { return user == r.User1 || user == r.User2 }

// Other returns the member that is not user.
func (r Room) Other(user int64) int64 {
	if user == r.User1 {
		return r.User2
	}
	return r.User1
}

// ChatMessage is one message in a room. ID increases strictly within the
// room (1, 2, 3, ...).
type ChatMessage struct {
	ID     int64
	Room   int64
	Sender int64 // user id
	Text   string
	// ClientID is the sender's de-duplication key, or empty.
	ClientID  string
	CreatedAt time.Time
}

// RoomSummary is one line of a user's room list.
type RoomSummary struct {
	Room Room
	// Last is the room's newest message; its ID is 0 when the room has none.
	Last ChatMessage
	// Unread counts the other member's messages after the user's read mark.
	Unread int64
	// Activity is when the room last changed: the newest message's time, or
	// the room's creation.
	Activity time.Time
}

// ChatStore keeps chat rooms and their messages. Every method is atomic.
type ChatStore interface {
	// GetOrCreateRoom returns the room of users a and b (in either order),
	// creating it at now on first use; concurrent creates of one pair make
	// one room. created reports whether this call made it.
	GetOrCreateRoom(ctx context.Context, a, b int64, now time.Time) (r Room, created bool, err error)
	// GetRoom returns the room with id, or ErrNotFound.
	GetRoom(ctx context.Context, id int64) (Room, error)
	// ListRooms returns the user's rooms, most recently active first, with
	// their last message and the user's unread count.
	ListRooms(ctx context.Context, user int64) ([]RoomSummary, error)
	// AppendMessage stores m in room m.Room with the room's next id and
	// returns it; it has reached the write-ahead log when AppendMessage
	// returns. When m.ClientID names a message the same sender already
	// stored in the room, nothing is stored and that message is returned
	// with dup set.
	AppendMessage(ctx context.Context, m ChatMessage) (stored ChatMessage, dup bool, err error)
	// History returns up to limit messages of room with ids below before
	// (before <= 0: from the newest), newest first.
	History(ctx context.Context, room, before int64, limit int) ([]ChatMessage, error)
	// MessagesAfter returns up to limit messages of room with ids above
	// after, oldest first.
	MessagesAfter(ctx context.Context, room, after int64, limit int) ([]ChatMessage, error)
	// MarkRead moves user's read mark in room up to upTo (capped at the
	// room's newest id; a mark never moves back). It returns the mark and
	// whether it moved.
	MarkRead(ctx context.Context, room, user, upTo int64) (mark int64, moved bool, err error)
}

// ChatEventKind says what a ChatEvent carries.
type ChatEventKind uint8

// Kinds of ChatEvent.
const (
	ChatEventMessage ChatEventKind = iota + 1 // a stored message (ID is its id)
	ChatEventRead                             // a read mark moved (ID is the mark)
)

// ChatEvent is what a Broker carries for one room: the frame every receiver
// writes as it is, and what a receiver needs to decide whether it wants it.
type ChatEvent struct {
	Kind ChatEventKind
	Room int64
	// ID is the message id, or the read mark.
	ID int64
	// From is the user who caused the event (a read event is not sent back
	// to its reader's own connections).
	From int64
	// Frame is the encoded JSON text frame. Receivers must not modify it.
	Frame []byte
	// Published is when the event was published (for fan-out latency).
	Published time.Time
}

// Broker fans a room's events out to the connections subscribed to it. The
// in-process implementation is chat.LocalBroker; a multi-node one can
// replace it without touching the handlers or the socket code. A message is
// stored before it is published, and one room's events reach a subscriber in
// the order they were published.
type Broker interface {
	// Publish hands ev to every current subscriber of ev.Room. It does not
	// wait for slow subscribers.
	Publish(ctx context.Context, ev ChatEvent) error
	// Subscribe adds sub to room's subscribers until the subscription is
	// cancelled or sub falls behind.
	Subscribe(room int64, sub Subscriber) (Subscription, error)
}

// Subscriber receives a room's events.
type Subscriber interface {
	// Deliver takes ev without blocking; false means the subscriber cannot
	// take it (its queue is full): it has fallen behind.
	Deliver(ev ChatEvent) bool
	// Lagged is called once, after the subscription was cancelled because
	// the subscriber fell behind: it missed events and must be told (a
	// socket is closed, and its client recovers with ?since=).
	Lagged()
}

// Subscription is one Subscriber's membership of a room.
type Subscription interface {
	// Cancel ends the subscription; no event is delivered after it returns.
	// Calling it again does nothing.
	Cancel()
}
