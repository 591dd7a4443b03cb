// Package hashmap owns the hashmap rating module, CloudKitty's default
// rating model: services (a metric type), fields (a metadata key of a
// service), mappings (a flat or rate cost for a whole service, or for one
// value of a field) and thresholds (a flat or rate cost from a level of the
// quantity, or of a numeric field value), organised in groups that are
// priced independently and added up, optionally tied to a tenant and to a
// validity window.
//
// The package holds the rule model and its validation (errs errors whose
// cause is a Violation: the kind of rule broken and its facts, which the
// faces word as their protocols do), the compiled, pre-indexed form
// the rating hot path uses (Compile), and the rating.Module that prices
// frames with it. It does no I/O: the store keeps the rules, the HTTP face
// validates changes with a Rules value and swaps in a new Compile result.
//
// Pricing, per point and per group (CloudKitty's semantics):
//
//	flat  = the largest matching flat mapping (0 if none)
//	rate  = the product of matching rate mappings (1 if none)
//	the single matching threshold with the highest level, if any:
//	  field threshold:   flat += cost (flat type) or rate *= cost (rate type)
//	price = flat × rate × qty
//	  service threshold: price += cost (flat type) or price *= cost (rate type)
//
// The prices of all groups that matched add up and are added to the price
// earlier modules set. A mapping matches a point when it is a service
// mapping of the point's metric type, or a field mapping whose value equals
// the point's desc value for the field (groupby, then metadata). A service
// threshold matches when qty >= level; a field threshold when the field's
// value, read as a number, is >= level. Only one service mapping, one field
// mapping per field value and one threshold per level exist per group and
// tenant; a tenant's rule replaces the global rule with the same key in the
// same group when rating that tenant.
package hashmap

import (
	"time"

	"github.com/skyfold/skyfold/internal/money"
)

// Type is the kind of a mapping or threshold: flat or rate.
type Type string

// The two mapping and threshold types.
const (
	// TypeFlat is a cost per unit of quantity; the largest matching one applies.
	TypeFlat Type = "flat"
	// TypeRate is a multiplier; all matching ones multiply.
	TypeRate Type = "rate"
)

// DefaultType is the type CloudKitty gives a mapping or threshold created without one.
const DefaultType = TypeFlat

// Types lists the valid types, as GET /v1/rating/module_config/hashmap/types does.
func Types() []Type { return []Type{TypeFlat, TypeRate} }

// Valid reports whether t is flat or rate.
func (t Type) Valid() bool { return t == TypeFlat || t == TypeRate }

// Service is a metric type to rate, named like the collected metric (or its alt_name).
type Service struct {
	// ID is the service's UUID.
	ID string `json:"service_id"`
	// Name is the metric type, e.g. "instance" or "volume.size".
	Name string `json:"name"`
}

// Field is a metadata (desc) key of a service that mappings and thresholds can match.
type Field struct {
	// ID is the field's UUID.
	ID string `json:"field_id"`
	// ServiceID is the parent service.
	ServiceID string `json:"service_id"`
	// Name is the desc key, e.g. "flavor_id".
	Name string `json:"name"`
}

// Group is a set of rules priced on its own; the prices of groups add up.
type Group struct {
	// ID is the group's UUID.
	ID string `json:"group_id"`
	// Name is the group's unique name.
	Name string `json:"name"`
}

// Validity is the optional window [Start, End) in which a rule applies; a
// zero bound is open. A rule applies to a frame when it is valid at the
// frame's Begin.
type Validity struct {
	// Start is the first instant the rule applies; zero means always.
	Start time.Time `json:"start,omitzero"`
	// End is the first instant the rule no longer applies; zero means never.
	End time.Time `json:"end,omitzero"`
}

// ActiveAt reports whether the window contains t.
func (v Validity) ActiveAt(t time.Time) bool {
	return (v.Start.IsZero() || !t.Before(v.Start)) && (v.End.IsZero() || t.Before(v.End))
}

// overlaps reports whether two windows share an instant.
func (v Validity) overlaps(w Validity) bool {
	return (w.End.IsZero() || v.Start.IsZero() || v.Start.Before(w.End)) &&
		(v.End.IsZero() || w.Start.IsZero() || w.Start.Before(v.End))
}

// Mapping is a cost for a whole service (ServiceID set, no Value) or for one
// value of a field (FieldID and Value set).
type Mapping struct {
	// ID is the mapping's UUID.
	ID string `json:"mapping_id"`
	// ServiceID is set for a service mapping.
	ServiceID string `json:"service_id,omitempty"`
	// FieldID is set for a field mapping.
	FieldID string `json:"field_id,omitempty"`
	// Value is the field value the mapping matches (field mappings only).
	Value string `json:"value,omitempty"`
	// Type is flat or rate.
	Type Type `json:"type"`
	// Cost is the flat cost per unit or the rate multiplier.
	Cost money.Decimal `json:"cost"`
	// GroupID is the group; empty is the default group.
	GroupID string `json:"group_id,omitempty"`
	// TenantID ties the mapping to one tenant; empty applies to all.
	TenantID string `json:"tenant_id,omitempty"`
	// Validity is the window in which the rule applies.
	Validity
}

// Threshold is a cost that applies from a level of a service's quantity
// (ServiceID set) or of a field's numeric value (FieldID set).
type Threshold struct {
	// ID is the threshold's UUID.
	ID string `json:"threshold_id"`
	// ServiceID is set for a service threshold (level compared with qty).
	ServiceID string `json:"service_id,omitempty"`
	// FieldID is set for a field threshold (level compared with the field's value).
	FieldID string `json:"field_id,omitempty"`
	// Level is the value from which the threshold applies (inclusive).
	Level money.Decimal `json:"level"`
	// Type is flat or rate.
	Type Type `json:"type"`
	// Cost is the flat amount or the rate multiplier.
	Cost money.Decimal `json:"cost"`
	// GroupID is the group; empty is the default group.
	GroupID string `json:"group_id,omitempty"`
	// TenantID ties the threshold to one tenant; empty applies to all.
	TenantID string `json:"tenant_id,omitempty"`
	// Validity is the window in which the rule applies.
	Validity
}

// Rules is a whole hashmap configuration. Its Check methods validate one
// new or changed object against the others, as the API must before storing
// it; Compile turns it into the form rating uses.
type Rules struct {
	// Services are the rated metric types.
	Services []Service `json:"services"`
	// Fields are the matched desc keys.
	Fields []Field `json:"fields"`
	// Groups are the calculation groups.
	Groups []Group `json:"groups"`
	// Mappings are the service and field mappings.
	Mappings []Mapping `json:"mappings"`
	// Thresholds are the service and field thresholds.
	Thresholds []Threshold `json:"thresholds"`
}

func (r *Rules) service(id string) (Service, bool) {
	for _, s := range r.Services {
		if s.ID == id {
			return s, true
		}
	}
	return Service{}, false
}

func (r *Rules) field(id string) (Field, bool) {
	for _, f := range r.Fields {
		if f.ID == id {
			return f, true
		}
	}
	return Field{}, false
}

func (r *Rules) group(id string) (Group, bool) {
	for _, g := range r.Groups {
		if g.ID == id {
			return g, true
		}
	}
	return Group{}, false
}
