package x12

import (
	"errors"
	"fmt"
)

// GS1CheckDigit returns the GS1 mod-10 check digit for a string of digits
// given without its check digit: weights 3 and 1 alternate from the
// rightmost digit, and the check digit brings the sum to a multiple of ten.
func GS1CheckDigit(digits string) (byte, error) {
	if digits == "" {
		return 0, errors.New("x12: no digits for check digit")
	}
	sum := 0
	for i := 0; i < len(digits); i++ {
		c := digits[len(digits)-1-i]
		if !isDigit(c) {
			return 0, fmt.Errorf("x12: %q is not all digits", digits)
		}
		w := 1
		if i%2 == 0 {
			w = 3
		}
		sum += int(c-'0') * w
	}
	return byte('0' + (10-sum%10)%10), nil
}

// ValidSSCC reports whether s is an SSCC-18 with a correct check digit,
// either as 18 digits or as 20 digits led by application identifier "00".
func ValidSSCC(s string) bool { return validSSCC([]byte(s)) }

func validSSCC(b []byte) bool {
	if len(b) == 20 && b[0] == '0' && b[1] == '0' {
		b = b[2:]
	}
	if len(b) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := b[16-i]
		if !isDigit(c) {
			return false
		}
		w := 1
		if i%2 == 0 {
			w = 3
		}
		sum += int(c-'0') * w
	}
	return isDigit(b[17]) && b[17]-'0' == byte((10-sum%10)%10)
}

// NewSSCC builds an SSCC-18 from an extension digit, a GS1 company prefix
// and a serial reference; together they must be 17 digits.
func NewSSCC(extension byte, companyPrefix, serial string) (string, error) {
	body := string(extension) + companyPrefix + serial
	if len(body) != 17 {
		return "", fmt.Errorf("x12: SSCC body %q has %d digits, want 17", body, len(body))
	}
	cd, err := GS1CheckDigit(body)
	if err != nil {
		return "", err
	}
	return body + string(cd), nil
}
