package x12

import (
	"fmt"
	"math/big"
	"strings"
)

// Decimal is an exact decimal number kept as text, as X12 carries it
// ("12", "12.50", "-3.125"). Quantities and money use it instead of
// float64. The zero value "" means absent.
type Decimal string

// ParseDecimal checks s is an X12 decimal (optional minus, digits, at most
// one decimal point, at least one digit) and returns it unchanged.
func ParseDecimal(s string) (Decimal, error) {
	if _, _, ok := splitDecimal(s); !ok {
		return "", fmt.Errorf("x12: %q is not a decimal number", s)
	}
	return Decimal(s), nil
}

// MustDecimal is ParseDecimal for constants; it panics on bad input.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DecimalFromInt returns n as a Decimal.
func DecimalFromInt(n int64) Decimal { return Decimal(fmt.Sprint(n)) }

// DecimalFromMinor returns units/10^scale, e.g. (1250, 2) is "12.50".
func DecimalFromMinor(units int64, scale int) Decimal {
	if scale <= 0 {
		return DecimalFromInt(units)
	}
	neg := units < 0
	s := new(big.Int).Abs(big.NewInt(units)).String()
	for len(s) <= scale {
		s = "0" + s
	}
	out := s[:len(s)-scale] + "." + s[len(s)-scale:]
	if neg {
		out = "-" + out
	}
	return Decimal(out)
}

// String returns the text.
func (d Decimal) String() string { return string(d) }

// Valid reports whether d is a well-formed decimal.
func (d Decimal) Valid() bool {
	_, _, ok := splitDecimal(string(d))
	return ok
}

// IsZero reports whether d is absent or numerically zero.
func (d Decimal) IsZero() bool {
	r, ok := d.rat()
	return !ok || r.Sign() == 0
}

// Cmp compares d and o numerically (-1, 0, +1). Invalid values compare as zero.
func (d Decimal) Cmp(o Decimal) int {
	a, _ := d.rat()
	b, _ := o.rat()
	return a.Cmp(b)
}

// Add returns d+o, exactly.
func (d Decimal) Add(o Decimal) Decimal {
	a, _ := d.rat()
	b, _ := o.rat()
	scale := max(d.scale(), o.scale())
	return formatRat(new(big.Rat).Add(a, b), scale)
}

// Sub returns d-o, exactly.
func (d Decimal) Sub(o Decimal) Decimal {
	a, _ := d.rat()
	b, _ := o.rat()
	scale := max(d.scale(), o.scale())
	return formatRat(new(big.Rat).Sub(a, b), scale)
}

// Int64 returns d as an integer when it has no fractional part.
func (d Decimal) Int64() (int64, bool) {
	r, ok := d.rat()
	if !ok || !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// MinorUnits returns d*10^scale as an integer, e.g. "12.5" at scale 2 is
// 1250. It fails when d has more significant decimals than scale.
func (d Decimal) MinorUnits(scale int) (int64, error) {
	r, ok := d.rat()
	if !ok {
		return 0, fmt.Errorf("x12: %q is not a decimal number", string(d))
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, fmt.Errorf("x12: %s does not fit %d decimals", string(d), scale)
	}
	return r.Num().Int64(), nil
}

func (d Decimal) scale() int {
	_, frac, _ := splitDecimal(string(d))
	return len(frac)
}

func (d Decimal) rat() (*big.Rat, bool) {
	r := new(big.Rat)
	if d == "" {
		return r, false
	}
	if _, _, ok := splitDecimal(string(d)); !ok {
		return r, false
	}
	s := string(d)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "-.") {
		s = strings.Replace(s, ".", "0.", 1)
	}
	if _, ok := r.SetString(strings.TrimSuffix(s, ".")); !ok {
		return new(big.Rat), false
	}
	return r, true
}

func formatRat(r *big.Rat, scale int) Decimal {
	s := r.FloatString(scale)
	return Decimal(s)
}

// splitDecimal returns the integer and fraction digits of s.
func splitDecimal(s string) (intPart, frac string, ok bool) {
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ = strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return "", "", false
	}
	for _, p := range [2]string{intPart, frac} {
		for i := 0; i < len(p); i++ {
			if !isDigit(p[i]) {
				return "", "", false
			}
		}
	}
	return intPart, frac, true
}

// decAcc sums X12 decimals exactly in an int64 with a common scale; it
// gives up (overflow) rather than round.
type decAcc struct {
	mant     int64
	scale    int
	overflow bool
}

const maxMant = 1 << 62

func (a *decAcc) add(v []byte) {
	if a.overflow {
		return
	}
	m, sc, ok := parseDecBytes(v)
	if !ok {
		a.overflow = true
		return
	}
	for a.scale < sc {
		if a.mant > maxMant/10 || a.mant < -maxMant/10 {
			a.overflow = true
			return
		}
		a.mant *= 10
		a.scale++
	}
	for sc < a.scale {
		if m > maxMant/10 || m < -maxMant/10 {
			a.overflow = true
			return
		}
		m *= 10
		sc++
	}
	a.mant += m
	if a.mant > maxMant || a.mant < -maxMant {
		a.overflow = true
	}
}

func (a *decAcc) equal(b *decAcc) bool {
	x, y := *a, *b
	for x.scale < y.scale {
		x.mant *= 10
		x.scale++
	}
	for y.scale < x.scale {
		y.mant *= 10
		y.scale++
	}
	return x.mant == y.mant
}

func (a *decAcc) String() string { return string(DecimalFromMinor(a.mant, a.scale)) }

func parseDecBytes(v []byte) (int64, int, bool) {
	neg := false
	if len(v) > 0 && v[0] == '-' {
		neg = true
		v = v[1:]
	}
	var m int64
	sc, digits := 0, 0
	dot := false
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			if m > maxMant/10 {
				return 0, 0, false
			}
			m = m*10 + int64(c-'0')
			digits++
			if dot {
				sc++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, 0, false
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	if neg {
		m = -m
	}
	return m, sc, true
}
