package cloudkitty_test

import (
	"testing"

	"github.com/skyfold/skyfold/internal/store/storetest"
)

// TestNumericRanges checks that numbers outside the range CloudKitty's
// columns hold, or without meaning (negative volumes and priorities), are
// refused with 400 naming the field, and that nothing is stored.
func TestNumericRanges(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			c := startApp(t, kind)
			svcID, _ := setupExample(c)
			const huge = "99999999999999999999999999"
			for _, f := range []struct {
				name, method, path string
				body               any
				text               string
			}{
				{"negative volume", "POST", "/v1/rating/quote", map[string]any{"resources": []any{
					map[string]any{"service": "volume.size", "volume": "1"},
					map[string]any{"service": "volume.size", "volume": -3}}},
					"Invalid input for field/attribute volume. Value: '-3'. Value must not be negative"},
				{"negative priority", "PUT", "/v1/rating/modules/hashmap", map[string]any{"priority": -1},
					"Invalid input for field/attribute priority. Value: '-1'. Value must be between 0 and 2147483647"},
				{"priority above int32", "PUT", "/v1/rating/modules/hashmap", map[string]any{"priority": 2147483648},
					"Invalid input for field/attribute priority. Value: '2147483648'. Value must be between 0 and 2147483647"},
				{"huge mapping cost", "POST", hm + "/mappings", map[string]any{"service_id": svcID, "cost": huge, "type": "flat", "tenant_id": "t1"},
					"Invalid input for field/attribute cost. Value: '" + huge + "'. Value should have at most 12 digits before the decimal point"},
				{"huge threshold cost", "POST", hm + "/thresholds", map[string]any{"service_id": svcID, "level": "5", "cost": huge, "type": "flat"},
					"Invalid input for field/attribute cost. Value: '" + huge + "'. Value should have at most 12 digits before the decimal point"},
				{"huge level", "POST", hm + "/thresholds", map[string]any{"service_id": svcID, "level": huge, "cost": "1", "type": "flat"},
					"Invalid input for field/attribute level. Value: '" + huge + "'. Value should have at most 12 digits before the decimal point and 8 after"},
				{"level too fine", "POST", hm + "/thresholds", map[string]any{"service_id": svcID, "level": "1.000000001", "cost": "1", "type": "flat"},
					"Invalid input for field/attribute level. Value: '1.000000001'. Value should have at most 12 digits before the decimal point and 8 after"},
			} {
				t.Run(f.name, func(t *testing.T) {
					c.t = t
					c.fault(f.method, f.path, f.body, 400, f.text)
				})
			}
			c.t = t
			// Nothing of the refused rules was stored, the priority kept.
			if l := c.obj("GET", hm+"/mappings?service_id="+svcID, nil, 200)["mappings"].([]any); len(l) != 1 {
				t.Errorf("mappings = %v", l)
			}
			if l := c.obj("GET", hm+"/thresholds?service_id="+svcID, nil, 200)["thresholds"].([]any); len(l) != 2 {
				t.Errorf("thresholds = %v", l)
			}
			if m := c.obj("GET", "/v1/rating/modules/hashmap", nil, 200); m["priority"] != 3.0 {
				t.Errorf("priority = %v", m["priority"])
			}
			// The bounds themselves are accepted.
			c.obj("POST", hm+"/thresholds", map[string]any{"service_id": svcID, "level": "999999999999.99999999", "cost": "999999999999.5", "type": "flat"}, 201)
			c.obj("PUT", "/v1/rating/modules/hashmap", map[string]any{"priority": 0}, 200)
			if q := quote(c, "0"); q != "0" {
				t.Errorf("quote of volume 0 = %s", q)
			}
		})
	}
}
