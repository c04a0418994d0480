package storage

import (
	"context"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

// TestGive: a unit given back can be taken again, a count never goes below
// zero, and the count survives a restart.
func TestGive(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := openAt(t, dir, Options{})
	now := time.Now()
	lim := chelseru.Limit{Key: "otp-ip:1.2.3.4", Max: 1, Window: time.Hour}
	if wait, err := db.Take(ctx, now, lim); err != nil || wait != 0 {
		t.Fatalf("first take: %v, %v", wait, err)
	}
	if wait, _ := db.Take(ctx, now, lim); wait == 0 {
		t.Fatal("second take allowed over the limit")
	}
	if err := db.Give(ctx, now, lim); err != nil {
		t.Fatal(err)
	}
	if wait, err := db.Take(ctx, now, lim); err != nil || wait != 0 {
		t.Fatalf("take after give: %v, %v", wait, err)
	}
	// Two gives, one unit counted: the count stops at zero, so one take only.
	for range 2 {
		if err := db.Give(ctx, now, lim); err != nil {
			t.Fatal(err)
		}
	}
	if wait, _ := db.Take(ctx, now, lim); wait != 0 {
		t.Fatal("take after gives refused")
	}
	if wait, _ := db.Take(ctx, now, lim); wait == 0 {
		t.Fatal("the count went below zero")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, dir, Options{})
	if wait, _ := db.Take(ctx, now, lim); wait == 0 {
		t.Fatal("the count was lost across a restart")
	}
}
