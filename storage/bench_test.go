package storage

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

// Benchmarks of the calls on the login path, against a real Badger in a
// temp dir with the default (edge-box) options. Run: go test -run XXX
// -bench . ./storage/

var benchSeq atomic.Int64

// benchMobile returns a distinct mobile number per call.
func benchMobile() string { return fmt.Sprintf("09%09d", benchSeq.Add(1)%1_000_000_000) }

func benchStores(b *testing.B, f func(b *testing.B, db *DB)) {
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprintf("sync=%v", sync), func(b *testing.B) {
			db := openTest(b, Options{SyncWrites: sync})
			b.ReportAllocs()
			f(b, db)
		})
	}
}

// BenchmarkOTPCreateVerify is one code's life: CreateOTP, then a VerifyOTP
// that matches (and deletes it).
func BenchmarkOTPCreateVerify(b *testing.B) {
	benchStores(b, func(b *testing.B, db *DB) {
		hash := make([]byte, 32)
		match := func(chelseru.OTP) bool { return true }
		for b.Loop() {
			m := benchMobile()
			if _, err := db.CreateOTP(ctx, chelseru.OTP{Mobile: m, Hash: hash, ExpiresAt: time.Now().Add(2 * time.Minute)}, benchLimit()); err != nil {
				b.Fatal(err)
			}
			if res, err := db.VerifyOTP(ctx, m, "", match, 5); err != nil || res != chelseru.OTPMatched {
				b.Fatal(res, err)
			}
		}
	})
}

// BenchmarkSessionCreateGet is CreateSession then GetSession.
func BenchmarkSessionCreateGet(b *testing.B) {
	benchStores(b, func(b *testing.B, db *DB) {
		s := sampleSession
		s.ExpiresAt = time.Now().Add(24 * time.Hour)
		for b.Loop() {
			c, err := db.CreateSession(ctx, s)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := db.GetSession(ctx, c.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGetSession is the per-request session check of an access token.
func BenchmarkGetSession(b *testing.B) {
	db := openTest(b, Options{})
	s := sampleSession
	s.ExpiresAt = time.Now().Add(24 * time.Hour)
	c, err := db.CreateSession(ctx, s)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.GetSession(ctx, c.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkTake takes two limits at once: one on a hot key (as
// /api/otp/send/'s per-address limit under load from one address) and one on
// a new key each time (a new window to create).
func BenchmarkTake(b *testing.B) {
	benchStores(b, func(b *testing.B, db *DB) {
		now := time.Now()
		for b.Loop() {
			m := benchMobile()
			wait, err := db.Take(ctx, now,
				chelseru.Limit{Key: "ip:203.0.113.7", Max: 1 << 30, Window: time.Hour},
				chelseru.Limit{Key: "mobile:" + m, Max: 5, Window: time.Hour})
			if err != nil || wait != 0 {
				b.Fatal(wait, err)
			}
		}
	})
}

// BenchmarkGetOrCreateUser alternates a first login (create) with a
// returning one (get).
func BenchmarkGetOrCreateUser(b *testing.B) {
	benchStores(b, func(b *testing.B, db *DB) {
		var m string
		i := 0
		for b.Loop() {
			if i%2 == 0 {
				m = benchMobile()
			}
			i++
			if _, _, err := db.GetOrCreateUser(ctx, 0, m, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkOTPCreateVerifyParallel runs code lives for distinct numbers on
// every core, as concurrent logins do.
func BenchmarkOTPCreateVerifyParallel(b *testing.B) {
	db := openTest(b, Options{})
	hash := make([]byte, 32)
	match := func(chelseru.OTP) bool { return true }
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := benchMobile()
			if _, err := db.CreateOTP(ctx, chelseru.OTP{Mobile: m, Hash: hash, ExpiresAt: time.Now().Add(2 * time.Minute)}, benchLimit()); err != nil {
				b.Fatal(err)
			}
			if res, err := db.VerifyOTP(ctx, m, "", match, 5); err != nil || res != chelseru.OTPMatched {
				b.Fatal(res, err)
			}
		}
	})
}

// benchLimit is the per-number send limit as the server sets it, raised out
// of the way.
func benchLimit() chelseru.SendLimit {
	return chelseru.SendLimit{Max: 1 << 30, Window: time.Hour}
}

// BenchmarkSyncWrites measures STORAGE.SYNC_WRITES: CreateOTP and
// CreateSession alone, one caller and 8 concurrent callers, with SyncWrites
// off and on. Concurrent CreateOTP calls share one commit (group commit), so
// one fsync serves many codes.
func BenchmarkSyncWrites(b *testing.B) {
	hash := make([]byte, 32)
	sess := sampleSession
	sess.ExpiresAt = time.Now().Add(24 * time.Hour)
	ops := []struct {
		name string
		do   func(b *testing.B, db *DB)
	}{
		{"CreateOTP", func(b *testing.B, db *DB) {
			if _, err := db.CreateOTP(ctx, chelseru.OTP{Mobile: benchMobile(), Hash: hash, ExpiresAt: time.Now().Add(2 * time.Minute)}, benchLimit()); err != nil {
				b.Fatal(err)
			}
		}},
		{"CreateSession", func(b *testing.B, db *DB) {
			if _, err := db.CreateSession(ctx, sess); err != nil {
				b.Fatal(err)
			}
		}},
	}
	for _, op := range ops {
		for _, par := range []int{1, 8} {
			for _, sync := range []bool{false, true} {
				b.Run(fmt.Sprintf("%s/callers=%d/sync=%v", op.name, par, sync), func(b *testing.B) {
					db := openTest(b, Options{SyncWrites: sync})
					b.ReportAllocs()
					if par == 1 {
						for b.Loop() {
							op.do(b, db)
						}
						return
					}
					b.SetParallelism(par)
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							op.do(b, db)
						}
					})
				})
			}
		}
	}
}
