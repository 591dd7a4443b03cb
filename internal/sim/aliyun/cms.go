package aliyunsim

import (
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CloudMonitor (CMS): generated monitoring data. Every value is a pure
// function of (resource id, metric, time bucket): a daily shape that peaks in
// the Beijing afternoon, a per-resource level, and hash noise. Idle resources
// stay below 5 % CPU with almost no network traffic. Data exists only while a
// resource runs.

const (
	nsECS   = "acs_ecs_dashboard"
	nsRDS   = "acs_rds_dashboard"
	nsRedis = "acs_kvstore"

	metricLag = time.Minute // the newest point is this old, as in CMS
)

var ecsMetrics = map[string]bool{
	"CPUUtilization": true, "memory_usedutilization": true, "InternetInRate": true, "InternetOutRate": true,
	"IntranetInRate": true, "IntranetOutRate": true, "DiskReadIOPS": true, "DiskWriteIOPS": true,
	"DiskReadBPS": true, "DiskWriteBPS": true, "cpu_total": true, "load_5m": true,
}

var dbMetrics = map[string]bool{
	"CpuUsage": true, "MemoryUsage": true, "ConnectionUsage": true, "IOPSUsage": true, "DiskUsage": true,
	"UsedConnection": true, "IntranetIn": true, "IntranetOut": true,
}

// metricSubject is a resource monitoring data is generated for.
type metricSubject struct {
	id    string
	seq   int64
	spans []UsageSpan
	idle  bool
}

// diurnal is 0 at 02:00 Beijing time and 1 at 14:00.
func diurnal(t time.Time) float64 {
	h := float64(t.In(cst).Hour()) + float64(t.Minute())/60
	return 0.5 + 0.5*math.Sin(2*math.Pi*(h-8)/24)
}

func noise(id, metric string, t time.Time) float64 {
	return unit(hash64(id + "/" + metric + "/" + strconv.FormatInt(t.Unix(), 10)))
}

// metricValue is the average of metric over the bucket starting at t, with
// the bucket's minimum and maximum.
func metricValue(id, metric string, idle bool, t time.Time) (avg, lo, hi float64) {
	level := unit(hash64(id + "/level"))
	f := diurnal(t)
	n := noise(id, metric, t)
	spread := 0.1 + 0.3*noise(id, metric+"/spread", t)
	switch metric {
	case "CPUUtilization", "cpu_total", "CpuUsage":
		if idle {
			avg = 0.4 + 2.5*n + 0.6*f
		} else {
			avg = 12 + 35*level + 30*f*(0.5+level) + 8*(n-0.5)
		}
		avg = math.Min(math.Max(avg, 0.1), 99)
		return round2(avg), round2(math.Max(avg*(1-spread), 0)), round2(math.Min(avg*(1+spread), 100))
	case "memory_usedutilization", "MemoryUsage":
		if idle {
			avg = 8 + 12*level + 2*n
		} else {
			avg = 30 + 45*level + 10*f + 4*(n-0.5)
		}
		return round2(avg), round2(avg * 0.97), round2(math.Min(avg*1.03, 100))
	case "ConnectionUsage", "UsedConnection":
		if idle {
			avg = 0.2 * n
		} else {
			avg = 5 + 40*level*f + 5*n
		}
		if metric == "UsedConnection" {
			avg = math.Floor(avg * 20)
		}
		return round2(avg), round2(avg * (1 - spread)), round2(avg * (1 + spread))
	case "IOPSUsage", "DiskUsage":
		avg = 3 + 30*level + 10*f*float64(boolInt(!idle)) + n
		return round2(avg), round2(avg * 0.9), round2(avg * 1.1)
	case "load_5m":
		avg = 0.05 + 3*level*f*float64(boolInt(!idle))
		return round2(avg), round2(avg * 0.8), round2(avg * 1.2)
	}
	// Rates: network in bit/s, disk in operations or bytes per second.
	var base float64
	switch metric {
	case "InternetInRate", "InternetOutRate", "IntranetIn", "IntranetOut":
		if idle {
			return round2(600 * n), 0, round2(800 * n)
		}
		base = 5e4 + 4e6*level
		if metric == "InternetOutRate" {
			base *= 1.8
		}
	case "IntranetInRate", "IntranetOutRate":
		if idle {
			return round2(2000 * n), 0, round2(3000 * n)
		}
		base = 2e5 + 2e7*level
	case "DiskReadIOPS", "DiskWriteIOPS":
		if idle {
			return round2(2 * n), 0, round2(4 * n)
		}
		base = 5 + 500*level
		if metric == "DiskWriteIOPS" {
			base *= 1.6
		}
	case "DiskReadBPS", "DiskWriteBPS":
		if idle {
			return round2(8192 * n), 0, round2(16384 * n)
		}
		base = (5 + 500*level) * 16384
		if metric == "DiskWriteBPS" {
			base *= 1.6
		}
	}
	avg = base * (0.3 + f) * (0.8 + 0.4*n)
	return round2(avg), round2(avg * (1 - spread)), round2(avg * (1 + spread))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// running reports whether spans cover t.
func running(spans []UsageSpan, t time.Time) bool {
	for _, s := range spans {
		if !t.Before(s.Start) && (s.End.IsZero() || t.Before(s.End)) {
			return true
		}
	}
	return false
}

// parseCMSTime accepts what CMS documents: milliseconds since the epoch,
// "YYYY-MM-DD hh:mm:ss" (Beijing time) and RFC 3339 / ISO 8601 UTC.
func parseCMSTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		if ms < 0 || ms > 1e15 {
			return time.Time{}, false
		}
		return time.UnixMilli(ms), true
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z", "2006-01-02T15:04Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04:05", s, cst); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// parseDimensions reads Dimensions: a JSON object or array of objects, each
// naming an instanceId.
func parseDimensions(s string) ([]string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	var list []map[string]any
	if strings.HasPrefix(s, "[") {
		if err := json.Unmarshal([]byte(s), &list); err != nil {
			return nil, false
		}
	} else {
		var one map[string]any
		if err := json.Unmarshal([]byte(s), &one); err != nil {
			return nil, false
		}
		list = append(list, one)
	}
	var ids []string
	for _, m := range list {
		v, ok := m["instanceId"]
		if !ok {
			continue
		}
		id, ok := v.(string)
		if !ok {
			return nil, false
		}
		ids = append(ids, id)
	}
	if len(ids) > 1000 {
		return nil, false
	}
	return ids, true
}

type metricQuery struct {
	ns, metric string
	period     time.Duration
	from, to   time.Time
	ids        []string
	length     int
}

func (c *call) parseMetricQuery() (*metricQuery, *apiError) {
	q := &metricQuery{}
	var aerr *apiError
	if q.ns, aerr = c.p.required("Namespace"); aerr != nil {
		return nil, aerr
	}
	if q.metric, aerr = c.p.required("MetricName"); aerr != nil {
		return nil, aerr
	}
	switch q.ns {
	case nsECS:
		if !ecsMetrics[q.metric] {
			return nil, errf(http.StatusBadRequest, "InvalidParameter", "The metric %q is not found in namespace %s.", q.metric, q.ns)
		}
	case nsRDS, nsRedis:
		if !dbMetrics[q.metric] {
			return nil, errf(http.StatusBadRequest, "InvalidParameter", "The metric %q is not found in namespace %s.", q.metric, q.ns)
		}
	default:
		return nil, errf(http.StatusBadRequest, "InvalidParameter", "The namespace %q is not supported.", q.ns)
	}
	period, aerr := c.p.integer("Period", 60, 60, 86400)
	if aerr != nil || period%60 != 0 {
		return nil, errf(http.StatusBadRequest, "InvalidParameter", "The specified Period is not valid; use a multiple of 60 seconds.")
	}
	q.period = time.Duration(period) * time.Second
	q.to = c.now.Add(-metricLag)
	if v := c.p.str("EndTime"); v != "" {
		t, ok := parseCMSTime(v)
		if !ok {
			return nil, errf(http.StatusBadRequest, "InvalidParameter", "The specified EndTime %q is not valid.", v)
		}
		if t.Before(q.to) {
			q.to = t
		}
	}
	q.from = q.to.Add(-time.Hour)
	if v := c.p.str("StartTime"); v != "" {
		t, ok := parseCMSTime(v)
		if !ok {
			return nil, errf(http.StatusBadRequest, "InvalidParameter", "The specified StartTime %q is not valid.", v)
		}
		q.from = t
	}
	if q.to.Sub(q.from) > 31*24*time.Hour {
		return nil, errf(http.StatusBadRequest, "InvalidParameter", "The time range must not exceed 31 days.")
	}
	ids, ok := parseDimensions(c.p.str("Dimensions"))
	if !ok {
		return nil, errf(http.StatusBadRequest, "InvalidParameter", "The specified Dimensions are not valid JSON.")
	}
	q.ids = ids
	if q.length, aerr = c.p.integer("Length", 1000, 1, 1440); aerr != nil {
		return nil, aerr
	}
	return q, nil
}

// subjects lists what q covers, sorted by creation sequence.
func (c *call) subjects(q *metricQuery) []metricSubject {
	var rss []*regionState
	if rid := c.p.str("RegionId"); rid != "" && regionByID[rid] != nil {
		if rs := c.acct.regions[rid]; rs != nil {
			rss = append(rss, rs)
		}
	} else {
		for _, r := range regions {
			if rs := c.acct.regions[r.ID]; rs != nil {
				rss = append(rss, rs)
			}
		}
	}
	var out []metricSubject
	add := func(id string) {
		for _, rs := range rss {
			switch q.ns {
			case nsECS:
				if in, ok := rs.Instances.get(id); ok {
					out = append(out, metricSubject{in.ID, in.Seq, in.Spans, in.Idle})
					return
				}
			case nsRDS:
				if d, ok := rs.RDS.get(id); ok {
					out = append(out, metricSubject{d.ID, d.Seq, []UsageSpan{{Start: d.Created}}, d.Idle})
					return
				}
			case nsRedis:
				if d, ok := rs.Redis.get(id); ok {
					out = append(out, metricSubject{d.ID, d.Seq, []UsageSpan{{Start: d.Created}}, d.Idle})
					return
				}
			}
		}
		if q.ns == nsECS {
			for _, in := range c.acct.Retired {
				if in.ID == id {
					out = append(out, metricSubject{in.ID, in.Seq, in.Spans, in.Idle})
					return
				}
			}
		}
	}
	if len(q.ids) > 0 {
		for _, id := range q.ids {
			add(id)
		}
	} else {
		for _, rs := range rss {
			switch q.ns {
			case nsECS:
				for _, in := range rs.Instances.order {
					out = append(out, metricSubject{in.ID, in.Seq, in.Spans, in.Idle})
				}
			case nsRDS:
				for _, d := range rs.RDS.order {
					out = append(out, metricSubject{d.ID, d.Seq, []UsageSpan{{Start: d.Created}}, d.Idle})
				}
			case nsRedis:
				for _, d := range rs.Redis.order {
					out = append(out, metricSubject{d.ID, d.Seq, []UsageSpan{{Start: d.Created}}, d.Idle})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

type datapoint struct {
	Timestamp  int64   `json:"timestamp"`
	UserID     string  `json:"userId"`
	InstanceID string  `json:"instanceId"`
	Average    float64 `json:"Average"`
	Maximum    float64 `json:"Maximum"`
	Minimum    float64 `json:"Minimum"`
}

// cursor is a CMS NextToken: the subject's sequence and the bucket to resume at.
func encodeCMSToken(seq int64, bucket int64) string {
	return "cms-" + strconv.FormatInt(seq, 36) + "-" + strconv.FormatInt(bucket, 36)
}

func decodeCMSToken(tok string) (int64, int64, bool) {
	rest, ok := strings.CutPrefix(tok, "cms-")
	if !ok {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, 0, false
	}
	seq, err1 := strconv.ParseInt(a, 36, 64)
	bucket, err2 := strconv.ParseInt(b, 36, 64)
	return seq, bucket, err1 == nil && err2 == nil && seq >= 0 && bucket >= 0
}

func cmsOK(c *call, q *metricQuery, points []datapoint, next string) obj {
	if points == nil {
		points = []datapoint{}
	}
	dp, _ := json.Marshal(points)
	return obj{"RequestId": c.id, "Code": "200", "Message": "", "Success": true,
		"Period": strconv.Itoa(int(q.period.Seconds())), "Datapoints": string(dp), "NextToken": next}
}

func cmsDescribeMetricList(c *call) (any, *apiError) {
	q, aerr := c.parseMetricQuery()
	if aerr != nil {
		return nil, aerr
	}
	subs := c.subjects(q)
	startSeq, startBucket := int64(-1), int64(0)
	if tok := c.p.str("NextToken"); tok != "" {
		var ok bool
		if startSeq, startBucket, ok = decodeCMSToken(tok); !ok {
			return nil, errf(http.StatusBadRequest, "InvalidParameter", "The specified NextToken is not valid.")
		}
	}
	first := q.from.Truncate(q.period)
	if first.Before(q.from) {
		first = first.Add(q.period)
	}
	var points []datapoint
	next := ""
	i := sort.Search(len(subs), func(i int) bool { return subs[i].seq >= startSeq })
	for ; i < len(subs) && next == ""; i++ {
		s := subs[i]
		b := int64(0)
		if s.seq == startSeq {
			b = startBucket
		}
		for t := first.Add(time.Duration(b) * q.period); !t.After(q.to); t, b = t.Add(q.period), b+1 {
			if !running(s.spans, t) {
				continue
			}
			if len(points) == q.length {
				next = encodeCMSToken(s.seq, b)
				break
			}
			avg, lo, hi := metricValue(s.id, q.metric, s.idle, t)
			points = append(points, datapoint{t.UnixMilli(), c.acct.ID, s.id, avg, hi, lo})
		}
	}
	return cmsOK(c, q, points, next), nil
}

func cmsDescribeMetricLast(c *call) (any, *apiError) {
	q, aerr := c.parseMetricQuery()
	if aerr != nil {
		return nil, aerr
	}
	subs := c.subjects(q)
	start := 0
	if tok := c.p.str("NextToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "last-"))
		if err != nil || !strings.HasPrefix(tok, "last-") || n < 0 {
			return nil, errf(http.StatusBadRequest, "InvalidParameter", "The specified NextToken is not valid.")
		}
		start = n
	}
	last := q.to.Truncate(q.period)
	var points []datapoint
	next := ""
	for i := start; i < len(subs); i++ {
		s := subs[i]
		if !running(s.spans, last) {
			continue
		}
		if len(points) == q.length {
			next = "last-" + strconv.Itoa(i)
			break
		}
		avg, lo, hi := metricValue(s.id, q.metric, s.idle, last)
		points = append(points, datapoint{last.UnixMilli(), c.acct.ID, s.id, avg, hi, lo})
	}
	return cmsOK(c, q, points, next), nil
}
