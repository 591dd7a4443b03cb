package hashmap

import (
	"context"
	"sync/atomic"

	"github.com/skyfold/skyfold/internal/rating"
)

// ModuleName is the hashmap module's id in the rating pipeline and the API.
const ModuleName = "hashmap"

// Module is the hashmap rating module. It prices frames with the current
// Compiled rules; Load swaps in new rules atomically, so a change made
// through the API applies to the next frame without stopping running ones.
type Module struct {
	rules atomic.Pointer[Compiled]
}

// New returns a module rating with c (nil: no rules, nothing priced yet).
func New(c *Compiled) *Module {
	m := &Module{}
	m.Load(c)
	return m
}

// Load replaces the rules used by the next runs; nil removes them all.
func (m *Module) Load(c *Compiled) {
	if c == nil {
		c = MustCompile(Rules{})
	}
	m.rules.Store(c)
}

// Rules returns the rules in use.
func (m *Module) Rules() *Compiled { return m.rules.Load() }

// Name returns "hashmap".
func (m *Module) Name() string { return ModuleName }

// Description returns the module summary.
func (m *Module) Description() string {
	return "Prices points from service and field mappings and thresholds, by group."
}

// HotConfig returns true: rule changes apply to the next frame.
func (m *Module) HotConfig() bool { return true }

// Rate adds the hashmap price of each point of f to its price.
func (m *Module) Rate(ctx context.Context, f *rating.DataFrame) error {
	return m.rules.Load().Rate(ctx, f)
}

// Quote prices a quote frame the same way as Rate.
func (m *Module) Quote(ctx context.Context, f *rating.DataFrame) error {
	return m.rules.Load().Rate(ctx, f)
}

var _ rating.Module = (*Module)(nil)
