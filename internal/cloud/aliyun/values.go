package aliyun

import (
	"encoding/json"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
)

// plainDecimal is a decimal without exponent.
var plainDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// normalizeDecimal turns an amount as clouds write it ("1,234.50", " 12 ",
// "1.5E+3", json numbers) into a plain decimal string ("1234.50", "12",
// "1500"). It reports false for anything that is not a finite number.
func normalizeDecimal(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, ",", "")
	s = strings.TrimPrefix(s, "+")
	if s == "" || len(s) > 64 {
		return "", false
	}
	if plainDecimal.MatchString(s) {
		if s == "-0" {
			return "0", true
		}
		return s, true
	}
	if !strings.ContainsAny(s, "eE") {
		return "", false
	}
	mant, exp, _ := strings.Cut(strings.ToLower(s), "e")
	e, err := strconv.Atoi(exp)
	if err != nil || e > 40 || e < -40 || !plainDecimal.MatchString(mant) {
		return "", false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return "", false
	}
	places := 0
	if _, frac, ok := strings.Cut(mant, "."); ok {
		places = len(frac)
	}
	places -= e
	if places < 0 {
		places = 0
	}
	out := r.FloatString(places)
	if out == "-0" {
		out = "0"
	}
	return out, true
}

// decimal reads an amount from a decoded JSON value; "0" when absent or bad.
func decimal(v any) string {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case int, int64, int32:
		s = toString(x)
	}
	if d, ok := normalizeDecimal(s); ok {
		return d
	}
	return "0"
}

// toString renders a decoded JSON scalar as text.
func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	default:
		return ""
	}
}

// toInt reads an integer from a decoded JSON value; 0 when absent or bad.
func toInt(v any) int {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return int(n)
		}
		if f, err := x.Float64(); err == nil && f == f && f < 1e15 && f > -1e15 {
			return int(f)
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return n
		}
	case float64:
		if x == x && x < 1e15 && x > -1e15 {
			return int(x)
		}
	case int:
		return x
	case int64:
		return int(x)
	}
	return 0
}

// field walks nested JSON objects: field(m, "Data", "Items") is m.Data.Items.
func field(m map[string]any, path ...string) any {
	var cur any = m
	for _, k := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// objects reads a JSON value as a list of objects, skipping non-objects. A
// single object counts as a list of one (Aliyun's XML-born JSON does that).
func objects(v any) []map[string]any {
	switch x := v.(type) {
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, it := range x {
			if m, ok := it.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	case map[string]any:
		return []map[string]any{x}
	}
	return nil
}

// timeLayouts are the timestamp shapes Aliyun APIs use.
var timeLayouts = []string{
	time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z", "2006-01-02T15:04Z",
	"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02",
}

// parseTime reads an Aliyun timestamp; the zero time when empty or unknown.
// Times without a zone are UTC.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 0 && ms < 1<<50 {
		return time.UnixMilli(ms).UTC()
	}
	return time.Time{}
}

// instanceStatus maps ECS instance states.
func instanceStatus(raw string) cloud.Status {
	switch strings.ToLower(raw) {
	case "pending":
		return cloud.StatusPending
	case "starting":
		return cloud.StatusStarting
	case "running":
		return cloud.StatusRunning
	case "stopping":
		return cloud.StatusStopping
	case "stopped":
		return cloud.StatusStopped
	case "deleted", "released":
		return cloud.StatusDeleted
	case "deleting", "releasing":
		return cloud.StatusDeleting
	}
	return cloud.StatusUnknown
}

// resourceStatus maps the states of networks, disks, snapshots, EIPs,
// databases and caches onto the normalised set.
func resourceStatus(raw string) cloud.Status {
	switch strings.ToLower(raw) {
	case "available", "running", "normal", "in_use", "inuse", "accomplished", "active", "5":
		return cloud.StatusRunning
	case "pending", "creating", "associating", "unassociating", "progressing", "0", "1":
		return cloud.StatusPending
	case "starting", "rebooting", "restarting":
		return cloud.StatusStarting
	case "stopping":
		return cloud.StatusStopping
	case "stopped", "suspended", "flushing", "locked":
		return cloud.StatusStopped
	case "deleting", "releasing", "detaching":
		return cloud.StatusDeleting
	case "deleted", "released":
		return cloud.StatusDeleted
	case "failed", "error", "creatingfailed":
		return cloud.StatusError
	}
	return cloud.StatusUnknown
}

// chargeType maps Aliyun's pay types (PostPaid, PrePaid, Postpaid,
// Prepaid, PayAsYouGo, Subscription, PayByBandwidth...) to ours.
func chargeType(raw string) cloud.ChargeType {
	switch strings.ToLower(raw) {
	case "prepaid", "subscription", "prepay":
		return cloud.PrePaid
	}
	return cloud.PostPaid
}

// sumDecimals adds decimal strings exactly, keeping the largest number of
// decimal places among them.
func sumDecimals(vs ...string) (string, bool) {
	total := new(big.Rat)
	places := 0
	for _, v := range vs {
		r, ok := new(big.Rat).SetString(v)
		if !ok {
			return "", false
		}
		if _, frac, ok := strings.Cut(v, "."); ok {
			places = max(places, len(frac))
		}
		total.Add(total, r)
	}
	out := total.FloatString(places)
	if out == "-0" || strings.TrimLeft(out, "-0.") == "" {
		out = total.Abs(total).FloatString(places)
	}
	return out, true
}

// sortedKeys returns m's keys in order, so requests are deterministic.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
