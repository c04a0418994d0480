package chelseru

import (
	"context"
	"time"
)

// MessageFilter selects messages from the SMS log (AdminStore.ListMessages).
// Zero fields select everything.
type MessageFilter struct {
	// Mobile, when set, is the normalised receiver (09XXXXXXXXX).
	Mobile string
	// Status, when set, is the message's status.
	Status MessageStatus
	// Since and Until, when not zero, bound CreatedAt: Since <= CreatedAt < Until.
	Since, Until time.Time
	// Before, when positive, is the cursor: only messages with an id below
	// it (the page goes on from there).
	Before int64
	// Limit is the most messages returned, 1 to MaxMessagePage (the store
	// clamps it).
	Limit int
}

// MaxMessagePage bounds MessageFilter.Limit.
const MaxMessagePage = 200

// MessagePage is one page of the SMS log, newest first.
type MessagePage struct {
	Messages []Message
	// Next is the cursor of the next page (MessageFilter.Before), or 0 when
	// there is nothing more to read.
	Next int64
}

// AdminStore is what the admin API needs from storage beyond the rest of
// Store: users across groups, disabling, every session of a user at once,
// and the SMS log with filters.
type AdminStore interface {
	// FindUsers returns the users with the normalised mobile in every
	// group, by group.
	FindUsers(ctx context.Context, mobile string) ([]User, error)
	// SetUserDisabled sets the user's Disabled flag and returns the user;
	// ErrNotFound when there is no such user.
	SetUserDisabled(ctx context.Context, id int64, disabled bool) (User, error)
	// MobileDisabled reports whether a user with the normalised mobile is
	// disabled in any group.
	MobileDisabled(ctx context.Context, mobile string) (bool, error)
	// DeleteUserSessions revokes every session of the user and returns how
	// many there were.
	DeleteUserSessions(ctx context.Context, userID int64) (int, error)
	// ListMessages returns a page of the SMS log, newest first.
	ListMessages(ctx context.Context, f MessageFilter) (MessagePage, error)
}
