package storage

import (
	"hash/maphash"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
)

// A room's client_id set: which client_ids its messages carry, kept in
// memory so that a message whose client_id is new (nearly every one) is
// stored without first looking its client_id up in Badger. The look-up was
// a read transaction and a point read through every level of the tree per
// message (docs/RATIONALE.md, "Chat: the client_id set").
//
// The set holds a 64-bit hash of each client_id index key of the room: a
// hash that is absent proves the client_id new; a hash that is present (a
// retry, or a collision) is looked up in Badger as before, so the answer
// stays exact. It is built from the room's index keys when the room is
// loaded and grows with each append, both under the room's mutex. Memory is
// bounded: a room with more than maxRoomCIDs client_ids, or any room once
// the sets of all rooms hold maxCIDHashes, keeps no set and looks every
// client_id up.

// Bounds of the client_id sets (variables so tests can lower them).
var (
	// maxRoomCIDs caps one room's set.
	maxRoomCIDs = 1 << 15
	// maxCIDHashes caps the hashes held by all rooms' sets together
	// (about 10 bytes each in a map of this key type).
	maxCIDHashes int64 = 1 << 20
)

// cidSets accounts for the hashes held by the rooms' sets.
type cidSets struct {
	seed maphash.Seed
	held atomic.Int64
}

// hash returns the hash of a client_id index key.
func (c *cidSets) hash(key []byte) uint64 { return maphash.Bytes(c.seed, key) }

// reserve accounts for n more hashes; it reports false (and reserves
// nothing) when that would pass maxCIDHashes.
func (c *cidSets) reserve(n int) bool {
	if c.held.Add(int64(n)) > maxCIDHashes {
		c.held.Add(-int64(n))
		return false
	}
	return true
}

// release gives back n hashes.
func (c *cidSets) release(n int) { c.held.Add(-int64(n)) }

// loadCIDs builds r's client_id set from the room's index keys in txn, or
// leaves it nil when the room has more than maxRoomCIDs of them or the
// budget is spent. r.mu is held.
func (db *DB) loadCIDs(txn *badger.Txn, r *liveRoom, room int64) error {
	db.dropCIDs(r)
	prefix := chatCIDPrefix(room)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	set := make(map[uint64]struct{})
	for it.Rewind(); it.Valid(); it.Next() {
		if len(set) >= maxRoomCIDs {
			return nil // too many to keep: look each up
		}
		set[db.chat.cids.hash(it.Item().Key())] = struct{}{}
	}
	if !db.chat.cids.reserve(len(set)) {
		return nil
	}
	r.cids = set
	return nil
}

// mayHaveCID reports whether the client_id index key (whose hash is h) may
// be stored in r: false only when r's set proves it new. r.mu is held.
func (r *liveRoom) mayHaveCID(h uint64) bool {
	if r.cids == nil {
		return true
	}
	_, ok := r.cids[h]
	return ok
}

// addCID records a stored client_id's hash in r's set, or drops the set
// when it would pass a bound. r.mu is held.
func (db *DB) addCID(r *liveRoom, h uint64) {
	if r.cids == nil {
		return
	}
	if _, ok := r.cids[h]; ok {
		return
	}
	if len(r.cids) >= maxRoomCIDs || !db.chat.cids.reserve(1) {
		db.dropCIDs(r)
		return
	}
	r.cids[h] = struct{}{}
}

// dropCIDs forgets r's set (its client_ids are looked up from then on).
// r.mu is held, or r is unreachable.
func (db *DB) dropCIDs(r *liveRoom) {
	if r.cids != nil {
		db.chat.cids.release(len(r.cids))
		r.cids = nil
	}
}

// chatCIDPrefix is the prefix of every client_id index key of room.
func chatCIDPrefix(room int64) []byte {
	return append(appendInt64([]byte(pChatCID), room), '/')
}
