package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/chelseru/chelseru/config"
	"github.com/chelseru/chelseru/storage"
)

// exitDamaged is the exit code of a data folder or backup file found
// damaged: a folder that held a database but lost its MANIFEST or has a
// damaged table, or a backup that fails its checks. It is distinct from a
// plain failure (1) so a supervisor can stop restarting and page someone.
const exitDamaged = 3

// errBackupDamaged marks a backup file that fails its checks (exit 3).
var errBackupDamaged = errors.New("backup damaged")

// damagedHeader marks an admin-socket answer about a damaged database.
const damagedHeader = "Chelseru-Damaged"

// storageOptions are the storage options of the server, from cfg.
func storageOptions(cfg *config.Config, log *slog.Logger) storage.Options {
	return storage.Options{
		Logger:       log, // storage names its own components (storage, badger)
		SyncWrites:   cfg.Storage.SyncWrites,
		MinFreeBytes: minFree(cfg),
	}
}

// offlineOptions are those of a command that opens the folder briefly.
func offlineOptions(cfg *config.Config) storage.Options {
	return storage.Options{Logger: slog.New(slog.DiscardHandler), GCInterval: -1, MinFreeBytes: minFree(cfg)}
}

// minFree maps STORAGE.MIN_FREE_BYTES (0: off) to storage's (negative: off).
func minFree(cfg *config.Config) int64 {
	if cfg.Storage.MinFreeBytes == 0 {
		return -1
	}
	return cfg.Storage.MinFreeBytes
}

// keyFileNames are the data folder's key files a backup carries, and the
// only names a restore writes.
var keyFileNames = []string{config.KeyFileName, otpKeyName}

// keyFiles reads the keys of the data folder for a backup: the OTP hashing
// key, and the JWT signing key file when the signing key comes from it (not
// from JWT.SIGNING_KEY or the environment).
func keyFiles(cfg *config.Config) ([]storage.BackupFile, error) {
	var out []storage.BackupFile
	for _, name := range keyFileNames {
		if name == config.KeyFileName && cfg.JWT.SigningKey != "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(cfg.Server.DataDir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue // never generated: nothing was issued or hashed with it
		}
		if err != nil {
			return nil, fmt.Errorf("key file: %w", unwrapOp(err))
		}
		out = append(out, storage.BackupFile{Name: name, Data: b})
	}
	return out, nil
}

// cmdVerify checks a data folder (--config or --data-dir) or a backup file
// (--in) and prints one line.
func cmdVerify(args []string, stdout io.Writer) error {
	fs := newFlags("verify")
	path := fs.String("config", "", "config file (YAML): verify its SERVER.DATA_DIR")
	dataDir := fs.String("data-dir", "", "data folder to verify")
	in := fs.String("in", "", "backup file to verify")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := 0
	for _, s := range []string{*path, *dataDir, *in} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("verify: give --config FILE, --data-dir DIR or --in BACKUPFILE: %w", errUsage)
	}
	if *in != "" {
		info, err := verifyBackupFile(*in)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		fmt.Fprintf(stdout, "backup %s ok: %d records, database %s, keys: %s\n", *in, info.Records, orNone(info.ID), fileNames(info.Files))
		return nil
	}
	cfg := config.Default()
	if *path != "" {
		var err error
		if cfg, err = config.Load(*path); err != nil {
			return err
		}
	} else {
		cfg.Server.DataDir = *dataDir
	}
	dir := cfg.Server.DataDir
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("verify: %s is not a data folder", dir)
	}
	sock := filepath.Join(dir, adminSockName)
	if _, err := os.Stat(sock); err == nil {
		msg, err := adminGet(sock, "/verify", io.Discard)
		var nerr *net.OpError
		if err == nil || !errors.As(err, &nerr) {
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
			fmt.Fprintf(stdout, "data folder %s ok (checked by the running server): %s\n", dir, strings.TrimSpace(msg))
			return nil
		}
		// A stale socket: check the folder here.
	}
	db, err := storage.Open(filepath.Join(dir, dbDirName), offlineOptions(cfg))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer db.Close()
	r, err := db.Verify()
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	fmt.Fprintf(stdout, "data folder %s ok: %d records, database %s\n", dir, r.Records, r.ID)
	return nil
}

// verifyBackupFile reads a whole backup file and checks it.
func verifyBackupFile(path string) (storage.BackupInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return storage.BackupInfo{}, unwrapOp(err)
	}
	defer f.Close()
	info, err := storage.ReadBackup(f)
	if err != nil {
		return storage.BackupInfo{}, fmt.Errorf("%w: %s: %w", errBackupDamaged, path, err)
	}
	for _, bf := range info.Files {
		if !slices.Contains(keyFileNames, bf.Name) {
			return storage.BackupInfo{}, fmt.Errorf("%w: %s carries an unknown file %q", errBackupDamaged, path, bf.Name)
		}
	}
	return info, nil
}

func orNone(s string) string {
	if s == "" {
		return "(no identity: written by an older release)"
	}
	return s
}

func fileNames(files []storage.BackupFile) string {
	if len(files) == 0 {
		return "none"
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// adminGet asks the running server over its admin socket, copies a 200
// body to w and returns the short body of any answer. A refusal is an
// error, wrapping storage.ErrDamaged when the server found damage.
func adminGet(sock, path string, w io.Writer) (string, error) {
	c := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}
	resp, err := c.Get("http://chelseru" + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		text := strings.TrimSpace(string(msg))
		if resp.Header.Get(damagedHeader) != "" {
			return "", fmt.Errorf("server: %w: %s", storage.ErrDamaged, text)
		}
		return "", fmt.Errorf("server refused: %s", text)
	}
	if w == io.Discard {
		msg, err := io.ReadAll(io.LimitReader(resp.Body, 512))
		return string(msg), err
	}
	_, err = io.Copy(w, resp.Body)
	return "", err
}

// adminError answers an admin request that failed before writing a body.
func adminError(w http.ResponseWriter, err error) {
	if errors.Is(err, storage.ErrDamaged) {
		w.Header().Set(damagedHeader, "1")
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	http.Error(w, msg, http.StatusInternalServerError)
}

// countingWriter notes whether anything was written.
type countingWriter struct {
	w http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// restoreKeys decides whether a backup's files may be restored into cfg's
// data folder: the JWT signing key file must be there unless the config
// supplies the key, the OTP key must be there unless allowNew, every name
// must be a known key file, and a key file already in the folder must hold
// the same key.
func restoreKeys(cfg *config.Config, allowNew bool) func([]storage.BackupFile) error {
	return func(files []storage.BackupFile) error {
		have := map[string]bool{}
		for _, f := range files {
			if !slices.Contains(keyFileNames, f.Name) {
				return fmt.Errorf("%w: the backup carries an unknown file %q", errBackupDamaged, f.Name)
			}
			have[f.Name] = true
			p := filepath.Join(cfg.Server.DataDir, f.Name)
			if cur, err := os.ReadFile(p); err == nil && !bytes.Equal(bytes.TrimSpace(cur), bytes.TrimSpace(f.Data)) {
				return fmt.Errorf("%s already holds another key than the backup's; move it away first", p)
			}
		}
		if !allowNew {
			if !have[config.KeyFileName] && cfg.JWT.SigningKey == "" {
				return errors.New("the backup carries no JWT signing key and the config sets none (JWT.SIGNING_KEY): every restored session would be refused; set the key the server used, or pass --allow-new-keys to sign everyone out")
			}
			if !have[otpKeyName] {
				return errors.New("the backup carries no OTP hashing key: pending codes would be refused; pass --allow-new-keys to accept that")
			}
		}
		return nil
	}
}

// writeKeyFiles writes restored key files (0600, synced, atomically), leaving
// identical ones in place.
func writeKeyFiles(dir string, files []storage.BackupFile) error {
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if cur, err := os.ReadFile(p); err == nil && bytes.Equal(cur, f.Data) {
			continue
		}
		tmp := p + ".tmp"
		fh, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return unwrapOp(err)
		}
		_, err = fh.Write(f.Data)
		if err == nil {
			err = fh.Sync()
		}
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, p)
		}
		if err != nil {
			os.Remove(tmp)
			return unwrapOp(err)
		}
	}
	return nil
}
