package script

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating"
)

// Keys of the data contract, boxed once.
var (
	kPeriod   starlark.Value = starlark.String("period")
	kBegin    starlark.Value = starlark.String("begin")
	kEnd      starlark.Value = starlark.String("end")
	kScope    starlark.Value = starlark.String("scope_id")
	kUsage    starlark.Value = starlark.String("usage")
	kVol      starlark.Value = starlark.String("vol")
	kQty      starlark.Value = starlark.String("qty")
	kUnit     starlark.Value = starlark.String("unit")
	kRating   starlark.Value = starlark.String("rating")
	kPrice    starlark.Value = starlark.String("price")
	kDesc     starlark.Value = starlark.String("desc")
	kGroupBy  starlark.Value = starlark.String("groupby")
	kMetadata starlark.Value = starlark.String("metadata")
)

func stringDict(m map[string]string) *starlark.Dict {
	d := starlark.NewDict(len(m))
	for k, v := range m {
		_ = d.SetKey(starlark.String(k), starlark.String(v)) // cannot fail: string keys, unfrozen dict
	}
	return d
}

// descDict builds CloudKitty's merged desc (rating.DataPoint.DescMap)
// straight into a Starlark dict.
func descDict(p *rating.DataPoint) *starlark.Dict {
	d := starlark.NewDict(len(p.Metadata) + len(p.GroupBy) + 2)
	for k, v := range p.Metadata {
		_ = d.SetKey(starlark.String(k), starlark.String(v))
	}
	for k, v := range p.GroupBy {
		_ = d.SetKey(starlark.String(k), starlark.String(v))
	}
	for _, kv := range [2][2]string{{"id", p.ResourceID}, {"project_id", p.ProjectID}} {
		if kv[1] == "" {
			continue
		}
		if _, found, _ := d.Get(starlark.String(kv[0])); !found {
			_ = d.SetKey(starlark.String(kv[0]), starlark.String(kv[1]))
		}
	}
	return d
}

// frameValue builds the data global for f (see the package comment).
func frameValue(f *rating.DataFrame) *starlark.Dict {
	period := starlark.NewDict(2)
	_ = period.SetKey(kBegin, starlark.String(f.Begin.UTC().Format(time.RFC3339)))
	_ = period.SetKey(kEnd, starlark.String(f.End.UTC().Format(time.RFC3339)))
	usage := starlark.NewDict(len(f.Usage))
	for _, t := range f.Types() {
		pts := f.Usage[t]
		items := make([]starlark.Value, len(pts))
		for i := range pts {
			p := &pts[i]
			vol := starlark.NewDict(2)
			_ = vol.SetKey(kQty, decimalValue{p.Qty})
			_ = vol.SetKey(kUnit, starlark.String(p.UnitOrDefault()))
			rt := starlark.NewDict(1)
			_ = rt.SetKey(kPrice, decimalValue{p.Price})
			item := starlark.NewDict(5)
			_ = item.SetKey(kVol, vol)
			_ = item.SetKey(kRating, rt)
			_ = item.SetKey(kDesc, descDict(p))
			_ = item.SetKey(kGroupBy, stringDict(p.GroupBy))
			_ = item.SetKey(kMetadata, stringDict(p.Metadata))
			items[i] = item
		}
		_ = usage.SetKey(starlark.String(t), starlark.NewList(items))
	}
	data := starlark.NewDict(3)
	_ = data.SetKey(kPeriod, period)
	_ = data.SetKey(kScope, starlark.String(f.ScopeID))
	_ = data.SetKey(kUsage, usage)
	return data
}

// get looks key up in a Starlark mapping.
func get(m starlark.Value, key starlark.Value) (starlark.Value, bool) {
	mp, ok := m.(starlark.Mapping)
	if !ok {
		return nil, false
	}
	v, found, err := mp.Get(key)
	return v, found && err == nil
}

// readPrices reads the prices the script left in data, by position, into a
// new slice per metric type; it changes nothing when the output is invalid.
func readPrices(f *rating.DataFrame, data starlark.Value) (map[string][]money.Decimal, error) {
	usage, ok := get(data, kUsage)
	if !ok {
		return nil, errors.New(`data has no "usage" mapping`)
	}
	out := make(map[string][]money.Decimal, len(f.Usage))
	for t, pts := range f.Usage {
		v, ok := get(usage, starlark.String(t))
		if !ok {
			return nil, fmt.Errorf("data[\"usage\"] lost metric type %q", t)
		}
		seq, ok := v.(starlark.Indexable)
		if !ok || seq.Len() != len(pts) {
			return nil, fmt.Errorf("data[\"usage\"][%q] must stay a list of %d points", t, len(pts))
		}
		prices := make([]money.Decimal, len(pts))
		for i := range pts {
			price, err := pointPrice(seq.Index(i))
			if err != nil {
				return nil, fmt.Errorf("data[\"usage\"][%q][%d]: %w", t, i, err)
			}
			prices[i] = price
		}
		out[t] = prices
	}
	return out, nil
}

func pointPrice(item starlark.Value) (money.Decimal, error) {
	if _, ok := item.(starlark.Mapping); !ok {
		return money.Decimal{}, fmt.Errorf("point is a %s, not a dict", item.Type())
	}
	rt, ok := get(item, kRating)
	if !ok || rt == starlark.None {
		return money.Decimal{}, nil
	}
	if _, ok := rt.(starlark.Mapping); !ok {
		return money.Decimal{}, fmt.Errorf(`"rating" is a %s, not a dict`, rt.Type())
	}
	p, ok := get(rt, kPrice)
	if !ok || p == starlark.None {
		return money.Decimal{}, nil
	}
	if s, ok := p.(starlark.String); ok {
		d, err := money.Parse(string(s))
		if err != nil {
			return money.Decimal{}, fmt.Errorf("price %s is not a number", s)
		}
		return d, nil
	}
	d, ok, err := toDecimal(p)
	if err != nil {
		return money.Decimal{}, fmt.Errorf("price: %w", err)
	}
	if !ok {
		return money.Decimal{}, fmt.Errorf("price is a %s, not a number", p.Type())
	}
	if d.IntegerDigits() > money.MaxIntegerDigits {
		return money.Decimal{}, fmt.Errorf("price %s is too large", d)
	}
	return d, nil
}

// allocSample reads the process's cumulative heap allocation counter.
func allocBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// stepChunk is how many steps a script runs between two looks at its limits.
const stepChunk = 1 << 12

// hardCancelGrace is how long the watchdog waits for a script to stop at a
// step boundary before cancelling it outright (a script inside a long
// built-in call never reaches one).
const hardCancelGrace = 200 * time.Millisecond

// limiter enforces the step budget and, at step boundaries, the causes the
// watchdog raises (timeout, context). When it stops a script it runs up to
// a few more steps until the innermost frame is on one of its own lines:
// between instructions Starlark may report a frame at its function's
// definition (or 1:1 for the top level) rather than the line executing.
// Only pending is touched outside the script's goroutine.
type limiter struct {
	maxSteps uint64
	pending  atomic.Pointer[[2]string] // kind, message raised by the watchdog

	stopping  bool
	kind, msg string
	pos       syntax.Position
	extra     int
}

func (l *limiter) onMaxSteps(th *starlark.Thread) {
	if !l.stopping {
		switch c := l.pending.Load(); {
		case th.Steps >= l.maxSteps:
			l.kind, l.msg = "steps", fmt.Sprintf("step limit: ran over %d steps", l.maxSteps)
		case c != nil:
			l.kind, l.msg = c[0], c[1]
		default:
			th.SetMaxExecutionSteps(min(th.Steps+stepChunk, l.maxSteps))
			return
		}
		l.stopping = true
	}
	fr := th.DebugFrame(0)
	pos := fr.Position()
	var def syntax.Position
	if fn, ok := fr.Callable().(*starlark.Function); ok {
		def = fn.Position()
	}
	if l.extra >= 16 || (pos.Line > 0 && pos != def) {
		l.pos = pos
		th.Cancel(l.msg)
		return
	}
	l.extra++
	th.SetMaxExecutionSteps(th.Steps + 1)
}

// watchdog raises a cause with l when ctx ends or the timeout passes, and
// cancels thread outright if the script does not stop within
// hardCancelGrace; it cancels outright at once when the allocation budget
// is spent, since every step may allocate more. stop ends it and returns
// the cause of an outright cancel, if any.
func watchdog(ctx context.Context, thread *starlark.Thread, l *limiter, lim Limits) (stop func() (kind, msg string)) {
	var (
		hard atomic.Pointer[[2]string]
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	start := allocBytes()
	wg.Go(func() {
		timer := time.NewTimer(lim.Timeout)
		defer timer.Stop()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		var cause *[2]string
		for cause == nil {
			select {
			case <-done:
				return
			case <-ctx.Done():
				cause = &[2]string{"timeout", "cancelled: " + ctx.Err().Error()}
			case <-timer.C:
				cause = &[2]string{"timeout", fmt.Sprintf("timeout: ran longer than %s", lim.Timeout)}
			case <-tick.C:
				if used := allocBytes() - start; used > lim.MaxAllocBytes {
					cause = &[2]string{"memory", fmt.Sprintf("memory limit: allocated over %d bytes", lim.MaxAllocBytes)}
				}
			}
		}
		if cause[0] == "memory" {
			hard.Store(cause)
			thread.Cancel(cause[1])
			return
		}
		l.pending.Store(cause)
		grace := time.NewTimer(hardCancelGrace)
		defer grace.Stop()
		select {
		case <-done:
		case <-grace.C:
			hard.Store(cause)
			thread.Cancel(cause[1])
		}
	})
	return func() (string, string) {
		close(done)
		wg.Wait()
		if c := hard.Load(); c != nil {
			return c[0], c[1]
		}
		return "", ""
	}
}

// runResult is what one run did, for the script's status.
type runResult struct {
	steps    uint64
	duration time.Duration
}

// Run executes the program on f and, if it succeeds, sets every point's
// price to the one the script left. Errors are *rating.ModuleError with the
// failing line when there is one; on error no price changes.
func (p *Program) Run(ctx context.Context, f *rating.DataFrame, lim Limits) error {
	_, err := p.run(ctx, f, lim.withDefaults(), nil)
	return err
}

func (p *Program) run(ctx context.Context, f *rating.DataFrame, lim Limits, log *slog.Logger) (runResult, error) {
	name := p.script.filename()
	fail := func(kind, msg string, line, col int) error {
		return &rating.ModuleError{Module: ModuleName, Source: name, Kind: kind, Message: msg, Line: line, Column: col, At: time.Now()}
	}
	if n := f.Len(); n > lim.MaxPoints {
		return runResult{}, fail("input", fmt.Sprintf("frame has %d points, over the %d-point limit", n, lim.MaxPoints), 0, 0)
	}
	data := frameValue(f)
	predeclared := make(starlark.StringDict, len(builtins)+1)
	for k, v := range builtins {
		predeclared[k] = v
	}
	predeclared["data"] = data
	thread := &starlark.Thread{
		Name: "script " + name,
		Print: func(_ *starlark.Thread, msg string) {
			if log != nil {
				log.Debug("rating script print", "script", name, "msg", msg)
			}
		},
	}
	l := &limiter{maxSteps: lim.MaxSteps}
	thread.OnMaxSteps = l.onMaxSteps
	thread.SetMaxExecutionSteps(min(stepChunk, lim.MaxSteps))
	stop := watchdog(ctx, thread, l, lim)
	start := time.Now()
	globals, err := p.prog.Init(thread, predeclared)
	hardKind, hardMsg := stop()
	res := runResult{steps: thread.ExecutionSteps(), duration: time.Since(start)}
	if err != nil {
		var ee *starlark.EvalError
		errors.As(err, &ee)
		switch {
		case l.stopping && l.pos.Filename() == name:
			return res, fail(l.kind, l.msg, int(l.pos.Line), int(l.pos.Col))
		case l.stopping:
			return res, fail(l.kind, l.msg, 0, 0)
		case hardKind != "":
			return res, fail(hardKind, hardMsg, 0, 0)
		case ee != nil:
			line, col := errorPosition(ee, name)
			return res, fail("runtime", ee.Msg, line, col)
		}
		return res, fail("runtime", err.Error(), 0, 0)
	}
	out := starlark.Value(data)
	if v, ok := globals["data"]; ok {
		out = v
	}
	prices, err := readPrices(f, out)
	if err != nil {
		return res, fail("output", err.Error(), 0, 0)
	}
	for t, ps := range prices {
		pts := f.Usage[t]
		for i := range pts {
			pts[i].Price = ps[i]
		}
	}
	return res, nil
}

// errorPosition finds the innermost frame of the call stack that is in the
// script itself (built-ins have no line).
func errorPosition(ee *starlark.EvalError, filename string) (line, col int) {
	for i := range ee.CallStack {
		pos := ee.CallStack.At(i).Pos
		if pos.Filename() == filename && pos.Line > 0 {
			return int(pos.Line), int(pos.Col)
		}
	}
	return 0, 0
}
