package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chelseru/chelseru/pluginhost/builtin"
)

// watcher tracks the *.wasm files of PluginsDir. Open runs the first scan;
// afterwards only the watcher's goroutine touches files.
type watcher struct {
	dir     string
	files   map[string]fileState
	stopc   chan struct{}
	done    chan struct{}
	started bool
	refused string // the last error of the folder check, logged once
}

// fileState is what the watcher last saw of one file.
type fileState struct {
	size  int64
	mtime time.Time
	mode  os.FileMode // a chmod go-w makes a refused file worth another look
	sha   string
	name  string // manifest name; "" when the file did not load
}

func newWatcher(dir string) *watcher {
	return &watcher{dir: dir, files: map[string]fileState{}, stopc: make(chan struct{}), done: make(chan struct{})}
}

func shaHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// list returns the *.wasm files of the folder in name order (at most
// MaxPluginFiles). A missing folder is empty: it may be created later.
func (w *watcher) list() ([]string, error) {
	entries, err := os.ReadDir(w.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".wasm") {
			out = append(out, filepath.Join(w.dir, e.Name()))
		}
	}
	slices.Sort(out)
	if len(out) > MaxPluginFiles {
		out = out[:MaxPluginFiles]
	}
	return out, nil
}

// readFile reads a module file with the size cap, with its stat.
func readFile(path string, limit int) ([]byte, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() > int64(limit) {
		return nil, st, fmt.Errorf("file is %d bytes, over the %d-byte limit (SMS.PLUGIN_MAX_MODULE_BYTES)", st.Size(), limit)
	}
	if err := checkMode("module "+path, path, st.Mode()); err != nil {
		return nil, st, err
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	return b, st, err
}

// scan is the first look at the folder, from Open. It returns the module
// that declares the service (first in name order), loaded and not yet
// prepared, and a note on files that failed to load, for Open's error.
func (w *watcher) scan(ctx context.Context, h *Host) (*module, string, error) {
	if err := checkDirMode(w.dir); err != nil {
		w.refused = err.Error()
		h.log.Error("PLUGINS_DIR refused; only the built-in plugins are used", slog.String("error", err.Error()))
		return nil, err.Error(), nil
	}
	paths, err := w.list()
	if err != nil {
		return nil, "", fmt.Errorf("PLUGINS_DIR %s: %w", w.dir, err)
	}
	var found *module
	var broken []string
	named := w.selectedFile(paths, h.cfg.Service)
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			// Start-up was interrupted (SIGTERM): stop between files.
			return nil, "", fmt.Errorf("PLUGINS_DIR %s: loading interrupted: %w", w.dir, context.Cause(ctx))
		}
		if w.unselected(h, p, named) {
			continue
		}
		wasm, st, err := readFile(p, h.cfg.MaxModuleBytes)
		if err != nil {
			if st != nil {
				w.files[p] = fileState{size: st.Size(), mtime: st.ModTime(), mode: st.Mode()}
			}
			h.log.Warn("plugin file cannot be read", slog.String("file", p), slog.String("error", err.Error()))
			broken = append(broken, filepath.Base(p)+": "+err.Error())
			continue
		}
		fs := fileState{size: st.Size(), mtime: st.ModTime(), mode: st.Mode(), sha: shaHex(wasm)}
		m, err := h.load(ctx, wasm, p)
		if err != nil && p == named {
			// The file the config selects by name: its failure is the error.
			return nil, "", fmt.Errorf("plugin %s: %w", p, err)
		}
		if err != nil {
			w.files[p] = fs
			h.log.Warn("plugin file is not a valid plugin; ignored", slog.String("file", p), slog.String("error", err.Error()))
			broken = append(broken, filepath.Base(p)+": "+err.Error())
			continue
		}
		fs.name = m.name
		w.files[p] = fs
		switch {
		case m.name != h.cfg.Service && p == named:
			m.discard(ctx)
			return nil, "", fmt.Errorf("plugin %s declares the name %s, not SMS_SERVICE %s", p, m.name, h.cfg.Service)
		case m.name != h.cfg.Service:
			m.discard(ctx)
		case found != nil:
			h.log.Warn("two plugin files declare the service; using the first", slog.String("plugin", m.name),
				slog.String("used", found.origin), slog.String("ignored", p))
			m.discard(ctx)
		default:
			if err := h.checkPin(m.name, wasm); err != nil {
				m.discard(ctx)
				return nil, "", fmt.Errorf("%s: %w", p, err)
			}
			found = m
		}
	}
	note := ""
	if len(broken) > 0 {
		note = "PLUGINS_DIR: " + strings.Join(broken, "; ")
	}
	return found, note, nil
}

func (w *watcher) start(h *Host) {
	w.started = true
	go func() {
		defer close(w.done)
		t := time.NewTicker(h.cfg.PollInterval)
		defer t.Stop()
		for {
			select {
			case <-w.stopc:
				return
			case <-t.C:
				w.poll(h)
			}
		}
	}()
}

func (w *watcher) stop() {
	select {
	case <-w.stopc:
		return
	default:
	}
	close(w.stopc)
	if w.started {
		<-w.done
	}
}

// poll loads files that changed since the last look; a changed module that
// declares the service replaces the active one after the same checks as at
// Open. A module that fails them is refused and the old one keeps serving.
func (w *watcher) poll(h *Host) {
	ctx := context.Background()
	if err := checkDirMode(w.dir); err != nil {
		if msg := err.Error(); msg != w.refused {
			w.refused = msg
			h.log.Error("PLUGINS_DIR refused; its files are not loaded", slog.String("error", msg))
		}
		return
	}
	w.refused = ""
	paths, err := w.list()
	if err != nil {
		h.log.Warn("PLUGINS_DIR cannot be listed", slog.String("dir", w.dir), slog.String("error", err.Error()))
		return
	}
	seen := make(map[string]bool, len(paths))
	named := w.selectedFile(paths, h.cfg.Service)
	for _, p := range paths {
		seen[p] = true
		st, err := os.Stat(p)
		if err != nil {
			continue
		}
		old, known := w.files[p]
		if known && old.size == st.Size() && old.mtime.Equal(st.ModTime()) && old.mode == st.Mode() {
			continue
		}
		if w.unselected(h, p, named) {
			continue
		}
		wasm, st, err := readFile(p, h.cfg.MaxModuleBytes)
		if err != nil {
			if st != nil {
				w.files[p] = fileState{size: st.Size(), mtime: st.ModTime(), mode: st.Mode()}
				h.log.Warn("plugin file refused", slog.String("file", p), slog.String("error", err.Error()))
			}
			continue // being replaced; next poll
		}
		sha := shaHex(wasm)
		fs := fileState{size: st.Size(), mtime: st.ModTime(), mode: st.Mode(), sha: sha}
		if known && old.sha == sha {
			fs.name = old.name
			w.files[p] = fs
			continue
		}
		w.files[p] = fs
		if h.closed.Load() {
			return
		}
		m, err := h.load(ctx, wasm, p)
		if err != nil {
			level := slog.LevelWarn
			if old.name == h.cfg.Service || p == named {
				level = slog.LevelError
				h.stats.reloadFailures.Add(1)
			}
			h.log.Log(ctx, level, "changed plugin file refused; the running module stays", slog.String("file", p), slog.String("error", err.Error()))
			continue
		}
		fs.name = m.name
		w.files[p] = fs
		if m.name != h.cfg.Service {
			m.discard(ctx)
			continue
		}
		if err := h.checkPin(m.name, wasm); err != nil {
			h.stats.reloadFailures.Add(1)
			h.log.Error("changed plugin refused; the running module stays", slog.String("file", p), slog.String("error", err.Error()))
			m.discard(ctx)
			continue
		}
		if err := h.admit(m); err != nil {
			h.stats.reloadFailures.Add(1)
			h.log.Error("changed plugin refused; the running module stays", slog.String("file", p), slog.String("error", err.Error()))
			m.discard(ctx)
			continue
		}
		if err := m.prepare(ctx, h.cfg.Settings); err != nil {
			h.stats.reloadFailures.Add(1)
			h.log.Error("changed plugin refused; the running module stays", slog.String("file", p), slog.String("error", err.Error()))
			m.discard(ctx)
			continue
		}
		h.swap(m)
	}
	for p, fs := range w.files {
		if !seen[p] {
			delete(w.files, p)
			if a := h.active.Load(); a != nil && a.origin == p {
				h.log.Warn("the running plugin's file was removed; it keeps serving until a restart or a new file",
					slog.String("plugin", fs.name), slog.String("file", p))
			}
		}
	}
}

// selectedFile returns the file of paths named after the service
// (<service in lower case>.wasm, as the built-ins are named), or "".
func (w *watcher) selectedFile(paths []string, service string) string {
	want := strings.ToLower(service) + ".wasm"
	for _, p := range paths {
		if filepath.Base(p) == want {
			return p
		}
	}
	return ""
}

// unselected reports whether the file p is left alone: a file the config
// does not select costs a stat and nothing more (it is neither read nor
// compiled). The service's module is the file named after it (named); when
// there is none and the service is not a built-in, every file is a
// candidate, loaded in turn to read its manifest name (the slower way,
// kept for plugins whose file is named otherwise).
func (w *watcher) unselected(h *Host, p, named string) bool {
	switch {
	case p == named:
		return false
	case named == "" && !slices.Contains(builtin.Names(), h.cfg.Service):
		return false
	}
	st, err := os.Stat(p)
	if err != nil {
		return true
	}
	if _, known := w.files[p]; !known {
		h.log.Debug("plugin file not selected by the config; not loaded", slog.String("file", p),
			slog.String("service", h.cfg.Service), slog.String("selected_file", strings.ToLower(h.cfg.Service)+".wasm"))
	}
	w.files[p] = fileState{size: st.Size(), mtime: st.ModTime()}
	return true
}
