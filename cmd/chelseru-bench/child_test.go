package main

import (
	"context"
	"os"
	"testing"
)

// TestMain lets the test binary stand in for chelseru-bench when a test runs
// the bare scenario, which starts os.Executable() as the bare-handler child.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == bareChildCommand {
		os.Exit(serveBareChild(context.Background(), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
