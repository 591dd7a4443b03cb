package hashmap

import (
	"errors"
	"fmt"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
)

// Kind names one way a hashmap object can be refused.
type Kind string

// The ways a hashmap object can be refused; Violations gives each one's
// CloudKitty HTTP status and message.
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
)

// ViolationInfo documents one Kind: the HTTP status and message text
// CloudKitty's v1 API answers with, so the /v1 face can answer the same.
type ViolationInfo struct {
	// Kind is the violation.
	Kind Kind
	// Status is CloudKitty's HTTP status for it.
	Status int
	// Format is the message, with fmt verbs for the variable parts.
	Format string
	// Origin says where the text comes from: "cloudkitty" (its hashmap
	// code), "wsme" (its API framework's input validation) or "skyfold" (a
	// check CloudKitty lacks; status chosen to match its other 400s).
	Origin string
}

// Violations is the table of refusals, in the order the checks run.
//
//	kind                    status  message (CloudKitty text; %s filled in)
//	name_required           400     Invalid input for field/attribute name. Value: 'None'. Mandatory field missing.   [wsme]
//	service_exists          409     Service %s already exists (UUID: %s)
//	field_no_service        400     Invalid input for field/attribute service_id. Value: 'None'. Mandatory field missing.   [wsme]
//	field_unknown_service   409     No such service: None (UUID: %s)   [sic: CloudKitty answers 409 on field create]
//	field_exists            409     Field %s already exists (UUID: %s)
//	group_exists            409     Group %s already exists (UUID: %s)
//	bad_type                400     Invalid input for field/attribute type. Value: '%s'. Value should be one of: flat, rate   [wsme]
//	two_parents             400     You can only specify one parent.
//	no_parent               400     You must specify one parent.
//	value_on_service        400     You can't specify a value and a service_id.
//	value_required          400     You must specify a value for a field mapping.
//	negative_cost           400     cost must not be negative for a %s %s   [skyfold]
//	negative_level          400     level must not be negative   [skyfold]
//	start_after_end         400     Cannot create a rule with start after end. start=[%s] end=[%s].
//	start_in_past           400     Cannot create a rule with start in the past. start=[%s] current time=[%s].
//	no_such_service         400     No such service: None (UUID: %s)
//	no_such_field           400     No such field: %s
//	no_such_group           400     No such group: None (UUID: %s)
//	mapping_exists          409     Mapping '%s' already exists for %s '%s', tenant: '%s'
//	threshold_exists        409     Threshold '%s' already exists for %s '%s', tenant: '%s'
//
// Python's None prints as 'None': a service mapping's value and an absent
// tenant show as 'None'. CloudKitty leaves the tenant out of a threshold
// conflict (always 'None'); Skyfold names it. A missing object on GET or
// DELETE is errs.NotFound (CloudKitty: 404 "No such mapping: <id>").
var Violations = []ViolationInfo{
	{KindNameRequired, 400, "Invalid input for field/attribute name. Value: 'None'. Mandatory field missing.", "wsme"},
	{KindServiceExists, 409, "Service %s already exists (UUID: %s)", "cloudkitty"},
	{KindFieldNoService, 400, "Invalid input for field/attribute service_id. Value: 'None'. Mandatory field missing.", "wsme"},
	{KindFieldUnknownParent, 409, "No such service: None (UUID: %s)", "cloudkitty"},
	{KindFieldExists, 409, "Field %s already exists (UUID: %s)", "cloudkitty"},
	{KindGroupExists, 409, "Group %s already exists (UUID: %s)", "cloudkitty"},
	{KindBadType, 400, "Invalid input for field/attribute type. Value: '%s'. Value should be one of: flat, rate", "wsme"},
	{KindTwoParents, 400, "You can only specify one parent.", "cloudkitty"},
	{KindNoParent, 400, "You must specify one parent.", "cloudkitty"},
	{KindValueOnService, 400, "You can't specify a value and a service_id.", "cloudkitty"},
	{KindValueRequired, 400, "You must specify a value for a field mapping.", "cloudkitty"},
	{KindNegativeCost, 400, "cost must not be negative for a %s %s", "skyfold"},
	{KindNegativeLevel, 400, "level must not be negative", "skyfold"},
	{KindStartAfterEnd, 400, "Cannot create a rule with start after end. start=[%s] end=[%s].", "cloudkitty"},
	{KindStartInPast, 400, "Cannot create a rule with start in the past. start=[%s] current time=[%s].", "cloudkitty"},
	{KindNoSuchService, 400, "No such service: None (UUID: %s)", "cloudkitty"},
	{KindNoSuchField, 400, "No such field: %s", "cloudkitty"},
	{KindNoSuchGroup, 400, "No such group: None (UUID: %s)", "cloudkitty"},
	{KindMappingExists, 409, "Mapping '%s' already exists for %s '%s', tenant: '%s'", "cloudkitty"},
	{KindThresholdExists, 409, "Threshold '%s' already exists for %s '%s', tenant: '%s'", "cloudkitty"},
}

func violationInfo(k Kind) ViolationInfo {
	for _, v := range Violations {
		if v.Kind == k {
			return v
		}
	}
	panic("hashmap: unknown violation kind " + string(k))
}

// Violation is the cause inside every validation error this package
// returns: which rule was broken and CloudKitty's HTTP status for it.
type Violation struct {
	// Kind is the broken rule.
	Kind Kind
	// Status is CloudKitty's HTTP status.
	Status int
	// Field is the input field at fault.
	Field string
}

// Error names the broken rule.
func (v *Violation) Error() string { return "hashmap: " + string(v.Kind) }

// ViolationOf returns the Violation inside err, if any.
func ViolationOf(err error) (*Violation, bool) {
	var v *Violation
	ok := errors.As(err, &v)
	return v, ok
}

// violate builds the errs.Error for kind: code Conflict for CloudKitty's 409
// duplicates, Invalid otherwise, with the CloudKitty message and the Violation.
func violate(kind Kind, field string, args ...any) error {
	info := violationInfo(kind)
	code := errs.Invalid
	if info.Status == 409 && kind != KindFieldUnknownParent {
		code = errs.Conflict
	}
	msg := info.Format
	if len(args) > 0 {
		msg = fmt.Sprintf(info.Format, args...)
	}
	e := &errs.Error{Code: code, Message: msg, Op: "hashmap", Err: &Violation{Kind: kind, Status: info.Status, Field: field}}
	if code == errs.Invalid {
		e.Fields = []errs.FieldError{{Field: field, Reason: msg}}
	}
	return e
}

// pyStr prints a Go string as Python prints an optional one: "" is None.
func pyStr(s string) string {
	if s == "" {
		return "None"
	}
	return s
}

// pyTime prints t as Python's str(datetime) does ("2024-05-01 10:00:00").
func pyTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02 15:04:05.000000")
	}
	return t.Format("2006-01-02 15:04:05")
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
		return violate(KindNameRequired, "name")
	}
	for i, o := range r.Services {
		if others(i, self, s.ID, o.ID) && o.Name == s.Name {
			return violate(KindServiceExists, "name", s.Name, o.ID)
		}
	}
	return nil
}

// CheckField validates a new or changed field against r.
func (r *Rules) CheckField(f Field) error { return r.checkField(f, -1) }

func (r *Rules) checkField(f Field, self int) error {
	if f.Name == "" {
		return violate(KindNameRequired, "name")
	}
	if f.ServiceID == "" {
		return violate(KindFieldNoService, "service_id")
	}
	if _, ok := r.service(f.ServiceID); !ok {
		return violate(KindFieldUnknownParent, "service_id", f.ServiceID)
	}
	for i, o := range r.Fields {
		if others(i, self, f.ID, o.ID) && o.ServiceID == f.ServiceID && o.Name == f.Name {
			return violate(KindFieldExists, "name", f.Name, o.ID)
		}
	}
	return nil
}

// CheckGroup validates a new or changed group against r.
func (r *Rules) CheckGroup(g Group) error { return r.checkGroup(g, -1) }

func (r *Rules) checkGroup(g Group, self int) error {
	if g.Name == "" {
		return violate(KindNameRequired, "name")
	}
	for i, o := range r.Groups {
		if others(i, self, g.ID, o.ID) && o.Name == g.Name {
			return violate(KindGroupExists, "name", g.Name, o.ID)
		}
	}
	return nil
}

// checkRefs validates the references, group and validity common to mappings
// and thresholds.
func (r *Rules) checkRefs(serviceID, fieldID, groupID string, v Validity) error {
	if !v.Start.IsZero() && !v.End.IsZero() && v.End.Before(v.Start) {
		return violate(KindStartAfterEnd, "end", pyTime(v.Start), pyTime(v.End))
	}
	if serviceID != "" {
		if _, ok := r.service(serviceID); !ok {
			return violate(KindNoSuchService, "service_id", serviceID)
		}
	}
	if fieldID != "" {
		if _, ok := r.field(fieldID); !ok {
			return violate(KindNoSuchField, "field_id", fieldID)
		}
	}
	if groupID != "" {
		if _, ok := r.group(groupID); !ok {
			return violate(KindNoSuchGroup, "group_id", groupID)
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
		return violate(KindBadType, "type", string(m.Type))
	}
	switch {
	case m.ServiceID != "" && m.FieldID != "":
		return violate(KindTwoParents, "service_id")
	case m.ServiceID == "" && m.FieldID == "":
		return violate(KindNoParent, "service_id")
	case m.Value != "" && m.ServiceID != "":
		return violate(KindValueOnService, "value")
	case m.Value == "" && m.FieldID != "":
		return violate(KindValueRequired, "value")
	}
	if m.Cost.Sign() < 0 {
		return violate(KindNegativeCost, "cost", m.Type, "mapping")
	}
	if err := r.checkRefs(m.ServiceID, m.FieldID, m.GroupID, m.Validity); err != nil {
		return err
	}
	for i, o := range r.Mappings {
		if others(i, self, m.ID, o.ID) && o.ServiceID == m.ServiceID && o.FieldID == m.FieldID &&
			o.Value == m.Value && o.GroupID == m.GroupID && o.TenantID == m.TenantID &&
			o.Validity.overlaps(m.Validity) {
			ptype, pid := parentOf(m.ServiceID, m.FieldID)
			return violate(KindMappingExists, "value", pyStr(m.Value), ptype, pid, pyStr(m.TenantID))
		}
	}
	return nil
}

// CheckThreshold validates a new or changed threshold against r (the
// threshold with the same ID, if any, is the one being changed).
func (r *Rules) CheckThreshold(t Threshold) error { return r.checkThreshold(t, -1) }

func (r *Rules) checkThreshold(t Threshold, self int) error {
	if !t.Type.Valid() {
		return violate(KindBadType, "type", string(t.Type))
	}
	switch {
	case t.ServiceID != "" && t.FieldID != "":
		return violate(KindTwoParents, "service_id")
	case t.ServiceID == "" && t.FieldID == "":
		return violate(KindNoParent, "service_id")
	}
	// A flat threshold may be negative: a fixed discount from a level.
	if t.Type == TypeRate && t.Cost.Sign() < 0 {
		return violate(KindNegativeCost, "cost", t.Type, "threshold")
	}
	if t.Level.Sign() < 0 {
		return violate(KindNegativeLevel, "level")
	}
	if err := r.checkRefs(t.ServiceID, t.FieldID, t.GroupID, t.Validity); err != nil {
		return err
	}
	for i, o := range r.Thresholds {
		if others(i, self, t.ID, o.ID) && o.ServiceID == t.ServiceID && o.FieldID == t.FieldID &&
			o.Level.Equal(t.Level) && o.GroupID == t.GroupID && o.TenantID == t.TenantID &&
			o.Validity.overlaps(t.Validity) {
			ptype, pid := parentOf(t.ServiceID, t.FieldID)
			return violate(KindThresholdExists, "level", t.Level.String(), ptype, pid, pyStr(t.TenantID))
		}
	}
	return nil
}

// CheckSchedule refuses a new rule whose window starts before now, as
// CloudKitty does on create unless forced; an API-time check kept apart from
// Check* so that loading stored rules never depends on the clock.
func CheckSchedule(v Validity, now time.Time) error {
	if !v.Start.IsZero() && v.Start.Before(now) {
		return violate(KindStartInPast, "start", pyTime(v.Start), pyTime(now))
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
