package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/chelseru/chelseru/config"
	"github.com/chelseru/chelseru/pluginhost"
)

// pluginCheckTimeout bounds a whole `plugin check`, whatever the module
// does (each call into it is bounded far tighter).
const pluginCheckTimeout = 60 * time.Second

// setFlags collects repeated --set KEY=VALUE flags.
type setFlags map[string]string

func (s setFlags) String() string { return "" }

func (s setFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("--set wants KEY=VALUE, got %q", v)
	}
	s[strings.TrimPrefix(k, "SMS.SETTINGS.")] = val
	return nil
}

// cmdPluginCheck validates a plugin module, runs it (alloc, configure with
// the given settings, and a dry send whose request is printed, not made)
// and prints its manifest.
func cmdPluginCheck(args []string, stdout io.Writer) error {
	fs := newFlags("plugin check")
	sets := setFlags{}
	fs.Var(sets, "set", "a setting KEY=VALUE for configure (repeatable)")
	cfgPath := fs.String("config", "", "config file whose SMS.SETTINGS and plugin limits are used")
	// Flags may come before or after FILE.wasm.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return &helpError{name: fs.Name(), fs: fs}
			}
			return fmt.Errorf("plugin check: %v: %w", err, errUsage)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		return fmt.Errorf("plugin check: want exactly one FILE.wasm: %w", errUsage)
	}
	path := files[0]
	// Without a config, each call gets ten times the default limit, as
	// check always did: a slow machine must not fail a sound module.
	opts := pluginhost.CheckOptions{Settings: map[string]string{}, CallTimeout: 10 * pluginhost.DefaultCallTimeout}
	if *cfgPath != "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		for k, v := range cfg.SMS.Settings {
			opts.Settings[k] = v
		}
		opts.CallTimeout = cfg.SMS.PluginCallTimeout
		opts.MemoryLimitPages = cfg.SMS.PluginMemoryLimitPages()
		opts.MaxModuleBytes = cfg.SMS.PluginMaxModuleBytes
		opts.Interrupt = cfg.SMS.PluginInterrupt
	}
	for k, v := range sets {
		opts.Settings[k] = v
	}
	maxBytes := opts.MaxModuleBytes
	if maxBytes <= 0 {
		maxBytes = pluginhost.DefaultMaxModuleBytes
	}
	wasm, err := readModule(path, maxBytes)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), pluginCheckTimeout)
	defer cancel()
	rep, err := pluginhost.CheckRun(ctx, wasm, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	out, err := json.MarshalIndent(rep.Manifest, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: manifest: %w", path, err)
	}
	fmt.Fprintf(stdout, "%s\n", out)
	for _, line := range pluginhost.CheckNotes(rep.Manifest) {
		fmt.Fprintln(stdout, line)
	}
	fmt.Fprintf(stdout, "time limit: %s\n", rep.TimeLimit)
	if len(rep.Placeholders) > 0 {
		fmt.Fprintf(stdout, "settings given the placeholder %s: %s\n", pluginhost.CheckPlaceholder, strings.Join(rep.Placeholders, ", "))
	}
	switch {
	case rep.Request != nil:
		q := rep.Request
		fmt.Fprintf(stdout, "dry send (request not sent): %s %s\n", q.Method, q.URL)
		if rep.Refused != "" {
			fmt.Fprintf(stdout, "  serving would refuse it as things stand: %s\n", rep.Refused)
		}
		for _, h := range q.Headers {
			fmt.Fprintf(stdout, "  %s: %s\n", h.Name, h.Value)
		}
		if q.Body != "" {
			fmt.Fprintf(stdout, "  body: %s\n", q.Body)
		}
	case rep.Result != nil:
		fmt.Fprintf(stdout, "dry send: the plugin answered without a request (ok=%v)\n", rep.Result.OK)
	}
	return nil
}

// readModule reads a module file, refusing anything over limit bytes.
func readModule(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapOp(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapOp(err))
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s: larger than the %d-byte module limit (SMS.PLUGIN_MAX_MODULE_BYTES)", path, limit)
	}
	return b, nil
}
