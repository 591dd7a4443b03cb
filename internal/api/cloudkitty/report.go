package cloudkitty

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/skyfold/skyfold/internal/cost"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating/processor"
)

// Summary is CloudKitty's SummaryModel.
type Summary struct {
	Begin    string `json:"begin"`
	End      string `json:"end"`
	TenantID string `json:"tenant_id" doc:"the tenant, or ALL when not grouped by tenant"`
	ResType  string `json:"res_type" doc:"the service, or ALL when not grouped by resource type"`
	Rate     string `json:"rate" doc:"the cost, a decimal string"`
}

// RatedResource is CloudKitty's RatedResource.
type RatedResource struct {
	Service string            `json:"service"`
	Desc    map[string]string `json:"desc"`
	Volume  string            `json:"volume"`
	Rating  string            `json:"rating"`
}

// DataFrame is CloudKitty's DataFrame: one tenant's rated resources over one period.
type DataFrame struct {
	Begin     string          `json:"begin"`
	End       string          `json:"end"`
	TenantID  string          `json:"tenant_id"`
	Resources []RatedResource `json:"resources"`
}

// SummaryList is the answer of /v1/report/summary.
type SummaryList struct {
	Summary []Summary `json:"summary"`
}

// DataFrameList is the answer of /v1/storage/dataframes.
type DataFrameList struct {
	Dataframes []DataFrame `json:"dataframes"`
}

// Inputs of the report operations.
type (
	windowQuery struct {
		Begin string `query:"begin"`
		End   string `query:"end"`
	}
	dataframesQuery struct {
		Begin        string `query:"begin" doc:"start of the window (default: the month's start)"`
		End          string `query:"end" doc:"end of the window (default: the next month's start)"`
		TenantID     string `query:"tenant_id" doc:"one tenant (project)"`
		ResourceType string `query:"resource_type" doc:"one service (metric)"`
	}
)

// reportQuery is what the v1 report endpoints accept.
type reportQuery struct {
	Begin      string `query:"begin" doc:"start of the window (ISO 8601; default: the month's start)"`
	End        string `query:"end" doc:"end of the window (default: the next month's start)"`
	TenantID   string `query:"tenant_id" doc:"one tenant (project)"`
	Service    string `query:"service" doc:"one service (metric)"`
	AllTenants bool   `query:"all_tenants" doc:"every tenant the caller may see; without it and tenant_id, the caller's own project"`
}

// summaryQuery is what GET /v1/report/summary accepts.
type summaryQuery struct {
	Begin      string `query:"begin" doc:"start of the window (ISO 8601; default: the month's start)"`
	End        string `query:"end" doc:"end of the window (default: the next month's start)"`
	TenantID   string `query:"tenant_id" doc:"one tenant (project)"`
	Service    string `query:"service" doc:"one service (metric)"`
	AllTenants bool   `query:"all_tenants" doc:"every tenant the caller may see; without it and tenant_id, the caller's own project"`
	GroupBy    string `query:"groupby" doc:"comma-separated: tenant_id, res_type"`
}

func (f *face) filter(ctx context.Context, q reportQuery) (cost.Filter, error) {
	b, e, err := f.window(q.Begin, q.End)
	if err != nil {
		return cost.Filter{}, err
	}
	tenants, err := tenantFilter(ctx, q.TenantID, q.AllTenants)
	if err != nil {
		return cost.Filter{}, err
	}
	flt := cost.Filter{Begin: b, End: e, Sources: []string{processor.Source}, SubAccountIDs: tenants}
	if q.Service != "" {
		flt.ServiceNames = []string{q.Service}
	}
	return flt, nil
}

// reportRoutes are the reports and rated dataframes, read from the cost
// records the processor writes.
func (f *face) reportRoutes() []route {
	return []route{
		{http.MethodGet, "/v1/report/summary", "rating/reports/get", h(f.summary), "report-summary", "The cost of a window, grouped by tenant_id and/or res_type"},
		{http.MethodGet, "/v1/report/total", "rating/reports/get", h(f.total), "report-total", "The cost of a window (deprecated by CloudKitty for summary); the answer is a JSON number"},
		{http.MethodGet, "/v1/report/tenants", "rating/reports/list", h(f.tenants), "report-tenants", "The tenants with rated usage in a window"},
	}
}

// storageRoutes are the rated dataframes.
func (f *face) storageRoutes() []route {
	return []route{
		{http.MethodGet, "/v1/storage/dataframes", "rating/dataframes/list", h(f.dataframes), "storage-dataframes", "The rated resources of a window, one dataframe per tenant and period"},
	}
}

func (f *face) summary(ctx context.Context, in *summaryQuery) (*out[SummaryList], error) {
	groups, err := ParseGroupBy(in.GroupBy)
	if err != nil {
		return nil, err
	}
	flt, err := f.filter(ctx, reportQuery{Begin: in.Begin, End: in.End, TenantID: in.TenantID, Service: in.Service, AllTenants: in.AllTenants})
	if err != nil {
		return nil, err
	}
	var by []string
	for _, g := range groups {
		by = append(by, map[string]string{groupTenant: cost.BySubAccount, groupResType: cost.ByService}[g])
	}
	totals, err := f.svc.CostSums(ctx, flt, by...)
	if err != nil {
		return nil, err
	}
	if len(totals) == 0 && len(by) == 0 {
		totals = []cost.Total{{}}
	}
	l := SummaryList{Summary: []Summary{}}
	for _, t := range totals {
		row := Summary{Begin: ckTime(flt.Begin), End: ckTime(flt.End), TenantID: "ALL", ResType: "ALL", Rate: t.Cost.Value.String()}
		if slices.Contains(groups, groupTenant) {
			row.TenantID = t.SubAccountID
		}
		if slices.Contains(groups, groupResType) {
			row.ResType = t.ServiceName
		}
		l.Summary = append(l.Summary, row)
	}
	return reply(l), nil
}

func (f *face) total(ctx context.Context, in *reportQuery) (*rawOutput, error) {
	flt, err := f.filter(ctx, *in)
	if err != nil {
		return nil, err
	}
	totals, err := f.svc.CostSums(ctx, flt)
	if err != nil {
		return nil, err
	}
	var sum money.Decimal
	for _, t := range totals {
		sum = sum.Add(t.Cost.Value)
	}
	return &rawOutput{ContentType: "application/json", Body: rawNumber(sum)}, nil
}

func (f *face) tenants(ctx context.Context, in *windowQuery) (*out[[]string], error) {
	b, e, err := f.window(in.Begin, in.End)
	if err != nil {
		return nil, err
	}
	visible, err := visibleTenants(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := f.svc.CostSubAccounts(ctx, cost.Filter{Begin: b, End: e, Sources: []string{processor.Source}, SubAccountIDs: visible})
	if err != nil {
		return nil, err
	}
	return reply(ids), nil
}

func (f *face) dataframes(ctx context.Context, in *dataframesQuery) (*out[DataFrameList], error) {
	b, e, err := f.window(in.Begin, in.End)
	if err != nil {
		return nil, err
	}
	tenants, err := visibleTenants(ctx)
	if err != nil {
		return nil, err
	}
	if in.TenantID != "" {
		if tenants != nil && !slices.Contains(tenants, in.TenantID) {
			return nil, errs.E(errs.Forbidden, "Access to tenant %s is not allowed.", in.TenantID)
		}
		tenants = []string{in.TenantID}
	}
	flt := cost.Filter{Begin: b, End: e, Sources: []string{processor.Source}, SubAccountIDs: tenants}
	if in.ResourceType != "" {
		flt.ServiceNames = []string{in.ResourceType}
	}
	recs, err := f.svc.CostRecords(ctx, flt)
	if err != nil {
		return nil, err
	}
	frames, err := dataframes(recs, b, e, f.opts.MaxDataframeResources)
	if err != nil {
		return nil, err
	}
	return reply(DataFrameList{Dataframes: frames}), nil
}

// dataframes expands cost records into CloudKitty dataframes: one per
// tenant and period, holding each period of the records inside [b, e).
func dataframes(recs []cost.Record, b, e time.Time, maxResources int) ([]DataFrame, error) {
	type key struct {
		begin, end time.Time
		tenant     string
	}
	frames := map[key]*DataFrame{}
	n := 0
	for i := range recs {
		r := &recs[i]
		first, last := r.Inside(b, e)
		n += last - first
		if n > maxResources {
			return nil, errs.E(errs.Invalid, "More than %d rated resources in this window: narrow it with begin and end, tenant_id or resource_type.", maxResources)
		}
		qty, rate := r.PeriodQuantity.String(), r.PeriodCost.String()
		for p := first; p < last; p++ {
			pb, pe := r.Period(p)
			k := key{pb, pe, r.SubAccountID}
			fr := frames[k]
			if fr == nil {
				fr = &DataFrame{Begin: ckTime(pb), End: ckTime(pe), TenantID: r.SubAccountID}
				frames[k] = fr
			}
			fr.Resources = append(fr.Resources, RatedResource{Service: r.ServiceName, Desc: r.Attributes, Volume: qty, Rating: rate})
		}
	}
	keys := make([]key, 0, len(frames))
	for k := range frames {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := a.begin.Compare(b.begin); c != 0 {
			return c
		}
		return cmp.Compare(a.tenant, b.tenant)
	})
	out := make([]DataFrame, 0, len(keys))
	for _, k := range keys {
		fr := frames[k]
		slices.SortStableFunc(fr.Resources, func(a, b RatedResource) int {
			if c := cmp.Compare(a.Service, b.Service); c != 0 {
				return c
			}
			return cmp.Compare(a.Desc["id"], b.Desc["id"])
		})
		out = append(out, *fr)
	}
	return out, nil
}
