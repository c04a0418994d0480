package main

import (
	"flag"
	"os"

	"github.com/chelseru/chelseru/config"
)

// keyFlags are the command-line flags that set configuration keys (the top
// of the precedence: flags over environment over file over defaults).
type keyFlags struct {
	fs      *flag.FlagSet
	listen  *string
	dataDir *string
}

// addKeyFlags adds --listen and --data-dir to fs.
func addKeyFlags(fs *flag.FlagSet) *keyFlags {
	return &keyFlags{
		fs:      fs,
		listen:  fs.String("listen", "", "listen on `HOST:PORT` (SERVER.LISTEN)"),
		dataDir: fs.String("data-dir", "", "the data folder `DIR` (SERVER.DATA_DIR)"),
	}
}

// flags returns the keys set on the command line (a flag given as "" sets
// the key to "", which validation then names).
func (k *keyFlags) flags() []config.Flag {
	if k == nil {
		return nil
	}
	var out []config.Flag
	k.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "listen":
			out = append(out, config.Flag{Name: "--listen", Key: "SERVER.LISTEN", Value: *k.listen})
		case "data-dir":
			out = append(out, config.Flag{Name: "--data-dir", Key: "SERVER.DATA_DIR", Value: *k.dataDir})
		}
	})
	return out
}

// loadConfig builds the configuration as serve does: defaults, the file at
// path (none when ""), the process environment, then the flags.
func loadConfig(path string, k *keyFlags) (*config.Config, error) {
	return config.LoadSources(config.Sources{File: path, Environ: os.Environ(), Flags: k.flags()})
}
