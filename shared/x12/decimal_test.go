package x12

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecimal(t *testing.T) {
	for _, s := range []string{"0", "12", "12.50", "-3.125", ".5", "-.5", "7."} {
		d, err := ParseDecimal(s)
		require.NoError(t, err, s)
		assert.Equal(t, s, d.String(), "kept as written")
	}
	for _, s := range []string{"", "-", ".", "1.2.3", "1e5", "1,5", "12a", " 1"} {
		_, err := ParseDecimal(s)
		assert.Error(t, err, s)
	}
	t.Run("ArithmeticIsExact", func(t *testing.T) {
		assert.Equal(t, Decimal("0.3"), Decimal("0.1").Add("0.2"))
		assert.Equal(t, Decimal("12.50"), Decimal("10.25").Add("2.25"))
		assert.Equal(t, Decimal("-1.5"), Decimal("1").Sub("2.5"))
		assert.Equal(t, 0, Decimal("12.50").Cmp("12.5"))
		assert.Equal(t, -1, Decimal("9.99").Cmp("10"))
		assert.True(t, Decimal("0.00").IsZero())
		assert.True(t, Decimal("").IsZero())
		assert.False(t, Decimal("0.01").IsZero())
	})
	t.Run("MinorUnits", func(t *testing.T) {
		n, err := Decimal("12.5").MinorUnits(2)
		require.NoError(t, err)
		assert.Equal(t, int64(1250), n)
		_, err = Decimal("12.505").MinorUnits(2)
		assert.Error(t, err, "would lose a digit")
		assert.Equal(t, Decimal("12.50"), DecimalFromMinor(1250, 2))
		assert.Equal(t, Decimal("-0.05"), DecimalFromMinor(-5, 2))
		assert.Equal(t, Decimal("7"), DecimalFromMinor(7, 0))
		i, ok := Decimal("24").Int64()
		assert.True(t, ok)
		assert.Equal(t, int64(24), i)
		_, ok = Decimal("2.4").Int64()
		assert.False(t, ok)
	})
	t.Run("HashAccumulator", func(t *testing.T) {
		var a, b decAcc
		for _, v := range []string{"10", "2.5", "-0.25"} {
			a.add([]byte(v))
		}
		b.add([]byte("12.250"))
		assert.True(t, a.equal(&b))
		assert.Equal(t, "12.25", a.String())
		var c decAcc
		c.add([]byte("x"))
		assert.True(t, c.overflow)
		var d decAcc
		d.add([]byte("999999999999999999999"))
		assert.True(t, d.overflow)
	})
	assert.Panics(t, func() { MustDecimal("abc") })
}

func TestGS1CheckDigit(t *testing.T) {
	cd, err := GS1CheckDigit("10614141123456789")
	require.NoError(t, err)
	assert.Equal(t, byte('7'), cd, "GS1's own example")
	assert.True(t, ValidSSCC("106141411234567897"))
	assert.True(t, ValidSSCC("00106141411234567897"), "with AI 00")
	assert.False(t, ValidSSCC("106141411234567890"))
	assert.False(t, ValidSSCC("10614141123456789"))
	assert.False(t, ValidSSCC("1061414112345678X7"))
	assert.False(t, ValidSSCC("01106141411234567897"), "20 digits need AI 00")
	_, err = GS1CheckDigit("12a")
	assert.Error(t, err)
	_, err = GS1CheckDigit("")
	assert.Error(t, err)
	s, err := NewSSCC('1', "0614141", "123456789")
	require.NoError(t, err)
	assert.Equal(t, "106141411234567897", s)
	_, err = NewSSCC('1', "0614141", "12345678")
	assert.Error(t, err)
	// a check digit is never "10"
	for _, body := range []string{"00000000000000000", "99999999999999999", "12345678901234567"} {
		cd, err := GS1CheckDigit(body)
		require.NoError(t, err)
		assert.True(t, cd >= '0' && cd <= '9')
		assert.True(t, ValidSSCC(body+string(cd)))
	}
}

func TestDelimitersValidate(t *testing.T) {
	assert.NoError(t, DefaultDelimiters.Validate())
	assert.NoError(t, Delimiters{Element: '|', Component: '^', Segment: '\n', Repetition: '{'}.Validate())
	for _, d := range []Delimiters{
		{Element: '*', Component: '>'},
		{Element: 'A', Component: '>', Segment: '~'},
		{Element: ' ', Component: '>', Segment: '~'},
		{Element: '*', Component: '*', Segment: '~'},
		{Element: '*', Component: '>', Segment: '~', Repetition: '~'},
	} {
		assert.Error(t, d.Validate(), "%+v", d)
	}
}
