package config

import "time"

// ImportedTokensCutoff parses JWT.IMPORTED_TOKENS_UNTIL: the zero time when
// it is empty (imported tokens refused), else the RFC 3339 time until which
// tokens simplejwt issued before an import from django-chelseru are
// accepted, only for users that came from the import and only if issued
// before it.
func (c *Config) ImportedTokensCutoff() (time.Time, error) {
	s := c.JWT.ImportedTokensUntil
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, c.errorf("JWT.IMPORTED_TOKENS_UNTIL", "%q is not an RFC 3339 time such as 2026-03-01T00:00:00Z", s)
	}
	return t, nil
}

// validateImported checks JWT.IMPORTED_TOKENS_UNTIL.
func (c *Config) validateImported() error {
	_, err := c.ImportedTokensCutoff()
	return err
}
