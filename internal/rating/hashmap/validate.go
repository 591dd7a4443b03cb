package hashmap

import (
	"errors"
	"fmt"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/money"
)

// Kind names one way a hashmap object can be refused. The faces key their
// wire answers (status, message) on it.
type Kind string

// The ways a hashmap object can be refused.
const (
	KindNameRequired       Kind = "name_required"         // a service, field or group without a name
	KindServiceExists      Kind = "service_exists"        // a service name already taken
	KindFieldNoService     Kind = "field_no_service"      // a field without a service
	KindFieldUnknownParent Kind = "field_unknown_service" // a field of a service that does not exist
	KindFieldExists        Kind = "field_exists"          // a field name already taken in its service
	KindGroupExists        Kind = "group_exists"          // a group name already taken
	KindTwoParents         Kind = "two_parents"           // a mapping or threshold with both a service and a field
	KindNoParent           Kind = "no_parent"             // a mapping or threshold with neither a service nor a field
	KindValueOnService     Kind = "value_on_service"      // a service mapping with a value
	KindValueRequired      Kind = "value_required"        // a field mapping without a value
	KindBadType            Kind = "bad_type"              // a type other than flat or rate
	KindNoSuchService      Kind = "no_such_service"       // a rule referring to a service that does not exist
	KindNoSuchField        Kind = "no_such_field"         // a rule referring to a field that does not exist
	KindNoSuchGroup        Kind = "no_such_group"         // a rule referring to a group that does not exist
	KindMappingExists      Kind = "mapping_exists"        // a mapping with the key of another in an overlapping window
	KindThresholdExists    Kind = "threshold_exists"      // a threshold with the level of another in an overlapping window
	KindNegativeCost       Kind = "negative_cost"         // a negative mapping cost or rate-threshold cost
	KindNegativeLevel      Kind = "negative_level"        // a negative threshold level
	KindStartAfterEnd      Kind = "start_after_end"       // a validity window ending before it starts
	KindStartInPast        Kind = "start_in_past"         // a new rule starting in the past
	KindCostRange          Kind = "cost_range"            // a cost too large for CloudKitty's cost column
	KindLevelRange         Kind = "level_range"           // a level too large or too fine for CloudKitty's level column
)

// The bounds of CloudKitty's hashmap columns, which clients and exports
// rely on: cost is NUMERIC(40,28) and level NUMERIC(20,8), so both hold at
// most 12 digits before the decimal point, and a level 8 after it (a cost's
// 28 are the most any money.Decimal keeps).
const (
	MaxIntegerDigits = 12
	LevelScale       = 8
)

// Kinds lists every Kind, in the order the checks run, so that a face can
// prove it answers each one.
func Kinds() []Kind {
	return []Kind{KindNameRequired, KindServiceExists, KindFieldNoService, KindFieldUnknownParent, KindFieldExists,
		KindGroupExists, KindBadType, KindTwoParents, KindNoParent, KindValueOnService, KindValueRequired,
		KindNegativeCost, KindCostRange, KindNegativeLevel, KindLevelRange, KindStartAfterEnd, KindStartInPast, KindNoSuchService, KindNoSuchField,
		KindNoSuchGroup, KindMappingExists, KindThresholdExists}
}

// Violation is the cause inside every validation error this package
// returns: which rule was broken and the facts a face needs to word it.
// Fields a kind does not use are empty.
type Violation struct {
	// Kind is the broken rule.
	Kind Kind
	// Field is the input field at fault.
	Field string
	// Value is the value at fault: the name taken (*_exists of services,
	// fields, groups), the type (bad_type, negative_cost), the id not found
	// (no_such_*, field_unknown_service), the mapping value or threshold
	// level taken (mapping_exists, threshold_exists).
	Value string
	// OtherID is the id of the object already holding the name (*_exists
	// of services, fields, groups).
	OtherID string
	// Rule is "mapping" or "threshold" (negative_cost).
	Rule string
	// Parent and ParentID are the kind ("service" or "field") and id of the
	// rule's parent (mapping_exists, threshold_exists).
	Parent, ParentID string
	// TenantID is the rule's tenant, "" for none (mapping_exists,
	// threshold_exists).
	TenantID string
	// Start and End are the refused window (start_after_end); for
	// start_in_past, Start and the current time as End.
	Start, End time.Time
}

// Error names the broken rule.
func (v *Violation) Error() string { return "hashmap: " + string(v.Kind) }

// ViolationOf returns the Violation inside err, if any.
func ViolationOf(err error) (*Violation, bool) {
	var v *Violation
	ok := errors.As(err, &v)
	return v, ok
}

// duplicates are the kinds that refuse a name or key already taken.
var duplicates = map[Kind]bool{KindServiceExists: true, KindFieldExists: true, KindGroupExists: true,
	KindMappingExists: true, KindThresholdExists: true}

// violate builds the errs.Error for v: code Conflict for a name or key
// already taken, Invalid with the field at fault otherwise; reason is the
// caller-safe text, the Violation the cause a face words its own way.
func violate(v Violation, reason string) error {
	code := errs.Invalid
	if duplicates[v.Kind] {
		code = errs.Conflict
	}
	e := &errs.Error{Code: code, Message: v.Field + " " + reason, Op: "hashmap", Err: &v}
	if code == errs.Invalid {
		e.Fields = []errs.FieldError{{Field: v.Field, Reason: reason}}
	}
	return e
}

// checkCost refuses a cost its column cannot hold.
func checkCost(c money.Decimal) error {
	if c.IntegerDigits() > MaxIntegerDigits {
		return violate(Violation{Kind: KindCostRange, Field: "cost", Value: c.String()},
			fmt.Sprintf("must have at most %d digits before the decimal point", MaxIntegerDigits))
	}
	return nil
}

// others reports whether the i-th stored object is another object than
// the one being checked: not itself by position (self) nor by ID.
func others(i, self int, id, otherID string) bool {
	return i != self && (id == "" || id != otherID)
}

// CheckService validates a new or changed service against r (a stored
// service with the same ID is the one being changed and is ignored).
func (r *Rules) CheckService(s Service) error { return r.checkService(s, -1) }

func (r *Rules) checkService(s Service, self int) error {
	if s.Name == "" {
		return violate(Violation{Kind: KindNameRequired, Field: "name"}, "is required")
	}
	for i, o := range r.Services {
		if others(i, self, s.ID, o.ID) && o.Name == s.Name {
			return violate(Violation{Kind: KindServiceExists, Field: "name", Value: s.Name, OtherID: o.ID},
				fmt.Sprintf("%q is taken by service %s", s.Name, o.ID))
		}
	}
	return nil
}

// CheckField validates a new or changed field against r.
func (r *Rules) CheckField(f Field) error { return r.checkField(f, -1) }

func (r *Rules) checkField(f Field, self int) error {
	if f.Name == "" {
		return violate(Violation{Kind: KindNameRequired, Field: "name"}, "is required")
	}
	if f.ServiceID == "" {
		return violate(Violation{Kind: KindFieldNoService, Field: "service_id"}, "is required")
	}
	if _, ok := r.service(f.ServiceID); !ok {
		return violate(Violation{Kind: KindFieldUnknownParent, Field: "service_id", Value: f.ServiceID},
			fmt.Sprintf("names no service (%s)", f.ServiceID))
	}
	for i, o := range r.Fields {
		if others(i, self, f.ID, o.ID) && o.ServiceID == f.ServiceID && o.Name == f.Name {
			return violate(Violation{Kind: KindFieldExists, Field: "name", Value: f.Name, OtherID: o.ID},
				fmt.Sprintf("%q is taken by field %s", f.Name, o.ID))
		}
	}
	return nil
}

// CheckGroup validates a new or changed group against r.
func (r *Rules) CheckGroup(g Group) error { return r.checkGroup(g, -1) }

func (r *Rules) checkGroup(g Group, self int) error {
	if g.Name == "" {
		return violate(Violation{Kind: KindNameRequired, Field: "name"}, "is required")
	}
	for i, o := range r.Groups {
		if others(i, self, g.ID, o.ID) && o.Name == g.Name {
			return violate(Violation{Kind: KindGroupExists, Field: "name", Value: g.Name, OtherID: o.ID},
				fmt.Sprintf("%q is taken by group %s", g.Name, o.ID))
		}
	}
	return nil
}

// checkRefs validates the references, group and validity common to mappings
// and thresholds.
func (r *Rules) checkRefs(serviceID, fieldID, groupID string, v Validity) error {
	if !v.Start.IsZero() && !v.End.IsZero() && v.End.Before(v.Start) {
		return violate(Violation{Kind: KindStartAfterEnd, Field: "end", Start: v.Start, End: v.End}, "must not be before start")
	}
	if serviceID != "" {
		if _, ok := r.service(serviceID); !ok {
			return violate(Violation{Kind: KindNoSuchService, Field: "service_id", Value: serviceID},
				fmt.Sprintf("names no service (%s)", serviceID))
		}
	}
	if fieldID != "" {
		if _, ok := r.field(fieldID); !ok {
			return violate(Violation{Kind: KindNoSuchField, Field: "field_id", Value: fieldID},
				fmt.Sprintf("names no field (%s)", fieldID))
		}
	}
	if groupID != "" {
		if _, ok := r.group(groupID); !ok {
			return violate(Violation{Kind: KindNoSuchGroup, Field: "group_id", Value: groupID},
				fmt.Sprintf("names no group (%s)", groupID))
		}
	}
	return nil
}

func parentOf(serviceID, fieldID string) (kind, id string) {
	if fieldID != "" {
		return "field", fieldID
	}
	return "service", serviceID
}

// CheckMapping validates a new or changed mapping against r (the mapping
// with the same ID, if any, is the one being changed and is ignored).
func (r *Rules) CheckMapping(m Mapping) error { return r.checkMapping(m, -1) }

func (r *Rules) checkMapping(m Mapping, self int) error {
	if !m.Type.Valid() {
		return violate(Violation{Kind: KindBadType, Field: "type", Value: string(m.Type)}, "must be flat or rate")
	}
	switch {
	case m.ServiceID != "" && m.FieldID != "":
		return violate(Violation{Kind: KindTwoParents, Field: "service_id"}, "and field_id exclude each other")
	case m.ServiceID == "" && m.FieldID == "":
		return violate(Violation{Kind: KindNoParent, Field: "service_id"}, "or field_id is required")
	case m.Value != "" && m.ServiceID != "":
		return violate(Violation{Kind: KindValueOnService, Field: "value"}, "is not allowed on a service mapping")
	case m.Value == "" && m.FieldID != "":
		return violate(Violation{Kind: KindValueRequired, Field: "value"}, "is required on a field mapping")
	}
	if m.Cost.Sign() < 0 {
		return violate(Violation{Kind: KindNegativeCost, Field: "cost", Value: string(m.Type), Rule: "mapping"}, "must not be negative")
	}
	if err := checkCost(m.Cost); err != nil {
		return err
	}
	if err := r.checkRefs(m.ServiceID, m.FieldID, m.GroupID, m.Validity); err != nil {
		return err
	}
	for i, o := range r.Mappings {
		if others(i, self, m.ID, o.ID) && o.ServiceID == m.ServiceID && o.FieldID == m.FieldID &&
			o.Value == m.Value && o.GroupID == m.GroupID && o.TenantID == m.TenantID &&
			o.Validity.overlaps(m.Validity) {
			ptype, pid := parentOf(m.ServiceID, m.FieldID)
			return violate(Violation{Kind: KindMappingExists, Field: "value", Value: m.Value, Parent: ptype, ParentID: pid,
				TenantID: m.TenantID}, fmt.Sprintf("%q is taken by mapping %s", m.Value, o.ID))
		}
	}
	return nil
}

// CheckThreshold validates a new or changed threshold against r (the
// threshold with the same ID, if any, is the one being changed).
func (r *Rules) CheckThreshold(t Threshold) error { return r.checkThreshold(t, -1) }

func (r *Rules) checkThreshold(t Threshold, self int) error {
	if !t.Type.Valid() {
		return violate(Violation{Kind: KindBadType, Field: "type", Value: string(t.Type)}, "must be flat or rate")
	}
	switch {
	case t.ServiceID != "" && t.FieldID != "":
		return violate(Violation{Kind: KindTwoParents, Field: "service_id"}, "and field_id exclude each other")
	case t.ServiceID == "" && t.FieldID == "":
		return violate(Violation{Kind: KindNoParent, Field: "service_id"}, "or field_id is required")
	}
	// A flat threshold may be negative: a fixed discount from a level.
	if t.Type == TypeRate && t.Cost.Sign() < 0 {
		return violate(Violation{Kind: KindNegativeCost, Field: "cost", Value: string(t.Type), Rule: "threshold"}, "must not be negative")
	}
	if err := checkCost(t.Cost); err != nil {
		return err
	}
	if t.Level.Sign() < 0 {
		return violate(Violation{Kind: KindNegativeLevel, Field: "level"}, "must not be negative")
	}
	if t.Level.IntegerDigits() > MaxIntegerDigits || !t.Level.Round(LevelScale).Equal(t.Level) {
		return violate(Violation{Kind: KindLevelRange, Field: "level", Value: t.Level.String()},
			fmt.Sprintf("must have at most %d digits before the decimal point and %d after", MaxIntegerDigits, LevelScale))
	}
	if err := r.checkRefs(t.ServiceID, t.FieldID, t.GroupID, t.Validity); err != nil {
		return err
	}
	for i, o := range r.Thresholds {
		if others(i, self, t.ID, o.ID) && o.ServiceID == t.ServiceID && o.FieldID == t.FieldID &&
			o.Level.Equal(t.Level) && o.GroupID == t.GroupID && o.TenantID == t.TenantID &&
			o.Validity.overlaps(t.Validity) {
			ptype, pid := parentOf(t.ServiceID, t.FieldID)
			return violate(Violation{Kind: KindThresholdExists, Field: "level", Value: t.Level.String(), Parent: ptype,
				ParentID: pid, TenantID: t.TenantID}, fmt.Sprintf("%s is taken by threshold %s", t.Level, o.ID))
		}
	}
	return nil
}

// CheckSchedule refuses a new rule whose window starts before now, as
// CloudKitty does on create unless forced; an API-time check kept apart from
// Check* so that loading stored rules never depends on the clock.
func CheckSchedule(v Validity, now time.Time) error {
	if !v.Start.IsZero() && v.Start.Before(now) {
		return violate(Violation{Kind: KindStartInPast, Field: "start", Start: v.Start, End: now}, "must not be in the past")
	}
	return nil
}

// Validate checks every object of r against the others and returns all
// violations found, joined; nil when the configuration is consistent.
func (r *Rules) Validate() error {
	var all []error
	for i, s := range r.Services {
		all = append(all, r.checkService(s, i))
	}
	for i, f := range r.Fields {
		all = append(all, r.checkField(f, i))
	}
	for i, g := range r.Groups {
		all = append(all, r.checkGroup(g, i))
	}
	for i, m := range r.Mappings {
		all = append(all, r.checkMapping(m, i))
	}
	for i, t := range r.Thresholds {
		all = append(all, r.checkThreshold(t, i))
	}
	return errors.Join(all...)
}
