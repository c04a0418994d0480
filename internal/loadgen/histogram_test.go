package loadgen

import (
	"math"
	"testing"
	"time"
)

func TestBucketCoversValueWithBoundedError(t *testing.T) {
	values := []int64{0, 1, 2, 127, 128, 129, 255, 256, 257, 1000, 1023, 1024, 4095, 4096, 65535,
		1_000_000, 123_456_789, 1<<35 - 1, 1 << 35, 1<<36 - 1}
	for v := int64(1); v < 1<<36; v = v*3 + 1 {
		values = append(values, v, v-1, v+1)
	}
	for _, v := range values {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d, out of [0, %d)", v, i, numBuckets)
		}
		lo, hi := bucketRange(i)
		if v < lo || v > hi {
			t.Fatalf("value %d in bucket %d = [%d, %d]", v, i, lo, hi)
		}
		if hi > lo && float64(hi-lo+1)/float64(lo) > 1.0/subCount+1e-12 {
			t.Fatalf("bucket %d = [%d, %d] is wider than 1/%d of its low edge", i, lo, hi, subCount)
		}
	}
	// Buckets are contiguous and increasing.
	for i := 1; i < numBuckets; i++ {
		_, hiPrev := bucketRange(i - 1)
		lo, _ := bucketRange(i)
		if lo != hiPrev+1 {
			t.Fatalf("bucket %d starts at %d, previous ends at %d", i, lo, hiPrev)
		}
	}
	if got := bucketOf(math.MaxInt64); got != numBuckets-1 {
		t.Fatalf("bucketOf(MaxInt64) = %d, want last bucket %d", got, numBuckets-1)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	tests := []struct {
		name   string
		values func(record func(time.Duration))
		// want maps a quantile to the true value; the histogram may report up
		// to 1/128 above it, never below.
		want      map[float64]time.Duration
		count     uint64
		min, max  time.Duration
		mean      time.Duration
		exactOnly bool
	}{
		{
			name:      "empty",
			values:    func(func(time.Duration)) {},
			want:      map[float64]time.Duration{0: 0, 0.5: 0, 0.99: 0, 1: 0},
			exactOnly: true,
		},
		{
			name: "small values are exact",
			values: func(r func(time.Duration)) {
				for v := 1; v <= 100; v++ {
					r(time.Duration(v))
				}
			},
			want:  map[float64]time.Duration{0: 1, 0.01: 1, 0.5: 50, 0.9: 90, 0.99: 99, 1: 100},
			count: 100, min: 1, max: 100, mean: 51, // 50.5 rounds half away from zero
			exactOnly: true,
		},
		{
			name:   "one value reports itself",
			values: func(r func(time.Duration)) { r(1234567 * time.Nanosecond) },
			want:   map[float64]time.Duration{0: 1234567, 0.5: 1234567, 0.99: 1234567, 1: 1234567},
			count:  1, min: 1234567, max: 1234567, mean: 1234567,
			exactOnly: true,
		},
		{
			name: "uniform microseconds",
			values: func(r func(time.Duration)) {
				for v := 1000; v >= 1; v-- {
					r(time.Duration(v) * time.Microsecond)
				}
			},
			want: map[float64]time.Duration{
				0.5: 500 * time.Microsecond, 0.9: 900 * time.Microsecond,
				0.99: 990 * time.Microsecond, 0.999: 999 * time.Microsecond, 1: 1000 * time.Microsecond,
			},
			count: 1000, min: time.Microsecond, max: time.Millisecond, mean: 500500 * time.Nanosecond,
		},
		{
			name: "long tail",
			values: func(r func(time.Duration)) {
				for range 990 {
					r(2 * time.Millisecond)
				}
				for range 10 {
					r(3 * time.Second)
				}
			},
			want:  map[float64]time.Duration{0.5: 2 * time.Millisecond, 0.99: 2 * time.Millisecond, 0.991: 3 * time.Second, 1: 3 * time.Second},
			count: 1000, min: 2 * time.Millisecond, max: 3 * time.Second, mean: 31980 * time.Microsecond,
		},
		{
			name: "beyond the last bucket keeps max exact",
			values: func(r func(time.Duration)) {
				r(time.Millisecond)
				r(2 * time.Hour)
			},
			want:  map[float64]time.Duration{0.5: time.Millisecond, 1: 2 * time.Hour, 0.99: 2 * time.Hour},
			count: 2, min: time.Millisecond, max: 2 * time.Hour, mean: time.Hour + 500*time.Microsecond,
		},
		{
			name:      "negative counts as zero",
			values:    func(r func(time.Duration)) { r(-5) },
			want:      map[float64]time.Duration{0.5: 0},
			count:     1,
			exactOnly: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			tt.values(h.Record)
			if h.Count() != tt.count || h.Min() != tt.min || h.Max() != tt.max || h.Mean() != tt.mean {
				t.Fatalf("count/min/max/mean = %d/%v/%v/%v, want %d/%v/%v/%v",
					h.Count(), h.Min(), h.Max(), h.Mean(), tt.count, tt.min, tt.max, tt.mean)
			}
			for q, want := range tt.want {
				got := h.Quantile(q)
				if tt.exactOnly {
					if got != want {
						t.Errorf("Quantile(%v) = %v, want %v", q, got, want)
					}
					continue
				}
				limit := want + time.Duration(float64(want)/subCount)
				if got < want || got > limit {
					t.Errorf("Quantile(%v) = %v, want in [%v, %v]", q, got, want, limit)
				}
			}
		})
	}
}

func TestHistogramMergeEqualsRecordingTogether(t *testing.T) {
	var a, b, all Histogram
	for v := time.Duration(1); v < 10*time.Second; v = v*2 + 7 {
		a.Record(v)
		all.Record(v)
		b.Record(v / 3)
		all.Record(v / 3)
	}
	var empty Histogram
	a.Merge(&empty)
	a.Merge(&b)
	if a != all {
		t.Fatalf("merged histogram differs from one recorded in one go: count %d vs %d, p50 %v vs %v",
			a.Count(), all.Count(), a.Quantile(0.5), all.Quantile(0.5))
	}
	empty.Merge(&all)
	if empty != all {
		t.Fatal("merging into an empty histogram lost data")
	}
	a.Reset()
	if a.Count() != 0 || a.Quantile(0.5) != 0 || a.Max() != 0 {
		t.Fatal("Reset left observations behind")
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	for i := 0; b.Loop(); i++ {
		h.Record(time.Duration(i&0xFFFFF) * time.Microsecond)
	}
}
