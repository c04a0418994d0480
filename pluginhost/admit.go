package pluginhost

import (
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/chelseru/chelseru/pluginhost/builtin"
)

// What a module must pass, beyond its ABI, before it serves the operator's
// settings (docs/plugin-abi.md § 7 and § 8):
//
//   - Its name is not a prefix (NAME_) of another service's name, built-in
//     or named in the config: its own keys (NAME_…) would otherwise include
//     the other's (a plugin named KAVENEGAR and KAVENEGAR_COM_API_KEY).
//   - A module from PluginsDir that declares a built-in's name replaces the
//     built-in only with the operator's opt-in: its name in
//     SMS.PLUGIN_OVERRIDES or a sha256 pin in SMS.PLUGIN_SHA256; it is then
//     logged at WARN. Without one it is refused with one line and the
//     built-in serves.
//   - PluginsDir and the module file are not writable by group or others
//     (as the key files are checked): whoever can write there chooses the
//     code that receives the API key and every code sent.

// originBuiltin is a module's origin when it is embedded in the binary.
const originBuiltin = "built-in"

func isBuiltinName(name string) bool { return slices.Contains(builtin.Names(), name) }

// checkNamePrefix refuses a name that is a prefix of another service's
// name among others.
func checkNamePrefix(name string, others []string) error {
	for _, o := range others {
		if o != name && strings.HasPrefix(o, name+"_") {
			return fmt.Errorf("plugin name %s is a prefix of the service %s: it would receive that service's settings (%s_…); give the plugin another name", name, o, o)
		}
	}
	return nil
}

// serviceNames lists the services the config names: SMS_SERVICE and the
// keys of the per-service settings (pins, allowed hosts, overrides).
func (c *Config) serviceNames() []string {
	names := []string{c.Service}
	for k := range c.Pins {
		names = append(names, strings.ToUpper(k))
	}
	for k := range c.AllowedHosts {
		names = append(names, strings.ToUpper(k))
	}
	for _, k := range c.Overrides {
		names = append(names, strings.ToUpper(k))
	}
	return names
}

// admit checks a loaded module against the operator's config before it is
// prepared as the service: the name rule against the configured services,
// and, for a module from PluginsDir that declares a built-in's name, the
// opt-in. The error is one line; the module is not discarded.
func (h *Host) admit(m *module) error {
	if err := checkNamePrefix(m.name, h.cfg.serviceNames()); err != nil {
		return err
	}
	if m.origin == originBuiltin || !isBuiltinName(m.name) {
		return nil
	}
	if !h.overrideAllowed(m.name) {
		return fmt.Errorf("%s: overrides the built-in plugin %s without the operator's opt-in; refused (to use it: SMS.PLUGIN_OVERRIDES: [%s], or pin its sha256 in SMS.PLUGIN_SHA256.%s)",
			m.origin, m.name, m.name, m.name)
	}
	h.log.Warn("sms plugin from PLUGINS_DIR overrides the built-in one (operator opt-in)",
		"plugin", m.name, "origin", m.origin, "sha256", m.sha)
	return nil
}

// overrideAllowed reports whether the operator opted in to replacing the
// built-in name from PluginsDir.
func (h *Host) overrideAllowed(name string) bool {
	for _, o := range h.cfg.Overrides {
		if strings.EqualFold(o, name) {
			return true
		}
	}
	return h.cfg.Pins[name] != ""
}

// openWritable is the group/other write bits.
const openWritable = 0o022

// checkDirMode refuses a PluginsDir that group or others may write to (or
// that is not a folder). A missing folder is fine: it is empty.
func checkDirMode(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("PLUGINS_DIR %s is not a folder", dir)
	}
	return checkMode("PLUGINS_DIR "+dir, dir, st.Mode())
}

// checkMode refuses a mode with group or other write permission.
func checkMode(what, path string, mode fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	if perm := mode.Perm(); perm&openWritable != 0 {
		return fmt.Errorf("%s is writable by group or others (mode %#o); refused: run chmod go-w %s", what, perm, path)
	}
	return nil
}
