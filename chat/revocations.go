package chat

import (
	"context"
	"sync"

	"github.com/chelseru/chelseru"
)

// Revocations wraps a chelseru.Store and reports every session deleted
// through it (a revocation by its user, or after a refresh token was reused)
// to the listeners registered with OnRevoke, so open sockets of that session
// are closed at once instead of at their next check.
type Revocations struct {
	chelseru.Store

	mu        sync.RWMutex
	listeners []func(sessionID int64)
}

// WatchRevocations returns store wrapped in a Revocations.
func WatchRevocations(store chelseru.Store) *Revocations { return &Revocations{Store: store} }

// OnRevoke registers fn, called after each successful DeleteSession.
func (r *Revocations) OnRevoke(fn func(sessionID int64)) {
	r.mu.Lock()
	r.listeners = append(r.listeners, fn)
	r.mu.Unlock()
}

// DeleteSession implements chelseru.SessionStore and tells the listeners.
func (r *Revocations) DeleteSession(ctx context.Context, userID, id int64) error {
	if err := r.Store.DeleteSession(ctx, userID, id); err != nil {
		return err
	}
	r.mu.RLock()
	ls := r.listeners
	r.mu.RUnlock()
	for _, fn := range ls {
		fn(id)
	}
	return nil
}
