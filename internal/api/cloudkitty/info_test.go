package cloudkitty

import (
	"encoding/json"
	"testing"

	"github.com/skyfold/skyfold/internal/rating/collector"
)

// TestMetricConfigMatchesRaw checks that the typed /v1/info/config metrics
// print byte for byte as the collector's own rendering of metrics.yml, in
// CloudKitty's sorted key order.
func TestMetricConfigMatchesRaw(t *testing.T) {
	cfg, err := collector.Parse([]byte(`
metrics:
  instance:
    unit: instance
    alt_name: vm
    description: running instances
    groupby: [id, project_id]
    metadata: [flavor_name]
    mutate: MAP
    mutate_map: {"1": 1, "2": "0.5"}
    extra_args: {resource_type: server}
  volume.size:
    unit: GiB
    factor: 1.5
    offset: -1
    groupby: [id]
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*collector.Config{cfg, collector.Default()} {
		typed := map[string]MetricConfig{}
		for _, m := range c.Metrics {
			typed[m.Name] = metricConfigOf(m)
		}
		got, _ := json.Marshal(typed)
		want, _ := json.Marshal(c.Raw()["metrics"])
		if string(got) != string(want) {
			t.Errorf("metrics\n got %s\nwant %s", got, want)
		}
	}
}
