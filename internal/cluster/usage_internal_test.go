package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// TestUsage checks running time and cost of a day from recorded running
// intervals: clipped to the day in the configured zone, open intervals
// counted up to now, prices exact to four decimals, unpriced time apart.
func TestUsage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		cst := time.FixedZone("CST", 8*3600)
		now := time.Date(2021, 11, 19, 12, 0, 0, 0, cst)
		s := New(st.DB, nil, nil, nil, Config{Now: func() time.Time { return now }})
		at := func(d, h, m int) time.Time { return time.Date(2021, 11, d, h, m, 0, 0, cst).UTC() }
		stop := func(t time.Time) *time.Time { return &t }
		ivs := []Interval{
			// Inside 18 Nov: 10:16:53 → 11:21:27 (3874 s) at 0.0850/h.
			{InstanceID: "i-1", StartedAt: time.Date(2021, 11, 18, 10, 16, 53, 0, cst).UTC(), StoppedAt: stop(time.Date(2021, 11, 18, 11, 21, 27, 0, cst).UTC()), HourlyPrice: "0.085", Currency: "CNY"},
			// Across midnight into 18 Nov: counts 01:00 of it.
			{InstanceID: "i-2", StartedAt: at(17, 23, 0), StoppedAt: stop(at(18, 1, 0)), HourlyPrice: "1", Currency: "CNY"},
			// Started on the 18th and still running: counts to midnight.
			{InstanceID: "i-3", StartedAt: at(18, 23, 30), HourlyPrice: "", Currency: ""},
			// Another cluster and another day.
			{InstanceID: "i-4", ClusterName: "other", StartedAt: at(18, 0, 0), StoppedAt: stop(at(18, 1, 0)), HourlyPrice: "2", Currency: "CNY"},
			{InstanceID: "i-5", StartedAt: at(16, 0, 0), StoppedAt: stop(at(17, 0, 0)), HourlyPrice: "2", Currency: "CNY"},
		}
		for i := range ivs {
			if ivs[i].ClusterName == "" {
				ivs[i].ClusterName = "gf.scheduler.test"
			}
			ivs[i].CloudaccountID, ivs[i].ClusterID = "a1", "c1"
		}
		if _, err := st.DB.NewInsert().Model(&ivs).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		tot, err := s.UsageTotal(ctx, inventory.SystemScope, UsageQuery{ClusterName: "gf.scheduler.test", Date: "2021-11-18"})
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(3874 + 3600 + 1800); tot.Seconds != want {
			t.Fatalf("seconds %d, want %d", tot.Seconds, want)
		}
		// 3874 s × 0.085/h = 0.09146944… → 0.0915; 3600 s × 1/h = 1.
		if tot.Costs["CNY"] != "1.0915" || tot.Unpriced != 1800 {
			t.Fatalf("cost %v unpriced %d", tot.Costs, tot.Unpriced)
		}
		page, err := s.UsageStatistics(ctx, inventory.SystemScope, UsageQuery{Date: "2021-11-18", Page: listing.Params{Limit: 10}})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 4 || page.Items[0].InstanceID != "i-2" || page.Items[0].Seconds != 3600 {
			t.Fatalf("statistics: %d %+v", page.Total, page.Items)
		}
		// The seed labels dates yyyy-dd-mm: a date only valid that way is read so.
		if d, err := ParseDate("2021-18-11", cst); err != nil || d.Day() != 18 || d.Month() != 11 {
			t.Fatalf("yyyy-dd-mm: %v %v", d, err)
		}
		if _, err := ParseDate("18/11/2021", cst); err == nil {
			t.Fatal("a slashed date was accepted")
		}
	})
}
