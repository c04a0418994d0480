package config

import (
	"fmt"
)

// Storage is the STORAGE section: how the database writes.
type Storage struct {
	// SyncWrites is STORAGE.SYNC_WRITES: every write waits for fsync, so a
	// power loss or kernel crash loses no acknowledged write (a process
	// crash loses none either way); default false. It costs one fsync per
	// commit: see docs/benchmarks.md.
	SyncWrites bool
	// MinFreeBytes is STORAGE.MIN_FREE_BYTES: below this much free space on
	// the data folder's file system writes answer 503 "Storage is full" and
	// /readyz reports not ready, before the database could run out of room;
	// default 134217728 (128 MiB, storage.DefaultMinFreeBytes), 0 to turn
	// the check off, at most 1 TiB.
	MinFreeBytes int64
}

// DefaultMinFreeBytes is STORAGE.MIN_FREE_BYTES's default (the storage
// package's DefaultMinFreeBytes).
const DefaultMinFreeBytes = 128 << 20

// maxPreviousKeys bounds JWT.PREVIOUS_SIGNING_KEYS (token.MaxPreviousKeys).
const maxPreviousKeys = 8

// storageFields are the keys of the STORAGE section.
func (d *decoder) storageFields() []field {
	c := d.c
	return []field{
		{"SYNC_WRITES", d.boolean(&c.Storage.SyncWrites)},
		{"MIN_FREE_BYTES", d.int64(&c.Storage.MinFreeBytes)},
	}
}

func (c *Config) validateStorage() error {
	if err := c.between("STORAGE.MIN_FREE_BYTES", c.Storage.MinFreeBytes, 0, 1<<40); err != nil {
		return err
	}
	for i, k := range c.JWT.PreviousSigningKeys {
		key := fmt.Sprintf("JWT.PREVIOUS_SIGNING_KEYS[%d]", i)
		b, err := keyBytes(c.JWT.Algorithm, k)
		if err != nil {
			return c.errorf("JWT.PREVIOUS_SIGNING_KEYS", "%s %s", key, err)
		}
		if c.JWT.Algorithm == HS256 && len(b) < minHMACKeyBytes {
			return c.errorf("JWT.PREVIOUS_SIGNING_KEYS", "%s must be at least %d bytes for HS256, got %d (a weak old key would stay usable to forge tokens)", key, minHMACKeyBytes, len(b))
		}
	}
	return nil
}

// previousKeys returns JWT.PREVIOUS_SIGNING_KEYS as token.Config wants them.
func (c *Config) previousKeys() ([][]byte, error) {
	out := make([][]byte, 0, len(c.JWT.PreviousSigningKeys))
	for i, k := range c.JWT.PreviousSigningKeys {
		b, err := keyBytes(c.JWT.Algorithm, k)
		if err != nil {
			return nil, fmt.Errorf("JWT.PREVIOUS_SIGNING_KEYS[%d] %w", i, err)
		}
		out = append(out, b)
	}
	return out, nil
}
