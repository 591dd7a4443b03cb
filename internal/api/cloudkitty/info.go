package cloudkitty

import (
	"context"
	"net/http"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/rating/collector"
)

// MetricInfo is CloudKitty's CloudkittyMetricInfo.
type MetricInfo struct {
	MetricID string   `json:"metric_id" doc:"metric name"`
	Unit     string   `json:"unit" doc:"unit of the quantity"`
	Metadata []string `json:"metadata" doc:"attributes the rated points carry"`
}

type metricInfoOutput struct {
	Body MetricInfo
}

type metricInfosOutput struct {
	Body struct {
		Metrics []MetricInfo `json:"metrics"`
	}
}

type configOutput struct {
	Body map[string]any
}

func metricInfo(m *collector.Metric) MetricInfo {
	return MetricInfo{MetricID: m.Name, Unit: m.Unit, Metadata: m.Attributes()}
}

func (f *face) registerInfo(s *api.Server) {
	api.Register(s, auth.Policy(op("info-config", http.MethodGet, "/v1/info/config",
		"The metrics configuration and the processing settings", "info"), "rating/info/get"),
		func(ctx context.Context, _ *struct{}) (*configOutput, error) {
			cfg := f.svc.Config()
			body := f.svc.Metrics().Raw()
			body["collect"] = map[string]any{
				"period": int(cfg.Period.Seconds()), "wait_periods": cfg.WaitPeriods,
				"collector": cfg.DefaultCollector, "collectors": f.svc.Collectors(), "scope_key": "project_id",
			}
			body["billing_currency"] = cfg.Currency
			return &configOutput{Body: body}, nil
		})

	list := func(ctx context.Context, _ *struct{}) (*metricInfosOutput, error) {
		out := &metricInfosOutput{}
		out.Body.Metrics = []MetricInfo{}
		for _, m := range f.svc.Metrics().Metrics {
			out.Body.Metrics = append(out.Body.Metrics, metricInfo(m))
		}
		return out, nil
	}
	one := func(ctx context.Context, in *struct {
		Name string `path:"name" doc:"metric name"`
	}) (*metricInfoOutput, error) {
		m, ok := f.svc.Metrics().Metric(in.Name)
		if !ok {
			return nil, errs.E(errs.NotFound, "No metric found for %s.", in.Name)
		}
		return &metricInfoOutput{Body: metricInfo(m)}, nil
	}
	// /v1/info/metrics is CloudKitty's path; the seed spells it
	// /v1/info/metric, and /v1/info/service(s) is the deprecated alias.
	for _, p := range []struct{ id, path, summary string }{
		{"metrics", "/v1/info/metrics", "List the metrics"},
		{"metric", "/v1/info/metric", "List the metrics (the seed's spelling)"},
		{"services", "/v1/info/services", "List the metrics (deprecated alias)"},
		{"service", "/v1/info/service", "List the metrics (deprecated alias, the seed's spelling)"},
	} {
		api.Register(s, auth.Policy(op("info-"+p.id+"-list", http.MethodGet, p.path, p.summary, "info"), "rating/info/get"), list)
		api.Register(s, auth.Policy(op("info-"+p.id+"-get", http.MethodGet, p.path+"/{name}", "Get one metric", "info"), "rating/info/get"), one)
	}
}
