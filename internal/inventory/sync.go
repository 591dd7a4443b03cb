package inventory

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/ids"
	"github.com/skyfold/skyfold/internal/task"
)

// SyncRequest narrows a sync; empty fields mean everything.
type SyncRequest struct {
	Regions []string
	Kinds   []Kind
	UserID  string
}

type syncParams struct {
	AccountID string   `json:"account_id"`
	Regions   []string `json:"regions,omitempty"`
	Kinds     []Kind   `json:"kinds,omitempty"`
	// Follow marks a follow-up sync: it waits for the account's current
	// sync and takes its scope from the account row.
	Follow bool `json:"follow,omitempty"`
}

type syncRegionRef struct {
	CloudregionID string `json:"cloudregion_id"`
	RegionID      string `json:"region_id"`
}

type syncState struct {
	ProviderID string          `json:"provider_id"`
	Regions    []syncRegionRef `json:"regions"`
	Done       []string        `json:"done"`
	Failed     []string        `json:"failed"`
	// Scope is what a follow-up sync took; Started when the sync began
	// listing (after any wait).
	Scope   *syncScope `json:"scope,omitempty"`
	Started time.Time  `json:"started"`
}

// KindResult is what one sync did to one kind in one region.
type KindResult struct {
	Added     int    `json:"added"`
	Updated   int    `json:"updated"`
	Removed   int    `json:"removed"`
	Unchanged int    `json:"unchanged"`
	MS        int64  `json:"ms"`
	Skipped   string `json:"skipped,omitempty"`
	Error     string `json:"error,omitempty"`
	// Note says why a sync held back, e.g. deletions left to the next sync.
	Note string `json:"note,omitempty"`
}

// ValidKind reports whether k is a synced kind.
func ValidKind(k Kind) bool { return slices.Contains(SyncOrder, k) || isPrivateKind(k) /* private.go */ }

// RequestSync makes sure a sync of an enabled account lists its regions and
// kinds after this call, and returns the task that will: a queued sync that
// covers the request, or the account's follow-up sync (see follow.go).
func (s *Service) RequestSync(ctx context.Context, id string, req SyncRequest) (*task.Task, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.Enabled {
		return nil, errs.E(errs.Conflict, "account %s is disabled", a.Name)
	}
	if a.Status == StatusDeleting {
		return nil, errs.E(errs.Conflict, "account %s is being deleted", a.Name)
	}
	for _, k := range req.Kinds {
		if !ValidKind(k) {
			return nil, errs.Field("resource_types", fmt.Sprintf("unknown resource type %q", k))
		}
	}
	want := syncScope{Regions: normaliseRegions(a.Provider, req.Regions), Kinds: req.Kinds}
	want = want.union(want) // sorted, without repeats
	for range 50 {
		t, err := s.coverSync(ctx, a, want, req.UserID) // follow.go
		if !errors.Is(err, errContended) {
			return t, err
		}
		if a, err = s.Get(ctx, id); err != nil {
			return nil, err
		}
	}
	return nil, errContended
}

func (s *Service) syncDefinition() task.Definition {
	return task.Definition{
		Type: TaskSync, MaxAttempts: 3, Timeout: 2 * time.Hour,
		Stages: []task.Stage{
			{Name: "connect", Run: s.syncConnect},
			{Name: "regions", Run: s.syncRegions},
			{Name: "finish", Run: s.syncFinish},
		},
		OnEnd: func(ctx context.Context, t *task.Task, st task.Status, msg string) {
			if st == task.Success {
				return
			}
			// A follow-up that ends before taking its scope leaves room for
			// the next request to queue one.
			_, _ = s.db.NewUpdate().Model((*Account)(nil)).Set("sync_follow_task_id = ''").Set("sync_follow_scope = ''").
				Where("id = ?", t.ObjectID).Where("sync_follow_task_id = ?", t.ID).Exec(ctx)
			_, _ = s.db.NewUpdate().Model((*Account)(nil)).Set("sync_status = ?", SyncError).
				Set("last_error = ?", msg).Set("error_count = error_count + 1").Set("updated_at = ?", s.now()).
				Where("id = ?", t.ObjectID).Where("sync_task_id = ?", t.ID).Exec(ctx)
		},
	}
}

// loadSync returns the sync's scope and account.
func (s *Service) loadSync(ctx context.Context, r *task.Run) (syncScope, *Account, error) {
	var p syncParams
	if err := r.Params(&p); err != nil {
		return syncScope{}, nil, task.Permanent(err)
	}
	sc := syncScope{Regions: p.Regions, Kinds: p.Kinds}
	if p.Follow {
		var st syncState
		if err := r.State(&st); err != nil {
			return sc, nil, task.Permanent(err)
		}
		if st.Scope == nil {
			// Not taken yet; syncConnect takes it first.
			return syncScope{}, nil, task.Permanent(fmt.Errorf("follow-up sync %s has no scope", r.Task().ID))
		}
		sc = *st.Scope
	}
	a, err := s.Get(ctx, p.AccountID)
	if err != nil {
		return sc, nil, task.Permanent(err)
	}
	if !a.Enabled || a.Status == StatusDeleting {
		return sc, nil, task.Permanent(errs.E(errs.Conflict, "account %s was disabled or deleted", a.Name))
	}
	return sc, a, nil
}

// takeScope, for a follow-up sync, takes its scope once the sync before it
// has ended (until then the stage runs again later), and saves it at once so
// that a resumed attempt keeps it.
func (s *Service) takeScope(ctx context.Context, r *task.Run) error {
	var p syncParams
	if err := r.Params(&p); err != nil {
		return task.Permanent(err)
	}
	var st syncState
	if err := r.State(&st); err != nil {
		return task.Permanent(err)
	}
	if !p.Follow || st.Scope != nil {
		return nil
	}
	sc, err := s.takeFollowScope(ctx, p.AccountID, r.Task())
	if err != nil {
		return err
	}
	st.Scope = &sc
	r.Log(ctx, "the sync before ended; following up on regions %v, kinds %v (none: all)", sc.Regions, sc.Kinds)
	return r.Checkpoint(ctx, st)
}

// syncConnect probes the account (health, balance, sub-accounts) and records
// the regions to sync.
func (s *Service) syncConnect(ctx context.Context, r *task.Run) error {
	if err := s.takeScope(ctx, r); err != nil {
		return err
	}
	p, a, err := s.loadSync(ctx, r)
	if err != nil {
		return err
	}
	_, _ = s.db.NewUpdate().Model((*Account)(nil)).Set("sync_status = ?", SyncSyncing).Set("progress = 0").
		Set("updated_at = ?", s.now()).Where("id = ?", a.ID).Exec(ctx)
	drv, err := s.Open(ctx, a)
	if err != nil {
		return err
	}
	defer drv.Close()
	if err := s.probe(ctx, a, drv); err != nil {
		return err
	}
	prov, err := s.ensureProvider(ctx, a, drv)
	if err != nil {
		return err
	}
	regions, err := drv.Regions(ctx)
	if err != nil {
		return fmt.Errorf("list regions: %w", err)
	}
	want := a.RegionIDs()
	if len(p.Regions) > 0 {
		want = p.Regions
	}
	var st syncState
	_ = r.State(&st) // a follow-up's scope
	st.ProviderID, st.Regions, st.Done, st.Failed, st.Started = prov.ID, nil, nil, nil, s.now()
	for _, cr := range regions {
		reg, err := s.upsertRegion(ctx, a.Provider, cr, drv.Capabilities())
		if err != nil {
			return err
		}
		if len(want) > 0 && !slices.Contains(want, cr.ID) {
			continue
		}
		pr := &ProviderRegion{CloudproviderID: prov.ID, CloudregionID: reg.ID, CloudaccountID: a.ID, Enabled: true,
			SyncStatus: SyncQueued, LastSyncResult: json.RawMessage("{}")}
		if _, err := s.db.NewInsert().Model(pr).On("CONFLICT (cloudprovider_id, cloudregion_id) DO UPDATE").
			Set("sync_status = EXCLUDED.sync_status").Exec(ctx); err != nil {
			return err
		}
		st.Regions = append(st.Regions, syncRegionRef{CloudregionID: reg.ID, RegionID: cr.ID})
	}
	if len(want) > 0 && len(st.Regions) == 0 {
		// %.64q: each region quoted and cut, since the list came from a caller.
		return task.Permanent(errs.Field("cloudregions", fmt.Sprintf("none of %.64q is a region of this account", want)))
	}
	r.Log(ctx, "connected as %s; %d regions to sync", a.AccountID, len(st.Regions))
	return r.SetState(st)
}

// probe refreshes status, health and balance.
func (s *Service) probe(ctx context.Context, a *Account, drv cloud.Provider) error {
	now := s.now()
	q := s.db.NewUpdate().Model((*Account)(nil)).Where("id = ?", a.ID).Set("probe_at = ?", now).Set("updated_at = ?", now)
	if err := drv.ValidateCredentials(ctx); err != nil {
		health := HealthUnknown
		if errors.Is(err, cloud.ErrInvalidCredential) {
			health = HealthNoPermission
		}
		_, _ = q.Set("status = ?", StatusDisconnected).Set("health_status = ?", health).
			Set("last_error = ?", oneLine(err.Error())).Exec(ctx)
		if errors.Is(err, cloud.ErrInvalidCredential) {
			return task.Permanent(connectError(err))
		}
		return err
	}
	q = q.Set("status = ?", StatusConnected).Set("health_status = ?", HealthNormal)
	if drv.Capabilities().Has(cloud.CapBalance) {
		if b, err := drv.Balance(ctx); err == nil {
			q = q.Set("balance = ?", b.Available.Amount).Set("currency = ?", b.Available.Currency)
			if strings.HasPrefix(b.Available.Amount, "-") {
				q = q.Set("health_status = ?", "arrears")
			}
		}
	}
	_, err := q.Exec(ctx)
	return err
}

// Probe checks an account's connection and balance now.
func (s *Service) Probe(ctx context.Context, id string) (*Account, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	drv, err := s.Open(ctx, a)
	if err != nil {
		return nil, err
	}
	defer drv.Close()
	if err := s.probe(ctx, a, drv); err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

func (s *Service) ensureProvider(ctx context.Context, a *Account, drv cloud.Provider) (*CloudProvider, error) {
	subs, err := drv.SubAccounts(ctx)
	if err != nil || len(subs) == 0 {
		subs = []cloud.SubAccount{{ID: a.AccountID, Name: a.Name}}
	}
	sub := subs[0]
	pv := new(CloudProvider)
	err = s.db.NewSelect().Model(pv).Where("cloudaccount_id = ?", a.ID).Where("account = ?", sub.ID).Limit(1).Scan(ctx)
	if err == nil {
		return pv, nil
	}
	now := s.now()
	name := a.Name
	if len(subs) > 1 && sub.Name != "" {
		name = a.Name + "/" + sub.Name
	}
	pv = &CloudProvider{ID: ids.New(), CloudaccountID: a.ID, Name: name, Account: sub.ID, Provider: a.Provider,
		Enabled: a.Enabled, Status: StatusConnected, HealthStatus: HealthNormal, DomainID: a.DomainID,
		ProjectID: a.ProjectID, CreatedAt: now, UpdatedAt: now}
	if _, err := s.db.NewInsert().Model(pv).Exec(ctx); err != nil {
		return nil, err
	}
	return pv, nil
}

// brandNames prefixes region names as Cloudpods shows them ("阿里云 华北2（北京）").
var brandNames = map[string]string{"Aliyun": "阿里云", "Qcloud": "腾讯云", "Huawei": "华为云", "Baidu": "百度云", "Aws": "AWS"}

func (s *Service) upsertRegion(ctx context.Context, provider string, cr cloud.Region, caps cloud.Capabilities) (*Region, error) {
	ext := provider + "/" + cr.ID
	reg := new(Region)
	if err := s.db.NewSelect().Model(reg).Where("external_id = ?", ext).Scan(ctx); err == nil {
		if cr.LocalName != "" && reg.LocalName != cr.LocalName {
			reg.LocalName = cr.LocalName
			reg.Name = regionName(provider, cr)
			_, _ = s.db.NewUpdate().Model(reg).Column("local_name", "name").WherePK().Exec(ctx)
		}
		return reg, nil
	}
	capsJSON, _ := json.Marshal(caps)
	now := s.now()
	info, _ := cloud.Lookup(provider)
	reg = &Region{ID: ids.New(), Provider: provider, ExternalID: ext, RegionID: cr.ID, Name: regionName(provider, cr),
		LocalName: cr.LocalName, CloudEnv: cloudEnv(info), Capabilities: capsJSON, CreatedAt: now, UpdatedAt: now}
	if _, err := s.db.NewInsert().Model(reg).On("CONFLICT (external_id) DO NOTHING").Exec(ctx); err != nil {
		return nil, err
	}
	err := s.db.NewSelect().Model(reg).Where("external_id = ?", ext).Scan(ctx)
	return reg, err
}

func regionName(provider string, cr cloud.Region) string {
	local := cr.LocalName
	if local == "" {
		local = cr.ID
	}
	if b, ok := brandNames[provider]; ok {
		return b + " " + local
	}
	return provider + " " + local
}

// syncRegions syncs the recorded regions, a bounded number at a time, saving
// after each one so a resumed task skips what is done.
func (s *Service) syncRegions(ctx context.Context, r *task.Run) error {
	p, a, err := s.loadSync(ctx, r)
	if err != nil {
		return err
	}
	var st syncState
	if err := r.State(&st); err != nil {
		return task.Permanent(err)
	}
	drv, err := s.Open(ctx, a)
	if err != nil {
		return err
	}
	defer drv.Close()
	kinds := syncKinds(drv) // private.go: SyncOrder plus a private cloud's extension kinds
	if len(p.Kinds) > 0 {
		kinds = p.Kinds
	}
	// A retry tries the failed regions again; the done ones are skipped.
	st.Failed = nil
	var mu sync.Mutex
	sem := make(chan struct{}, s.cfg.RegionParallelism)
	var wg sync.WaitGroup
	total := len(st.Regions)
	for _, ref := range st.Regions {
		if slices.Contains(st.Done, ref.CloudregionID) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(ref syncRegionRef) {
			defer wg.Done()
			defer func() { <-sem }()
			res, rerr := s.syncRegion(ctx, drv, a, st.ProviderID, ref, kinds)
			mu.Lock()
			defer mu.Unlock()
			if rerr != nil {
				st.Failed = append(st.Failed, ref.RegionID)
				r.Warn(ctx, "region %s: %v", ref.RegionID, rerr)
			} else {
				st.Done = append(st.Done, ref.CloudregionID)
				r.Log(ctx, "region %s synced: %s", ref.RegionID, summarise(res))
			}
			finished := len(st.Done) + len(st.Failed)
			r.SetProgress(float64(finished) * 95 / float64(max(total, 1)))
			prog := float64(finished) * 100 / float64(max(total, 1))
			_, _ = s.db.NewUpdate().Model((*Account)(nil)).Set("progress = ?", prog).Where("id = ?", a.ID).Exec(ctx)
			_ = r.Checkpoint(ctx, st)
		}(ref)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(st.Failed) > 0 && len(st.Done) == 0 {
		return fmt.Errorf("every region failed to sync (%s)", strings.Join(st.Failed, ", "))
	}
	return r.SetState(st)
}

func summarise(res map[Kind]*KindResult) string {
	var parts []string
	for _, k := range allKinds() { // private.go
		x, ok := res[k]
		if !ok {
			continue
		}
		if x.Skipped != "" {
			continue
		}
		if x.Error != "" {
			parts = append(parts, fmt.Sprintf("%s error", k))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s +%d ~%d -%d", k, x.Added, x.Updated, x.Removed))
	}
	return strings.Join(parts, ", ")
}

// syncRegion syncs every kind of one region in order and records the result.
func (s *Service) syncRegion(ctx context.Context, drv cloud.Provider, a *Account, providerID string, ref syncRegionRef, kinds []Kind) (map[Kind]*KindResult, error) {
	started := time.Now()
	_, _ = s.db.NewUpdate().Model((*ProviderRegion)(nil)).Set("sync_status = ?", SyncSyncing).
		Where("cloudprovider_id = ?", providerID).Where("cloudregion_id = ?", ref.CloudregionID).Exec(ctx)
	rc, err := drv.Region(ref.RegionID)
	if err != nil {
		return nil, err
	}
	results := map[Kind]*KindResult{}
	if zones, err := rc.Zones(ctx); err == nil {
		if err := s.upsertZones(ctx, a.Provider, ref, zones); err != nil {
			return nil, err
		}
	}
	var firstErr error
	for _, k := range syncKinds(drv) { // private.go: SyncOrder plus extension kinds
		if !slices.Contains(kinds, k) {
			continue
		}
		t0 := time.Now()
		res := &KindResult{}
		results[k] = res
		if busy, _ := s.kindBusy(ctx, a.ID, ref.CloudregionID, k); busy {
			res.Skipped = "rows busy in a task"
			continue
		}
		err := s.syncKind(ctx, drv, rc, a, providerID, ref.CloudregionID, k, res)
		if errors.Is(err, cloud.ErrNotSupported) {
			res.Skipped = "not supported by the provider"
			continue
		}
		if err != nil {
			res.Error = oneLine(err.Error())
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", k, err)
			}
		}
		res.MS = time.Since(t0).Milliseconds()
	}
	raw, _ := json.Marshal(results)
	status := SyncIdle
	if firstErr != nil {
		status = SyncError
	}
	now := s.now()
	_, _ = s.db.NewUpdate().Model((*ProviderRegion)(nil)).Set("sync_status = ?", status).
		Set("last_sync_at = ?", now).Set("last_sync_ms = ?", time.Since(started).Milliseconds()).
		Set("last_sync_result = ?", string(raw)).
		Where("cloudprovider_id = ?", providerID).Where("cloudregion_id = ?", ref.CloudregionID).Exec(context.WithoutCancel(ctx))
	return results, firstErr
}

func (s *Service) upsertZones(ctx context.Context, provider string, ref syncRegionRef, zones []cloud.Zone) error {
	now := s.now()
	for _, z := range zones {
		name := z.LocalName
		if name == "" {
			name = z.ID
		}
		row := &Zone{ID: ids.New(), CloudregionID: ref.CloudregionID, ExternalID: provider + "/" + ref.RegionID + "/" + z.ID,
			ZoneID: z.ID, Name: name, CreatedAt: now, UpdatedAt: now}
		if _, err := s.db.NewInsert().Model(row).On("CONFLICT (external_id) DO UPDATE").
			Set("name = EXCLUDED.name").Set("updated_at = EXCLUDED.updated_at").Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) kindBusy(ctx context.Context, accountID, regionID string, k Kind) (bool, error) {
	return s.db.NewSelect().Model((*Resource)(nil)).Where("cloudaccount_id = ?", accountID).
		Where("cloudregion_id = ?", regionID).Where("kind = ?", k).Where("busy_task_id <> ''").Exists(ctx)
}

// syncKind lists one kind of one region and applies it page by page: the
// listing's pages are fetched and converted concurrently while kindSync
// diffs them against the stored rows and writes the differences. A failed
// listing marks nothing deleted.
func (s *Service) syncKind(ctx context.Context, drv cloud.Provider, rc cloud.RegionClient, a *Account, providerID, regionID string, k Kind, res *KindResult) error {
	ks := s.newKindSync(a.ID, regionID, k, res)
	loaded := make(chan error, 1)
	go func() { loaded <- ks.load(ctx) }()
	var once sync.Once
	var loadErr error
	waitLoaded := func() error {
		once.Do(func() { loadErr = <-loaded })
		return loadErr
	}
	conv := func(o any) Resource { return toResource(o, a, providerID, regionID) }
	err := s.streamAny(ctx, drv, rc, a, regionID, k, conv, func(total int, rows []Resource) error {
		if err := waitLoaded(); err != nil {
			return err
		}
		return ks.add(ctx, total, rows)
	})
	if lerr := waitLoaded(); err == nil {
		err = lerr
	}
	if err != nil {
		return err
	}
	return ks.finish(ctx)
}

// syncFinish stores the per-kind counts and marks the account idle.
func (s *Service) syncFinish(ctx context.Context, r *task.Run) error {
	_, a, err := s.loadSync(ctx, r)
	if err != nil {
		return err
	}
	var st syncState
	_ = r.State(&st)
	sc, _, _ := s.loadSync(ctx, r)
	counts, err := s.countKinds(ctx, a.ID)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(counts)
	now := s.now()
	status, lastErr := SyncIdle, ""
	if len(st.Failed) > 0 {
		status, lastErr = SyncError, "regions failed: "+strings.Join(st.Failed, ", ")
	}
	if n := s.rowsWritten(ctx, a.ID); n >= bulkWriteRows {
		if err := s.AfterBulkWrite(ctx); err != nil {
			s.cfg.Logger.Warn("refresh planner statistics", "err", err)
		}
	}
	q := s.db.NewUpdate().Model((*Account)(nil)).Set("sync_status = ?", status).Set("progress = 100").
		Set("counts = ?", string(raw)).Set("last_sync_at = ?", now).Set("sync_count = sync_count + 1").
		Set("last_error = ?", lastErr).Set("updated_at = ?", now).Where("id = ?", a.ID)
	if sc.full() {
		started := st.Started
		if started.IsZero() {
			started = now
		}
		q = q.Set("last_full_sync_at = ?", started)
	} else {
		q = q.Set("last_partial_sync_at = ?", now)
	}
	_, err = q.Exec(ctx)
	if err == nil {
		_ = r.SetResult(map[string]any{"counts": counts, "failed_regions": st.Failed})
	}
	return err
}

// rowsWritten sums what the last sync of each of the account's regions
// added, updated and removed.
func (s *Service) rowsWritten(ctx context.Context, accountID string) int {
	prs, err := s.ProviderRegions(ctx, accountID)
	if err != nil {
		return 0
	}
	n := 0
	for _, pr := range prs {
		var res map[Kind]KindResult
		if json.Unmarshal(pr.LastSyncResult, &res) != nil {
			continue
		}
		for _, r := range res {
			n += r.Added + r.Updated + r.Removed
		}
	}
	return n
}

func (s *Service) countKinds(ctx context.Context, accountID string) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT kind, COUNT(*) FROM "+s.syncIndexed()+
		" WHERE cloudaccount_id = ? AND deleted_at IS NULL GROUP BY kind", accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			return nil, err
		}
		out[kind] = n
	}
	return out, rows.Err()
}

func fingerprint(b []byte) string {
	h := sha1.Sum(b)
	return hex.EncodeToString(h[:])
}

// ScheduleTick is how often the scheduler looks for due syncs: a quarter of
// the shortest interval, so a full sync starts within a tick of being due.
const ScheduleTick = MinSyncInterval / 4

// ScheduleDue queues a full sync for every enabled account with auto sync on
// whose last full sync started an interval ago or more, and re-queues syncs
// stuck "syncing" without a live task (a sync is never left "syncing"). A
// partial sync under way does not hold a due full sync back: the full one
// follows it. It returns how many it queued.
func (s *Service) ScheduleDue(ctx context.Context) (int, error) {
	var accts []Account
	if err := s.db.NewSelect().Model(&accts).Where("enabled = TRUE").Where("status <> ?", StatusDeleting).Scan(ctx); err != nil {
		return 0, err
	}
	now := s.now()
	n := 0
	for i := range accts {
		a := &accts[i]
		due := a.AutoSync && (a.LastFullSyncAt == nil || now.Sub(*a.LastFullSyncAt) >= time.Duration(a.SyncIntervalSeconds)*time.Second)
		busy := a.SyncStatus == SyncQueued || a.SyncStatus == SyncSyncing
		if a.SyncFollowTaskID != "" && (!due || decodeScope(a.SyncFollowScope).full()) {
			continue // a follow-up is queued and covers what is due
		}
		if a.SyncTaskID != "" {
			if t, err := s.tasks.Get(ctx, a.SyncTaskID); err == nil && !t.Status.Terminal() {
				if !due || taskScope(t).full() {
					continue
				}
				busy = false
			}
		}
		if !due && !busy {
			continue
		}
		if _, err := s.RequestSync(ctx, a.ID, SyncRequest{}); err != nil {
			s.cfg.Logger.Warn("scheduled sync", "account_id", a.ID, "err", err)
			continue
		}
		n++
	}
	return n, nil
}

// ProbeAll refreshes connection status, health and balance of every enabled
// account.
func (s *Service) ProbeAll(ctx context.Context) error {
	var accts []Account
	if err := s.db.NewSelect().Model(&accts).Where("enabled = TRUE").Where("status <> ?", StatusDeleting).Scan(ctx); err != nil {
		return err
	}
	for i := range accts {
		if _, err := s.Probe(ctx, accts[i].ID); err != nil {
			s.cfg.Logger.Warn("probe", "account_id", accts[i].ID, "err", oneLine(err.Error()))
		}
	}
	return nil
}
