package host

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// chatMetrics are the chat socket's chelseru_chat_* metrics.
type chatMetrics struct {
	open    prometheus.Gauge     // open sockets
	in      prometheus.Counter   // messages received and stored
	out     prometheus.Counter   // frames written to sockets (messages, read receipts, errors)
	slow    prometheus.Counter   // sockets disconnected because their send queue overflowed
	refused prometheus.Counter   // sockets closed at once (4401, 4403, 4404, 4429, ...)
	fanout  prometheus.Histogram // publish to write, per receiving socket
}

func (m *chatMetrics) register(reg *prometheus.Registry) error {
	m.open = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "chelseru_chat_sockets_open", Help: "Chat WebSocket connections open now.",
	})
	m.in = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "chelseru_chat_messages_in_total", Help: "Chat messages received from clients and stored.",
	})
	m.out = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "chelseru_chat_messages_out_total", Help: "Frames written to chat sockets (messages, replays, read receipts, errors).",
	})
	m.slow = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "chelseru_chat_slow_disconnects_total", Help: "Chat sockets closed (1013) because their send queue overflowed.",
	})
	m.refused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "chelseru_chat_sockets_refused_total", Help: "Chat sockets closed right after the upgrade (bad token, not a member, no room, too many).",
	})
	m.fanout = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "chelseru_chat_fanout_seconds",
		Help:    "Time from a stored message's publication to its write on a receiving socket.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
	})
	for _, c := range []prometheus.Collector{m.open, m.in, m.out, m.slow, m.refused, m.fanout} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register chat metrics: %w", err)
		}
	}
	return nil
}
