package sdk

import (
	"strings"
	"testing"
)

// stubPlugin is a Plugin value for the registry; its methods are never called.
type stubPlugin struct{ Plugin }

func TestRegisterPanicsOnDuplicate(t *testing.T) {
	var slot Plugin
	first, second := stubPlugin{}, &stubPlugin{}
	register(&slot, first)
	if slot != Plugin(first) {
		t.Fatal("first registration not stored")
	}
	for _, tc := range []struct {
		name, want string
		p          Plugin
	}{
		{"duplicate", "Register called twice", second},
		{"nil", "nil plugin", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tc.want) {
					t.Errorf("panic = %v, want one containing %q", r, tc.want)
				}
				if slot != Plugin(first) {
					t.Error("the first registration was replaced")
				}
			}()
			register(&slot, tc.p)
		})
	}
}
