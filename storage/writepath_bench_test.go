package storage

import (
	"syscall"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

// BenchmarkOTPSendWrites is the store's share of one /api/otp/send/ as the
// server makes it under load: CreateOTP for a new number with the per-number
// limit, then Take of the per-address limit on one hot key (one busy
// address), from 64 concurrent callers. Besides ns/op it reports the
// process's CPU per send (cpu-ns/op), which other work on a shared machine
// disturbs less than the wall clock.
func BenchmarkOTPSendWrites(b *testing.B) {
	db := openTest(b, Options{})
	hash := make([]byte, 32)
	ip := chelseru.Limit{Key: "otp-ip:203.0.113.7", Max: 1 << 30, Window: time.Hour}
	b.ReportAllocs()
	b.SetParallelism(32) // 64 callers on two cores, as the load test's workers
	cpu0 := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			o := chelseru.OTP{Mobile: benchMobile(), Hash: hash, ExpiresAt: time.Now().Add(2 * time.Minute)}
			if _, err := db.CreateOTP(ctx, o, benchLimit()); err != nil {
				b.Fatal(err)
			}
			if wait, err := db.Take(ctx, time.Now(), ip); err != nil || wait != 0 {
				b.Fatal(wait, err)
			}
		}
	})
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU is the process's user+system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
