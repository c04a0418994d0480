package storage

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/chelseru/chelseru"
)

// Backup file format, version 2 (our own, not Badger's):
//
//	header   "CHELSERU-BACKUP\x00", then the version byte 0x02
//	files    uvarint count (<= maxBackupFiles), then per file: uvarint name
//	         length, name, uvarint data length (<= maxBackupFileBytes), data
//	records  uvarint key length (>= 1), key, uvarint value length, value,
//	         uvarint Badger ExpiresAt (Unix seconds, 0 = none); repeated
//	end      a zero key length, then the CRC-32C (Castagnoli, big-endian)
//	         of every byte after the header up to and including that zero,
//	         then nothing
//
// Version 1 is the same without the files section; it is still read. The
// files are the data folder's keys (the JWT signing key file and the OTP
// hashing key), so a backup is as secret as those keys.
//
// Our own format rather than Badger's DB.Backup stream, because Badger's
// DB.Load trusts frame lengths (garbage makes it panic or allocate
// gigabytes) and a Load that fails part-way leaves Badger's transaction
// oracle waiting forever, so a damaged file could not be refused cleanly.
// Here lengths are capped, the header rejects a foreign file before anything
// is written, the checksum catches a truncated or damaged one, and a refused
// restore is undone with DropAll through Badger's normal write path.
const (
	backupMagic        = "CHELSERU-BACKUP\x00"
	backupVersion      = 2
	maxBackupKey       = 65000    // Badger's own key limit
	maxBackupValue     = 16 << 20 // a value must fit in one value-log file
	maxBackupFiles     = 16
	maxBackupFileName  = 255
	maxBackupFileBytes = 64 << 10
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// BackupFile is a named file carried in a backup beside the records: the
// command line puts the data folder's keys there.
type BackupFile struct {
	Name string
	Data []byte
}

// BackupInfo describes a backup file read by ReadBackup.
type BackupInfo struct {
	Version int          // the format version
	Records int          // records in the file, expired ones included
	Files   []BackupFile // the files carried
	ID      string       // the database identity recorded, if any
}

// Backup writes a full, consistent snapshot of the live data to w while the
// database stays in use: it reads at one timestamp and does not block
// writers. Expired and deleted records are left out. It is BackupWith
// without files.
func (db *DB) Backup(w io.Writer) error {
	_, err := db.BackupWith(w, nil)
	return err
}

// BackupWith is Backup carrying files too, and returns the number of
// records written. Before writing anything it verifies the checksum of
// every table, and every value is read through Badger's checked path, so a
// damaged database fails the backup (an error wrapping ErrDamaged) instead
// of yielding a file with records silently missing.
func (db *DB) BackupWith(w io.Writer, files []BackupFile) (int, error) {
	release, err := db.enter("backup")
	if err != nil {
		return 0, err
	}
	defer release()
	if len(files) > maxBackupFiles {
		return 0, fmt.Errorf("storage: backup: %d files, at most %d", len(files), maxBackupFiles)
	}
	for _, f := range files {
		if f.Name == "" || len(f.Name) > maxBackupFileName || len(f.Data) > maxBackupFileBytes {
			return 0, fmt.Errorf("storage: backup: file %.40q: name must be 1 to %d bytes, data at most %d", f.Name, maxBackupFileName, maxBackupFileBytes)
		}
	}
	if err := db.verifyTables(); err != nil {
		return 0, fmt.Errorf("storage: backup: %w", err)
	}
	// Rate-limit counts live in memory between flushes; write them first so
	// the backup has them (unless the disk is full: then they are left out).
	if err := db.counters.flush(false); err != nil && !errors.Is(err, ErrFull) {
		return 0, fmt.Errorf("storage: backup: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(backupMagic)
	bw.WriteByte(backupVersion)
	crc := crc32.New(crcTable)
	out := io.MultiWriter(bw, crc)
	var scratch []byte
	scratch = binary.AppendUvarint(scratch, uint64(len(files)))
	for _, f := range files {
		scratch = binary.AppendUvarint(scratch, uint64(len(f.Name)))
		scratch = append(scratch, f.Name...)
		scratch = binary.AppendUvarint(scratch, uint64(len(f.Data)))
		scratch = append(scratch, f.Data...)
	}
	out.Write(scratch)
	records := 0
	err = db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			scratch = binary.AppendUvarint(scratch[:0], uint64(len(item.Key())))
			scratch = append(scratch, item.Key()...)
			err := item.Value(func(v []byte) error {
				scratch = binary.AppendUvarint(scratch, uint64(len(v)))
				scratch = append(scratch, v...)
				return nil
			})
			if err != nil {
				return damaged(fmt.Errorf("record %q: %w", item.KeyCopy(nil), err))
			}
			scratch = binary.AppendUvarint(scratch, item.ExpiresAt())
			if _, err := out.Write(scratch); err != nil {
				return err
			}
			records++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storage: backup: %w", err)
	}
	out.Write([]byte{0}) // the end marker: a zero key length
	bw.Write(binary.BigEndian.AppendUint32(nil, crc.Sum32()))
	if err := bw.Flush(); err != nil { // bufio keeps the first write error
		return 0, fmt.Errorf("storage: backup: %w", err)
	}
	return records, nil
}

// ReadBackup reads a whole backup file and checks it (header, lengths, end
// marker, checksum, nothing after the end) without writing anything. The
// files it carries are returned.
func ReadBackup(r io.Reader) (BackupInfo, error) {
	var info BackupInfo
	v, files, n, err := readBackup(bufio.NewReaderSize(r, 64<<10), nil, func(key, val []byte, _ uint64) error {
		if bytes.Equal(key, keyDBID) {
			info.ID = string(val)
		}
		return nil
	})
	if err != nil {
		return BackupInfo{}, fmt.Errorf("storage: read backup: %w", err)
	}
	info.Version, info.Files, info.Records = v, files, n
	return info, nil
}

// Restore loads a backup written by Backup. The database must be empty (a
// fresh data folder on which no id was issued); otherwise it returns an error
// wrapping chelseru.ErrExists and writes nothing. A foreign, damaged or
// truncated file is refused and whatever it had written is dropped again.
// The database takes the identity recorded in the backup (so tokens issued
// before the backup stay valid) and the marker is rewritten to match.
// No other method may run while Restore does.
func (db *DB) Restore(r io.Reader) error {
	_, err := db.RestoreWith(r, nil)
	return err
}

// RestoreWith is Restore that hands the files the backup carries to accept
// before any record is written; an error from accept refuses the restore.
// It returns the files (to be written out only now that the whole backup
// has been checked).
func (db *DB) RestoreWith(r io.Reader, accept func([]BackupFile) error) ([]BackupFile, error) {
	release, err := db.enter("restore")
	if err != nil {
		return nil, err
	}
	defer release()
	db.seqMu.Lock()
	defer db.seqMu.Unlock()
	if len(db.seqs) > 0 {
		return nil, fmt.Errorf("storage: restore: ids were issued in this database: %w", chelseru.ErrExists)
	}
	empty := true
	err = db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if !bytes.Equal(it.Item().Key(), keyDBID) {
				empty = false
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("storage: restore: %w", err)
	}
	if !empty {
		return nil, fmt.Errorf("storage: restore: database is not empty: %w", chelseru.ErrExists)
	}
	if err := db.guard.check(); err != nil {
		return nil, fmt.Errorf("storage: restore: %w", err)
	}
	files, n, err := db.load(bufio.NewReaderSize(r, 64<<10), accept)
	if err != nil {
		if derr := db.bdb.DropAll(); derr != nil {
			return nil, fmt.Errorf("storage: restore: %w (and emptying the database again failed: %v)", err, derr)
		}
		if werr := db.bdb.Update(func(txn *badger.Txn) error { return txn.Set(keyDBID, []byte(db.ID())) }); werr != nil {
			return nil, fmt.Errorf("storage: restore: %w (and keeping the database identity failed: %v)", err, werr)
		}
		return nil, fmt.Errorf("storage: restore: %w", err)
	}
	if err := db.bdb.Sync(); err != nil {
		return nil, fmt.Errorf("storage: restore: %w", err)
	}
	var id string
	err = db.bdb.View(func(txn *badger.Txn) error {
		item, err := txn.Get(keyDBID)
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		id = string(v)
		return err
	})
	if err != nil || !validDBID(id) {
		return nil, fmt.Errorf("storage: restore: database identity after restore: %v", err)
	}
	if err := writeMarker(MarkerPath(db.dir), id); err != nil {
		return nil, fmt.Errorf("storage: restore: %w", err)
	}
	db.idMu.Lock()
	db.id = id
	db.idMu.Unlock()
	if err := db.backfillAdminIndex(); err != nil {
		return nil, fmt.Errorf("storage: restore: %w", err)
	}
	db.log.Info("restored backup", "records", n)
	return files, nil
}

// load writes the records of a backup through a WriteBatch; readBackup
// checks the end marker and checksum before the batch is flushed.
func (db *DB) load(br *bufio.Reader, accept func([]BackupFile) error) ([]BackupFile, int, error) {
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	now := uint64(time.Now().Unix())
	records := 0
	_, files, _, err := readBackup(br, accept, func(key, val []byte, exp uint64) error {
		if exp != 0 && exp <= now {
			return nil // expired since the backup was taken
		}
		if bytes.Equal(key, keyDBID) && !validDBID(string(val)) {
			return errors.New("backup holds a damaged database identity")
		}
		e := badger.NewEntry(key, val)
		e.ExpiresAt = exp
		records++
		return wb.SetEntry(e)
	})
	if err != nil {
		return nil, records, err
	}
	if err := wb.Flush(); err != nil {
		return nil, records, db.guard.mapErr(err)
	}
	return files, records, nil
}

// readBackup reads a backup from its header to its end, checking it, and
// hands the files to onFiles and each record to onRecord (whose key and
// value it may keep). It returns the version, the files and the number of
// records.
func readBackup(br *bufio.Reader, onFiles func([]BackupFile) error, onRecord func(key, val []byte, exp uint64) error) (int, []BackupFile, int, error) {
	head := make([]byte, len(backupMagic)+1)
	if _, err := io.ReadFull(br, head); err != nil || !bytes.Equal(head[:len(backupMagic)], []byte(backupMagic)) {
		return 0, nil, 0, errors.New("not a chelseru backup")
	}
	version := int(head[len(backupMagic)])
	if version != 1 && version != backupVersion {
		return 0, nil, 0, fmt.Errorf("backup format %d, this build reads 1 and %d", version, backupVersion)
	}
	crc := crc32.New(crcTable)
	rd := &crcReader{r: br, crc: crc}
	var files []BackupFile
	if version >= 2 {
		n, err := binary.ReadUvarint(rd)
		if err != nil {
			return 0, nil, 0, fmt.Errorf("backup is truncated: %w", err)
		}
		if n > maxBackupFiles {
			return 0, nil, 0, fmt.Errorf("backup holds %d files, over the limit of %d", n, maxBackupFiles)
		}
		for range n {
			name, err := readChunk(rd, maxBackupFileName)
			if err != nil {
				return 0, nil, 0, err
			}
			data, err := readChunk(rd, maxBackupFileBytes)
			if err != nil {
				return 0, nil, 0, err
			}
			files = append(files, BackupFile{Name: string(name), Data: data})
		}
	}
	if onFiles != nil {
		if err := onFiles(files); err != nil {
			return 0, nil, 0, err
		}
	}
	records := 0
	for {
		klen, err := binary.ReadUvarint(rd)
		if err != nil {
			return 0, nil, records, fmt.Errorf("backup is truncated: %w", err)
		}
		if klen == 0 {
			break
		}
		if klen > maxBackupKey {
			return 0, nil, records, fmt.Errorf("backup key of %d bytes is over the limit of %d", klen, maxBackupKey)
		}
		key := make([]byte, klen)
		if _, err := io.ReadFull(rd, key); err != nil {
			return 0, nil, records, fmt.Errorf("backup is truncated: %w", err)
		}
		val, err := readChunk(rd, maxBackupValue)
		if err != nil {
			return 0, nil, records, err
		}
		exp, err := binary.ReadUvarint(rd)
		if err != nil {
			return 0, nil, records, fmt.Errorf("backup is truncated: %w", err)
		}
		if err := onRecord(key, val, exp); err != nil {
			return 0, nil, records, err
		}
		records++
	}
	var sum [4]byte
	if _, err := io.ReadFull(br, sum[:]); err != nil {
		return 0, nil, records, fmt.Errorf("backup is truncated: %w", err)
	}
	if binary.BigEndian.Uint32(sum[:]) != crc.Sum32() {
		return 0, nil, records, errors.New("backup checksum does not match: the file is damaged")
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return 0, nil, records, errors.New("backup has bytes after its end")
	}
	return version, files, records, nil
}

// readChunk reads a uvarint length (at most max) and that many bytes.
func readChunk(rd *crcReader, max uint64) ([]byte, error) {
	n, err := binary.ReadUvarint(rd)
	if err != nil {
		return nil, fmt.Errorf("backup is truncated: %w", err)
	}
	if n > max {
		return nil, fmt.Errorf("backup field of %d bytes is over the limit of %d", n, max)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(rd, b); err != nil {
		return nil, fmt.Errorf("backup is truncated: %w", err)
	}
	return b, nil
}

// crcReader feeds every byte read into a checksum.
type crcReader struct {
	r   *bufio.Reader
	crc interface{ Write([]byte) (int, error) }
	one [1]byte
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc.Write(p[:n])
	return n, err
}

func (c *crcReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.one[0] = b
		c.crc.Write(c.one[:])
	}
	return b, err
}
