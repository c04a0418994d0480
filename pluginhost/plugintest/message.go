package plugintest

import (
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/sdk/abi"
)

// smsOf is the chelseru.SMS that makes the host hand the plugin m: its
// named parameters and its time (0: the host's clock) included, so a case
// whose plugin signs with the time replays exactly.
func smsOf(m *abi.Message) chelseru.SMS {
	s := chelseru.SMS{To: m.To, Text: m.Text, TemplateID: m.TemplateID, Vars: m.Vars, Ref: m.Ref}
	for _, p := range m.Params {
		s.Params = append(s.Params, chelseru.SMSParam{Name: p.Name, Value: p.Value})
	}
	if m.Time != 0 {
		s.Time = time.Unix(m.Time, 0)
	}
	return s
}
