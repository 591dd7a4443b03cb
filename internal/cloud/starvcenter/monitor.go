package starvcenter

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
)

// StarVCenter keeps monitoring history per VM in three lines: minute (the
// last hour), hour (the last day) and day (the last month), with CPU and
// memory in percent and disk and network speeds in KB/s. The driver picks
// the finest line that covers the window, keeps the samples inside
// [Start, End], converts units (KB/s is 1024 bytes/s, so disk speeds ×1024
// give bytes/s and network speeds ×8192 give bit/s) and, when Period is
// longer than the line's step, aggregates the samples into Period buckets
// (average, maximum, minimum); otherwise each sample is one point.
// Per-disk IOPS exist only as a current value (everydisk/current), so
// read/write IOPS series are not produced.

// lineSpec is one history line.
type lineSpec struct {
	name  string
	step  time.Duration
	cover time.Duration
}

var lines = []lineSpec{
	{"minute", time.Minute, time.Hour},
	{"hour", time.Hour, 24 * time.Hour},
	{"day", 24 * time.Hour, 30 * 24 * time.Hour},
}

// pickLine chooses the finest history line that covers the window.
func pickLine(start time.Time, now time.Time) lineSpec {
	for _, l := range lines {
		if start.IsZero() || now.Sub(start) <= l.cover+l.step {
			return l
		}
	}
	return lines[len(lines)-1]
}

// metricSource says where a metric comes from and how to convert it.
type metricSource struct {
	path  string // history endpoint
	field string
	scale float64
	unit  string
}

var metricSources = map[cloud.Metric]metricSource{
	cloud.MetricCPUUsage:     {"cloudmonitor/compute/history", "monitor.cpu.rate", 1, "percent"},
	cloud.MetricMemUsage:     {"cloudmonitor/compute/history", "monitor.mem.rate", 1, "percent"},
	cloud.MetricDiskReadBPS:  {"cloudmonitor/disk/history", "monitor.disk.readspeed", 1024, "bytes/s"},
	cloud.MetricDiskWriteBPS: {"cloudmonitor/disk/history", "monitor.disk.writespeed", 1024, "bytes/s"},
	cloud.MetricNetIn:        {"cloudmonitor/net/history", "monitor.net.downspeed", 8192, "bit/s"},
	cloud.MetricNetOut:       {"cloudmonitor/net/history", "monitor.net.upspeed", 8192, "bit/s"},
}

// SupportedMetrics lists the metrics Metrics can return.
var SupportedMetrics = []cloud.Metric{cloud.MetricCPUUsage, cloud.MetricMemUsage, cloud.MetricNetIn,
	cloud.MetricNetOut, cloud.MetricDiskReadBPS, cloud.MetricDiskWriteBPS}

// Metrics returns one series per VM and metric. Metrics StarVCenter has no
// history of (IOPS) are left out; a VM without samples gives an empty
// series, and a VM that no longer exists none.
func (r *Region) Metrics(ctx context.Context, q cloud.MetricQuery) ([]cloud.MetricSeries, error) {
	const op = "Metrics"
	metrics := q.Metrics
	if len(metrics) == 0 {
		metrics = SupportedMetrics
	}
	if !q.End.IsZero() && !q.Start.IsZero() && q.End.Before(q.Start) {
		return nil, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "End %s is before Start %s", q.End, q.Start)
	}
	line := pickLine(q.Start, time.Now())
	var out []cloud.MetricSeries
vms:
	for _, vm := range dedupIDs(q.InstanceIDs) {
		cache := map[string][]record{}
		for _, m := range metrics {
			src, ok := metricSources[m]
			if !ok {
				continue
			}
			rows, ok := cache[src.path]
			if !ok {
				env, err := r.p.t.call(ctx, op, http.MethodPost, src.path,
					params{"monitor.obj.type": "vm", "monitor.obj": vm, "lineType": line.name})
				if errors.Is(err, cloud.ErrNotFound) {
					// Deleted since the caller listed it: one gone VM must
					// not cost the others their samples.
					r.p.log.DebugContext(ctx, "starvcenter: no metrics for a missing vm", "vm", vm)
					continue vms
				}
				if err != nil {
					return nil, err
				}
				if rows, err = decodeRecords(env.Data); err != nil {
					return nil, malformed(op, err)
				}
				cache[src.path] = rows
			}
			out = append(out, bucket(r.series(vm, m, src, rows, q), q.Period, line.step))
		}
	}
	return out, nil
}

// series converts history rows into one series, skipping empty values
// ("no data", the document says) and samples outside the window.
func (r *Region) series(vm string, m cloud.Metric, src metricSource, rows []record, q cloud.MetricQuery) cloud.MetricSeries {
	s := cloud.MetricSeries{InstanceID: vm, Metric: m, Unit: src.unit, Points: []cloud.MetricPoint{}}
	for _, row := range rows {
		if obj := row.str("monitor.obj"); obj != "" && obj != vm {
			continue
		}
		t := row.time(r.p.loc, "monitor.createtime")
		if t.IsZero() || (!q.Start.IsZero() && t.Before(q.Start)) || (!q.End.IsZero() && t.After(q.End)) {
			continue
		}
		v, ok := row.num(src.field)
		if !ok {
			continue
		}
		v *= src.scale
		s.Points = append(s.Points, cloud.MetricPoint{Time: t, Average: v, Maximum: v, Minimum: v})
	}
	slices.SortFunc(s.Points, func(a, b cloud.MetricPoint) int { return a.Time.Compare(b.Time) })
	return s
}

// bucket aggregates a series into period-long buckets when the period is
// longer than the samples' step.
func bucket(s cloud.MetricSeries, period, step time.Duration) cloud.MetricSeries {
	if period <= step || len(s.Points) == 0 {
		return s
	}
	var out []cloud.MetricPoint
	var sum float64
	var n int
	flush := func() {
		if n > 0 {
			out[len(out)-1].Average = sum / float64(n)
		}
	}
	for _, p := range s.Points {
		t := p.Time.Truncate(period)
		if len(out) == 0 || !out[len(out)-1].Time.Equal(t) {
			flush()
			out = append(out, cloud.MetricPoint{Time: t, Maximum: p.Maximum, Minimum: p.Minimum})
			sum, n = 0, 0
		}
		last := &out[len(out)-1]
		last.Maximum = max(last.Maximum, p.Maximum)
		last.Minimum = min(last.Minimum, p.Minimum)
		sum += p.Average
		n++
	}
	flush()
	s.Points = out
	return s
}

// ComputeSample is a current CPU and memory reading (cloudmonitor/compute/currents).
type ComputeSample struct {
	ObjectID     string    `json:"object_id"`
	Time         time.Time `json:"time,omitzero"`
	CPUPercent   *float64  `json:"cpu_percent,omitempty"` // nil: no data
	MemPercent   *float64  `json:"mem_percent,omitempty"`
	CPUs         int       `json:"cpus"`
	MemoryMB     int64     `json:"memory_mb"`
	MemoryUsedMB *int64    `json:"memory_used_mb,omitempty"`
	DiskUsedMB   *int64    `json:"disk_used_mb,omitempty"`
}

// CurrentCompute reads the current CPU and memory of VMs (kind "vm") or
// hosts (kind "host") in one call.
func (r *Region) CurrentCompute(ctx context.Context, kind string, ids []string) ([]ComputeSample, error) {
	const op = "CurrentCompute"
	kind = strings.TrimSpace(kind)
	if kind != "vm" && kind != "host" {
		return nil, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "kind %q: want vm or host", kind)
	}
	ids = dedupIDs(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	env, err := r.p.t.call(ctx, op, http.MethodPost, "cloudmonitor/compute/currents",
		params{"monitor.obj.type": kind, "monitor.objids": ids})
	if err != nil {
		return nil, err
	}
	rows, err := decodeRecords(env.Data)
	if err != nil {
		return nil, malformed(op, err)
	}
	out := make([]ComputeSample, 0, len(rows))
	for _, row := range rows {
		s := ComputeSample{ObjectID: row.str("monitor.obj"), Time: row.time(r.p.loc, "monitor.createtime")}
		if v, ok := row.num("monitor.cpu.rate"); ok {
			s.CPUPercent = &v
		}
		if v, ok := row.num("monitor.mem.rate"); ok {
			s.MemPercent = &v
		}
		if n, ok := row.int("monitor.cpu.num"); ok && n >= 0 && n < 1<<20 {
			s.CPUs = int(n)
		}
		s.MemoryMB, _ = row.int("monitor.mem.size")
		if n, ok := row.int("monitor.mem.usedsize"); ok {
			s.MemoryUsedMB = &n
		}
		if n, ok := row.int("monitor.disk.usedsize"); ok {
			s.DiskUsedMB = &n
		}
		out = append(out, s)
	}
	return out, nil
}
