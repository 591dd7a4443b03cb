package rating

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/money"
)

// Module is one rating step. Rate adds to the price of each point it knows
// how to price (earlier modules may have set a price already); Quote does
// the same for an instant quote. Both must be safe for concurrent calls on
// different frames and must not change the frame's shape. Whether a module
// runs, and in which order, is the Pipeline's business (enabled, priority).
type Module interface {
	// Name is the module id used by the API ("hashmap", "pyscripts", "noop").
	Name() string
	// Description is a one-line summary shown by GET /v1/rating/modules.
	Description() string
	// HotConfig reports whether the module takes new configuration without a restart.
	HotConfig() bool
	// Rate prices the frame in place.
	Rate(ctx context.Context, f *DataFrame) error
	// Quote prices a frame built from a quote request.
	Quote(ctx context.Context, f *DataFrame) error
}

// Reloader is implemented by modules that can re-read their configuration
// (CloudKitty's GET /v1/rating/reload_modules).
type Reloader interface {
	// Reload re-reads the module's configuration.
	Reload(ctx context.Context) error
}

// ModuleError is a failure of a module run. Modules that run user code
// (scripts) fill Source, Line and Column with where it failed.
type ModuleError struct {
	// Module is the failing module's name.
	Module string `json:"module"`
	// Source names the failing user artefact (a script name); empty otherwise.
	Source string `json:"source,omitempty"`
	// Line is the 1-based line in Source, 0 when unknown.
	Line int `json:"line,omitempty"`
	// Column is the 1-based column in Source, 0 when unknown.
	Column int `json:"column,omitempty"`
	// Kind classifies the failure: "syntax", "runtime", "steps", "timeout",
	// "memory", "output", "input", "panic" or "error".
	Kind string `json:"kind"`
	// Message says what went wrong.
	Message string `json:"message"`
	// At is when the failure happened.
	At time.Time `json:"at,omitzero"`
}

// Error formats the failure as `module "source" line L:C: message`.
func (e *ModuleError) Error() string {
	s := e.Module
	if e.Source != "" {
		s += " " + strconv.Quote(e.Source)
	}
	if e.Line > 0 {
		s += " line " + strconv.Itoa(e.Line)
		if e.Column > 0 {
			s += ":" + strconv.Itoa(e.Column)
		}
	}
	return s + ": " + e.Message
}

// ModuleState is what a module's runs have done so far, for the API.
type ModuleState struct {
	// Runs counts Rate and Quote calls.
	Runs uint64 `json:"runs"`
	// Failures counts runs that returned an error.
	Failures uint64 `json:"failures"`
	// LastRunAt is when the last run started.
	LastRunAt time.Time `json:"last_run_at,omitzero"`
	// LastDuration is how long the last run took.
	LastDuration time.Duration `json:"last_duration"`
	// LastError is the first error of the last failed run, kept until a later
	// run succeeds.
	LastError *ModuleError `json:"last_error,omitempty"`
}

// ModuleInfo describes a registered module as CloudKitty's CloudkittyModule
// does (module_id, description, enabled, hot-config, priority), with its state.
type ModuleInfo struct {
	// ID is the module name.
	ID string `json:"module_id"`
	// Description is the module's summary.
	Description string `json:"description"`
	// Enabled tells whether the pipeline runs the module.
	Enabled bool `json:"enabled"`
	// HotConfig tells whether configuration changes apply without restart.
	HotConfig bool `json:"hot-config"`
	// Priority orders modules: the highest runs first.
	Priority int `json:"priority"`
	// State is the module's run history.
	State ModuleState `json:"state"`
}

type pipelineEntry struct {
	mod      Module
	enabled  bool
	priority int
	state    ModuleState
}

// Pipeline runs the enabled modules on a frame in descending priority (ties
// by name), each adding to the prices earlier ones set. A module that fails
// or panics does not stop the others: its error is recorded in its state and
// returned, joined, once every module has run. Safe for concurrent use.
type Pipeline struct {
	mu      sync.Mutex
	entries map[string]*pipelineEntry
	order   []*pipelineEntry // enabled modules in run order; rebuilt on change
	now     func() time.Time
}

// NewPipeline returns an empty pipeline.
func NewPipeline() *Pipeline {
	return &Pipeline{entries: map[string]*pipelineEntry{}, now: time.Now}
}

// Register adds m, enabled or not, with a priority. Registering a name twice
// is an errs.Conflict.
func (p *Pipeline) Register(m Module, enabled bool, priority int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	name := m.Name()
	if _, ok := p.entries[name]; ok {
		return errs.E(errs.Conflict, "rating module %q already registered", name)
	}
	p.entries[name] = &pipelineEntry{mod: m, enabled: enabled, priority: priority}
	p.reorder()
	return nil
}

// reorder rebuilds the run order; p.mu must be held.
func (p *Pipeline) reorder() {
	order := make([]*pipelineEntry, 0, len(p.entries))
	for _, e := range p.entries {
		if e.enabled {
			order = append(order, e)
		}
	}
	slices.SortFunc(order, func(a, b *pipelineEntry) int {
		if c := cmp.Compare(b.priority, a.priority); c != 0 {
			return c
		}
		return cmp.Compare(a.mod.Name(), b.mod.Name())
	})
	p.order = order
}

// Configure changes a module's enabled flag and/or priority (nil leaves it)
// as PUT /v1/rating/modules does, and returns the new description.
func (p *Pipeline) Configure(name string, enabled *bool, priority *int) (ModuleInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.entries[name]
	if !ok {
		return ModuleInfo{}, errs.NotFoundf("rating module", name)
	}
	if enabled != nil {
		e.enabled = *enabled
	}
	if priority != nil {
		e.priority = *priority
	}
	p.reorder()
	return e.info(), nil
}

func (e *pipelineEntry) info() ModuleInfo {
	return ModuleInfo{
		ID:          e.mod.Name(),
		Description: e.mod.Description(),
		Enabled:     e.enabled,
		HotConfig:   e.mod.HotConfig(),
		Priority:    e.priority,
		State:       e.state,
	}
}

// Info returns one module's description, or errs.NotFound.
func (p *Pipeline) Info(name string) (ModuleInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.entries[name]
	if !ok {
		return ModuleInfo{}, errs.NotFoundf("rating module", name)
	}
	return e.info(), nil
}

// Modules lists every registered module, by name.
func (p *Pipeline) Modules() []ModuleInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]ModuleInfo, 0, len(p.entries))
	for _, e := range p.entries {
		out = append(out, e.info())
	}
	slices.SortFunc(out, func(a, b ModuleInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Module returns the registered module called name.
func (p *Pipeline) Module(name string) (Module, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.entries[name]
	if !ok {
		return nil, false
	}
	return e.mod, true
}

// Rate runs every enabled module on f. It stops early only when ctx ends.
func (p *Pipeline) Rate(ctx context.Context, f *DataFrame) error {
	return p.run(ctx, f, false)
}

// Quote prices resources as of now for scope and returns the total, as
// POST /v1/rating/quote does.
func (p *Pipeline) Quote(ctx context.Context, scope string, resources []Resource) (money.Decimal, error) {
	now := p.now().UTC()
	f := QuoteFrame(now, now.Add(time.Hour), scope, resources)
	err := p.run(ctx, f, true)
	return f.Total(), err
}

// QuoteFrame runs every enabled module's Quote on f and returns its total.
func (p *Pipeline) QuoteFrame(ctx context.Context, f *DataFrame) (money.Decimal, error) {
	err := p.run(ctx, f, true)
	return f.Total(), err
}

// Reload asks every module that implements Reloader to reload.
func (p *Pipeline) Reload(ctx context.Context) error {
	p.mu.Lock()
	var rs []Reloader
	for _, e := range p.entries {
		if r, ok := e.mod.(Reloader); ok {
			rs = append(rs, r)
		}
	}
	p.mu.Unlock()
	var all []error
	for _, r := range rs {
		if err := r.Reload(ctx); err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}

func (p *Pipeline) run(ctx context.Context, f *DataFrame, quote bool) error {
	p.mu.Lock()
	order := p.order
	p.mu.Unlock()
	var failures []error
	for _, e := range order {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(failures, err)...)
		}
		start := p.now()
		err := callModule(ctx, e.mod, f, quote)
		p.record(e, start, err)
		if err != nil {
			failures = append(failures, fmt.Errorf("rating module %s: %w", e.mod.Name(), err))
		}
	}
	return errors.Join(failures...)
}

// callModule runs one module, turning a panic into an error.
func callModule(ctx context.Context, m Module, f *DataFrame, quote bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &ModuleError{Module: m.Name(), Kind: "panic", Message: fmt.Sprintf("panic: %v\n%s", r, debug.Stack()), At: time.Now()}
		}
	}()
	if quote {
		return m.Quote(ctx, f)
	}
	return m.Rate(ctx, f)
}

func (p *Pipeline) record(e *pipelineEntry, start time.Time, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := &e.state
	st.Runs++
	st.LastRunAt = start
	st.LastDuration = p.now().Sub(start)
	if err == nil {
		st.LastError = nil
		return
	}
	st.Failures++
	var me *ModuleError
	if errors.As(err, &me) {
		cp := *me
		st.LastError = &cp
		return
	}
	st.LastError = &ModuleError{Module: e.mod.Name(), Kind: "error", Message: err.Error(), At: start}
}

// Noop is CloudKitty's test module: it rates nothing, leaving prices as they are.
type Noop struct{}

// Name returns "noop".
func (Noop) Name() string { return "noop" }

// Description returns the module summary.
func (Noop) Description() string { return "Test module that leaves every price unchanged." }

// HotConfig returns false: there is nothing to configure.
func (Noop) HotConfig() bool { return false }

// Rate does nothing.
func (Noop) Rate(context.Context, *DataFrame) error { return nil }

// Quote does nothing.
func (Noop) Quote(context.Context, *DataFrame) error { return nil }

var _ Module = Noop{}
