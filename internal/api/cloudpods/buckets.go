package cloudpods

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
)

type bucketCreateInput struct {
	Body struct {
		_             struct{}          `json:"-" additionalProperties:"true"`
		Provider      string            `json:"provider,omitempty"`
		Cloudregion   string            `json:"cloudregion" doc:"region id"`
		Cloudprovider string            `json:"cloudprovider" doc:"cloud provider (manager) id"`
		Name          string            `json:"name"`
		Description   string            `json:"description,omitempty"`
		Meta          map[string]string `json:"__meta__,omitempty" doc:"tags"`
		ProjectDomain string            `json:"project_domain,omitempty"`
		ProjectID     string            `json:"project_id,omitempty"`
		Tenant        string            `json:"tenant,omitempty"`
	}
}

// RegisterBuckets adds bucket create and delete (list and get come with the
// other collections).
func (f *Face) RegisterBuckets(s *api.Server) {
	api.Register(s, auth.Policy(op("create-bucket", http.MethodPost, "/api/v2/buckets", "Create an object storage bucket on the cloud (a task)", "buckets"), "compute/buckets/create"), f.createBucket)
	api.Register(s, auth.Policy(op("delete-bucket", http.MethodDelete, "/api/v2/buckets/{id}", "Delete a bucket on the cloud (a task)", "buckets"), "compute/buckets/delete"), f.deleteBucket)
}

func (f *Face) createBucket(ctx context.Context, in *bucketCreateInput) (*resourceOutput, error) {
	b := in.Body
	var fs []errs.FieldError
	if b.Cloudregion == "" {
		fs = append(fs, errs.FieldError{Field: "cloudregion", Reason: "required"})
	}
	if b.Cloudprovider == "" {
		fs = append(fs, errs.FieldError{Field: "cloudprovider", Reason: "required"})
	}
	if b.Name == "" {
		fs = append(fs, errs.FieldError{Field: "name", Reason: "required"})
	}
	if err := errs.Fields(fs...); err != nil {
		return nil, err
	}
	field, project := "project_id", b.ProjectID
	if project == "" {
		field, project = "tenant", b.Tenant
	}
	domainID, projectID, err := owner(ctx, f.IDs, field, project)
	if err != nil {
		return nil, err
	}
	// The provider must be one the caller can see.
	provs, err := f.Inv.Providers(ctx, auth.ScopeOf(ctx), "")
	if err != nil {
		return nil, err
	}
	visible := false
	for _, p := range provs {
		visible = visible || p.ID == b.Cloudprovider
	}
	if !visible {
		return nil, errs.Field("cloudprovider", "no such cloud provider "+b.Cloudprovider)
	}
	uid := ""
	if c := auth.From(ctx); c != nil {
		uid = c.UserID()
	}
	r, t, err := f.Inv.CreateBucket(ctx, inventory.BucketInput{ProviderID: b.Cloudprovider, RegionID: b.Cloudregion,
		Name: b.Name, Description: b.Description, Tags: b.Meta, DomainID: domainID, ProjectID: projectID, UserID: uid})
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "bucket", ID: r.ID, Name: r.Name})
	n := f.newNames()
	v := f.resourceView(ctx, n, r, true)
	states, err := f.Inv.BucketStates(ctx, []inventory.Resource{*r})
	if err != nil {
		return nil, err
	}
	f.addBucketFields(ctx, n, &v, r, states[r.ID])
	v.resourceTask = &resourceTask{TaskID: t.ID}
	return &resourceOutput{Body: v}, nil
}

func (f *Face) deleteBucket(ctx context.Context, in *idInput) (*taskAccepted, error) {
	uid := ""
	if c := auth.From(ctx); c != nil {
		uid = c.UserID()
	}
	r, err := f.Inv.GetResource(ctx, auth.ScopeOf(ctx), inventory.KindBucket, in.ID)
	if err != nil {
		return nil, err
	}
	if c := auth.From(ctx); c == nil || !c.Covers(r.DomainID, r.ProjectID) {
		return nil, errs.E(errs.Forbidden, "you cannot delete bucket %s", r.Name)
	}
	t, err := f.Inv.DeleteBucket(ctx, auth.ScopeOf(ctx), r.ID, uid)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "bucket", ID: r.ID, Name: r.Name})
	return accepted(t), nil
}

// Register adds the whole Cloudpods inventory face.
func (f *Face) Register(s *api.Server) {
	f.RegisterAccounts(s)
	f.RegisterProjects(s)
	f.RegisterParameters(s)
	f.RegisterRegions(s)
	f.RegisterBuckets(s)
	f.RegisterResources(s)
	f.RegisterServerOps(s) // serverops.go
}

// addBucketFields sets what Cloudpods shows of a bucket from its state.
func (f *Face) addBucketFields(ctx context.Context, n *names, v *cloudpodsResource, r *inventory.Resource, st inventory.BucketState) {
	var data struct {
		Description string `json:"description"`
		Endpoint    string `json:"endpoint"`
	}
	_ = json.Unmarshal(r.Data, &data)
	a := n.account(ctx, r.CloudaccountID)
	busy := r.BusyTaskID != ""
	bf := &bucketFields{Description: data.Description, UpdateVersion: st.UpdateVersion, Source: st.Source,
		AccessURLs: bucketURLs(a, r.ExternalID, data.Endpoint), IsEmulated: r.Status == "create_failed",
		ProjectSrc: "local", IsSystem: n.isSystemProject(ctx, r.ProjectID)}
	// Skyfold shares accounts, never the resources synced from them: a
	// bucket is seen through its owner project's grants alone.
	bf.IsPublic, bf.PublicScope, bf.PublicSrc = false, "none", "local"
	if a != nil {
		bf.Freezed = !a.Enabled
		bf.CanUpdate = !busy && a.Enabled && !a.ReadOnly
	}
	var objects int64
	if st.Stats != nil {
		size := st.Stats.SizeBytes
		objects = st.Stats.ObjectCnt
		v.SizeBytes, v.ObjectCnt = &size, &objects
		bf.UsageReadAt = ts(st.Stats.ReadAt)
	} else if v.SizeBytes == nil {
		var zero int64
		v.SizeBytes, v.ObjectCnt = &zero, &zero
	}
	switch r.Status {
	case "start_create", "deleting", "deleted":
	default:
		bf.CanDelete = !busy && objects == 0
	}
	if busy && f.Tasks != nil {
		if t, err := f.Tasks.Get(ctx, r.BusyTaskID); err == nil {
			bf.Progress = t.Progress
		}
	}
	if pv := n.provider(ctx, r.CloudaccountID, r.CloudproviderID); pv != nil {
		bf.ManagerDomainID, bf.ManagerDomain = pv.DomainID, n.domain(ctx, pv.DomainID)
		bf.ManagerProjectID, bf.ManagerProject = pv.ProjectID, n.project(ctx, pv.ProjectID)
	}
	v.bucketFields = bf
}

// bucketURLs is how to reach a bucket at the endpoint its cloud lists:
// virtual-hosted (https://name.endpoint) at a named endpoint, path style
// (https://host:port/name) at an address, as private deployments and
// simulators are reached; plain http where the account itself is reached
// over http.
func bucketURLs(a *inventory.Account, name, endpoint string) []bucketAccessURL {
	if endpoint == "" || name == "" {
		return []bucketAccessURL{}
	}
	scheme := "https"
	if a != nil && strings.HasPrefix(a.AccessURL, "http://") {
		scheme = "http"
	}
	host := endpoint
	if h, _, err := net.SplitHostPort(endpoint); err == nil {
		host = h
	}
	u := scheme + "://" + name + "." + endpoint
	if net.ParseIP(host) != nil || host != endpoint || host == "localhost" {
		u = scheme + "://" + endpoint + "/" + name
	}
	return []bucketAccessURL{{URL: u, Description: "extranet", Primary: true}}
}
