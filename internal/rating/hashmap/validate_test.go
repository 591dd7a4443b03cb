package hashmap_test

import (
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
)

func validationRules() *hashmap.Rules {
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

func TestValidation(t *testing.T) {
	r := validationRules()
	if err := r.Validate(); err != nil {
		t.Fatalf("base rules invalid: %v", err)
	}
	tests := []struct {
		name  string
		check func() error
		kind  hashmap.Kind
		code  errs.Code
	}{
		{"service without name", func() error { return r.CheckService(hashmap.Service{ID: "x"}) },
			hashmap.KindNameRequired, errs.Invalid},
		{"duplicate service", func() error { return r.CheckService(hashmap.Service{ID: "x", Name: "instance"}) },
			hashmap.KindServiceExists, errs.Conflict},
		{"field without service", func() error { return r.CheckField(hashmap.Field{ID: "x", Name: "a"}) },
			hashmap.KindFieldNoService, errs.Invalid},
		{"field of unknown service", func() error { return r.CheckField(hashmap.Field{ID: "x", ServiceID: "nope", Name: "a"}) },
			hashmap.KindFieldUnknownParent, errs.Invalid},
		{"duplicate field", func() error { return r.CheckField(hashmap.Field{ID: "x", ServiceID: "s1", Name: "flavor_id"}) },
			hashmap.KindFieldExists, errs.Conflict},
		{"duplicate group", func() error { return r.CheckGroup(hashmap.Group{ID: "x", Name: "compute"}) },
			hashmap.KindGroupExists, errs.Conflict},
		{"mapping with service and field", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", FieldID: "f1", Value: "v", Type: hashmap.TypeFlat})
		}, hashmap.KindTwoParents, errs.Invalid},
		{"mapping without parent", func() error { return r.CheckMapping(hashmap.Mapping{Type: hashmap.TypeFlat}) },
			hashmap.KindNoParent, errs.Invalid},
		{"value on service mapping", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", Value: "v", Type: hashmap.TypeFlat})
		}, hashmap.KindValueOnService, errs.Invalid},
		{"field mapping without value", func() error { return r.CheckMapping(hashmap.Mapping{FieldID: "f1", Type: hashmap.TypeFlat}) },
			hashmap.KindValueRequired, errs.Invalid},
		{"unknown mapping type", func() error { return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", Type: "percent"}) },
			hashmap.KindBadType, errs.Invalid},
		{"empty mapping type", func() error { return r.CheckMapping(hashmap.Mapping{ServiceID: "s1"}) },
			hashmap.KindBadType, errs.Invalid},
		{"negative flat mapping", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", Type: hashmap.TypeFlat, Cost: dec("-1"), GroupID: "g1"})
		}, hashmap.KindNegativeCost, errs.Invalid},
		{"negative rate mapping", func() error {
			return r.CheckMapping(hashmap.Mapping{FieldID: "f1", Value: "x", Type: hashmap.TypeRate, Cost: dec("-0.5")})
		}, hashmap.KindNegativeCost, errs.Invalid},
		{"mapping end before start", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", Type: hashmap.TypeFlat, GroupID: "g1", Validity: hashmap.Validity{Start: feb, End: jan}})
		}, hashmap.KindStartAfterEnd, errs.Invalid},
		{"mapping of unknown service", func() error { return r.CheckMapping(hashmap.Mapping{ServiceID: "nope", Type: hashmap.TypeFlat}) },
			hashmap.KindNoSuchService, errs.Invalid},
		{"mapping of unknown field", func() error {
			return r.CheckMapping(hashmap.Mapping{FieldID: "nope", Value: "v", Type: hashmap.TypeFlat})
		},
			hashmap.KindNoSuchField, errs.Invalid},
		{"mapping in unknown group", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", Type: hashmap.TypeFlat, GroupID: "nope"})
		}, hashmap.KindNoSuchGroup, errs.Invalid},
		{"duplicate field mapping value", func() error {
			return r.CheckMapping(hashmap.Mapping{FieldID: "f1", Value: "m1.tiny", Type: hashmap.TypeRate, Cost: dec("2"), GroupID: "g1"})
		}, hashmap.KindMappingExists, errs.Conflict},
		{"duplicate service mapping", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s2", Type: hashmap.TypeRate, Cost: dec("2")})
		}, hashmap.KindMappingExists, errs.Conflict},
		{"overlapping validity is a duplicate", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", Type: hashmap.TypeFlat, Validity: hashmap.Validity{Start: jan.Add(24 * time.Hour)}})
		}, hashmap.KindMappingExists, errs.Conflict},
		{"threshold with bad type", func() error { return r.CheckThreshold(hashmap.Threshold{ServiceID: "s2", Type: "x"}) },
			hashmap.KindBadType, errs.Invalid},
		{"threshold with two parents", func() error {
			return r.CheckThreshold(hashmap.Threshold{ServiceID: "s1", FieldID: "f1", Type: hashmap.TypeFlat})
		}, hashmap.KindTwoParents, errs.Invalid},
		{"threshold without parent", func() error { return r.CheckThreshold(hashmap.Threshold{Type: hashmap.TypeFlat}) },
			hashmap.KindNoParent, errs.Invalid},
		{"negative threshold level", func() error {
			return r.CheckThreshold(hashmap.Threshold{ServiceID: "s2", Level: dec("-1"), Type: hashmap.TypeFlat})
		}, hashmap.KindNegativeLevel, errs.Invalid},
		{"negative rate threshold", func() error {
			return r.CheckThreshold(hashmap.Threshold{ServiceID: "s2", Level: dec("10"), Type: hashmap.TypeRate, Cost: dec("-0.1")})
		}, hashmap.KindNegativeCost, errs.Invalid},
		{"threshold of unknown field", func() error {
			return r.CheckThreshold(hashmap.Threshold{FieldID: "nope", Level: dec("1"), Type: hashmap.TypeFlat})
		}, hashmap.KindNoSuchField, errs.Invalid},
		{"duplicate threshold level", func() error {
			return r.CheckThreshold(hashmap.Threshold{ServiceID: "s2", Level: dec("50.000"), Type: hashmap.TypeRate, Cost: dec("0.9")})
		}, hashmap.KindThresholdExists, errs.Conflict},
		{"start in the past", func() error {
			return hashmap.CheckSchedule(hashmap.Validity{Start: jan}, feb)
		}, hashmap.KindStartInPast, errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check()
			if err == nil {
				t.Fatal("accepted")
			}
			if got := errs.CodeOf(err); got != tt.code {
				t.Errorf("code = %s, want %s", got, tt.code)
			}
			v, ok := hashmap.ViolationOf(err)
			if !ok {
				t.Fatalf("no Violation in %v", err)
			}
			if v.Kind != tt.kind || v.Field == "" {
				t.Errorf("violation = %s on %q, want %s on a field", v.Kind, v.Field, tt.kind)
			}
			// Like every package's validation errors, the invalid ones name
			// their field for every face.
			if e := errs.As(err); tt.code == errs.Invalid && (len(e.Fields) != 1 || e.Fields[0].Field != v.Field) {
				t.Errorf("fields = %v, want one on %s", e.Fields, v.Field)
			}
		})
	}
}

func TestValidationAccepts(t *testing.T) {
	r := validationRules()
	tests := []struct {
		name  string
		check func() error
	}{
		{"same value in another group", func() error {
			return r.CheckMapping(hashmap.Mapping{FieldID: "f1", Value: "m1.tiny", Type: hashmap.TypeFlat, Cost: dec("1")})
		}},
		{"same value for a tenant", func() error {
			return r.CheckMapping(hashmap.Mapping{FieldID: "f1", Value: "m1.tiny", Type: hashmap.TypeFlat, Cost: dec("1"), GroupID: "g1", TenantID: "t"})
		}},
		{"updating a mapping keeps its own key", func() error {
			return r.CheckMapping(hashmap.Mapping{ID: "m1", FieldID: "f1", Value: "m1.tiny", Type: hashmap.TypeRate, Cost: dec("2"), GroupID: "g1"})
		}},
		{"service mapping after the window ends", func() error {
			return r.CheckMapping(hashmap.Mapping{ServiceID: "s1", Type: hashmap.TypeFlat, Validity: hashmap.Validity{Start: feb}})
		}},
		{"negative flat threshold is a discount", func() error {
			return r.CheckThreshold(hashmap.Threshold{ServiceID: "s2", Level: dec("100"), Type: hashmap.TypeFlat, Cost: dec("-1")})
		}},
		{"zero cost", func() error {
			return r.CheckMapping(hashmap.Mapping{FieldID: "f1", Value: "free", Type: hashmap.TypeFlat})
		}},
		{"future start", func() error { return hashmap.CheckSchedule(hashmap.Validity{Start: mar}, feb) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.check(); err != nil {
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

func TestValidateFindsStoredDuplicates(t *testing.T) {
	r := validationRules()
	r.Mappings = append(r.Mappings, hashmap.Mapping{FieldID: "f1", Value: "m1.tiny", Type: hashmap.TypeFlat, GroupID: "g1"})
	err := r.Validate()
	if !errs.Is(err, errs.Conflict) {
		t.Fatalf("Validate = %v, want a conflict", err)
	}
}

func TestKindsAndTypes(t *testing.T) {
	seen := map[hashmap.Kind]bool{}
	for _, k := range hashmap.Kinds() {
		if seen[k] {
			t.Errorf("kind %s listed twice", k)
		}
		seen[k] = true
	}
	if got := hashmap.Types(); len(got) != 2 || got[0] != hashmap.TypeFlat || got[1] != hashmap.TypeRate {
		t.Errorf("Types() = %v", got)
	}
}
