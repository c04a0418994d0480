package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/chelseru/chelseru"
)

// Defaults for a small edge box. Together they keep Badger at about 31 MB
// resident instead of about 56 MB with Badger's own defaults (measured on the
// project's 2-core reference machine), and were faster there too.
const (
	DefaultMemTableSize     = 8 << 20  // bytes per memtable
	DefaultNumMemtables     = 2        // memtables kept in memory
	DefaultBlockCacheSize   = 8 << 20  // bytes of decompressed SSTable blocks
	DefaultIndexCacheSize   = 4 << 20  // bytes of SSTable indexes and bloom filters
	DefaultValueLogFileSize = 16 << 20 // bytes per value-log file
	DefaultNumCompactors    = 2        // one per core on the reference box; Badger needs at least 2
	DefaultGCInterval       = 10 * time.Minute
	DefaultGCDiscardRatio   = 0.5
	DefaultMaxRetries       = 8
	DefaultMaxListSessions  = 100
	// DefaultMinFreeBytes is the free space below which writes are refused.
	// It covers what Badger may still write into memory-mapped files with
	// the defaults above: the unwritten rest of the current memtable log
	// and of a new one (2 x 2 x 8 MB, the files are sparse at twice the
	// memtable size), of the value-log file (2 x 16 MB), a memtable flushed
	// to a table (8 MB) and one level-0 compaction's output (~40 MB), which
	// is ~112 MB, rounded up.
	DefaultMinFreeBytes = 128 << 20
)

// Limits on what a caller may store, so no request can grow a key or a value
// without bound.
const (
	maxMobileLen   = 64      // bytes of a mobile number in a key
	maxLimitKeyLen = 512     // bytes of a rate-limit key
	maxValueLen    = 1 << 20 // bytes of one encoded record
	lockStripes    = 256     // striped in-process locks serialising writers of one key
)

// ErrClosed is returned (wrapped) by every method called after Close.
var ErrClosed = errors.New("storage closed")

// Options tunes Open. The zero value is a good configuration for a small edge
// box: every zero field takes the Default* value above.
type Options struct {
	// Logger receives Badger's messages (its INFO chatter at Debug) and the
	// store's own, tagged component=badger and component=storage: give it
	// a logger without a "component" attribute of its own. Nil means
	// slog.Default().
	Logger *slog.Logger
	// SyncWrites makes every commit wait for fsync. Off by default: a process
	// crash (kill -9) loses no acknowledged write without it, because the
	// page cache survives; only a power loss or kernel crash can lose the
	// last writes. With it each commit waits for an fsync
	// (docs/RATIONALE.md, "Storage (Badger)").
	SyncWrites bool
	// GCInterval is how often value-log GC runs. Zero means
	// DefaultGCInterval; a negative value disables the GC goroutine.
	GCInterval time.Duration
	// GCDiscardRatio is the fraction of a value-log file that must be garbage
	// before GC rewrites it, in (0, 1). Zero means DefaultGCDiscardRatio.
	GCDiscardRatio float64

	// MemTableSize, NumMemtables, BlockCacheSize, IndexCacheSize,
	// ValueLogFileSize and NumCompactors are passed to Badger; zero means the
	// Default* value.
	MemTableSize     int64
	NumMemtables     int
	BlockCacheSize   int64
	IndexCacheSize   int64
	ValueLogFileSize int64
	NumCompactors    int

	// MaxRetries bounds the attempts of one transaction that loses a
	// conflict (badger.ErrConflict). Zero means DefaultMaxRetries.
	MaxRetries int
	// MaxListSessions caps how many sessions ListSessions returns (the
	// newest). Zero means DefaultMaxListSessions.
	MaxListSessions int
	// Now is the store's clock: it decides expiry and places CreateOTP's
	// send window (Badger's TTLs always use the real clock). Nil means
	// time.Now; tests set it.
	Now func() time.Time
	// CounterFlushInterval is how often rate-limit counts held in memory are
	// written to Badger (a crash loses at most this much counting). Zero
	// means DefaultCounterFlushInterval.
	CounterFlushInterval time.Duration
	// MaxCachedCounters bounds the rate-limit windows held in memory. Zero
	// means DefaultMaxCachedCounters.
	MaxCachedCounters int
	// MinFreeBytes is the free space the data folder's file system must
	// keep: below it every write is refused with an EUNAVAILABLE error
	// ("Storage is full") before it reaches Badger, whose memory-mapped log
	// files would otherwise crash the process with SIGBUS on a full disk.
	// Zero means DefaultMinFreeBytes; a negative value disables the check.
	MinFreeBytes int64
	// FreeBytes measures the free space of the file system holding a
	// folder, for the MinFreeBytes check. Nil means statfs; tests set it.
	FreeBytes func(dir string) (uint64, error)
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.GCInterval == 0 {
		o.GCInterval = DefaultGCInterval
	}
	if o.GCDiscardRatio == 0 {
		o.GCDiscardRatio = DefaultGCDiscardRatio
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = DefaultMemTableSize
	}
	if o.NumMemtables == 0 {
		o.NumMemtables = DefaultNumMemtables
	}
	if o.BlockCacheSize == 0 {
		o.BlockCacheSize = DefaultBlockCacheSize
	}
	if o.IndexCacheSize == 0 {
		o.IndexCacheSize = DefaultIndexCacheSize
	}
	if o.ValueLogFileSize == 0 {
		o.ValueLogFileSize = DefaultValueLogFileSize
	}
	if o.NumCompactors == 0 {
		o.NumCompactors = DefaultNumCompactors
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = DefaultMaxRetries
	}
	if o.MaxListSessions == 0 {
		o.MaxListSessions = DefaultMaxListSessions
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CounterFlushInterval <= 0 {
		o.CounterFlushInterval = DefaultCounterFlushInterval
	}
	if o.MaxCachedCounters <= 0 {
		o.MaxCachedCounters = DefaultMaxCachedCounters
	}
	if o.MinFreeBytes == 0 {
		o.MinFreeBytes = DefaultMinFreeBytes
	}
	return o
}

func (o Options) validate() error {
	switch {
	case o.GCDiscardRatio <= 0 || o.GCDiscardRatio >= 1:
		return fmt.Errorf("GCDiscardRatio must be in (0, 1), got %v", o.GCDiscardRatio)
	case o.MaxRetries < 1:
		return fmt.Errorf("MaxRetries must be at least 1, got %d", o.MaxRetries)
	case o.MaxListSessions < 1:
		return fmt.Errorf("MaxListSessions must be at least 1, got %d", o.MaxListSessions)
	case o.NumCompactors < 2:
		return fmt.Errorf("NumCompactors must be at least 2, got %d", o.NumCompactors)
	case o.MemTableSize < 1<<20 || o.NumMemtables < 1 || o.BlockCacheSize < 0 || o.IndexCacheSize < 0:
		return errors.New("MemTableSize must be at least 1 MiB, NumMemtables at least 1 and cache sizes not negative")
	case o.ValueLogFileSize < 1<<20 || o.ValueLogFileSize >= 2<<30:
		return fmt.Errorf("ValueLogFileSize must be in [1 MiB, 2 GiB), got %d", o.ValueLogFileSize)
	}
	return nil
}

// DB is a chelseru.Store on Badger v4. It is safe for concurrent use. Only one
// process can open a data folder at a time.
type DB struct {
	bdb  *badger.DB
	opts Options
	log  *slog.Logger
	dir  string

	idMu sync.RWMutex
	id   string // the database identity (integrity.go)

	guard diskGuard // refuses writes when the disk is nearly full (guard.go)

	// closeMu is held for reading by every operation and for writing by
	// Close, so Close waits for in-flight operations and none starts after.
	closeMu sync.RWMutex
	closed  bool

	locks    stripes
	group    groupCommit // blind writes of concurrent callers, one transaction per round
	counters *counters
	otpSeen  *presence // OTP keys that may be stored (CreateOTP skips its read for others)
	chat     chatRooms // state of the chat rooms in use (chat.go)
	// disabledUsers counts user-disabled/ entries (admin.go).
	disabledUsers atomic.Int64

	seqMu sync.Mutex
	seqs  map[string]*badger.Sequence

	gcStop chan struct{}
	gcDone chan struct{}

	closeOnce sync.Once
	closeErr  error
}

var _ chelseru.Store = (*DB)(nil)

// Open opens (creating if needed) the Badger database in dir.
//
// A folder that once held a database (its identity marker, MarkerPath,
// exists) must still hold it: Open refuses, with an error wrapping
// ErrDamaged, a folder without its MANIFEST, with a damaged MANIFEST or
// table file, or whose identity record is missing or different, rather than
// start empty. Every table's checksums are verified before Badger opens it,
// and Badger verifies each block it reads afterwards. No panic of Badger's
// on opening escapes as a crash.
func Open(dir string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	marker := MarkerPath(dir)
	markerID, hadMarker, err := readMarker(marker)
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	if err := precheck(dir, hadMarker); err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	if err := checkRoomToOpen(dir, opts); err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	bo := badger.DefaultOptions(dir).
		WithLogger(badgerLogger{opts.Logger.With("component", "badger")}).
		WithSyncWrites(opts.SyncWrites).
		WithMemTableSize(opts.MemTableSize).
		WithNumMemtables(opts.NumMemtables).
		WithBlockCacheSize(opts.BlockCacheSize).
		WithIndexCacheSize(opts.IndexCacheSize).
		WithValueLogFileSize(opts.ValueLogFileSize).
		WithNumCompactors(opts.NumCompactors).
		WithChecksumVerificationMode(options.OnBlockRead).
		WithMetricsEnabled(false)
	bdb, err := openBadger(bo)
	if err != nil {
		if hadMarker && !errors.Is(err, ErrDamaged) && !isLocked(err) {
			err = damaged(fmt.Errorf("badger: %v", firstLine(err)))
		}
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	db := &DB{
		bdb:    bdb,
		opts:   opts,
		log:    opts.Logger.With("component", "storage"),
		dir:    dir,
		seqs:   make(map[string]*badger.Sequence),
		gcStop: make(chan struct{}),
		gcDone: make(chan struct{}),
	}
	db.guard.init(dir, opts.MinFreeBytes, opts.FreeBytes, db.log)
	if err := db.loadIdentity(marker, markerID, hadMarker); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	if err := db.backfillAdminIndex(); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("storage: open %s: %w", dir, err)
	}
	db.locks.seed = maphash.MakeSeed()
	db.chat.cids.seed = maphash.MakeSeed()
	db.group.bdb = bdb
	db.counters = newCounters(db, opts.MaxCachedCounters)
	db.otpSeen = newPresence(opts.Now)
	go db.counters.run(opts.CounterFlushInterval)
	go db.counters.stored.scan(db, pRateLimit, db.counters.stop)
	go db.otpSeen.scan(db, pOTP, db.counters.stop)
	if opts.GCInterval > 0 {
		go db.gcLoop(opts.GCInterval)
	} else {
		close(db.gcDone)
	}
	return db, nil
}

// gcLoop runs value-log GC every interval until Close. Each round rewrites
// files while Badger finds one worth rewriting (ErrNoRewrite ends the round).
func (db *DB) gcLoop(interval time.Duration) {
	defer close(db.gcDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-db.gcStop:
			return
		case <-t.C:
		}
		if db.guard.check() != nil {
			continue // rewriting needs room; try again next round
		}
		rewritten := 0
		for {
			select {
			case <-db.gcStop:
				return
			default:
			}
			err := db.bdb.RunValueLogGC(db.opts.GCDiscardRatio)
			if err == nil {
				rewritten++
				continue
			}
			if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
				db.log.Warn("value-log GC failed", "err", err)
			}
			break
		}
		if rewritten > 0 {
			db.log.Debug("value-log GC", "files_rewritten", rewritten)
		}
	}
}

// Close stops the GC goroutine, returns unused sequence leases (so a clean
// restart leaves no gaps in ids), flushes the memtables and closes Badger.
// It waits for in-flight operations. Calling it again returns the first
// result.
//
// On a disk below MinFreeBytes, Close does not close Badger: Badger's
// Close writes the memtable into a new table through a memory-mapped file,
// which on a full disk kills the process with SIGBUS. It syncs the
// write-ahead log instead (every acknowledged write is in it; Badger
// replays it at the next Open) and returns an error wrapping ErrFull. The
// process is expected to exit then; the folder lock goes with it.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.gcStop)
		<-db.gcDone
		db.closeMu.Lock()
		defer db.closeMu.Unlock()
		db.closed = true
		db.guard.next.Store(0) // measure now
		if err := db.guard.check(); err != nil {
			_ = db.counters.close() // its flush is refused: counts of the last second are lost
			<-db.otpSeen.scanned
			if serr := db.bdb.Sync(); serr != nil {
				err = fmt.Errorf("%w (and syncing the log failed: %v)", err, serr)
			}
			db.closeErr = fmt.Errorf("storage: close: left Badger open, its log synced, because the disk is full (the log replays at the next start): %w", err)
			return
		}
		var errs []error
		if err := db.counters.close(); err != nil {
			errs = append(errs, err)
		}
		<-db.otpSeen.scanned // stopped by the counters' stop channel
		for name, s := range db.seqs {
			if err := s.Release(); err != nil {
				errs = append(errs, fmt.Errorf("release sequence %s: %w", name, err))
			}
		}
		if err := db.bdb.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			db.closeErr = fmt.Errorf("storage: close: %w", err)
		}
	})
	return db.closeErr
}

// Ping reports whether storage is open and answers a read.
func (db *DB) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage: ping: %w", err)
	}
	release, err := db.enter("ping")
	if err != nil {
		return err
	}
	defer release()
	err = db.bdb.View(func(txn *badger.Txn) error {
		_, err := txn.Get(keyPing)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: ping: %w", err)
	}
	return nil
}

// Size returns the bytes on disk of the LSM tree and of the value log, for
// metrics. It is a cheap estimate Badger refreshes once a minute.
func (db *DB) Size() (lsm, vlog int64) {
	release, err := db.enter("size")
	if err != nil {
		return 0, 0
	}
	defer release()
	return db.bdb.Size()
}

// enter marks an operation in flight; it fails once Close has begun.
func (db *DB) enter(op string) (release func(), err error) {
	db.closeMu.RLock()
	if db.closed {
		db.closeMu.RUnlock()
		return nil, fmt.Errorf("storage: %s: %w", op, ErrClosed)
	}
	return db.closeMu.RUnlock, nil
}

// update runs fn in a read-write transaction, holding the in-process locks of
// lockKeys, and retries a bounded number of times on badger.ErrConflict. fn
// must set its results afresh on every run.
func (db *DB) update(ctx context.Context, op string, lockKeys [][]byte, fn func(txn *badger.Txn) error) error {
	release, err := db.enter(op)
	if err != nil {
		return err
	}
	defer release()
	if err := db.guard.check(); err != nil {
		return fmt.Errorf("storage: %s: %w", op, err)
	}
	unlock := db.locks.lock(lockKeys)
	defer unlock()
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("storage: %s: %w", op, err)
		}
		err := db.guard.mapErr(db.bdb.Update(fn))
		if !errors.Is(err, badger.ErrConflict) || attempt >= db.opts.MaxRetries {
			if err != nil && errors.Is(err, badger.ErrConflict) {
				return fmt.Errorf("storage: %s: gave up after %d attempts: %w", op, attempt, err)
			}
			return err
		}
		// Back off a little, with jitter, before trying again.
		time.Sleep(time.Duration(rand.Int64N(int64(attempt) * int64(50*time.Microsecond))))
	}
}

// view runs fn in a read-only transaction.
func (db *DB) view(ctx context.Context, op string, fn func(txn *badger.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage: %s: %w", op, err)
	}
	release, err := db.enter(op)
	if err != nil {
		return err
	}
	defer release()
	return db.bdb.View(fn)
}

// nextID returns the next id of the named sequence: 1, 2, 3, ... Sequences
// lease bandwidth ids at a time; Close returns the unused part, so only a
// crash leaves a gap (of at most bandwidth ids). Ids are never reused.
func (db *DB) nextID(name string, bandwidth uint64) (int64, error) {
	if err := db.guard.check(); err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, err)
	}
	db.seqMu.Lock()
	s, ok := db.seqs[name]
	if !ok {
		var err error
		s, err = db.bdb.GetSequence(seqKey(name), bandwidth)
		if err != nil {
			db.seqMu.Unlock()
			return 0, fmt.Errorf("sequence %s: %w", name, err)
		}
		db.seqs[name] = s
	}
	db.seqMu.Unlock()
	n, err := s.Next()
	if err != nil {
		return 0, fmt.Errorf("sequence %s: %w", name, db.guard.mapErr(err))
	}
	return int64(n) + 1, nil
}

// stripes serialises, within this process, transactions that write the same
// keys, so contended keys (one number's OTP, one rate-limit window) never
// burn through conflict retries.
type stripes struct {
	seed maphash.Seed
	mu   [lockStripes]sync.Mutex
}

func (s *stripes) lock(keys [][]byte) (unlock func()) {
	var buf [4]int
	idx := buf[:0]
	for _, k := range keys {
		idx = append(idx, int(maphash.Bytes(s.seed, k)%lockStripes))
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	for _, i := range idx {
		s.mu[i].Lock()
	}
	return func() {
		for j := len(idx) - 1; j >= 0; j-- {
			s.mu[idx[j]].Unlock()
		}
	}
}

// badgerLogger routes Badger's log lines to slog; its INFO chatter goes to
// Debug.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) logf(level slog.Level, format string, args ...any) {
	ctx := context.Background()
	if !b.l.Enabled(ctx, level) {
		return
	}
	b.l.Log(ctx, level, string(bytes.TrimSpace(fmt.Appendf(nil, format, args...))))
}

func (b badgerLogger) Errorf(f string, a ...any)   { b.logf(slog.LevelError, f, a...) }
func (b badgerLogger) Warningf(f string, a ...any) { b.logf(slog.LevelWarn, f, a...) }
func (b badgerLogger) Infof(f string, a ...any)    { b.logf(slog.LevelDebug, f, a...) }
func (b badgerLogger) Debugf(f string, a ...any)   { b.logf(slog.LevelDebug, f, a...) }
