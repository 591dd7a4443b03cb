package bridgx

import (
	"encoding/json"
	"testing"

	"github.com/skyfold/skyfold/internal/cloud"
)

// TestAnswerWire pins what typed answers send where the wire is unusual: a
// task id as a number, a price only when the catalog has one.
func TestAnswerWire(t *testing.T) {
	raw, err := json.Marshal(answerOf(bridgXTaskID("1234567890123")).Body)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"code":200,"msg":"success","data":1234567890123}` {
		t.Errorf("expand answer: %s", raw)
	}
	if _, err := json.Marshal(bridgXTaskID("not a number")); err == nil {
		t.Error("a task id that is not a number must not go out as one")
	}
	noPrice, _ := json.Marshal(instanceTypeOf(cloud.InstanceType{ID: "ecs.g6.large", CPU: 2, MemoryMiB: 8192}))
	if string(noPrice) != `{"instance_type_family":"","instance_type":"ecs.g6.large","core":2,"memory":8,"memory_mib":8192}` {
		t.Errorf("instance type without a price: %s", noPrice)
	}
	priced, _ := json.Marshal(instanceTypeOf(cloud.InstanceType{ID: "t", MemoryMiB: 1536, HourlyPrice: &cloud.Money{Amount: "0.5", Currency: "CNY"}}))
	var m map[string]any
	_ = json.Unmarshal(priced, &m)
	if m["hourly_price"] != "0.5" || m["currency"] != "CNY" || m["memory"] != float64(2) {
		t.Errorf("instance type with a price: %s", priced)
	}
}
