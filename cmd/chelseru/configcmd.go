package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chelseru/chelseru/config"
	"github.com/chelseru/chelseru/pluginhost"
)

// cmdConfigCheck builds the configuration as serve does (file, environment,
// flags), validates it and what serve would refuse beyond it (preflight),
// and prints every key with its value, secrets masked, and its source.
func cmdConfigCheck(args []string, stdout io.Writer) error {
	fs := newFlags("config check")
	path := fs.String("config", "", "config `FILE` (YAML); default: built-in defaults")
	keys := addKeyFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path, keys)
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
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tSOURCE")
	for _, s := range cfg.Describe(manifestSecrets(cfg)) {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Key, s.Value, s.Source)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	name := *path
	if name == "" {
		name = "configuration"
	}
	fmt.Fprintf(stdout, "%s: ok (listen %s, data %s, SMS service %s)\n", name, cfg.Server.Listen, cfg.Server.DataDir, cfg.SMS.SMSService)
	return nil
}

// manifestSecrets names the SETTINGS keys the SMS plugin's manifest
// declares secret, read from its module (PLUGINS_DIR/<service>.wasm, else
// the built-in one). A module it cannot find or read gives none: the
// name rule (config.SecretName) still masks the usual ones.
func manifestSecrets(cfg *config.Config) map[string]bool {
	file := strings.ToLower(cfg.SMS.SMSService) + ".wasm"
	var wasm []byte
	if cfg.Server.PluginsDir != "" {
		if b, err := readModule(filepath.Join(cfg.Server.PluginsDir, file), cfg.SMS.PluginMaxModuleBytes); err == nil {
			wasm = b
		}
	}
	if wasm == nil {
		f, err := pluginhost.Builtins().Open(file)
		if err != nil {
			return nil
		}
		defer f.Close()
		if wasm, err = io.ReadAll(io.LimitReader(f, pluginhost.MaxModuleBytes)); err != nil {
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	man, err := pluginhost.Check(ctx, wasm)
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, s := range man.Settings {
		if s.Secret {
			out[s.Key] = true
		}
	}
	return out
}
