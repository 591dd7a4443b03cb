package money

import (
	"database/sql/driver"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"

	"github.com/skyfold/skyfold/internal/errs"
)

// MaxScale is the number of fractional digits a Decimal keeps. It matches the
// 28 fractional digits CloudKitty stores for hashmap costs.
const MaxScale = 28

// MaxIntegerDigits is the largest number of integer digits Parse accepts.
// CloudKitty's cost columns hold 30; quantities get a little more room.
const MaxIntegerDigits = 40

// maxParseLen bounds the length of a text Parse looks at, so hostile input
// cannot make it build huge numbers.
const maxParseLen = 1000

// Decimal is an exact base-10 number: coefficient × 10^-scale.
//
// Precision: addition, subtraction and comparison are always exact;
// multiplication is exact whenever the product has at most MaxScale (28)
// fractional digits, and is otherwise rounded half-to-even to 28 fractional
// digits (CloudKitty's Python Decimal rounds to 28 significant digits, which
// is never more precise than this). Division (Quo) rounds half-to-even to 28
// fractional digits.
//
// Speed: the coefficient lives in an int64 while it fits, so everyday prices
// and quantities never allocate; an operation whose result would overflow
// int64 switches transparently to math/big. The zero value is 0. Decimal is
// a value type and is safe to copy and share; compare values with Cmp or
// Equal, not ==, since 0.10 and 0.1 are the same number held differently.
type Decimal struct {
	c int64    // coefficient while b == nil; never math.MinInt64
	s int32    // scale: number of fractional digits, 0..MaxScale
	b *big.Int // coefficient when it does not fit c; never mutated once set
}

var (
	// Zero is the decimal 0.
	Zero = Decimal{}
	// One is the decimal 1.
	One = Decimal{c: 1}
)

var pow10 = [19]uint64{
	1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
}

var bigPow10Table = func() [2*MaxScale + 2*MaxIntegerDigits + 2]*big.Int {
	var t [2*MaxScale + 2*MaxIntegerDigits + 2]*big.Int
	ten := big.NewInt(10)
	t[0] = big.NewInt(1)
	for i := 1; i < len(t); i++ {
		t[i] = new(big.Int).Mul(t[i-1], ten)
	}
	return t
}()

// bigPow10 returns 10^n; the result must not be modified.
func bigPow10(n int) *big.Int {
	if n < len(bigPow10Table) {
		return bigPow10Table[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// NewFromInt returns the decimal equal to i.
func NewFromInt(i int64) Decimal {
	if i == math.MinInt64 {
		return Decimal{b: new(big.Int).SetInt64(i)}
	}
	return Decimal{c: i}
}

// New returns coef × 10^-scale; a scale above MaxScale is rounded half-to-even
// and a negative scale multiplies the coefficient.
func New(coef int64, scale int32) Decimal {
	if scale >= 0 && scale <= MaxScale && coef != math.MinInt64 {
		return Decimal{c: coef, s: scale}
	}
	return fromBig(new(big.Int).SetInt64(coef), int(scale))
}

// NewFromBig returns coef × 10^-scale, rounding like New; coef is copied.
func NewFromBig(coef *big.Int, scale int32) Decimal {
	return fromBig(new(big.Int).Set(coef), int(scale))
}

// NewFromFloat returns the decimal written by the shortest representation of
// f that reads back as f (as Python's str(float) and CloudKitty do), so 0.1
// becomes exactly 0.1. NaN and infinities are refused.
func NewFromFloat(f float64) (Decimal, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Decimal{}, errs.E(errs.Invalid, "decimal: %v is not a finite number", f)
	}
	return Parse(strconv.FormatFloat(f, 'g', -1, 64))
}

// MustParse is Parse for constants known to be valid; it panics otherwise.
func MustParse(s string) Decimal {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Parse reads a decimal written as [sign] digits [. digits] [e|E [sign] digits],
// with optional surrounding spaces. Digits beyond MaxScale fractional places
// are rounded half-to-even; more than MaxIntegerDigits integer digits, NaN and
// infinities are refused with an errs.Invalid error.
func Parse(s string) (Decimal, error) {
	d, ok := parse(strings.TrimSpace(s))
	if !ok {
		shown := s
		if len(shown) > 40 {
			shown = shown[:40] + "..."
		}
		return Decimal{}, errs.E(errs.Invalid, "invalid decimal %q", shown)
	}
	return d, nil
}

// TryParse is Parse without the error value: it reports whether s is a
// decimal and never allocates for numbers that fit in an int64.
func TryParse(s string) (Decimal, bool) { return parse(strings.TrimSpace(s)) }

func parse(s string) (Decimal, bool) {
	if len(s) == 0 || len(s) > maxParseLen {
		return Decimal{}, false
	}
	i := 0
	neg := false
	switch s[0] {
	case '+':
		i++
	case '-':
		neg = true
		i++
	}
	var (
		coef      uint64 // significant digits while they fit
		nsig      int    // significant digits seen (leading zeros skipped)
		nfrac     int    // digits after the point
		ndigits   int    // all digits
		seenPoint bool
		bigDigits []byte // all significant digits once there are more than 18
	)
	for ; i < len(s); i++ {
		ch := s[i]
		if ch == '.' {
			if seenPoint {
				return Decimal{}, false
			}
			seenPoint = true
			continue
		}
		if ch < '0' || ch > '9' {
			break
		}
		ndigits++
		if seenPoint {
			nfrac++
		}
		if nsig == 0 && ch == '0' {
			continue
		}
		nsig++
		if nsig <= 18 {
			coef = coef*10 + uint64(ch-'0')
			continue
		}
		if bigDigits == nil {
			bigDigits = strconv.AppendUint(make([]byte, 0, 40), coef, 10)
		}
		bigDigits = append(bigDigits, ch)
	}
	if ndigits == 0 {
		return Decimal{}, false
	}
	exp := 0
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return Decimal{}, false
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return Decimal{}, false
		}
		for ; i < len(s); i++ {
			ch := s[i]
			if ch < '0' || ch > '9' {
				return Decimal{}, false
			}
			exp = exp*10 + int(ch-'0')
			if exp > 10*maxParseLen {
				return Decimal{}, false
			}
		}
		if eneg {
			exp = -exp
		}
	}
	scale := nfrac - exp
	if nsig == 0 || scale > MaxScale+nsig+1 {
		// Zero, or a value too small to survive rounding to MaxScale places.
		return Decimal{}, true
	}
	// Integer digits of the value: significant digits minus those after the point.
	if nsig-scale > MaxIntegerDigits {
		return Decimal{}, false
	}
	if bigDigits == nil && scale >= 0 && scale <= MaxScale {
		c := int64(coef)
		if neg {
			c = -c
		}
		return Decimal{c: c, s: int32(scale)}.trim(), true
	}
	var bc *big.Int
	if bigDigits != nil {
		bc, _ = new(big.Int).SetString(string(bigDigits), 10)
	} else {
		bc = new(big.Int).SetUint64(coef)
	}
	if neg {
		bc.Neg(bc)
	}
	return fromBig(bc, scale).trim(), true
}

// fromBig builds a Decimal from c × 10^-scale, taking ownership of c.
func fromBig(c *big.Int, scale int) Decimal {
	if scale < 0 {
		c.Mul(c, bigPow10(-scale))
		scale = 0
	}
	if scale > MaxScale {
		roundBig(c, scale-MaxScale)
		scale = MaxScale
	}
	if c.IsInt64() && c.Int64() != math.MinInt64 {
		return Decimal{c: c.Int64(), s: int32(scale)}
	}
	// Dropping trailing fractional zeros may bring it back into int64.
	if scale > 0 {
		var q, r big.Int
		ten := bigPow10(1)
		for scale > 0 {
			q.QuoRem(c, ten, &r)
			if r.Sign() != 0 {
				break
			}
			c.Set(&q)
			scale--
		}
		if c.IsInt64() && c.Int64() != math.MinInt64 {
			return Decimal{c: c.Int64(), s: int32(scale)}
		}
	}
	return Decimal{b: c, s: int32(scale)}
}

// roundBig divides c by 10^n in place, rounding half-to-even.
func roundBig(c *big.Int, n int) {
	if n <= 0 {
		return
	}
	p := bigPow10(n)
	neg := c.Sign() < 0
	c.Abs(c)
	var r big.Int
	c.QuoRem(c, p, &r)
	r.Lsh(&r, 1)
	if cmp := r.Cmp(p); cmp > 0 || (cmp == 0 && c.Bit(0) == 1) {
		c.Add(c, bigPow10(0))
	}
	if neg {
		c.Neg(c)
	}
}

// roundDiv64 divides c by 10^n (n <= 18), rounding half-to-even.
func roundDiv64(c int64, n int) int64 {
	if n == 0 {
		return c
	}
	neg := c < 0
	u := uabs(c)
	p := pow10[n]
	q, r := u/p, u%p
	if half := p / 2; r > half || (r == half && q&1 == 1) {
		q++
	}
	if neg {
		return -int64(q)
	}
	return int64(q)
}

func uabs(c int64) uint64 {
	if c < 0 {
		return uint64(-c)
	}
	return uint64(c)
}

// mul64 multiplies, reporting false when the product does not fit.
func mul64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	hi, lo := bits.Mul64(uabs(a), uabs(b))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if (a < 0) != (b < 0) {
		return -int64(lo), true
	}
	return int64(lo), true
}

// add64 adds, reporting false when the sum does not fit.
func add64(a, b int64) (int64, bool) {
	r := a + b
	if (a > 0 && b > 0 && r < 0) || (a < 0 && b < 0 && r >= 0) || r == math.MinInt64 {
		return 0, false
	}
	return r, true
}

// rescale64 multiplies c by 10^n, reporting false on overflow.
func rescale64(c int64, n int32) (int64, bool) {
	if n > 18 {
		return 0, c == 0
	}
	return mul64(c, int64(pow10[n]))
}

// bigCoef returns the coefficient as a big.Int that must not be modified.
func (d Decimal) bigCoef() *big.Int {
	if d.b != nil {
		return d.b
	}
	return big.NewInt(d.c)
}

// trim drops trailing fractional zeros of a small coefficient.
func (d Decimal) trim() Decimal {
	if d.b != nil {
		return d
	}
	if d.c == 0 {
		return Decimal{}
	}
	for d.s > 0 && d.c%10 == 0 {
		d.c /= 10
		d.s--
	}
	return d
}

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.b == nil && d.c == 0 }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int {
	if d.b != nil {
		return d.b.Sign()
	}
	switch {
	case d.c < 0:
		return -1
	case d.c > 0:
		return 1
	}
	return 0
}

// Scale returns the number of fractional digits d is held with.
func (d Decimal) Scale() int32 { return d.s }

// Neg returns -d.
func (d Decimal) Neg() Decimal {
	if d.b != nil {
		return fromBig(new(big.Int).Neg(d.b), int(d.s))
	}
	return Decimal{c: -d.c, s: d.s}
}

// Abs returns |d|.
func (d Decimal) Abs() Decimal {
	if d.Sign() < 0 {
		return d.Neg()
	}
	return d
}

// Add returns d + e, exactly.
func (d Decimal) Add(e Decimal) Decimal {
	if d.b == nil && e.b == nil {
		if d.c == 0 {
			return e
		}
		if e.c == 0 {
			return d
		}
		a, b, s, ok := d.c, e.c, d.s, true
		switch {
		case d.s < e.s:
			a, ok = rescale64(a, e.s-d.s)
			s = e.s
		case e.s < d.s:
			b, ok = rescale64(b, d.s-e.s)
		}
		if ok {
			if r, ok := add64(a, b); ok {
				return Decimal{c: r, s: s}
			}
		}
	}
	s := max(d.s, e.s)
	x := new(big.Int).Mul(d.bigCoef(), bigPow10(int(s-d.s)))
	y := new(big.Int).Mul(e.bigCoef(), bigPow10(int(s-e.s)))
	return fromBig(x.Add(x, y), int(s))
}

// Sub returns d - e, exactly.
func (d Decimal) Sub(e Decimal) Decimal { return d.Add(e.Neg()) }

// Mul returns d × e, exact up to MaxScale fractional digits (see Decimal).
func (d Decimal) Mul(e Decimal) Decimal {
	if d.b == nil && e.b == nil {
		s := d.s + e.s
		if c, ok := mul64(d.c, e.c); ok {
			if s <= MaxScale {
				return Decimal{c: c, s: s}
			}
			if n := s - MaxScale; n <= 18 {
				return Decimal{c: roundDiv64(c, int(n)), s: MaxScale}
			}
		}
	}
	return fromBig(new(big.Int).Mul(d.bigCoef(), e.bigCoef()), int(d.s+e.s))
}

// ErrDivisionByZero is returned by Quo when the divisor is 0.
var ErrDivisionByZero = errs.E(errs.Invalid, "decimal division by zero")

// Quo returns d / e rounded half-to-even to MaxScale fractional digits.
func (d Decimal) Quo(e Decimal) (Decimal, error) {
	if e.IsZero() {
		return Decimal{}, ErrDivisionByZero
	}
	if d.IsZero() {
		return Decimal{}, nil
	}
	// d/e = (dc/10^ds) / (ec/10^es); scale the numerator so that the integer
	// quotient carries MaxScale+1 fractional digits, then round one away.
	shift := MaxScale + 1 + int(e.s) - int(d.s)
	num := new(big.Int).Set(d.bigCoef())
	den := new(big.Int).Set(e.bigCoef())
	if shift >= 0 {
		num.Mul(num, bigPow10(shift))
	} else {
		den.Mul(den, bigPow10(-shift))
	}
	var r big.Int
	num.QuoRem(num, den, &r)
	// A non-zero remainder is sticky: it pushes an exact half upwards.
	if r.Sign() != 0 {
		num.Mul(num, bigPow10(1))
		if num.Sign() < 0 {
			num.Sub(num, bigPow10(0))
		} else {
			num.Add(num, bigPow10(0))
		}
		return fromBig(num, MaxScale+2).trim(), nil
	}
	return fromBig(num, MaxScale+1).trim(), nil
}

// Round returns d rounded half-to-even to places fractional digits (0..MaxScale).
func (d Decimal) Round(places int32) Decimal {
	places = min(max(places, 0), MaxScale)
	if d.s <= places {
		return d
	}
	n := d.s - places
	if d.b == nil {
		return Decimal{c: roundDiv64(d.c, int(n)), s: places}
	}
	c := new(big.Int).Set(d.b)
	roundBig(c, int(n))
	return fromBig(c, int(places))
}

// Cmp returns -1, 0 or +1 as d is less than, equal to or greater than e.
func (d Decimal) Cmp(e Decimal) int {
	if d.b == nil && e.b == nil {
		if d.s == e.s {
			switch {
			case d.c < e.c:
				return -1
			case d.c > e.c:
				return 1
			}
			return 0
		}
		a, b, ok := d.c, e.c, true
		if d.s < e.s {
			a, ok = rescale64(a, e.s-d.s)
		} else {
			b, ok = rescale64(b, d.s-e.s)
		}
		if ok {
			switch {
			case a < b:
				return -1
			case a > b:
				return 1
			}
			return 0
		}
	}
	s := max(d.s, e.s)
	x := new(big.Int).Mul(d.bigCoef(), bigPow10(int(s-d.s)))
	y := new(big.Int).Mul(e.bigCoef(), bigPow10(int(s-e.s)))
	return x.Cmp(y)
}

// Equal reports whether d and e are the same number.
func (d Decimal) Equal(e Decimal) bool { return d.Cmp(e) == 0 }

// IntegerDigits returns how many digits d has before the decimal point
// (0 for values below 1 in magnitude).
func (d Decimal) IntegerDigits() int {
	var n int
	if d.b != nil {
		n = len(new(big.Int).Abs(d.b).Text(10))
	} else {
		u := uabs(d.c)
		for u != 0 {
			n++
			u /= 10
		}
	}
	return max(n-int(d.s), 0)
}

// Float64 returns the nearest float64 (for metrics and display only).
func (d Decimal) Float64() float64 {
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

// digits returns the absolute coefficient in base 10 and the sign.
func (d Decimal) digits() (string, bool) {
	if d.b != nil {
		return new(big.Int).Abs(d.b).Text(10), d.b.Sign() < 0
	}
	return strconv.FormatUint(uabs(d.c), 10), d.c < 0
}

// String formats d with no exponent and no trailing fractional zeros:
// "0.0784", "-12", "0". This is how CloudKitty prints a normalised Decimal.
func (d Decimal) String() string { return d.format(0, -1) }

// StringFixed formats d rounded half-to-even to exactly places fractional
// digits, as CloudKitty's API and CLI show stored costs ("0.00100000" for 8).
func (d Decimal) StringFixed(places int32) string {
	places = min(max(places, 0), MaxScale)
	return d.Round(places).format(int(places), int(places))
}

// StringMinFrac formats d like String but with at least minFrac fractional
// digits; StringMinFrac(1) gives the "1.0" style of CloudKitty's v1 API samples.
func (d Decimal) StringMinFrac(minFrac int) string {
	return d.format(min(max(minFrac, 0), MaxScale), -1)
}

// format writes d with at least minFrac fractional digits and, when maxFrac
// is not negative, no more than maxFrac (d must already be rounded to it).
func (d Decimal) format(minFrac, maxFrac int) string {
	digits, neg := d.digits()
	scale := int(d.s)
	for scale > 0 && len(digits) > 1 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
		scale--
	}
	if digits == "0" {
		neg, scale = false, 0
	}
	intPart, frac := digits, ""
	if scale > 0 {
		if len(digits) <= scale {
			intPart = "0"
			frac = strings.Repeat("0", scale-len(digits)) + digits
		} else {
			intPart, frac = digits[:len(digits)-scale], digits[len(digits)-scale:]
		}
	}
	if maxFrac >= 0 && len(frac) > maxFrac {
		frac = frac[:maxFrac]
	}
	var b strings.Builder
	b.Grow(len(intPart) + len(frac) + minFrac + 2)
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(intPart)
	if len(frac) > 0 || minFrac > 0 {
		b.WriteByte('.')
		b.WriteString(frac)
		for range minFrac - len(frac) {
			b.WriteByte('0')
		}
	}
	return b.String()
}

// MarshalText writes d as String does.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads d with Parse.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes d as a JSON string ("0.0784"): money is never a float.
func (d Decimal) MarshalJSON() ([]byte, error) {
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads a JSON number or a JSON string holding a number; null
// leaves d unchanged.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return d.UnmarshalText([]byte(s))
}

// Value stores d in SQL as its decimal text.
func (d Decimal) Value() (driver.Value, error) { return d.String(), nil }

// Scan reads d from a SQL string, bytes, integer or float (floats through
// their shortest representation); NULL scans as 0.
func (d *Decimal) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Decimal{}
		return nil
	case string:
		return d.UnmarshalText([]byte(v))
	case []byte:
		return d.UnmarshalText(v)
	case int64:
		*d = NewFromInt(v)
		return nil
	case float64:
		f, err := NewFromFloat(v)
		if err != nil {
			return err
		}
		*d = f
		return nil
	}
	return fmt.Errorf("money: cannot scan %T into a Decimal", src)
}
