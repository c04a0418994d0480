package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	domain "github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/chat"
	"github.com/chelseru/chelseru/storage"
)

// The original package's chat models, as dumpdata writes them:
//
//	ChatRoom: user_1, user_2 (auth.user ids), created_at
//	Message:  chat_room (a ChatRoom pk), sender (an auth.user id), text, timestamp
//
// A room becomes the room of its two users here (GetOrCreateRoom: one room
// per pair, so a room a user opened here since is reused); a message is
// appended with client_id "django-<pk>", which the chat store keeps unique
// per room and sender, so a second import finds it and adds nothing. The
// original timestamps are kept, and messages go in in the order of their
// timestamps (then pks), which is the order the history shows.

// chatClientIDPrefix starts the client_id of an imported chat message.
const chatClientIDPrefix = "django-"

// plannedRoom is a Django chat room to store.
type plannedRoom struct {
	pk, user1, user2 int64
	created          time.Time
}

// plannedChat is a Django chat message to store.
type plannedChat struct {
	pk, room, sender int64 // room is the Django room pk
	text             string
	at               time.Time
}

// chatReport counts what the chat part of an import did.
type chatReport struct {
	roomsNew, roomsKept, roomsSkipped int
	msgsNew, msgsKept, msgsSkipped    int
}

// planChat checks the chat records against the users being imported
// (known): a room of a user not imported, or a message of such a room, of
// a sender not in its room, or without text, is skipped and counted.
func planChat(rooms, msgs []djangoRecord, known map[int64]bool, now time.Time, rep *chatReport) ([]plannedRoom, []plannedChat, error) {
	var outRooms []plannedRoom
	byPK := map[int64]plannedRoom{}
	for i, r := range rooms {
		pk, err := recordPK(r)
		if err != nil {
			return nil, nil, fmt.Errorf("chat room record %d: %w", i+1, err)
		}
		u1, err1 := fieldInt(r, firstField(r, "user_1", "user1"))
		u2, err2 := fieldInt(r, firstField(r, "user_2", "user2"))
		if err1 != nil || err2 != nil {
			rep.roomsSkipped++ // a deleted user (SET_NULL) or an unknown shape
			continue
		}
		if u1 == u2 || !known[u1] || !known[u2] {
			rep.roomsSkipped++
			continue
		}
		created, ok := fieldTime(r, "created_at", "created", "timestamp")
		if !ok {
			created = now
		}
		p := plannedRoom{pk: pk, user1: u1, user2: u2, created: created}
		byPK[pk] = p
		outRooms = append(outRooms, p)
	}
	var out []plannedChat
	for i, r := range msgs {
		pk, err := recordPK(r)
		if err != nil {
			return nil, nil, fmt.Errorf("chat message record %d: %w", i+1, err)
		}
		roomPK, err1 := fieldInt(r, firstField(r, "chat_room", "room", "chatroom"))
		sender, err2 := fieldInt(r, firstField(r, "sender", "user"))
		room, ok := byPK[roomPK]
		text := clipChars(strings.TrimSpace(fieldStr(r, "text", "message", "content", "body")), chat.DefaultMaxMessageChars)
		if err1 != nil || err2 != nil || !ok || (sender != room.user1 && sender != room.user2) || text == "" {
			rep.msgsSkipped++
			continue
		}
		at, ok := fieldTime(r, "timestamp", "created_at", "created", "sent_at")
		if !ok {
			at = room.created
		}
		out = append(out, plannedChat{pk: pk, room: roomPK, sender: sender, text: text, at: at})
	}
	slices.SortStableFunc(out, func(a, b plannedChat) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.pk, b.pk)
	})
	return outRooms, out, nil
}

// firstField is the first of names present in r's fields (else the first).
func firstField(r djangoRecord, names ...string) string {
	for _, n := range names {
		if _, ok := r.Fields[n]; ok {
			return n
		}
	}
	return names[0]
}

// clipChars cuts s to at most n characters.
func clipChars(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if n == 0 {
			i = k
			break
		}
		n--
	}
	return s[:i]
}

// applyChat stores the planned rooms, then their messages in order.
func applyChat(ctx context.Context, db *storage.DB, rooms []plannedRoom, msgs []plannedChat, rep *chatReport) error {
	ids := make(map[int64]int64, len(rooms)) // Django room pk -> room id here
	for _, r := range rooms {
		room, created, err := db.GetOrCreateRoom(ctx, r.user1, r.user2, r.created)
		if err != nil {
			return fmt.Errorf("chat room %d: %w", r.pk, err)
		}
		ids[r.pk] = room.ID
		if created {
			rep.roomsNew++
		} else {
			rep.roomsKept++
		}
	}
	for _, m := range msgs {
		_, dup, err := db.AppendMessage(ctx, domain.ChatMessage{
			Room: ids[m.room], Sender: m.sender, Text: m.text,
			ClientID: chatClientIDPrefix + strconv.FormatInt(m.pk, 10), CreatedAt: m.at,
		})
		if err != nil {
			return fmt.Errorf("chat message %d: %w", m.pk, err)
		}
		if dup {
			rep.msgsKept++
		} else {
			rep.msgsNew++
		}
	}
	return nil
}

// print writes the chat lines of the report.
func (r chatReport) print(w io.Writer) {
	fmt.Fprintf(w, "chat rooms: %d imported, %d already there, %d of users not imported (skipped)\n", r.roomsNew, r.roomsKept, r.roomsSkipped)
	fmt.Fprintf(w, "chat messages: %d imported, %d already there, %d skipped (room skipped, sender not in the room, or no text)\n", r.msgsNew, r.msgsKept, r.msgsSkipped)
}
