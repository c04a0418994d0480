package token_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/token"
)

func Example() {
	iss, err := token.New(token.Config{
		Algorithm:      token.HS256,
		SigningKey:     []byte("a secret of at least 32 random bytes"),
		AccessLifetime: 5 * time.Minute,
	})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC)
	access, _, err := iss.Issue(token.Access, 42, 7, now)
	if err != nil {
		panic(err)
	}

	c, err := iss.Parse(access, token.Access, now.Add(time.Minute))
	fmt.Println(c.UserID, c.SessionID, c.Type, err)

	// An access token is refused where a refresh token is wanted.
	_, err = iss.Parse(access, token.Refresh, now.Add(time.Minute))
	var e *chelseru.Error
	errors.As(err, &e)
	fmt.Println(e.Code, e.Message, e.Extra["code"])

	// And once expired, it is refused everywhere.
	_, err = iss.Parse(access, token.Access, now.Add(5*time.Minute))
	fmt.Println(errors.Is(err, token.ErrExpired))
	// Output:
	// 42 7 access <nil>
	// unauthorized Token has wrong type token_not_valid
	// true
}
