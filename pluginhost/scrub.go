package pluginhost

import (
	"context"
	"strings"
)

// A plugin's secret settings (the keys its manifest marks secret) never
// reach the log through it: every line it logs through chelseru.log is
// scrubbed of their values (raw, and escaped as in a URL path or query),
// each replaced by ***. This stops accidents and the plain attempt; a
// plugin that encodes a secret some other way before logging it is not
// stopped, which is why the operator chooses which plugin gets the key.

// secretsKey carries a module's secret values in the context of a call
// outside a send (configure), for the log import.
type secretsKey struct{}

// logSecrets returns the secret values of the plugin whose call ctx is.
func logSecrets(ctx context.Context) []string {
	if l, ok := ctx.Value(pluginKey{}).(*callLog); ok && l != nil {
		return l.secrets
	}
	s, _ := ctx.Value(secretsKey{}).([]string)
	return s
}

// scrubLine replaces the secret values in a plugin's log line by ***. When
// the line was cut (truncated), a tail that begins a secret is replaced too,
// so that no prefix of one is left at the cut.
func scrubLine(secrets []string, line string, truncated bool) string {
	for _, v := range secrets {
		if strings.Contains(line, v) {
			line = strings.ReplaceAll(line, v, "***")
		}
	}
	if truncated {
		for _, v := range secrets {
			for n := min(len(v)-1, len(line)); n >= 4; n-- {
				if strings.HasSuffix(line, v[:n]) {
					line = line[:len(line)-n] + "***"
					break
				}
			}
		}
	}
	return line
}
