// Package collector owns what the rating processor measures: the metric
// definitions (CloudKitty's metrics.yml: unit, factor and offset, mutate,
// groupby, metadata, collector-specific extra_args; a default set is
// embedded), the Collector interface the processor gathers usage through,
// and the inventory collector that measures Skyfold's own synced resources
// (instance, vCPU and memory hours; disk GiB-hours; bucket GiB; EIP hours),
// each resource counting for the part of a period it existed.
package collector

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/money"
)

// Mutators, as CloudKitty names them.
const (
	MutateNone       = "NONE"
	MutateNumBool    = "NUMBOOL"
	MutateNotNumBool = "NOTNUMBOOL"
	MutateFloor      = "FLOOR"
	MutateCeil       = "CEIL"
	MutateMap        = "MAP"
)

// Limits of a metrics configuration, so hostile input stays small.
const (
	MaxConfigBytes = 1 << 20
	MaxMetrics     = 500
	maxNameLen     = 255
	maxAttributes  = 64
)

// Metric is one measured metric type.
type Metric struct {
	// Name is the metric's key in the configuration (CloudKitty's metric_id).
	Name string `json:"metric_id"`
	// AltName, when set, is the service name rated points carry instead of Name.
	AltName string `json:"alt_name,omitempty"`
	// Unit is the unit of the quantity.
	Unit string `json:"unit"`
	// Description says what is measured.
	Description string `json:"description,omitempty"`
	// Factor multiplies the collected quantity (default 1).
	Factor money.Decimal `json:"factor"`
	// Offset is added after the factor.
	Offset money.Decimal `json:"offset"`
	// Mutate transforms the quantity after factor and offset.
	Mutate string `json:"mutate"`
	// MutateMap maps quantities for Mutate MAP (unmapped quantities become 0).
	MutateMap map[string]money.Decimal `json:"mutate_map,omitempty"`
	// GroupBy names the attributes a point is grouped by; it always holds
	// the scope key, project_id.
	GroupBy []string `json:"groupby"`
	// Metadata names the other attributes a point carries.
	Metadata []string `json:"metadata"`
	// ExtraArgs are the collector's own options.
	ExtraArgs map[string]string `json:"extra_args,omitempty"`
}

// Service is the service (hashmap service name, dataframe resource type)
// the metric's points are rated as.
func (m *Metric) Service() string {
	if m.AltName != "" {
		return m.AltName
	}
	return m.Name
}

// Attributes returns groupby then metadata, as /v1/info lists them.
func (m *Metric) Attributes() []string {
	out := slices.Clone(m.GroupBy)
	for _, a := range m.Metadata {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// Convert applies factor, offset and the mutator to a collected quantity.
func (m *Metric) Convert(q money.Decimal) money.Decimal {
	if !m.Factor.Equal(money.One) {
		q = q.Mul(m.Factor)
	}
	if !m.Offset.IsZero() {
		q = q.Add(m.Offset)
	}
	switch m.Mutate {
	case MutateNumBool:
		if !q.IsZero() {
			return money.One
		}
		return money.Zero
	case MutateNotNumBool:
		if q.IsZero() {
			return money.One
		}
		return money.Zero
	case MutateFloor:
		return floor(q)
	case MutateCeil:
		f := floor(q)
		if f.Equal(q) {
			return f
		}
		return f.Add(money.One)
	case MutateMap:
		return m.MutateMap[q.String()]
	}
	return q
}

// floor rounds q down to an integer.
func floor(q money.Decimal) money.Decimal {
	r := q.Round(0)
	if r.Cmp(q) > 0 {
		r = r.Sub(money.One)
	}
	return r
}

// Config is a set of metrics.
type Config struct {
	// Metrics are the metrics, sorted by name.
	Metrics []*Metric
}

// Metric returns the metric called name.
func (c *Config) Metric(name string) (*Metric, bool) {
	for _, m := range c.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return nil, false
}

// Raw returns the configuration as CloudKitty's /v1/info/config shows it.
func (c *Config) Raw() map[string]any {
	ms := map[string]any{}
	for _, m := range c.Metrics {
		e := map[string]any{
			"unit": m.Unit, "factor": m.Factor.String(), "offset": m.Offset.String(), "mutate": m.Mutate,
			"groupby": m.GroupBy, "metadata": m.Metadata,
		}
		if m.AltName != "" {
			e["alt_name"] = m.AltName
		}
		if m.Description != "" {
			e["description"] = m.Description
		}
		if len(m.MutateMap) > 0 {
			mm := map[string]string{}
			for k, v := range m.MutateMap {
				mm[k] = v.String()
			}
			e["mutate_map"] = mm
		}
		if len(m.ExtraArgs) > 0 {
			e["extra_args"] = maps.Clone(m.ExtraArgs)
		}
		ms[m.Name] = e
	}
	return map[string]any{"metrics": ms}
}

//go:embed metrics.yml
var defaultMetrics []byte

// DefaultYAML is the embedded default metrics configuration.
func DefaultYAML() []byte { return slices.Clone(defaultMetrics) }

// Default returns the embedded default metrics.
func Default() *Config {
	c, err := Parse(defaultMetrics)
	if err != nil {
		panic("collector: embedded metrics.yml: " + err.Error())
	}
	return c
}

// decimalText reads a YAML scalar as an exact decimal from its literal
// text: a number (0.001, 1e-3) or a fraction "a/b" (1/1024).
type decimalText struct {
	set bool
	d   money.Decimal
}

func (t *decimalText) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected a number", n.Line)
	}
	d, err := ParseNumber(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	t.set, t.d = true, d
	return nil
}

// ParseNumber reads a decimal number or a fraction "a/b" exactly (a
// fraction is rounded to money.MaxScale digits).
func ParseNumber(s string) (money.Decimal, error) {
	s = strings.TrimSpace(s)
	if num, den, ok := strings.Cut(s, "/"); ok {
		n, err := money.Parse(num)
		if err != nil {
			return money.Decimal{}, err
		}
		d, err := money.Parse(den)
		if err != nil {
			return money.Decimal{}, err
		}
		q, err := n.Quo(d)
		if err != nil {
			return money.Decimal{}, errs.E(errs.Invalid, "%q divides by zero", s)
		}
		return q, nil
	}
	return money.Parse(s)
}

type metricYAML struct {
	AltName     string                 `yaml:"alt_name"`
	Unit        string                 `yaml:"unit"`
	Description string                 `yaml:"description"`
	Factor      decimalText            `yaml:"factor"`
	Offset      decimalText            `yaml:"offset"`
	Mutate      string                 `yaml:"mutate"`
	MutateMap   map[string]decimalText `yaml:"mutate_map"`
	GroupBy     []string               `yaml:"groupby"`
	Metadata    []string               `yaml:"metadata"`
	ExtraArgs   map[string]string      `yaml:"extra_args"`
}

type configYAML struct {
	Metrics map[string]*metricYAML `yaml:"metrics"`
}

// Parse reads a metrics configuration in CloudKitty's metrics.yml shape:
//
//	metrics:
//	  <name>:
//	    unit: <unit>                 # required
//	    alt_name: <service name>     # optional
//	    factor: 1/1024               # number or fraction, default 1
//	    offset: 0
//	    mutate: NONE                 # NONE NUMBOOL NOTNUMBOOL FLOOR CEIL MAP
//	    mutate_map: {"0": 0, "1": 1} # for MAP
//	    groupby: [id, project_id]    # project_id is always added
//	    metadata: [flavor_name]
//	    extra_args: {resource_type: server, volume: count, aggregation_method: hours}
//
// Unknown keys, a missing unit, bad numbers or mutators, duplicate or empty
// attribute names are refused with an errs.Invalid error naming the metric.
func Parse(data []byte) (*Config, error) {
	if len(data) > MaxConfigBytes {
		return nil, errs.Field("metrics", fmt.Sprintf("configuration is %d bytes, over the %d-byte limit", len(data), MaxConfigBytes))
	}
	var raw configYAML
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		return nil, errs.Field("metrics", "invalid metrics configuration: "+oneLine(err.Error()))
	}
	if len(raw.Metrics) == 0 {
		return nil, errs.Field("metrics", "no metric defined")
	}
	if len(raw.Metrics) > MaxMetrics {
		return nil, errs.Field("metrics", fmt.Sprintf("%d metrics, over the limit of %d", len(raw.Metrics), MaxMetrics))
	}
	c := &Config{}
	services := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(raw.Metrics)) {
		m, err := buildMetric(name, raw.Metrics[name])
		if err != nil {
			return nil, err
		}
		if other, ok := services[m.Service()]; ok {
			return nil, errs.Field("metrics."+name, fmt.Sprintf("rated as %q like metric %q", m.Service(), other))
		}
		services[m.Service()] = name
		c.Metrics = append(c.Metrics, m)
	}
	return c, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func validName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for _, r := range s {
		if r < 0x21 || r == 0x7f || r == '/' || r == '?' || r == '#' || r == '%' {
			return false
		}
	}
	return true
}

func buildMetric(name string, y *metricYAML) (*Metric, error) {
	bad := func(format string, args ...any) error {
		return errs.Field("metrics."+name, fmt.Sprintf(format, args...))
	}
	if !validName(name) {
		return nil, errs.Field("metrics", fmt.Sprintf("invalid metric name %q", name))
	}
	if y == nil {
		return nil, bad("empty definition")
	}
	if strings.TrimSpace(y.Unit) == "" {
		return nil, bad("unit is required")
	}
	if y.AltName != "" && !validName(y.AltName) {
		return nil, bad("invalid alt_name %q", y.AltName)
	}
	m := &Metric{Name: name, AltName: y.AltName, Unit: y.Unit, Description: y.Description,
		Factor: money.One, Mutate: MutateNone, ExtraArgs: map[string]string{}}
	if y.Factor.set {
		m.Factor = y.Factor.d
	}
	if y.Offset.set {
		m.Offset = y.Offset.d
	}
	if y.Mutate != "" {
		m.Mutate = strings.ToUpper(y.Mutate)
	}
	switch m.Mutate {
	case MutateNone, MutateNumBool, MutateNotNumBool, MutateFloor, MutateCeil:
		if len(y.MutateMap) > 0 {
			return nil, bad("mutate_map needs mutate MAP")
		}
	case MutateMap:
		if len(y.MutateMap) == 0 {
			return nil, bad("mutate MAP needs a mutate_map")
		}
		m.MutateMap = map[string]money.Decimal{}
		for k, v := range y.MutateMap {
			kd, err := ParseNumber(k)
			if err != nil {
				return nil, bad("mutate_map key %q is not a number", k)
			}
			m.MutateMap[kd.String()] = v.d
		}
	default:
		return nil, bad("unknown mutate %q (NONE, NUMBOOL, NOTNUMBOOL, FLOOR, CEIL, MAP)", y.Mutate)
	}
	seen := map[string]bool{}
	add := func(list *[]string, a, where string) error {
		a = strings.TrimSpace(a)
		if !validName(a) {
			return bad("invalid %s attribute %q", where, a)
		}
		if seen[a] {
			return bad("attribute %q listed twice", a)
		}
		seen[a] = true
		*list = append(*list, a)
		return nil
	}
	if len(y.GroupBy)+len(y.Metadata) > maxAttributes {
		return nil, bad("more than %d attributes", maxAttributes)
	}
	groupby := y.GroupBy
	if len(groupby) == 0 {
		groupby = []string{"id"}
	}
	for _, a := range groupby {
		if err := add(&m.GroupBy, a, "groupby"); err != nil {
			return nil, err
		}
	}
	if !seen["project_id"] {
		_ = add(&m.GroupBy, "project_id", "groupby")
	}
	m.Metadata = []string{}
	for _, a := range y.Metadata {
		if err := add(&m.Metadata, a, "metadata"); err != nil {
			return nil, err
		}
	}
	for k, v := range y.ExtraArgs {
		if !validName(k) {
			return nil, bad("invalid extra_args key %q", k)
		}
		m.ExtraArgs[k] = v
	}
	return m, nil
}
