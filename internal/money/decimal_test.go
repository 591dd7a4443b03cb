package money_test

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/money"
)

func d(s string) money.Decimal { return money.MustParse(s) }

func TestParseString(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"0", "0"},
		{"-0", "0"},
		{"0.000", "0"},
		{"1", "1"},
		{"+1.50", "1.5"},
		{"-1.50", "-1.5"},
		{".5", "0.5"},
		{"5.", "5"},
		{"0.00100000", "0.001"},
		{"1e3", "1000"},
		{"1.5E-3", "0.0015"},
		{"  42  ", "42"},
		{"123456789012345678901234567890", "123456789012345678901234567890"},
		{"0.0000000000000000000000000001", "0.0000000000000000000000000001"},
		{"0.00000000000000000000000000005", "0"}, // half-even to 28 places
		{"0.00000000000000000000000000015", "0.0000000000000000000000000002"},
		{"0.00000000000000000000000000025", "0.0000000000000000000000000002"},
		{"9223372036854775807", "9223372036854775807"},
		{"-9223372036854775808", "-9223372036854775808"},
		{"1e-9999", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := money.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got.String() != tt.want {
				t.Fatalf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", " ", "-", "+", ".", "1..2", "1.2.3", "abc", "NaN", "Infinity", "1e", "1e+", "1x", "0x10", "1_000",
		"1e41", strings.Repeat("9", 41), strings.Repeat("1", 1001)} {
		t.Run(in, func(t *testing.T) {
			_, err := money.Parse(in)
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("Parse(%q) err = %v, want invalid", in, err)
			}
		})
	}
}

func TestArithmetic(t *testing.T) {
	tests := []struct {
		name string
		got  money.Decimal
		want string
	}{
		{"add scales", d("0.1").Add(d("0.02")), "0.12"},
		{"add neg", d("1").Add(d("-1.0001")), "-0.0001"},
		{"sub", d("5").Sub(d("0.75")), "4.25"},
		{"mul", d("0.001").Mul(d("80")).Mul(d("0.98")), "0.0784"},
		{"mul 250", d("0.001").Mul(d("250")).Mul(d("0.95")), "0.2375"},
		{"mul neg", d("-1.5").Mul(d("2")), "-3"},
		{"mul overflow to big", d("9223372036854775807").Mul(d("10")), "92233720368547758070"},
		{"big back to small", d("92233720368547758070").Mul(d("0.1")), "9223372036854775807"},
		{"add overflow", d("9223372036854775807").Add(d("1")), "9223372036854775808"},
		{"mul rounds 28", d("0.00000000000001").Mul(d("0.000000000000015")), "0.0000000000000000000000000002"},
		{"mul rounds half even", d("0.00000000000001").Mul(d("0.000000000000025")), "0.0000000000000000000000000002"},
		{"neg", d("3.5").Neg(), "-3.5"},
		{"abs", d("-3.5").Abs(), "3.5"},
		{"round", d("2.345").Round(2), "2.34"},
		{"round up", d("2.355").Round(2), "2.36"},
		{"round neg", d("-2.355").Round(2), "-2.36"},
		{"newint", money.NewFromInt(math.MinInt64), "-9223372036854775808"},
		{"new", money.New(12345, 3), "12.345"},
		{"new neg scale", money.New(12, -3), "12000"},
		{"new big scale", money.New(15, 29), "0.0000000000000000000000000002"},
		{"newbig", money.NewFromBig(big.NewInt(7), 2), "0.07"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got.String() != tt.want {
				t.Fatalf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
}

func TestQuo(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"1", "3", "0.3333333333333333333333333333"},
		{"2", "3", "0.6666666666666666666666666667"},
		{"-2", "3", "-0.6666666666666666666666666667"},
		{"1", "8", "0.125"},
		{"10", "0.5", "20"},
		{"0", "7", "0"},
		{"1", "0.0000000000000000000000000002", "5000000000000000000000000000"},
	}
	for _, tt := range tests {
		got, err := d(tt.a).Quo(d(tt.b))
		if err != nil || got.String() != tt.want {
			t.Errorf("%s/%s = %s, %v; want %s", tt.a, tt.b, got, err, tt.want)
		}
	}
	if _, err := d("1").Quo(money.Zero); err == nil {
		t.Error("division by zero: no error")
	}
}

func TestCmp(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"0.1", "0.10", 0},
		{"1", "0.999", 1},
		{"-1", "0", -1},
		{"50", "50.0000001", -1},
		{"100000000000000000000", "99999999999999999999.9", 1},
		{"0.0000000000000000000000000001", "0", 1},
	}
	for _, tt := range tests {
		if got := d(tt.a).Cmp(d(tt.b)); got != tt.want {
			t.Errorf("Cmp(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := d(tt.b).Cmp(d(tt.a)); got != -tt.want {
			t.Errorf("Cmp(%s, %s) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"fixed 8", d("0.001").StringFixed(8), "0.00100000"},
		{"fixed 8 level", d("50").StringFixed(8), "50.00000000"},
		{"fixed round", d("0.123456789").StringFixed(8), "0.12345679"},
		{"fixed 0", d("2.5").StringFixed(0), "2"},
		{"min frac int", d("1").StringMinFrac(1), "1.0"},
		{"min frac keep", d("0.0784").StringMinFrac(1), "0.0784"},
		{"min frac zero", money.Zero.StringMinFrac(1), "0.0"},
		{"neg small", d("-0.05").String(), "-0.05"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
}

func TestFloatJSONScan(t *testing.T) {
	f, err := money.NewFromFloat(0.1)
	if err != nil || f.String() != "0.1" {
		t.Fatalf("NewFromFloat(0.1) = %s, %v", f, err)
	}
	if _, err := money.NewFromFloat(math.NaN()); err == nil {
		t.Fatal("NaN accepted")
	}
	var v struct{ P money.Decimal }
	if err := json.Unmarshal([]byte(`{"P": 0.0784}`), &v); err != nil || v.P.String() != "0.0784" {
		t.Fatalf("unmarshal number: %s %v", v.P, err)
	}
	if err := json.Unmarshal([]byte(`{"P": "1.25"}`), &v); err != nil || v.P.String() != "1.25" {
		t.Fatalf("unmarshal string: %s %v", v.P, err)
	}
	if err := json.Unmarshal([]byte(`{"P": "x"}`), &v); err == nil {
		t.Fatal("bad string accepted")
	}
	b, _ := json.Marshal(struct{ P money.Decimal }{d("0.2375")})
	if string(b) != `{"P":"0.2375"}` {
		t.Fatalf("marshal: %s", b)
	}
	var s money.Decimal
	for _, src := range []any{"1.5", []byte("1.5"), int64(3), 1.5, nil} {
		if err := s.Scan(src); err != nil {
			t.Fatalf("Scan(%v): %v", src, err)
		}
	}
	if err := s.Scan(true); err == nil {
		t.Fatal("Scan(bool) accepted")
	}
	if v, _ := d("3.25").Value(); v != "3.25" {
		t.Fatalf("Value = %v", v)
	}
}

func TestIntegerDigits(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "0.5": 0, "9.99": 1, "12345": 5, "-1000": 4, "123456789012345678901234": 24} {
		if got := d(in).IntegerDigits(); got != want {
			t.Errorf("IntegerDigits(%s) = %d, want %d", in, got, want)
		}
	}
}

// ratOf converts through text, so it checks Decimal against math/big.Rat.
func ratOf(x money.Decimal) *big.Rat {
	r, ok := new(big.Rat).SetString(x.String())
	if !ok {
		panic("bad decimal text " + x.String())
	}
	return r
}

func randDecimal(r *rand.Rand) money.Decimal {
	var coef int64
	switch r.IntN(4) {
	case 0:
		coef = r.Int64N(1000)
	case 1:
		coef = r.Int64N(1_000_000_000)
	default:
		coef = r.Int64() >> uint(r.IntN(40))
	}
	if r.IntN(2) == 0 {
		coef = -coef
	}
	return money.New(coef, int32(r.IntN(13)))
}

func TestAgainstBigRat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		a, b := randDecimal(r), randDecimal(r)
		ra, rb := ratOf(a), ratOf(b)
		if got, want := ratOf(a.Add(b)), new(big.Rat).Add(ra, rb); got.Cmp(want) != 0 {
			t.Fatalf("#%d %s + %s = %s, want %s", i, a, b, got.FloatString(30), want.FloatString(30))
		}
		if got, want := ratOf(a.Sub(b)), new(big.Rat).Sub(ra, rb); got.Cmp(want) != 0 {
			t.Fatalf("#%d %s - %s = %s", i, a, b, got.FloatString(30))
		}
		// Scales stay <= 24 here, so products are exact.
		if got, want := ratOf(a.Mul(b)), new(big.Rat).Mul(ra, rb); got.Cmp(want) != 0 {
			t.Fatalf("#%d %s * %s = %s, want %s", i, a, b, got.FloatString(30), want.FloatString(30))
		}
		if got, want := a.Cmp(b), ra.Cmp(rb); got != want {
			t.Fatalf("#%d Cmp(%s, %s) = %d, want %d", i, a, b, got, want)
		}
		if back := d(a.String()); !back.Equal(a) {
			t.Fatalf("#%d round trip %s -> %s", i, a, back)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "1.5", "-0.001", "1e10", "1E-30", "123456789012345678901234567890.123", " 7 ", "abc", "1..", "9e40"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, err := money.Parse(s)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("Parse(%q) error without invalid code: %v", s, err)
			}
			return
		}
		out := x.String()
		y, err := money.Parse(out)
		if err != nil {
			t.Fatalf("Parse(String(%q)) = %q: %v", s, out, err)
		}
		if !x.Equal(y) || y.String() != out {
			t.Fatalf("round trip %q -> %q -> %q", s, out, y)
		}
		if x.IntegerDigits() > money.MaxIntegerDigits || x.Scale() > money.MaxScale {
			t.Fatalf("Parse(%q) = %s out of range", s, out)
		}
		// Plain text with at most MaxScale fractional digits is read exactly.
		plain := strings.TrimSpace(s)
		if r, ok := new(big.Rat).SetString(plain); ok && !strings.ContainsAny(plain, "eE/") {
			if _, frac, _ := strings.Cut(plain, "."); len(frac) <= money.MaxScale && ratOf(x).Cmp(r) != 0 {
				t.Fatalf("Parse(%q) = %s, big.Rat reads %s", s, out, r.FloatString(money.MaxScale))
			}
		}
	})
}

func FuzzArithmetic(f *testing.F) {
	f.Add("1.5", "2.25")
	f.Add("-0.001", "99999999999999999999")
	f.Add("0.0000000000001", "0.00000000000001")
	f.Fuzz(func(t *testing.T, as, bs string) {
		a, err1 := money.Parse(as)
		b, err2 := money.Parse(bs)
		if err1 != nil || err2 != nil {
			return
		}
		ra, rb := ratOf(a), ratOf(b)
		if got := ratOf(a.Add(b)); got.Cmp(new(big.Rat).Add(ra, rb)) != 0 {
			t.Fatalf("%s + %s = %s", a, b, a.Add(b))
		}
		if a.Cmp(b) != ra.Cmp(rb) {
			t.Fatalf("Cmp(%s, %s) wrong", a, b)
		}
		if a.Scale()+b.Scale() <= money.MaxScale {
			if got := ratOf(a.Mul(b)); got.Cmp(new(big.Rat).Mul(ra, rb)) != 0 {
				t.Fatalf("%s * %s = %s", a, b, a.Mul(b))
			}
		}
	})
}
