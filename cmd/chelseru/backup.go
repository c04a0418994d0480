package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/chelseru/chelseru/config"
	"github.com/chelseru/chelseru/storage"
)

// adminSockName is the Unix socket (in DATA_DIR, mode 0600) through which a
// running server hands out online backups. Only one process can open a Badger
// folder, so `chelseru backup` asks the server when one is running.
const adminSockName = "admin.sock"

// cmdBackup writes a consistent backup of the data folder to --out, from the
// running server when there is one, else by opening the folder itself.
func cmdBackup(args []string, stdout io.Writer) error {
	fs := newFlags("backup")
	path := fs.String("config", "", "config file (YAML)")
	out := fs.String("out", "", "backup file to write")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("backup: --out FILE is required: %w", errUsage)
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	tmp := *out + ".partial"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", unwrapOp(err))
	}
	w := bufio.NewWriterSize(f, 1<<20)
	from, err := writeBackup(cfg.Server.DataDir, w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, *out)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup written to %s (%s)\n", *out, from)
	return nil
}

// writeBackup streams a backup of dataDir into w and says where it came from.
func writeBackup(dataDir string, w io.Writer) (string, error) {
	sock := filepath.Join(dataDir, adminSockName)
	if _, err := os.Stat(sock); err == nil {
		err := backupFromServer(sock, w)
		if err == nil {
			return "from the running server", nil
		}
		var nerr *net.OpError
		if !errors.As(err, &nerr) { // the server answered but failed
			return "", err
		}
		// A stale socket from a server that is gone: fall through.
	}
	db, err := storage.Open(filepath.Join(dataDir, dbDirName), storage.Options{Logger: slog.New(slog.DiscardHandler), GCInterval: -1})
	if err != nil {
		return "", fmt.Errorf("open storage (is a server running without its admin socket?): %w", err)
	}
	defer db.Close()
	if err := db.Backup(w); err != nil {
		return "", err
	}
	return "offline", nil
}

// backupFromServer fetches a backup over the admin socket.
func backupFromServer(sock string, w io.Writer) error {
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	resp, err := c.Get("http://chelseru/backup")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("server refused the backup: %s", msg)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// serveAdmin listens on DATA_DIR/admin.sock (0600) and serves GET /backup
// until ctx ends. Errors starting it are logged, not fatal: backups can still
// be taken with the server stopped.
func serveAdmin(ctx context.Context, dataDir string, db *storage.DB, log *slog.Logger) (stop func()) {
	sock := filepath.Join(dataDir, adminSockName)
	_ = os.Remove(sock) // a stale socket from a killed server
	ln, err := net.Listen("unix", sock)
	if err != nil {
		log.Warn("admin socket unavailable; online backups disabled", "err", err)
		return func() {}
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		log.Warn("admin socket permissions", "err", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		if err := db.Backup(w); err != nil {
			log.Error("online backup failed", "err", err)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = os.Remove(sock)
	}
}

// cmdRestore loads a backup into an empty data folder.
func cmdRestore(args []string, stdout io.Writer) error {
	fs := newFlags("restore")
	path := fs.String("config", "", "config file (YAML)")
	in := fs.String("in", "", "backup file to read")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *in == "" {
		return fmt.Errorf("restore: --in FILE is required: %w", errUsage)
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	f, err := os.Open(*in)
	if err != nil {
		return fmt.Errorf("restore: %w", unwrapOp(err))
	}
	defer f.Close()
	if err := os.MkdirAll(cfg.Server.DataDir, 0o700); err != nil {
		return fmt.Errorf("restore: SERVER.DATA_DIR: %w", unwrapOp(err))
	}
	db, err := storage.Open(filepath.Join(cfg.Server.DataDir, dbDirName), storage.Options{Logger: slog.New(slog.DiscardHandler), GCInterval: -1})
	if err != nil {
		return fmt.Errorf("restore: open storage (stop the server first): %w", err)
	}
	if err := db.Restore(bufio.NewReaderSize(f, 1<<20)); err != nil {
		db.Close()
		return fmt.Errorf("restore: %w", err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored %s into %s\n", *in, cfg.Server.DataDir)
	return nil
}
