package hashmap_test

import (
	"context"
	"fmt"
	"time"

	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
)

// CloudKitty's documented example: 0.001 per GiB, 2 % off from 50 GiB,
// 5 % off from 200 GiB (only the highest threshold applies).
func ExampleCompile() {
	rules := hashmap.Rules{
		Services: []hashmap.Service{{ID: "svc", Name: "volume.size"}},
		Groups:   []hashmap.Group{{ID: "grp", Name: "volume_thresholds"}},
		Mappings: []hashmap.Mapping{{ID: "m", ServiceID: "svc", Type: hashmap.TypeFlat, Cost: money.MustParse("0.001"), GroupID: "grp"}},
		Thresholds: []hashmap.Threshold{
			{ID: "t50", ServiceID: "svc", Level: money.MustParse("50"), Type: hashmap.TypeRate, Cost: money.MustParse("0.98"), GroupID: "grp"},
			{ID: "t200", ServiceID: "svc", Level: money.MustParse("200"), Type: hashmap.TypeRate, Cost: money.MustParse("0.95"), GroupID: "grp"},
		},
	}
	if err := rules.Validate(); err != nil {
		panic(err)
	}
	compiled, err := hashmap.Compile(rules)
	if err != nil {
		panic(err)
	}
	p := rating.NewPipeline()
	_ = p.Register(hashmap.New(compiled), true, 1)

	begin := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := rating.NewDataFrame(begin, begin.Add(time.Hour), "project")
	for _, gib := range []int64{20, 80, 250} {
		f.Add("volume.size", rating.DataPoint{Qty: money.NewFromInt(gib), Unit: "GiB"})
	}
	if err := p.Rate(context.Background(), f); err != nil {
		panic(err)
	}
	for _, pt := range f.Usage["volume.size"] {
		fmt.Println(pt.Qty, pt.Unit, "→", pt.Price)
	}
	// Output:
	// 20 GiB → 0.02
	// 80 GiB → 0.0784
	// 250 GiB → 0.2375
}
