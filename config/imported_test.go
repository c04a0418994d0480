package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestImportedTokensUntil: empty is off, an RFC 3339 time is the cut-off,
// anything else is one error naming the key.
func TestImportedTokensUntil(t *testing.T) {
	c := Default()
	if got, err := c.ImportedTokensCutoff(); err != nil || !got.IsZero() {
		t.Fatalf("default: %v %v", got, err)
	}
	c.JWT.ImportedTokensUntil = "2027-03-01T00:00:00Z"
	if got, err := c.ImportedTokensCutoff(); err != nil || !got.Equal(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("set: %v %v", got, err)
	}
	c.JWT.ImportedTokensUntil = "next spring"
	err := c.validateImported()
	var ce *Error
	if !errors.As(err, &ce) || ce.Key != "JWT.IMPORTED_TOKENS_UNTIL" || !strings.Contains(err.Error(), "RFC 3339") {
		t.Fatalf("bad value: %v", err)
	}
}
