package inventory

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/ids"
	"github.com/skyfold/skyfold/internal/secret"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/task"
)

func init() {
	secret.RegisterColumn(secret.Column{Table: "cloudaccounts", Key: "id", Name: "secret"})
}

// Task types of this package.
const (
	TaskSync   = "cloudaccount.sync"
	TaskDelete = "cloudaccount.delete"
	TaskProbe  = "cloudaccount.probe"
)

// Config tunes the service.
type Config struct {
	// ConnectTimeout bounds the live connection test of create and update.
	ConnectTimeout time.Duration
	// RegionParallelism bounds how many regions of one account sync at once.
	RegionParallelism int
	// BulkDB takes the sync's batched writes (store.Store.Bulk); nil means
	// the service's database.
	BulkDB *bun.DB
	// OpenProvider opens a driver; tests may replace it. Default cloud.Open
	// wrapped in cloud.WithRetry.
	OpenProvider func(ctx context.Context, provider string, cfg cloud.AccountConfig) (cloud.Provider, error)
	Logger       *slog.Logger
	Now          func() time.Time
}

// Service manages accounts and the inventory.
type Service struct {
	db    *bun.DB
	box   *secret.Box
	tasks *task.Service
	cfg   Config
}

// New returns the inventory service and registers its task types.
func New(db *bun.DB, box *secret.Box, tasks *task.Service, cfg Config) *Service {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 20 * time.Second
	}
	if cfg.RegionParallelism <= 0 {
		cfg.RegionParallelism = 4
	}
	if cfg.OpenProvider == nil {
		cfg.OpenProvider = func(ctx context.Context, provider string, ac cloud.AccountConfig) (cloud.Provider, error) {
			p, err := cloud.Open(ctx, provider, ac)
			if err != nil {
				return nil, err
			}
			return cloud.WithRetry(p, cloud.RetryPolicy{}), nil
		}
	}
	if cfg.BulkDB == nil {
		cfg.BulkDB = db
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{db: db, box: box, tasks: tasks, cfg: cfg}
	if tasks != nil {
		tasks.Register(s.syncDefinition())
		tasks.Register(s.deleteDefinition())
		for _, d := range s.bucketDefinitions() {
			tasks.Register(d)
		}
		s.registerServerOps(tasks) // serverops.go
	}
	return s
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Sync intervals: an account's interval is 0 for the default, else at least
// the minimum, on create and update alike.
const (
	MinSyncInterval     = time.Minute
	DefaultSyncInterval = time.Hour
)

// syncIntervalProblem says what is wrong with an interval in seconds, or "".
func syncIntervalProblem(n int) string {
	if n == 0 || n >= int(MinSyncInterval/time.Second) {
		return ""
	}
	return fmt.Sprintf("0 for the default (%d), else at least %d", int(DefaultSyncInterval/time.Second), int(MinSyncInterval/time.Second))
}

// CreateInput is what connecting an account takes.
type CreateInput struct {
	Name                string
	Description         string
	Provider            string
	AccessURL           string // environment name (InternationalCloud, …) or an endpoint URL
	AccessKeyID         string
	AccessKeySecret     string
	Regions             []string // region ids ("cn-beijing") or external ids ("Aliyun/cn-beijing"); empty: all
	Enabled             bool
	ReadOnly            bool
	DomainID            string
	ProjectID           string
	ShareMode           string
	PublicScope         string
	SyncIntervalSeconds int
	// AutoSync, when set, says whether the scheduler syncs the account;
	// unset, it does.
	AutoSync *bool
	DryRun   bool
	UserID   string
}

// accountConfig builds the driver configuration of an account.
func accountConfig(accessURL, key, secretValue string) cloud.AccountConfig {
	ac := cloud.AccountConfig{AccessKeyID: key, AccessKeySecret: secretValue}
	if strings.HasPrefix(accessURL, "http://") || strings.HasPrefix(accessURL, "https://") {
		ac.Endpoint = accessURL
	} else {
		ac.Environment = accessURL
	}
	return ac
}

// validateCreate checks the input without touching the cloud.
func validateCreate(in *CreateInput) (cloud.ProviderInfo, error) {
	var fs []errs.FieldError
	info, ok := cloud.Lookup(in.Provider)
	if in.Provider == "" {
		fs = append(fs, errs.FieldError{Field: "provider", Reason: "required"})
	} else if !ok {
		fs = append(fs, errs.FieldError{Field: "provider", Reason: fmt.Sprintf("unknown provider %q", in.Provider)})
	}
	if strings.TrimSpace(in.Name) == "" {
		fs = append(fs, errs.FieldError{Field: "name", Reason: "required"})
	} else if len(in.Name) > 128 {
		fs = append(fs, errs.FieldError{Field: "name", Reason: "at most 128 characters"})
	}
	if in.AccessKeyID == "" {
		fs = append(fs, errs.FieldError{Field: "access_key_id", Reason: "required"})
	}
	if in.AccessKeySecret == "" {
		fs = append(fs, errs.FieldError{Field: "access_key_secret", Reason: "required"})
	}
	if u := in.AccessURL; strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		if pu, err := url.Parse(u); err != nil || pu.Host == "" {
			fs = append(fs, errs.FieldError{Field: "access_url", Reason: "not a valid URL"})
		}
	}
	switch in.ShareMode {
	case "":
		in.ShareMode = "account_domain"
	case "account_domain", "provider_domain", "system":
	default:
		fs = append(fs, errs.FieldError{Field: "share_mode", Reason: "one of account_domain, provider_domain, system"})
	}
	switch in.PublicScope {
	case "":
		in.PublicScope = "none"
	case "none", "domain", "system":
	default:
		fs = append(fs, errs.FieldError{Field: "public_scope", Reason: "one of none, domain, system"})
	}
	if reason := syncIntervalProblem(in.SyncIntervalSeconds); reason != "" {
		fs = append(fs, errs.FieldError{Field: "sync_interval_seconds", Reason: reason})
	}
	if err := errs.Fields(fs...); err != nil {
		return info, err
	}
	if !info.HasDriver {
		return info, errs.E(errs.NotSupported, "provider %s has no driver in this build yet", info.Name)
	}
	return info, nil
}

// connect opens the driver and runs the live connection test: the
// credential is validated and the account id discovered.
func (s *Service) connect(ctx context.Context, provider string, ac cloud.AccountConfig) (cloud.Provider, cloud.Account, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ConnectTimeout)
	defer cancel()
	p, err := s.cfg.OpenProvider(ctx, provider, ac)
	if err != nil {
		return nil, cloud.Account{}, connectError(err)
	}
	if err := p.ValidateCredentials(ctx); err != nil {
		p.Close()
		return nil, cloud.Account{}, connectError(err)
	}
	acct, err := p.Account(ctx)
	if err != nil {
		p.Close()
		return nil, cloud.Account{}, connectError(err)
	}
	return p, acct, nil
}

// connectError explains why the live test failed, in the terms of the
// caller who gave the credential: a rejected credential is a field error
// of the secret, and a failure with no cloud's verdict (no answer, a
// refused connection) says the cloud could not be reached.
func connectError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return errs.Wrap(err, errs.Unavailable, "the cloud endpoint did not answer in time")
	}
	switch cloud.Kind(err) {
	case cloud.ErrInvalidCredential:
		msg := cloud.Describe(err)
		return &errs.Error{Code: errs.Invalid, Message: "the cloud rejected the credential: " + msg,
			Fields: []errs.FieldError{{Field: "access_key_secret", Reason: "rejected by the cloud: " + msg}}, Err: err}
	case cloud.ErrNotSupported:
		return errs.Wrap(err, errs.NotSupported, "%s", cloud.Describe(err))
	}
	var ce *cloud.Error
	if errors.As(err, &ce) {
		return cloud.AsDomain(err)
	}
	return errs.Wrap(err, errs.Unavailable, "cannot reach the cloud: %s", oneLine(err.Error()))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Create validates the input, tests the connection live and, unless DryRun,
// stores the account (secret encrypted) and queues its first sync.
func (s *Service) Create(ctx context.Context, in CreateInput) (*Account, error) {
	info, err := validateCreate(&in)
	if err != nil {
		return nil, err
	}
	if err := s.checkDuplicate(ctx, info.Name, in.AccessKeyID, in.AccessURL, ""); err != nil {
		return nil, err
	}
	ac := accountConfig(in.AccessURL, in.AccessKeyID, in.AccessKeySecret)
	p, acct, err := s.connect(ctx, info.Name, ac)
	if err != nil {
		return nil, err
	}
	p.Close()
	now := s.now()
	regions, _ := json.Marshal(normaliseRegions(info.Name, in.Regions))
	a := &Account{
		ID: ids.New(), Name: strings.TrimSpace(in.Name), Description: in.Description, Provider: info.Name, Brand: info.Brand,
		AccessURL: in.AccessURL, Account: in.AccessKeyID, AccountID: acct.ID,
		CloudEnv: cloudEnv(info), IsPublicCloud: info.IsPublicCloud, IsOnPremise: info.IsOnPremise,
		Status: StatusInit, HealthStatus: HealthNormal, SyncStatus: SyncIdle, Enabled: in.Enabled, ReadOnly: in.ReadOnly,
		DomainID: in.DomainID, ProjectID: in.ProjectID, ShareMode: in.ShareMode, PublicScope: in.PublicScope,
		Balance: "0", SyncIntervalSeconds: in.SyncIntervalSeconds, AutoSync: in.AutoSync == nil || *in.AutoSync, SyncRegions: regions,
		Counts: json.RawMessage("{}"), Options: json.RawMessage("{}"), CreatedAt: now, UpdatedAt: now,
	}
	if a.SyncIntervalSeconds == 0 {
		a.SyncIntervalSeconds = int(DefaultSyncInterval / time.Second)
	}
	if in.DryRun {
		return a, nil
	}
	if a.Secret, err = s.box.Encrypt(in.AccessKeySecret); err != nil {
		return nil, err
	}
	a.UpdateVersion = 1
	if _, err := s.db.NewInsert().Model(a).Exec(ctx); err != nil {
		if store.IsUniqueViolation(err) {
			return nil, errs.E(errs.Conflict, "an account with provider %s, key %s and access URL %q already exists", a.Provider, a.Account, a.AccessURL)
		}
		return nil, fmt.Errorf("store account: %w", err)
	}
	if a.Enabled && s.tasks != nil {
		if _, err := s.RequestSync(ctx, a.ID, SyncRequest{UserID: in.UserID}); err != nil {
			s.cfg.Logger.Warn("queue first sync", "account_id", a.ID, "err", err)
		}
	}
	return s.Get(ctx, a.ID)
}

func cloudEnv(info cloud.ProviderInfo) string {
	switch {
	case info.IsOnPremise:
		return "onpremise"
	case info.IsPublicCloud:
		return "public"
	}
	return "private"
}

// normaliseRegions turns "Aliyun/cn-beijing" and "cn-beijing" into "cn-beijing".
func normaliseRegions(provider string, in []string) []string {
	out := []string{}
	for _, r := range in {
		r = strings.TrimSpace(r)
		if i := strings.LastIndexByte(r, '/'); i >= 0 {
			r = r[i+1:]
		}
		if r != "" {
			out = append(out, r)
		}
	}
	return out
}

func (s *Service) checkDuplicate(ctx context.Context, provider, key, accessURL, exceptID string) error {
	q := s.db.NewSelect().Model((*Account)(nil)).Where("provider = ?", provider).Where("account = ?", key).Where("access_url = ?", accessURL)
	if exceptID != "" {
		q = q.Where("id <> ?", exceptID)
	}
	n, err := q.Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return errs.E(errs.Conflict, "an account with provider %s, key %s and access URL %q already exists", provider, key, accessURL)
	}
	return nil
}

// Get returns one account.
func (s *Service) Get(ctx context.Context, id string) (*Account, error) {
	a := new(Account)
	err := s.db.NewSelect().Model(a).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("cloudaccount", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get account %s: %w", id, err)
	}
	return a, nil
}

// GetVisible returns an account if the scope may see it.
func (s *Service) GetVisible(ctx context.Context, sc Scope, idOrName string) (*Account, error) {
	a := new(Account)
	q := s.db.NewSelect().Model(a).Where("(id = ? OR name = ?)", idOrName, idOrName)
	q = accountScope(q, sc)
	err := q.Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("cloudaccount", idOrName)
	}
	return a, err
}

func accountScope(q *bun.SelectQuery, sc Scope) *bun.SelectQuery {
	if sc.System {
		return q
	}
	return q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.WhereOr("share_mode = 'system'").WhereOr("public_scope = 'system'")
		if sc.DomainID != "" {
			q = q.WhereOr("domain_id = ?", sc.DomainID)
		}
		if len(sc.ProjectIDs) > 0 {
			q = q.WhereOr("project_id IN (?)", bun.List(sc.ProjectIDs))
		}
		return q
	})
}

// Secret decrypts an account's secret for a driver.
func (s *Service) Secret(a *Account) (string, error) { return s.box.Decrypt(a.Secret) }

// Open opens the driver of a stored account.
func (s *Service) Open(ctx context.Context, a *Account) (cloud.Provider, error) {
	sec, err := s.Secret(a)
	if err != nil {
		return nil, err
	}
	ac := accountConfig(a.AccessURL, a.Account, sec)
	ac.Logger = s.cfg.Logger
	return s.cfg.OpenProvider(ctx, a.Provider, ac)
}

// UpdateInput changes an account; nil fields stay.
type UpdateInput struct {
	Name                *string
	Description         *string
	AccessKeyID         *string
	AccessKeySecret     *string
	SyncIntervalSeconds *int
	AutoSync            *bool
	ShareMode           *string
	PublicScope         *string
}

// Update changes names and settings; new credentials are tested live first.
func (s *Service) Update(ctx context.Context, id string, in UpdateInput) (*Account, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	q := s.db.NewUpdate().Model((*Account)(nil)).Where("id = ?", id).
		Set("updated_at = ?", s.now()).Set("update_version = update_version + 1")
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			return nil, errs.Field("name", "must not be empty")
		}
		q = q.Set("name = ?", strings.TrimSpace(*in.Name))
	}
	if in.Description != nil {
		q = q.Set("description = ?", *in.Description)
	}
	if in.SyncIntervalSeconds != nil {
		if reason := syncIntervalProblem(*in.SyncIntervalSeconds); reason != "" {
			return nil, errs.Field("sync_interval_seconds", reason)
		}
		n := *in.SyncIntervalSeconds
		if n == 0 {
			n = int(DefaultSyncInterval / time.Second)
		}
		q = q.Set("sync_interval_seconds = ?", n)
	}
	if in.AutoSync != nil {
		q = q.Set("auto_sync = ?", *in.AutoSync)
	}
	if in.ShareMode != nil {
		ci := CreateInput{ShareMode: *in.ShareMode}
		if _, err := validateCreate(&ci); err != nil && hasField(err, "share_mode") {
			return nil, errs.Field("share_mode", "one of account_domain, provider_domain, system")
		}
		q = q.Set("share_mode = ?", *in.ShareMode)
	}
	if in.PublicScope != nil {
		switch *in.PublicScope {
		case "none", "domain", "system":
		default:
			return nil, errs.Field("public_scope", "one of none, domain, system")
		}
		q = q.Set("public_scope = ?", *in.PublicScope)
	}
	if in.AccessKeyID != nil || in.AccessKeySecret != nil {
		key := a.Account
		if in.AccessKeyID != nil {
			key = *in.AccessKeyID
		}
		sec, err := s.Secret(a)
		if err != nil {
			return nil, err
		}
		if in.AccessKeySecret != nil {
			sec = *in.AccessKeySecret
		}
		if key == "" || sec == "" {
			return nil, errs.Field("access_key_secret", "credentials must not be empty")
		}
		if err := s.checkDuplicate(ctx, a.Provider, key, a.AccessURL, a.ID); err != nil {
			return nil, err
		}
		p, acct, err := s.connect(ctx, a.Provider, accountConfig(a.AccessURL, key, sec))
		if err != nil {
			return nil, err
		}
		p.Close()
		if a.AccountID != "" && acct.ID != a.AccountID {
			return nil, errs.Field("access_key_id", fmt.Sprintf("belongs to cloud account %s, not %s", acct.ID, a.AccountID))
		}
		enc, err := s.box.Encrypt(sec)
		if err != nil {
			return nil, err
		}
		q = q.Set("account = ?", key).Set("secret = ?", enc).Set("status = ?", StatusConnected).Set("health_status = ?", HealthNormal)
	}
	if _, err := q.Exec(ctx); err != nil {
		if store.IsUniqueViolation(err) {
			return nil, errs.E(errs.Conflict, "another account already uses these credentials")
		}
		return nil, err
	}
	return s.Get(ctx, id)
}

func hasField(err error, f string) bool {
	for _, x := range errs.As(err).Fields {
		if x.Field == f {
			return true
		}
	}
	return false
}

// SetEnabled enables or disables an account.
func (s *Service) SetEnabled(ctx context.Context, id string, enabled bool) (*Account, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Status == StatusDeleting {
		return nil, errs.E(errs.Conflict, "account %s is being deleted", a.Name)
	}
	if _, err := s.db.NewUpdate().Model((*Account)(nil)).Set("enabled = ?", enabled).
		Set("updated_at = ?", s.now()).Set("update_version = update_version + 1").Where("id = ?", id).Exec(ctx); err != nil {
		return nil, err
	}
	_, _ = s.db.NewUpdate().Model((*CloudProvider)(nil)).Set("enabled = ?", enabled).Where("cloudaccount_id = ?", id).Exec(ctx)
	return s.Get(ctx, id)
}

// Delete removes a disabled, idle account and everything synced from it, as
// a task; the account answers not found once the task has finished.
func (s *Service) Delete(ctx context.Context, id, userID string) (*task.Task, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Enabled {
		return nil, errs.E(errs.Conflict, "account %s is enabled: disable it before deleting", a.Name)
	}
	if a.SyncStatus == SyncSyncing || a.SyncStatus == SyncQueued {
		return nil, errs.E(errs.Conflict, "account %s is syncing: wait for the sync to finish or cancel task %s", a.Name, a.SyncTaskID)
	}
	if a.Status == StatusDeleting {
		return nil, errs.E(errs.Conflict, "account %s is already being deleted", a.Name)
	}
	if _, err := s.db.NewUpdate().Model((*Account)(nil)).Set("status = ?", StatusDeleting).
		Set("updated_at = ?", s.now()).Where("id = ?", id).Exec(ctx); err != nil {
		return nil, err
	}
	return s.tasks.Submit(ctx, task.Spec{Type: TaskDelete, ObjectType: "cloudaccount", ObjectID: a.ID, ObjectName: a.Name,
		DomainID: a.DomainID, ProjectID: a.ProjectID, UserID: userID, Params: map[string]string{"account_id": a.ID}})
}

func (s *Service) deleteDefinition() task.Definition {
	return task.Definition{Type: TaskDelete, MaxAttempts: 5, Stages: []task.Stage{
		{Name: "delete-resources", Run: func(ctx context.Context, r *task.Run) error {
			var p struct {
				AccountID string `json:"account_id"`
			}
			if err := r.Params(&p); err != nil {
				return task.Permanent(err)
			}
			for {
				res, err := s.db.NewDelete().Model((*Resource)(nil)).
					Where("id IN (?)", s.db.NewSelect().Model((*Resource)(nil)).Column("id").
						Where("cloudaccount_id = ?", p.AccountID).Limit(5000)).Exec(ctx)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					break
				}
			}
			return nil
		}},
		{Name: "delete-account", Run: func(ctx context.Context, r *task.Run) error {
			var p struct {
				AccountID string `json:"account_id"`
			}
			_ = r.Params(&p)
			return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.NewDelete().Model((*ProviderRegion)(nil)).Where("cloudaccount_id = ?", p.AccountID).Exec(ctx); err != nil {
					return err
				}
				if _, err := tx.NewDelete().Model((*CloudProvider)(nil)).Where("cloudaccount_id = ?", p.AccountID).Exec(ctx); err != nil {
					return err
				}
				_, err := tx.NewDelete().Model((*Account)(nil)).Where("id = ?", p.AccountID).Exec(ctx)
				return err
			})
		}},
	}}
}

// SetAccessURL points an account at another endpoint (a moved private
// deployment, or the demo simulator's new port).
func (s *Service) SetAccessURL(ctx context.Context, id, accessURL string) error {
	_, err := s.db.NewUpdate().Model((*Account)(nil)).Set("access_url = ?", accessURL).Set("updated_at = ?", s.now()).
		Where("id = ?", id).Exec(ctx)
	return err
}
