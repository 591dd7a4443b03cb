package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/task"
)

func (s *Service) shrinkDefinition() task.Definition {
	return task.Definition{
		Type: TaskShrink, MaxAttempts: 5, Timeout: s.cfg.TaskTimeout,
		Backoff: func(n int) time.Duration { return min(time.Duration(n)*2*time.Second, 30*time.Second) },
		Stages: []task.Stage{
			{Name: "select", Run: s.shrinkSelect},
			{Name: "delete", Run: s.shrinkDelete},
			{Name: "finish", Run: s.shrinkFinish},
		},
		OnEnd: s.onEnd,
	}
}

var liveStatuses = []string{InstancePending, InstanceRunning, InstanceFailed}

// shrinkSelect marks the instances the shrink deletes (once): those with
// the given IPs, else Count of them — failed and not yet running ones
// first, then the newest. Before choosing by count it reconciles the
// cluster with the cloud, so instances the cloud no longer has are marked
// deleted instead of being counted.
func (s *Service) shrinkSelect(ctx context.Context, r *task.Run) error {
	j, err := s.load(ctx, r)
	if err != nil {
		return err
	}
	n, err := count(ctx, s.db.NewSelect().Model((*Instance)(nil)).Where("shrink_task_id = ?", j.t.ID))
	if err != nil || n > 0 {
		return err
	}
	var ids []string
	if len(j.p.IPs) > 0 {
		ids, err = s.withAddresses(ctx, j.c.ID, j.p.IPs)
	} else {
		if err := j.reconcile(ctx); err != nil {
			return err
		}
		err = s.db.NewSelect().Model((*Instance)(nil)).Column("cm.id").Join("JOIN resources AS r ON r.id = cm.resource_id").
			Where("cm.cluster_id = ?", j.c.ID).Where("cm.status IN (?)", bun.List(liveStatuses)).
			OrderExpr("CASE cm.status WHEN ? THEN 0 WHEN ? THEN 1 ELSE 2 END", InstanceFailed, InstancePending).
			Order("cm.created_at DESC", "r.external_id DESC").Limit(int64(j.p.Count)).Scan(ctx, &ids)
	}
	if err != nil {
		return err
	}
	if len(ids) < j.p.Count {
		r.Warn(ctx, "only %d of the %d instances asked for can be deleted", len(ids), j.p.Count)
	}
	for _, ch := range chunkRows(ids, 500) {
		if _, err := s.db.NewUpdate().Model((*Instance)(nil)).Set("shrink_task_id = ?", j.t.ID).Set("updated_at = ?", s.now()).
			Where("id IN (?)", bun.List(ch)).Exec(ctx); err != nil {
			return err
		}
	}
	r.Log(ctx, "shrink cluster %s: %d instances chosen", j.c.Name, len(ids))
	return nil
}

// liveAddresses returns the cluster's live instances with their first
// inner and outer addresses, as the inventory has them.
func (s *Service) liveAddresses(ctx context.Context, clusterID string) ([]Instance, error) {
	var ins []Instance
	if err := s.instanceSelect(&ins).Where("cm.cluster_id = ?", clusterID).Where("cm.status IN (?)", bun.List(liveStatuses)).
		Scan(ctx); err != nil {
		return nil, err
	}
	fillAll(ins)
	return ins, nil
}

// withAddresses returns the membership ids of the cluster's live instances
// whose inner or outer address is one of ips.
func (s *Service) withAddresses(ctx context.Context, clusterID string, ips []string) ([]string, error) {
	ins, err := s.liveAddresses(ctx, clusterID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, in := range ins {
		if (in.IPInner != "" && slices.Contains(ips, in.IPInner)) || (in.IPOuter != "" && slices.Contains(ips, in.IPOuter)) {
			out = append(out, in.ID)
		}
	}
	return out, nil
}

// reconcile marks the cluster's instances the cloud no longer has deleted.
func (j *job) reconcile(ctx context.Context) error {
	ids, err := j.externalIDs(ctx, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("cm.cluster_id = ?", j.c.ID).Where("cm.status IN (?)", bun.List(liveStatuses))
	})
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	present, err := j.presentAll(ctx, ids)
	if err != nil {
		return err
	}
	var gone []string
	for _, id := range ids {
		if !present[id] {
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	j.r.Warn(ctx, "%d instances of cluster %s are gone from the cloud; marked deleted", len(gone), j.c.Name)
	return j.markDeleted(ctx, gone, "gone from the cloud; reconciled")
}

// presentAll asks the cloud which of ids exist, 100 per call, Parallelism
// calls at a time.
func (j *job) presentAll(ctx context.Context, ids []string) (map[string]bool, error) {
	chunks := chunkRows(ids, 100)
	found := make([][]string, len(chunks))
	err := j.each(ctx, len(chunks), func(ctx context.Context, i int) error {
		p, err := j.s.present(ctx, j.rc, chunks[i])
		found[i] = p
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, f := range found {
		for _, id := range f {
			out[id] = true
		}
	}
	return out, nil
}

// shrinkDelete deletes the chosen instances in batches, Parallelism at a
// time; ids the cloud no longer has are marked deleted (a batch that meets
// one asks the cloud which of its ids exist and deletes those).
func (s *Service) shrinkDelete(ctx context.Context, r *task.Run) error {
	j, err := s.load(ctx, r)
	if err != nil {
		return err
	}
	live, err := j.externalIDs(ctx, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("cm.shrink_task_id = ?", j.t.ID).Where("cm.status <> ?", InstanceDeleted).Order("r.external_id")
	})
	if err != nil {
		return err
	}
	// A delete batch left pending was cut short by a restart; its
	// instances are in live again and go into new batches.
	if _, err := s.db.NewUpdate().Model((*Batch)(nil)).Set("status = ?", BatchFailed).
		Set("error_message = ?", "interrupted (Skyfold stopped); its instances went into later batches").
		Where("task_id = ?", j.t.ID).Where("kind = 'delete'").Where("status = ?", BatchPending).Exec(ctx); err != nil {
		return err
	}
	if len(live) == 0 {
		return nil
	}
	chunks := chunkRows(live, s.cfg.DeleteBatchSize)
	var first int
	if err := s.db.NewSelect().Model((*Batch)(nil)).ColumnExpr("COALESCE(MAX(seq), 0)").Where("task_id = ?", j.t.ID).Scan(ctx, &first); err != nil {
		return err
	}
	err = j.each(ctx, len(chunks), func(ctx context.Context, i int) error {
		return j.deleteBatch(ctx, first+i+1, chunks[i])
	})
	if err != nil {
		return err
	}
	n, _ := count(ctx, s.db.NewSelect().Model((*Instance)(nil)).Where("shrink_task_id = ?", j.t.ID).Where("status = ?", InstanceDeleted))
	r.SetProgress(float64(n) * 99 / float64(max(j.p.Count, 1)))
	return nil
}

// deleteBatch deletes one batch and records it.
func (j *job) deleteBatch(ctx context.Context, seq int, ids []string) error {
	now := j.s.now()
	b := &Batch{TaskID: j.t.ID, Seq: seq, Round: 1, Kind: "delete", Amount: len(ids), Status: BatchPending, Attempts: 1, StartedAt: &now}
	if _, err := j.s.db.NewInsert().Model(b).Exec(ctx); err != nil {
		return err
	}
	gone, err := j.s.deleteOnCloud(ctx, j.rc, ids, true, true)
	done := j.s.now()
	b.FinishedAt = &done
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b.Status = BatchFailed
		b.ErrorCode, b.ErrorMessage, b.RequestID = cloud.Parts(err)
		j.r.Warn(ctx, "delete batch %d (%d instances) failed: %s", seq, len(ids), oneLine(err))
		msg := "delete failed: " + strings.TrimPrefix(b.ErrorCode+": "+b.ErrorMessage, ": ")
		if err := j.setError(ctx, ids, "", msg); err != nil {
			return err
		}
	} else {
		b.Status, b.Done = BatchDone, len(ids)
		if len(gone) > 0 {
			b.ErrorMessage = fmt.Sprintf("%d of the instances were already gone from the cloud", len(gone))
			if err := j.markDeleted(ctx, gone, "already gone from the cloud; reconciled"); err != nil {
				return err
			}
		}
		if err := j.markDeleted(ctx, ids, ""); err != nil {
			return err
		}
	}
	_, err = j.s.db.NewUpdate().Model(b).Column("status", "done", "error_code", "error_message", "request_id", "finished_at").WherePK().Exec(ctx)
	return err
}

// shrinkFinish records the outcome and frees the cluster.
func (s *Service) shrinkFinish(ctx context.Context, r *task.Run) error {
	j, err := s.load(ctx, r)
	if err != nil {
		return err
	}
	deleted, err := count(ctx, s.db.NewSelect().Model((*Instance)(nil)).Where("shrink_task_id = ?", j.t.ID).Where("status = ?", InstanceDeleted))
	if err != nil {
		return err
	}
	status := StatusSuccess
	switch {
	case deleted == 0 && j.p.Count > 0:
		status = StatusFailed
	case deleted < j.p.Count:
		status = StatusPartialSuccess
	}
	msg := ""
	if status != StatusSuccess {
		var errsSeen []string
		if err := s.db.NewSelect().Model((*Batch)(nil)).Column("error_message").Where("task_id = ?", j.t.ID).
			Where("status = ?", BatchFailed).Order("seq").Limit(5).Scan(ctx, &errsSeen); err != nil {
			return err
		}
		msg = fmt.Sprintf("%d of %d instances deleted", deleted, j.p.Count)
		if len(errsSeen) > 0 {
			msg += "; " + strings.Join(slices.Compact(errsSeen), "; ")
		}
	}
	if err := s.finishTask(ctx, j.t, status, deleted, j.p.Count-deleted, msg); err != nil {
		return err
	}
	_ = r.SetResult(map[string]any{"status": status, "requested": j.p.Count, "deleted": deleted, "error": msg})
	r.Log(ctx, "shrink of %s: %s, %d of %d deleted", j.c.Name, status, deleted, j.p.Count)
	if status == StatusFailed {
		return task.Permanent(errs.E(errs.Unavailable, "%s", msg))
	}
	return nil
}
