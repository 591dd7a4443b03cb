package cloudpods

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
)

// collections maps Cloudpods' collection names onto resource kinds.
var collections = []struct {
	path string
	kind inventory.Kind
}{
	{"servers", inventory.KindServer}, {"disks", inventory.KindDisk}, {"vpcs", inventory.KindVPC},
	{"networks", inventory.KindNetwork}, {"secgroups", inventory.KindSecgroup}, {"eips", inventory.KindEIP},
	{"buckets", inventory.KindBucket}, {"snapshots", inventory.KindSnapshot}, {"hosts", inventory.KindHost},
	{"storages", inventory.KindStorage}, {"dbinstances", inventory.KindDBInstance},
	{"elasticcaches", inventory.KindElasticCache}, {"kafkas", inventory.KindKafka},
}

type resourceListInput struct {
	ListQuery
	ShowFailReason bool     `query:"show_fail_reason"`
	Cloudaccount   string   `query:"cloudaccount" doc:"account id or name"`
	Manager        string   `query:"manager" doc:"cloud provider (sub-account) id"`
	Provider       string   `query:"provider"`
	Cloudregion    string   `query:"cloudregion" doc:"region id or external id (Aliyun/cn-beijing)"`
	Zone           string   `query:"zone"`
	Status         []string `query:"status,explode"`
	ProjectID      string   `query:"project_id"`
	Tenant         string   `query:"tenant"`
	Name           string   `query:"name" doc:"name contains"`
	IP             string   `query:"ip_addr" doc:"instances with this IP"`
	Tags           []string `query:"tags,explode" doc:"key=value, repeat for AND"`
}

// bucketUsageAge is how old a bucket's usage may be before a get asks the
// cloud again: fresh enough to decide whether it can be deleted, without a
// cloud call on every poll.
const bucketUsageAge = time.Minute

// RegisterResources adds list, get and statistics for every synced
// collection.
func (f *Face) RegisterResources(s *api.Server) {
	for _, c := range collections {
		path, tags := "/api/v2/"+c.path, []string{c.path}
		api.Register(s, withBody(auth.Policy(op("list-"+c.path, http.MethodGet, path, "List "+c.path, tags...), "compute/"+c.path+"/list"), listSchema[cloudpodsResource](s.API, c.path)), f.listResources(c.path, c.kind))
		api.Register(s, auth.Policy(op("get-"+c.path, http.MethodGet, path+"/{id}", "Get one of "+c.path, tags...), "compute/"+c.path+"/get"), f.getResource(c.kind))
		api.Register(s, auth.Policy(op("statistics-"+c.path, http.MethodGet, path+"/statistics", "Statistics of "+c.path, tags...), "compute/"+c.path+"/list"), f.resourceStatistics(c.kind))
	}
}

type resourceListOutput struct {
	Body cloudpodsList[cloudpodsResource]
}

type resourceOutput struct {
	Body cloudpodsResource
}

type statsOutput struct {
	Body cloudpodsStatistics
}

// listResources lists the collection key of kind k.
func (f *Face) listResources(key string, k inventory.Kind) func(context.Context, *resourceListInput) (*resourceListOutput, error) {
	return func(ctx context.Context, in *resourceListInput) (*resourceListOutput, error) {
		p, err := in.Params()
		if err != nil {
			return nil, err
		}
		rf, err := f.resourceFilter(ctx, in)
		if err != nil {
			return nil, err
		}
		// A bucket's access URLs come from its data.
		rf.WithData = in.Details || k == inventory.KindBucket
		page, err := f.Inv.ListResources(ctx, auth.ScopeOf(ctx), k, rf, p)
		if err != nil {
			return nil, err
		}
		n := f.newNames()
		out := &resourceListOutput{Body: cloudpodsList[cloudpodsResource]{key: key, Items: make([]cloudpodsResource, 0, len(page.Items)),
			Total: page.Total, Limit: page.Limit, Offset: page.Offset}}
		for i := range page.Items {
			out.Body.Items = append(out.Body.Items, f.resourceView(ctx, n, &page.Items[i], in.Details))
		}
		if k == inventory.KindBucket {
			states, err := f.Inv.BucketStates(ctx, page.Items)
			if err != nil {
				return nil, err
			}
			for i := range page.Items {
				f.addBucketFields(ctx, n, &out.Body.Items[i], &page.Items[i], states[page.Items[i].ID])
			}
		}
		return out, nil
	}
}

func (f *Face) getResource(k inventory.Kind) func(context.Context, *idInput) (*resourceOutput, error) {
	return func(ctx context.Context, in *idInput) (*resourceOutput, error) {
		r, err := f.Inv.GetResource(ctx, auth.ScopeOf(ctx), k, in.ID)
		if err != nil {
			return nil, err
		}
		n := f.newNames()
		v := f.resourceView(ctx, n, r, true)
		if k == inventory.KindBucket {
			st, err := f.Inv.FreshBucketState(ctx, r, bucketUsageAge)
			if err != nil {
				return nil, err
			}
			f.addBucketFields(ctx, n, &v, r, st)
		}
		return &resourceOutput{Body: v}, nil
	}
}

func (f *Face) resourceStatistics(k inventory.Kind) func(context.Context, *resourceListInput) (*statsOutput, error) {
	return func(ctx context.Context, in *resourceListInput) (*statsOutput, error) {
		rf, err := f.resourceFilter(ctx, in)
		if err != nil {
			return nil, err
		}
		st, err := f.Inv.Statistics(ctx, auth.ScopeOf(ctx), k, rf)
		if err != nil {
			return nil, err
		}
		return &statsOutput{Body: cloudpodsStatistics(*st)}, nil
	}
}

func (f *Face) resourceFilter(ctx context.Context, in *resourceListInput) (inventory.ResourceFilter, error) {
	rf := inventory.ResourceFilter{ProviderID: in.Manager, ZoneID: in.Zone, Status: in.Status, NameContains: in.Name, IP: in.IP}
	if in.Provider != "" {
		name, ok := cloud.Canonical(in.Provider)
		if !ok {
			return rf, errs.Field("provider", "unknown provider "+in.Provider)
		}
		rf.Provider = name
	}
	rf.ProjectID = in.ProjectID
	if rf.ProjectID == "" {
		rf.ProjectID = in.Tenant
	}
	if in.Cloudaccount != "" {
		a, err := f.Inv.GetVisible(ctx, auth.ScopeOf(ctx), in.Cloudaccount)
		if err != nil {
			return rf, errs.Field("cloudaccount", "no such cloud account "+in.Cloudaccount)
		}
		rf.AccountID = a.ID
	}
	if in.Cloudregion != "" {
		r, err := f.Inv.Region(ctx, in.Cloudregion)
		if err != nil {
			return rf, errs.Field("cloudregion", "no such region "+in.Cloudregion)
		}
		rf.RegionID = r.ID
	}
	if len(in.Tags) > 0 {
		rf.Tags = map[string]string{}
		for _, t := range in.Tags {
			k, v, ok := strings.Cut(t, "=")
			if !ok || k == "" {
				return rf, errs.Field("tags", "use key=value")
			}
			rf.Tags[k] = v
		}
	}
	return rf, nil
}

// resourceView is a resource as Cloudpods shows it: its own fields, the
// driver's data, and the account, region and project it belongs to.
func (f *Face) resourceView(ctx context.Context, n *names, r *inventory.Resource, details bool) cloudpodsResource {
	project := n.project(ctx, r.ProjectID)
	v := cloudpodsResource{ID: r.ID, Name: r.Name, Status: r.Status, ExternalID: r.ExternalID, RawStatus: r.RawStatus, GlobalID: r.GlobalID,
		CloudaccountID: r.CloudaccountID, AccountID: r.CloudaccountID, ManagerID: r.CloudproviderID,
		CloudregionID: r.CloudregionID, RegionID: r.CloudregionID, ZoneID: r.ZoneID,
		TenantID: r.ProjectID, ProjectID: r.ProjectID, Tenant: project, Project: project,
		DomainID: r.DomainID, ProjectDomain: n.domain(ctx, r.DomainID), Metadata: r.TagMap(),
		CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt), ImportedAt: ts(r.CreatedAt), Deleted: r.DeletedAt != nil}
	if details {
		v.data = r.Data
	}
	if r.ChargeType != "" {
		v.BillingType = strings.ToLower(strings.TrimSuffix(r.ChargeType, "Paid")) + "paid"
		v.ChargeType = r.ChargeType
	}
	switch r.Kind {
	case inventory.KindServer:
		v.InstanceType, v.VCPUCount, v.VMemSize, v.IPs = &r.InstanceType, &r.CPU, &r.MemoryMB, &r.IPs
	case inventory.KindDisk, inventory.KindSnapshot:
		mb := r.SizeGB * 1024
		v.DiskSize = &mb
	case inventory.KindBucket:
		if !v.hasData("size_bytes") {
			var zero int64
			v.SizeBytes, v.ObjectCnt = &zero, &zero
		}
	}
	if a := n.account(ctx, r.CloudaccountID); a != nil {
		v.resourceAccount = &resourceAccount{Account: a.Name, Manager: a.Name, Provider: a.Provider, Brand: a.Brand,
			AccountStatus: a.Status, AccountHealthStatus: a.HealthStatus, AccountReadOnly: a.ReadOnly, CloudEnv: a.CloudEnv, Environment: a.AccessURL}
	}
	if reg := n.region(ctx, r.CloudregionID); reg != nil {
		v.resourceRegion = &resourceRegion{Cloudregion: reg.Name, Region: reg.Name, RegionExtID: reg.RegionID, RegionExternalID: reg.ExternalID}
	}
	return v
}
