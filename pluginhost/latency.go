package pluginhost

import (
	"sync/atomic"
	"time"
)

// HTTPLatencyBuckets are the upper bounds, in seconds, of the provider
// request latency histogram (Stats.HTTPLatency): SMS gateways answer in tens
// to hundreds of milliseconds, and SMS.TIMEOUT is 10 s by default.
var HTTPLatencyBuckets = [...]float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// latency counts provider request durations into HTTPLatencyBuckets, plus
// one overflow bucket, with plain atomics (no lock, no allocation).
type latency struct {
	counts [len(HTTPLatencyBuckets) + 1]atomic.Int64
}

// observe counts one request that took d.
func (l *latency) observe(d time.Duration) {
	s := d.Seconds()
	i := 0
	for i < len(HTTPLatencyBuckets) && s > HTTPLatencyBuckets[i] {
		i++
	}
	l.counts[i].Add(1)
}

// snapshot returns the per-bucket counts (not cumulative); the last is the
// overflow bucket (+Inf).
func (l *latency) snapshot() []int64 {
	out := make([]int64, len(l.counts))
	for i := range l.counts {
		out[i] = l.counts[i].Load()
	}
	return out
}
