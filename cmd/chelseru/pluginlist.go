package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/chelseru/chelseru/pluginhost"
	"github.com/chelseru/chelseru/pluginhost/builtin"
)

// maxListedPlugins bounds the PLUGINS_DIR modules plugin list reads.
const maxListedPlugins = 256

// pluginFile is one module plugin list shows.
type pluginFile struct {
	name, file, sha256, source string
	size                       int64
}

// cmdPluginList lists the built-in modules and the *.wasm files in
// PLUGINS_DIR with their size and SHA-256, without running them (the pin
// SMS.PLUGIN_SHA256 takes is this digest).
func cmdPluginList(args []string, stdout io.Writer) error {
	fset := newFlags("plugin list")
	path := fset.String("config", "", "config file (YAML) whose SERVER.PLUGINS_DIR to list (the environment applies too)")
	dir := fset.String("plugins-dir", "", "list this `DIR` instead of SERVER.PLUGINS_DIR")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	pluginsDir := *dir
	if pluginsDir == "" {
		cfg, err := loadConfig(*path, nil)
		if err != nil {
			return err
		}
		pluginsDir = cfg.Server.PluginsDir
	}
	var list []pluginFile
	bfs := pluginhost.Builtins()
	for _, name := range builtin.Names() {
		file := strings.ToLower(name) + ".wasm"
		f, err := bfs.Open(file)
		if err != nil {
			list = append(list, pluginFile{name: name, file: "(not built in: run make plugins)", source: "built-in"})
			continue
		}
		sum, size, err := digest(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("built-in %s: %w", file, err)
		}
		list = append(list, pluginFile{name: name, file: file, sha256: sum, size: size, source: "built-in"})
	}
	if pluginsDir != "" {
		entries, err := os.ReadDir(pluginsDir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// no folder: built-ins only, as serve does
		case err != nil:
			return fmt.Errorf("SERVER.PLUGINS_DIR: %w", unwrapOp(err))
		}
		n := 0
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".wasm") {
				continue
			}
			if n++; n > maxListedPlugins {
				return fmt.Errorf("SERVER.PLUGINS_DIR: more than %d modules", maxListedPlugins)
			}
			p := filepath.Join(pluginsDir, e.Name())
			f, err := os.Open(p)
			if err != nil {
				return unwrapOp(err)
			}
			sum, size, err := digest(f)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", p, unwrapOp(err))
			}
			list = append(list, pluginFile{name: strings.ToUpper(strings.TrimSuffix(e.Name(), ".wasm")), file: p, sha256: sum, size: size, source: "PLUGINS_DIR"})
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].source == "built-in" && list[j].source != "built-in" })
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOURCE\tFILE\tSIZE\tSHA256")
	for _, p := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", p.name, p.source, p.file, p.size, p.sha256)
	}
	return tw.Flush()
}

// digest hashes a module, reading at most the host's module cap.
func digest(r io.Reader) (sum string, size int64, err error) {
	var h hash.Hash = sha256.New()
	size, err = io.Copy(h, io.LimitReader(r, pluginhost.MaxModuleBytes+1))
	if err != nil {
		return "", 0, err
	}
	if size > pluginhost.MaxModuleBytes {
		return "", 0, fmt.Errorf("larger than %d MiB", pluginhost.MaxModuleBytes>>20)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}
