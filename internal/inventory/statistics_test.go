package inventory_test

import (
	"encoding/json"
	"testing"

	"github.com/skyfold/skyfold/internal/inventory"
)

// TestStatisticsJSON: the statistics answer keeps the keys and number
// kinds it had as a map, which the Cloudpods console reads.
func TestStatisticsJSON(t *testing.T) {
	st := inventory.Statistics{Total: 3, Count: 3, ByStatus: map[string]int64{"ready": 2, "deleting": 1}, SizeGB: 40, VCPUCount: 6, VMemSizeMB: 8192}
	raw, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"total": 3.0, "count": 3.0, "by_status": map[string]any{"ready": 2.0, "deleting": 1.0},
		"size_gb": 40.0, "vcpu_count": 6.0, "vmem_size_mb": 8192.0}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Fatalf("statistics JSON %s, want %s", g, w)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
