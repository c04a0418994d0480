package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/chelseru/chelseru/config"
	"github.com/chelseru/chelseru/pluginhost"
)

// preflight checks, without starting anything or writing a file, what
// chelseru serve would refuse beyond the config file itself: a data folder
// that cannot be one, a listen address that cannot be used, a signing key
// file that is refused, and the SMS plugin (an unknown service, a missing
// required setting, a bad BASE_URL, a pin that does not match), which it
// loads and configures exactly as serve does, only without a compilation
// cache. config check runs it, so it refuses what serve refuses. Each error
// is one line naming the key at fault.
func preflight(ctx context.Context, cfg *config.Config) (notes []string, err error) {
	if err := checkDataDir(cfg.Server.DataDir); err != nil {
		return nil, err
	}
	if note, err := checkListen(cfg.Server.Listen); err != nil {
		return nil, err
	} else if note != "" {
		notes = append(notes, note)
	}
	if cfg.JWT.SigningKey == "" {
		if _, err := os.Stat(cfg.KeyFile()); err == nil {
			if _, _, err := cfg.SigningKey(); err != nil {
				return nil, err
			}
		}
	}
	if err := checkPlugin(ctx, cfg); err != nil {
		return nil, err
	}
	return notes, nil
}

// checkDataDir refuses a data folder that is a file, or that could not be
// created because something on its path is a file.
func checkDataDir(dir string) error {
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir():
			if p == filepath.Clean(dir) {
				return fmt.Errorf("SERVER.DATA_DIR: %s is a file, not a folder", dir)
			}
			return fmt.Errorf("SERVER.DATA_DIR: %s cannot be created: %s is a file", dir, p)
		case err == nil:
			return nil
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("SERVER.DATA_DIR: %w", unwrapOp(err))
		}
		if parent := filepath.Dir(p); parent == p {
			return nil
		}
	}
}

// checkListen opens and closes the listen address. An address already in
// use (by a running chelseru, most likely) is a note, not an error.
func checkListen(addr string) (note string, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Sprintf("SERVER.LISTEN %s is in use now (a running server?)", addr), nil
		}
		return "", fmt.Errorf("SERVER.LISTEN: cannot listen on %s: %w", addr, unwrapOp(err))
	}
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("SERVER.LISTEN: %s: %w", addr, unwrapOp(err))
	}
	return "", nil
}

// checkPlugin loads and configures the SMS plugin as serve does, then
// closes it.
func checkPlugin(ctx context.Context, cfg *config.Config) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	h, err := pluginhost.Open(ctx, pluginhost.Config{
		PluginsDir:       cfg.Server.PluginsDir,
		Service:          cfg.SMS.SMSService,
		Settings:         cfg.SMS.Settings,
		Pins:             cfg.SMS.PluginSHA256,
		Timeout:          cfg.SMS.Timeout,
		CallTimeout:      cfg.SMS.PluginCallTimeout,
		MemoryLimitPages: cfg.SMS.PluginMemoryLimitPages(),
		PoolSize:         1,
		MaxResponseBytes: cfg.SMS.PluginMaxResponseBytes,
		Logger:           slog.New(slog.DiscardHandler),
		PollInterval:     -1,
	})
	if err != nil {
		return err
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ccancel()
	if err := h.Close(cctx); err != nil {
		return fmt.Errorf("SMS plugin: close: %w", err)
	}
	return nil
}
