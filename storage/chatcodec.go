package storage

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/chelseru/chelseru"
)

// Format bytes of the chat records (codec.go has the others).
const (
	fmtRoomv1        byte = 0x08
	_                byte = 0x09 // fmtRoomStatev1: the room-state records of earlier versions, no longer read
	fmtChatMessagev1 byte = 0x0a
	fmtReadMarkv1    byte = 0x0b
)

// Key prefixes of the chat records; see doc.go.
const (
	pRoom      = "room/"
	pRoomPair  = "room-pair/"
	pUserRooms = "user-rooms/"
	pChat      = "chat/"
	pChatCID   = "chat-cid/"
	pRoomRead  = "room-read/"
	seqRoom    = "room"
	bwRoom     = 100
	// maxClientIDLen bounds a client_id kept in a key (128 characters of up to 4 bytes).
	maxClientIDLen = 512
)

func roomKey(id int64) []byte { return appendInt64([]byte(pRoom), id) }

func roomPairKey(u1, u2 int64) []byte {
	b := appendInt64([]byte(pRoomPair), u1)
	b = append(b, '/')
	return appendInt64(b, u2)
}

func userRoomsPrefix(user int64) []byte { return append(appendInt64([]byte(pUserRooms), user), '/') }

func userRoomKey(user, room int64) []byte { return appendInt64(userRoomsPrefix(user), room) }

func chatPrefix(room int64) []byte { return append(appendInt64([]byte(pChat), room), '/') }

func chatKey(room, id int64) []byte { return appendInt64(chatPrefix(room), id) }

func chatCIDKey(room, sender int64, clientID string) []byte {
	b := appendInt64(chatCIDPrefix(room), sender)
	b = append(b, '/')
	return append(b, clientID...)
}

func roomReadKey(room, user int64) []byte {
	b := appendInt64([]byte(pRoomRead), room)
	b = append(b, '/')
	return appendInt64(b, user)
}

// int64FromKeyEnd returns the be64 integer at the end of k.
func int64FromKeyEnd(k []byte) (int64, bool) {
	if len(k) < 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(k[len(k)-8:]) ^ (1 << 63)), true
}

func encodeRoom(r chelseru.Room) []byte {
	e := encoder{b: make([]byte, 0, 40)}
	e.b = append(e.b, fmtRoomv1)
	e.int(r.ID)
	e.int(r.User1)
	e.int(r.User2)
	e.time(r.CreatedAt)
	return e.b
}

func decodeRoom(b []byte) (chelseru.Room, error) {
	d := newDecoder(b, fmtRoomv1)
	r := chelseru.Room{ID: d.int(), User1: d.int(), User2: d.int(), CreatedAt: d.time()}
	return r, d.finish("room")
}

// roomState is what a room's next append needs: its newest id, its last
// activity and how many messages each member has sent (for unread counts).
// It is read from the newest message's record (roomTail), not stored.
type roomState struct {
	last   int64
	lastAt time.Time
	count  [2]int64 // messages sent by User1, User2
}

// chatRecord is a stored message and the room's per-member message counts
// once it was stored (what a read mark at this id leaves unread).
type chatRecord struct {
	m     chelseru.ChatMessage
	count [2]int64
}

func encodeChatMessage(r chatRecord) ([]byte, error) {
	e := encoder{b: make([]byte, 0, 48+len(r.m.Text)+len(r.m.ClientID))}
	e.b = append(e.b, fmtChatMessagev1)
	e.int(r.m.ID)
	e.int(r.m.Room)
	e.int(r.m.Sender)
	e.str(r.m.Text)
	e.str(r.m.ClientID)
	e.time(r.m.CreatedAt)
	e.int(r.count[0])
	e.int(r.count[1])
	return e.done("chat message")
}

func decodeChatMessage(b []byte) (chatRecord, error) {
	d := newDecoder(b, fmtChatMessagev1)
	var r chatRecord
	r.m = chelseru.ChatMessage{ID: d.int(), Room: d.int(), Sender: d.int(), Text: d.str(), ClientID: d.str(), CreatedAt: d.time()}
	r.count[0], r.count[1] = d.int(), d.int()
	return r, d.finish("chat message")
}

// readMark is a member's read mark: the id read up to and the other
// member's message count at that id.
type readMark struct {
	upTo       int64
	otherCount int64
}

func encodeReadMark(m readMark) []byte {
	e := encoder{b: make([]byte, 0, 24)}
	e.b = append(e.b, fmtReadMarkv1)
	e.int(m.upTo)
	e.int(m.otherCount)
	return e.b
}

func decodeReadMark(b []byte) (readMark, error) {
	d := newDecoder(b, fmtReadMarkv1)
	m := readMark{upTo: d.int(), otherCount: d.int()}
	return m, d.finish("read mark")
}

func decodeRoomID(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("decode room id: %w", errCorrupt)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}
