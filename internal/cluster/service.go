package cluster

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/time/rate"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/secret"
	"github.com/skyfold/skyfold/internal/task"
)

func init() {
	secret.RegisterColumn(secret.Column{Table: "clusters", Key: "id", Name: "password"})
}

// Task types of this package.
const (
	TaskExpand = "cluster.expand"
	TaskShrink = "cluster.shrink"
	// TaskNetworkConfig creates a VPC, a subnet and a security group.
	TaskNetworkConfig = "cluster.network_config"
)

// Accounts is what the service needs of the accounts and inventory service
// (*inventory.Service implements it).
type Accounts interface {
	ListAccounts(ctx context.Context, sc inventory.Scope, p listing.Params) (listing.Page[inventory.Account], error)
	Get(ctx context.Context, id string) (*inventory.Account, error)
	Open(ctx context.Context, a *inventory.Account) (cloud.Provider, error)
	ListResources(ctx context.Context, sc inventory.Scope, k inventory.Kind, f inventory.ResourceFilter, p listing.Params) (listing.Page[inventory.Resource], error)
	GetResource(ctx context.Context, sc inventory.Scope, k inventory.Kind, idOrName string) (*inventory.Resource, error)
	Region(ctx context.Context, id string) (*inventory.Region, error)
	Zones(ctx context.Context, regionID string) ([]inventory.Zone, error)
	RequestSync(ctx context.Context, id string, req inventory.SyncRequest) (*task.Task, error)
	// Record and MarkDeleted write what Skyfold created or deleted into the
	// inventory at once, so no sync is needed to see it.
	Record(ctx context.Context, accountID, region string, objs ...any) (map[string]string, error)
	MarkDeleted(ctx context.Context, accountID, region string, k inventory.Kind, externalIDs []string) error
}

// Config tunes the service. Zero values take the defaults in brackets.
type Config struct {
	Logger *slog.Logger
	Now    func() time.Time
	// Location is the time zone of usage days and of BridgX timestamps
	// [UTC+8, "CST", as BridgX shows them].
	Location *time.Location
	// BatchSize is the most instances one create call asks for [100, Aliyun's
	// RunInstances limit]; DeleteBatchSize likewise for deletes [100].
	BatchSize       int
	DeleteBatchSize int
	// Parallelism bounds the cloud calls one task has in flight [8].
	Parallelism int
	// AccountRate and AccountBurst pace every cloud call on one account,
	// across all of this process's tasks [20/s, burst 10].
	AccountRate  rate.Limit
	AccountBurst int
	// PollInterval is how often a task looks at instances it waits for [2s].
	PollInterval time.Duration
	// ReadyTimeout is how long an instance may take to run with its
	// addresses before it is deleted [10m].
	ReadyTimeout time.Duration
	// GoneAfter is how long after its creation an instance the cloud does
	// not list (three polls in a row) counts as lost [1m].
	GoneAfter time.Duration
	// MaxRounds bounds the create rounds of an expand [3].
	MaxRounds int
	// TaskTimeout bounds one attempt of an expand or shrink task [3h].
	TaskTimeout time.Duration
	// CatalogTTL is how long catalog answers are reused [1h].
	CatalogTTL time.Duration
	// RecordWait is how long a network create waits for the inventory to
	// record what it made before answering [10s].
	RecordWait time.Duration
	// NetworkWait is how long network_config/create waits for its task
	// before answering with the task's id instead [30s].
	NetworkWait time.Duration
	// OpenProvider opens an account's driver. Default: the account service's
	// driver, re-wrapped in cloud.WithRetry with the per-account pace.
	OpenProvider func(ctx context.Context, a *inventory.Account) (cloud.Provider, error)
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Location == nil {
		c.Location = time.FixedZone("CST", 8*3600)
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.DeleteBatchSize <= 0 {
		c.DeleteBatchSize = 100
	}
	if c.Parallelism <= 0 {
		c.Parallelism = 8
	}
	if c.AccountRate == 0 {
		c.AccountRate = 20
	}
	if c.AccountBurst <= 0 {
		c.AccountBurst = 10
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.ReadyTimeout <= 0 {
		c.ReadyTimeout = 10 * time.Minute
	}
	if c.GoneAfter <= 0 {
		c.GoneAfter = time.Minute
	}
	if c.MaxRounds <= 0 {
		c.MaxRounds = 3
	}
	if c.TaskTimeout <= 0 {
		c.TaskTimeout = 3 * time.Hour
	}
	if c.CatalogTTL <= 0 {
		c.CatalogTTL = time.Hour
	}
	if c.RecordWait <= 0 {
		c.RecordWait = 10 * time.Second
	}
	if c.NetworkWait <= 0 {
		c.NetworkWait = 30 * time.Second
	}
}

// Service manages clusters, their tasks and instances, and the BridgX
// network and catalog operations.
type Service struct {
	db    *bun.DB
	box   *secret.Box
	tasks *task.Service
	accts Accounts
	cfg   Config

	pmu       sync.Mutex
	providers map[string]*openProvider
	// vpcRegions remembers where this process created VPCs (under pmu).
	vpcRegions map[string]vpcRef

	catalog *catalog

	idmu   sync.Mutex
	lastID int64
}

type openProvider struct {
	p   cloud.Provider
	key string // what the provider was opened with; a change reopens it
}

// New returns the service and registers its task types with tasks.
func New(db *bun.DB, box *secret.Box, tasks *task.Service, accts Accounts, cfg Config) *Service {
	cfg.defaults()
	s := &Service{db: db, box: box, tasks: tasks, accts: accts, cfg: cfg, providers: map[string]*openProvider{}}
	s.catalog = newCatalog(cfg.CatalogTTL)
	if tasks != nil {
		tasks.Register(s.expandDefinition())
		tasks.Register(s.shrinkDefinition())
		tasks.Register(s.networkDefinition())
	}
	return s
}

// Close releases the drivers the service opened.
func (s *Service) Close() error {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	for k, op := range s.providers {
		_ = op.p.Close()
		delete(s.providers, k)
	}
	return nil
}

// Location is the time zone of BridgX timestamps and usage days.
func (s *Service) Location() *time.Location { return s.cfg.Location }

// FormatTime renders t as BridgX does ("2021-11-02 06:09:38 +0800 CST");
// the zero time is "".
func (s *Service) FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.cfg.Location).Format("2006-01-02 15:04:05 -0700 MST")
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// numericID returns a new id of at most 16 decimal digits (below 2^53, so
// JavaScript clients keep it exact), as BridgX's ids are: milliseconds since
// 2020 shifted left by 10 bits, plus random low bits, increasing within the
// process.
func (s *Service) numericID() string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	ms := time.Now().UnixMilli() - 1577836800000
	v := ms<<10 | int64(binary.BigEndian.Uint16(b[:])&0x3ff)
	s.idmu.Lock()
	if v <= s.lastID {
		v = s.lastID + 1
	}
	s.lastID = v
	s.idmu.Unlock()
	return strconv.FormatInt(v, 10)
}

// bridgxNames maps canonical provider names to BridgX's.
var bridgxNames = map[string]string{
	"Aliyun": "AlibabaCloud", "Huawei": "HuaweiCloud", "Qcloud": "TencentCloud", "Baidu": "BaiduCloud", "Aws": "AWSCloud",
}

// BridgXName is the provider name BridgX uses for a canonical name
// (Aliyun → AlibabaCloud); other providers keep their name.
func BridgXName(canonical string) string {
	if n, ok := bridgxNames[canonical]; ok {
		return n
	}
	return canonical
}

// canonicalProvider resolves a provider name or alias, reporting field when
// it is missing or unknown.
func canonicalProvider(field, name string) (string, error) {
	if name == "" {
		return "", errs.Field(field, "required: one of AlibabaCloud, HuaweiCloud, TencentCloud, BaiduCloud, AWSCloud")
	}
	c, ok := cloud.Canonical(name)
	if !ok {
		return "", errs.Field(field, fmt.Sprintf("unknown provider %s: one of AlibabaCloud, HuaweiCloud, TencentCloud, BaiduCloud, AWSCloud", quoted(name)))
	}
	return c, nil
}

// FindAccount returns the connected account of a provider with an access
// key, if the scope may see it. field names the request parameter that
// carried the key, for the error.
func (s *Service) FindAccount(ctx context.Context, sc inventory.Scope, provider, key, field string) (*inventory.Account, error) {
	if key == "" {
		return nil, errs.Field(field, "required: the access key of a cloud account connected in Skyfold")
	}
	p := listing.Params{Limit: 2, Filters: []listing.Filter{{Field: "account", Op: "equals", Values: []string{key}}}}
	if provider != "" {
		p.Filters = append(p.Filters, listing.Filter{Field: "provider", Op: "equals", Values: []string{provider}})
	}
	page, err := s.accts.ListAccounts(ctx, sc, p)
	if err != nil {
		return nil, err
	}
	if len(page.Items) == 0 {
		what := "a cloud account"
		if provider != "" {
			what = "a " + BridgXName(provider) + " account"
		}
		return nil, errs.Field(field, fmt.Sprintf("%s with access key %s is not connected in Skyfold, or you may not use it", what, quoted(key)))
	}
	a := page.Items[0]
	if a.Status == inventory.StatusDeleting {
		return nil, errs.Field(field, fmt.Sprintf("account %s is being deleted", a.Name))
	}
	return &a, nil
}

// usable checks that an account may be used to create things.
func usable(a *inventory.Account, field string) error {
	if !a.Enabled {
		return errs.Field(field, fmt.Sprintf("account %s is disabled", a.Name))
	}
	if a.ReadOnly {
		return errs.Field(field, fmt.Sprintf("account %s is read-only", a.Name))
	}
	return nil
}

// provider returns the account's driver, opened once per process and paced
// by one limiter per account, so every task of the account shares its rate.
func (s *Service) provider(ctx context.Context, a *inventory.Account) (cloud.Provider, error) {
	key := fmt.Sprintf("%d|%s|%s", a.UpdateVersion, a.AccessURL, a.Account)
	s.pmu.Lock()
	defer s.pmu.Unlock()
	if op, ok := s.providers[a.ID]; ok {
		if op.key == key {
			return op.p, nil
		}
		_ = op.p.Close()
		delete(s.providers, a.ID)
	}
	var p cloud.Provider
	var err error
	if s.cfg.OpenProvider != nil {
		p, err = s.cfg.OpenProvider(ctx, a)
	} else {
		p, err = s.accts.Open(ctx, a)
		if err == nil {
			if inner := cloud.Unwrap(p); inner != nil {
				p = inner
			}
			p = cloud.WithRetry(p, cloud.RetryPolicy{Rate: s.cfg.AccountRate, Burst: s.cfg.AccountBurst, Logger: s.cfg.Logger})
		}
	}
	if err != nil {
		return nil, fmt.Errorf("open account %s: %w", a.Name, err)
	}
	s.providers[a.ID] = &openProvider{p: p, key: key}
	return p, nil
}

// region returns the account's client for a region.
func (s *Service) region(ctx context.Context, a *inventory.Account, regionID string) (cloud.RegionClient, error) {
	p, err := s.provider(ctx, a)
	if err != nil {
		return nil, err
	}
	if err := s.knownRegion(ctx, a, p, regionID); err != nil {
		return nil, err
	}
	return p.Region(regionID)
}

// knownRegion refuses a region the provider does not list, as the
// caller's mistake (400 naming region_id): a driver opens any region, and
// the first call there fails as an unreachable endpoint would, which reads
// as the cloud being down. When the list itself cannot be had, the cloud's
// own answer decides.
func (s *Service) knownRegion(ctx context.Context, a *inventory.Account, p cloud.Provider, regionID string) error {
	if regionID == "" {
		return errs.Field("region_id", "required")
	}
	v, err := s.catalog.get(ctx, "regions|"+a.Provider, false, s.now(), func(ctx context.Context) (any, error) { return p.Regions(ctx) })
	if err != nil {
		return nil
	}
	for _, r := range v.([]cloud.Region) {
		if r.ID == regionID {
			return nil
		}
	}
	return errs.Field("region_id", fmt.Sprintf("%s has no region %s", BridgXName(a.Provider), quoted(regionID)))
}

// scoped narrows a query on one of this package's tables to what sc sees.
func scoped[Q interface {
	Where(string, ...any) Q
}](q Q, alias string, sc inventory.Scope) Q {
	if sc.System {
		return q
	}
	switch {
	case sc.DomainID != "" && len(sc.ProjectIDs) > 0:
		return q.Where("("+alias+".domain_id = ? OR "+alias+".project_id IN (?))", sc.DomainID, bun.List(sc.ProjectIDs))
	case sc.DomainID != "":
		return q.Where(alias+".domain_id = ?", sc.DomainID)
	case len(sc.ProjectIDs) > 0:
		return q.Where(alias+".project_id IN (?)", bun.List(sc.ProjectIDs))
	}
	return q.Where("1 = 0")
}

// Owner is who creates an object: the caller's scope and the domain and
// project that will own it.
type Owner struct {
	Scope     inventory.Scope
	DomainID  string
	ProjectID string
	UserID    string
}

// pageOf applies a page's offset and limit (no limit: everything).
func pageOf(q *bun.SelectQuery, p listing.Params) *bun.SelectQuery {
	if p.Limit > 0 {
		q = q.Limit(int64(p.Limit)).Offset(int64(p.Offset))
	}
	return q
}

// count runs a COUNT query.
func count(ctx context.Context, q *bun.SelectQuery) (int, error) {
	n, err := q.Count(ctx)
	return int(n), err
}
