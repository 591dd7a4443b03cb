package cloudpods

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

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

type resourceListOutput struct {
	Body map[string]any
}

type statsOutput struct {
	Body map[string]any
}

// RegisterResources adds list and get for every synced collection, and
// statistics.
func (f *Face) RegisterResources(s *api.Server) {
	for _, c := range collections {
		c := c
		tags := []string{c.path}
		api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-list-" + c.path, Method: http.MethodGet,
			Path: "/api/v2/" + c.path, Summary: "List " + c.path, Tags: tags}, "compute/"+c.path+"/list"),
			func(ctx context.Context, in *resourceListInput) (*resourceListOutput, error) {
				p, err := in.Params()
				if err != nil {
					return nil, err
				}
				rf, err := f.resourceFilter(ctx, in)
				if err != nil {
					return nil, err
				}
				rf.WithData = in.Details
				page, err := f.Inv.ListResources(ctx, auth.ScopeOf(ctx), c.kind, rf, p)
				if err != nil {
					return nil, err
				}
				n := f.newNames()
				items := make([]map[string]any, 0, len(page.Items))
				for i := range page.Items {
					items = append(items, f.resourceView(ctx, n, &page.Items[i], in.Details))
				}
				return &resourceListOutput{Body: map[string]any{c.path: items, "total": page.Total, "limit": page.Limit, "offset": page.Offset}}, nil
			})
		api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-get-" + c.path, Method: http.MethodGet,
			Path: "/api/v2/" + c.path + "/{id}", Summary: "Get one of " + c.path, Tags: tags}, "compute/"+c.path+"/get"),
			func(ctx context.Context, in *idInput) (*objectOutput, error) {
				r, err := f.Inv.GetResource(ctx, auth.ScopeOf(ctx), c.kind, in.ID)
				if err != nil {
					return nil, err
				}
				return &objectOutput{Body: f.resourceView(ctx, f.newNames(), r, true)}, nil
			})
	}
	// Statistics: counts and sizes of a collection, by status.
	for _, c := range collections {
		c := c
		api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-statistics-" + c.path, Method: http.MethodGet,
			Path: "/api/v2/" + c.path + "/statistics", Summary: "Statistics of " + c.path, Tags: []string{c.path}}, "compute/"+c.path+"/list"),
			func(ctx context.Context, in *resourceListInput) (*statsOutput, error) {
				rf, err := f.resourceFilter(ctx, in)
				if err != nil {
					return nil, err
				}
				st, err := f.Inv.Statistics(ctx, auth.ScopeOf(ctx), c.kind, rf)
				if err != nil {
					return nil, err
				}
				return &statsOutput{Body: st}, nil
			})
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
func (f *Face) resourceView(ctx context.Context, n *names, r *inventory.Resource, details bool) map[string]any {
	v := map[string]any{}
	if details {
		var data map[string]any
		if json.Unmarshal(r.Data, &data) == nil {
			for k, x := range data {
				v[k] = x
			}
		}
	}
	project := n.project(ctx, r.ProjectID)
	v["id"], v["name"], v["status"], v["external_id"] = r.ID, r.Name, r.Status, r.ExternalID
	v["raw_status"], v["global_id"] = r.RawStatus, r.GlobalID
	v["cloudaccount_id"], v["account_id"], v["manager_id"] = r.CloudaccountID, r.CloudaccountID, r.CloudproviderID
	v["cloudregion_id"], v["region_id"], v["zone_id"] = r.CloudregionID, r.CloudregionID, r.ZoneID
	v["tenant_id"], v["project_id"], v["tenant"], v["project"] = r.ProjectID, r.ProjectID, project, project
	v["domain_id"], v["project_domain"] = r.DomainID, n.domain(ctx, r.DomainID)
	v["metadata"] = r.TagMap()
	v["created_at"], v["updated_at"] = ts(r.CreatedAt), ts(r.UpdatedAt)
	v["imported_at"] = ts(r.CreatedAt)
	v["deleted"], v["pending_deleted"] = r.DeletedAt != nil, false
	if r.ChargeType != "" {
		v["billing_type"] = strings.ToLower(strings.TrimSuffix(r.ChargeType, "Paid")) + "paid"
		v["charge_type"] = r.ChargeType
	}
	switch r.Kind {
	case inventory.KindServer:
		v["instance_type"], v["vcpu_count"], v["vmem_size"] = r.InstanceType, r.CPU, r.MemoryMB
		v["ips"] = r.IPs
	case inventory.KindDisk, inventory.KindSnapshot:
		v["disk_size"] = r.SizeGB * 1024
	case inventory.KindBucket:
		if _, ok := v["size_bytes"]; !ok {
			v["size_bytes"], v["object_cnt"] = 0, 0
		}
	}
	if a := n.account(ctx, r.CloudaccountID); a != nil {
		v["account"], v["manager"], v["provider"], v["brand"] = a.Name, a.Name, a.Provider, a.Brand
		v["account_status"], v["account_health_status"], v["account_read_only"] = a.Status, a.HealthStatus, a.ReadOnly
		v["cloud_env"], v["environment"] = a.CloudEnv, a.AccessURL
	}
	if reg := n.region(ctx, r.CloudregionID); reg != nil {
		v["cloudregion"], v["region"], v["region_ext_id"], v["region_external_id"] = reg.Name, reg.Name, reg.RegionID, reg.ExternalID
	}
	return v
}
