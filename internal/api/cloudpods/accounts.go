package cloudpods

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/task"
)

// Face serves the Cloudpods-style inventory API.
type Face struct {
	Inv   *inventory.Service
	IDs   *identity.Service
	Tasks *task.Service
}

type subAccounts struct {
	Accounts []struct {
		Account      string `json:"account,omitempty"`
		HealthStatus string `json:"health_status,omitempty"`
		ID           string `json:"id,omitempty"`
		Name         string `json:"name,omitempty"`
	} `json:"accounts,omitempty"`
	Cloudregions []struct {
		ID string `json:"id"`
	} `json:"cloudregions,omitempty"`
}

type accountCreateBody struct {
	_                      struct{}     `json:"-" additionalProperties:"true"`
	Name                   string       `json:"name" doc:"account name"`
	Description            string       `json:"description,omitempty"`
	Provider               string       `json:"provider" doc:"Aliyun, Aws, Qcloud, Huawei, Baidu, StarVCenter, OpenStack (BridgX spellings accepted)"`
	Environment            string       `json:"environment,omitempty" doc:"cloud environment, e.g. InternationalCloud"`
	AccessURL              string       `json:"access_url,omitempty" doc:"environment name or endpoint URL (private deployments, simulators)"`
	AccessKeyID            string       `json:"access_key_id"`
	AccessKeySecret        string       `json:"access_key_secret"`
	Tenant                 string       `json:"tenant,omitempty" doc:"owner project id"`
	ProjectID              string       `json:"project_id,omitempty"`
	ProjectDomain          string       `json:"project_domain,omitempty"`
	Enabled                *bool        `json:"enabled,omitempty"`
	ReadOnly               bool         `json:"read_only,omitempty"`
	DryRun                 bool         `json:"dry_run,omitempty" doc:"validate and test the connection without storing"`
	ShareMode              string       `json:"share_mode,omitempty"`
	PublicScope            string       `json:"public_scope,omitempty"`
	SyncIntervalSeconds    int          `json:"sync_interval_seconds,omitempty"`
	SubAccounts            *subAccounts `json:"sub_accounts,omitempty"`
	EnableAutoSync         bool         `json:"enable_auto_sync,omitempty"`
	SamlAuth               bool         `json:"saml_auth,omitempty"`
	IsOpenBlockedResources bool         `json:"isOpenBlockedResources,omitempty"`
}

type accountCreateInput struct {
	Body accountCreateBody
}

type objectOutput struct {
	Body map[string]any
}

type accountListOutput struct {
	Body struct {
		Cloudaccounts []map[string]any `json:"cloudaccounts"`
		Total         int              `json:"total"`
		Limit         int              `json:"limit"`
		Offset        int              `json:"offset"`
	}
}

type accountListInput struct {
	ListQuery
	ShowFailReason bool   `query:"show_fail_reason"`
	Provider       string `query:"provider"`
	Brand          string `query:"brand"`
	Enabled        string `query:"enabled"`
	ID             string `query:"id" doc:"the seed's ?id= form"`
}

type idInput struct {
	ID string `path:"id"`
}

type idQueryInput struct {
	ID string `query:"id" required:"true" doc:"account id (the seed's ?id= form)"`
}

type accountUpdateInput struct {
	ID   string `path:"id"`
	Body struct {
		_                   struct{} `json:"-" additionalProperties:"true"`
		Name                *string  `json:"name,omitempty"`
		Description         *string  `json:"description,omitempty"`
		AccessKeyID         *string  `json:"access_key_id,omitempty"`
		AccessKeySecret     *string  `json:"access_key_secret,omitempty"`
		SyncIntervalSeconds *int     `json:"sync_interval_seconds,omitempty"`
		ShareMode           *string  `json:"share_mode,omitempty"`
		PublicScope         *string  `json:"public_scope,omitempty"`
	}
}

type syncInput struct {
	ID   string `path:"id"`
	Body *struct {
		_             struct{} `json:"-" additionalProperties:"true"`
		FullSync      bool     `json:"full_sync,omitempty"`
		Regions       []string `json:"cloudregions,omitempty" doc:"region ids to sync (default all chosen)"`
		ResourceTypes []string `json:"resource_types,omitempty" doc:"vpc, network, eip, secgroup, disk, server, snapshot, bucket, dbinstance, elasticcache, kafka"`
	}
}

type taskAccepted struct {
	Body struct {
		TaskID string `json:"task_id"`
		ID     string `json:"id"`
		Status string `json:"status"`
	}
}

func accepted(t *task.Task) *taskAccepted {
	out := &taskAccepted{}
	out.Body.TaskID, out.Body.ID, out.Body.Status = t.ID, t.ObjectID, string(t.Status)
	return out
}

// RegisterAccounts adds /api/v2/cloudaccounts.
func (f *Face) RegisterAccounts(s *api.Server) {
	tags := []string{"cloudaccounts"}
	api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-create-cloudaccount", Method: http.MethodPost,
		Path: "/api/v2/cloudaccounts", Summary: "Connect a cloud account (dry_run tests the connection only)", Tags: tags,
		DefaultStatus: http.StatusOK}, "compute/cloudaccounts/create"),
		func(ctx context.Context, in *accountCreateInput) (*objectOutput, error) {
			b := in.Body
			project := b.Tenant
			if project == "" {
				project = b.ProjectID
			}
			domainID, projectID, err := owner(ctx, f.IDs, project)
			if err != nil {
				return nil, err
			}
			accessURL := b.AccessURL
			if accessURL == "" {
				accessURL = b.Environment
			}
			ci := inventory.CreateInput{Name: b.Name, Description: b.Description, Provider: b.Provider, AccessURL: accessURL,
				AccessKeyID: b.AccessKeyID, AccessKeySecret: b.AccessKeySecret, Enabled: b.Enabled == nil || *b.Enabled,
				ReadOnly: b.ReadOnly, DomainID: domainID, ProjectID: projectID, ShareMode: b.ShareMode, PublicScope: b.PublicScope,
				SyncIntervalSeconds: b.SyncIntervalSeconds, DryRun: b.DryRun}
			if c := auth.From(ctx); c != nil {
				ci.UserID = c.UserID()
			}
			if b.SubAccounts != nil {
				for _, r := range b.SubAccounts.Cloudregions {
					ci.Regions = append(ci.Regions, r.ID)
				}
			}
			a, err := f.Inv.Create(ctx, ci)
			if err != nil {
				return nil, err
			}
			if !b.DryRun {
				auth.Note(ctx, auth.Object{Type: "cloudaccount", ID: a.ID, Name: a.Name})
			}
			body := f.accountView(ctx, f.newNames(), a, true)
			if b.SubAccounts != nil {
				body["sub_accounts"] = b.SubAccounts
			}
			return &objectOutput{Body: body}, nil
		})

	api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-list-cloudaccounts", Method: http.MethodGet,
		Path: "/api/v2/cloudaccounts", Summary: "List cloud accounts", Tags: tags}, "compute/cloudaccounts/list"),
		func(ctx context.Context, in *accountListInput) (*accountListOutput, error) {
			p, err := in.Params()
			if err != nil {
				return nil, err
			}
			if in.Provider != "" {
				p.Filters = append(p.Filters, eq("provider", in.Provider))
			}
			if in.Brand != "" {
				p.Filters = append(p.Filters, eq("brand", in.Brand))
			}
			if in.ID != "" {
				p.Filters = append(p.Filters, eq("id", in.ID))
			}
			if in.Enabled != "" {
				p.Filters = append(p.Filters, eq("enabled", boolDB(in.Enabled)))
			}
			page, err := f.Inv.ListAccounts(ctx, auth.ScopeOf(ctx), p)
			if err != nil {
				return nil, err
			}
			out := &accountListOutput{}
			n := f.newNames()
			out.Body.Cloudaccounts = make([]map[string]any, 0, len(page.Items))
			for i := range page.Items {
				v := f.accountView(ctx, n, &page.Items[i], in.Details)
				if !in.ShowFailReason {
					delete(v, "fail_reason")
				}
				out.Body.Cloudaccounts = append(out.Body.Cloudaccounts, v)
			}
			out.Body.Total, out.Body.Limit, out.Body.Offset = page.Total, page.Limit, page.Offset
			return out, nil
		})

	get := func(ctx context.Context, id string) (*inventory.Account, error) {
		return f.Inv.GetVisible(ctx, auth.ScopeOf(ctx), id)
	}
	api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-get-cloudaccount", Method: http.MethodGet,
		Path: "/api/v2/cloudaccounts/{id}", Summary: "Get a cloud account", Tags: tags}, "compute/cloudaccounts/get"),
		func(ctx context.Context, in *idInput) (*objectOutput, error) {
			a, err := get(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return &objectOutput{Body: f.accountView(ctx, f.newNames(), a, true)}, nil
		})

	api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-update-cloudaccount", Method: http.MethodPut,
		Path: "/api/v2/cloudaccounts/{id}", Summary: "Change a cloud account (new credentials are tested first)", Tags: tags}, "compute/cloudaccounts/update"),
		func(ctx context.Context, in *accountUpdateInput) (*objectOutput, error) {
			a, err := get(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			if err := writable(ctx, a); err != nil {
				return nil, err
			}
			b := in.Body
			a, err = f.Inv.Update(ctx, a.ID, inventory.UpdateInput{Name: b.Name, Description: b.Description, AccessKeyID: b.AccessKeyID,
				AccessKeySecret: b.AccessKeySecret, SyncIntervalSeconds: b.SyncIntervalSeconds, ShareMode: b.ShareMode, PublicScope: b.PublicScope})
			if err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "cloudaccount", ID: a.ID, Name: a.Name})
			return &objectOutput{Body: f.accountView(ctx, f.newNames(), a, true)}, nil
		})

	setEnabled := func(ctx context.Context, id string, on bool) (*objectOutput, error) {
		a, err := get(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := writable(ctx, a); err != nil {
			return nil, err
		}
		a, err = f.Inv.SetEnabled(ctx, a.ID, on)
		if err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "cloudaccount", ID: a.ID, Name: a.Name})
		return &objectOutput{Body: f.accountView(ctx, f.newNames(), a, true)}, nil
	}
	for _, action := range []string{"enable", "disable"} {
		on := action == "enable"
		api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-" + action + "-cloudaccount", Method: http.MethodPost,
			Path: "/api/v2/cloudaccounts/{id}/" + action, Summary: strings.ToUpper(action[:1]) + action[1:] + " a cloud account", Tags: tags},
			"compute/cloudaccounts/update"),
			func(ctx context.Context, in *idInput) (*objectOutput, error) { return setEnabled(ctx, in.ID, on) })
		api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-" + action + "-cloudaccount-query", Method: http.MethodPost,
			Path: "/api/v2/cloudaccounts/" + action, Summary: strings.ToUpper(action[:1]) + action[1:] + " a cloud account (seed's ?id= form)", Tags: tags},
			"compute/cloudaccounts/update"),
			func(ctx context.Context, in *idQueryInput) (*objectOutput, error) { return setEnabled(ctx, in.ID, on) })
	}

	del := func(ctx context.Context, id string) (*objectOutput, error) {
		a, err := get(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := writable(ctx, a); err != nil {
			return nil, err
		}
		uid := ""
		if c := auth.From(ctx); c != nil {
			uid = c.UserID()
		}
		t, err := f.Inv.Delete(ctx, a.ID, uid)
		if err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "cloudaccount", ID: a.ID, Name: a.Name})
		a.Status = inventory.StatusDeleting
		body := f.accountView(ctx, f.newNames(), a, true)
		body["task_id"] = t.ID
		return &objectOutput{Body: body}, nil
	}
	api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-delete-cloudaccount", Method: http.MethodDelete,
		Path: "/api/v2/cloudaccounts/{id}", Summary: "Delete a disabled cloud account and its synced resources (a task)", Tags: tags},
		"compute/cloudaccounts/delete"),
		func(ctx context.Context, in *idInput) (*objectOutput, error) { return del(ctx, in.ID) })
	api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-delete-cloudaccount-query", Method: http.MethodDelete,
		Path: "/api/v2/cloudaccounts", Summary: "Delete a cloud account (seed's ?id= form)", Tags: tags}, "compute/cloudaccounts/delete"),
		func(ctx context.Context, in *idQueryInput) (*objectOutput, error) { return del(ctx, in.ID) })

	api.Register(s, auth.Policy(huma.Operation{OperationID: "cloudpods-sync-cloudaccount", Method: http.MethodPost,
		Path: "/api/v2/cloudaccounts/{id}/sync", Summary: "Sync a cloud account now (all, or chosen regions and resource types)", Tags: tags},
		"compute/cloudaccounts/sync"),
		func(ctx context.Context, in *syncInput) (*taskAccepted, error) {
			a, err := get(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			if err := writable(ctx, a); err != nil {
				return nil, err
			}
			req := inventory.SyncRequest{}
			if in.Body != nil {
				req.Regions = in.Body.Regions
				for _, k := range in.Body.ResourceTypes {
					req.Kinds = append(req.Kinds, inventory.Kind(strings.TrimSuffix(k, "s")))
				}
			}
			if c := auth.From(ctx); c != nil {
				req.UserID = c.UserID()
			}
			t, err := f.Inv.RequestSync(ctx, a.ID, req)
			if err != nil {
				return nil, err
			}
			auth.Note(ctx, auth.Object{Type: "cloudaccount", ID: a.ID, Name: a.Name})
			return accepted(t), nil
		})
}

// writable refuses changes to accounts the caller only sees through sharing.
func writable(ctx context.Context, a *inventory.Account) error {
	c := auth.From(ctx)
	if c == nil || !c.Covers(a.DomainID, a.ProjectID) && !(c.Grant.Breadth == identity.BreadthDomain && c.Grant.DomainID == a.DomainID) {
		return errs.E(errs.Forbidden, "cloud account %s is shared with you read-only", a.Name)
	}
	return nil
}

func boolDB(s string) string {
	switch strings.ToLower(s) {
	case "1", "true", "yes":
		return "true"
	}
	return "false"
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// accountView is an account as Cloudpods shows it (seed 000's fields).
func (f *Face) accountView(ctx context.Context, n *names, a *inventory.Account, details bool) map[string]any {
	counts := a.CountMap()
	project := n.project(ctx, a.ProjectID)
	domain := n.domain(ctx, a.DomainID)
	balance := json.RawMessage("0")
	if isDecimal(a.Balance) {
		balance = json.RawMessage(a.Balance)
	}
	v := map[string]any{
		"id": a.ID, "name": a.Name, "description": a.Description, "access_url": a.AccessURL, "account": a.Account,
		"account_id": a.AccountID, "auto_create_project": false, "auto_create_project_for_provider": false,
		"balance": balance, "currency": a.Currency, "brand": a.Brand, "provider": a.Provider,
		"can_delete": !a.Enabled && a.SyncStatus != inventory.SyncSyncing && a.SyncStatus != inventory.SyncQueued,
		"can_update": true, "cloud_env": a.CloudEnv, "deleted": false, "domain_id": a.DomainID, "domain_src": "local",
		"project_domain": domain, "project": project, "tenant": project, "tenant_id": a.ProjectID, "project_id": a.ProjectID,
		"enabled": a.Enabled, "read_only": a.ReadOnly, "error_count": a.ErrorCount, "health_status": a.HealthStatus,
		"is_emulated": false, "is_on_premise": a.IsOnPremise, "is_public_cloud": a.IsPublicCloud,
		"is_public": a.PublicScope != "none", "public_scope": a.PublicScope, "share_mode": a.ShareMode,
		"progress": a.Progress, "status": a.Status, "sync_status": a.SyncStatus, "sync_stauts2": a.SyncStatus,
		"sync_count": a.SyncCount, "sync_interval_seconds": a.SyncIntervalSeconds, "saml_auth": false,
		"enable_auto_sync": a.SyncIntervalSeconds > 0, "enable_resource_sync": true, "enable_project_sync": false,
		"proxy_setting":    map[string]any{"id": "DIRECT", "name": "DIRECT", "deleted": false, "is_emulated": false, "is_public": false, "update_version": 0},
		"proxy_setting_id": "DIRECT",
		"guest_count":      counts["server"], "disk_count": counts["disk"], "vpc_count": counts["vpc"], "eip_count": counts["eip"],
		"host_count": counts["host"], "storage_count": counts["storage"], "network_count": counts["network"],
		"secgroup_count": counts["secgroup"], "bucket_count": counts["bucket"], "snapshot_count": counts["snapshot"],
		"dbinstance_count": counts["dbinstance"], "elasticcache_count": counts["elasticcache"], "kafka_count": counts["kafka"],
		"storagecache_count": 0, "routetable_count": 0, "provider_count": 1, "enabled_provider_count": boolInt(a.Enabled),
		"created_at": ts(a.CreatedAt), "updated_at": ts(a.UpdatedAt), "update_version": a.UpdateVersion,
		"sync_task_id": a.SyncTaskID,
	}
	if a.LastError != "" {
		v["fail_reason"] = a.LastError
	}
	if a.LastSyncAt != nil {
		v["last_sync"] = ts(*a.LastSyncAt)
	}
	if a.ProbeAt != nil {
		v["probe_at"] = ts(*a.ProbeAt)
	}
	if details {
		v["cloudregions"] = a.RegionIDs()
		v["sync_results"] = f.syncResults(ctx, a.ID)
	}
	return v
}

// syncResults lists, per synced region, the last sync's status, time and
// per-kind counts and timings (added, updated, removed, unchanged, ms, and
// any error, skip or note).
func (f *Face) syncResults(ctx context.Context, accountID string) []map[string]any {
	out := []map[string]any{}
	if accountID == "" { // a dry run's would-be account
		return out
	}
	prs, err := f.Inv.ProviderRegions(ctx, accountID)
	if err != nil {
		return out
	}
	for _, pr := range prs {
		r := map[string]any{"cloudregion_id": pr.CloudregionID, "sync_status": pr.SyncStatus,
			"last_sync_ms": pr.LastSyncMS, "result": json.RawMessage(`{}`)}
		if len(pr.LastSyncResult) > 0 {
			r["result"] = json.RawMessage(pr.LastSyncResult)
		}
		if reg, err := f.Inv.Region(ctx, pr.CloudregionID); err == nil {
			r["cloudregion"], r["region_ext_id"] = reg.Name, reg.RegionID
		}
		if pr.LastSyncAt != nil {
			r["last_sync"] = ts(*pr.LastSyncAt)
		}
		out = append(out, r)
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	dot := false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
		case c == '-' && i == 0 && len(s) > 1:
		case c == '.' && !dot && i > 0:
			dot = true
		default:
			return false
		}
	}
	return s[len(s)-1] != '.'
}
