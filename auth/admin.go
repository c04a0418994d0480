package auth

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/chelseru/chelseru"
)

// Admin and spend-protection texts.
const (
	// MsgDisabled answers (403) a disabled user's request for a code or a
	// token.
	MsgDisabled = "This account is disabled."
	// MsgBudget answers (429) a send refused by the global SMS budget.
	MsgBudget = "The server's SMS budget is spent for now. Expected available in %d seconds."
)

// disabledError is the 403 of a disabled user.
func disabledError() *chelseru.Error {
	return &chelseru.Error{Code: chelseru.EFORBIDDEN, Message: MsgDisabled}
}

// budget is the state of the global SMS budget (Options.MaxSMSPerHour and
// MaxSMSPerDay).
type budget struct {
	refused atomic.Uint64
}

// BudgetRefusals is how many sends the global SMS budget has refused since
// the Service started (for the metric chelseru_sms_budget_exceeded_total).
func (s *Service) BudgetRefusals() uint64 { return s.budget.refused.Load() }

// takeSMSBudget takes one SMS from the global budgets, per hour and per day
// (windows aligned to the Unix epoch, so days are UTC days), or none when
// either is spent: then it is a 429 with RetryAfter until both allow again.
func (s *Service) takeSMSBudget(ctx context.Context, now time.Time) error {
	var small [2]chelseru.Limit
	limits := small[:0]
	if s.opts.MaxSMSPerHour > 0 {
		limits = append(limits, chelseru.Limit{Key: "sms-budget", Max: s.opts.MaxSMSPerHour, Window: time.Hour})
	}
	if s.opts.MaxSMSPerDay > 0 {
		limits = append(limits, chelseru.Limit{Key: "sms-budget", Max: s.opts.MaxSMSPerDay, Window: 24 * time.Hour})
	}
	if len(limits) == 0 {
		return nil
	}
	wait, err := s.store.Take(ctx, now, limits...)
	switch {
	case err != nil:
		return chelseru.Internal(fmt.Errorf("take sms budget: %w", err))
	case wait > 0:
		s.budget.refused.Add(1)
		s.log.WarnContext(ctx, "global SMS budget spent: send refused", "retry_after", wait.Round(time.Second))
		return &chelseru.Error{Code: chelseru.ETOOMANY, Message: fmt.Sprintf(MsgBudget, ceilSeconds(wait)), RetryAfter: wait}
	}
	return nil
}

// refuseDisabledMobile is the 403 when a user of mobile is disabled (in any
// group: /api/otp/send/ names no group).
func (s *Service) refuseDisabledMobile(ctx context.Context, mobile string) error {
	d, err := s.store.MobileDisabled(ctx, mobile)
	if err != nil {
		return chelseru.Internal(fmt.Errorf("check disabled: %w", err))
	}
	if d {
		return disabledError()
	}
	return nil
}

// checkNewSession undoes a session created for a user who was disabled
// meanwhile (the admin's disable sets the flag, then revokes sessions: a
// login racing it either sees the flag here or has its session revoked).
func (s *Service) checkNewSession(ctx context.Context, userID, sessionID int64) error {
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return chelseru.Internal(fmt.Errorf("check user after login: %w", err))
	}
	if !u.Disabled {
		return nil
	}
	if err := s.store.DeleteSession(ctx, userID, sessionID); err != nil && !errors.Is(err, chelseru.ErrNotFound) {
		return chelseru.Internal(fmt.Errorf("revoke session of disabled user: %w", err))
	}
	return disabledError()
}

// AdminFindUsers returns the users with the mobile number given in any
// accepted spelling: in every group, or in group only when it is not nil.
// An invalid number is a 400 on field mobile.
func (s *Service) AdminFindUsers(ctx context.Context, mobile string, group *int64) ([]chelseru.User, error) {
	m, err := normalizeMobile("mobile", mobile)
	if err != nil {
		return nil, err
	}
	if group != nil {
		u, err := s.store.FindUser(ctx, *group, m)
		switch {
		case errors.Is(err, chelseru.ErrNotFound):
			return nil, nil
		case err != nil:
			return nil, chelseru.Internal(fmt.Errorf("find user: %w", err))
		}
		return []chelseru.User{u}, nil
	}
	users, err := s.store.FindUsers(ctx, m)
	if err != nil {
		return nil, chelseru.Internal(fmt.Errorf("find users: %w", err))
	}
	return users, nil
}

// AdminUser returns the user with id (404 when there is none).
func (s *Service) AdminUser(ctx context.Context, id int64) (chelseru.User, error) {
	u, err := s.store.GetUser(ctx, id)
	switch {
	case errors.Is(err, chelseru.ErrNotFound):
		return chelseru.User{}, &chelseru.Error{Code: chelseru.ENOTFOUND, Message: MsgNotFound}
	case err != nil:
		return chelseru.User{}, chelseru.Internal(fmt.Errorf("get user: %w", err))
	}
	return u, nil
}

// AdminSessions returns the user's live sessions, newest first (404 for an
// unknown user).
func (s *Service) AdminSessions(ctx context.Context, userID int64) ([]chelseru.Session, error) {
	if _, err := s.AdminUser(ctx, userID); err != nil {
		return nil, err
	}
	list, err := s.store.ListSessions(ctx, userID)
	if err != nil {
		return nil, chelseru.Internal(fmt.Errorf("list sessions: %w", err))
	}
	return list, nil
}

// AdminRevokeSession revokes one of the user's sessions (404 when it is not
// the user's); its tokens stop working at once.
func (s *Service) AdminRevokeSession(ctx context.Context, userID, id int64) error {
	return s.RevokeSession(ctx, Principal{UserID: userID}, id)
}

// AdminRevokeAll revokes every session of the user and returns how many
// there were (404 for an unknown user).
func (s *Service) AdminRevokeAll(ctx context.Context, userID int64) (int, error) {
	if _, err := s.AdminUser(ctx, userID); err != nil {
		return 0, err
	}
	n, err := s.store.DeleteUserSessions(ctx, userID)
	if err != nil {
		return n, chelseru.Internal(fmt.Errorf("revoke sessions: %w", err))
	}
	s.log.InfoContext(ctx, "admin revoked every session", "user_id", userID, "sessions", n)
	return n, nil
}

// AdminSetDisabled disables or enables the user. A disabled user gets no
// code (403 from SendOTP for the number, in any group) and no token (403
// from Authenticate), and every session is revoked at once, so Bearer and
// refresh tokens get 401. Enabling lets the user log in again; revoked
// sessions stay revoked.
func (s *Service) AdminSetDisabled(ctx context.Context, userID int64, disabled bool) (chelseru.User, error) {
	u, err := s.store.SetUserDisabled(ctx, userID, disabled)
	switch {
	case errors.Is(err, chelseru.ErrNotFound):
		return chelseru.User{}, &chelseru.Error{Code: chelseru.ENOTFOUND, Message: MsgNotFound}
	case err != nil:
		return chelseru.User{}, chelseru.Internal(fmt.Errorf("set disabled: %w", err))
	}
	if disabled {
		n, err := s.store.DeleteUserSessions(ctx, userID)
		if err != nil {
			return u, chelseru.Internal(fmt.Errorf("revoke sessions of disabled user: %w", err))
		}
		s.log.InfoContext(ctx, "admin disabled user", "user_id", userID, "sessions_revoked", n)
	} else {
		s.log.InfoContext(ctx, "admin enabled user", "user_id", userID)
	}
	return u, nil
}

// AdminMessages returns a page of the SMS log (filters in f; Mobile must be
// normalised already).
func (s *Service) AdminMessages(ctx context.Context, f chelseru.MessageFilter) (chelseru.MessagePage, error) {
	p, err := s.store.ListMessages(ctx, f)
	if err != nil {
		return chelseru.MessagePage{}, chelseru.Internal(fmt.Errorf("list messages: %w", err))
	}
	return p, nil
}
