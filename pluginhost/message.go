package pluginhost

import (
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/sdk/abi"
)

// abiParams converts a message's named template parameters for the ABI.
func abiParams(ps []chelseru.SMSParam) []abi.Param {
	if len(ps) == 0 {
		return nil
	}
	out := make([]abi.Param, len(ps))
	for i, p := range ps {
		out[i] = abi.Param{Name: p.Name, Value: p.Value}
	}
	return out
}

// sendTime is the Message's time member for a plugin with manifest man: 0
// (left out) unless the manifest asks for it, else t in Unix seconds, or now
// when t is zero (the sandbox has no real clock, so a plugin that signs or
// stamps its requests gets the time from here).
func sendTime(man *abi.Manifest, t time.Time) int64 {
	if !man.Time {
		return 0
	}
	if t.IsZero() {
		return time.Now().Unix()
	}
	return t.Unix()
}
