package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/chelseru/chelseru"
)

// SessionView is one of the caller's sessions, with Current marking the one
// the caller's token belongs to.
type SessionView struct {
	chelseru.Session
	Current bool
}

// ListSessions returns the caller's live sessions, newest first.
func (s *Service) ListSessions(ctx context.Context, p Principal) ([]SessionView, error) {
	list, err := s.store.ListSessions(ctx, p.UserID)
	if err != nil {
		return nil, chelseru.Internal(fmt.Errorf("list sessions: %w", err))
	}
	out := make([]SessionView, len(list))
	for i, sess := range list {
		out[i] = SessionView{Session: sess, Current: sess.ID == p.SessionID}
	}
	return out, nil
}

// RevokeSession deletes one of the caller's sessions; its tokens stop
// working at once. Another user's session and an unknown one are both a
// 404, so ids of other users' sessions cannot be probed.
func (s *Service) RevokeSession(ctx context.Context, p Principal, id int64) error {
	err := s.store.DeleteSession(ctx, p.UserID, id)
	switch {
	case errors.Is(err, chelseru.ErrNotFound):
		return &chelseru.Error{Code: chelseru.ENOTFOUND, Message: MsgNotFound}
	case err != nil:
		return chelseru.Internal(fmt.Errorf("delete session: %w", err))
	}
	return nil
}

// Outgoing is an SMS asked for through /api/message/send/.
type Outgoing struct {
	// Mobile is the receiver as sent (any accepted form).
	Mobile string
	// Text is the message, at most MaxMessageRunes characters.
	Text string
	// TemplateID, when non-zero, sends with the provider's template API, the
	// text being the template's one variable. Required when the provider
	// sends only templates (Options.TemplateOnly).
	TemplateID int64
}

// SendMessage sends an SMS for the caller (authorised by AuthorizeSender)
// through the configured provider. A user may send UserMessagesPerHour an
// hour (429 beyond; a message refused by validation costs nothing); a
// service client is not limited here. The message is recorded with the
// user's id, or 0 for a service client.
// The message is stored as pending before the provider is called and
// updated with the outcome afterwards (sent with the provider's id, or
// failed with the error class, code and text), so nothing handed to a
// provider is unrecorded. A provider refusal is a 502 carrying the
// provider's code and text, a timeout a 504.
//
// When the provider accepted the message but the outcome cannot be
// recorded, the send still succeeds (the error is logged): answering 500
// would invite a retry and a second SMS.
func (s *Service) SendMessage(ctx context.Context, c Caller, in Outgoing) (chelseru.Message, error) {
	fields := map[string][]string{}
	m, ok := chelseru.NormalizeMobile(in.Mobile)
	if !ok {
		fields["mobile_number"] = []string{MsgInvalidMobile}
	}
	text := strings.TrimSpace(in.Text)
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		fields["message_text"] = []string{MsgRequired}
	case n > MaxMessageRunes:
		fields["message_text"] = []string{fmt.Sprintf(MsgTextTooLong, MaxMessageRunes)}
	}
	if s.opts.TemplateOnly && in.TemplateID == 0 {
		fields["template_id"] = []string{MsgRequired}
	}
	if len(fields) > 0 {
		return chelseru.Message{}, &chelseru.Error{Code: chelseru.EINVALID, Fields: fields}
	}
	if err := s.limitUserMessages(ctx, c); err != nil {
		return chelseru.Message{}, err
	}
	if err := s.takeSMSBudget(ctx, s.now()); err != nil {
		return chelseru.Message{}, err
	}
	var userID int64 // 0: a service client
	if c.Kind == CallerUser {
		userID = c.Principal.UserID
	}

	now := s.now()
	msg, err := s.store.CreateMessage(ctx, chelseru.Message{
		UserID:     userID,
		Mobile:     m,
		Text:       text,
		TemplateID: in.TemplateID,
		Service:    s.opts.Service,
		Status:     chelseru.MessagePending,
		CreatedAt:  now,
		UpdatedAt:  now,
	})
	if err != nil {
		return chelseru.Message{}, chelseru.Internal(fmt.Errorf("record message: %w", err))
	}

	sms := chelseru.SMS{To: m, Text: text, TemplateID: in.TemplateID, Ref: fmt.Sprintf("msg-%d", msg.ID)}
	if in.TemplateID != 0 {
		sms.Vars = []string{text}
	}
	sctx, cancel := s.smsContext(ctx)
	res, sendErr := s.sender.Send(sctx, sms)
	cancel()

	msg.UpdatedAt = s.now()
	if sendErr == nil {
		msg.Status = chelseru.MessageSent
		msg.ProviderMessageID = res.MessageID
	} else {
		msg.Status = chelseru.MessageFailed
		var se *chelseru.SMSError
		if errors.As(sendErr, &se) {
			msg.ErrorClass, msg.ErrorCode, msg.ErrorText = string(se.Class), se.Code, se.Text
		} else if errors.Is(sendErr, context.DeadlineExceeded) {
			msg.ErrorClass = string(chelseru.SMSTimeout)
		} else {
			msg.ErrorClass = string(chelseru.SMSPlugin)
		}
	}
	cctx, ccancel := s.cleanupContext(ctx)
	if err := s.store.UpdateMessage(cctx, msg); err != nil {
		s.log.ErrorContext(ctx, "record message outcome", "message_id", msg.ID, "status", msg.Status, "err", err)
	}
	ccancel()
	if sendErr != nil {
		return msg, s.providerError(sendErr, true, fmt.Sprintf("send message %d", msg.ID))
	}
	return msg, nil
}
