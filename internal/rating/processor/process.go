package processor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cost"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/jobs"
	"github.com/skyfold/skyfold/internal/rating"
	"github.com/skyfold/skyfold/internal/rating/collector"
	ratingstore "github.com/skyfold/skyfold/internal/rating/store"
	"github.com/skyfold/skyfold/internal/task"
)

// CycleStats tells what one processing cycle did.
type CycleStats struct {
	StartedAt time.Time     `json:"started_at"`
	Duration  time.Duration `json:"duration"`
	// NewScopes counts scopes discovered by this cycle.
	NewScopes int `json:"new_scopes"`
	// Scopes counts the active scopes looked at.
	Scopes int `json:"scopes"`
	// Processed counts the scopes that rated at least one period.
	Processed int `json:"processed"`
	// Busy counts scopes leased by another process.
	Busy int `json:"busy"`
	// Failed counts scopes whose processing stopped on an error.
	Failed int `json:"failed"`
	// Periods counts the scope periods rated (each metric backlog period too).
	Periods int `json:"periods"`
	// Points counts the rated points.
	Points int `json:"points"`
	// Inserted and Extended count the cost records written.
	Inserted int `json:"inserted"`
	Extended int `json:"extended"`
	// MetricFailures counts metric collections that failed.
	MetricFailures int `json:"metric_failures"`
	// ModuleErrors counts frames on which a rating module failed.
	ModuleErrors int `json:"module_errors"`
}

func (c *CycleStats) add(o CycleStats) {
	c.Processed += o.Processed
	c.Failed += o.Failed
	c.Busy += o.Busy
	c.Periods += o.Periods
	c.Points += o.Points
	c.Inserted += o.Inserted
	c.Extended += o.Extended
	c.MetricFailures += o.MetricFailures
	c.ModuleErrors += o.ModuleErrors
}

// Periodic is the durable periodic job that runs the processor.
func (s *Service) Periodic() jobs.Periodic {
	return jobs.Periodic{Name: "rating.process", Interval: s.cfg.Interval, RunOnStart: true,
		Run: func(ctx context.Context) error {
			_, err := s.ProcessOnce(ctx)
			return err
		}}
}

// firstPeriod is the beginning of the next period to rate for a scope: the
// one after the last processed, or the month's first for a new scope.
func (s *Service) firstPeriod(sc *ratingstore.Scope, now time.Time) time.Time {
	if sc.LastProcessed == nil {
		return cost.MonthStart(now)
	}
	return sc.LastProcessed.UTC().Add(s.cfg.Period)
}

// due reports whether the period beginning at b may be rated at now:
// CloudKitty's begin + wait_periods × period < now, and the period is over.
func (s *Service) due(b, now time.Time) bool {
	p := s.cfg.Period
	return b.Add(time.Duration(s.cfg.WaitPeriods)*p).Before(now) && !b.Add(p).After(now)
}

// ProcessOnce runs one processing cycle: it discovers new scopes, then
// rates every due period of every active scope, several scopes at once.
func (s *Service) ProcessOnce(ctx context.Context) (CycleStats, error) {
	now, started := s.now(), time.Now()
	st := CycleStats{StartedAt: now}
	defer func() {
		st.Duration = time.Since(started)
		s.last.Store(&st)
	}()
	if err := s.reloadIfChanged(ctx); err != nil {
		return st, err
	}
	rt := s.routing.Load()
	if err := s.discover(ctx, now, rt, &st); err != nil {
		return st, err
	}
	active := true
	scopes, _, err := s.store.Scopes(ctx, ratingstore.ScopeFilter{Active: &active})
	if err != nil {
		return st, err
	}
	failures, err := s.store.Failures(ctx, nil, nil)
	if err != nil {
		return st, err
	}
	st.Scopes = len(scopes)
	todo := make(chan *ratingstore.Scope)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for range min(s.cfg.Workers, max(len(scopes), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sc := range todo {
				one := s.processScope(ctx, sc, failures[sc.ScopeID], now, rt)
				mu.Lock()
				st.add(one)
				mu.Unlock()
			}
		}()
	}
	for i := range scopes {
		sc := &scopes[i]
		if !s.hasWork(sc, failures[sc.ScopeID], now) {
			continue
		}
		select {
		case todo <- sc:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(todo)
	wg.Wait()
	if st.Processed > 0 || st.Failed > 0 || st.NewScopes > 0 {
		s.cfg.Logger.Info("rating cycle", "scopes", st.Scopes, "new", st.NewScopes, "processed", st.Processed,
			"failed", st.Failed, "periods", st.Periods, "points", st.Points, "records_inserted", st.Inserted,
			"records_extended", st.Extended, "metric_failures", st.MetricFailures, "module_errors", st.ModuleErrors,
			"ms", time.Since(started).Milliseconds())
	}
	return st, ctx.Err()
}

// discover adds the scopes the collectors in use report.
func (s *Service) discover(ctx context.Context, now time.Time, rt *routing, st *CycleStats) error {
	since := cost.MonthStart(now).AddDate(0, -1, 0)
	var ids []string
	for name, ms := range s.metricsByCollector(rt) {
		c, ok := s.collectors[name]
		if !ok {
			continue
		}
		found, err := c.Scopes(ctx, ms, since)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.cfg.Logger.Warn("rating: scope discovery failed", "collector", name, "err", err)
			continue
		}
		ids = append(ids, found...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	n, err := s.store.EnsureScopes(ctx, ids)
	st.NewScopes = n
	return err
}

// collectorOf is the collector a metric is routed to.
func (rt *routing) collectorOf(m *collector.Metric, def string) string {
	if c, ok := rt.mappings[m.Name]; ok {
		return c
	}
	if c, ok := rt.mappings[m.Service()]; ok {
		return c
	}
	return def
}

// metricsByCollector groups the metrics of enabled collectors.
func (s *Service) metricsByCollector(rt *routing) map[string][]*collector.Metric {
	out := map[string][]*collector.Metric{}
	for _, m := range s.cfg.Metrics.Metrics {
		c := rt.collectorOf(m, s.cfg.DefaultCollector)
		if rt.disabled[c] {
			continue
		}
		out[c] = append(out[c], m)
	}
	return out
}

// hasWork reports whether a scope has a due period or a metric to retry.
func (s *Service) hasWork(sc *ratingstore.Scope, fails []ratingstore.Failure, now time.Time) bool {
	return s.due(s.firstPeriod(sc, now), now) || len(fails) > 0
}

// scopeLease names the lease that keeps a scope to one process while it is
// rated or reset.
func scopeLease(id string) string { return "rating-scope:" + id }

// holdScope takes a scope's lease and keeps it renewed. The returned context
// ends if another process takes the lease over; done stops the renewals and
// gives the lease back. It fails with errs.Conflict while the scope is held.
func (s *Service) holdScope(ctx context.Context, id string) (held context.Context, done func(), err error) {
	lease, err := s.cfg.Leases.Take(ctx, scopeLease(id))
	if err != nil {
		return nil, nil, err
	}
	held, stop := lease.Hold(ctx)
	return held, func() {
		stop()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := lease.Release(rctx); err != nil {
			s.cfg.Logger.Warn("rating: cannot give back the scope's lease", "scope", id, "err", err)
		}
	}, nil
}

// processScope rates a scope's due periods while it holds the scope's
// lease, in chunks of at most MaxPeriodsPerRun periods, each written in one
// transaction. Losing the lease ends the run before its next write.
func (s *Service) processScope(ctx context.Context, sc *ratingstore.Scope, fails []ratingstore.Failure, now time.Time, rt *routing) CycleStats {
	var st CycleStats
	log := s.cfg.Logger.With("scope", sc.ScopeID)
	ctx, done, err := s.holdScope(ctx, sc.ScopeID)
	if err != nil {
		if errs.CodeOf(err) != errs.Conflict {
			log.Warn("rating: cannot lease scope", "err", err)
		}
		st.Busy++
		return st
	}
	defer done()
	cur := *sc
	fails = slices.Clone(fails)
	worked := false
	for {
		res, err := s.processChunk(ctx, &cur, fails, now, rt)
		st.add(res.stats)
		if err != nil {
			if errors.Is(context.Cause(ctx), task.ErrLeaseLost) {
				log.Warn("rating: scope lease lost; another process rates the scope now")
			}
			if ctx.Err() == nil {
				st.Failed++
				log.Error("rating: scope processing failed", "err", err)
				ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				_ = s.store.SaveProgress(ectx, nil, ratingstore.Progress{ScopeID: sc.ScopeID, LastError: err.Error()})
				cancel()
			}
			break
		}
		if !res.worked {
			break
		}
		worked = true
		fails = res.failures
		if !res.more {
			break
		}
	}
	if worked {
		st.Processed++
	}
	return st
}

type chunkResult struct {
	stats    CycleStats
	worked   bool // something was rated and written
	more     bool // due periods remain
	failures []ratingstore.Failure
}

// collection routes each metric to its collector's window for one chunk.
type collection struct {
	windows map[string]collector.Window
	errs    map[string]error
	rt      *routing
	def     string
	period  time.Duration
	bufs    map[string][]rating.DataPoint
}

func (c *collection) collect(ctx context.Context, m *collector.Metric, b time.Time) ([]rating.DataPoint, error) {
	name := c.rt.collectorOf(m, c.def)
	if err := c.errs[name]; err != nil {
		return nil, err
	}
	pts, err := c.windows[name].Collect(ctx, m, b, b.Add(c.period), c.bufs[m.Name][:0])
	if err != nil {
		return nil, err
	}
	c.bufs[m.Name] = pts
	return pts, nil
}

// processChunk rates one chunk of a scope: the metrics to retry first (each
// alone, from the period it failed at), then the due periods with every
// other metric; then writes records and state in one transaction.
func (s *Service) processChunk(ctx context.Context, sc *ratingstore.Scope, fails []ratingstore.Failure, now time.Time, rt *routing) (chunkResult, error) {
	var res chunkResult
	p := s.cfg.Period
	scope := sc.ScopeID
	first := s.firstPeriod(sc, now)
	var periods []time.Time
	for b := first; len(periods) < s.cfg.MaxPeriodsPerRun && s.due(b, now); b = b.Add(p) {
		periods = append(periods, b)
	}

	// What is to be collected, and over which window.
	byCollector := s.metricsByCollector(rt)
	enabled := map[string]bool{}
	for _, ms := range byCollector {
		for _, m := range ms {
			enabled[m.Name] = true
		}
	}
	type retry struct {
		m        *collector.Metric
		f        ratingstore.Failure
		from, to time.Time
	}
	var (
		retries []retry
		failed  []ratingstore.Failure
		cleared []string
		blocked = map[string]bool{}
	)
	winBegin, winEnd := first, first
	if len(periods) > 0 {
		winEnd = periods[len(periods)-1].Add(p)
	}
	for _, f := range fails {
		m, ok := s.cfg.Metrics.Metric(f.Metric)
		switch {
		case !ok:
			cleared = append(cleared, f.Metric) // metric no longer configured
		case !f.RetryFrom.Before(first):
			cleared = append(cleared, f.Metric) // the main periods cover it
		case !enabled[m.Name]:
			blocked[m.Name] = true // its collector is disabled: keep waiting
		default:
			to := f.RetryFrom.Add(time.Duration(s.cfg.MaxPeriodsPerRun) * p)
			if to.After(first) {
				to = first
			}
			retries = append(retries, retry{m: m, f: f, from: f.RetryFrom.UTC(), to: to})
			blocked[m.Name] = true
			if f.RetryFrom.Before(winBegin) {
				winBegin = f.RetryFrom.UTC()
			}
		}
	}
	if len(periods) == 0 && len(retries) == 0 {
		if len(cleared) > 0 {
			res.worked = true
			res.failures = keepFailures(fails, nil, cleared)
			return res, s.store.SaveProgress(ctx, nil, ratingstore.Progress{ScopeID: scope, Cleared: cleared})
		}
		return res, nil
	}

	col := &collection{windows: map[string]collector.Window{}, errs: map[string]error{}, rt: rt,
		def: s.cfg.DefaultCollector, period: p, bufs: map[string][]rating.DataPoint{}}
	for name, ms := range byCollector {
		c, ok := s.collectors[name]
		if !ok {
			col.errs[name] = fmt.Errorf("no collector %q", name)
			continue
		}
		w, err := c.Open(ctx, scope, ms, winBegin, winEnd)
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			col.errs[name] = fmt.Errorf("collector %s: %w", name, err)
			continue
		}
		col.windows[name] = w
	}

	tailTimes := []time.Time{first}
	for _, r := range retries {
		tailTimes = append(tailTimes, r.from)
	}
	rb := newRunBuilder(s, scope, tailTimes)
	nowFail := s.now()
	rate := func(f *rating.DataFrame) error {
		if err := s.pipeline.Rate(ctx, f); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			res.stats.ModuleErrors++
			if res.stats.ModuleErrors == 1 {
				s.cfg.Logger.Warn("rating: a module failed; its error is in the module state", "scope", scope,
					"begin", f.Begin, "err", err)
			}
		}
		res.stats.Periods++
		return rb.add(ctx, f)
	}

	// 1. Metrics to retry, each alone, from the period they failed at.
	for _, r := range retries {
		f := r.f
		caught := true
		for b := r.from; b.Before(r.to); b = b.Add(p) {
			pts, err := col.collect(ctx, r.m, b)
			if err != nil {
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
				f.RetryFrom, f.Error, f.FailedAt = b, err.Error(), nowFail
				f.Attempts++
				res.stats.MetricFailures++
				caught = false
				break
			}
			frame := rating.NewDataFrame(b, b.Add(p), scope)
			frame.Usage[r.m.Service()] = pts
			if err := rate(frame); err != nil {
				return res, err
			}
		}
		switch {
		case !caught:
			failed = append(failed, f)
		case r.to.Before(first):
			f.RetryFrom = r.to // progress made; more to retry next chunk
			failed = append(failed, f)
		default:
			cleared = append(cleared, f.Metric)
			delete(blocked, r.m.Name) // caught up: rated with the others from first on
		}
	}

	// 2. The due periods, every metric not blocked.
	frame := &rating.DataFrame{ScopeID: scope, Usage: map[string][]rating.DataPoint{}}
	for _, b := range periods {
		frame.Begin, frame.End = b, b.Add(p)
		clear(frame.Usage)
		for _, m := range s.cfg.Metrics.Metrics {
			if !enabled[m.Name] || blocked[m.Name] {
				continue
			}
			pts, err := col.collect(ctx, m, b)
			if err != nil {
				if ctx.Err() != nil {
					return res, ctx.Err()
				}
				blocked[m.Name] = true
				res.stats.MetricFailures++
				failed = append(failed, ratingstore.Failure{Metric: m.Name, RetryFrom: b, Attempts: 1, Error: err.Error(),
					FirstFailedAt: nowFail, FailedAt: nowFail})
				s.cfg.Logger.Warn("rating: metric collection failed; the scope goes on without it", "scope", scope,
					"metric", m.Name, "begin", b, "err", err)
				continue
			}
			frame.Usage[m.Service()] = pts
		}
		if err := rate(frame); err != nil {
			return res, err
		}
	}
	res.stats.Points = rb.points

	// 3. Records and progress, atomically.
	prog := ratingstore.Progress{ScopeID: scope, Failed: failed, Cleared: cleared}
	if len(periods) > 0 {
		last := periods[len(periods)-1]
		prog.LastProcessed = &last
	}
	err := s.inTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ins, ext, err := rb.flush(ctx, tx)
		if err != nil {
			return err
		}
		res.stats.Inserted, res.stats.Extended = ins, ext
		return s.store.SaveProgress(ctx, tx, prog)
	})
	if err != nil {
		return res, fmt.Errorf("save scope %s: %w", scope, err)
	}
	if prog.LastProcessed != nil {
		sc.LastProcessed = prog.LastProcessed
	}
	res.worked = true
	res.failures = keepFailures(fails, failed, cleared)
	res.more = len(periods) == s.cfg.MaxPeriodsPerRun && s.due(s.firstPeriod(sc, now), now)
	for _, f := range res.failures {
		if f.RetryFrom.Before(s.firstPeriod(sc, now)) && slices.ContainsFunc(retries, func(r retry) bool { return r.m.Name == f.Metric && r.to.Before(first) }) {
			res.more = true
		}
	}
	return res, nil
}

// keepFailures is the failure list after a chunk: the old ones minus the
// cleared, replaced by the new ones.
func keepFailures(old, failed []ratingstore.Failure, cleared []string) []ratingstore.Failure {
	out := []ratingstore.Failure{}
	for _, f := range old {
		if slices.Contains(cleared, f.Metric) || slices.ContainsFunc(failed, func(n ratingstore.Failure) bool { return n.Metric == f.Metric }) {
			continue
		}
		out = append(out, f)
	}
	return append(out, failed...)
}
