package cloudkitty

import (
	"context"
	"net/http"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/rating/collector"
)

// MetricInfo is CloudKitty's CloudkittyMetricInfo.
type MetricInfo struct {
	MetricID string   `json:"metric_id" doc:"metric name"`
	Unit     string   `json:"unit" doc:"unit of the quantity"`
	Metadata []string `json:"metadata" doc:"attributes the rated points carry"`
}

// MetricInfoList is a list of metrics.
type MetricInfoList struct {
	Metrics []MetricInfo `json:"metrics"`
}

// InfoConfig is /v1/info/config: the metrics as CloudKitty's metrics.yml
// holds them, and the processing settings. Fields are in the order of
// their keys, as CloudKitty (a Python dict dumped with sorted keys) prints them.
type InfoConfig struct {
	BillingCurrency string                  `json:"billing_currency" doc:"ISO 4217 currency of the rated costs"`
	Collect         CollectConfig           `json:"collect"`
	Metrics         map[string]MetricConfig `json:"metrics" doc:"by metric name"`
}

// CollectConfig is the collect section of /v1/info/config.
type CollectConfig struct {
	Collector   string   `json:"collector" doc:"default collector"`
	Collectors  []string `json:"collectors" doc:"collectors available"`
	Period      int      `json:"period" doc:"length of a rating period, in seconds"`
	ScopeKey    string   `json:"scope_key"`
	WaitPeriods int      `json:"wait_periods" doc:"periods to wait before rating one"`
}

// MetricConfig is one metric of /v1/info/config, as metrics.yml spells it.
type MetricConfig struct {
	AltName     string            `json:"alt_name,omitempty"`
	Description string            `json:"description,omitempty"`
	ExtraArgs   map[string]string `json:"extra_args,omitempty"`
	Factor      string            `json:"factor"`
	GroupBy     []string          `json:"groupby"`
	Metadata    []string          `json:"metadata"`
	Mutate      string            `json:"mutate"`
	MutateMap   map[string]string `json:"mutate_map,omitempty"`
	Offset      string            `json:"offset"`
	Unit        string            `json:"unit"`
}

type metricPath struct {
	Name string `path:"name" doc:"metric name"`
}

// infoRoutes describe the metrics and settings. /v1/info/metrics is
// CloudKitty's path; the seed spells it /v1/info/metric, and
// /v1/info/service(s) is the deprecated alias.
func (f *face) infoRoutes() []route {
	const get, pol = http.MethodGet, "rating/info/get"
	return []route{
		{get, "/v1/info/config", pol, h(f.infoConfig), "info-config", "The metrics configuration and the processing settings"},
		{get, "/v1/info/metrics", pol, h(f.metricInfos), "info-metrics-list", "List the metrics"},
		{get, "/v1/info/metrics/{name}", pol, h(f.metricInfo), "info-metrics-get", "Get one metric"},
		{get, "/v1/info/metric", pol, h(f.metricInfos), "info-metric-list", "List the metrics (the seed's spelling)"},
		{get, "/v1/info/metric/{name}", pol, h(f.metricInfo), "info-metric-get", "Get one metric"},
		{get, "/v1/info/services", pol, h(f.metricInfos), "info-services-list", "List the metrics (deprecated alias)"},
		{get, "/v1/info/services/{name}", pol, h(f.metricInfo), "info-services-get", "Get one metric"},
		{get, "/v1/info/service", pol, h(f.metricInfos), "info-service-list", "List the metrics (deprecated alias, the seed's spelling)"},
		{get, "/v1/info/service/{name}", pol, h(f.metricInfo), "info-service-get", "Get one metric"},
	}
}

func metricInfoOf(m *collector.Metric) MetricInfo {
	return MetricInfo{MetricID: m.Name, Unit: m.Unit, Metadata: m.Attributes()}
}

func metricConfigOf(m *collector.Metric) MetricConfig {
	c := MetricConfig{AltName: m.AltName, Description: m.Description, Factor: m.Factor.String(), GroupBy: m.GroupBy,
		Metadata: m.Metadata, Mutate: m.Mutate, Offset: m.Offset.String(), Unit: m.Unit}
	if len(m.ExtraArgs) > 0 {
		c.ExtraArgs = m.ExtraArgs
	}
	if len(m.MutateMap) > 0 {
		c.MutateMap = make(map[string]string, len(m.MutateMap))
		for k, v := range m.MutateMap {
			c.MutateMap[k] = v.String()
		}
	}
	return c
}

func (f *face) infoConfig(ctx context.Context, _ *struct{}) (*out[InfoConfig], error) {
	cfg := f.svc.Config()
	c := InfoConfig{BillingCurrency: cfg.Currency, Metrics: map[string]MetricConfig{},
		Collect: CollectConfig{Period: int(cfg.Period.Seconds()), WaitPeriods: cfg.WaitPeriods,
			Collector: cfg.DefaultCollector, Collectors: f.svc.Collectors(), ScopeKey: "project_id"}}
	for _, m := range f.svc.Metrics().Metrics {
		c.Metrics[m.Name] = metricConfigOf(m)
	}
	return reply(c), nil
}

func (f *face) metricInfos(ctx context.Context, _ *struct{}) (*out[MetricInfoList], error) {
	l := MetricInfoList{Metrics: []MetricInfo{}}
	for _, m := range f.svc.Metrics().Metrics {
		l.Metrics = append(l.Metrics, metricInfoOf(m))
	}
	return reply(l), nil
}

func (f *face) metricInfo(ctx context.Context, in *metricPath) (*out[MetricInfo], error) {
	m, ok := f.svc.Metrics().Metric(in.Name)
	if !ok {
		// CloudKitty's faultstring is the bare metric name.
		return nil, errs.E(errs.NotFound, "%s", in.Name)
	}
	return reply(metricInfoOf(m)), nil
}
