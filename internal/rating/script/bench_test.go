package script_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating"
	"github.com/skyfold/skyfold/internal/rating/script"
)

const benchScript = `
flavors = {'m1.tiny': Decimal('0.02'), 'm1.small': Decimal('0.04'), 'm1.large': Decimal('0.16')}
volume_types = {'ssd': Decimal('0.003'), 'hdd': Decimal('0.001')}

def price(service, item):
    desc = item['desc']
    qty = item['vol']['qty']
    if service == 'instance':
        return qty * flavors.get(desc.get('flavor_id'), Decimal('0.01'))
    if service == 'volume.size':
        p = qty * volume_types.get(desc.get('volume_type'), Decimal('0.002'))
        if qty > Decimal(200):
            p = p * Decimal('0.95')
        return p
    return 0

for service, items in data['usage'].items():
    for item in items:
        item['rating']['price'] = item['rating']['price'] + price(service, item)
`

func benchScriptFrame(n int) *rating.DataFrame {
	f := rating.NewDataFrame(jan, jan.Add(time.Hour), "project-1")
	flavors := []string{"m1.tiny", "m1.small", "m1.large", "custom"}
	for i := range n {
		id := fmt.Sprintf("res-%d", i)
		if i%2 == 0 {
			f.Add("instance", rating.DataPoint{Qty: money.NewFromInt(1), Unit: "instance",
				GroupBy: map[string]string{"id": id, "project_id": "project-1"}, Metadata: map[string]string{"flavor_id": flavors[i%4]}})
		} else {
			f.Add("volume.size", rating.DataPoint{Qty: money.NewFromInt(int64(10 + i%300)), Unit: "GiB",
				GroupBy: map[string]string{"id": id, "project_id": "project-1"}, Metadata: map[string]string{"volume_type": []string{"ssd", "hdd"}[i%4/2]}})
		}
	}
	return f
}

// BenchmarkScriptRate runs one pricing script over a 3,000-point frame per
// iteration (frame conversion, execution, reading prices back) and reports
// points per second.
func BenchmarkScriptRate(b *testing.B) {
	m := script.New(script.Config{})
	if err := m.Load([]script.Script{{ID: "s", Name: "bench", Data: benchScript}}); err != nil {
		b.Fatal(err)
	}
	f := benchScriptFrame(3000)
	ctx := context.Background()
	points := f.Len()
	b.ReportAllocs()
	for b.Loop() {
		f.ResetPrices()
		if err := m.Rate(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(points*b.N)/b.Elapsed().Seconds(), "points/s")
}

func TestBenchScriptPrices(t *testing.T) {
	m := script.New(script.Config{})
	if err := m.Load([]script.Script{{ID: "s", Name: "bench", Data: benchScript}}); err != nil {
		t.Fatal(err)
	}
	f := benchScriptFrame(8)
	if err := m.Rate(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	// instance[0]: m1.tiny 0.02; volume.size[0] (i=1): 11 GiB ssd × 0.003.
	if a, b := f.Usage["instance"][0].Price.String(), f.Usage["volume.size"][0].Price.String(); a != "0.02" || b != "0.033" {
		t.Fatalf("prices = %s, %s", a, b)
	}
}
