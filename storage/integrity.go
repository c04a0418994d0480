package storage

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2/z"
)

// ErrDamaged is wrapped by every error of Open and Verify that means the
// data folder is damaged or is not the database it was: a missing or
// damaged MANIFEST, a damaged table file, a missing database identity. The
// command line turns it into its own exit code.
var ErrDamaged = errors.New("data folder damaged")

// The database identity. Every database gets a random id when it is
// created, kept both in Badger (keyDBID) and in a small marker file beside
// the database folder (MarkerPath). The marker says "this folder once held a
// database": when it exists, Open refuses a database folder without its
// MANIFEST, with damaged tables, or whose identity record is missing or
// different, instead of letting Badger start empty. The id is also what
// tokens are bound to (token.Config.DatabaseID), so a token from another
// database or from an earlier life of this one is refused.
const (
	dbIDBytes    = 8 // random bytes of an id; it is written as 16 hex digits
	markerPrefix = "chelseru-database "
	maxMarker    = 256
)

var keyDBID = []byte("meta/db-id")

// MarkerPath returns the identity marker file of the database folder dir:
// a sibling file named after it, DATA_DIR/db-identity for DATA_DIR/db.
func MarkerPath(dir string) string {
	dir = filepath.Clean(dir)
	return filepath.Join(filepath.Dir(dir), filepath.Base(dir)+"-identity")
}

// ID returns the database's identity: 16 lower-case hex digits, random,
// made when the database was created and kept by backup and restore.
func (db *DB) ID() string {
	db.idMu.RLock()
	defer db.idMu.RUnlock()
	return db.id
}

func newDBID() (string, error) {
	var b [dbIDBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("database id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func validDBID(s string) bool {
	if len(s) != 2*dbIDBytes {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// readMarker reads the identity marker. ok is false when there is none.
func readMarker(path string) (id string, ok bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("identity marker: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxMarker))
	if err != nil {
		return "", false, fmt.Errorf("identity marker: %w", err)
	}
	s := strings.TrimSpace(string(b))
	id, found := strings.CutPrefix(s, markerPrefix)
	if !found || !validDBID(id) {
		return "", true, fmt.Errorf("identity marker %s is damaged: %w", path, ErrDamaged)
	}
	return id, true, nil
}

// writeMarker writes the identity marker atomically (0600, synced).
func writeMarker(path, id string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("identity marker: %w", err)
	}
	_, err = f.WriteString(markerPrefix + id + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("identity marker: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// damaged wraps err as ErrDamaged with a hint for the operator.
func damaged(err error) error {
	return fmt.Errorf("%w: %w (restore a backup into a new folder; `chelseru verify` checks one)", ErrDamaged, err)
}

// precheck looks at a database folder before Badger opens it, because
// Badger, given a folder without its MANIFEST, starts empty and deletes the
// tables, and given a damaged table file, panics on a goroutine where no
// caller can recover. hadData says the identity marker exists: the folder
// once held a database, so a missing MANIFEST is damage, not a new folder.
func precheck(dir string, hadData bool) error {
	manifest := filepath.Join(dir, badger.ManifestFilename)
	fp, err := os.Open(manifest)
	if errors.Is(err, os.ErrNotExist) {
		if hadData {
			return damaged(errors.New("the MANIFEST is missing"))
		}
		// No marker either: a new database, unless table files say
		// otherwise (Badger would delete them).
		if ids, err := tableFiles(dir); err == nil && len(ids) > 0 {
			return damaged(fmt.Errorf("the MANIFEST is missing but %d table files exist", len(ids)))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", manifest, err)
	}
	defer fp.Close()
	m, _, err := replayManifest(fp)
	if err != nil {
		return damaged(fmt.Errorf("the MANIFEST is damaged: %w", err))
	}
	onDisk, err := tableFiles(dir)
	if err != nil {
		return err
	}
	for id := range m.Tables {
		if _, ok := onDisk[id]; !ok {
			return damaged(fmt.Errorf("table file %s named in the MANIFEST is missing", table.IDToFilename(id)))
		}
	}
	if len(m.Tables) == 0 && len(onDisk) > 0 {
		// A truncated MANIFEST: Badger would delete every table.
		return damaged(fmt.Errorf("the MANIFEST names no table but %d table files exist (truncated MANIFEST?)", len(onDisk)))
	}
	for id, tm := range m.Tables {
		if err := checkTable(table.NewFilename(id, dir), tm.Compression); err != nil {
			return damaged(err)
		}
	}
	return nil
}

// replayManifest reads a MANIFEST, turning Badger's panics into errors.
func replayManifest(fp *os.File) (m badger.Manifest, trunc int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable: %v", firstLine(r))
		}
	}()
	return badger.ReplayManifestFile(fp, 0, badger.DefaultOptions(""))
}

// tableFiles lists the table ids of the *.sst files in dir.
func tableFiles(dir string) (map[uint64]struct{}, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	ids := map[uint64]struct{}{}
	for _, e := range ents {
		if id, ok := table.ParseFileID(e.Name()); ok {
			ids[id] = struct{}{}
		}
	}
	return ids, nil
}

// checkTable opens one table file read-only and verifies the checksums of
// its index and every block, turning Badger's panics into errors. c is the
// table's compression as the MANIFEST records it (a table is written with
// the options of its day, so tables of one folder may differ).
func checkTable(path string, c options.CompressionType) (err error) {
	name := filepath.Base(path)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("table file %s is damaged: %v", name, firstLine(r))
		}
	}()
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("table file %s: %w", name, err)
	}
	if fi.Size() == 0 {
		return fmt.Errorf("table file %s is empty", name)
	}
	mf, err := z.OpenMmapFile(path, os.O_RDONLY, 0)
	if err != nil && !errors.Is(err, z.NewFile) {
		return fmt.Errorf("table file %s: %w", name, err)
	}
	def := badger.DefaultOptions("")
	t, err := table.OpenTable(mf, table.Options{
		ChkMode:     options.OnTableRead,
		BlockSize:   def.BlockSize,
		Compression: c,
	})
	if err != nil {
		// OpenTable closes mf itself only on some paths; closing twice is harmless.
		mf.Close(-1)
		return fmt.Errorf("table file %s is damaged: %v", name, firstLine(err))
	}
	// Never DecrRef: at zero references Badger deletes the file.
	return t.MmapFile.Close(-1)
}

// firstLine keeps the first line of a panic value or error, so Badger's
// multi-line debugging output never reaches the one-line message.
func firstLine(v any) string {
	s := strings.TrimSpace(fmt.Sprint(v))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if s == "" {
		s = "unreadable"
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// openBadger opens Badger, turning a panic on this goroutine into an error.
func openBadger(bo badger.Options) (bdb *badger.DB, err error) {
	// A fault reading a memory-mapped file on this goroutine (a full tmpfs,
	// a file cut under us) becomes a panic recovered below, not a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = damaged(fmt.Errorf("badger: %v", firstLine(r)))
		}
	}()
	return badger.Open(bo)
}

// isLocked reports whether err is Badger's "another process has the folder".
func isLocked(err error) bool {
	return errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EAGAIN) ||
		strings.Contains(err.Error(), "Cannot acquire directory lock")
}

// loadIdentity checks the database's identity against the marker, or gives
// a database its identity when it has none.
func (db *DB) loadIdentity(marker, markerID string, hadMarker bool) error {
	var stored string
	err := db.bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(keyDBID)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		stored = string(v)
		return err
	})
	if err != nil {
		return fmt.Errorf("read database identity: %w", err)
	}
	switch {
	case stored != "" && !validDBID(stored):
		return damaged(errors.New("the database identity record is damaged"))
	case hadMarker && stored == "":
		return damaged(errors.New("the database identity record is missing: this is not the database the folder held (lost MANIFEST or tables?)"))
	case hadMarker && stored != markerID:
		return damaged(fmt.Errorf("the folder holds database %s but its marker %s names %s", stored, marker, markerID))
	case stored == "":
		id, err := newDBID()
		if err != nil {
			return err
		}
		if err := db.bdb.Update(func(txn *badger.Txn) error { return txn.Set(keyDBID, []byte(id)) }); err != nil {
			return fmt.Errorf("write database identity: %w", err)
		}
		if err := db.bdb.Sync(); err != nil {
			return fmt.Errorf("write database identity: %w", err)
		}
		stored = id
	}
	if !hadMarker || stored != markerID {
		if err := writeMarker(marker, stored); err != nil {
			return err
		}
	}
	db.id = stored
	return nil
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Records int    // live records read, values included
	ID      string // the database identity
}

// Verify checks the whole open database: the checksum of every block of
// every table (Badger's VerifyChecksum) and a read of every live record and
// its value. A failure wraps ErrDamaged. It runs beside normal use.
func (db *DB) Verify() (VerifyReport, error) {
	release, err := db.enter("verify")
	if err != nil {
		return VerifyReport{}, err
	}
	defer release()
	if err := db.verifyTables(); err != nil {
		return VerifyReport{}, fmt.Errorf("storage: verify %s: %w", db.dir, err)
	}
	n := 0
	err = db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if err := it.Item().Value(func([]byte) error { return nil }); err != nil {
				return fmt.Errorf("record %q: %w", bytes.Clone(it.Item().Key()), err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return VerifyReport{}, fmt.Errorf("storage: verify %s: %w", db.dir, damaged(err))
	}
	return VerifyReport{Records: n, ID: db.ID()}, nil
}

// verifyTables runs Badger's full table checksum, recovering its panics.
func (db *DB) verifyTables() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = damaged(fmt.Errorf("table checksum: %v", firstLine(r)))
		}
	}()
	if err := db.bdb.VerifyChecksum(); err != nil {
		return damaged(fmt.Errorf("table checksum: %v", firstLine(err)))
	}
	return nil
}
