package cloudkitty

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/api/envelope"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
	"github.com/skyfold/skyfold/internal/rating/processor"
)

// hashmapFault is how CloudKitty's v1 API answers one kind of refused
// hashmap object: its HTTP status and its faultstring.
type hashmapFault struct {
	status int
	text   func(v *hashmap.Violation) string
}

// fixed is a faultstring without variable parts.
func fixed(s string) func(*hashmap.Violation) string {
	return func(*hashmap.Violation) string { return s }
}

// hashmapFaults words each kind of violation as CloudKitty does. Most texts
// are CloudKitty's hashmap code's; "Invalid input for field/attribute ..."
// is its API framework's (WSME) input validation; the negative-value and
// range checks are Skyfold's own (CloudKitty lacks them: its database
// refuses a cost or level its NUMERIC column cannot hold) with a status
// matching its other 400s, the range texts in WSME's form.
//
// Python's None prints as 'None': a service mapping's value and an absent
// tenant show as 'None'. CloudKitty answers 409 to a field of an unknown
// service, and leaves the tenant out of a threshold conflict (always
// 'None'); Skyfold names it. A missing object on GET or DELETE is
// errs.NotFound (CloudKitty: 404 "No such mapping: <id>").
var hashmapFaults = map[hashmap.Kind]hashmapFault{
	hashmap.KindNameRequired: {http.StatusBadRequest,
		fixed("Invalid input for field/attribute name. Value: 'None'. Mandatory field missing.")},
	hashmap.KindServiceExists: {http.StatusConflict, func(v *hashmap.Violation) string {
		return fmt.Sprintf("Service %s already exists (UUID: %s)", v.Value, v.OtherID)
	}},
	hashmap.KindFieldNoService: {http.StatusBadRequest,
		fixed("Invalid input for field/attribute service_id. Value: 'None'. Mandatory field missing.")},
	hashmap.KindFieldUnknownParent: {http.StatusConflict, func(v *hashmap.Violation) string {
		return fmt.Sprintf("No such service: None (UUID: %s)", v.Value)
	}},
	hashmap.KindFieldExists: {http.StatusConflict, func(v *hashmap.Violation) string {
		return fmt.Sprintf("Field %s already exists (UUID: %s)", v.Value, v.OtherID)
	}},
	hashmap.KindGroupExists: {http.StatusConflict, func(v *hashmap.Violation) string {
		return fmt.Sprintf("Group %s already exists (UUID: %s)", v.Value, v.OtherID)
	}},
	hashmap.KindBadType: {http.StatusBadRequest, func(v *hashmap.Violation) string {
		return fmt.Sprintf("Invalid input for field/attribute type. Value: '%s'. Value should be one of: flat, rate", v.Value)
	}},
	hashmap.KindTwoParents:     {http.StatusBadRequest, fixed("You can only specify one parent.")},
	hashmap.KindNoParent:       {http.StatusBadRequest, fixed("You must specify one parent.")},
	hashmap.KindValueOnService: {http.StatusBadRequest, fixed("You can't specify a value and a service_id.")},
	hashmap.KindValueRequired:  {http.StatusBadRequest, fixed("You must specify a value for a field mapping.")},
	hashmap.KindNegativeCost: {http.StatusBadRequest, func(v *hashmap.Violation) string {
		return fmt.Sprintf("cost must not be negative for a %s %s", v.Value, v.Rule)
	}},
	hashmap.KindNegativeLevel: {http.StatusBadRequest, fixed("level must not be negative")},
	hashmap.KindCostRange: {http.StatusBadRequest, func(v *hashmap.Violation) string {
		return fmt.Sprintf("Invalid input for field/attribute cost. Value: '%s'. Value should have at most %d digits before the decimal point", v.Value, hashmap.MaxIntegerDigits)
	}},
	hashmap.KindLevelRange: {http.StatusBadRequest, func(v *hashmap.Violation) string {
		return fmt.Sprintf("Invalid input for field/attribute level. Value: '%s'. Value should have at most %d digits before the decimal point and %d after", v.Value, hashmap.MaxIntegerDigits, hashmap.LevelScale)
	}},
	hashmap.KindStartAfterEnd: {http.StatusBadRequest, func(v *hashmap.Violation) string {
		return fmt.Sprintf("Cannot create a rule with start after end. start=[%s] end=[%s].", pyTime(v.Start), pyTime(v.End))
	}},
	hashmap.KindStartInPast: {http.StatusBadRequest, func(v *hashmap.Violation) string {
		return fmt.Sprintf("Cannot create a rule with start in the past. start=[%s] current time=[%s].", pyTime(v.Start), pyTime(v.End))
	}},
	hashmap.KindNoSuchService: {http.StatusBadRequest, func(v *hashmap.Violation) string {
		return fmt.Sprintf("No such service: None (UUID: %s)", v.Value)
	}},
	hashmap.KindNoSuchField: {http.StatusBadRequest, func(v *hashmap.Violation) string {
		return fmt.Sprintf("No such field: %s", v.Value)
	}},
	hashmap.KindNoSuchGroup: {http.StatusBadRequest, func(v *hashmap.Violation) string {
		return fmt.Sprintf("No such group: None (UUID: %s)", v.Value)
	}},
	hashmap.KindMappingExists: {http.StatusConflict, func(v *hashmap.Violation) string {
		return fmt.Sprintf("Mapping '%s' already exists for %s '%s', tenant: '%s'", pyStr(v.Value), v.Parent, v.ParentID, pyStr(v.TenantID))
	}},
	hashmap.KindThresholdExists: {http.StatusConflict, func(v *hashmap.Violation) string {
		return fmt.Sprintf("Threshold '%s' already exists for %s '%s', tenant: '%s'", v.Value, v.Parent, v.ParentID, pyStr(v.TenantID))
	}},
}

// fail renders a rating validation error as CloudKitty does: a hashmap
// violation with the status and faultstring of its kind, a missing
// mandatory field with its API framework's (WSME) text. Other errors pass
// unchanged.
func fail(err error) error {
	v, ok := hashmap.ViolationOf(err)
	if !ok {
		return missingField(err)
	}
	f, ok := hashmapFaults[v.Kind]
	if !ok {
		return err
	}
	msg := f.text(v)
	e := &errs.Error{Code: errs.CodeOf(err), Message: msg, Op: "hashmap", Err: v}
	if e.Code == errs.Invalid {
		e.Fields = []errs.FieldError{{Field: v.Field, Reason: msg}}
	}
	out := envelope.New(envelope.CloudKitty, e)
	out.Status = f.status
	return out
}

// missingField words the rating service's "<field> is required" as WSME
// does.
func missingField(err error) error {
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Reason != processor.RequiredReason {
		return err
	}
	f := e.Fields[0].Field
	return invalid(f, "Invalid input for field/attribute "+f+". Value: 'None'. Mandatory field missing.")
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

// missingTexts word a missing object as CloudKitty's database layer does:
// services, groups and scripts are looked up by name or id, and the name
// (Python's None) is printed too; a rating module's text has no id. Fields, mappings and thresholds are worded
// as the rating service words them ("No such field: <id>").
var missingTexts = map[string]string{
	"module":  "Module not found.%.0s",
	"service": "No such service: None (UUID: %s)",
	"group":   "No such group: None (UUID: %s)",
	"script":  "No such script: None (UUID: %s)",
}

// missing words a not-found error for an object of kind with id as
// CloudKitty does. Other errors pass unchanged.
func missing(err error, kind, id string) error {
	text, ok := missingTexts[kind]
	if err == nil || !ok || errs.CodeOf(err) != errs.NotFound {
		return err
	}
	return errs.Wrap(err, errs.NotFound, text, id)
}

// noGroup is CloudKitty's answer when the group of a rule is asked for and
// the rule has none, or does not exist.
func noGroup(kind, id string) error {
	return errs.E(errs.NotFound, "%s has no group (UUID: %s)", strings.ToUpper(kind[:1])+kind[1:], id)
}

// outOfRange words the rating service's refusal of a number outside its
// range in WSME's form, naming the attribute and the value sent.
func outOfRange(err error, attribute, value string) error {
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != errs.Invalid || len(e.Fields) != 1 {
		return err
	}
	f := e.Fields[0]
	return invalid(f.Field, "Invalid input for field/attribute "+attribute+". Value: '"+value+"'. Value "+f.Reason)
}
