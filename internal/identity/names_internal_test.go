package identity

import (
	"errors"
	"strings"
	"testing"

	"github.com/skyfold/skyfold/internal/errs"
)

func TestCheckNameRefusesBidiControls(t *testing.T) {
	bidi := []rune{0x200E, 0x200F, 0x061C, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}
	for _, r := range bidi {
		err := checkName("user.name", "admin"+string(r)+"txt")
		var e *errs.Error
		if !errors.As(err, &e) || e.Code != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != "user.name" ||
			!strings.Contains(e.Fields[0].Reason, "bidirectional") {
			t.Errorf("U+%04X: %v", r, err)
		}
	}
	// Right-to-left scripts themselves are names like any other.
	for _, ok := range []string{"مدير", "מנהל", "admin-2", "Zoë", "用户"} {
		if err := checkName("user.name", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
