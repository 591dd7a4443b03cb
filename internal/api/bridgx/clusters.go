package bridgx

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/cluster"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
)

type catalogInput struct {
	Provider   string `query:"provider" doc:"AlibabaCloud, HuaweiCloud, TencentCloud, BaiduCloud, AWSCloud"`
	RegionID   string `query:"region_id"`
	ZoneID     string `query:"zone_id"`
	AccountKey string `query:"account_key" doc:"optional: the account to ask (default: the oldest you may use)"`
	Refresh    bool   `query:"refresh" doc:"bypass the cache"`
}

func (in *catalogInput) query() cluster.CatalogQuery {
	return cluster.CatalogQuery{Provider: in.Provider, RegionID: in.RegionID, ZoneID: in.ZoneID, AccountKey: in.AccountKey, Refresh: in.Refresh}
}

// registerCatalog lists the catalog operations.
func (f *Face) registerCatalog(s *api.Server) {
	api.Register(s, op("region-list", http.MethodGet, "/api/v1/region/list", "List a provider's regions", "cluster/catalogs/list"), f.listRegions)
	api.Register(s, op("zone-list", http.MethodGet, "/api/v1/zone/list", "List a region's zones", "cluster/catalogs/list"), f.listZones)
	api.Register(s, op("instance-type-list", http.MethodGet, "/api/v1/instance_type/list", "List a zone's instance types", "cluster/catalogs/list"), f.listInstanceTypes)
	api.Register(s, op("image-list", http.MethodGet, "/api/v1/image/list", "List a region's public images", "cluster/catalogs/list"), f.listImages)
}

func (f *Face) listRegions(ctx context.Context, in *catalogInput) (*answer[[]bridgXRegion], error) {
	return catalog(ctx, in, f.Svc.Regions, func(r cloud.Region) bridgXRegion { return bridgXRegion{RegionID: r.ID, LocalName: r.LocalName} })
}

func (f *Face) listZones(ctx context.Context, in *catalogInput) (*answer[[]bridgXZone], error) {
	return catalog(ctx, in, f.Svc.Zones, func(z cloud.Zone) bridgXZone { return bridgXZone{ZoneID: z.ID, LocalName: z.LocalName} })
}

func (f *Face) listInstanceTypes(ctx context.Context, in *catalogInput) (*answer[[]bridgXInstanceType], error) {
	return catalog(ctx, in, f.Svc.InstanceTypes, instanceTypeOf)
}

func (f *Face) listImages(ctx context.Context, in *catalogInput) (*answer[[]bridgXImage], error) {
	return catalog(ctx, in, f.Svc.Images, func(im cloud.Image) bridgXImage {
		return bridgXImage{OSType: im.OSType, OSName: im.OSName, ImageID: im.ID}
	})
}

// catalog answers one of the catalog lists, never null.
func catalog[E, V any](ctx context.Context, in *catalogInput, list func(context.Context, inventory.Scope, cluster.CatalogQuery) ([]E, error),
	view func(E) V) (*answer[[]V], error) {
	es, err := list(ctx, auth.ScopeOf(ctx), in.query())
	if err != nil {
		return nil, err
	}
	out := make([]V, 0, len(es))
	for _, e := range es {
		out = append(out, view(e))
	}
	return answerOf(out), nil
}

// netBody is network_config as clients send it.
type netBody struct {
	VPC             string  `json:"vpc"`
	VPCID           string  `json:"vpc_id"`
	SubnetID        string  `json:"subnet_id"`
	SecurityGroup   string  `json:"security_group"`
	SecurityGroupID string  `json:"security_group_id"`
	ChargeType      string  `json:"internet_charge_type"`
	Bandwidth       flexInt `json:"internet_max_bandwidth"`
	BandwidthOut    flexInt `json:"internet_max_bandwidth_out"`
}

func (n netBody) config() cluster.NetworkConfig {
	nc := cluster.NetworkConfig{VPCID: first(n.VPC, n.VPCID), SubnetID: n.SubnetID, SecurityGroupID: first(n.SecurityGroup, n.SecurityGroupID),
		InternetChargeType: n.ChargeType, InternetBandwidth: int(n.Bandwidth)}
	if nc.InternetBandwidth == 0 {
		nc.InternetBandwidth = int(n.BandwidthOut)
	}
	return nc
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

type chargeBody struct {
	ChargeType string  `json:"charge_type"`
	PeriodUnit string  `json:"period_unit"`
	Period     flexInt `json:"period"`
}

type diskBody struct {
	Category string  `json:"category"`
	Size     flexInt `json:"size"`
}

type disksBody struct {
	SystemDisk *diskBody       `json:"system_disk"`
	DataDisk   json.RawMessage `json:"data_disk"`
	DataDisks  json.RawMessage `json:"data_disks"`
}

// disks reads disks; data_disk may be one object (the seed's table) or a
// list (its example).
func (d disksBody) disks() (cluster.Disks, error) {
	var out cluster.Disks
	if d.SystemDisk != nil {
		out.SystemDisk = cluster.Disk{Category: d.SystemDisk.Category, Size: int(d.SystemDisk.Size)}
	}
	raw := d.DataDisk
	if len(raw) == 0 || string(raw) == "null" {
		raw = d.DataDisks
	}
	raw = json.RawMessage(strings.TrimSpace(string(raw)))
	switch {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '[':
		var ds []diskBody
		if err := json.Unmarshal(raw, &ds); err != nil {
			return out, errs.Field("disks.data_disk", fieldErr(err))
		}
		for _, x := range ds {
			out.DataDisks = append(out.DataDisks, cluster.Disk{Category: x.Category, Size: int(x.Size)})
		}
	case raw[0] == '{':
		var x diskBody
		if err := json.Unmarshal(raw, &x); err != nil {
			return out, errs.Field("disks.data_disk", fieldErr(err))
		}
		if x.Category != "" || x.Size != 0 {
			out.DataDisks = append(out.DataDisks, cluster.Disk{Category: x.Category, Size: int(x.Size)})
		}
	default:
		return out, errs.Field("disks.data_disk", "must be an object or a list of objects")
	}
	return out, nil
}

// tagsOf reads tags given as an object, a list of {key, value}, JSON text
// or "k=v,k2=v2".
func (b body) tagsOf(name string) (map[string]string, bool, error) {
	v, present := b[name]
	if !present || v == nil {
		return nil, false, nil
	}
	if s, ok := v.(string); ok {
		s = strings.TrimSpace(s)
		if s == "" || s == "null" {
			return map[string]string{}, true, nil
		}
		if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
			var m any
			if err := json.Unmarshal([]byte(s), &m); err != nil {
				return nil, true, errs.Field(name, "not JSON: "+err.Error())
			}
			v = m
		} else {
			out := map[string]string{}
			for _, kv := range strings.Split(s, ",") {
				k, val, _ := strings.Cut(kv, "=")
				if k = strings.TrimSpace(k); k != "" {
					out[k] = strings.TrimSpace(val)
				}
			}
			return out, true, nil
		}
	}
	out := map[string]string{}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			out[k] = fmt.Sprint(val)
		}
	case []any:
		for i, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, true, errs.Field(fmt.Sprintf("%s[%d]", name, i), "must be {key, value}")
			}
			k := fmt.Sprint(first(str(m["key"]), str(m["Key"]), str(m["tag_key"])))
			out[k] = first(str(m["value"]), str(m["Value"]), str(m["tag_value"]))
		}
	default:
		return nil, true, errs.Field(name, "must be an object of key: value")
	}
	return out, true, nil
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// strFields reads several string parameters into destinations; a name may
// list alternatives ("image|image_id").
func (b body) strFields(dsts map[string]*string) error {
	for names, dst := range dsts {
		for _, n := range strings.Split(names, "|") {
			v, err := b.str(n)
			if err != nil {
				return err
			}
			if v != "" {
				*dst = v
				break
			}
		}
	}
	return nil
}

// chargeOf reads charge_config, or the top-level charge_type, period_unit
// and period the seed's example uses.
func (b body) chargeOf() (cluster.ChargeConfig, bool, error) {
	var cb chargeBody
	present, err := b.into("charge_config", &cb)
	if err != nil {
		return cluster.ChargeConfig{}, false, err
	}
	if cb.ChargeType == "" {
		if cb.ChargeType, err = b.str("charge_type"); err != nil {
			return cluster.ChargeConfig{}, false, err
		}
		present = present || cb.ChargeType != ""
	}
	if cb.PeriodUnit == "" {
		cb.PeriodUnit, _ = b.str("period_unit")
	}
	if cb.Period == 0 {
		n, _, err := b.num("period")
		if err != nil {
			return cluster.ChargeConfig{}, false, err
		}
		cb.Period = flexInt(n)
	}
	return cluster.ChargeConfig{ChargeType: cb.ChargeType, PeriodUnit: cb.PeriodUnit, Period: int(cb.Period)}, present, nil
}

type clusterListInput struct {
	Account    string `query:"account" doc:"the access key of a cloud account"`
	PageNumber string `query:"page_number"`
	PageSize   string `query:"page_size"`
}

type clusterNamePath struct {
	Name string `path:"name"`
}

// expandBody is what /cluster/expand and /cluster/shrink take.
type expandBody struct {
	TaskName    string
	ClusterName string
	Count       int
	IPs         []string
	Shrink      bool
}

// parseExpand reads an expand or shrink request. The seed documents shrink
// on the expand path; a body there is a shrink when it carries ips or says
// so in task_action, action or type ("SHRINK", any case).
func parseExpand(b body) (expandBody, error) {
	var e expandBody
	var err error
	if e.TaskName, err = b.str("task_name"); err != nil {
		return e, err
	}
	if e.ClusterName, err = b.str("cluster_name"); err != nil {
		return e, err
	}
	n, _, err := b.num("count")
	if err != nil {
		return e, err
	}
	e.Count = n
	if e.IPs, err = b.strs("ips"); err != nil {
		return e, err
	}
	for _, k := range []string{"task_action", "action", "type"} {
		v, _ := b.str(k)
		switch strings.ToUpper(v) {
		case "SHRINK":
			e.Shrink = true
		case "", "EXPAND":
		default:
			return e, errs.Field(k, fmt.Sprintf("%q is not EXPAND or SHRINK", v))
		}
	}
	if len(e.IPs) > 0 {
		e.Shrink = true
	}
	return e, nil
}

// registerClusters lists the cluster operations. Shrinking is also reached
// through expand (the seed documents it there), so the expand handler
// checks the shrink policy itself when the body asks to shrink.
func (f *Face) registerClusters(s *api.Server) {
	api.Register(s, op("cluster-create", http.MethodPost, "/api/v1/cluster/create", "Create a cluster (checked with a dry-run create on the cloud)", "cluster/clusters/create"), f.createCluster)
	api.Register(s, op("cluster-describe-all", http.MethodGet, "/api/v1/cluster/describe_all", "List clusters", "cluster/clusters/list"), f.listClusters)
	api.Register(s, op("cluster-get-id", http.MethodGet, "/api/v1/cluster/id/{id}", "Show a cluster by id", "cluster/clusters/get"), f.getClusterByID)
	api.Register(s, op("cluster-get-name", http.MethodGet, "/api/v1/cluster/name/{name}", "Show a cluster by name", "cluster/clusters/get"), f.getClusterByName)
	api.Register(s, op("cluster-update", http.MethodPost, "/api/v1/cluster/update", "Change a cluster", "cluster/clusters/update"), f.updateCluster)
	api.Register(s, op("cluster-edit", http.MethodPost, "/api/v1/cluster/edit", "Change a cluster (BridgX's name)", "cluster/clusters/update"), f.updateCluster)
	api.Register(s, op("cluster-delete", http.MethodDelete, "/api/v1/cluster/delete/{id}", "Delete a cluster without instances", "cluster/clusters/delete"), f.deleteCluster)
	api.Register(s, op("cluster-delete-post", http.MethodPost, "/api/v1/cluster/delete", "Delete a cluster without instances", "cluster/clusters/delete"), f.deleteClusterByBody)
	api.Register(s, op("cluster-expand", http.MethodPost, "/api/v1/cluster/expand", "Expand a cluster (a body with ips, or task_action SHRINK, shrinks it: the seed's shrink path)", "cluster/clusters/expand"), f.expandCluster)
	api.Register(s, op("cluster-shrink", http.MethodPost, "/api/v1/cluster/shrink", "Shrink a cluster by IP list or by count", "cluster/clusters/shrink"), f.shrinkCluster)
}

// createCluster answers the new cluster's name.
func (f *Face) createCluster(ctx context.Context, in *rawInput) (*answer[string], error) {
	b, err := needBody(in)
	if err != nil {
		return nil, err
	}
	var ci cluster.ClusterInput
	if err := b.strFields(map[string]*string{"name|cluster_name": &ci.Name, "provider": &ci.Provider, "region_id": &ci.RegionID,
		"zone_id": &ci.ZoneID, "instance_type": &ci.InstanceType, "image|image_id": &ci.ImageID, "password": &ci.Password,
		"account_key|ak": &ci.AccountKey, "desc|description": &ci.Description}); err != nil {
		return nil, err
	}
	var nb netBody
	if _, err := b.into("network_config", &nb); err != nil {
		return nil, err
	}
	ci.Network = nb.config()
	if ci.Charge, _, err = b.chargeOf(); err != nil {
		return nil, err
	}
	var db disksBody
	if _, err := b.into("disks", &db); err != nil {
		return nil, err
	}
	if ci.Disks, err = db.disks(); err != nil {
		return nil, err
	}
	if ci.Tags, _, err = b.tagsOf("tags"); err != nil {
		return nil, err
	}
	c, err := f.Svc.CreateCluster(ctx, ownerOf(ctx), ci)
	if err != nil {
		return nil, err
	}
	noteCluster(ctx, c)
	return answerOf(c.Name), nil
}

func (f *Face) listClusters(ctx context.Context, in *clusterListInput) (*answer[bridgXClusterList], error) {
	p, err := pageParams(in.PageNumber, in.PageSize)
	if err != nil {
		return nil, err
	}
	page, err := f.Svc.ListClusters(ctx, auth.ScopeOf(ctx), cluster.ClusterQuery{AccountKey: in.Account, Page: p})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(page.Items))
	for i, c := range page.Items {
		ids[i] = c.ID
	}
	counts, err := f.Svc.InstanceCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := bridgXClusterList{ClusterList: make([]bridgXClusterRow, 0, len(page.Items)), Pager: pager(p, page.Total)}
	for i := range page.Items {
		c := &page.Items[i]
		out.ClusterList = append(out.ClusterList, bridgXClusterRow{ID: c.ID, Name: c.Name, Provider: cluster.BridgXName(c.Provider),
			Account: c.AccountKey, CreateAt: f.Svc.FormatTime(c.CreatedAt), CreateBy: c.CreatedBy,
			RegionID: c.RegionID, ZoneID: c.ZoneID, InstanceType: c.InstanceType, InstanceNum: counts[c.ID], Desc: c.Description})
	}
	return answerOf(out), nil
}

func (f *Face) getClusterByID(ctx context.Context, in *idPath) (*answer[bridgXCluster], error) {
	return f.showCluster(ctx, in.ID)
}

func (f *Face) getClusterByName(ctx context.Context, in *clusterNamePath) (*answer[bridgXCluster], error) {
	return f.showCluster(ctx, in.Name)
}

func (f *Face) showCluster(ctx context.Context, idOrName string) (*answer[bridgXCluster], error) {
	c, err := f.Svc.GetCluster(ctx, auth.ScopeOf(ctx), idOrName)
	if err != nil {
		return nil, err
	}
	counts, err := f.Svc.InstanceCounts(ctx, []string{c.ID})
	if err != nil {
		return nil, err
	}
	return answerOf(f.clusterOf(c, counts[c.ID])), nil
}

// updateCluster changes only what the body names, and answers the name.
func (f *Face) updateCluster(ctx context.Context, in *rawInput) (*answer[string], error) {
	b, err := needBody(in)
	if err != nil {
		return nil, err
	}
	ref, err := clusterRef(b)
	if err != nil {
		return nil, err
	}
	p, err := clusterPatch(b)
	if err != nil {
		return nil, err
	}
	c, err := f.Svc.UpdateCluster(ctx, auth.ScopeOf(ctx), ref, p)
	if err != nil {
		return nil, err
	}
	noteCluster(ctx, c)
	return answerOf(c.Name), nil
}

func (f *Face) deleteCluster(ctx context.Context, in *idPath) (*answer[string], error) {
	return f.removeCluster(ctx, in.ID)
}

func (f *Face) deleteClusterByBody(ctx context.Context, in *rawInput) (*answer[string], error) {
	b, err := needBody(in)
	if err != nil {
		return nil, err
	}
	ref, err := clusterRef(b)
	if err != nil {
		return nil, err
	}
	return f.removeCluster(ctx, ref)
}

func (f *Face) removeCluster(ctx context.Context, ref string) (*answer[string], error) {
	c, err := f.Svc.DeleteCluster(ctx, auth.ScopeOf(ctx), ref)
	if err != nil {
		return nil, err
	}
	noteCluster(ctx, c)
	return answerOf(c.Name), nil
}

func (f *Face) expandCluster(ctx context.Context, in *rawInput) (*answer[bridgXTaskID], error) {
	return f.resize(ctx, in, false)
}

func (f *Face) shrinkCluster(ctx context.Context, in *rawInput) (*answer[bridgXTaskID], error) {
	return f.resize(ctx, in, true)
}

// resize starts an expand or shrink task and answers its id; on the expand
// path the body decides which (see parseExpand).
func (f *Face) resize(ctx context.Context, in *rawInput, shrink bool) (*answer[bridgXTaskID], error) {
	b, err := needBody(in)
	if err != nil {
		return nil, err
	}
	e, err := parseExpand(b)
	if err != nil {
		return nil, err
	}
	e.Shrink = e.Shrink || shrink
	o := ownerOf(ctx)
	var t *cluster.Task
	if e.Shrink {
		if c := auth.From(ctx); c != nil {
			if _, allowed := c.Can("cluster/clusters/shrink"); !allowed {
				return nil, errs.E(errs.Forbidden, "you may not shrink clusters")
			}
		}
		t, err = f.Svc.Shrink(ctx, o, cluster.ShrinkInput{ClusterName: e.ClusterName, TaskName: e.TaskName, Count: e.Count, IPs: e.IPs})
	} else {
		t, err = f.Svc.Expand(ctx, o, cluster.ExpandInput{ClusterName: e.ClusterName, TaskName: e.TaskName, Count: e.Count})
	}
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "cluster", ID: t.ClusterID, Name: t.ClusterName, DomainID: t.DomainID, ProjectID: t.ProjectID})
	return answerOf(bridgXTaskID(t.ID)), nil
}

func noteCluster(ctx context.Context, c *cluster.Cluster) {
	auth.Note(ctx, auth.Object{Type: "cluster", ID: c.ID, Name: c.Name, DomainID: c.DomainID, ProjectID: c.ProjectID})
}

// clusterRef is the cluster a body names, by id or by name.
func clusterRef(b body) (string, error) {
	var ref string
	if err := b.strFields(map[string]*string{"cluster_id|id|cluster_name|name": &ref}); err != nil {
		return "", err
	}
	if ref == "" {
		return "", errs.Field("cluster_id", "required (or cluster_name)")
	}
	return ref, nil
}

// clusterPatch reads the fields an update body carries; absent ones stay
// as they are.
func clusterPatch(b body) (cluster.ClusterPatch, error) {
	var p cluster.ClusterPatch
	for name, dst := range map[string]**string{"desc": &p.Description, "description": &p.Description, "zone_id": &p.ZoneID,
		"instance_type": &p.InstanceType, "image": &p.ImageID, "image_id": &p.ImageID, "password": &p.Password} {
		if _, present := b[name]; !present {
			continue
		}
		v, err := b.str(name)
		if err != nil {
			return p, err
		}
		*dst = &v
	}
	if _, present := b["network_config"]; present {
		var nb netBody
		if _, err := b.into("network_config", &nb); err != nil {
			return p, err
		}
		nc := nb.config()
		p.Network = &nc
	}
	if ch, present, err := b.chargeOf(); err != nil {
		return p, err
	} else if present {
		p.Charge = &ch
	}
	if _, present := b["disks"]; present {
		var db disksBody
		if _, err := b.into("disks", &db); err != nil {
			return p, err
		}
		d, err := db.disks()
		if err != nil {
			return p, err
		}
		p.Disks = &d
	}
	if tags, present, err := b.tagsOf("tags"); err != nil {
		return p, err
	} else if present {
		p.Tags = &tags
	}
	return p, nil
}
