package storage

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/chelseru/chelseru"
)

// filledFolder makes a database folder holding n sessions in table files
// (Close flushes the memtable) and returns its path and the database id.
func filledFolder(t *testing.T, n int) (string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "db")
	db, err := Open(dir, Options{Logger: slog.New(slog.DiscardHandler), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range n {
		_, err := db.CreateSession(ctx, chelseru.Session{UserID: int64(i%50 + 1), RefreshJTI: strings.Repeat("a", 32),
			CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Hour), UserAgent: strings.Repeat("x", 100)})
		if err != nil {
			t.Fatal(err)
		}
	}
	id := db.ID()
	if !validDBID(id) {
		t.Fatalf("database id %q", id)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, id
}

func tables(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no table files in %s (%v)", dir, err)
	}
	return m
}

func openQuiet(dir string) (*DB, error) {
	return Open(dir, Options{Logger: slog.New(slog.DiscardHandler), GCInterval: -1})
}

// TestDamagedFolderRefused: a folder that held a database is refused, with
// ErrDamaged and no panic, when its MANIFEST is gone or cut, or a table is
// cut, has its tail or middle randomised; and the tables are still there
// afterwards (Badger did not get to delete them).
func TestDamagedFolderRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string)
	}{
		{"manifest removed", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "MANIFEST")) }},
		{"manifest cut to 4 bytes", func(t *testing.T, dir string) { os.Truncate(filepath.Join(dir, "MANIFEST"), 4) }},
		{"manifest cut to its header", func(t *testing.T, dir string) { os.Truncate(filepath.Join(dir, "MANIFEST"), 8) }},
		{"table cut", func(t *testing.T, dir string) {
			p := tables(t, dir)[0]
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()/2)
		}},
		{"table tail randomised", func(t *testing.T, dir string) { scribble(t, tables(t, dir)[0], -200, 200) }},
		{"table middle randomised", func(t *testing.T, dir string) { scribble(t, tables(t, dir)[0], 0, 4096) }},
		{"database folder removed", func(t *testing.T, dir string) { os.RemoveAll(dir) }},
		{"manifest and marker removed", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "MANIFEST"))
			os.Remove(MarkerPath(dir))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := filledFolder(t, 3000)
			tc.damage(t, dir)
			before, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
			db, err := openQuiet(dir)
			if err == nil {
				db.Close()
				t.Fatal("a damaged folder opened")
			}
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("err = %v, want ErrDamaged", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is more than one line: %q", err)
			}
			after, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
			if len(after) != len(before) {
				t.Fatalf("table files %d before the refused open, %d after", len(before), len(after))
			}
		})
	}
}

// scribble overwrites n bytes of the file at off (negative: from the end),
// or in the middle when off is 0, with random bytes.
func scribble(t *testing.T, path string, off int64, n int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case off < 0:
		off += int64(len(b))
	case off == 0:
		off = int64(len(b))/2 - int64(n)/2
	}
	if off < 0 || off+int64(n) > int64(len(b)) {
		t.Fatalf("table of %d bytes too small to scribble %d at %d", len(b), n, off)
	}
	r := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, n)
	for i := range junk {
		junk[i] = byte(r.Uint32())
	}
	// In place, never truncating: Badger may have the file mapped.
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(junk, off); err != nil {
		t.Fatal(err)
	}
}

// TestIdentity: a database keeps its id across restarts; a new folder gets
// another; a marker naming another id is refused; a lost marker is rewritten.
func TestIdentity(t *testing.T) {
	dir, id := filledFolder(t, 10)
	db, err := openQuiet(dir)
	if err != nil {
		t.Fatal(err)
	}
	if db.ID() != id {
		t.Fatalf("id %s after restart, was %s", db.ID(), id)
	}
	if r, err := db.Verify(); err != nil || r.Records < 10 || r.ID != id {
		t.Fatalf("Verify = %+v, %v", r, err)
	}
	db.Close()
	other, id2 := filledFolder(t, 1)
	if id2 == id {
		t.Fatal("two databases share an id")
	}
	_ = other
	if err := writeMarker(MarkerPath(dir), id2); err != nil {
		t.Fatal(err)
	}
	if _, err := openQuiet(dir); !errors.Is(err, ErrDamaged) {
		t.Fatalf("marker of another database: err = %v, want ErrDamaged", err)
	}
	os.Remove(MarkerPath(dir))
	db, err = openQuiet(dir)
	if err != nil || db.ID() != id {
		t.Fatalf("lost marker: %v, id %s", err, db.ID())
	}
	db.Close()
	if got, ok, err := readMarker(MarkerPath(dir)); err != nil || !ok || got != id {
		t.Fatalf("marker rewritten as %q %v %v", got, ok, err)
	}
}

// TestBackupRefusesDamagedSource: a table damaged in its middle after the
// database opened makes Verify and Backup fail, not a short backup.
func TestBackupRefusesDamagedSource(t *testing.T) {
	dir, _ := filledFolder(t, 3000)
	db, err := openQuiet(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	scribble(t, tables(t, dir)[0], 0, 4096) // Badger maps the file: it sees the change
	if _, err := db.Verify(); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Verify of a damaged table: %v", err)
	}
	var buf bytes.Buffer
	if _, err := db.BackupWith(&buf, nil); !errors.Is(err, ErrDamaged) {
		t.Fatalf("Backup of a damaged table: %v", err)
	}
}

// TestBackupFilesAndIdentity: files ride along, ReadBackup checks a file
// without a database, and a restore takes the backup's identity.
func TestBackupFilesAndIdentity(t *testing.T) {
	dir, id := filledFolder(t, 20)
	src, err := openQuiet(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var buf bytes.Buffer
	files := []BackupFile{{"jwt-signing-key", []byte("k1")}, {"otp-key", []byte("k2")}}
	n, err := src.BackupWith(&buf, files)
	if err != nil {
		t.Fatal(err)
	}
	info, err := ReadBackup(bytes.NewReader(buf.Bytes()))
	if err != nil || info.Records != n || info.ID != id || len(info.Files) != 2 || string(info.Files[1].Data) != "k2" {
		t.Fatalf("ReadBackup = %+v, %v (wrote %d)", info, err, n)
	}
	bad := bytes.Clone(buf.Bytes())
	bad[len(bad)/2] ^= 1
	if _, err := ReadBackup(bytes.NewReader(bad)); err == nil {
		t.Fatal("ReadBackup accepted a damaged file")
	}
	dst := openTest(t, Options{})
	if dst.ID() == id {
		t.Fatal("fresh database has the source's id")
	}
	got, err := dst.RestoreWith(bytes.NewReader(buf.Bytes()), func(f []BackupFile) error {
		if len(f) != 2 {
			return errors.New("files missing")
		}
		return nil
	})
	if err != nil || len(got) != 2 {
		t.Fatalf("RestoreWith: %v, %d files", err, len(got))
	}
	if dst.ID() != id {
		t.Fatalf("restored id %s, want %s", dst.ID(), id)
	}
	if m, _, _ := readMarker(MarkerPath(dst.dir)); m != id {
		t.Fatalf("marker after restore names %s, want %s", m, id)
	}
	// accept refusing stops the restore and leaves the database empty.
	dst2 := openTest(t, Options{})
	keep := dst2.ID()
	if _, err := dst2.RestoreWith(bytes.NewReader(buf.Bytes()), func([]BackupFile) error { return errors.New("no keys") }); err == nil {
		t.Fatal("restore went on after accept refused")
	}
	if dst2.ID() != keep {
		t.Fatal("refused restore changed the identity")
	}
}

// TestDiskGuard: below MinFreeBytes every write is refused with an
// EUNAVAILABLE error wrapping ErrFull while reads go on; once space is
// back, writes work again.
func TestDiskGuard(t *testing.T) {
	var free atomic.Uint64
	free.Store(1 << 40)
	db := openTest(t, Options{MinFreeBytes: 1 << 20, FreeBytes: func(string) (uint64, error) { return free.Load(), nil }})
	now := time.Now()
	s, err := db.CreateSession(ctx, chelseru.Session{UserID: 1, RefreshJTI: strings.Repeat("b", 32), CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	free.Store(1000)
	db.guard.next.Store(0) // measure at the next check rather than within the second
	otp := chelseru.OTP{Mobile: "09121234567", Hash: make([]byte, 32), ExpiresAt: now.Add(time.Minute)}
	_, err = db.CreateOTP(ctx, otp, chelseru.SendLimit{})
	if !errors.Is(err, ErrFull) || chelseru.ErrorCode(err) != chelseru.EUNAVAILABLE {
		t.Fatalf("CreateOTP on a full disk: %v", err)
	}
	if _, err := db.CreateSession(ctx, s); !errors.Is(err, ErrFull) {
		t.Fatalf("CreateSession on a full disk: %v", err)
	}
	if err := db.TouchSession(ctx, s.ID, now); !errors.Is(err, ErrFull) {
		t.Fatalf("TouchSession on a full disk: %v", err)
	}
	if _, err := db.GetSession(ctx, s.ID); err != nil {
		t.Fatalf("GetSession on a full disk: %v", err)
	}
	if err := db.DiskFull(); !errors.Is(err, ErrFull) {
		t.Fatalf("DiskFull = %v", err)
	}
	if err := chelseru.Internal(fmt.Errorf("store otp: %w", err)); err.Code != chelseru.EUNAVAILABLE || err.Message != MsgFull {
		t.Fatalf("Internal turned the full error into %v", err)
	}
	free.Store(1 << 40)
	db.guard.next.Store(0)
	if _, err := db.CreateOTP(ctx, otp, chelseru.SendLimit{}); err != nil {
		t.Fatalf("CreateOTP after space came back: %v", err)
	}
	if db.DiskFull() != nil {
		t.Fatal("DiskFull after space came back")
	}
	// Opening on a full disk is refused (Badger would fault), not attempted.
	_, err = Open(filepath.Join(t.TempDir(), "db"), Options{Logger: slog.New(slog.DiscardHandler), MinFreeBytes: 1 << 20,
		FreeBytes: func(string) (uint64, error) { return 10, nil }})
	if !errors.Is(err, ErrFull) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Open on a full disk: %v", err)
	}
}

// TestPrecheckReadsEachTableWithItsCompression writes table files with
// each of Badger's compressions and checks that the check at open accepts
// them all: a table is read with the compression its MANIFEST entry names,
// since a folder may hold tables written under other options.
func TestPrecheckReadsEachTableWithItsCompression(t *testing.T) {
	for _, c := range []options.CompressionType{options.None, options.Snappy, options.ZSTD} {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			dir := t.TempDir()
			bdb, err := badger.Open(badger.DefaultOptions(dir).WithCompression(c).WithLogger(nil))
			if err != nil {
				t.Fatal(err)
			}
			err = bdb.Update(func(txn *badger.Txn) error {
				for i := range 2000 {
					if err := txn.Set(fmt.Appendf(nil, "key-%05d", i), bytes.Repeat([]byte{byte(i)}, 100)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := bdb.Close(); err != nil { // flushes the memtable into a table file
				t.Fatal(err)
			}
			if ids, err := tableFiles(dir); err != nil || len(ids) == 0 {
				t.Fatalf("no table file written: %v %v", ids, err)
			}
			if err := precheck(dir, true); err != nil {
				t.Fatalf("precheck of tables written with %v: %v", c, err)
			}
		})
	}
}
