package collector

import (
	"context"
	"time"

	"github.com/skyfold/skyfold/internal/rating"
)

// Collector gathers the usage of scopes for the rating processor.
type Collector interface {
	// Name is the collector's id, used by collector mappings and states.
	Name() string
	// Check reports whether the collector can measure m (its extra_args).
	Check(m *Metric) error
	// Scopes lists the ids of the scopes that may have usage of metrics
	// from since on.
	Scopes(ctx context.Context, metrics []*Metric, since time.Time) ([]string, error)
	// Open prepares the collection of scope's metrics over [begin, end),
	// reading what it needs once for all the periods of the window.
	Open(ctx context.Context, scope string, metrics []*Metric, begin, end time.Time) (Window, error)
}

// Window answers the usage of one scope for the periods of a time window.
// It is used by one goroutine at a time.
type Window interface {
	// Collect appends to dst the points of metric m in the period
	// [begin, end), which lies inside the window. An error concerns m alone:
	// the processor rates the other metrics and retries m later.
	Collect(ctx context.Context, m *Metric, begin, end time.Time, dst []rating.DataPoint) ([]rating.DataPoint, error)
}
