// Package jobs is Skyfold's durable job queue: River on SQLite or PostgreSQL
// behind a small interface, so domain packages enqueue work and declare
// periodic jobs without knowing which store or queue runs them. Several
// processes sharing one PostgreSQL share the queue.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/skyfold/skyfold/internal/config"
	"github.com/skyfold/skyfold/internal/store"
)

// Handler runs one job of a kind. Returning an error makes the queue retry the
// job with backoff, up to its attempt limit. A job still running after
// rescueStuckAfter is run a second time (the queue cannot tell it from the job
// of a dead process), so a handler must hold what it works on by other means,
// as tasks do with their lease.
type Handler func(ctx context.Context, payload json.RawMessage) error

// Periodic is a job the queue runs on an interval, on one process of the fleet.
type Periodic struct {
	Name       string
	Interval   time.Duration
	RunOnStart bool
	Run        func(ctx context.Context) error
}

// EnqueueOpts tunes one enqueue.
type EnqueueOpts struct {
	At          time.Time // run no earlier than this
	MaxAttempts int       // default 5
}

// Queue is what domain packages depend on.
type Queue interface {
	// Enqueue schedules a job of a registered kind.
	Enqueue(ctx context.Context, kind string, payload any, opts EnqueueOpts) error
}

// Config sets up a Runner.
type Config struct {
	Workers int
	Logger  *slog.Logger
	// WorkerID names this process; River's client id.
	WorkerID string
	// PollInterval bounds how quickly a job enqueued by another process is
	// seen (PostgreSQL also uses LISTEN/NOTIFY). Default 1s; tests use less.
	PollInterval time.Duration
}

// rescueStuckAfter is how long a job may stay running before the queue takes
// it for the job of a dead process: retried while it has attempts left,
// discarded after. River's default is an hour, which left the job row of a
// process killed mid-task "running" for that long after another process had
// resumed the task. Shorter is safe here: the task a job runs is held by its
// lease, so a second run of a live task's job finds the lease taken and ends
// at once, and the live job's own completion then changes nothing (River
// only finishes a row that is still running). Periodic jobs have one attempt
// and are discarded, not run again.
const rescueStuckAfter = 5 * time.Minute

// Runner owns the River client of one process.
type Runner struct {
	cfg      Config
	st       *store.Store
	sqliteDB *sql.DB

	mu       sync.RWMutex
	handlers map[string]Handler
	periodic map[string]Periodic
	started  bool

	insert func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
	start  func(ctx context.Context) error
	stop   func(ctx context.Context) error
	cancel func(ctx context.Context) error
}

// jobArgs carries every job: the kind is ours; River sees one kind.
type jobArgs struct {
	K string          `json:"k"`
	P json.RawMessage `json:"p"`
}

func (jobArgs) Kind() string { return "skyfold.job" }

type periodicArgs struct {
	Name string `json:"name"`
}

func (periodicArgs) Kind() string { return "skyfold.periodic" }

// New prepares a runner; register handlers and periodic jobs, then Start.
func New(st *store.Store, cfg Config) *Runner {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	return &Runner{cfg: cfg, st: st, handlers: map[string]Handler{}, periodic: map[string]Periodic{}}
}

// Handle registers the handler of a kind. Call before Start.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

// AddPeriodic registers a periodic job. Call before Start.
func (r *Runner) AddPeriodic(p Periodic) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.periodic[p.Name] = p
}

// Migrate creates or upgrades River's own tables.
func Migrate(ctx context.Context, st *store.Store) error {
	switch st.Kind {
	case config.Postgres:
		return migrate(ctx, riverpgxv5.New(st.PGPool))
	default:
		db, err := sql.Open("sqlite", store.SQLiteDSN(st.Path))
		if err != nil {
			return err
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		return migrate(ctx, riversqlite.New(db))
	}
}

func migrate[TTx any](ctx context.Context, d riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(d, nil)
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

// Start migrates River's tables and starts working jobs.
func (r *Runner) Start(ctx context.Context) error {
	if err := Migrate(ctx, r.st); err != nil {
		return err
	}
	r.mu.Lock()
	r.started = true
	r.mu.Unlock()
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[jobArgs]) error {
		r.mu.RLock()
		h := r.handlers[j.Args.K]
		r.mu.RUnlock()
		if h == nil {
			return river.JobCancel(fmt.Errorf("no handler for job kind %q", j.Args.K))
		}
		return h(ctx, j.Args.P)
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[periodicArgs]) error {
		r.mu.RLock()
		p, ok := r.periodic[j.Args.Name]
		r.mu.RUnlock()
		if !ok {
			return river.JobCancel(fmt.Errorf("no periodic job %q", j.Args.Name))
		}
		return p.Run(ctx)
	}))
	var periodic []*river.PeriodicJob
	for _, p := range r.periodic {
		name := p.Name
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(p.Interval),
			func() (river.JobArgs, *river.InsertOpts) {
				return periodicArgs{Name: name}, &river.InsertOpts{MaxAttempts: 1}
			}, &river.PeriodicJobOpts{RunOnStart: p.RunOnStart, ID: name}))
	}
	rc := &river.Config{
		ID:                   r.cfg.WorkerID,
		Logger:               slog.New(quiet{r.cfg.Logger.Handler()}).With("component", "jobs"),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: r.cfg.Workers}},
		Workers:              workers,
		PeriodicJobs:         periodic,
		JobTimeout:           -1, // tasks enforce their own deadlines
		RescueStuckJobsAfter: rescueStuckAfter,
		FetchPollInterval:    r.cfg.PollInterval,
		FetchCooldown:        r.cfg.PollInterval / 10,
	}
	if rc.FetchCooldown < time.Millisecond {
		rc.FetchCooldown = time.Millisecond
	}
	switch r.st.Kind {
	case config.Postgres:
		c, err := river.NewClient[pgx.Tx](riverpgxv5.New(r.st.PGPool), rc)
		if err != nil {
			return fmt.Errorf("job queue: %w", err)
		}
		r.bind(c)
	default:
		db, err := sql.Open("sqlite", store.SQLiteDSN(r.st.Path))
		if err != nil {
			return err
		}
		// River's SQLite driver wants a single connection for the queue.
		db.SetMaxOpenConns(1)
		r.sqliteDB = db
		c, err := river.NewClient[*sql.Tx](riversqlite.New(db), rc)
		if err != nil {
			return fmt.Errorf("job queue: %w", err)
		}
		r.bind(c)
	}
	return r.start(ctx)
}

func bindClient[TTx any](r *Runner, c *river.Client[TTx]) {
	r.insert = func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
		_, err := c.Insert(ctx, args, opts)
		return err
	}
	r.start = c.Start
	r.stop = c.Stop
	r.cancel = c.StopAndCancel
}

func (r *Runner) bind(c any) {
	switch c := c.(type) {
	case *river.Client[pgx.Tx]:
		bindClient(r, c)
	case *river.Client[*sql.Tx]:
		bindClient(r, c)
	}
}

// Enqueue implements Queue.
func (r *Runner) Enqueue(ctx context.Context, kind string, payload any, opts EnqueueOpts) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", kind, err)
	}
	if r.insert == nil {
		return fmt.Errorf("enqueue %s: job queue not started", kind)
	}
	io := &river.InsertOpts{MaxAttempts: opts.MaxAttempts}
	if io.MaxAttempts <= 0 {
		io.MaxAttempts = 5
	}
	if !opts.At.IsZero() {
		io.ScheduledAt = opts.At
	}
	return r.insert(ctx, jobArgs{K: kind, P: raw}, io)
}

// Stop waits for running jobs to finish until ctx ends, then cancels them.
func (r *Runner) Stop(ctx context.Context) error {
	if r.stop == nil {
		return nil
	}
	err := r.stop(ctx)
	if err != nil && ctx.Err() != nil {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = r.cancel(cctx)
	}
	if r.sqliteDB != nil {
		_ = r.sqliteDB.Close()
	}
	return err
}

// quiet passes River's warnings and errors and drops its chatty info lines.
type quiet struct{ slog.Handler }

func (q quiet) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && q.Handler.Enabled(ctx, l)
}

func (q quiet) WithAttrs(as []slog.Attr) slog.Handler { return quiet{q.Handler.WithAttrs(as)} }

func (q quiet) WithGroup(name string) slog.Handler { return quiet{q.Handler.WithGroup(name)} }
