package cloudkitty

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/api/envelope"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
)

var (
	jan = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
)

func dec(s string) money.Decimal { return money.MustParse(s) }

func faultRules() *hashmap.Rules {
	return &hashmap.Rules{
		Services: []hashmap.Service{{ID: "s1", Name: "instance"}, {ID: "s2", Name: "volume.size"}},
		Fields:   []hashmap.Field{{ID: "f1", ServiceID: "s1", Name: "flavor_id"}},
		Groups:   []hashmap.Group{{ID: "g1", Name: "compute"}},
		Mappings: []hashmap.Mapping{
			{ID: "m1", FieldID: "f1", Value: "m1.tiny", Type: hashmap.TypeFlat, Cost: dec("0.01"), GroupID: "g1"},
			{ID: "m2", ServiceID: "s2", Type: hashmap.TypeFlat, Cost: dec("0.001")},
			{ID: "m3", ServiceID: "s1", Type: hashmap.TypeFlat, Cost: dec("1"), Validity: hashmap.Validity{Start: jan, End: feb}},
		},
		Thresholds: []hashmap.Threshold{
			{ID: "t1", ServiceID: "s2", Level: dec("50"), Type: hashmap.TypeRate, Cost: dec("0.98")},
		},
	}
}

// TestHashmapFaults checks that every kind of refused hashmap object gets
// CloudKitty's status and faultstring, byte for byte.
func TestHashmapFaults(t *testing.T) {
	r := faultRules()
	if err := r.Validate(); err != nil {
		t.Fatalf("base rules invalid: %v", err)
	}
	tests := []struct {
		name    string
		check   func() error
		kind    hashmap.Kind
		code    errs.Code
		status  int
		message string
	}{
		{"service without name", func() error { return r.CheckService(hashmap.Service{ID: "x"}) },
			hashmap.KindNameRequired, errs.Invalid, 400, "Invalid input for field/attribute name. Value: 'None'. Mandatory field missing."},
		{"duplicate service", func() error { return r.CheckService(hashmap.Service{ID: "x", Name: "instance"}) },
			hashmap.KindServiceExists, errs.Conflict, 409, "Service instance already exists (UUID: s1)"},
		{"field without service", func() error { return r.CheckField(hashmap.Field{ID: "x", Name: "a"}) },
			hashmap.KindFieldNoService, errs.Invalid, 400, "Invalid input for field/attribute service_id. Value: 'None'. Mandatory field missing."},
		{"field of unknown service", func() error { return r.CheckField(hashmap.Field{ID: "x", ServiceID: "nope", Name: "a"}) },
			hashmap.KindFieldUnknownParent, errs.Invalid, 409, "No such service: None (UUID: nope)"},
		{"duplicate field", func() error { return r.CheckField(hashmap.Field{ID: "x", ServiceID: "s1", Name: "flavor_id"}) },
			hashmap.KindFieldExists, errs.Conflict, 409, "Field flavor_id already exists (UUID: f1)"},
		{"duplicate group", func() error { return r.CheckGroup(hashmap.Group{ID: "x", Name: "compute"}) },
			hashmap.KindGroupExists, errs.Conflict, 409, "Group compute already exists (UUID: g1)"},
		{"mapping with service and field", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", FieldID: "f1", Value: "v", Type: hashmap.TypeFlat})
		}, hashmap.KindTwoParents, errs.Invalid, 400, "You can only specify one parent."},
		{"mapping without parent", func() error { return r.CheckMapping(hashmap.Mapping{Type: hashmap.TypeFlat}) },
			hashmap.KindNoParent, errs.Invalid, 400, "You must specify one parent."},
		{"value on service mapping", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", Value: "v", Type: hashmap.TypeFlat})
		}, hashmap.KindValueOnService, errs.Invalid, 400, "You can't specify a value and a service_id."},
		{"field mapping without value", func() error { return r.CheckMapping(hashmap.Mapping{FieldID: "f1", Type: hashmap.TypeFlat}) },
			hashmap.KindValueRequired, errs.Invalid, 400, "You must specify a value for a field mapping."},
		{"unknown mapping type", func() error { return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", Type: "percent"}) },
			hashmap.KindBadType, errs.Invalid, 400, "Invalid input for field/attribute type. Value: 'percent'. Value should be one of: flat, rate"},
		{"empty mapping type", func() error { return r.CheckMapping(hashmap.Mapping{ServiceID: "s1"}) },
			hashmap.KindBadType, errs.Invalid, 400, "Invalid input for field/attribute type. Value: ''. Value should be one of: flat, rate"},
		{"negative flat mapping", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", Type: hashmap.TypeFlat, Cost: dec("-1"), GroupID: "g1"})
		}, hashmap.KindNegativeCost, errs.Invalid, 400, "cost must not be negative for a flat mapping"},
		{"negative rate mapping", func() error {
			return r.CheckMapping(hashmap.Mapping{FieldID: "f1", Value: "x", Type: hashmap.TypeRate, Cost: dec("-0.5")})
		}, hashmap.KindNegativeCost, errs.Invalid, 400, "cost must not be negative for a rate mapping"},
		{"mapping end before start", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", Type: hashmap.TypeFlat, GroupID: "g1", Validity: hashmap.Validity{Start: feb, End: jan}})
		}, hashmap.KindStartAfterEnd, errs.Invalid, 400, "Cannot create a rule with start after end. start=[2026-02-01 00:00:00] end=[2026-01-01 00:00:00]."},
		{"mapping of unknown service", func() error { return r.CheckMapping(hashmap.Mapping{ServiceID: "nope", Type: hashmap.TypeFlat}) },
			hashmap.KindNoSuchService, errs.Invalid, 400, "No such service: None (UUID: nope)"},
		{"mapping of unknown field", func() error {
			return r.CheckMapping(hashmap.Mapping{FieldID: "nope", Value: "v", Type: hashmap.TypeFlat})
		},
			hashmap.KindNoSuchField, errs.Invalid, 400, "No such field: nope"},
		{"mapping in unknown group", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", Type: hashmap.TypeFlat, GroupID: "nope"})
		}, hashmap.KindNoSuchGroup, errs.Invalid, 400, "No such group: None (UUID: nope)"},
		{"duplicate field mapping value", func() error {
			return r.CheckMapping(hashmap.Mapping{FieldID: "f1", Value: "m1.tiny", Type: hashmap.TypeRate, Cost: dec("2"), GroupID: "g1"})
		}, hashmap.KindMappingExists, errs.Conflict, 409, "Mapping 'm1.tiny' already exists for field 'f1', tenant: 'None'"},
		{"duplicate service mapping", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s2", Type: hashmap.TypeRate, Cost: dec("2")})
		}, hashmap.KindMappingExists, errs.Conflict, 409, "Mapping 'None' already exists for service 's2', tenant: 'None'"},
		{"overlapping validity is a duplicate", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", Type: hashmap.TypeFlat, Validity: hashmap.Validity{Start: jan.Add(24 * time.Hour)}})
		}, hashmap.KindMappingExists, errs.Conflict, 409, "Mapping 'None' already exists for service 's1', tenant: 'None'"},
		{"threshold with bad type", func() error { return r.CheckThreshold(hashmap.Threshold{ServiceID: "s2", Type: "x"}) },
			hashmap.KindBadType, errs.Invalid, 400, "Invalid input for field/attribute type. Value: 'x'. Value should be one of: flat, rate"},
		{"threshold with two parents", func() error {
			return r.CheckThreshold(hashmap.Threshold{ServiceID: "s1", FieldID: "f1", Type: hashmap.TypeFlat})
		}, hashmap.KindTwoParents, errs.Invalid, 400, "You can only specify one parent."},
		{"threshold without parent", func() error { return r.CheckThreshold(hashmap.Threshold{Type: hashmap.TypeFlat}) },
			hashmap.KindNoParent, errs.Invalid, 400, "You must specify one parent."},
		{"negative threshold level", func() error {
			return r.CheckThreshold(hashmap.Threshold{ServiceID: "s2", Level: dec("-1"), Type: hashmap.TypeFlat})
		}, hashmap.KindNegativeLevel, errs.Invalid, 400, "level must not be negative"},
		{"negative rate threshold", func() error {
			return r.CheckThreshold(hashmap.Threshold{ServiceID: "s2", Level: dec("10"), Type: hashmap.TypeRate, Cost: dec("-0.1")})
		}, hashmap.KindNegativeCost, errs.Invalid, 400, "cost must not be negative for a rate threshold"},
		{"threshold of unknown field", func() error {
			return r.CheckThreshold(hashmap.Threshold{FieldID: "nope", Level: dec("1"), Type: hashmap.TypeFlat})
		}, hashmap.KindNoSuchField, errs.Invalid, 400, "No such field: nope"},
		{"duplicate threshold level", func() error {
			return r.CheckThreshold(hashmap.Threshold{ServiceID: "s2", Level: dec("50.000"), Type: hashmap.TypeRate, Cost: dec("0.9")})
		}, hashmap.KindThresholdExists, errs.Conflict, 409, "Threshold '50' already exists for service 's2', tenant: 'None'"},
		{"start in the past", func() error {
			return hashmap.CheckSchedule(hashmap.Validity{Start: jan}, feb)
		}, hashmap.KindStartInPast, errs.Invalid, 400, "Cannot create a rule with start in the past. start=[2026-01-01 00:00:00] current time=[2026-02-01 00:00:00]."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check()
			if err == nil {
				t.Fatal("accepted")
			}
			if v, ok := hashmap.ViolationOf(err); !ok || v.Kind != tt.kind {
				t.Fatalf("violation of %v: want kind %s", err, tt.kind)
			}
			var e *envelope.Error
			if !errors.As(fail(err), &e) {
				t.Fatalf("fail(%v) is not a rendered error", err)
			}
			if e.Status != tt.status || errs.CodeOf(e.Err) != tt.code {
				t.Errorf("status, code = %d, %s; want %d, %s", e.Status, errs.CodeOf(e.Err), tt.status, tt.code)
			}
			body, _ := json.Marshal(e)
			want, _ := json.Marshal(map[string]any{"faultcode": "Client", "faultstring": tt.message, "debuginfo": nil})
			if string(body) != string(want) {
				t.Errorf("body = %s\n  want %s", body, want)
			}
		})
	}
}

// TestHashmapFaultsCoverEveryKind fails when the domain gains a kind of
// violation the face has no CloudKitty answer for.
func TestHashmapFaultsCoverEveryKind(t *testing.T) {
	for _, k := range hashmap.Kinds() {
		f, ok := hashmapFaults[k]
		if !ok {
			t.Errorf("kind %s has no fault", k)
			continue
		}
		if f.status != 400 && f.status != 409 {
			t.Errorf("kind %s: status %d", k, f.status)
		}
	}
	if len(hashmapFaults) != len(hashmap.Kinds()) {
		t.Errorf("%d faults for %d kinds", len(hashmapFaults), len(hashmap.Kinds()))
	}
}
