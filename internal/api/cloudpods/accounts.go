package cloudpods

import (
	"context"
	"net/http"
	"strings"
	"time"

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
	EnableAutoSync         *bool        `json:"enable_auto_sync,omitempty" doc:"sync every sync_interval_seconds (default true); the first sync runs either way"`
	SamlAuth               bool         `json:"saml_auth,omitempty"`
	IsOpenBlockedResources bool         `json:"isOpenBlockedResources,omitempty"`
}

type accountCreateInput struct {
	Body accountCreateBody
}

type accountOutput struct {
	Body cloudpodsAccount
}

type accountListOutput struct {
	Body struct {
		Cloudaccounts []cloudpodsAccount `json:"cloudaccounts"`
		Total         int                `json:"total"`
		Limit         int                `json:"limit"`
		Offset        int                `json:"offset"`
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
		EnableAutoSync      *bool    `json:"enable_auto_sync,omitempty"`
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
	const p, tags = "/api/v2/cloudaccounts", "cloudaccounts"
	api.Register(s, auth.Policy(op("create-cloudaccount", http.MethodPost, p, "Connect a cloud account (dry_run tests the connection only)", tags), "compute/cloudaccounts/create"), f.createAccount)
	api.Register(s, auth.Policy(op("list-cloudaccounts", http.MethodGet, p, "List cloud accounts", tags), "compute/cloudaccounts/list"), f.listAccounts)
	api.Register(s, auth.Policy(op("get-cloudaccount", http.MethodGet, p+"/{id}", "Get a cloud account", tags), "compute/cloudaccounts/get"), f.getAccount)
	api.Register(s, auth.Policy(op("update-cloudaccount", http.MethodPut, p+"/{id}", "Change a cloud account (new credentials are tested first)", tags), "compute/cloudaccounts/update"), f.updateAccount)
	api.Register(s, auth.Policy(op("enable-cloudaccount", http.MethodPost, p+"/{id}/enable", "Enable a cloud account", tags), "compute/cloudaccounts/update"), f.enableAccount)
	api.Register(s, auth.Policy(op("enable-cloudaccount-query", http.MethodPost, p+"/enable", "Enable a cloud account (seed's ?id= form)", tags), "compute/cloudaccounts/update"), f.enableAccountByQuery)
	api.Register(s, auth.Policy(op("disable-cloudaccount", http.MethodPost, p+"/{id}/disable", "Disable a cloud account", tags), "compute/cloudaccounts/update"), f.disableAccount)
	api.Register(s, auth.Policy(op("disable-cloudaccount-query", http.MethodPost, p+"/disable", "Disable a cloud account (seed's ?id= form)", tags), "compute/cloudaccounts/update"), f.disableAccountByQuery)
	api.Register(s, auth.Policy(op("delete-cloudaccount", http.MethodDelete, p+"/{id}", "Delete a disabled cloud account and its synced resources (a task)", tags), "compute/cloudaccounts/delete"), f.deleteAccount)
	api.Register(s, auth.Policy(op("delete-cloudaccount-query", http.MethodDelete, p, "Delete a cloud account (seed's ?id= form)", tags), "compute/cloudaccounts/delete"), f.deleteAccountByQuery)
	api.Register(s, auth.Policy(op("get-cloudaccount-balance", http.MethodGet, p+"/{id}/balance", "Read the account's balance from the cloud now, record it and answer the account", tags), "compute/cloudaccounts/get"), f.getBalance)
	api.Register(s, auth.Policy(op("perform-cloudaccount-balance", http.MethodPost, p+"/{id}/balance", "Read the account's balance from the cloud now, record it and answer the account", tags), "compute/cloudaccounts/update"), f.refreshBalance)
	api.Register(s, auth.Policy(op("sync-cloudaccount", http.MethodPost, p+"/{id}/sync", "Sync a cloud account now (all, or chosen regions and resource types)", tags), "compute/cloudaccounts/sync"), f.syncAccount)
}

func (f *Face) createAccount(ctx context.Context, in *accountCreateInput) (*accountOutput, error) {
	b := in.Body
	field, project := "tenant", b.Tenant
	if project == "" {
		field, project = "project_id", b.ProjectID
	}
	domainID, projectID, err := owner(ctx, f.IDs, field, project)
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
		SyncIntervalSeconds: b.SyncIntervalSeconds, AutoSync: b.EnableAutoSync, DryRun: b.DryRun}
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
	out := &accountOutput{Body: f.accountView(ctx, f.newNames(), a, true)}
	out.Body.SubAccounts = b.SubAccounts
	return out, nil
}

func (f *Face) listAccounts(ctx context.Context, in *accountListInput) (*accountListOutput, error) {
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
	out.Body.Cloudaccounts = make([]cloudpodsAccount, 0, len(page.Items))
	for i := range page.Items {
		v := f.accountView(ctx, n, &page.Items[i], in.Details)
		if !in.ShowFailReason {
			v.FailReason = ""
		}
		out.Body.Cloudaccounts = append(out.Body.Cloudaccounts, v)
	}
	out.Body.Total, out.Body.Limit, out.Body.Offset = page.Total, page.Limit, page.Offset
	return out, nil
}

func (f *Face) getAccount(ctx context.Context, in *idInput) (*accountOutput, error) {
	a, err := f.Inv.GetVisible(ctx, auth.ScopeOf(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &accountOutput{Body: f.accountView(ctx, f.newNames(), a, true)}, nil
}

// writableAccount is an account the caller may change.
func (f *Face) writableAccount(ctx context.Context, id string) (*inventory.Account, error) {
	a, err := f.Inv.GetVisible(ctx, auth.ScopeOf(ctx), id)
	if err != nil {
		return nil, err
	}
	if err := writable(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

func (f *Face) updateAccount(ctx context.Context, in *accountUpdateInput) (*accountOutput, error) {
	a, err := f.writableAccount(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	b := in.Body
	a, err = f.Inv.Update(ctx, a.ID, inventory.UpdateInput{Name: b.Name, Description: b.Description, AccessKeyID: b.AccessKeyID,
		AccessKeySecret: b.AccessKeySecret, SyncIntervalSeconds: b.SyncIntervalSeconds, AutoSync: b.EnableAutoSync,
		ShareMode: b.ShareMode, PublicScope: b.PublicScope})
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "cloudaccount", ID: a.ID, Name: a.Name})
	return &accountOutput{Body: f.accountView(ctx, f.newNames(), a, true)}, nil
}

func (f *Face) enableAccount(ctx context.Context, in *idInput) (*accountOutput, error) {
	return f.setEnabled(ctx, in.ID, true)
}

func (f *Face) enableAccountByQuery(ctx context.Context, in *idQueryInput) (*accountOutput, error) {
	return f.setEnabled(ctx, in.ID, true)
}

func (f *Face) disableAccount(ctx context.Context, in *idInput) (*accountOutput, error) {
	return f.setEnabled(ctx, in.ID, false)
}

func (f *Face) disableAccountByQuery(ctx context.Context, in *idQueryInput) (*accountOutput, error) {
	return f.setEnabled(ctx, in.ID, false)
}

func (f *Face) setEnabled(ctx context.Context, id string, on bool) (*accountOutput, error) {
	a, err := f.writableAccount(ctx, id)
	if err != nil {
		return nil, err
	}
	a, err = f.Inv.SetEnabled(ctx, a.ID, on)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "cloudaccount", ID: a.ID, Name: a.Name})
	return &accountOutput{Body: f.accountView(ctx, f.newNames(), a, true)}, nil
}

func (f *Face) deleteAccount(ctx context.Context, in *idInput) (*accountOutput, error) {
	return f.removeAccount(ctx, in.ID)
}

func (f *Face) deleteAccountByQuery(ctx context.Context, in *idQueryInput) (*accountOutput, error) {
	return f.removeAccount(ctx, in.ID)
}

// removeAccount starts the delete task and answers the account, deleting,
// with the task's id.
func (f *Face) removeAccount(ctx context.Context, id string) (*accountOutput, error) {
	a, err := f.writableAccount(ctx, id)
	if err != nil {
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
	out := &accountOutput{Body: f.accountView(ctx, f.newNames(), a, true)}
	out.Body.TaskID = t.ID
	return out, nil
}

func (f *Face) getBalance(ctx context.Context, in *idInput) (*accountOutput, error) {
	a, err := f.Inv.GetVisible(ctx, auth.ScopeOf(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return f.readBalance(ctx, a)
}

func (f *Face) refreshBalance(ctx context.Context, in *idInput) (*accountOutput, error) {
	a, err := f.writableAccount(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "cloudaccount", ID: a.ID, Name: a.Name})
	return f.readBalance(ctx, a)
}

func (f *Face) readBalance(ctx context.Context, a *inventory.Account) (*accountOutput, error) {
	a, err := f.Inv.ReadBalance(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	return &accountOutput{Body: f.accountView(ctx, f.newNames(), a, false)}, nil
}

func (f *Face) syncAccount(ctx context.Context, in *syncInput) (*taskAccepted, error) {
	a, err := f.writableAccount(ctx, in.ID)
	if err != nil {
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
func (f *Face) accountView(ctx context.Context, n *names, a *inventory.Account, details bool) cloudpodsAccount {
	counts := a.CountMap()
	project := n.project(ctx, a.ProjectID)
	balance := decimalText("0")
	if isDecimal(a.Balance) {
		balance = decimalText(a.Balance)
	}
	v := cloudpodsAccount{
		ID: a.ID, Name: a.Name, Description: a.Description, AccessURL: a.AccessURL, Account: a.Account, AccountID: a.AccountID,
		Balance: balance, Currency: a.Currency, Brand: a.Brand, Provider: a.Provider,
		CanDelete: !a.Enabled && a.SyncStatus != inventory.SyncSyncing && a.SyncStatus != inventory.SyncQueued,
		CanUpdate: true, CloudEnv: a.CloudEnv, DomainID: a.DomainID, DomainSrc: "local",
		ProjectDomain: n.domain(ctx, a.DomainID), Project: project, Tenant: project, TenantID: a.ProjectID, ProjectID: a.ProjectID,
		Enabled: a.Enabled, ReadOnly: a.ReadOnly, ErrorCount: a.ErrorCount, HealthStatus: a.HealthStatus,
		IsOnPremise: a.IsOnPremise, IsPublicCloud: a.IsPublicCloud,
		IsPublic: a.PublicScope != "none", PublicScope: a.PublicScope, ShareMode: a.ShareMode,
		Progress: a.Progress, Status: a.Status, SyncStatus: a.SyncStatus, SyncStauts2: a.SyncStatus,
		SyncCount: a.SyncCount, SyncIntervalSeconds: a.SyncIntervalSeconds,
		EnableAutoSync: a.AutoSync, EnableResourceSync: true,
		ProxySetting: proxySetting{ID: "DIRECT", Name: "DIRECT"}, ProxySettingID: "DIRECT",
		GuestCount: counts["server"], DiskCount: counts["disk"], VPCCount: counts["vpc"], EIPCount: counts["eip"],
		HostCount: counts["host"], StorageCount: counts["storage"], NetworkCount: counts["network"],
		SecgroupCount: counts["secgroup"], BucketCount: counts["bucket"], SnapshotCount: counts["snapshot"],
		DBInstanceCount: counts["dbinstance"], ElasticcacheCount: counts["elasticcache"], KafkaCount: counts["kafka"],
		ProviderCount: 1, EnabledProviderCount: boolInt(a.Enabled),
		CreatedAt: ts(a.CreatedAt), UpdatedAt: ts(a.UpdatedAt), UpdateVersion: a.UpdateVersion, SyncTaskID: a.SyncTaskID,
		FailReason: a.LastError,
	}
	if a.LastSyncAt != nil {
		v.LastSync = ts(*a.LastSyncAt)
	}
	if a.ProbeAt != nil {
		v.ProbeAt = ts(*a.ProbeAt)
	}
	if details {
		regions, results := a.RegionIDs(), f.syncResults(ctx, a.ID)
		v.Cloudregions, v.SyncResults = &regions, &results
	}
	return v
}

// syncResults lists, per synced region, the last sync's status, time and
// per-kind counts and timings (added, updated, removed, unchanged, ms, and
// any error, skip or note).
func (f *Face) syncResults(ctx context.Context, accountID string) []cloudpodsSyncResult {
	out := []cloudpodsSyncResult{}
	if accountID == "" { // a dry run's would-be account
		return out
	}
	prs, err := f.Inv.ProviderRegions(ctx, accountID)
	if err != nil {
		return out
	}
	for _, pr := range prs {
		r := cloudpodsSyncResult{CloudregionID: pr.CloudregionID, SyncStatus: pr.SyncStatus, LastSyncMS: pr.LastSyncMS, Result: rawObject(`{}`)}
		if len(pr.LastSyncResult) > 0 {
			r.Result = rawObject(pr.LastSyncResult)
		}
		if reg, err := f.Inv.Region(ctx, pr.CloudregionID); err == nil {
			r.Cloudregion, r.RegionExtID = reg.Name, reg.RegionID
		}
		if pr.LastSyncAt != nil {
			r.LastSync = ts(*pr.LastSyncAt)
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
