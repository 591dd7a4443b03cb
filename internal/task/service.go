package task

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/ids"
	"github.com/skyfold/skyfold/internal/jobs"
	"github.com/skyfold/skyfold/internal/listing"
)

// jobKind is the queue kind that executes tasks.
const jobKind = "task.run"

// taskTable holds the task rows, each leased to the process running it.
const taskTable = "tasks"

// Stage is one step of a task. A stage must be safe to run again: after a
// crash the task resumes at the first stage that had not completed.
type Stage struct {
	Name string
	Run  func(ctx context.Context, r *Run) error
}

// Definition is a task type.
type Definition struct {
	Type        string
	Stages      []Stage
	MaxAttempts int           // attempts before the task fails; default 3
	Timeout     time.Duration // whole-task deadline per attempt; 0 = none
	// Backoff before retry n (1-based); default exponential from 2s, max 5m.
	Backoff func(n int) time.Duration
	// OnEnd, when set, runs once the task reaches a terminal status, so the
	// owner of the task's object can leave it in a consistent state (e.g. an
	// account never stays "syncing" after its sync task failed).
	OnEnd func(ctx context.Context, t *Task, status Status, errMsg string)
}

// Sentinel outcomes a stage may return.
var (
	// ErrWaitChildren ends the stage successfully and parks the task until
	// every child task it spawned has finished.
	ErrWaitChildren = errors.New("task: wait for children")
	errCancelled    = errors.New("task cancelled")
	errShutdown     = errors.New("process shutting down")
)

// Later ends a stage without completing or failing it: the task goes back to
// the queue and runs the stage again after d, with no attempt counted. It is
// for a stage that waits on something outside its task, so that the wait
// holds no worker.
func Later(d time.Duration) error { return &later{d} }

type later struct{ d time.Duration }

func (l *later) Error() string { return "task: run the stage again in " + l.d.String() }

// Permanent marks an error as not worth retrying.
func Permanent(err error) error { return &permanent{err} }

type permanent struct{ error }

func (p *permanent) Unwrap() error { return p.error }

// Config tunes a Service.
type Config struct {
	WorkerID string
	// Lease is how long a task stays owned without a heartbeat; another
	// process resumes it after that.
	Lease time.Duration
	// ReapInterval is how often this process looks for tasks to resume.
	ReapInterval time.Duration
	Logger       *slog.Logger
	Now          func() time.Time
}

// Service runs and records tasks.
type Service struct {
	db     *bun.DB
	queue  jobs.Queue
	cfg    Config
	leases *Leases

	mu   sync.RWMutex
	defs map[string]Definition

	stopOnce sync.Once
	stopCh   chan struct{}
	wg       sync.WaitGroup
	shutdown chan struct{}
}

// NewService returns a task service. Register definitions, call Attach with
// the job runner before it starts, then Start. With a nil queue the service
// only records tasks; a running server's reaper enqueues them within one reap
// interval (commands without a job queue use this).
func NewService(db *bun.DB, queue jobs.Queue, cfg Config) *Service {
	if cfg.Lease <= 0 {
		cfg.Lease = 15 * time.Second
	}
	if cfg.ReapInterval <= 0 {
		cfg.ReapInterval = cfg.Lease / 3
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.WorkerID == "" {
		cfg.WorkerID = "worker-" + ids.New()[:8]
	}
	s := &Service{db: db, queue: queue, cfg: cfg, defs: map[string]Definition{},
		stopCh: make(chan struct{}), shutdown: make(chan struct{})}
	s.leases = &Leases{db: db, owner: cfg.WorkerID, lease: cfg.Lease, now: s.now, shutdown: s.shutdown}
	return s
}

// Leases are this process's leases, by the rule its task rows are held by:
// owned by its worker id, for its lease duration, given up when it shuts
// down.
func (s *Service) Leases() *Leases { return s.leases }

// Attach registers the task executor with the job runner.
func (s *Service) Attach(r *jobs.Runner) {
	r.Handle(jobKind, func(ctx context.Context, payload json.RawMessage) error {
		var p struct {
			TaskID string `json:"task_id"`
		}
		if err := json.Unmarshal(payload, &p); err != nil {
			return err
		}
		return s.execute(ctx, p.TaskID)
	})
}

// Register adds a task type.
func (s *Service) Register(d Definition) {
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 3
	}
	if d.Backoff == nil {
		d.Backoff = func(n int) time.Duration {
			b := time.Duration(float64(2*time.Second) * math.Pow(2, float64(n-1)))
			return min(b, 5*time.Minute)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.defs[d.Type] = d
}

func (s *Service) def(typ string) (Definition, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, ok := s.defs[typ]
	return d, ok
}

// WorkerID names this process in task records.
func (s *Service) WorkerID() string { return s.cfg.WorkerID }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

func ms(t time.Time) int64 { return t.UnixMilli() }

// Submit records a task and queues it.
func (s *Service) Submit(ctx context.Context, spec Spec) (*Task, error) {
	d, ok := s.def(spec.Type)
	if !ok {
		return nil, errs.E(errs.Invalid, "unknown task type %q", spec.Type)
	}
	params, err := json.Marshal(spec.Params)
	if err != nil {
		return nil, errs.Wrap(err, errs.Invalid, "task params")
	}
	if spec.Params == nil {
		params = []byte("{}")
	}
	now := s.now()
	t := &Task{
		ID: spec.ID, Type: spec.Type, ObjectType: spec.ObjectType, ObjectID: spec.ObjectID,
		ObjectName: spec.ObjectName, DomainID: spec.DomainID, ProjectID: spec.ProjectID,
		UserID: spec.UserID, ParentID: spec.ParentID, Status: Queued, Params: params,
		State: json.RawMessage("{}"), Result: json.RawMessage("{}"), MaxAttempts: d.MaxAttempts,
		NextRunAt: ms(now), CreatedAt: now, UpdatedAt: now,
	}
	if spec.MaxAttempts > 0 {
		t.MaxAttempts = spec.MaxAttempts
	}
	if len(d.Stages) > 0 {
		t.StageName = d.Stages[0].Name
	}
	if t.ID == "" {
		t.ID = ids.New()
	} else if existing, err := s.Get(ctx, t.ID); err == nil {
		return existing, nil
	}
	if _, err := s.db.NewInsert().Model(t).Exec(ctx); err != nil {
		if existing, gerr := s.Get(ctx, t.ID); gerr == nil {
			return existing, nil
		}
		return nil, fmt.Errorf("record task: %w", err)
	}
	s.appendLog(ctx, t.ID, "info", "", fmt.Sprintf("task %s queued", t.Type))
	// If this enqueue is lost (crash right here), the reaper finds the queued
	// task and enqueues it again.
	if s.queue == nil {
		// Recorded only: a server's reaper enqueues it.
		_, _ = s.db.NewUpdate().Model((*Task)(nil)).Set("next_run_at = 0").Where("id = ?", t.ID).Exec(ctx)
	} else if err := s.enqueue(ctx, t.ID, time.Time{}); err != nil {
		s.cfg.Logger.Warn("enqueue task; the reaper will retry", "task_id", t.ID, "err", err)
	}
	return t, nil
}

func (s *Service) enqueue(ctx context.Context, id string, at time.Time) error {
	if s.queue == nil {
		return errors.New("no job queue in this process")
	}
	return s.queue.Enqueue(ctx, jobKind, map[string]string{"task_id": id}, jobs.EnqueueOpts{At: at, MaxAttempts: 3})
}

// Get returns one task.
func (s *Service) Get(ctx context.Context, id string) (*Task, error) {
	t := new(Task)
	err := s.db.NewSelect().Model(t).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("task", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get task %s: %w", id, err)
	}
	return t, nil
}

// Filter narrows List.
type Filter struct {
	Status     []Status
	Type       string
	ObjectType string
	ObjectID   string
	ParentID   string
	ProjectIDs []string // when non-nil, only these projects' tasks
	Since      time.Time
}

// ListFields are the fields List accepts in filter= and order_by.
var ListFields = listing.Fields{
	"id": "id", "type": "type", "status": "status", "object_type": "object_type",
	"object_id": "object_id", "object_name": "object_name", "project_id": "project_id",
	"domain_id": "domain_id", "created_at": "created_at", "updated_at": "updated_at",
	"stage_name": "stage_name", "parent_id": "parent_id",
}

// List returns a page of tasks, newest first unless p orders otherwise.
func (s *Service) List(ctx context.Context, f Filter, p listing.Params) (listing.Page[Task], error) {
	var out []Task
	q := s.db.NewSelect().Model(&out)
	if len(f.Status) > 0 {
		q = q.Where("status IN (?)", bun.List(f.Status))
	}
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	if f.ObjectType != "" {
		q = q.Where("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		q = q.Where("object_id = ?", f.ObjectID)
	}
	if f.ParentID != "" {
		q = q.Where("parent_id = ?", f.ParentID)
	}
	if f.ProjectIDs != nil {
		if len(f.ProjectIDs) == 0 {
			return listing.Page[Task]{Items: []Task{}, Offset: p.Offset, Limit: p.Limit}, nil
		}
		q = q.Where("project_id IN (?)", bun.List(f.ProjectIDs))
	}
	if !f.Since.IsZero() {
		q = q.Where("created_at >= ?", f.Since.UTC())
	}
	if len(p.Order) == 0 {
		p.Order = []listing.Order{{Field: "created_at", Desc: true}, {Field: "id"}}
	}
	q, err := p.Apply(q, ListFields)
	if err != nil {
		return listing.Page[Task]{}, err
	}
	n, err := q.ScanAndCount(ctx)
	if err != nil {
		return listing.Page[Task]{}, fmt.Errorf("list tasks: %w", err)
	}
	if out == nil {
		out = []Task{}
	}
	return listing.Page[Task]{Items: out, Total: int(n), Offset: p.Offset, Limit: p.Limit}, nil
}

// Logs returns a task's log lines after afterID, oldest first.
func (s *Service) Logs(ctx context.Context, id string, afterID int64, limit int) ([]LogLine, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	var out []LogLine
	q := s.db.NewSelect().Model(&out).Where("task_id = ?", id).Where("id > ?", afterID).Order("id ASC")
	if limit > 0 {
		q = q.Limit(int64(limit))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("task log %s: %w", id, err)
	}
	if out == nil {
		out = []LogLine{}
	}
	return out, nil
}

// Cancel asks a task to stop. A queued or waiting task is cancelled at once;
// a running one at its next check, which is at least every Lease/3.
func (s *Service) Cancel(ctx context.Context, id string) (*Task, error) {
	t, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.Status.Terminal() {
		return nil, errs.E(errs.Conflict, "task %s is already %s", id, t.Status)
	}
	now := s.now()
	res, err := s.db.NewUpdate().Model((*Task)(nil)).
		Set("status = ?", Cancelled).Set("cancel_requested = TRUE").
		Set("finished_at = ?", now).Set("updated_at = ?", now).
		Where("id = ?", id).Where("status IN (?)", bun.List([]Status{Queued, Waiting})).
		Where("lease_owner = ''").Exec(ctx)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		s.appendLog(ctx, id, "warn", "", "task cancelled before it ran")
		if d, ok := s.def(t.Type); ok && d.OnEnd != nil {
			d.OnEnd(ctx, t, Cancelled, "cancelled")
		}
		s.cancelChildren(ctx, id)
		s.wakeParent(ctx, t.ParentID)
	} else {
		if _, err := s.db.NewUpdate().Model((*Task)(nil)).Set("cancel_requested = TRUE").
			Set("updated_at = ?", now).Where("id = ?", id).Exec(ctx); err != nil {
			return nil, err
		}
		s.appendLog(ctx, id, "warn", "", "cancellation requested")
	}
	return s.Get(ctx, id)
}

func (s *Service) cancelChildren(ctx context.Context, id string) {
	var kids []Task
	if err := s.db.NewSelect().Model(&kids).Column("id", "status").Where("parent_id = ?", id).Scan(ctx); err != nil {
		return
	}
	for _, k := range kids {
		if !k.Status.Terminal() {
			_, _ = s.Cancel(ctx, k.ID)
		}
	}
}

func (s *Service) appendLog(ctx context.Context, id, level, stage, msg string) {
	l := &LogLine{TaskID: id, At: s.now(), Level: level, Stage: stage, Worker: s.cfg.WorkerID, Message: storable(msg)}
	if _, err := s.db.NewInsert().Model(l).Exec(context.WithoutCancel(ctx)); err != nil {
		s.cfg.Logger.Warn("append task log", "task_id", id, "err", err)
	}
}

// Counts returns the number of tasks by type and status, for metrics.
func (s *Service) Counts(ctx context.Context) (map[[2]string]int, error) {
	var rows []struct {
		Type   string `bun:"type"`
		Status string `bun:"status"`
		N      int64  `bun:"n"`
	}
	if err := s.db.NewSelect().Model((*Task)(nil)).Column("type", "status").ColumnExpr("COUNT(*) AS n").
		Group("type", "status").Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := make(map[[2]string]int, len(rows))
	for _, r := range rows {
		out[[2]string{r.Type, r.Status}] = int(r.N)
	}
	return out, nil
}
