package cloudpods

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/skyfold/skyfold/internal/inventory"
)

func marshal(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestResourceViewKeys pins what the typed view sends: the driver's data
// under the view's own fields, kind-specific fields present even when
// zero, and nothing for fields another kind has.
func TestResourceViewKeys(t *testing.T) {
	f := &Face{}
	server := &inventory.Resource{ID: "r1", Name: "web", Kind: inventory.KindServer,
		Data: json.RawMessage(`{"name":"from-driver","os_type":"linux","size":12345678901234567}`)}
	m := marshal(t, f.resourceView(t.Context(), f.newNames(), server, true))
	if m["name"] != "web" || m["os_type"] != "linux" {
		t.Errorf("own fields must win over the data, which must still show: %v", m)
	}
	for _, k := range []string{"vcpu_count", "vmem_size", "instance_type", "ips"} {
		if _, ok := m[k]; !ok {
			t.Errorf("a server without %s must still send it", k)
		}
	}
	for _, k := range []string{"disk_size", "size_bytes", "billing_type", "account", "cloudregion", "task_id"} {
		if _, ok := m[k]; ok {
			t.Errorf("a server must not send %s", k)
		}
	}
	if m := marshal(t, f.resourceView(t.Context(), f.newNames(), server, false)); m["os_type"] != nil {
		t.Errorf("without details the data must not show: %v", m)
	}

	disk := &inventory.Resource{Kind: inventory.KindDisk, SizeGB: 2}
	if m := marshal(t, f.resourceView(t.Context(), f.newNames(), disk, false)); m["disk_size"] != float64(2048) {
		t.Errorf("disk_size = %v, want 2048 (MB)", m["disk_size"])
	}

	bucket := &inventory.Resource{Kind: inventory.KindBucket, Data: json.RawMessage(`{"size_bytes":7}`)}
	m = marshal(t, f.resourceView(t.Context(), f.newNames(), bucket, true))
	if _, has := m["object_cnt"]; m["size_bytes"] != float64(7) || has {
		t.Errorf("a bucket's size from the data must stay, alone: %v", m)
	}
	m = marshal(t, f.resourceView(t.Context(), f.newNames(), bucket, false))
	if m["size_bytes"] != float64(0) || m["object_cnt"] != float64(0) {
		t.Errorf("a bucket without data must send zero sizes: %v", m)
	}
}

// TestResourceViewKeepsBigNumbers: the driver's numbers pass through as
// written, not through a float.
func TestResourceViewKeepsBigNumbers(t *testing.T) {
	f := &Face{}
	r := &inventory.Resource{Kind: inventory.KindVPC, Data: json.RawMessage(`{"size":12345678901234567}`)}
	raw, err := json.Marshal(f.resourceView(t.Context(), f.newNames(), r, true))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	if string(m["size"]) != "12345678901234567" {
		t.Errorf("size = %s", m["size"])
	}
}

func TestQuotaFlatForm(t *testing.T) {
	q := cloudpodsQuota{ProjectID: "p", Items: []inventory.QuotaItem{{Name: "cpu", Limit: 8, Used: 3}}}
	m := marshal(t, q)
	if m["cpu"] != float64(8) || m["usage.cpu"] != float64(3) || m["project_id"] != "p" {
		t.Errorf("flat form: %v", m)
	}
	if _, ok := m["error"]; ok {
		t.Errorf("error sent without one: %v", m)
	}
	q.Error = "unreachable"
	if m := marshal(t, q); m["error"] != "unreachable" {
		t.Errorf("error = %v", m["error"])
	}
	if m := marshal(t, cloudpodsQuota{}); !reflect.DeepEqual(m["items"], nil) {
		t.Errorf("no items must stay null: %v", m["items"])
	}
}

func TestListUnderItsKey(t *testing.T) {
	m := marshal(t, cloudpodsList[cloudpodsZone]{key: "zones", Total: 0, Limit: 20})
	if l, ok := m["zones"].([]any); !ok || len(l) != 0 || m["limit"] != float64(20) || m["total"] != float64(0) {
		t.Errorf("list: %v", m)
	}
}
