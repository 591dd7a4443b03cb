package cost_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cost"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

var t0 = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

func h(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }

func TestInside(t *testing.T) {
	r := cost.Record{ChargePeriodStart: h(0), ChargePeriodEnd: h(4), Periods: 4}
	for _, tc := range []struct {
		b, e        time.Time
		first, last int
	}{
		{time.Time{}, time.Time{}, 0, 4},
		{h(0), h(4), 0, 4},
		{h(1), h(3), 1, 3},
		{h(1).Add(time.Minute), h(3).Add(59 * time.Minute), 2, 3},
		{h(-5), h(1), 0, 1},
		{h(4), h(8), 4, 4},
		{h(-3), h(-1), 0, 0},
		{h(2).Add(1), h(2).Add(2), 3, 3},
	} {
		first, last := r.Inside(tc.b, tc.e)
		if first != tc.first || last != tc.last {
			t.Errorf("Inside(%v, %v) = %d, %d; want %d, %d", tc.b, tc.e, first, last, tc.first, tc.last)
		}
	}
	if b, e := r.Period(2); !b.Equal(h(2)) || !e.Equal(h(3)) {
		t.Errorf("Period(2) = %v, %v", b, e)
	}
}

func rec(sub, svc, res string, from, periods int, qty, price string) cost.Record {
	r := cost.Record{Source: "rating", SubAccountID: sub, ServiceName: svc, ResourceID: res, RunKey: sub + svc + res,
		ChargePeriodStart: h(from), ChargePeriodEnd: h(from + periods), Periods: periods,
		PeriodQuantity: money.MustParse(qty), PeriodCost: money.MustParse(price), PricingUnit: "GiB-hour", BillingCurrency: "USD",
		Attributes: map[string]string{"id": res}, Tags: map[string]string{"team": "a"}}
	r.SetTotals()
	return r
}

func TestRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := cost.New(st.DB)
		recs := []cost.Record{
			rec("p1", "volume.size", "d1", 0, 10, "80", "0.0784"),
			rec("p1", "instance", "vm1", 2, 3, "1", "0.05"),
			rec("p2", "volume.size", "d2", 0, 1, "250", "0.2375"),
		}
		if err := s.Insert(ctx, nil, recs); err != nil {
			t.Fatal(err)
		}
		if recs[0].ID == "" || !recs[0].BillingPeriodStart.Equal(t0) || !recs[0].BillingPeriodEnd.Equal(t0.AddDate(0, 1, 0)) {
			t.Fatalf("prepared record = %+v", recs[0])
		}
		if err := s.Insert(ctx, nil, []cost.Record{{Source: "rating"}}); err == nil {
			t.Fatal("record without a service accepted")
		}
		got, err := s.Query(ctx, nil, cost.Filter{SubAccountIDs: []string{"p1"}})
		if err != nil || len(got) != 2 || got[0].ResourceID != "d1" || got[0].EffectiveCost.String() != "0.784" ||
			got[0].Tags["team"] != "a" || got[0].Attributes["id"] != "d1" || got[0].ListUnitPrice.String() != "0.00098" {
			t.Fatalf("query = %+v, %v", got, err)
		}
		if ends, _ := s.Query(ctx, nil, cost.Filter{EndsAt: h(5)}); len(ends) != 1 || ends[0].ResourceID != "vm1" {
			t.Fatalf("ends at 05:00 = %+v", ends)
		}
		if none, _ := s.Query(ctx, nil, cost.Filter{SubAccountIDs: []string{}}); len(none) != 0 {
			t.Fatalf("empty sub-account list selected %d", len(none))
		}

		// Sums count the sub-periods inside the window.
		sums := func(b, e time.Time, by ...string) string {
			tot, err := s.Sums(ctx, cost.Filter{Begin: b, End: e}, by...)
			if err != nil {
				t.Fatal(err)
			}
			out := ""
			for _, x := range tot {
				out += fmt.Sprintf("[%s %s %s %s]", x.SubAccountID, x.ServiceName, x.Cost.Value, x.Quantity)
			}
			return out
		}
		if got := sums(h(0), h(24)); got != "[  1.1715 1053]" {
			t.Errorf("all = %s", got)
		}
		if got := sums(h(1), h(4), cost.BySubAccount, cost.ByService); got != "[p1 instance 0.1 2][p1 volume.size 0.2352 240]" {
			t.Errorf("01:00-04:00 = %s", got)
		}
		if got := sums(h(0), h(1), cost.BySubAccount); got != "[p1  0.0784 80][p2  0.2375 250]" {
			t.Errorf("00:00-01:00 = %s", got)
		}
		if _, err := s.Sums(ctx, cost.Filter{}, "region"); err == nil {
			t.Error("group by region accepted")
		}
		if subs, err := s.SubAccounts(ctx, cost.Filter{Begin: h(1), End: h(3)}); err != nil || fmt.Sprint(subs) != "[p1]" {
			t.Errorf("sub-accounts = %v, %v", subs, err)
		}

		// Extend and truncate.
		recs[1].ChargePeriodEnd, recs[1].Periods = h(6), 4
		recs[1].SetTotals()
		if err := s.Extend(ctx, nil, recs[1:2]); err != nil {
			t.Fatal(err)
		}
		if err := s.Truncate(ctx, nil, "rating", "p1", h(3)); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Query(ctx, nil, cost.Filter{SubAccountIDs: []string{"p1"}})
		if len(got) != 2 || got[0].Periods != 3 || got[0].EffectiveCost.String() != "0.2352" || got[1].Periods != 1 ||
			!got[1].ChargePeriodEnd.Equal(h(3)) || got[1].PricingQuantity.String() != "1" {
			t.Fatalf("after truncate = %+v", got)
		}
		if err := s.Truncate(ctx, nil, "rating", "p1", h(0)); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.Query(ctx, nil, cost.Filter{SubAccountIDs: []string{"p1"}}); len(got) != 0 {
			t.Fatalf("after truncating everything = %+v", got)
		}
	})
}
