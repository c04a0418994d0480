package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/chelseru/chelseru"
)

// Give implements chelseru.RateLimiter: it gives back one unit of every
// limit in the window that holds now (a send that Take counted but that
// never reached the provider). A window that counts nothing stays at zero.
func (db *DB) Give(ctx context.Context, now time.Time, limits ...chelseru.Limit) error {
	if len(limits) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storage: give: %w", err)
	}
	ws, err := windows(now, limits)
	if err != nil {
		return fmt.Errorf("storage: give: %w", err)
	}
	release, err := db.enter("give")
	if err != nil {
		return err
	}
	defer release()
	if err := db.counters.give(now, ws); err != nil {
		return fmt.Errorf("storage: give: %w", err)
	}
	return nil
}

// give subtracts each window's units from its count, not below zero.
func (c *counters) give(now time.Time, ws []window) error {
	var stored map[string]uint64
	for {
		var err error
		if stored, err = c.load(ws, stored); err != nil {
			return err
		}
		c.mu.Lock()
		if c.attach(now, ws, stored) {
			break
		}
		c.mu.Unlock()
	}
	defer c.mu.Unlock()
	for i := range ws {
		w := &ws[i]
		w.c.n -= min(w.c.n, w.need)
		w.c.dirty = true
	}
	return nil
}
