package script

import (
	"fmt"
	"math/big"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"

	"github.com/skyfold/skyfold/internal/money"
)

// decimalValue is a money.Decimal inside Starlark: the type of qty and
// price. It supports + - * / with decimals, ints and floats (either side),
// unary - and +, comparisons with other decimals, hashing, and the methods
// float(), int() and round(places=0).
type decimalValue struct{ d money.Decimal }

var (
	_ starlark.Value      = decimalValue{}
	_ starlark.Comparable = decimalValue{}
	_ starlark.HasBinary  = decimalValue{}
	_ starlark.HasUnary   = decimalValue{}
	_ starlark.HasAttrs   = decimalValue{}
)

// String prints the number as Python's str(Decimal) does for normal values.
func (v decimalValue) String() string        { return v.d.String() }
func (v decimalValue) Type() string          { return "decimal" }
func (v decimalValue) Freeze()               {}
func (v decimalValue) Truth() starlark.Bool  { return starlark.Bool(!v.d.IsZero()) }
func (v decimalValue) Hash() (uint32, error) { return starlark.String(v.d.String()).Hash() }

func (v decimalValue) CompareSameType(op syntax.Token, y starlark.Value, _ int) (bool, error) {
	c := v.d.Cmp(y.(decimalValue).d)
	switch op {
	case syntax.EQL:
		return c == 0, nil
	case syntax.NEQ:
		return c != 0, nil
	case syntax.LT:
		return c < 0, nil
	case syntax.LE:
		return c <= 0, nil
	case syntax.GT:
		return c > 0, nil
	case syntax.GE:
		return c >= 0, nil
	}
	return false, fmt.Errorf("decimal %s decimal not supported", op)
}

// toDecimal converts a Starlark number (decimal, int or float) to a Decimal.
func toDecimal(x starlark.Value) (money.Decimal, bool, error) {
	switch x := x.(type) {
	case decimalValue:
		return x.d, true, nil
	case starlark.Int:
		if i, ok := x.Int64(); ok {
			return money.NewFromInt(i), true, nil
		}
		b := x.BigInt()
		if b.BitLen() > 140 { // more than 42 digits
			return money.Decimal{}, true, fmt.Errorf("int %s is too large for a decimal", x)
		}
		return money.NewFromBig(b, 0), true, nil
	case starlark.Float:
		d, err := money.NewFromFloat(float64(x))
		if err != nil {
			return money.Decimal{}, true, fmt.Errorf("float %s cannot be a decimal", x)
		}
		return d, true, nil
	}
	return money.Decimal{}, false, nil
}

// checked refuses results too large to be a price or a quantity, which
// also stops scripts from building huge numbers within their step budget.
func checked(d money.Decimal) (starlark.Value, error) {
	if d.IntegerDigits() > money.MaxIntegerDigits {
		return nil, fmt.Errorf("decimal overflow: more than %d integer digits", money.MaxIntegerDigits)
	}
	return decimalValue{d}, nil
}

func (v decimalValue) Binary(op syntax.Token, y starlark.Value, side starlark.Side) (starlark.Value, error) {
	other, ok, err := toDecimal(y)
	if !ok || err != nil {
		return nil, err // nil, nil: Starlark reports the unsupported operand
	}
	a, b := v.d, other
	if side == starlark.Right {
		a, b = b, a
	}
	switch op {
	case syntax.PLUS:
		return checked(a.Add(b))
	case syntax.MINUS:
		return checked(a.Sub(b))
	case syntax.STAR:
		return checked(a.Mul(b))
	case syntax.SLASH:
		q, err := a.Quo(b)
		if err != nil {
			return nil, fmt.Errorf("decimal division by zero")
		}
		return checked(q)
	}
	return nil, nil
}

func (v decimalValue) Unary(op syntax.Token) (starlark.Value, error) {
	switch op {
	case syntax.MINUS:
		return decimalValue{v.d.Neg()}, nil
	case syntax.PLUS:
		return v, nil
	}
	return nil, nil
}

var decimalMethods = []string{"float", "int", "round"}

func (v decimalValue) AttrNames() []string { return decimalMethods }

func (v decimalValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "float":
		return starlark.NewBuiltin("float", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 0); err != nil {
				return nil, err
			}
			return starlark.Float(v.d.Float64()), nil
		}).BindReceiver(v), nil
	case "int":
		return starlark.NewBuiltin("int", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 0); err != nil {
				return nil, err
			}
			// Truncate toward zero, as Python's int(Decimal) does.
			whole, _, _ := strings.Cut(v.d.String(), ".")
			i, ok := new(big.Int).SetString(whole, 10)
			if !ok {
				return nil, fmt.Errorf("int: cannot convert %s", v.d)
			}
			return starlark.MakeBigInt(i), nil
		}).BindReceiver(v), nil
	case "round":
		return starlark.NewBuiltin("round", func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			places := 0
			if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 0, &places); err != nil {
				return nil, err
			}
			if places < 0 || places > money.MaxScale {
				return nil, fmt.Errorf("round: places must be between 0 and %d", money.MaxScale)
			}
			return decimalValue{v.d.Round(int32(places))}, nil
		}).BindReceiver(v), nil
	}
	return nil, nil
}

// newDecimal is the Decimal(x) builtin: x is a decimal, an int, a float
// (read through its shortest representation, so Decimal(0.1) is exactly
// 0.1, unlike Python) or a string.
func newDecimal(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value = starlark.MakeInt(0)
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 0, &x); err != nil {
		return nil, err
	}
	if s, ok := x.(starlark.String); ok {
		d, err := money.Parse(string(s))
		if err != nil {
			return nil, fmt.Errorf("%s: invalid decimal %s", b.Name(), s)
		}
		return decimalValue{d}, nil
	}
	d, ok, err := toDecimal(x)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.Name(), err)
	}
	if !ok {
		return nil, fmt.Errorf("%s: cannot convert %s to decimal", b.Name(), x.Type())
	}
	return checked(d)
}

var (
	decimalBuiltin = starlark.NewBuiltin("Decimal", newDecimal)
	// decimalModule lets CloudKitty-style scripts write decimal.Decimal(x).
	decimalModule = &starlarkstruct.Module{Name: "decimal", Members: starlark.StringDict{"Decimal": decimalBuiltin}}
)
