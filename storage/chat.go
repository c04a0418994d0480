package storage

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/chelseru/chelseru"
)

// Limits of the chat store.
const (
	// DefaultMaxListRooms caps the rooms ListRooms reads for one user.
	DefaultMaxListRooms = 1000
	// maxCachedRooms bounds the room states held in memory; idle ones are
	// dropped beyond it (they are on disk too).
	maxCachedRooms = 100_000
	// maxPage bounds one History or MessagesAfter page.
	maxPage = 1000
)

var _ chelseru.ChatStore = (*DB)(nil)

// chatRooms holds the state of the rooms in use: a room's appends are
// serialised on its mutex, which is what makes its ids strictly increasing
// without a read of the last id per message.
type chatRooms struct {
	mu   sync.Mutex
	m    map[int64]*liveRoom
	cids cidSets // the rooms' client_id sets (chatcid.go)
}

// liveRoom is one room's state in memory.
type liveRoom struct {
	mu     sync.Mutex
	loaded bool
	room   chelseru.Room
	state  roomState
	// cids is the room's client_id set (chatcid.go); nil: not kept.
	cids map[uint64]struct{}
	refs int // holders, under chatRooms.mu
}

func (c *chatRooms) acquire(id int64) *liveRoom {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[int64]*liveRoom)
	}
	r := c.m[id]
	if r == nil {
		if len(c.m) >= maxCachedRooms {
			for k, v := range c.m { // random order: drop idle rooms
				if v.refs == 0 {
					delete(c.m, k)
					if v.cids != nil { // unreachable now
						c.cids.release(len(v.cids))
					}
				}
				if len(c.m) < maxCachedRooms*9/10 {
					break
				}
			}
		}
		r = &liveRoom{}
		c.m[id] = r
	}
	r.refs++
	return r
}

func (c *chatRooms) release(r *liveRoom) {
	c.mu.Lock()
	r.refs--
	c.mu.Unlock()
}

// lockRoom returns the room's state, loaded and locked; unlock releases it.
// A missing room is badger.ErrKeyNotFound.
func (db *DB) lockRoom(id int64) (*liveRoom, func(), error) {
	r := db.chat.acquire(id)
	r.mu.Lock()
	unlock := func() {
		r.mu.Unlock()
		db.chat.release(r)
	}
	if !r.loaded {
		err := db.bdb.View(func(txn *badger.Txn) error {
			room, err := get(txn, roomKey(id), decodeRoom)
			if err != nil {
				return err
			}
			it := newTailIterator(txn)
			defer it.Close()
			r.room = room
			if r.state, _, err = roomTail(it, room); err != nil {
				return err
			}
			return db.loadCIDs(txn, r, id)
		})
		if err != nil {
			unlock()
			return nil, nil, err
		}
		r.loaded = true
	}
	return r, unlock, nil
}

// member returns 0 for User1, 1 for User2, -1 for anyone else.
func member(r chelseru.Room, user int64) int {
	switch user {
	case r.User1:
		return 0
	case r.User2:
		return 1
	}
	return -1
}

// GetOrCreateRoom implements chelseru.ChatStore. Concurrent creates of one
// pair are serialised on the pair's index key and make one room.
func (db *DB) GetOrCreateRoom(ctx context.Context, a, b int64, now time.Time) (chelseru.Room, bool, error) {
	if a == b || a <= 0 || b <= 0 {
		return chelseru.Room{}, false, fmt.Errorf("storage: get or create room: users %d and %d are not a pair", a, b)
	}
	u1, u2 := min(a, b), max(a, b)
	pair := roomPairKey(u1, u2)
	var (
		room    chelseru.Room
		created bool
	)
	err := db.update(ctx, "get or create room", [][]byte{pair}, func(txn *badger.Txn) error {
		id, err := get(txn, pair, decodeRoomID)
		if err == nil {
			room, err = get(txn, roomKey(id), decodeRoom)
			if errors.Is(err, badger.ErrKeyNotFound) {
				return fmt.Errorf("pair index names missing room %d: %w", id, errCorrupt)
			}
			created = false
			return err
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		id, err = db.nextID(seqRoom, bwRoom)
		if err != nil {
			return err
		}
		room = chelseru.Room{ID: id, User1: u1, User2: u2, CreatedAt: now}
		created = true
		for _, kv := range [][2][]byte{
			{roomKey(id), encodeRoom(room)},
			{pair, binary.BigEndian.AppendUint64(nil, uint64(id))},
			{userRoomKey(u1, id), nil},
			{userRoomKey(u2, id), nil},
		} {
			if err := txn.Set(kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return chelseru.Room{}, false, fmt.Errorf("storage: get or create room: %w", err)
	}
	return room, created, nil
}

// GetRoom implements chelseru.ChatStore.
func (db *DB) GetRoom(ctx context.Context, id int64) (chelseru.Room, error) {
	var r chelseru.Room
	err := db.view(ctx, "get room", func(txn *badger.Txn) error {
		var err error
		r, err = get(txn, roomKey(id), decodeRoom)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return chelseru.Room{}, fmt.Errorf("storage: get room %d: %w", id, chelseru.ErrNotFound)
	}
	if err != nil {
		return chelseru.Room{}, fmt.Errorf("storage: get room %d: %w", id, err)
	}
	return r, nil
}

// ListRooms implements chelseru.ChatStore. It reads at most
// DefaultMaxListRooms of the user's rooms (the newest created) and sorts
// them by last activity, newest first (then by id, newest first).
func (db *DB) ListRooms(ctx context.Context, user int64) ([]chelseru.RoomSummary, error) {
	var out []chelseru.RoomSummary
	err := db.view(ctx, "list rooms", func(txn *badger.Txn) error {
		out = out[:0]
		prefix := userRoomsPrefix(user)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, Reverse: true})
		defer it.Close()
		tail := newTailIterator(txn)
		defer tail.Close()
		for it.Seek(afterPrefix(prefix)); it.Valid() && len(out) < DefaultMaxListRooms; it.Next() {
			id, ok := int64FromKeyEnd(it.Item().Key())
			if !ok {
				continue
			}
			s, err := roomSummary(txn, tail, id, user)
			if errors.Is(err, badger.ErrKeyNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: list rooms of user %d: %w", user, err)
	}
	slices.SortStableFunc(out, func(a, b chelseru.RoomSummary) int {
		if c := b.Activity.Compare(a.Activity); c != 0 {
			return c
		}
		return cmp.Compare(b.Room.ID, a.Room.ID)
	})
	return out, nil
}

// roomSummary reads one line of user's room list; tail is a
// newTailIterator of txn.
func roomSummary(txn *badger.Txn, tail *badger.Iterator, id, user int64) (chelseru.RoomSummary, error) {
	room, err := get(txn, roomKey(id), decodeRoom)
	if err != nil {
		return chelseru.RoomSummary{}, err
	}
	me := member(room, user)
	if me < 0 {
		return chelseru.RoomSummary{}, badger.ErrKeyNotFound
	}
	st, last, err := roomTail(tail, room)
	if err != nil {
		return chelseru.RoomSummary{}, err
	}
	s := chelseru.RoomSummary{Room: room, Activity: st.lastAt, Last: last}
	mark, err := get(txn, roomReadKey(id, user), decodeReadMark)
	if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		return chelseru.RoomSummary{}, err
	}
	s.Unread = max(0, st.count[1-me]-mark.otherCount)
	return s, nil
}

// newTailIterator returns an iterator of txn for roomTail.
func newTailIterator(txn *badger.Txn) *badger.Iterator {
	return txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pChat), Reverse: true})
}

// afterPrefix returns a key above every key with prefix p (of the key
// layouts here), where a reverse iterator starts a prefix's newest first.
func afterPrefix(p []byte) []byte {
	return append(bytes.Clone(p), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
}

// roomTail reads a room's state from its newest message (whose record holds
// the per-member counts), through it, a newTailIterator: the state is not
// stored apart, so an append writes one record less. last is the newest
// message (ID 0 when the room has none).
func roomTail(it *badger.Iterator, room chelseru.Room) (st roomState, last chelseru.ChatMessage, err error) {
	st.lastAt = room.CreatedAt
	prefix := chatPrefix(room.ID)
	it.Seek(afterPrefix(prefix))
	if !it.ValidForPrefix(prefix) {
		return st, last, nil
	}
	var rec chatRecord
	if err := it.Item().Value(func(b []byte) error {
		rec, err = decodeChatMessage(b)
		return err
	}); err != nil {
		return st, last, err
	}
	st.last, st.count = rec.m.ID, rec.count
	if rec.m.CreatedAt.After(st.lastAt) {
		st.lastAt = rec.m.CreatedAt
	}
	return st, rec.m, nil
}

// AppendMessage implements chelseru.ChatStore. The message (with the
// room's per-member counts) and the client_id index entry are written together, in a
// transaction shared with concurrent appends of other rooms (a group
// commit); it returns once that transaction has committed, i.e. reached
// Badger's write-ahead log (and, with Options.SyncWrites, the disk).
// Appends of one room are serialised in memory. A sender that is not a
// member of the room is chelseru.ErrNotFound.
func (db *DB) AppendMessage(ctx context.Context, m chelseru.ChatMessage) (chelseru.ChatMessage, bool, error) {
	if err := ctx.Err(); err != nil {
		return chelseru.ChatMessage{}, false, fmt.Errorf("storage: append message: %w", err)
	}
	if len(m.ClientID) > maxClientIDLen {
		return chelseru.ChatMessage{}, false, fmt.Errorf("storage: append message: client id is %d bytes, over %d", len(m.ClientID), maxClientIDLen)
	}
	release, err := db.enter("append message")
	if err != nil {
		return chelseru.ChatMessage{}, false, err
	}
	defer release()
	r, unlock, err := db.lockRoom(m.Room)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return chelseru.ChatMessage{}, false, fmt.Errorf("storage: append message to room %d: %w", m.Room, chelseru.ErrNotFound)
	}
	if err != nil {
		return chelseru.ChatMessage{}, false, fmt.Errorf("storage: append message to room %d: %w", m.Room, err)
	}
	defer unlock()
	idx := member(r.room, m.Sender)
	if idx < 0 {
		return chelseru.ChatMessage{}, false, fmt.Errorf("storage: append message: user %d is not in room %d: %w", m.Sender, m.Room, chelseru.ErrNotFound)
	}
	var (
		cidKey  []byte
		cidHash uint64
	)
	if m.ClientID != "" {
		cidKey = chatCIDKey(m.Room, m.Sender, m.ClientID)
		cidHash = db.chat.cids.hash(cidKey)
	}
	if cidKey != nil && r.mayHaveCID(cidHash) {
		var first chatRecord
		err := db.bdb.View(func(txn *badger.Txn) error {
			id, err := get(txn, cidKey, decodeRoomID)
			if err != nil {
				return err
			}
			first, err = get(txn, chatKey(m.Room, id), decodeChatMessage)
			return err
		})
		if err == nil {
			return first.m, true, nil
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
			return chelseru.ChatMessage{}, false, fmt.Errorf("storage: append message: client id: %w", err)
		}
	}
	st := r.state
	st.last++
	st.count[idx]++
	if m.CreatedAt.After(st.lastAt) {
		st.lastAt = m.CreatedAt
	}
	m.ID = st.last
	v, err := encodeChatMessage(chatRecord{m: m, count: st.count})
	if err != nil {
		return chelseru.ChatMessage{}, false, fmt.Errorf("storage: append message: %w", err)
	}
	entries := make([]*badger.Entry, 1, 2)
	entries[0] = badger.NewEntry(chatKey(m.Room, m.ID), v)
	if cidKey != nil {
		entries = append(entries, badger.NewEntry(cidKey, binary.BigEndian.AppendUint64(nil, uint64(m.ID))))
	}
	if err := db.group.write(entries...); err != nil {
		return chelseru.ChatMessage{}, false, fmt.Errorf("storage: append message to room %d: %w", m.Room, err)
	}
	r.state = st
	if cidKey != nil {
		db.addCID(r, cidHash)
	}
	return m, false, nil
}

// History implements chelseru.ChatStore. limit is capped at 1000.
func (db *DB) History(ctx context.Context, room, before int64, limit int) ([]chelseru.ChatMessage, error) {
	limit = min(max(limit, 0), maxPage)
	out := make([]chelseru.ChatMessage, 0, limit)
	err := db.view(ctx, "history", func(txn *badger.Txn) error {
		out = out[:0]
		prefix := chatPrefix(room)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, Reverse: true, PrefetchValues: true, PrefetchSize: min(limit, 100)})
		defer it.Close()
		var seek []byte
		if before > 0 {
			seek = chatKey(room, before-1)
		} else {
			seek = afterPrefix(prefix)
		}
		for it.Seek(seek); it.Valid() && len(out) < limit; it.Next() {
			if err := it.Item().Value(func(b []byte) error {
				rec, err := decodeChatMessage(b)
				out = append(out, rec.m)
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: history of room %d: %w", room, err)
	}
	return out, nil
}

// MessagesAfter implements chelseru.ChatStore. limit is capped at 1000.
func (db *DB) MessagesAfter(ctx context.Context, room, after int64, limit int) ([]chelseru.ChatMessage, error) {
	limit = min(max(limit, 0), maxPage)
	out := make([]chelseru.ChatMessage, 0, min(limit, 64))
	err := db.view(ctx, "messages after", func(txn *badger.Txn) error {
		out = out[:0]
		it := txn.NewIterator(badger.IteratorOptions{Prefix: chatPrefix(room), PrefetchValues: true, PrefetchSize: min(limit, 100)})
		defer it.Close()
		for it.Seek(chatKey(room, max(after, 0)+1)); it.Valid() && len(out) < limit; it.Next() {
			if err := it.Item().Value(func(b []byte) error {
				rec, err := decodeChatMessage(b)
				out = append(out, rec.m)
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: messages of room %d after %d: %w", room, after, err)
	}
	return out, nil
}

// MarkRead implements chelseru.ChatStore. A user who is not a member is
// chelseru.ErrNotFound.
func (db *DB) MarkRead(ctx context.Context, room, user, upTo int64) (int64, bool, error) {
	if err := ctx.Err(); err != nil {
		return 0, false, fmt.Errorf("storage: mark read: %w", err)
	}
	release, err := db.enter("mark read")
	if err != nil {
		return 0, false, err
	}
	defer release()
	r, unlock, err := db.lockRoom(room)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, false, fmt.Errorf("storage: mark read in room %d: %w", room, chelseru.ErrNotFound)
	}
	if err != nil {
		return 0, false, fmt.Errorf("storage: mark read in room %d: %w", room, err)
	}
	defer unlock()
	me := member(r.room, user)
	if me < 0 {
		return 0, false, fmt.Errorf("storage: mark read: user %d is not in room %d: %w", user, room, chelseru.ErrNotFound)
	}
	upTo = min(upTo, r.state.last)
	key := roomReadKey(room, user)
	var (
		mark  readMark
		moved bool
	)
	err = db.bdb.View(func(txn *badger.Txn) error {
		var err error
		mark, err = get(txn, key, decodeReadMark)
		if errors.Is(err, badger.ErrKeyNotFound) {
			err = nil
		}
		if err != nil || upTo <= mark.upTo {
			return err
		}
		moved = true
		rec, err := get(txn, chatKey(room, upTo), decodeChatMessage)
		if err != nil {
			return err
		}
		mark = readMark{upTo: upTo, otherCount: rec.count[1-me]}
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("storage: mark read in room %d: %w", room, err)
	}
	if !moved {
		return mark.upTo, false, nil
	}
	if err := db.group.write(badger.NewEntry(key, encodeReadMark(mark))); err != nil {
		return 0, false, fmt.Errorf("storage: mark read in room %d: %w", room, err)
	}
	return upTo, true, nil
}
