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
// running server when there is one, else by opening the folder itself. The
// backup carries the data folder's keys, so it is written 0600 and is as
// secret as they are. What was written is read back and checked before the
// file takes its name; on any failure the partial file is removed.
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
	from, records, err := writeBackup(cfg, w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var info storage.BackupInfo
	if err == nil {
		info, err = verifyBackupFile(tmp)
	}
	if err == nil && records >= 0 && info.Records != records {
		err = fmt.Errorf("%w: wrote %d records but the file holds %d", errBackupDamaged, records, info.Records)
	}
	if err == nil {
		err = os.Rename(tmp, *out)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup written to %s (%s): %d records, keys: %s; keep it as secret as the keys\n", *out, from, info.Records, fileNames(info.Files))
	return nil
}

// writeBackup streams a backup of cfg's data folder into w and says where it
// came from and how many records it wrote (-1 when the server wrote them).
func writeBackup(cfg *config.Config, w io.Writer) (string, int, error) {
	dataDir := cfg.Server.DataDir
	sock := filepath.Join(dataDir, adminSockName)
	if _, err := os.Stat(sock); err == nil {
		_, err := adminGet(sock, "/backup", w)
		if err == nil {
			return "from the running server", -1, nil
		}
		var nerr *net.OpError
		if !errors.As(err, &nerr) { // the server answered but failed
			return "", 0, err
		}
		// A stale socket from a server that is gone: fall through.
	}
	files, err := keyFiles(cfg)
	if err != nil {
		return "", 0, err
	}
	db, err := storage.Open(filepath.Join(dataDir, dbDirName), offlineOptions(cfg))
	if err != nil {
		if errors.Is(err, storage.ErrDamaged) {
			return "", 0, err
		}
		return "", 0, fmt.Errorf("open storage (is a server running without its admin socket?): %w", err)
	}
	defer db.Close()
	n, err := db.BackupWith(w, files)
	if err != nil {
		return "", 0, err
	}
	return "offline", n, nil
}

// serveAdmin listens on DATA_DIR/admin.sock (0600) and serves GET /backup
// (with the key files of cfg) and GET /verify until ctx ends. Errors
// starting it are logged, not fatal: backups can still be taken with the
// server stopped.
func serveAdmin(ctx context.Context, cfg *config.Config, db *storage.DB, log *slog.Logger) (stop func()) {
	sock := filepath.Join(cfg.Server.DataDir, adminSockName)
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
		files, err := keyFiles(cfg)
		if err != nil {
			log.Error("online backup failed", "err", err)
			adminError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		cw := &countingWriter{w: w}
		if _, err := db.BackupWith(cw, files); err != nil {
			log.Error("online backup failed", "err", err)
			if cw.n == 0 {
				adminError(w, err)
			}
			// Else the stream ends short: the client's check refuses it.
		}
	})
	mux.HandleFunc("GET /verify", func(w http.ResponseWriter, r *http.Request) {
		rep, err := db.Verify()
		if err != nil {
			log.Error("verify failed", "err", err)
			adminError(w, err)
			return
		}
		fmt.Fprintf(w, "%d records, database %s\n", rep.Records, rep.ID)
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

// cmdRestore loads a backup into an empty data folder, with the keys it
// carries. It refuses a backup without the keys (unless the config supplies
// the signing key, or --allow-new-keys accepts signing everyone out).
func cmdRestore(args []string, stdout io.Writer) error {
	fs := newFlags("restore")
	path := fs.String("config", "", "config file (YAML)")
	in := fs.String("in", "", "backup file to read")
	allowNew := fs.Bool("allow-new-keys", false, "restore a backup without its keys (every session and pending code is then refused)")
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
	// The whole file is checked before the data folder is touched.
	if _, err := verifyBackupFile(*in); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	f, err := os.Open(*in)
	if err != nil {
		return fmt.Errorf("restore: %w", unwrapOp(err))
	}
	defer f.Close()
	if err := os.MkdirAll(cfg.Server.DataDir, 0o700); err != nil {
		return fmt.Errorf("restore: SERVER.DATA_DIR: %w", unwrapOp(err))
	}
	db, err := storage.Open(filepath.Join(cfg.Server.DataDir, dbDirName), offlineOptions(cfg))
	if err != nil {
		if errors.Is(err, storage.ErrDamaged) {
			return fmt.Errorf("restore: %w", err)
		}
		return fmt.Errorf("restore: open storage (stop the server first): %w", err)
	}
	files, err := db.RestoreWith(bufio.NewReaderSize(f, 1<<20), restoreKeys(cfg, *allowNew))
	if err != nil {
		db.Close()
		return fmt.Errorf("restore: %w", err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := writeKeyFiles(cfg.Server.DataDir, files); err != nil {
		return fmt.Errorf("restore: key files: %w", err)
	}
	fmt.Fprintf(stdout, "restored %s into %s (keys: %s)\n", *in, cfg.Server.DataDir, fileNames(files))
	return nil
}
