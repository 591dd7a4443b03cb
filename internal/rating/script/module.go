package script

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/skyfold/skyfold/internal/rating"
)

// Config configures a Module.
type Config struct {
	// Limits bound every script run; zero fields take DefaultLimits.
	Limits Limits
	// Logger receives the scripts' print output at debug level; nil drops it.
	Logger *slog.Logger
}

// Status is what the API shows of one loaded script.
type Status struct {
	// ID is the script's UUID.
	ID string `json:"script_id"`
	// Name is the script's name.
	Name string `json:"name"`
	// Checksum is the SHA-512 of the source that is loaded.
	Checksum string `json:"checksum"`
	// Compiled tells whether the source compiled; a script that did not is skipped.
	Compiled bool `json:"compiled"`
	// Runs counts runs of the script.
	Runs uint64 `json:"runs"`
	// Failures counts failed runs.
	Failures uint64 `json:"failures"`
	// LastRunAt is when the last run started.
	LastRunAt time.Time `json:"last_run_at,omitzero"`
	// LastDuration is how long the last run took.
	LastDuration time.Duration `json:"last_duration"`
	// LastSteps is how many Starlark steps the last run took.
	LastSteps uint64 `json:"last_steps"`
	// LastError is the compile error, or the error of the last run until a
	// later run succeeds; it carries the line where the script failed.
	LastError *rating.ModuleError `json:"last_error,omitempty"`
}

// loaded is one script of a Load: script, prog and compileErr never change
// afterwards; status is guarded by Module.mu.
type loaded struct {
	script     Script // without Data
	prog       *Program
	compileErr *rating.ModuleError
	status     Status
}

// Module is the script rating module: it runs every loaded script active at
// the frame's begin, ordered by name then ID (CloudKitty guarantees no
// order), each seeing the prices the previous ones set.
type Module struct {
	cfg     Config
	mu      sync.Mutex
	scripts []*loaded
}

// New returns a module with no scripts.
func New(cfg Config) *Module {
	cfg.Limits = cfg.Limits.withDefaults()
	return &Module{cfg: cfg}
}

// Load replaces the loaded scripts with scripts, compiling only those whose
// source changed (by checksum). A script that does not compile is kept, with
// its error in Status, and reported by every run it would have taken part
// in; Load returns the compile errors joined. Unchanged scripts keep their
// run counters.
func (m *Module) Load(scripts []Script) error {
	m.mu.Lock()
	old := make(map[string]*loaded, len(m.scripts))
	for _, l := range m.scripts {
		old[l.script.ID] = l // l.script and l.prog never change once loaded
	}
	m.mu.Unlock()

	next := make([]*loaded, 0, len(scripts))
	reused := map[*loaded]*loaded{}
	var errs []error
	for _, s := range scripts {
		l := &loaded{script: s}
		l.script.Data, l.script.Checksum = "", Checksum(s.Data)
		if o, ok := old[s.ID]; ok && o.script.Checksum == l.script.Checksum && o.script.Name == s.Name {
			l.prog, l.compileErr = o.prog, o.compileErr
			reused[l] = o
		} else {
			prog, err := Compile(s, m.cfg.Limits)
			if err != nil {
				var me *rating.ModuleError
				if !errors.As(err, &me) {
					me = &rating.ModuleError{Module: ModuleName, Source: s.filename(), Kind: "syntax", Message: err.Error(), At: time.Now()}
				}
				l.compileErr = me
			}
			l.prog = prog
		}
		l.status = Status{ID: s.ID, Name: s.Name, Checksum: l.script.Checksum, Compiled: l.prog != nil, LastError: l.compileErr}
		if l.compileErr != nil {
			errs = append(errs, l.compileErr)
		}
		next = append(next, l)
	}
	slices.SortStableFunc(next, func(a, b *loaded) int {
		if c := cmp.Compare(a.script.Name, b.script.Name); c != 0 {
			return c
		}
		return cmp.Compare(a.script.ID, b.script.ID)
	})
	m.mu.Lock()
	for l, o := range reused {
		l.status = o.status
	}
	m.scripts = next
	m.mu.Unlock()
	return errors.Join(errs...)
}

// Status lists the loaded scripts, in run order.
func (m *Module) Status() []Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Status, len(m.scripts))
	for i, l := range m.scripts {
		out[i] = l.status
		if l.status.LastError != nil {
			e := *l.status.LastError
			out[i].LastError = &e
		}
	}
	return out
}

// Name returns "pyscripts".
func (m *Module) Name() string { return ModuleName }

// Description returns the module summary.
func (m *Module) Description() string {
	return "Runs operator-written Starlark scripts that set the price of each point."
}

// HotConfig returns true: loaded scripts apply to the next frame.
func (m *Module) HotConfig() bool { return true }

// Rate runs every script active at f.Begin on f. A failing script changes
// no price and does not stop the others; the failures are returned joined,
// each a *rating.ModuleError with the line where the script failed.
func (m *Module) Rate(ctx context.Context, f *rating.DataFrame) error {
	m.mu.Lock()
	scripts := m.scripts
	m.mu.Unlock()
	var failures []error
	for _, l := range scripts {
		if !l.script.ActiveAt(f.Begin) {
			continue
		}
		if l.prog == nil {
			failures = append(failures, l.compileErr)
			continue
		}
		if err := ctx.Err(); err != nil {
			return errors.Join(append(failures, err)...)
		}
		startedAt := time.Now()
		res, err := l.prog.run(ctx, f, m.cfg.Limits, m.cfg.Logger)
		m.mu.Lock()
		l.status.Runs++
		l.status.LastRunAt, l.status.LastDuration, l.status.LastSteps = startedAt, res.duration, res.steps
		if err != nil {
			l.status.Failures++
			var me *rating.ModuleError
			if errors.As(err, &me) {
				l.status.LastError = me
			}
		} else {
			l.status.LastError = nil
		}
		m.mu.Unlock()
		if err != nil {
			failures = append(failures, err)
		}
	}
	return errors.Join(failures...)
}

// Quote runs the scripts on a quote frame, as Rate does.
func (m *Module) Quote(ctx context.Context, f *rating.DataFrame) error { return m.Rate(ctx, f) }

var _ rating.Module = (*Module)(nil)
