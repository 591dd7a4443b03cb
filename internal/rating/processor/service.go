// Package processor is the rating domain service. It owns the rating
// pipeline (the noop, hashmap and pyscripts modules), compiles their
// configuration from the rating store when it changes (never on every
// cycle), prices instant quotes, and runs CloudKitty's processing loop:
// for each scope (project), under a lease, it rates whole periods (default
// one hour) once they are wait_periods old, a new scope starting at the
// beginning of the month, and writes the rated points as normalised cost
// records (package cost) in the same transaction as the scope's progress.
//
// A metric whose collection fails is isolated: the scope's other metrics
// are rated and the scope moves on, while the failing metric is kept, with
// its error, on the scope's state and rated again from its first missing
// period on the next cycles. A rating module that fails (a script with an
// error) records its error and line in the module's state; the prices of
// the other modules are kept and processing goes on.
package processor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cost"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating"
	"github.com/skyfold/skyfold/internal/rating/collector"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
	"github.com/skyfold/skyfold/internal/rating/script"
	ratingstore "github.com/skyfold/skyfold/internal/rating/store"
	"github.com/skyfold/skyfold/internal/task"
)

// Source is the cost record source of rated usage.
const Source = "rating"

// Config tunes the service.
type Config struct {
	// Period is the length of a rated period (default 1 h).
	Period time.Duration
	// WaitPeriods is how many periods the processor waits after a period
	// before rating it (CloudKitty's wait_periods; DefaultConfig: 2).
	WaitPeriods int
	// Interval is how often the periodic job runs a cycle (default 5 min).
	Interval time.Duration
	// Workers is how many scopes are processed at once (default GOMAXPROCS).
	Workers int
	// MaxPeriodsPerRun bounds the periods of one scope rated and written in
	// one transaction (default 31 days' worth); a longer backlog takes
	// several transactions of the same cycle.
	MaxPeriodsPerRun int
	// Leases keep a scope to one process while it is rated or reset: the
	// task service's leases, so the scope is held by the task engine's rule,
	// owner and lease duration.
	Leases *task.Leases
	// Currency is the BillingCurrency of rated costs (default USD).
	Currency string
	// ProviderName is the ProviderName, PublisherName and InvoiceIssuerName
	// of rated costs (default Skyfold).
	ProviderName string
	// Metrics are the metrics to collect (default collector.Default()).
	Metrics *collector.Config
	// DefaultCollector collects the metrics no collector mapping routes
	// elsewhere (default "inventory").
	DefaultCollector string
	// ScriptLimits bound each script run.
	ScriptLimits script.Limits
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger is the service's logger.
	Logger *slog.Logger
}

// DefaultConfig is CloudKitty's defaults: hourly periods, two wait periods.
func DefaultConfig() Config {
	return Config{Period: time.Hour, WaitPeriods: 2}
}

func (c *Config) defaults() {
	if c.Period <= 0 {
		c.Period = time.Hour
	}
	if c.WaitPeriods < 0 {
		c.WaitPeriods = 0
	}
	if c.Interval <= 0 {
		c.Interval = 5 * time.Minute
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.MaxPeriodsPerRun <= 0 {
		c.MaxPeriodsPerRun = max(int(31*24*time.Hour/c.Period), 1)
	}
	if c.Currency == "" {
		c.Currency = "USD"
	}
	if c.ProviderName == "" {
		c.ProviderName = "Skyfold"
	}
	if c.Metrics == nil {
		c.Metrics = collector.Default()
	}
	if c.DefaultCollector == "" {
		c.DefaultCollector = collector.InventoryName
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// moduleDefaults are the settings of modules never configured: CloudKitty
// installs every module disabled, priority 1.
var moduleDefaults = []ratingstore.ModuleSetting{
	{Name: "noop", Enabled: false, Priority: 1},
	{Name: hashmap.ModuleName, Enabled: false, Priority: 1},
	{Name: script.ModuleName, Enabled: false, Priority: 1},
}

// routing is a snapshot of the collector mappings and states.
type routing struct {
	mappings map[string]string // service → collector
	disabled map[string]bool   // collector → disabled
}

// Service is the rating service.
type Service struct {
	cfg        Config
	store      *ratingstore.Store
	costs      *cost.Service
	pipeline   *rating.Pipeline
	hashmap    *hashmap.Module
	scripts    *script.Module
	collectors map[string]collector.Collector

	// writeMu serialises this process's write transactions on SQLite,
	// whose single writer otherwise makes concurrent workers poll for the
	// lock; nil on PostgreSQL.
	writeMu *sync.Mutex

	loadMu   sync.Mutex
	revision atomic.Int64
	routing  atomic.Pointer[routing]
	last     atomic.Pointer[CycleStats]
}

// New builds the service. The metrics are checked against the default
// collector. Call Load before use.
func New(st *ratingstore.Store, costs *cost.Service, collectors []collector.Collector, cfg Config) (*Service, error) {
	cfg.defaults()
	if cfg.Leases == nil {
		return nil, errors.New("rating processor: no leases (Config.Leases)")
	}
	s := &Service{cfg: cfg, store: st, costs: costs, pipeline: rating.NewPipeline(), hashmap: hashmap.New(nil),
		scripts: script.New(script.Config{Limits: cfg.ScriptLimits, Logger: cfg.Logger}), collectors: map[string]collector.Collector{}}
	for _, c := range collectors {
		s.collectors[c.Name()] = c
	}
	if st.SerialWrites() {
		s.writeMu = &sync.Mutex{}
	}
	def, ok := s.collectors[cfg.DefaultCollector]
	if !ok {
		return nil, fmt.Errorf("rating: default collector %q is not registered", cfg.DefaultCollector)
	}
	for _, m := range cfg.Metrics.Metrics {
		if err := def.Check(m); err != nil {
			return nil, fmt.Errorf("rating metrics: %w", err)
		}
	}
	mods := map[string]rating.Module{"noop": rating.Noop{}, hashmap.ModuleName: s.hashmap, script.ModuleName: s.scripts}
	for _, d := range moduleDefaults {
		if err := s.pipeline.Register(mods[d.Name], d.Enabled, d.Priority); err != nil {
			return nil, err
		}
	}
	s.revision.Store(-1)
	s.routing.Store(&routing{mappings: map[string]string{}, disabled: map[string]bool{}})
	st.OnChange(func(ctx context.Context) {
		if err := s.Load(ctx); err != nil {
			s.cfg.Logger.Error("rating: reload after a change failed", "err", err)
		}
	})
	return s, nil
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Metrics are the collected metrics.
func (s *Service) Metrics() *collector.Config { return s.cfg.Metrics }

// Collectors lists the registered collector names.
func (s *Service) Collectors() []string {
	out := make([]string, 0, len(s.collectors))
	for n := range s.collectors {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// HasCollector reports whether a collector of that name is registered.
func (s *Service) HasCollector(name string) bool {
	_, ok := s.collectors[name]
	return ok
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Load reads the whole rating configuration from the store and compiles it
// into the pipeline: module settings, hashmap rules, scripts, collector
// mappings and states. Scripts that do not compile stay loaded with their
// error in the module's state and are reported, joined, in the result.
func (s *Service) Load(ctx context.Context) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	rev, err := s.store.Revision(ctx)
	if err != nil {
		return err
	}
	settings, err := s.store.ModuleSettings(ctx)
	if err != nil {
		return err
	}
	for _, d := range moduleDefaults {
		st, ok := settings[d.Name]
		if !ok {
			st = d
		}
		if _, err := s.pipeline.Configure(d.Name, &st.Enabled, &st.Priority); err != nil {
			return err
		}
	}
	rules, err := s.store.HashmapRules(ctx)
	if err != nil {
		return err
	}
	compiled, err := hashmap.Compile(rules)
	if err != nil {
		return fmt.Errorf("compile hashmap rules: %w", err)
	}
	s.hashmap.Load(compiled)
	scripts, err := s.store.Scripts(ctx, false)
	if err != nil {
		return err
	}
	scriptErr := s.scripts.Load(scripts)
	mappings, err := s.store.CollectorMappings(ctx, "")
	if err != nil {
		return err
	}
	states, err := s.store.CollectorStates(ctx)
	if err != nil {
		return err
	}
	rt := &routing{mappings: map[string]string{}, disabled: map[string]bool{}}
	for _, m := range mappings {
		rt.mappings[m.Service] = m.Collector
	}
	for name, enabled := range states {
		rt.disabled[name] = !enabled
	}
	s.routing.Store(rt)
	s.revision.Store(rev)
	c := compiled.Counts()
	s.cfg.Logger.Debug("rating configuration loaded", "revision", rev, "hashmap_services", c.Services,
		"hashmap_mappings", c.Mappings, "hashmap_thresholds", c.Thresholds, "scripts", len(scripts))
	if scriptErr != nil {
		return fmt.Errorf("scripts: %w", scriptErr)
	}
	return nil
}

// reloadIfChanged reloads the configuration when another process (or a
// direct store write) changed it since the last Load.
func (s *Service) reloadIfChanged(ctx context.Context) error {
	rev, err := s.store.Revision(ctx)
	if err != nil {
		return err
	}
	if rev == s.revision.Load() {
		return nil
	}
	if err := s.Load(ctx); err != nil && ctx.Err() != nil {
		return err
	} else if err != nil {
		s.cfg.Logger.Warn("rating configuration loaded with errors", "err", err)
	}
	return nil
}

// Modules describes every rating module (CloudKitty's module list).
func (s *Service) Modules() []rating.ModuleInfo { return s.pipeline.Modules() }

// Module describes one module.
func (s *Service) Module(name string) (rating.ModuleInfo, error) {
	info, err := s.pipeline.Info(name)
	if err != nil {
		return info, errs.E(errs.NotFound, "Module %s not found.", name)
	}
	return info, nil
}

// ConfigureModule stores a module's enabled flag and priority (nil: keep)
// and applies them.
func (s *Service) ConfigureModule(ctx context.Context, name string, enabled *bool, priority *int) (rating.ModuleInfo, error) {
	cur, err := s.Module(name)
	if err != nil {
		return cur, err
	}
	if priority != nil && (*priority < 0 || *priority > MaxPriority) {
		return cur, errs.Field("priority", fmt.Sprintf("must be between 0 and %d", MaxPriority))
	}
	if _, err := s.store.SetModule(ctx, ratingstore.ModuleSetting{Name: name, Enabled: cur.Enabled, Priority: cur.Priority}, enabled, priority); err != nil {
		return cur, err
	}
	return s.Module(name)
}

// ScriptStatus is the run state of each loaded script.
func (s *Service) ScriptStatus() []script.Status { return s.scripts.Status() }

// Reload re-reads the whole configuration (CloudKitty's reload_modules).
func (s *Service) Reload(ctx context.Context) error { return s.Load(ctx) }

// MaxPriority is the largest module priority: CloudKitty keeps priorities
// in an INTEGER column. A negative priority has no meaning (higher runs
// first, and the lowest is 0).
const MaxPriority = math.MaxInt32

// Quote prices resources for scope as of now with the enabled modules. A
// negative volume is refused: no usage is negative, and it would price a
// credit.
func (s *Service) Quote(ctx context.Context, scope string, resources []rating.Resource) (money.Decimal, error) {
	for i, r := range resources {
		if r.Volume.Sign() < 0 {
			return money.Decimal{}, errs.Field(fmt.Sprintf("resources[%d].volume", i), "must not be negative")
		}
	}
	if err := s.reloadIfChanged(ctx); err != nil {
		return money.Decimal{}, err
	}
	total, err := s.pipeline.Quote(ctx, scope, resources)
	if err != nil {
		if ctx.Err() != nil {
			return money.Decimal{}, ctx.Err()
		}
		var me *rating.ModuleError
		if errors.As(err, &me) {
			return total, errs.Wrap(err, errs.Invalid, "quote failed: %s", me.Error())
		}
		return total, errs.Wrap(err, errs.Invalid, "quote failed: %s", err.Error())
	}
	return total, nil
}

// inTx runs fn in a write transaction.
func (s *Service) inTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	if s.writeMu != nil {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	return s.store.RunInTx(ctx, fn)
}

// LastCycle returns the statistics of the last processing cycle, if any.
func (s *Service) LastCycle() (CycleStats, bool) {
	p := s.last.Load()
	if p == nil {
		return CycleStats{}, false
	}
	return *p, true
}
