package aliyun

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	kafka "github.com/alibabacloud-go/alikafka-20190916/v3/client"
	cms "github.com/alibabacloud-go/cms-20190101/v9/client"
	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	kvstore "github.com/alibabacloud-go/r-kvstore-20150101/v7/client"
	rds "github.com/alibabacloud-go/rds-20140815/v6/client"

	"github.com/skyfold/skyfold/internal/cloud"
)

// The rds, r-kvstore, alikafka and cms modules are of the SDK generation
// without context-aware methods; the driver uses their clients' endpoint
// resolution and sends the calls through the darabonba core's
// CallApiWithCtx, so cancellation works and the raw JSON is kept.

func (r *Region) core(ctx context.Context, product string) (*openapi.Client, error) {
	if err := r.p.ensureAccount(ctx); err != nil {
		return nil, err
	}
	switch product {
	case "rds":
		c, err := client(r.p, product, r.id, func(c *openapiutil.Config) (*rds.Client, error) { return rds.NewClient(c) })
		if err != nil {
			return nil, err
		}
		disableSDKError(&c.Client)
		return &c.Client, nil
	case "kvstore":
		c, err := client(r.p, product, r.id, func(c *openapiutil.Config) (*kvstore.Client, error) { return kvstore.NewClient(c) })
		if err != nil {
			return nil, err
		}
		disableSDKError(&c.Client)
		return &c.Client, nil
	case "kafka":
		c, err := client(r.p, product, r.id, func(c *openapiutil.Config) (*kafka.Client, error) { return kafka.NewClient(c) })
		if err != nil {
			return nil, err
		}
		disableSDKError(&c.Client)
		return &c.Client, nil
	case "cms":
		c, err := client(r.p, product, r.id, func(c *openapiutil.Config) (*cms.Client, error) { return cms.NewClient(c) })
		if err != nil {
			return nil, err
		}
		disableSDKError(&c.Client)
		return &c.Client, nil
	}
	return nil, errors.New("unknown product " + product)
}

func (r *Region) rpc(ctx context.Context, product, action, version string, q map[string]any) (map[string]any, error) {
	c, err := r.core(ctx, product)
	if err != nil {
		return nil, err
	}
	if q == nil {
		q = map[string]any{}
	}
	q["RegionId"] = r.id
	return r.p.callRPC(ctx, c, product+"."+action, action, version, q)
}

// --- RDS ---

// ListDatabases returns one page with RDS DescribeDBInstances.
func (r *Region) ListDatabases(ctx context.Context, page cloud.PageRequest) (cloud.Page[cloud.Database], error) {
	out := cloud.Page[cloud.Database]{Total: -1}
	num, err := pageNumber("rds.DescribeDBInstances", page.Token)
	if err != nil {
		return out, err
	}
	size := r.pageSize(page, maxPageSize)
	body, err := r.rpc(ctx, "rds", "DescribeDBInstances", "2014-08-15", map[string]any{
		"PageNumber": strconv.Itoa(num), "PageSize": strconv.Itoa(size)})
	if err != nil {
		return out, err
	}
	for _, it := range objects(field(body, "Items", "DBInstance")) {
		if d := r.database(ctx, it); d.ID != "" {
			out.Items = append(out.Items, d)
		}
	}
	out.Total = toInt(body["TotalRecordCount"])
	out.NextToken, out.Rest = pageLinks(num, size, out.Total, len(out.Items))
	return out, nil
}

// GetDatabase calls RDS DescribeDBInstanceAttribute.
func (r *Region) GetDatabase(ctx context.Context, id string) (cloud.Database, error) {
	const op = "rds.DescribeDBInstanceAttribute"
	if strings.TrimSpace(id) == "" {
		return cloud.Database{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "database id is required")
	}
	body, err := r.rpc(ctx, "rds", "DescribeDBInstanceAttribute", "2014-08-15", map[string]any{"DBInstanceId": id})
	if err != nil {
		return cloud.Database{}, err
	}
	for _, it := range objects(field(body, "Items", "DBInstanceAttribute")) {
		if d := r.database(ctx, it); d.ID == id {
			return d, nil
		}
	}
	return cloud.Database{}, &cloud.Error{Kind: cloud.ErrNotFound, Provider: providerName, Op: op, Code: "InvalidDBInstanceId.NotFound",
		Message: "database " + id + " does not exist", RequestID: toString(body["RequestId"])}
}

func (r *Region) database(ctx context.Context, it map[string]any) cloud.Database {
	id := toString(it["DBInstanceId"])
	if id == "" {
		return cloud.Database{}
	}
	raw := toString(it["DBInstanceStatus"])
	return cloud.Database{
		Meta: r.meta(ctx, "rds", id, toString(it["DBInstanceDescription"]), toString(it["ZoneId"]), raw, resourceStatus(raw),
			nil, firstNonEmpty(toString(it["CreationTime"]), toString(it["CreateTime"]))),
		Engine: strings.ToLower(toString(it["Engine"])), EngineVersion: toString(it["EngineVersion"]),
		InstanceClass: toString(it["DBInstanceClass"]), CPU: toInt(it["DBInstanceCPU"]), MemoryMiB: toInt(it["DBInstanceMemory"]),
		StorageGiB: toInt(it["DBInstanceStorage"]), VPCID: toString(it["VpcId"]), ChargeType: chargeType(toString(it["PayType"])),
		ConnectionURL: toString(it["ConnectionString"]),
	}
}

// --- Redis (r-kvstore) ---

// ListCaches returns one page with R-KVStore DescribeInstances.
func (r *Region) ListCaches(ctx context.Context, page cloud.PageRequest) (cloud.Page[cloud.Cache], error) {
	out := cloud.Page[cloud.Cache]{Total: -1}
	num, err := pageNumber("kvstore.DescribeInstances", page.Token)
	if err != nil {
		return out, err
	}
	size := r.pageSize(page, 50) // R-KVStore pages at most 50
	body, err := r.rpc(ctx, "kvstore", "DescribeInstances", "2015-01-01", map[string]any{
		"PageNumber": strconv.Itoa(num), "PageSize": strconv.Itoa(size)})
	if err != nil {
		return out, err
	}
	for _, it := range objects(field(body, "Instances", "KVStoreInstance")) {
		if c := r.cache(ctx, it); c.ID != "" {
			out.Items = append(out.Items, c)
		}
	}
	out.Total = toInt(body["TotalCount"])
	out.NextToken, out.Rest = pageLinks(num, size, out.Total, len(out.Items))
	return out, nil
}

// GetCache calls R-KVStore DescribeInstanceAttribute.
func (r *Region) GetCache(ctx context.Context, id string) (cloud.Cache, error) {
	const op = "kvstore.DescribeInstanceAttribute"
	if strings.TrimSpace(id) == "" {
		return cloud.Cache{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "cache id is required")
	}
	body, err := r.rpc(ctx, "kvstore", "DescribeInstanceAttribute", "2015-01-01", map[string]any{"InstanceId": id})
	if err != nil {
		return cloud.Cache{}, err
	}
	for _, it := range objects(field(body, "Instances", "DBInstanceAttribute")) {
		if c := r.cache(ctx, it); c.ID == id {
			return c, nil
		}
	}
	return cloud.Cache{}, &cloud.Error{Kind: cloud.ErrNotFound, Provider: providerName, Op: op, Code: "InvalidInstanceId.NotFound",
		Message: "cache " + id + " does not exist", RequestID: toString(body["RequestId"])}
}

func (r *Region) cache(ctx context.Context, it map[string]any) cloud.Cache {
	id := toString(it["InstanceId"])
	if id == "" {
		return cloud.Cache{}
	}
	raw := toString(it["InstanceStatus"])
	return cloud.Cache{
		Meta: r.meta(ctx, "cache", id, toString(it["InstanceName"]), toString(it["ZoneId"]), raw, resourceStatus(raw), nil,
			firstNonEmpty(toString(it["CreateTime"]), toString(it["CreationTime"]))),
		Engine: strings.ToLower(firstNonEmpty(toString(it["InstanceType"]), "redis")), EngineVersion: toString(it["EngineVersion"]),
		InstanceClass: toString(it["InstanceClass"]), CapacityMiB: toInt(it["Capacity"]), VPCID: toString(it["VpcId"]),
		ChargeType: chargeType(toString(it["ChargeType"])),
	}
}

// --- Kafka ---

// kafkaAll lists every Kafka instance of the region (GetInstanceList does
// not page).
func (r *Region) kafkaAll(ctx context.Context, ids []string) ([]cloud.Kafka, string, error) {
	const op = "kafka.GetInstanceList"
	q := map[string]any{}
	for i, id := range ids {
		q["InstanceId."+strconv.Itoa(i+1)] = id
	}
	body, err := r.rpc(ctx, "kafka", "GetInstanceList", "2019-09-16", q)
	if err != nil {
		return nil, "", err
	}
	rid := toString(body["RequestId"])
	if err := bssFailure(op, body); err != nil {
		return nil, rid, err
	}
	var out []cloud.Kafka
	for _, it := range objects(field(body, "InstanceList", "InstanceVO")) {
		id := toString(it["InstanceId"])
		if id == "" {
			continue
		}
		raw := toString(it["ServiceStatus"])
		charge := cloud.PostPaid
		if toString(it["PaidType"]) == "0" {
			charge = cloud.PrePaid
		}
		created := ""
		if ms := toInt(it["CreateTime"]); ms > 0 {
			created = time.UnixMilli(int64(ms)).UTC().Format(time.RFC3339)
		}
		out = append(out, cloud.Kafka{
			Meta:     r.meta(ctx, "kafka", id, toString(it["Name"]), toString(it["ZoneId"]), raw, kafkaStatus(raw), nil, created),
			Version:  toString(field(it, "UpgradeServiceDetailInfo", "Current2OpenSourceVersion")),
			SpecType: toString(it["SpecType"]), DiskGiB: toInt(it["DiskSize"]), TopicQuota: toInt(it["TopicNumLimit"]),
			VPCID: toString(it["VpcId"]), ChargeType: charge,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, rid, nil
}

// kafkaStatus maps GetInstanceList's numeric ServiceStatus.
func kafkaStatus(raw string) cloud.Status {
	switch raw {
	case "0", "1":
		return cloud.StatusPending
	case "5":
		return cloud.StatusRunning
	case "15":
		return cloud.StatusStopped
	}
	return cloud.StatusUnknown
}

// ListKafkas returns one page of Kafka instances; the token is an offset.
func (r *Region) ListKafkas(ctx context.Context, page cloud.PageRequest) (cloud.Page[cloud.Kafka], error) {
	all, _, err := r.kafkaAll(ctx, nil)
	if err != nil {
		return cloud.Page[cloud.Kafka]{Total: -1}, err
	}
	off := 0
	if page.Token != "" {
		n, err := strconv.Atoi(page.Token)
		if err != nil || n < 0 {
			return cloud.Page[cloud.Kafka]{Total: -1}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, "kafka.GetInstanceList", "bad page token")
		}
		off = min(n, len(all))
	}
	end := min(off+r.pageSize(page, maxPageSize), len(all))
	out := cloud.Page[cloud.Kafka]{Items: all[off:end], Total: len(all)}
	if end < len(all) {
		out.NextToken = strconv.Itoa(end)
	}
	return out, nil
}

// GetKafka finds one Kafka instance.
func (r *Region) GetKafka(ctx context.Context, id string) (cloud.Kafka, error) {
	const op = "kafka.GetInstanceList"
	if strings.TrimSpace(id) == "" {
		return cloud.Kafka{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "kafka id is required")
	}
	all, rid, err := r.kafkaAll(ctx, []string{id})
	if err != nil {
		return cloud.Kafka{}, err
	}
	for _, k := range all {
		if k.ID == id {
			return k, nil
		}
	}
	return cloud.Kafka{}, &cloud.Error{Kind: cloud.ErrNotFound, Provider: providerName, Op: op, Code: "InvalidInstanceId.NotFound",
		Message: "kafka " + id + " does not exist", RequestID: rid}
}

// --- CloudMonitor ---

// cmsMetric maps our metrics to acs_ecs_dashboard metric names and units.
var cmsMetric = map[cloud.Metric]struct{ name, unit string }{
	cloud.MetricCPUUsage:      {"CPUUtilization", "%"},
	cloud.MetricMemUsage:      {"memory_usedutilization", "%"},
	cloud.MetricNetIn:         {"InternetInRate", "bit/s"},
	cloud.MetricNetOut:        {"InternetOutRate", "bit/s"},
	cloud.MetricDiskReadIOPS:  {"DiskReadIOPS", "count/s"},
	cloud.MetricDiskWriteIOPS: {"DiskWriteIOPS", "count/s"},
	cloud.MetricDiskReadBPS:   {"DiskReadBPS", "Byte/s"},
	cloud.MetricDiskWriteBPS:  {"DiskWriteBPS", "Byte/s"},
}

// datapoint is one element of CMS's Datapoints JSON text.
type datapoint struct {
	Timestamp  json.Number `json:"timestamp"`
	InstanceID string      `json:"instanceId"`
	Average    json.Number `json:"Average"`
	Maximum    json.Number `json:"Maximum"`
	Minimum    json.Number `json:"Minimum"`
}

// parseDatapoints reads CMS's Datapoints (a JSON array in a string) into
// points per instance. Malformed text is an error; malformed points are
// skipped.
func parseDatapoints(s string) (map[string][]cloud.MetricPoint, error) {
	out := map[string][]cloud.MetricPoint{}
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return out, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, err
	}
	for _, r := range raw {
		var dp datapoint
		if json.Unmarshal(r, &dp) != nil || dp.InstanceID == "" {
			continue
		}
		ms, err := dp.Timestamp.Int64()
		if err != nil || ms <= 0 {
			continue
		}
		f := func(n json.Number) float64 {
			v, err := n.Float64()
			if err != nil || v != v {
				return 0
			}
			return v
		}
		out[dp.InstanceID] = append(out[dp.InstanceID], cloud.MetricPoint{Time: time.UnixMilli(ms).UTC(),
			Average: f(dp.Average), Maximum: f(dp.Maximum), Minimum: f(dp.Minimum)})
	}
	for id := range out {
		sort.Slice(out[id], func(i, j int) bool { return out[id][i].Time.Before(out[id][j].Time) })
	}
	return out, nil
}

// Metrics calls CMS DescribeMetricList per metric for batches of 50
// instances, following NextToken.
func (r *Region) Metrics(ctx context.Context, q cloud.MetricQuery) ([]cloud.MetricSeries, error) {
	const op = "cms.DescribeMetricList"
	ids := nonEmpty(q.InstanceIDs)
	if len(ids) == 0 || len(q.Metrics) == 0 || !q.End.After(q.Start) {
		return nil, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "need instances, metrics and Start < End")
	}
	period := int(q.Period / time.Second)
	if period <= 0 {
		period = 60
	}
	var out []cloud.MetricSeries
	for _, m := range q.Metrics {
		spec, ok := cmsMetric[m]
		if !ok {
			return nil, cloud.Errorf(cloud.ErrNotSupported, providerName, op, "metric %q", m)
		}
		points := map[string][]cloud.MetricPoint{}
		for _, ch := range chunks(ids, 50) {
			dims := make([]map[string]string, len(ch))
			for i, id := range ch {
				dims[i] = map[string]string{"instanceId": id}
			}
			dj, _ := json.Marshal(dims)
			token := ""
			for range 1000 {
				query := map[string]any{
					"Namespace": "acs_ecs_dashboard", "MetricName": spec.name, "Period": strconv.Itoa(period),
					"StartTime": strconv.FormatInt(q.Start.UnixMilli(), 10), "EndTime": strconv.FormatInt(q.End.UnixMilli(), 10),
					"Dimensions": string(dj), "Length": "1440",
				}
				if token != "" {
					query["NextToken"] = token
				}
				body, err := r.rpc(ctx, "cms", "DescribeMetricList", "2019-01-01", query)
				if err != nil {
					return nil, err
				}
				if err := bssFailure(op, body); err != nil {
					return nil, err
				}
				pts, err := parseDatapoints(toString(body["Datapoints"]))
				if err != nil {
					return nil, &cloud.Error{Kind: cloud.ErrProvider, Provider: providerName, Op: op, RequestID: toString(body["RequestId"]),
						Message: "malformed Datapoints: " + err.Error()}
				}
				for id, p := range pts {
					points[id] = append(points[id], p...)
				}
				next := toString(body["NextToken"])
				if next == "" || next == token {
					break
				}
				token = next
			}
		}
		for _, id := range ids {
			out = append(out, cloud.MetricSeries{InstanceID: id, Metric: m, Unit: spec.unit, Points: points[id]})
		}
	}
	return out, nil
}
