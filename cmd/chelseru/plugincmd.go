package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/chelseru/chelseru/pluginhost"
)

// cmdPluginCheck validates a plugin module and prints its manifest.
func cmdPluginCheck(args []string, stdout io.Writer) error {
	fs := newFlags("plugin check")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &helpError{name: fs.Name(), fs: fs}
		}
		return fmt.Errorf("plugin check: %v: %w", err, errUsage)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("plugin check: want exactly one FILE.wasm: %w", errUsage)
	}
	path := fs.Arg(0)
	wasm, err := readModule(path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	man, err := pluginhost.Check(ctx, wasm)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	out, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: manifest: %w", path, err)
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return nil
}

// readModule reads a module file, refusing anything over the host's module cap.
func readModule(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapOp(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, pluginhost.MaxModuleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, unwrapOp(err))
	}
	if len(b) > pluginhost.MaxModuleBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, pluginhost.MaxModuleBytes>>20)
	}
	return b, nil
}
