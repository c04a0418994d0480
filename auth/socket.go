package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chelseru/chelseru"
)

// SessionExpiry returns when the caller's session ends (its refresh token's
// expiry; the zero time for never), or the token_not_valid 401 when the
// session is gone. A long-lived connection (a chat socket) checks it again
// at that time, since a refresh may have moved it.
func (s *Service) SessionExpiry(ctx context.Context, p Principal) (time.Time, error) {
	sess, err := s.store.GetSession(ctx, p.SessionID)
	if errors.Is(err, chelseru.ErrNotFound) {
		return time.Time{}, tokenInvalid(MsgTokenInvalid, err)
	}
	if err != nil {
		return time.Time{}, chelseru.Internal(fmt.Errorf("get session: %w", err))
	}
	if sess.UserID != p.UserID {
		return time.Time{}, tokenInvalid(MsgTokenInvalid, nil)
	}
	return sess.ExpiresAt, nil
}
