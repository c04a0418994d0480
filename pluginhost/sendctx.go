package pluginhost

import (
	"context"
	"sync"
	"time"
)

// sendContext is the context of one send: its parent's values and
// cancellation, the callLog of the send, and the deadline of SMS.TIMEOUT (or
// the parent's, if earlier). Its deadline is a value; the timer-backed
// context.WithDeadline is made only when something asks for Done (net/http's
// client, a wait for a free instance, the context time limit), because most
// sends need only the value (docs/RATIONALE.md, "No timer per SMS send").
// Err, Deadline and the cause agree with the timer-backed context either way.
type sendContext struct {
	parent   context.Context
	deadline time.Time
	log      *callLog

	mu     sync.Mutex
	real   context.Context // made by Done
	cancel context.CancelFunc
}

var _ context.Context = (*sendContext)(nil)

// newSendContext returns the context of a send bounded by timeout.
func newSendContext(parent context.Context, timeout time.Duration, log *callLog) *sendContext {
	deadline := time.Now().Add(timeout)
	if d, ok := parent.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	return &sendContext{parent: parent, deadline: deadline, log: log}
}

// Deadline implements context.Context.
func (c *sendContext) Deadline() (time.Time, bool) { return c.deadline, true }

// Done implements context.Context: the channel of a context.WithDeadline
// made on first use.
func (c *sendContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real == nil {
		c.real, c.cancel = context.WithDeadlineCause(c.parent, c.deadline, errSendTimeout)
	}
	return c.real.Done()
}

// made returns the timer-backed context, if Done has made it.
func (c *sendContext) made() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.real
}

// Err implements context.Context.
func (c *sendContext) Err() error {
	if real := c.made(); real != nil {
		return real.Err()
	}
	if err := c.parent.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// Value implements context.Context: the send's callLog under pluginKey,
// the parent's values otherwise.
func (c *sendContext) Value(key any) any {
	if key == (pluginKey{}) {
		return c.log
	}
	return c.parent.Value(key)
}

// cause is context.Cause for the send: the parent's cause when the parent
// ended it, errSendTimeout when its deadline passed, nil while it runs.
func (c *sendContext) cause() error {
	if real := c.made(); real != nil {
		return context.Cause(real)
	}
	switch err := c.Err(); {
	case err == nil:
		return nil
	case c.parent.Err() != nil:
		return context.Cause(c.parent)
	default:
		return errSendTimeout
	}
}

// release stops the timer, if Done made one.
func (c *sendContext) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		c.cancel()
	}
}

// causeOf is context.Cause, knowing a sendContext's.
func causeOf(ctx context.Context) error {
	if c, ok := ctx.(*sendContext); ok {
		return c.cause()
	}
	return context.Cause(ctx)
}
