package loadgen

import (
	"math"
	"math/bits"
	"time"
)

// Histogram geometry. Values are nanoseconds. Below 2^subBits every value has
// its own bucket; above, each power of two is split into 2^subBits linear
// sub-buckets (HDR-style log-linear layout), so a reported value is within
// 1/2^subBits (0.78%) of the true one. Values at or above 2^maxExp ns (about
// 68.7 s) share the last bucket; Max stays exact.
const (
	subBits    = 7
	subCount   = 1 << subBits
	maxExp     = 36
	numBuckets = (maxExp - subBits + 1) * subCount
)

// Histogram records durations in fixed memory (about 30 KiB) with a bounded
// relative error of 1/128. The zero value is ready to use. A Histogram is not
// safe for concurrent use: give each goroutine its own and Merge them.
type Histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    float64 // nanoseconds, for the mean
	min    int64
	max    int64
}

// bucketOf returns the bucket index for v >= 0.
func bucketOf(v int64) int {
	if v < subCount {
		return int(v)
	}
	e := bits.Len64(uint64(v)) - 1 // v in [2^e, 2^(e+1))
	if e >= maxExp {
		return numBuckets - 1
	}
	shift := e - subBits
	mantissa := int(v>>shift) - subCount
	return (e-subBits+1)*subCount + mantissa
}

// bucketRange returns the smallest and largest value that fall in bucket i.
func bucketRange(i int) (lo, hi int64) {
	if i < subCount {
		return int64(i), int64(i)
	}
	e := i/subCount - 1 + subBits
	mantissa := int64(i % subCount)
	shift := e - subBits
	lo = (subCount + mantissa) << shift
	hi = lo + (int64(1) << shift) - 1
	return lo, hi
}

// Record adds one observation. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
}

// Merge adds every observation of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Reset forgets every observation.
func (h *Histogram) Reset() { *h = Histogram{} }

// Count is the number of observations.
func (h *Histogram) Count() uint64 { return h.n }

// Min is the smallest observation (exact), or 0 when empty.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Max is the largest observation (exact), or 0 when empty.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Mean is the arithmetic mean of the observations, or 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(math.Round(h.sum / float64(h.n)))
}

// Quantile returns the q-quantile (0 <= q <= 1) of the observations: the
// smallest recorded value v such that at least ceil(q*Count) observations are
// <= v, reported as the upper edge of v's bucket (so it never understates a
// latency by more than the bucket width) and clamped to [Min, Max]. It
// returns 0 when the histogram is empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	switch {
	case math.IsNaN(q) || q <= 0:
		return time.Duration(h.min)
	case q >= 1:
		return time.Duration(h.max)
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			if i == numBuckets-1 {
				return time.Duration(h.max) // the overflow bucket has no upper edge
			}
			_, hi := bucketRange(i)
			return time.Duration(min(max(hi, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}
