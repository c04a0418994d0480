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

// Backup file format, version 1 (our own, not Badger's):
//
//	header   "CHELSERU-BACKUP\x00", then the version byte 0x01
//	records  uvarint key length (>= 1), key, uvarint value length, value,
//	         uvarint Badger ExpiresAt (Unix seconds, 0 = none); repeated
//	end      a zero key length, then the CRC-32C (Castagnoli, big-endian)
//	         of every byte after the header up to and including that zero,
//	         then nothing
//
// Our own format rather than Badger's DB.Backup stream, because Badger's
// DB.Load trusts frame lengths (garbage makes it panic or allocate
// gigabytes) and a Load that fails part-way leaves Badger's transaction
// oracle waiting forever, so a damaged file could not be refused cleanly.
// Here lengths are capped, the header rejects a foreign file before anything
// is written, the checksum catches a truncated or damaged one, and a refused
// restore is undone with DropAll through Badger's normal write path.
const (
	backupMagic    = "CHELSERU-BACKUP\x00"
	backupVersion  = 1
	maxBackupKey   = 65000    // Badger's own key limit
	maxBackupValue = 16 << 20 // a value must fit in one value-log file
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Backup writes a full, consistent snapshot of the live data to w while the
// database stays in use: it reads at one timestamp and does not block
// writers. Expired and deleted records are left out.
func (db *DB) Backup(w io.Writer) error {
	release, err := db.enter("backup")
	if err != nil {
		return err
	}
	defer release()
	// Rate-limit counts live in memory between flushes; write them first so
	// the backup has them.
	if err := db.counters.flush(false); err != nil {
		return fmt.Errorf("storage: backup: %w", err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(backupMagic)
	bw.WriteByte(backupVersion)
	crc := crc32.New(crcTable)
	out := io.MultiWriter(bw, crc)
	var scratch []byte
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
				return err
			}
			scratch = binary.AppendUvarint(scratch, item.ExpiresAt())
			if _, err := out.Write(scratch); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: backup: %w", err)
	}
	out.Write([]byte{0}) // the end marker: a zero key length
	bw.Write(binary.BigEndian.AppendUint32(nil, crc.Sum32()))
	if err := bw.Flush(); err != nil { // bufio keeps the first write error
		return fmt.Errorf("storage: backup: %w", err)
	}
	return nil
}

// Restore loads a backup written by Backup. The database must be empty (a
// fresh data folder on which no id was issued); otherwise it returns an error
// wrapping chelseru.ErrExists and writes nothing. A foreign, damaged or
// truncated file is refused and whatever it had written is dropped again.
// No other method may run while Restore does.
func (db *DB) Restore(r io.Reader) error {
	release, err := db.enter("restore")
	if err != nil {
		return err
	}
	defer release()
	db.seqMu.Lock()
	defer db.seqMu.Unlock()
	if len(db.seqs) > 0 {
		return fmt.Errorf("storage: restore: ids were issued in this database: %w", chelseru.ErrExists)
	}
	empty := true
	err = db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		it.Rewind()
		empty = !it.Valid()
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: restore: %w", err)
	}
	if !empty {
		return fmt.Errorf("storage: restore: database is not empty: %w", chelseru.ErrExists)
	}

	br := bufio.NewReaderSize(r, 64<<10)
	head := make([]byte, len(backupMagic)+1)
	if _, err := io.ReadFull(br, head); err != nil || !bytes.Equal(head[:len(backupMagic)], []byte(backupMagic)) {
		return errors.New("storage: restore: not a chelseru backup")
	}
	if v := head[len(backupMagic)]; v != backupVersion {
		return fmt.Errorf("storage: restore: backup format %d, this build reads %d", v, backupVersion)
	}
	n, err := db.load(br)
	if err != nil {
		if derr := db.bdb.DropAll(); derr != nil {
			return fmt.Errorf("storage: restore: %w (and emptying the database again failed: %v)", err, derr)
		}
		return fmt.Errorf("storage: restore: %w", err)
	}
	db.log.Info("restored backup", "records", n)
	return nil
}

// load writes the records of a backup through a WriteBatch and checks the
// end marker and checksum.
func (db *DB) load(br *bufio.Reader) (int, error) {
	crc := crc32.New(crcTable)
	rd := &crcReader{r: br, crc: crc}
	wb := db.bdb.NewWriteBatch()
	defer wb.Cancel()
	now := uint64(time.Now().Unix())
	records := 0
	for {
		klen, err := binary.ReadUvarint(rd)
		if err != nil {
			return records, fmt.Errorf("backup is truncated: %w", err)
		}
		if klen == 0 {
			break
		}
		if klen > maxBackupKey {
			return records, fmt.Errorf("backup key of %d bytes is over the limit of %d", klen, maxBackupKey)
		}
		key := make([]byte, klen)
		if _, err := io.ReadFull(rd, key); err != nil {
			return records, fmt.Errorf("backup is truncated: %w", err)
		}
		vlen, err := binary.ReadUvarint(rd)
		if err != nil {
			return records, fmt.Errorf("backup is truncated: %w", err)
		}
		if vlen > maxBackupValue {
			return records, fmt.Errorf("backup value of %d bytes is over the limit of %d", vlen, maxBackupValue)
		}
		val := make([]byte, vlen)
		if _, err := io.ReadFull(rd, val); err != nil {
			return records, fmt.Errorf("backup is truncated: %w", err)
		}
		exp, err := binary.ReadUvarint(rd)
		if err != nil {
			return records, fmt.Errorf("backup is truncated: %w", err)
		}
		if exp != 0 && exp <= now {
			continue // expired since the backup was taken
		}
		e := badger.NewEntry(key, val)
		e.ExpiresAt = exp
		if err := wb.SetEntry(e); err != nil {
			return records, err
		}
		records++
	}
	var sum [4]byte
	if _, err := io.ReadFull(br, sum[:]); err != nil {
		return records, fmt.Errorf("backup is truncated: %w", err)
	}
	if binary.BigEndian.Uint32(sum[:]) != crc.Sum32() {
		return records, errors.New("backup checksum does not match: the file is damaged")
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return records, errors.New("backup has bytes after its end")
	}
	if err := wb.Flush(); err != nil {
		return records, err
	}
	return records, nil
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
