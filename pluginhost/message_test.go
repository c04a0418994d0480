package pluginhost

import (
	"reflect"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/sdk/abi"
)

// TestMessageMembers: the clock goes only to a plugin whose manifest asks
// for it (the message's own time when set, else now); named parameters are
// carried over as they are.
func TestMessageMembers(t *testing.T) {
	at := time.Unix(1767225600, 0)
	if got := sendTime(&abi.Manifest{}, at); got != 0 {
		t.Errorf("without \"time\" in the manifest: %d, want 0 (left out)", got)
	}
	if got := sendTime(&abi.Manifest{Time: true}, at); got != 1767225600 {
		t.Errorf("the message's time: %d", got)
	}
	before := time.Now().Unix()
	if got := sendTime(&abi.Manifest{Time: true}, time.Time{}); got < before || got > time.Now().Unix() {
		t.Errorf("now: %d", got)
	}
	if abiParams(nil) != nil {
		t.Error("no params should stay nil (the member left out)")
	}
	got := abiParams([]chelseru.SMSParam{{Name: "CODE", Value: "4821"}})
	if !reflect.DeepEqual(got, []abi.Param{{Name: "CODE", Value: "4821"}}) {
		t.Errorf("abiParams = %+v", got)
	}
}
