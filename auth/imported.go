package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/token"
)

// ImportedUsers is what the store offers for tokens simplejwt issued before
// a migration from django-chelseru (token.Claims.Imported). A store without
// it refuses such tokens.
type ImportedUsers interface {
	// ImportedAt returns when user id was imported, or chelseru.ErrNotFound
	// for a user that was not.
	ImportedAt(ctx context.Context, id int64) (time.Time, error)
	// ClaimImportedJTI records that the imported refresh token jti was
	// exchanged; first is false when it was already (a replay).
	ClaimImportedJTI(ctx context.Context, jti string, expires time.Time) (first bool, err error)
}

// importedSession stands in for the session of an imported token: it is
// accepted only for a user that came from the import, issued before the
// import; anything else is token_not_valid. The session has id 0.
func (s *Service) importedSession(ctx context.Context, c token.Claims) (chelseru.Session, error) {
	iu := s.imported
	if iu == nil {
		return chelseru.Session{}, tokenInvalid(MsgTokenInvalid, errors.New("imported token, but the store keeps no imports"))
	}
	at, err := iu.ImportedAt(ctx, c.UserID)
	switch {
	case errors.Is(err, chelseru.ErrNotFound):
		return chelseru.Session{}, tokenInvalid(MsgTokenInvalid, fmt.Errorf("token without session for user %d, who was not imported", c.UserID))
	case err != nil:
		return chelseru.Session{}, chelseru.Internal(fmt.Errorf("imported at: %w", err))
	case c.IssuedAt.After(at):
		return chelseru.Session{}, tokenInvalid(MsgTokenInvalid, fmt.Errorf("token without session issued after user %d was imported", c.UserID))
	}
	u, err := s.store.GetUser(ctx, c.UserID)
	if err != nil {
		if errors.Is(err, chelseru.ErrNotFound) {
			return chelseru.Session{}, tokenInvalid(MsgTokenInvalid, err)
		}
		return chelseru.Session{}, chelseru.Internal(fmt.Errorf("get user: %w", err))
	}
	if u.Disabled {
		// A disabled user's sessions stop working; an imported token has
		// no session to delete, so it is refused here.
		return chelseru.Session{}, tokenInvalid(MsgTokenInvalid, fmt.Errorf("imported token of disabled user %d", c.UserID))
	}
	now := s.now()
	return chelseru.Session{UserID: c.UserID, RefreshJTI: c.JTI, CreatedAt: c.IssuedAt, LastSeen: now}, nil
}

// refreshImported exchanges an imported refresh token, once, for the tokens
// of a new, real session (with sid and dbid): from then on the user is an
// ordinary user of this server. A second exchange of the same token is a
// replay: 401.
func (s *Service) refreshImported(ctx context.Context, c token.Claims, ip string) (Tokens, error) {
	if _, err := s.importedSession(ctx, c); err != nil {
		return Tokens{}, err
	}
	first, err := s.imported.ClaimImportedJTI(ctx, c.JTI, c.ExpiresAt)
	if err != nil {
		return Tokens{}, chelseru.Internal(fmt.Errorf("claim imported refresh token: %w", err))
	}
	if !first {
		s.log.WarnContext(ctx, "imported refresh token reused", "user_id", c.UserID)
		return Tokens{}, tokenInvalid(MsgTokenReused, nil)
	}
	s.log.InfoContext(ctx, "imported refresh token exchanged for a session", "user_id", c.UserID)
	return s.openSession(ctx, c.UserID, "", ip)
}
