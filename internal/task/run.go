package task

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
)

// Run is what a stage sees of its task.
type Run struct {
	svc   *Service
	task  *Task
	stage string

	mu       sync.Mutex
	state    json.RawMessage
	result   json.RawMessage
	progress float64
}

// Task returns the record as it was when the attempt started.
func (r *Run) Task() *Task { return r.task }

// Params decodes the task's parameters into v.
func (r *Run) Params(v any) error { return json.Unmarshal(r.task.Params, v) }

// State decodes the working state saved by earlier stages into v.
func (r *Run) State(v any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.state) == 0 {
		return nil
	}
	return json.Unmarshal(r.state, v)
}

// SetState replaces the working state; it is saved when the stage completes,
// or at once with Checkpoint.
func (r *Run) SetState(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.state = b
	r.mu.Unlock()
	return nil
}

// Checkpoint saves state and progress now, so a stage that does a lot of work
// can resume inside itself after a crash.
func (r *Run) Checkpoint(ctx context.Context, state any) error {
	if err := r.SetState(state); err != nil {
		return err
	}
	r.mu.Lock()
	st, pr := r.state, r.progress
	r.mu.Unlock()
	res, err := r.svc.db.NewUpdate().Model((*Task)(nil)).
		Set("state = ?", string(st)).Set("progress = ?", pr).Set("updated_at = ?", r.svc.now()).
		Where("id = ?", r.task.ID).Where("lease_owner = ?", r.svc.cfg.WorkerID).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// SetResult records the task's result (shown by the API).
func (r *Run) SetResult(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.result = b
	r.mu.Unlock()
	return nil
}

// SetProgress sets the percentage shown while the stage runs (0–100).
func (r *Run) SetProgress(p float64) {
	r.mu.Lock()
	r.progress = max(0, min(100, p))
	r.mu.Unlock()
}

// Log appends a line to the task's log.
func (r *Run) Log(ctx context.Context, format string, args ...any) {
	r.svc.appendLog(ctx, r.task.ID, "info", r.stage, fmt.Sprintf(format, args...))
}

// Warn appends a warning line to the task's log.
func (r *Run) Warn(ctx context.Context, format string, args ...any) {
	r.svc.appendLog(ctx, r.task.ID, "warn", r.stage, fmt.Sprintf(format, args...))
}

// Spawn submits a child task; the stage then usually returns ErrWaitChildren.
// Give children deterministic ids (Spec.ID) so a re-run stage does not spawn
// twice.
func (r *Run) Spawn(ctx context.Context, spec Spec) (*Task, error) {
	spec.ParentID = r.task.ID
	if spec.DomainID == "" {
		spec.DomainID = r.task.DomainID
	}
	if spec.ProjectID == "" {
		spec.ProjectID = r.task.ProjectID
	}
	if spec.UserID == "" {
		spec.UserID = r.task.UserID
	}
	return r.svc.Submit(ctx, spec)
}

// Children returns the task's child tasks.
func (r *Run) Children(ctx context.Context) ([]Task, error) {
	var out []Task
	err := r.svc.db.NewSelect().Model(&out).Where("parent_id = ?", r.task.ID).Order("created_at", "id").Scan(ctx)
	return out, err
}

// acquire takes the task's lease if it is runnable and nobody holds it.
func (s *Service) acquire(ctx context.Context, id string) (bool, error) {
	now := s.now()
	return s.leases.row(taskTable, id).take(ctx, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("status = ?", Running).
			Set("worker = ?", s.cfg.WorkerID).
			Set("started_at = COALESCE(started_at, ?)", now).
			Set("updated_at = ?", now).
			Where("status IN (?)", bun.List([]Status{Queued, Running}))
	})
}

// execute runs a task's remaining stages under a lease.
func (s *Service) execute(ctx context.Context, id string) error {
	ok, err := s.acquire(ctx, id)
	if err != nil {
		return fmt.Errorf("acquire task %s: %w", id, err)
	}
	if !ok {
		return nil // finished, cancelled, or another process holds it
	}
	t, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	log := s.cfg.Logger.With("task_id", t.ID, "task_type", t.Type)
	d, known := s.def(t.Type)
	if !known {
		s.finish(ctx, t, Aborted, fmt.Sprintf("task type %q is not known to this server", t.Type), nil)
		return nil
	}
	if t.CancelRequested {
		s.finish(ctx, t, Cancelled, "cancelled", nil)
		return nil
	}
	if t.Stage > 0 {
		s.appendLog(ctx, t.ID, "info", "", fmt.Sprintf("resuming at stage %d/%d on %s", t.Stage+1, len(d.Stages), s.cfg.WorkerID))
	}

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if d.Timeout > 0 {
		var tcancel context.CancelFunc
		runCtx, tcancel = context.WithTimeoutCause(runCtx, d.Timeout, context.DeadlineExceeded)
		defer tcancel()
	}
	hbDone := make(chan struct{})
	hbStopped := make(chan struct{})
	go s.leases.row(taskTable, t.ID).keep(runCtx, cancel, s.cancelRequested(t.ID), hbDone, hbStopped)
	defer func() { close(hbDone); <-hbStopped }()

	run := &Run{svc: s, task: t, state: t.State, result: t.Result, progress: t.Progress}
	for i := t.Stage; i < len(d.Stages); i++ {
		st := d.Stages[i]
		run.stage = st.Name
		s.setStage(ctx, t.ID, i, st.Name)
		err := safeRun(runCtx, st, run)
		if cause := context.Cause(runCtx); err != nil && cause != nil {
			err = cause
		}
		if errors.Is(err, ErrWaitChildren) {
			if e := s.completeStage(ctx, run, i+1, len(d.Stages)); e != nil {
				return nil
			}
			s.appendLog(ctx, t.ID, "info", st.Name, "stage done; waiting for child tasks")
			s.park(ctx, t)
			return nil
		}
		if err != nil {
			s.stageFailed(ctx, log, t, d, st.Name, err)
			return nil
		}
		if e := s.completeStage(ctx, run, i+1, len(d.Stages)); e != nil {
			log.Warn("lost task lease after stage", "stage", st.Name, "err", e)
			return nil
		}
		s.appendLog(ctx, t.ID, "info", st.Name, fmt.Sprintf("stage %d/%d %s done", i+1, len(d.Stages), st.Name))
	}
	run.mu.Lock()
	result := run.result
	run.mu.Unlock()
	s.finish(ctx, t, Success, "", result)
	return nil
}

func safeRun(ctx context.Context, st Stage, r *Run) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = Permanent(fmt.Errorf("stage %s panicked: %v", st.Name, p))
		}
	}()
	return st.Run(ctx, r)
}

func (s *Service) setStage(ctx context.Context, id string, i int, name string) {
	_, _ = s.db.NewUpdate().Model((*Task)(nil)).Set("stage_name = ?", name).Set("updated_at = ?", s.now()).
		Where("id = ?", id).Where("lease_owner = ?", s.cfg.WorkerID).Exec(ctx)
}

func (s *Service) completeStage(ctx context.Context, run *Run, next, total int) error {
	run.mu.Lock()
	state, result := run.state, run.result
	progress := max(run.progress, float64(next)*100/float64(total))
	if next < total {
		progress = min(progress, 99)
	}
	run.progress = progress
	run.mu.Unlock()
	res, err := s.db.NewUpdate().Model((*Task)(nil)).
		Set("stage = ?", next).Set("state = ?", string(state)).Set("result = ?", string(result)).
		Set("progress = ?", progress).Set("updated_at = ?", s.now()).
		Where("id = ?", run.task.ID).Where("lease_owner = ?", s.cfg.WorkerID).
		Exec(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrLeaseLost
	}
	return nil
}

func (s *Service) stageFailed(ctx context.Context, log interface {
	Warn(string, ...any)
}, t *Task, d Definition, stage string, err error) {
	ctx = context.WithoutCancel(ctx)
	var lt *later
	switch {
	case errors.Is(err, ErrLeaseLost):
		log.Warn("task lease lost; another process owns it now", "stage", stage)
		return
	case errors.Is(err, errShutdown):
		s.appendLog(ctx, t.ID, "warn", stage, "process shutting down; task released to resume elsewhere")
		s.release(ctx, t.ID, Queued, 0)
		return
	case errors.As(err, &lt):
		at := s.now().Add(lt.d)
		s.release(ctx, t.ID, Queued, ms(at))
		if e := s.enqueue(ctx, t.ID, at); e != nil {
			log.Warn("enqueue a stage to run later; the reaper will pick it up", "err", e)
		}
		return
	case errors.Is(err, errCancelled):
		s.appendLog(ctx, t.ID, "warn", stage, "cancelled during stage "+stage)
		s.finish(ctx, t, Cancelled, "cancelled", nil)
		return
	case errors.Is(err, context.DeadlineExceeded):
		s.appendLog(ctx, t.ID, "error", stage, "task timed out")
		s.finish(ctx, t, Timeout, "timed out after "+d.Timeout.String(), nil)
		return
	}
	msg := errs.PublicMessage(err)
	if errs.CodeOf(err) == errs.Internal {
		msg = err.Error()
	}
	msg = storable(msg)
	var perm *permanent
	retryable := !errors.As(err, &perm) && errs.CodeOf(err) != errs.Invalid && errs.CodeOf(err) != errs.NotFound &&
		errs.CodeOf(err) != errs.Forbidden && errs.CodeOf(err) != errs.Unauthorized
	if retryable && t.Attempt+1 < t.MaxAttempts {
		wait := d.Backoff(t.Attempt + 1)
		s.appendLog(ctx, t.ID, "warn", stage, fmt.Sprintf("attempt %d failed: %s; retrying in %s", t.Attempt+1, msg, wait))
		at := s.now().Add(wait)
		_, _ = s.leases.row(taskTable, t.ID).release(ctx, func(q *bun.UpdateQuery) *bun.UpdateQuery {
			return q.Set("attempt = attempt + 1").Set("error = ?", msg).Set("status = ?", Queued).
				Set("next_run_at = ?", ms(at)).Set("updated_at = ?", s.now())
		})
		if e := s.enqueue(ctx, t.ID, at); e != nil {
			log.Warn("enqueue retry; the reaper will pick it up", "err", e)
		}
		return
	}
	s.appendLog(ctx, t.ID, "error", stage, "failed: "+msg)
	s.finish(ctx, t, Failed, msg, nil)
}

// release gives the task back to the queue without finishing it.
func (s *Service) release(ctx context.Context, id string, st Status, at int64) {
	_, _ = s.leases.row(taskTable, id).release(context.WithoutCancel(ctx), func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("status = ?", st).Set("next_run_at = ?", at).Set("updated_at = ?", s.now())
	})
}

// park moves a task to Waiting and wakes it at once if its children are done.
func (s *Service) park(ctx context.Context, t *Task) {
	ctx = context.WithoutCancel(ctx)
	s.release(ctx, t.ID, Waiting, 0)
	s.wakeParent(ctx, t.ID)
}

// wakeParent re-queues a waiting parent whose children have all finished.
func (s *Service) wakeParent(ctx context.Context, parentID string) {
	if parentID == "" {
		return
	}
	ctx = context.WithoutCancel(ctx)
	n, err := s.db.NewSelect().Model((*Task)(nil)).Where("parent_id = ?", parentID).
		Where("status NOT IN (?)", bun.List([]Status{Success, Failed, Cancelled, Timeout, Aborted, Lost})).Count(ctx)
	if err != nil || n > 0 {
		return
	}
	res, err := s.db.NewUpdate().Model((*Task)(nil)).Set("status = ?", Queued).
		Set("next_run_at = ?", ms(s.now())).Set("updated_at = ?", s.now()).
		Where("id = ?", parentID).Where("status = ?", Waiting).Exec(ctx)
	if err != nil {
		return
	}
	if k, _ := res.RowsAffected(); k == 1 {
		s.appendLog(ctx, parentID, "info", "", "child tasks finished; resuming")
		_ = s.enqueue(ctx, parentID, time.Time{})
	}
}

func (s *Service) finish(ctx context.Context, t *Task, st Status, msg string, result json.RawMessage) {
	ctx = context.WithoutCancel(ctx)
	msg = storable(msg)
	now := s.now()
	set := func(q *bun.UpdateQuery) *bun.UpdateQuery {
		q = q.Set("status = ?", st).Set("error = ?", msg).Set("finished_at = ?", now).Set("updated_at = ?", now)
		if st == Success {
			q = q.Set("progress = 100")
		}
		if result != nil {
			q = q.Set("result = ?", string(result))
		}
		return q
	}
	// OnEnd runs before the terminal status is visible, so whoever waits for
	// the task sees its object already consistent (e.g. no longer busy). It
	// must be idempotent: a crash here resumes the task and runs it again.
	if d, ok := s.def(t.Type); ok && d.OnEnd != nil {
		d.OnEnd(ctx, t, st, msg)
	}
	ok, err := s.leases.row(taskTable, t.ID).release(ctx, set)
	if err != nil {
		s.cfg.Logger.Error("finish task", "task_id", t.ID, "err", err)
		return
	}
	if !ok {
		return
	}
	s.appendLog(ctx, t.ID, levelOf(st), "", "task "+string(st))
	if st != Success {
		s.cancelChildren(ctx, t.ID)
	}
	s.wakeParent(ctx, t.ParentID)
}

func levelOf(st Status) string {
	if st == Success {
		return "info"
	}
	return "error"
}

// cancelRequested is the heartbeat's check of a running task: it ends the
// task's run when someone asked to cancel it.
func (s *Service) cancelRequested(id string) func(context.Context) error {
	return func(ctx context.Context) error {
		var row struct {
			CancelRequested bool `bun:"cancel_requested"`
		}
		err := s.db.NewSelect().Model((*Task)(nil)).Column("cancel_requested").Where("id = ?", id).Scan(ctx, &row)
		if err == nil && row.CancelRequested {
			return errCancelled
		}
		return nil
	}
}

// Start launches the reaper, which resumes tasks whose owner died and
// re-queues tasks whose job was lost.
func (s *Service) Start(ctx context.Context) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(s.cfg.ReapInterval)
		defer tick.Stop()
		for {
			s.reap(ctx)
			select {
			case <-s.stopCh:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// BeginShutdown tells running tasks to release their leases at their next
// heartbeat so another process can resume them; call it before stopping the
// job runner.
func (s *Service) BeginShutdown() {
	s.stopOnce.Do(func() {
		close(s.stopCh)
		close(s.shutdown)
	})
	s.wg.Wait()
}

// reap re-enqueues runnable tasks that nobody works on: running tasks with an
// expired lease (their process died) and queued tasks whose run time has
// passed by more than a lease (their job was lost).
func (s *Service) reap(ctx context.Context) {
	now := s.now()
	var ids []string
	err := s.db.NewSelect().Model((*Task)(nil)).Column("id").
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.WhereOr("status = ? AND lease_owner <> '' AND lease_until < ?", Running, ms(now)).
				WhereOr("status = ? AND lease_owner = '' AND next_run_at < ?", Queued, ms(now.Add(-s.cfg.Lease)))
		}).Limit(500).Scan(ctx, &ids)
	if err != nil {
		return
	}
	for _, id := range ids {
		// Push next_run_at forward first so other reapers skip it for a lease.
		res, err := s.db.NewUpdate().Model((*Task)(nil)).Set("next_run_at = ?", ms(now)).
			Where("id = ?", id).
			WhereGroup(" AND ", func(q *bun.UpdateQuery) *bun.UpdateQuery {
				return q.WhereOr("status = ? AND lease_owner <> '' AND lease_until < ?", Running, ms(now)).
					WhereOr("status = ? AND lease_owner = '' AND next_run_at < ?", Queued, ms(now.Add(-s.cfg.Lease)))
			}).Exec(ctx)
		if err != nil {
			continue
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		var t Task
		if s.db.NewSelect().Model(&t).Column("status", "lease_owner").Where("id = ?", id).Scan(ctx) == nil && t.Status == Running {
			s.appendLog(ctx, id, "warn", "", fmt.Sprintf("owner %s stopped heartbeating; resuming the task", t.LeaseOwner))
			// Clear the dead owner's lease so acquire succeeds at once.
			_, _ = s.db.NewUpdate().Model((*Task)(nil)).Set("lease_owner = ''").Set("lease_until = 0").
				Set("status = ?", Queued).Where("id = ?", id).Where("lease_owner = ?", t.LeaseOwner).
				Where("lease_until < ?", ms(now)).Exec(ctx)
		}
		if err := s.enqueue(ctx, id, time.Time{}); err != nil {
			s.cfg.Logger.Warn("reaper enqueue", "task_id", id, "err", err)
		}
	}
}

// maxMessage bounds a task's error and log lines: an error may quote input
// at any length.
const maxMessage = 2000

// storable makes an error or log message safe to store: a message the
// store refuses (a NUL byte, invalid UTF-8) would leave the task unable to
// finish, running again at every lease expiry.
func storable(msg string) string {
	msg = strings.ToValidUTF8(msg, "\uFFFD")
	msg = strings.Map(func(r rune) rune {
		if r == 0 {
			return '\uFFFD'
		}
		return r
	}, msg)
	if len(msg) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}
