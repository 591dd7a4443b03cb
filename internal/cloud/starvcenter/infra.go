package starvcenter

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
)

// Host is a physical host (cloudhost/search); State is appendix table 3.
type Host = cloud.Host

// hostStatus maps appendix table 3: stopped, running, offline (2) and
// fault checking (−1) are errors, HA checking (−2) is unknown.
func hostStatus(state int) cloud.Status {
	switch state {
	case 0:
		return cloud.StatusStopped
	case 1:
		return cloud.StatusRunning
	case 2, -1:
		return cloud.StatusError
	}
	return cloud.StatusUnknown
}

func smallInt(r record, key string) int {
	n, ok := r.int(key)
	if !ok || n < 0 || n > 1<<30 {
		return 0
	}
	return int(n)
}

// Hosts lists the physical hosts.
func (r *Region) Hosts(ctx context.Context) ([]Host, error) {
	rows, err := r.p.searchAll(ctx, "Hosts", "cloudhost/search", params{})
	if err != nil {
		return nil, err
	}
	out := make([]Host, 0, len(rows))
	for _, rec := range rows {
		st, _ := rec.int("host.state")
		h := Host{ID: rec.str("host.id"), Name: rec.str("host.name"), Description: rec.str("host.desc"), State: int(st),
			Status: hostStatus(int(st)), Connected: rec.boolean("host.isconnected"),
			IP: rec.str("host.register.address", "host.ip"), Registered: rec.str("host.authentication") == "1",
			Maintenance: rec.boolean("host.ismending"), OSProduct: rec.str("host.os.product"), OSBits: rec.str("host.os.bit"),
			OSVersion: rec.str("host.os.version", "host.os.versoin"), VirtVersion: rec.str("host.virt.version", "host.virt.versoin"),
			CPUVendor: rec.str("host.cpu.vendor"), CPUCores: smallInt(rec, "host.cpu.num"), CPUs: smallInt(rec, "host.cpus"),
			MemoryGiB: smallInt(rec, "host.mem.size"), CreatedAt: rec.time(r.p.loc, "host.createtime")}
		if h.ID != "" {
			out = append(out, h)
		}
	}
	return out, nil
}

// Storage is a storage pool (cloudstorage/search).
type Storage = cloud.Storage

// Storages lists the storage pools.
func (r *Region) Storages(ctx context.Context) ([]Storage, error) {
	rows, err := r.p.searchAll(ctx, "Storages", "cloudstorage/search", params{})
	if err != nil {
		return nil, err
	}
	out := make([]Storage, 0, len(rows))
	for _, rec := range rows {
		s := Storage{ID: rec.str("storage.id"), Name: rec.str("storage.name"), Description: rec.str("storage.desc"),
			Type: rec.str("storage.type"), Thin: rec.boolean("storage.thin"), Location: rec.str("storage.location"),
			Use: rec.str("storage.use.type"), FileType: rec.str("storage.file.type"), Access: rec.str("storage.io.auth"),
			CreatedAt: rec.time(r.p.loc, "storage.createtime")}
		s.SizeGB, _ = rec.int("storage.size")
		s.UsedGB, _ = rec.int("storage.usedsize")
		for _, m := range strings.Split(rec.str("storage.ceph.monitorip"), ",") {
			if m = strings.TrimSpace(m); m != "" {
				s.CephMonitors = append(s.CephMonitors, m)
			}
		}
		if s.ID != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// Quota is a tenant's quota and what is left of it
// (resourcequota/usableQuota): public IPs are the pool's outer IPs,
// networks its port groups, object storage its OSS. A quota of 0 means
// unlimited.
type Quota = cloud.Quota

// Quota reads the tenant's quota; it needs the tenant id (AccessKeyID).
func (r *Region) Quota(ctx context.Context) (Quota, error) {
	const op = "Quota"
	if r.p.tenantID == "" {
		return Quota{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op,
			"the tenant id is needed: set AccessKeyID to the StarVCenter tenant id")
	}
	env, err := r.p.t.call(ctx, op, http.MethodPost, "resourcequota/usableQuota", params{"tenant.id": r.p.tenantID})
	if err != nil {
		return Quota{}, err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return Quota{}, malformed(op, err)
	}
	q := Quota{TenantID: r.p.tenantID}
	for _, f := range []struct {
		key string
		dst *int64
	}{
		{"countCpu", &q.CPU}, {"cpu", &q.CPUAvailable}, {"countMemory", &q.MemoryMB}, {"memory", &q.MemoryAvailableMB},
		{"countStorage", &q.StorageGB}, {"storage", &q.StorageAvailableGB}, {"countOuterIpSize", &q.PublicIPs},
		{"outerIpSize", &q.PublicIPsAvailable}, {"countPortGroupSize", &q.Networks}, {"portGroupSize", &q.NetworksAvailable},
		{"countOss", &q.ObjectStorageGB}, {"oss", &q.ObjectStorageAvailableGB},
	} {
		*f.dst, _ = rec.int(f.key)
	}
	return q, nil
}

// PoolCapacity is the resource pool's total (resourcequota/search).
type PoolCapacity struct {
	CPU       int64 `json:"cpu"`
	MemoryMB  int64 `json:"memory_mb"`
	StorageGB int64 `json:"storage_gb"`
	OuterIPs  int64 `json:"outer_ips"`
}

// PoolCapacity reads the resource pool's total.
func (r *Region) PoolCapacity(ctx context.Context) (PoolCapacity, error) {
	const op = "PoolCapacity"
	env, err := r.p.t.call(ctx, op, http.MethodPost, "resourcequota/search", params{})
	if err != nil {
		return PoolCapacity{}, err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return PoolCapacity{}, malformed(op, err)
	}
	var c PoolCapacity
	c.CPU, _ = rec.int("cpu")
	c.MemoryMB, _ = rec.int("memory")
	c.StorageGB, _ = rec.int("storage")
	c.OuterIPs, _ = rec.int("ip")
	return c, nil
}

// QuotaLimits are the quotas resourcequota/modify sets (all required).
type QuotaLimits struct {
	CPU       int64
	MemoryMB  int64
	StorageGB int64
	OuterIPs  int64
	Subnets   int64
}

// SetQuota changes a tenant's quota.
func (r *Region) SetQuota(ctx context.Context, tenantID string, q QuotaLimits) error {
	const op = "SetQuota"
	if tenantID == "" {
		tenantID = r.p.tenantID
	}
	if tenantID == "" {
		return cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "a tenant id is required")
	}
	i64 := func(n int64) string { return itoa(int(n)) }
	_, err := r.p.t.call(ctx, op, http.MethodPut, "resourcequota/modify", params{"tenantId": tenantID,
		"cpu": i64(q.CPU), "memory": i64(q.MemoryMB), "storage": i64(q.StorageGB), "ip": i64(q.OuterIPs), "vpc": i64(q.Subnets)})
	return err
}

// Alarm is one alarm (cloudalarm/search).
type Alarm struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Level      string    `json:"level"` // high, medium, low
	ObjectID   string    `json:"object_id"`
	ObjectName string    `json:"object_name"`
	ObjectType string    `json:"object_type"`
	Content    string    `json:"content"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	RelievedAt time.Time `json:"relieved_at,omitzero"`
	RelieveWay string    `json:"relieve_way"` // auto, manual, none (not relieved)
}

// AlarmQuery filters alarms; empty fields do not filter.
type AlarmQuery struct {
	Level      string
	ObjectType string
	ObjectID   string
	RelieveWay string
	Start, End time.Time
}

// Alarms lists alarms.
func (r *Region) Alarms(ctx context.Context, q AlarmQuery) ([]Alarm, error) {
	prm := params{}
	for k, v := range map[string]string{"alarm.level": q.Level, "alarm.obj.type": q.ObjectType,
		"alarm.objid": q.ObjectID, "alarm.relieve.way": q.RelieveWay} {
		if v != "" {
			prm[k] = v
		}
	}
	if !q.Start.IsZero() {
		prm["alarm.starttime"] = q.Start.In(r.p.loc).Format(timeLayout)
	}
	if !q.End.IsZero() {
		prm["alarm.endtime"] = q.End.In(r.p.loc).Format(timeLayout)
	}
	rows, err := r.p.searchAll(ctx, "Alarms", "cloudalarm/search", prm)
	if err != nil {
		return nil, err
	}
	out := make([]Alarm, 0, len(rows))
	for _, rec := range rows {
		a := Alarm{ID: rec.str("alarm.id"), Type: rec.str("alarm.type"), Level: rec.str("alarm.level"),
			ObjectID: rec.str("alarm.objid"), ObjectName: rec.str("alarm.objname"), ObjectType: rec.str("alarm.obj.type"),
			Content: rec.str("alarm.content"), CreatedAt: rec.time(r.p.loc, "alarm.create.time"),
			RelievedAt: rec.time(r.p.loc, "alarm.relieve.time"), RelieveWay: rec.str("alarm.relieve.way")}
		if a.ID != "" {
			out = append(out, a)
		}
	}
	return out, nil
}
