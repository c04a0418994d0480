package pluginhost

import "context"

// TrimIdle closes the serving plugin's instances that wait in its pool for
// work, so that an idle server does not keep their memory (~4 MB of linear
// memory and tables each). Sends in flight keep theirs; the next send
// starts a new instance (instantiate, _initialize, configure: ~20 ms). It
// returns how many it closed.
func (h *Host) TrimIdle(ctx context.Context) int {
	m := h.active.Load()
	if m == nil || !m.acquire() {
		return 0
	}
	defer m.release()
	n := 0
	for {
		select {
		case in := <-m.idle:
			in.close(context.WithoutCancel(ctx))
			m.live.Add(-1)
			<-m.slots
			n++
		default:
			return n
		}
	}
}
