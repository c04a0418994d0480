package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chelseru/chelseru/pluginhost"
	"github.com/chelseru/chelseru/pluginhost/plugintest"
)

// maxCases bounds the golden cases one "plugin test" runs.
const maxCases = 1000

// cmdPluginTest runs the golden cases in a folder through the real host with
// a module written in any language: each case's settings configure it, its
// message is sent, its recorded responses answer the requests (from a local
// stand-in for the provider) and the requests and the result are compared.
// With -update the cases' requests and results are rewritten from what the
// host saw. -v sends the host's log (the plugin's own lines included) to
// stderr at debug level.
func cmdPluginTest(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plugin test")
	update := fs.Bool("update", false, "rewrite each case's requests and result from the real run")
	verbose := fs.Bool("v", false, "print the host's log, at debug level, on stderr")
	var flags, pos []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
		} else {
			pos = append(pos, a)
		}
	}
	if err := fs.Parse(flags); err != nil {
		return fmt.Errorf("plugin test: %v: %w", err, errUsage)
	}
	if len(pos) != 2 {
		return fmt.Errorf("plugin test: want FILE.wasm CASES_DIR: %w", errUsage)
	}
	path, dir := pos[0], pos[1]
	wasm, err := readModule(path, pluginhost.DefaultMaxModuleBytes)
	if err != nil {
		return err
	}
	cases, err := plugintest.LoadCases(dir)
	if err != nil {
		return err
	}
	if len(cases) == 0 {
		return fmt.Errorf("%s: no *.case files", dir)
	}
	if len(cases) > maxCases {
		return fmt.Errorf("%s: more than %d cases", dir, maxCases)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	man, err := pluginhost.Check(ctx, wasm)
	cancel()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp, err := os.MkdirTemp("", "chelseru-plugin-test-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r, err := plugintest.NewRunner(wasm, &man, tmp, logger)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer r.Close()
	failed, updated := 0, 0
	for _, c := range cases {
		o, err := r.Run(c)
		if err != nil {
			failed++
			fmt.Fprintf(stdout, "FAIL %s: the host could not load the plugin with the case's settings: %v\n", c.Name, err)
			continue
		}
		diffs := plugintest.Diff(c, o)
		switch {
		case len(diffs) == 0:
			fmt.Fprintf(stdout, "ok   %s\n", c.Name)
		case *update:
			if err := plugintest.Update(c, o); err != nil {
				failed++
				fmt.Fprintf(stdout, "FAIL %s: not rewritten: %v\n", c.Name, err)
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, c.Name+".case"), c.Format(), 0o644); err != nil {
				return err
			}
			updated++
			fmt.Fprintf(stdout, "upd  %s\n", c.Name)
		default:
			failed++
			fmt.Fprintf(stdout, "FAIL %s\n", c.Name)
			for _, d := range diffs {
				fmt.Fprintf(stdout, "    %s\n", strings.ReplaceAll(d, "\n", "\n    "))
			}
		}
	}
	fmt.Fprintf(stdout, "%s (%s): %d cases, %d passed, %d rewritten, %d failed\n", path, man.Name, len(cases), len(cases)-failed-updated, updated, failed)
	if failed > 0 {
		return fmt.Errorf("plugin test: %d of %d cases failed", failed, len(cases))
	}
	return nil
}
