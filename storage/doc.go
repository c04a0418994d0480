// Package storage implements chelseru.Store on Badger v4, an embedded
// LSM-tree key-value store, tuned for a small edge box.
//
// # Opening
//
//	db, err := storage.Open("./data", storage.Options{Logger: logger})
//	defer db.Close()
//
// Only one process can open a data folder. The zero Options are the edge-box
// defaults: two 8 MB memtables, an 8 MB block cache, a 4 MB index cache and
// 16 MB value-log files (about 31 MB resident instead of about 56 MB with
// Badger's defaults), value-log GC every 10 minutes on a goroutine that Close
// stops, Badger's log routed to slog with its INFO lines at Debug, and
// SyncWrites off (see Options.SyncWrites for why).
//
// # Key layout
//
// Every query the API makes is a point read or a prefix scan bounded to one
// user; nothing on a request path scans the whole database. Integers in keys
// are 8-byte big-endian with the sign bit flipped ("be64" below), so byte
// order is numeric order; strings are raw bytes.
//
//	key                                        value                   TTL                   used by
//	-----------------------------------------  ----------------------  --------------------  ----------------------------------------------
//	otp/{mobile}                               OTP record (code and    later of ExpiresAt    CreateOTP, VerifyOTP, DeleteOTP
//	                                           the window's sends)     and WindowEnd
//	user/{id be64}                             User record             none                  GetUser, SetPassword, FindUser, GetOrCreateUser
//	user-by-mobile/{group be64}/{mobile}       user id (be64, plain)   none                  FindUser, GetOrCreateUser
//	session/{id be64}                          Session record          Session.ExpiresAt     GetSession, TouchSession, RotateRefresh,
//	                                                                                         DeleteSession, ListSessions
//	user-sessions/{userID be64}/{id be64}      empty                   Session.ExpiresAt     ListSessions (reverse prefix scan of one
//	                                                                                         user), CreateSession, DeleteSession
//	msg/{id be64}                              Message record          none                  CreateMessage, UpdateMessage, GetMessage
//	rl/{key}/{window ms be64}/{start ms be64}  counter (uvarint)       end of the window     Take (held in memory, written behind)
//	attempts/{key}                             attempts record         lock end, or idle     BeginAttempt, FailAttempt, ResetAttempts
//	seq/{user|session|msg|room}                next unleased id        none                  id sequences (badger.Sequence)
//	import/user/{id be64}                      import time (ns be64)   none                  ImportUser, ImportedAt (import-django)
//	import/session/{django pk be64}            our session id          none                  ImportSession: a second import skips it
//	import/msg/{django pk be64}                our message id          none                  ImportMessage: a second import skips it
//	import/jti/{jti}                           empty                   the token's exp       ClaimImportedJTI (one exchange per simplejwt
//	                                                                                         refresh token)
//	meta/db-id                                 database identity       none                  ID, Open (checked against the marker), tokens'
//	                                           (16 hex digits)                               dbid claim; carried by Backup/Restore
//	mobile-users/{mobile}/{group be64}         user id (be64, plain)   none                  FindUsers (admin.go: a number's users, all groups)
//	user-disabled/{mobile}/{group be64}        empty                   none                  MobileDisabled (skipped while none exists)
//	msg-by-mobile/{mobile}/{id be64}           empty                   none                  ListMessages with a receiver
//	meta/admin-index-v1                        empty                   none                  the admin indexes cover older records
//	ping                                       (never written)         -                     Ping (a point read)
//
// The chat (chat.go, chatcodec.go):
//
//	key                                        value                   TTL                   used by
//	-----------------------------------------  ----------------------  --------------------  ----------------------------------------------
//	room/{id be64}                             Room record             none                  GetRoom, GetOrCreateRoom, ListRooms
//	room-pair/{user1 be64}/{user2 be64}        room id (be64, plain)   none                  GetOrCreateRoom (user1 < user2)
//	user-rooms/{user be64}/{room be64}         empty                   none                  ListRooms (reverse prefix scan of one user)
//	room-state/{room be64}                     (earlier versions'      none                  nothing: a room's state is read from its
//	                                           room state)                                   newest message (roomTail)
//	chat/{room be64}/{id be64}                 message record (and     none                  AppendMessage, History (reverse scan),
//	                                           the per-member counts                         MessagesAfter (forward scan), MarkRead,
//	                                           once it was stored)                           ListRooms (the last message)
//	chat-cid/{room be64}/{sender be64}/{cid}   message id              none                  AppendMessage (client_id dedupe)
//	room-read/{room be64}/{user be64}          read mark and the       none                  MarkRead, ListRooms (unread count)
//	                                           other's count there
//
// A room's appends are serialised in memory (a per-room mutex over the
// room's state, loaded once from the room's newest message, chat.go): the
// next id is the state's newest id plus one, with no read. The message and
// its client_id entry are written together through the group commit, so a
// crash leaves both or neither. Unread counts are differences of per-member
// message counts: each message holds the members' totals once it was
// stored (so the newest one holds the room's), and a read mark the other
// member's total at the mark; no scan counts messages.
//
// The per-number send limit is counted in the number's OTP record (Sends,
// WindowEnd), in the write that stores the code: a used-up or discarded code
// leaves the record, without its code, until the window ends. Other rate
// limits (the per-address one) go through Take. Rate-limit counts are held
// in memory (counters.go): Take checks and counts
// there under one short mutex, loading a window from Badger on first use, and
// a flusher writes changed windows every second (Options.CounterFlushInterval),
// on Close and before a backup. A crash loses at most one interval's counts.
//
// Sessions and their index entry are written, re-expired (RotateRefresh) and
// deleted together in one transaction, so the index never outlives its
// session for longer than Badger's one-second TTL granularity; ListSessions
// skips an entry whose session is gone anyway.
//
// # Values
//
// Records are a compact binary encoding (codec.go): a format byte per record
// type and version, then fields as varints and length-prefixed bytes. It is
// several times cheaper to encode and decode than JSON and about half the
// size, and the format byte lets a later release read old records beside new
// ones. Keys stay readable, so a key dump is still easy to follow.
//
// # Ids
//
// User, session and message ids come from badger.Sequence, starting at 1
// (in each database: tokens carry the database identity, so ids that start
// again after a lost database never match an earlier token).
// A sequence leases a block of ids (100 for users, 1000 for sessions and
// messages) with one write; Close returns the unused part, so a clean
// restart leaves no gap, and a crash skips at most one block. An id taken by a
// transaction that then fails is skipped. Ids are never reused, and they grow
// with creation order, which ListSessions relies on.
//
// # Atomicity and expiry
//
// Every method is one Badger transaction, except that CreateOTP's write
// shares one with the writes of concurrent callers (a group commit,
// groupcommit.go); it has committed when CreateOTP returns. Writers of the same key are also
// serialised in-process by striped locks, so a contended key (one number's
// OTP under a brute-force attempt, one rate-limit window) never loses its
// updates or exhausts retries; badger.ErrConflict is still retried a bounded
// number of times (Options.MaxRetries). OTPs and sessions carry Badger TTLs,
// which are second-grained, and the store also compares their ExpiresAt with
// its own clock, so nothing is served after it expires.
//
// # Errors
//
// Missing records are chelseru.ErrNotFound, a live OTP in the way is
// chelseru.ErrExists, a lost refresh-token compare-and-swap is
// chelseru.ErrStale, each wrapped with %w and context; a method called after
// Close wraps ErrClosed.
//
// # Backup
//
// DB.Backup writes a consistent snapshot of the live data while the database
// stays in use; DB.Restore loads one into an empty database only. BackupWith
// and RestoreWith carry named files beside the records (the command line's
// key files); ReadBackup checks a backup file without a database.
//
// # Data safety
//
// A database has a random identity (DB.ID), kept in Badger and in a marker
// file beside its folder (MarkerPath). With the marker present, Open refuses
// a folder without its MANIFEST, with a damaged MANIFEST or table, or whose
// identity is missing or different (ErrDamaged) rather than let Badger
// start empty; tables are checked read-only, with Badger's panics
// recovered, before Badger opens them, and Badger then verifies each block
// it reads. DB.Verify checks every table and record of an open database.
//
// A disk guard (guard.go) refuses every write, before it reaches Badger,
// while the folder's file system has less than Options.MinFreeBytes free:
// the error is a *chelseru.Error with code EUNAVAILABLE wrapping ErrFull.
// Badger writes through memory-mapped files and would otherwise die of
// SIGBUS on a full disk. Open refuses below the threshold too, and Close
// on a full disk syncs the log instead of flushing.
package storage
