package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	idgen "github.com/skyfold/skyfold/internal/ids"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/task"
)

// notReadyPrefix starts the error of an instance deleted because it never
// became ready; such failures are worth another round.
const notReadyPrefix = "not ready"

// goneWhy is the error of an instance the cloud named and then lost (a
// cloud that dropped what it had not saved); worth another round too.
const goneWhy = "gone from the cloud before it ran"

// maxBatchAttempts is how often a batch that failed transiently (throttled,
// unreachable cloud) is sent again with the same client token.
const maxBatchAttempts = 3

func (s *Service) expandDefinition() task.Definition {
	return task.Definition{
		Type: TaskExpand, MaxAttempts: 5, Timeout: s.cfg.TaskTimeout,
		Backoff: func(n int) time.Duration { return min(time.Duration(n)*2*time.Second, 30*time.Second) },
		Stages: []task.Stage{
			{Name: "plan", Run: s.expandPlan},
			{Name: "provision", Run: s.expandProvision},
			{Name: "finish", Run: s.expandFinish},
		},
		OnEnd: s.onEnd,
	}
}

// job is what a stage of an expand or shrink works with.
type job struct {
	s   *Service
	r   *task.Run
	p   runParams
	t   *Task
	c   *Cluster
	a   *inventory.Account
	rc  cloud.RegionClient
	log func(ctx context.Context, format string, args ...any)
}

// load reads the task's records and opens the account's region.
func (s *Service) load(ctx context.Context, r *task.Run) (*job, error) {
	j := &job{s: s, r: r, log: r.Log}
	if err := r.Params(&j.p); err != nil {
		return nil, task.Permanent(err)
	}
	j.t = new(Task)
	if err := s.db.NewSelect().Model(j.t).Where("id = ?", r.Task().ID).Scan(ctx); err != nil {
		return nil, task.Permanent(fmt.Errorf("cluster task %s: %w", r.Task().ID, err))
	}
	j.c = new(Cluster)
	if err := s.db.NewSelect().Model(j.c).Where("id = ?", j.p.ClusterID).Scan(ctx); err != nil {
		return nil, task.Permanent(fmt.Errorf("cluster %s is gone: %w", j.p.ClusterID, err))
	}
	a, err := s.accts.Get(ctx, j.c.CloudaccountID)
	if err != nil {
		return nil, task.Permanent(fmt.Errorf("the account of cluster %s is gone: %w", j.c.Name, err))
	}
	j.a = a
	if j.rc, err = s.region(ctx, a, j.c.RegionID); err != nil {
		return nil, err
	}
	if j.t.Status == StatusInit {
		now := s.now()
		_, err := s.db.NewUpdate().Model((*Task)(nil)).Set("status = ?", StatusRunning).Set("started_at = ?", now).
			Set("updated_at = ?", now).Where("id = ?", j.t.ID).Where("status = ?", StatusInit).Exec(ctx)
		if err != nil {
			return nil, err
		}
		j.t.Status, j.t.StartedAt = StatusRunning, &now
	}
	return j, nil
}

// token is the client token of batch seq of a task: the same on every send.
func token(taskID string, seq int) string { return "sf-" + taskID + "-" + strconv.Itoa(seq) }

// planBatches records create batches for n more instances in a round.
func (j *job) planBatches(ctx context.Context, round, n int) error {
	var last int
	if err := j.s.db.NewSelect().Model((*Batch)(nil)).ColumnExpr("COALESCE(MAX(seq), 0)").Where("task_id = ?", j.t.ID).Scan(ctx, &last); err != nil {
		return err
	}
	var bs []Batch
	for n > 0 {
		k := min(n, j.s.cfg.BatchSize)
		last++
		bs = append(bs, Batch{TaskID: j.t.ID, Seq: last, Round: round, Kind: "create", Amount: k, ClientToken: token(j.t.ID, last), Status: BatchPending})
		n -= k
	}
	if len(bs) == 0 {
		return nil
	}
	_, err := j.s.db.NewInsert().Model(&bs).Exec(ctx)
	return err
}

// expandPlan splits the count into the first round's batches (once).
func (s *Service) expandPlan(ctx context.Context, r *task.Run) error {
	j, err := s.load(ctx, r)
	if err != nil {
		return err
	}
	n, err := count(ctx, s.db.NewSelect().Model((*Batch)(nil)).Where("task_id = ?", j.t.ID))
	if err != nil || n > 0 {
		return err
	}
	if err := j.planBatches(ctx, 1, j.p.Count); err != nil {
		return err
	}
	r.Log(ctx, "expand cluster %s by %d: %d batches of at most %d, %d at a time, account %s paced at %v calls/s",
		j.c.Name, j.p.Count, (j.p.Count+s.cfg.BatchSize-1)/s.cfg.BatchSize, s.cfg.BatchSize, s.cfg.Parallelism, j.a.Name, s.cfg.AccountRate)
	return nil
}

// expandProvision runs rounds: send the pending batches, adopt what the cloud
// made that is not recorded, wait for readiness, and plan another round
// while instances that failed to become ready left a gap.
func (s *Service) expandProvision(ctx context.Context, r *task.Run) error {
	j, err := s.load(ctx, r)
	if err != nil {
		return err
	}
	for {
		var round int
		if err := s.db.NewSelect().Model((*Batch)(nil)).ColumnExpr("COALESCE(MAX(round), 1)").Where("task_id = ?", j.t.ID).Scan(ctx, &round); err != nil {
			return err
		}
		if err := j.sendPending(ctx); err != nil {
			return err
		}
		if err := j.adoptIfUnsure(ctx); err != nil {
			return err
		}
		if err := j.waitReady(ctx); err != nil {
			return err
		}
		running, err := j.countExpand(ctx, InstanceRunning)
		if err != nil {
			return err
		}
		missing := j.p.Count - running
		if missing <= 0 {
			return nil
		}
		if round >= s.cfg.MaxRounds {
			r.Warn(ctx, "%d of %d instances running after %d rounds", running, j.p.Count, round)
			return nil
		}
		lost, err := j.replaceable(ctx, round)
		if err != nil {
			return err
		}
		if lost == 0 {
			return nil // the gap comes from refusals (quota, balance, parameters): another round would meet them again
		}
		r.Log(ctx, "round %d: %d instances never became ready, were lost by the cloud or were never made; round %d asks for the %d missing",
			round, lost, round+1, missing)
		if err := j.planBatches(ctx, round+1, missing); err != nil {
			return err
		}
	}
}

// replaceable counts what a round lacks for reasons another round may
// not meet again: instances that never became ready, instances the cloud
// named and then no longer listed, and instances a batch asked for all
// together that the cloud answered with fewer of, without a refusal.
func (j *job) replaceable(ctx context.Context, round int) (int, error) {
	var failed int
	if err := j.s.db.NewSelect().Model((*Instance)(nil)).ColumnExpr("COUNT(*)").
		Join("JOIN cluster_task_batches AS b ON b.task_id = cm.expand_task_id AND b.seq = cm.batch_seq").
		Where("cm.expand_task_id = ?", j.t.ID).Where("b.round = ?", round).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("cm.error LIKE ?", notReadyPrefix+"%").WhereOr("cm.error = ?", goneWhy)
		}).Scan(ctx, &failed); err != nil {
		return 0, err
	}
	var short int
	if err := j.s.db.NewSelect().Model((*Batch)(nil)).ColumnExpr("COALESCE(SUM(amount - done), 0)").
		Where("task_id = ?", j.t.ID).Where("round = ?", round).Where("kind = 'create'").Where("error_code = ?", partialCode).
		Scan(ctx, &short); err != nil {
		return 0, err
	}
	return failed + short, nil
}

// countExpand counts the task's instances in a status.
func (j *job) countExpand(ctx context.Context, status string) (int, error) {
	return count(ctx, j.s.db.NewSelect().Model((*Instance)(nil)).Where("expand_task_id = ?", j.t.ID).Where("status = ?", status))
}

// password decrypts the cluster's instance password.
func (j *job) password() (string, error) {
	pw, err := j.s.box.Decrypt(j.c.Password)
	if err != nil {
		return "", task.Permanent(fmt.Errorf("decrypt the password of cluster %s: %w", j.c.Name, err))
	}
	return pw, nil
}

// sendPending sends every pending batch, Parallelism at a time, until none
// is pending: a transient failure leaves its batch pending for another send
// with the same token, up to maxBatchAttempts.
func (j *job) sendPending(ctx context.Context) error {
	pw, err := j.password()
	if err != nil {
		return err
	}
	for pass := 0; ; pass++ {
		var pending []Batch
		if err := j.s.db.NewSelect().Model(&pending).Where("task_id = ?", j.t.ID).Where("kind = 'create'").
			Where("status = ?", BatchPending).Order("seq").Scan(ctx); err != nil {
			return err
		}
		if len(pending) == 0 {
			return nil
		}
		if pass > 0 {
			if err := sleep(ctx, time.Duration(pass)*time.Second); err != nil {
				return err
			}
		}
		if err := j.each(ctx, len(pending), func(ctx context.Context, i int) error {
			return j.sendBatch(ctx, &pending[i], pw)
		}); err != nil {
			return err
		}
		j.progress(ctx)
	}
}

// each runs fn for 0..n-1, Parallelism at a time, and returns the first
// error (after every started call returned).
func (j *job) each(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	sem := make(chan struct{}, j.s.cfg.Parallelism)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// partialCode marks a batch the cloud answered with fewer instances than
// it was asked for all together.
const partialCode = "Partial"

// fillSuffix marks the client token of a batch that met a shortage (quota,
// balance, stock, addresses) and now asks for whatever fits.
const fillSuffix = "-f"

// sendBatch sends one create batch and records its outcome. A batch asks
// for all its instances or none (Amount = MinAmount); when the cloud
// refuses for a shortage, the refusal is kept and the batch asks again,
// under a second token, for whatever fits (MinAmount 1). It returns an
// error only when the task must stop (context, store).
func (j *job) sendBatch(ctx context.Context, b *Batch, pw string) error {
	now := j.s.now()
	b.Attempts++
	if b.StartedAt == nil {
		b.StartedAt = &now
	}
	if _, err := j.s.db.NewUpdate().Model(b).Column("attempts", "started_at").WherePK().Exec(ctx); err != nil {
		return err
	}
	fill := strings.HasSuffix(b.ClientToken, fillSuffix)
	req := j.c.createRequest(pw, b.Amount)
	req.MinAmount = b.Amount
	if fill {
		req.MinAmount = 1
	}
	req.ClientToken = b.ClientToken
	req.Tags[TagTask] = j.t.ID
	res, err := j.rc.CreateInstances(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		code, msg, rid := cloud.Parts(err)
		if !fill && cloud.Short(err) {
			b.ErrorCode, b.ErrorMessage, b.RequestID = code, msg, rid
			b.ClientToken += fillSuffix
			if _, err := j.s.db.NewUpdate().Model(b).Column("client_token", "error_code", "error_message", "request_id").WherePK().Exec(ctx); err != nil {
				return err
			}
			j.r.Warn(ctx, "batch %d (%d instances) refused: %s; asking for whatever fits", b.Seq, b.Amount, oneLine(err))
			return j.sendBatch(ctx, b, pw)
		}
		b.ErrorCode, b.ErrorMessage, b.RequestID = code, msg, rid
		if cloud.Retryable(err) && b.Attempts < maxBatchAttempts {
			_, uerr := j.s.db.NewUpdate().Model(b).Column("error_code", "error_message", "request_id").WherePK().Exec(ctx)
			j.r.Warn(ctx, "batch %d (%d instances) failed transiently, will send it again with the same token: %s", b.Seq, b.Amount, oneLine(err))
			return uerr
		}
		done := j.s.now()
		b.Status, b.FinishedAt = BatchFailed, &done
		_, uerr := j.s.db.NewUpdate().Model(b).Column("status", "error_code", "error_message", "request_id", "finished_at").WherePK().Exec(ctx)
		j.r.Warn(ctx, "batch %d (%d instances) failed: %s", b.Seq, b.Amount, oneLine(err))
		return uerr
	}
	ids := res.InstanceIDs
	if len(ids) > b.Amount {
		ids = ids[:b.Amount]
	}
	done := j.s.now()
	b.Status, b.Done, b.FinishedAt = BatchDone, len(ids), &done
	switch {
	case fill:
		b.ErrorMessage = fmt.Sprintf("%s (then %d of %d fitted and were created)", b.ErrorMessage, len(ids), b.Amount)
		b.RequestID = res.RequestID
	case len(ids) < b.Amount:
		b.ErrorCode, b.RequestID = partialCode, res.RequestID
		b.ErrorMessage = fmt.Sprintf("the cloud created %d of %d instances", len(ids), b.Amount)
	default:
		b.ErrorCode, b.ErrorMessage, b.RequestID = "", "", res.RequestID
	}
	if fill || len(ids) < b.Amount {
		j.r.Warn(ctx, "batch %d: %d of %d instances created", b.Seq, len(ids), b.Amount)
	}
	objs := make([]cloud.Instance, len(ids))
	for i, id := range ids {
		objs[i] = j.created(id)
	}
	return j.recordInstances(ctx, objs, b.Seq, func(tx bun.Tx) error {
		_, err := tx.NewUpdate().Model(b).Column("status", "done", "request_id", "error_code", "error_message", "finished_at").WherePK().Exec(ctx)
		return err
	})
}

// created is what Skyfold knows of an instance the cloud has just named:
// what the cluster asked for. The first poll replaces it with the cloud's
// own description.
func (j *job) created(id string) cloud.Instance {
	nc := j.c.NetworkOf()
	tags := j.c.TagsOf()
	tags[TagCluster], tags[TagTask] = j.c.Name, j.t.ID
	in := cloud.Instance{Meta: cloud.Meta{ID: id, Name: j.c.instanceName(), RegionID: j.c.RegionID, ZoneID: j.c.ZoneID,
		Status: cloud.StatusPending, Tags: tags}, InstanceType: j.c.InstanceType, ImageID: j.c.ImageID, VPCID: nc.VPCID,
		SubnetID: nc.SubnetID, ChargeType: cloud.ChargeType(j.c.ChargeOf().ChargeType)}
	if nc.SecurityGroupID != "" {
		in.SecurityGroupIDs = []string{nc.SecurityGroupID}
	}
	return in
}

// recordInstances writes instances the cloud named for this task into the
// inventory at once, so that every face sees them, and makes them members
// of the cluster (ones already members are left alone); then, in the same
// transaction as the membership, runs also (the batch's outcome).
func (j *job) recordInstances(ctx context.Context, objs []cloud.Instance, seq int, also func(tx bun.Tx) error) error {
	rids := map[string]string{}
	if len(objs) > 0 {
		args := make([]any, len(objs))
		for i := range objs {
			args[i] = objs[i]
		}
		var err error
		if rids, err = j.s.accts.Record(ctx, j.a.ID, j.c.RegionID, args...); err != nil {
			return fmt.Errorf("record instances in the inventory: %w", err)
		}
	}
	now := j.s.now()
	rows := make([]Instance, 0, len(objs))
	for _, o := range objs {
		rows = append(rows, Instance{ID: idgen.Hex(), ClusterID: j.c.ID, ClusterName: j.c.Name, AccountKey: j.c.AccountKey,
			ResourceID: rids[o.ID], Status: InstancePending, ExpandTaskID: j.t.ID, BatchSeq: seq, DomainID: j.c.DomainID,
			ProjectID: j.c.ProjectID, CreatedAt: now, UpdatedAt: now})
	}
	return j.s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if len(rows) > 0 {
			if _, err := tx.NewInsert().Model(&rows).On("CONFLICT (resource_id) DO NOTHING").Exec(ctx); err != nil {
				return err
			}
		}
		if also != nil {
			return also(tx)
		}
		return nil
	})
}

// memberIDs maps cloud ids of this cluster's instances to their resource
// ids.
func (j *job) memberIDs(ctx context.Context, ext []string) ([]string, error) {
	var out []string
	for _, ch := range chunkRows(ext, 500) {
		var part []string
		if err := j.s.db.NewSelect().Model((*Instance)(nil)).Column("cm.resource_id").
			Join("JOIN resources AS r ON r.id = cm.resource_id").Where("cm.cluster_id = ?", j.c.ID).
			Where("r.external_id IN (?)", bun.List(ch)).Scan(ctx, &part); err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

// externalIDs selects the cloud ids of instances matching where.
func (j *job) externalIDs(ctx context.Context, where func(q *bun.SelectQuery) *bun.SelectQuery) ([]string, error) {
	var out []string
	q := j.s.db.NewSelect().Model((*Instance)(nil)).ColumnExpr("r.external_id").Join("JOIN resources AS r ON r.id = cm.resource_id")
	err := where(q).Scan(ctx, &out)
	return out, err
}

func oneLine(v any) string {
	var s string
	switch x := v.(type) {
	case error:
		s = x.Error()
	case string:
		s = x
	default:
		s = fmt.Sprint(x)
	}
	return strings.Join(strings.Fields(s), " ")
}

// progress publishes the share of running instances.
func (j *job) progress(ctx context.Context) {
	n, err := j.countExpand(ctx, InstanceRunning)
	if err == nil && j.p.Count > 0 {
		j.r.SetProgress(float64(n) * 99 / float64(j.p.Count))
	}
}

// adoptIfUnsure checks for instances the cloud holds under the task's tag
// but Skyfold never recorded when a batch failed: a call can fail after the
// cloud acted (a lost answer), and its instances must still be counted.
func (j *job) adoptIfUnsure(ctx context.Context) error {
	n, err := count(ctx, j.s.db.NewSelect().Model((*Batch)(nil)).Where("task_id = ?", j.t.ID).Where("kind = 'create'").
		Where("status = ?", BatchFailed))
	if err != nil || n == 0 {
		return err
	}
	return j.adopt(ctx, true)
}

// adopt records instances tagged with this task that the store does not
// know. With quick set, it first compares the cloud's count with the
// store's and lists only on a mismatch.
func (j *job) adopt(ctx context.Context, quick bool) error {
	tags := map[string]string{TagTask: j.t.ID}
	known, err := count(ctx, j.s.db.NewSelect().Model((*Instance)(nil)).Where("expand_task_id = ?", j.t.ID).
		Where("status <> ?", InstanceDeleted))
	if err != nil {
		return err
	}
	if quick {
		page, err := j.rc.ListInstances(ctx, cloud.InstanceQuery{Tags: tags}, cloud.PageRequest{Size: 1})
		if err != nil {
			return err
		}
		if page.Total >= 0 && page.Total == known {
			return nil
		}
	}
	remote, err := cloud.Collect(ctx, 100, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Instance], error) {
		return j.rc.ListInstances(ctx, cloud.InstanceQuery{Tags: tags}, p)
	})
	if err != nil {
		return err
	}
	have, err := j.externalIDs(ctx, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("cm.expand_task_id = ?", j.t.ID) })
	if err != nil {
		return err
	}
	var orphans []cloud.Instance
	var names []string
	for _, in := range remote {
		if !slices.Contains(have, in.ID) && in.Status != cloud.StatusDeleted && in.Status != cloud.StatusDeleting {
			orphans = append(orphans, in)
			names = append(names, in.ID)
		}
	}
	if len(orphans) == 0 {
		return nil
	}
	j.r.Warn(ctx, "adopting %d instances the cloud made for this task but never named to Skyfold: %s", len(orphans), strings.Join(names[:min(len(names), 10)], ", "))
	return j.recordInstances(ctx, orphans, 0, nil)
}

// pendingRow is what waitReady tracks of an instance.
type pendingRow struct {
	InstanceID string    `bun:"instance_id"`
	CreatedAt  time.Time `bun:"created_at"`
}

// waitReady polls the task's pending instances until each runs with its
// addresses; an instance that is not ready within ReadyTimeout is deleted.
func (j *job) waitReady(ctx context.Context) error {
	misses := map[string]int{}
	needPublic := j.c.NetworkOf().InternetBandwidth > 0
	for {
		var rows []pendingRow
		if err := j.s.db.NewSelect().Model((*Instance)(nil)).ColumnExpr("r.external_id AS instance_id, cm.created_at").
			Join("JOIN resources AS r ON r.id = cm.resource_id").Where("cm.expand_task_id = ?", j.t.ID).
			Where("cm.status = ?", InstancePending).Order("cm.created_at", "r.external_id").Scan(ctx, &rows); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		chunks := chunkRows(rows, 100)
		var mu sync.Mutex
		var expired []pendingRow
		err := j.each(ctx, len(chunks), func(ctx context.Context, i int) error {
			ch := chunks[i]
			ids := make([]string, len(ch))
			for k, r := range ch {
				ids[k] = r.InstanceID
			}
			page, err := j.rc.ListInstances(ctx, cloud.InstanceQuery{IDs: ids}, cloud.PageRequest{Size: len(ids)})
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				j.s.cfg.Logger.Debug("cluster: poll instances", "task_id", j.t.ID, "err", err)
				return nil // poll again next time
			}
			seen := make(map[string]cloud.Instance, len(page.Items))
			for _, in := range page.Items {
				if slices.Contains(ids, in.ID) {
					seen[in.ID] = in
				}
			}
			var ready []cloud.Instance
			var gone []pendingRow
			now := j.s.now()
			mu.Lock()
			for _, r := range ch {
				in, ok := seen[r.InstanceID]
				switch {
				case ok && in.Status == cloud.StatusRunning && len(in.PrivateIPs) > 0 && (!needPublic || len(in.PublicIPs) > 0):
					ready = append(ready, in)
				case !ok && now.Sub(r.CreatedAt) > j.s.cfg.GoneAfter:
					misses[r.InstanceID]++
					if misses[r.InstanceID] >= 3 {
						gone = append(gone, r)
					}
				case now.Sub(r.CreatedAt) > j.s.cfg.ReadyTimeout:
					expired = append(expired, r)
				}
			}
			mu.Unlock()
			// The inventory gets the cloud's description of an instance
			// once it is ready, before the task counts it: every face then
			// shows it as the task does. The steps before (the pending row
			// written at creation, then the cloud's own "starting") are
			// left to the row written at creation, which saves a write per
			// instance and poll.
			objs := make([]any, len(ready))
			for k, in := range ready {
				objs[k] = in
			}
			rids, err := j.s.accts.Record(ctx, j.a.ID, j.c.RegionID, objs...)
			if err != nil {
				return fmt.Errorf("record instances in the inventory: %w", err)
			}
			if err := j.markRunning(ctx, ready, rids); err != nil {
				return err
			}
			return j.markGone(ctx, gone, goneWhy)
		})
		if err != nil {
			return err
		}
		if len(expired) > 0 {
			if err := j.removeNotReady(ctx, expired); err != nil {
				return err
			}
		}
		j.progress(ctx)
		left, err := count(ctx, j.s.db.NewSelect().Model((*Instance)(nil)).Where("expand_task_id = ?", j.t.ID).Where("status = ?", InstancePending))
		if err != nil || left == 0 {
			return err
		}
		if err := sleep(ctx, j.s.cfg.PollInterval); err != nil {
			return err
		}
	}
}

func chunkRows[T any](rows []T, n int) [][]T {
	var out [][]T
	for len(rows) > n {
		out = append(out, rows[:n])
		rows = rows[n:]
	}
	if len(rows) > 0 {
		out = append(out, rows)
	}
	return out
}

// markRunning records instances as running with their addresses and opens
// their running intervals, in one transaction.
func (j *job) markRunning(ctx context.Context, ready []cloud.Instance, rids map[string]string) error {
	if len(ready) == 0 {
		return nil
	}
	pr := j.s.hourlyPrice(ctx, j.a, j.c.Provider, j.c.RegionID, j.c.InstanceType)
	now := j.s.now()
	return j.s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, in := range ready {
			// The cloud's start time counts when it is precise (Aliyun's
			// has minutes only, which could put it before the creation);
			// else the time Skyfold saw the instance running.
			at := now
			if st := in.StartedAt; !st.IsZero() && st.Before(now) && (st.Second() != 0 || st.Nanosecond() != 0) {
				at = st.UTC().Truncate(time.Microsecond)
			}
			res, err := tx.NewUpdate().Model((*Instance)(nil)).Set("status = ?", InstanceRunning).
				Set("running_at = ?", at).Set("updated_at = ?", now).
				Where("resource_id = ?", rids[in.ID]).Where("status = ?", InstancePending).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			iv := &Interval{InstanceID: in.ID, CloudaccountID: j.a.ID, AccountKey: j.c.AccountKey, ClusterID: j.c.ID, ClusterName: j.c.Name,
				Provider: j.c.Provider, RegionID: j.c.RegionID, InstanceType: j.c.InstanceType, HourlyPrice: pr.Amount, Currency: pr.Currency,
				DomainID: j.c.DomainID, ProjectID: j.c.ProjectID, StartedAt: at}
			if _, err := tx.NewInsert().Model(iv).On("CONFLICT (cloudaccount_id, instance_id, started_at) DO NOTHING").Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// markGone records instances the cloud no longer has: deleted, their
// running intervals closed.
func (j *job) markGone(ctx context.Context, rows []pendingRow, why string) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.InstanceID
	}
	return j.markDeleted(ctx, ids, why)
}

// markDeleted marks instances (by cloud id) deleted, in the cluster and in
// the inventory, and closes their running intervals.
func (j *job) markDeleted(ctx context.Context, ids []string, why string) error {
	if len(ids) == 0 {
		return nil
	}
	rids, err := j.memberIDs(ctx, ids)
	if err != nil {
		return err
	}
	now := j.s.now()
	err = j.s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, ch := range chunkRows(rids, 500) {
			q := tx.NewUpdate().Model((*Instance)(nil)).Set("status = ?", InstanceDeleted).Set("deleted_at = ?", now).
				Set("updated_at = ?", now).Where("resource_id IN (?)", bun.List(ch)).Where("status <> ?", InstanceDeleted)
			if why != "" {
				q = q.Set("error = ?", why)
			}
			if _, err := q.Exec(ctx); err != nil {
				return err
			}
		}
		for _, ch := range chunkRows(ids, 500) {
			if _, err := tx.NewUpdate().Model((*Interval)(nil)).Set("stopped_at = ?", now).Where("cloudaccount_id = ?", j.a.ID).
				Where("instance_id IN (?)", bun.List(ch)).Where("stopped_at IS NULL").Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := j.s.accts.MarkDeleted(ctx, j.a.ID, j.c.RegionID, inventory.KindServer, ids); err != nil {
		return fmt.Errorf("mark instances deleted in the inventory: %w", err)
	}
	return nil
}

// setError records an error on instances (by cloud id), and a status when
// status is not empty.
func (j *job) setError(ctx context.Context, ids []string, status, msg string) error {
	rids, err := j.memberIDs(ctx, ids)
	if err != nil || len(rids) == 0 {
		return err
	}
	for _, ch := range chunkRows(rids, 500) {
		q := j.s.db.NewUpdate().Model((*Instance)(nil)).Set("error = ?", msg).Set("updated_at = ?", j.s.now()).
			Where("resource_id IN (?)", bun.List(ch))
		if status != "" {
			q = q.Set("status = ?", status)
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// removeNotReady deletes instances that did not become ready in time.
func (j *job) removeNotReady(ctx context.Context, rows []pendingRow) error {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.InstanceID
	}
	why := fmt.Sprintf("%s: not running with its addresses within %s; deleted", notReadyPrefix, j.s.cfg.ReadyTimeout)
	j.r.Warn(ctx, "deleting %d instances that did not become ready within %s", len(ids), j.s.cfg.ReadyTimeout)
	for _, ch := range chunkRows(ids, j.s.cfg.DeleteBatchSize) {
		if _, err := j.s.deleteOnCloud(ctx, j.rc, ch, true, false); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			msg := fmt.Sprintf("%s: not running within %s, and deleting it failed: %s", notReadyPrefix, j.s.cfg.ReadyTimeout, oneLine(err))
			if err := j.setError(ctx, ch, InstanceFailed, msg); err != nil {
				return err
			}
			continue
		}
		if err := j.markDeleted(ctx, ch, why); err != nil {
			return err
		}
	}
	return nil
}

// deleteOnCloud deletes instances and returns the ids the cloud did not
// have (they count as deleted). Unless checked says the caller just asked
// the cloud which ids exist, it drops the missing ones first (a missing id
// fails a whole delete call); a delete that still meets one asks again and
// retries once.
func (s *Service) deleteOnCloud(ctx context.Context, rc cloud.RegionClient, ids []string, force, checked bool) (gone []string, err error) {
	present := ids
	if !checked {
		if present, err = s.present(ctx, rc, ids); err != nil {
			return nil, err
		}
	}
	if len(present) > 0 {
		err = rc.DeleteInstances(ctx, present, force)
		if err != nil && errors.Is(err, cloud.ErrNotFound) {
			// Some vanished since: look, and delete the rest.
			if present, err = s.present(ctx, rc, present); err != nil {
				return nil, err
			}
			if len(present) > 0 {
				err = rc.DeleteInstances(ctx, present, force)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !slices.Contains(present, id) {
			gone = append(gone, id)
		}
	}
	return gone, nil
}

// present returns the ids the cloud still has (not deleted).
func (s *Service) present(ctx context.Context, rc cloud.RegionClient, ids []string) ([]string, error) {
	var out []string
	for _, ch := range chunkRows(ids, 100) {
		page, err := rc.ListInstances(ctx, cloud.InstanceQuery{IDs: ch}, cloud.PageRequest{Size: len(ch)})
		if err != nil {
			return nil, err
		}
		for _, in := range page.Items {
			if in.Status != cloud.StatusDeleted && slices.Contains(ch, in.ID) {
				out = append(out, in.ID)
			}
		}
	}
	return out, nil
}

// expandFinish makes the count exact (adopting unrecorded instances,
// deleting any excess), records the outcome and frees the cluster.
func (s *Service) expandFinish(ctx context.Context, r *task.Run) error {
	j, err := s.load(ctx, r)
	if err != nil {
		return err
	}
	if err := j.adopt(ctx, true); err != nil {
		return err
	}
	if n, err := j.countExpand(ctx, InstancePending); err != nil {
		return err
	} else if n > 0 {
		// Adopted instances still have to become ready.
		if err := j.waitReady(ctx); err != nil {
			return err
		}
	}
	if err := j.trim(ctx); err != nil {
		return err
	}
	running, err := j.countExpand(ctx, InstanceRunning)
	if err != nil {
		return err
	}
	status := StatusSuccess
	switch {
	case running == 0 && j.p.Count > 0:
		status = StatusFailed
	case running < j.p.Count:
		status = StatusPartialSuccess
	}
	summary, err := j.batchSummary(ctx)
	if err != nil {
		return err
	}
	msg := ""
	if status != StatusSuccess {
		msg = fmt.Sprintf("%d of %d instances running", running, j.p.Count)
		if summary != "" {
			msg += "; " + summary
		}
	}
	if err := s.finishTask(ctx, j.t, status, running, j.p.Count-running, msg); err != nil {
		return err
	}
	_ = r.SetResult(map[string]any{"status": status, "requested": j.p.Count, "running": running, "error": msg})
	r.Log(ctx, "expand of %s: %s, %d of %d running", j.c.Name, status, running, j.p.Count)
	if status == StatusFailed {
		return task.Permanent(errs.E(errs.Unavailable, "%s", msg))
	}
	return nil
}

// trim deletes running instances beyond the count (only possible when
// adoption found instances a lost answer hid), newest first.
func (j *job) trim(ctx context.Context) error {
	running, err := j.countExpand(ctx, InstanceRunning)
	if err != nil || running <= j.p.Count {
		return err
	}
	extra, err := j.externalIDs(ctx, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("cm.expand_task_id = ?", j.t.ID).Where("cm.status = ?", InstanceRunning).
			Order("cm.created_at DESC", "r.external_id DESC").Limit(int64(running - j.p.Count))
	})
	if err != nil {
		return err
	}
	j.r.Warn(ctx, "deleting %d instances beyond the %d asked for", len(extra), j.p.Count)
	if _, err := j.s.deleteOnCloud(ctx, j.rc, extra, true, false); err != nil {
		return err
	}
	return j.markDeleted(ctx, extra, "more instances than asked for; deleted")
}

// batchSummary quotes the distinct errors of failed and partial batches.
func (j *job) batchSummary(ctx context.Context) (string, error) {
	var bs []Batch
	if err := j.s.db.NewSelect().Model(&bs).Where("task_id = ?", j.t.ID).Where("error_message <> ''").Order("seq").Scan(ctx); err != nil {
		return "", err
	}
	var parts []string
	seen := map[string]bool{}
	for _, b := range bs {
		m := b.ErrorMessage
		if b.ErrorCode != "" && b.ErrorCode != "Partial" {
			m = b.ErrorCode + ": " + m
		}
		if seen[m] {
			continue
		}
		seen[m] = true
		if b.RequestID != "" {
			m += " (request id " + b.RequestID + ")"
		}
		parts = append(parts, fmt.Sprintf("batch %d: %s", b.Seq, m))
		if len(parts) == 5 {
			break
		}
	}
	return strings.Join(parts, "; "), nil
}

// finishTask records a task's outcome and frees its cluster.
func (s *Service) finishTask(ctx context.Context, t *Task, status string, ok, failed int, msg string) error {
	now := s.now()
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model((*Task)(nil)).Set("status = ?", status).Set("succeeded = ?", ok).Set("failed = ?", max(failed, 0)).
			Set("error = ?", msg).Set("finished_at = ?", now).Set("updated_at = ?", now).Where("id = ?", t.ID).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewUpdate().Model((*Cluster)(nil)).Set("active_task_id = ''").Where("id = ?", t.ClusterID).
			Where("active_task_id = ?", t.ID).Exec(ctx)
		return err
	})
}

// onEnd closes the BridgX record of a task the engine did not finish
// (failed, timed out, cancelled): what it achieved is counted, instances it
// left pending are marked failed, and the cluster is freed.
func (s *Service) onEnd(ctx context.Context, tt *task.Task, st task.Status, errMsg string) {
	t := new(Task)
	if err := s.db.NewSelect().Model(t).Where("id = ?", tt.ID).Scan(ctx); err != nil {
		return
	}
	if !t.Active() {
		_, _ = s.db.NewUpdate().Model((*Cluster)(nil)).Set("active_task_id = ''").Where("id = ?", t.ClusterID).
			Where("active_task_id = ?", t.ID).Exec(ctx)
		return
	}
	var ok int
	if t.Action == ActionExpand {
		ok, _ = count(ctx, s.db.NewSelect().Model((*Instance)(nil)).Where("expand_task_id = ?", t.ID).Where("status = ?", InstanceRunning))
		_, _ = s.db.NewUpdate().Model((*Instance)(nil)).Set("status = ?", InstanceFailed).
			Set("error = ?", fmt.Sprintf("the task ended (%s) before the instance was ready", st)).Set("updated_at = ?", s.now()).
			Where("expand_task_id = ?", t.ID).Where("status = ?", InstancePending).Exec(ctx)
	} else {
		ok, _ = count(ctx, s.db.NewSelect().Model((*Instance)(nil)).Where("shrink_task_id = ?", t.ID).Where("status = ?", InstanceDeleted))
	}
	status := StatusFailed
	if ok > 0 {
		status = StatusPartialSuccess
	}
	msg := fmt.Sprintf("task %s: %s", st, errMsg)
	if err := s.finishTask(ctx, t, status, ok, t.Requested-ok, msg); err != nil {
		s.cfg.Logger.Error("cluster: close task record", "task_id", t.ID, "err", err)
	}
}
