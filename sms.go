package chelseru

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SMS is one message to hand to a provider.
type SMS struct {
	// To is the receiver, normalised as 09XXXXXXXXX.
	To string
	// Text is the message text; it may be empty for a template send.
	Text string
	// TemplateID, when non-zero, asks for the provider's template API.
	TemplateID int64
	// Vars are the template's variables, in order (for an OTP: the code).
	Vars []string
	// Ref is the host's own reference for the message (for logs); may be empty.
	Ref string
	// Params are Vars with the names the operator gave the template's
	// parameters (see TemplateParams); nil when it named none.
	Params []SMSParam
	// Time is when the message is handed to the provider; zero means now.
	// Tests of plugins that sign with it (WEBHOOK) set it to replay a case.
	Time time.Time
}

// SMSParam is one named template parameter.
type SMSParam struct {
	Name  string
	Value string
}

// SMSResult is a provider's acceptance of a message.
type SMSResult struct {
	// MessageID is the provider's id for the message (may be empty for
	// providers that return none, and for CONSOLE).
	MessageID string
}

// SMSSender is the port through which the host sends SMS. The implementation
// is the WASM plugin runtime (pluginhost); every provider goes through it.
type SMSSender interface {
	// Send hands m to the provider. A failure is an *SMSError.
	Send(ctx context.Context, m SMS) (SMSResult, error)
}

// SMSErrorClass classifies a provider failure.
type SMSErrorClass string

// Provider failure classes. Timeout maps to 504; the rest to 502.
const (
	SMSBadCredentials SMSErrorClass = "bad_credentials"
	SMSBadRequest     SMSErrorClass = "bad_request"
	SMSOutOfCredit    SMSErrorClass = "out_of_credit"
	SMSRateLimited    SMSErrorClass = "rate_limited"
	SMSTemporary      SMSErrorClass = "temporary"
	SMSPermanent      SMSErrorClass = "permanent"
	SMSTimeout        SMSErrorClass = "timeout" // the provider did not answer in time
	SMSPlugin         SMSErrorClass = "plugin"  // the plugin trapped, timed out or broke the ABI
)

// SMSError is a classified provider failure. Code and Text are the
// provider's own (safe to show a client); Err is the internal cause (logs only).
type SMSError struct {
	Class SMSErrorClass
	Code  string
	Text  string
	Err   error
	// NotSent is set by the sender when no request of this send can have
	// reached the provider (it failed on our side first: a plugin failure
	// before any request, a refused or failed connection). The caller may
	// then give back the send's rate limits: no SMS was sent.
	NotSent bool
}

// SMSNotSent reports whether err is an *SMSError that says no request of
// the send reached the provider.
func SMSNotSent(err error) bool {
	var se *SMSError
	return errors.As(err, &se) && se.NotSent
}

func (e *SMSError) Error() string {
	s := fmt.Sprintf("sms %s", e.Class)
	if e.Code != "" || e.Text != "" {
		s += fmt.Sprintf(" (%s: %s)", e.Code, e.Text)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the internal cause.
func (e *SMSError) Unwrap() error { return e.Err }
