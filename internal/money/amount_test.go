package money_test

import (
	"testing"

	"github.com/skyfold/skyfold/internal/money"
)

func TestAmountAdd(t *testing.T) {
	usd := func(s string) money.Amount { return money.Amount{Value: money.MustParse(s), Currency: "USD"} }
	tests := []struct {
		name string
		a, b money.Amount
		want string
	}{
		{"same currency", usd("1.10"), usd("2.2"), "3.3 USD"},
		{"mixed currencies", usd("1"), money.Amount{Value: money.MustParse("2"), Currency: "EUR"}, "3"},
		{"unknown stays unknown", money.Amount{Value: money.MustParse("1")}, usd("1"), "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Add(tt.b).String(); got != tt.want {
				t.Errorf("Add = %q, want %q", got, tt.want)
			}
		})
	}
}
