package main

import (
	"context"
	"fmt"
	"io"

	"github.com/chelseru/chelseru/config"
)

// cmdConfigCheck validates a config file, and what serve would refuse
// beyond it (preflight), and prints a one-line summary.
func cmdConfigCheck(args []string, stdout io.Writer) error {
	fs := newFlags("config check")
	path := fs.String("config", "", "config file (YAML)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *path == "" {
		return fmt.Errorf("config check: --config FILE is required: %w", errUsage)
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	notes, err := preflight(context.Background(), cfg)
	if err != nil {
		return err
	}
	for _, w := range append(cfg.Warnings(), notes...) {
		fmt.Fprintln(stdout, "warning:", w)
	}
	fmt.Fprintf(stdout, "%s: ok (listen %s, data %s, SMS service %s)\n", *path, cfg.Server.Listen, cfg.Server.DataDir, cfg.SMS.SMSService)
	return nil
}
