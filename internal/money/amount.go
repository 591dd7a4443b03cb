package money

// Amount is a sum of money: an exact value in one currency.
type Amount struct {
	// Value is the sum.
	Value Decimal `json:"value"`
	// Currency is the ISO 4217 code; "" when unknown or, after Add, when
	// the sum mixes several currencies.
	Currency string `json:"currency"`
}

// Add returns a + b. The result keeps the currency when both agree and has
// none otherwise, so a total over mixed currencies never passes for one in
// a single currency, while its value still reads as the plain sum that
// CloudKitty-style reports show.
func (a Amount) Add(b Amount) Amount {
	cur := a.Currency
	if a.Currency != b.Currency {
		cur = ""
	}
	return Amount{Value: a.Value.Add(b.Value), Currency: cur}
}

// String prints the value then the currency ("12.5 USD"), or the value
// alone when the currency is unknown.
func (a Amount) String() string {
	if a.Currency == "" {
		return a.Value.String()
	}
	return a.Value.String() + " " + a.Currency
}
