package config_test

import (
	"fmt"

	"github.com/chelseru/chelseru/config"
)

func ExampleParse() {
	c, err := config.Parse([]byte(`
AUTH:
  OPTIONS:
    OTP_LENGTH: 6
SMS:
  SMS_SERVICE: KAVENEGAR_COM
  SETTINGS:
    KAVENEGAR_COM_FROM: 10004346
`))
	fmt.Println(c.Auth.Options.OTPLength, c.SMS.SMSService, c.SMS.Settings["KAVENEGAR_COM_FROM"], c.JWT.AccessTokenLifetime, err)

	_, err = config.Parse([]byte("AUTH:\n  OPTIONS:\n    OTP_LENGTH: 20\n"))
	fmt.Println(err)

	_, err = config.Parse([]byte("SMS:\n  SETINGS: {}\n"))
	fmt.Println(err)
	// Output:
	// 6 KAVENEGAR_COM 10004346 5m0s <nil>
	// AUTH.OPTIONS.OTP_LENGTH must be between 3 and 10, got 20 (line 3)
	// unknown key SMS.SETINGS (line 2); did you mean SMS.SETTINGS?
}
