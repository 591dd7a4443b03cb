package cloud

import (
	"strings"
	"time"
)

// Status is the normalised life-cycle state of a cloud object. Drivers map
// their cloud's states onto this set and keep the original in RawStatus.
type Status string

// The normalised states.
const (
	StatusPending  Status = "pending"  // being created or provisioned
	StatusStarting Status = "starting" // booting
	StatusRunning  Status = "running"  // up (instances), or usable (networks, disks, databases)
	StatusStopping Status = "stopping" // shutting down
	StatusStopped  Status = "stopped"  // powered off
	StatusDeleting Status = "deleting" // being released
	StatusDeleted  Status = "deleted"  // gone (only seen in listings that keep tombstones)
	StatusError    Status = "error"    // failed; see RawStatus
	StatusUnknown  Status = "unknown"  // the driver could not map the cloud's state
)

// Known reports whether s is one of the normalised states.
func (s Status) Known() bool {
	switch s {
	case StatusPending, StatusStarting, StatusRunning, StatusStopping, StatusStopped,
		StatusDeleting, StatusDeleted, StatusError, StatusUnknown:
		return true
	}
	return false
}

// ChargeType says how a resource is paid for.
type ChargeType string

// The charge types. The names are Aliyun's, which BridgX and the bills use.
const (
	PostPaid ChargeType = "PostPaid" // pay as you go
	PrePaid  ChargeType = "PrePaid"  // subscription
)

// Money is an amount in a currency. Amount is a decimal string ("12.3400"),
// never a float.
type Money struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// Meta is what every cloud object carries.
type Meta struct {
	// ID is the cloud's own id of the object (Cloudpods calls it external id).
	ID string `json:"id"`
	// GlobalID is stable across syncs and unique across providers and
	// accounts: see GlobalID.
	GlobalID  string            `json:"global_id"`
	Name      string            `json:"name,omitempty"`
	RegionID  string            `json:"region_id,omitempty"`
	ZoneID    string            `json:"zone_id,omitempty"`
	Status    Status            `json:"status"`
	RawStatus string            `json:"raw_status,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
	CreatedAt time.Time         `json:"created_at,omitzero"`
}

// GlobalID builds the stable global id of an object: provider, account,
// kind and the cloud's id, joined by "/" (e.g. "aliyun/1423762516458388/instance/i-abc").
func GlobalID(provider, accountID, kind, id string) string {
	return strings.ToLower(provider) + "/" + accountID + "/" + kind + "/" + id
}

// Account is the identity behind a credential.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Environment echoes the configured environment (e.g. InternationalCloud).
	Environment string `json:"environment,omitempty"`
}

// SubAccount is a billing or resource sub-account (a Cloudpods "cloud provider").
type SubAccount struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status,omitempty"`
}

// Balance is an account's balance.
type Balance struct {
	Available Money `json:"available"`
	// Credit is the credit line, when the cloud reports one.
	Credit *Money `json:"credit,omitempty"`
}

// Region is one region of a cloud.
type Region struct {
	ID        string `json:"id"`
	LocalName string `json:"local_name"` // e.g. 华北2（北京）
	Endpoint  string `json:"endpoint,omitempty"`
}

// Zone is one availability zone.
type Zone struct {
	ID        string `json:"id"`
	RegionID  string `json:"region_id"`
	LocalName string `json:"local_name"`
	// InstanceTypes lists the types on sale in the zone, when the cloud says.
	InstanceTypes []string `json:"instance_types,omitempty"`
}

// InstanceType is one machine type.
type InstanceType struct {
	ID        string `json:"id"`
	Family    string `json:"family"`
	CPU       int    `json:"cpu"`
	MemoryMiB int    `json:"memory_mib"`
	GPU       int    `json:"gpu,omitempty"`
	GPUSpec   string `json:"gpu_spec,omitempty"`
	// HourlyPrice is a list-price hint for pay-as-you-go, when known.
	HourlyPrice *Money `json:"hourly_price,omitempty"`
}

// Image is a boot image.
type Image struct {
	Meta
	OSType       string `json:"os_type"` // linux or windows
	OSName       string `json:"os_name"`
	Architecture string `json:"architecture"`
	SizeGiB      int    `json:"size_gib"`
	Public       bool   `json:"public"`
}

// ImageQuery filters images.
type ImageQuery struct {
	IDs []string
	// Owner is system, self, others or marketplace; empty means the cloud's default.
	Owner string
}

// VPC is a virtual private cloud.
type VPC struct {
	Meta
	CIDR        string `json:"cidr"`
	Description string `json:"description,omitempty"`
	IsDefault   bool   `json:"is_default"`
}

// VPCSpec describes a VPC to create.
type VPCSpec struct {
	Name        string
	CIDR        string
	Description string
	// ClientToken makes the create idempotent (and retryable).
	ClientToken string
	Tags        map[string]string
}

// Subnet is a subnet (an Aliyun vSwitch).
type Subnet struct {
	Meta
	VPCID        string `json:"vpc_id"`
	CIDR         string `json:"cidr"`
	AvailableIPs int    `json:"available_ips"`
}

// SubnetSpec describes a subnet to create.
type SubnetSpec struct {
	VPCID       string
	ZoneID      string
	CIDR        string
	Name        string
	ClientToken string
}

// SubnetQuery filters subnets.
type SubnetQuery struct {
	VPCID  string
	ZoneID string
	IDs    []string
}

// SecurityGroup is a security group with its rules.
type SecurityGroup struct {
	Meta
	VPCID       string              `json:"vpc_id"`
	Description string              `json:"description,omitempty"`
	Rules       []SecurityGroupRule `json:"rules,omitempty"`
}

// SecurityGroupSpec describes a security group to create.
type SecurityGroupSpec struct {
	VPCID       string
	Name        string
	Description string
	ClientToken string
}

// SecurityGroupQuery filters security groups.
type SecurityGroupQuery struct {
	VPCID string
	IDs   []string
}

// Direction of a security group rule.
type Direction string

// The rule directions.
const (
	Ingress Direction = "ingress"
	Egress  Direction = "egress"
)

// SecurityGroupRule is one rule. Two rules are the same rule when Key is
// equal; authorising an existing rule is a no-op.
type SecurityGroupRule struct {
	Direction Direction `json:"direction"`
	Protocol  string    `json:"protocol"`   // tcp, udp, icmp or all
	PortRange string    `json:"port_range"` // "22/22", "1/65535", "-1/-1" for all
	CIDR      string    `json:"cidr"`       // peer address range
	Action    string    `json:"action"`     // accept or drop
	Priority  int       `json:"priority"`   // 1 (highest) .. 100
	// Description is free text; it is not part of the rule's identity.
	Description string `json:"description,omitempty"`
}

// Key identifies a rule irrespective of description and letter case.
func (r SecurityGroupRule) Key() string {
	action := strings.ToLower(r.Action)
	if action == "" {
		action = "accept"
	}
	return strings.ToLower(string(r.Direction)) + "|" + strings.ToLower(r.Protocol) + "|" + r.PortRange + "|" + r.CIDR + "|" + action
}

// Instance is a virtual machine.
type Instance struct {
	Meta
	InstanceType     string     `json:"instance_type"`
	CPU              int        `json:"cpu"`
	MemoryMiB        int        `json:"memory_mib"`
	ImageID          string     `json:"image_id"`
	OSType           string     `json:"os_type,omitempty"`
	VPCID            string     `json:"vpc_id,omitempty"`
	SubnetID         string     `json:"subnet_id,omitempty"`
	SecurityGroupIDs []string   `json:"security_group_ids,omitempty"`
	PrivateIPs       []string   `json:"private_ips,omitempty"`
	PublicIPs        []string   `json:"public_ips,omitempty"`
	ChargeType       ChargeType `json:"charge_type"`
	ExpiresAt        time.Time  `json:"expires_at,omitzero"`
	StartedAt        time.Time  `json:"started_at,omitzero"`
	Hostname         string     `json:"hostname,omitempty"`
}

// DiskSpec describes a disk to attach at creation.
type DiskSpec struct {
	Category string // cloud_essd, cloud_efficiency, ...
	SizeGiB  int
}

// CreateInstancesRequest asks for Amount instances of one shape.
type CreateInstancesRequest struct {
	ZoneID           string
	InstanceType     string
	ImageID          string
	SubnetID         string
	SecurityGroupIDs []string
	Name             string
	HostName         string
	Password         string
	KeyPairName      string
	// Amount is how many to create; MinAmount, when set, lets the cloud create
	// fewer (but at least MinAmount) instead of failing. BridgX sets both equal:
	// all or nothing.
	Amount    int
	MinAmount int
	// ChargeType defaults to PostPaid; Period (months) applies to PrePaid.
	ChargeType ChargeType
	Period     int
	SystemDisk DiskSpec
	DataDisks  []DiskSpec
	// InternetMaxBandwidthOut > 0 gives each instance a public IP with that
	// bandwidth (Mbit/s).
	InternetMaxBandwidthOut int
	UserData                string
	Tags                    map[string]string
	// ClientToken makes the request idempotent: a retry with the same token
	// returns the instances of the first request and creates none. Without it
	// the request is never retried.
	ClientToken string
	// DryRun validates the request (parameters, quota, stock) and creates nothing.
	DryRun bool
}

// CreateInstancesResult lists what a create made.
type CreateInstancesResult struct {
	InstanceIDs []string `json:"instance_ids"`
	RequestID   string   `json:"request_id"`
	// DryRun is true when the request was a dry run that passed.
	DryRun bool `json:"dry_run"`
}

// InstanceQuery filters instances. Empty fields do not filter.
type InstanceQuery struct {
	IDs    []string
	Tags   map[string]string
	VPCID  string
	ZoneID string
	Status Status
}

// Disk is a block device.
type Disk struct {
	Meta
	Category   string     `json:"category"`
	SizeGiB    int        `json:"size_gib"`
	InstanceID string     `json:"instance_id,omitempty"`
	Device     string     `json:"device,omitempty"`
	Type       string     `json:"type"` // system or data
	ChargeType ChargeType `json:"charge_type"`
}

// DiskQuery filters disks.
type DiskQuery struct {
	IDs        []string
	InstanceID string
}

// Snapshot is a disk snapshot.
type Snapshot struct {
	Meta
	DiskID  string `json:"disk_id"`
	SizeGiB int    `json:"size_gib"`
}

// SnapshotSpec describes a snapshot to take.
type SnapshotSpec struct {
	DiskID      string
	Name        string
	Description string
	ClientToken string
}

// SnapshotQuery filters snapshots.
type SnapshotQuery struct {
	IDs    []string
	DiskID string
}

// EIP is an elastic public IP address.
type EIP struct {
	Meta
	Address       string     `json:"address"`
	BandwidthMbps int        `json:"bandwidth_mbps"`
	InstanceID    string     `json:"instance_id,omitempty"` // what it is bound to, if anything
	ChargeType    ChargeType `json:"charge_type"`
}

// EIPSpec describes an EIP to allocate.
type EIPSpec struct {
	Name          string
	BandwidthMbps int
	// InternetChargeType is PayByTraffic or PayByBandwidth (Aliyun names).
	InternetChargeType string
	ClientToken        string
}

// Bucket is an object storage bucket.
type Bucket struct {
	Meta
	StorageClass string `json:"storage_class"`
	ACL          string `json:"acl,omitempty"`
	Endpoint     string `json:"endpoint,omitempty"`
}

// BucketSpec describes a bucket to create.
type BucketSpec struct {
	Name         string
	StorageClass string // Standard, IA, Archive
	ACL          string // private, public-read, public-read-write
}

// BucketStats is a bucket's usage.
type BucketStats struct {
	SizeBytes   int64 `json:"size_bytes"`
	ObjectCount int64 `json:"object_count"`
}

// Database is a managed database instance (RDS).
type Database struct {
	Meta
	Engine        string     `json:"engine"`
	EngineVersion string     `json:"engine_version"`
	InstanceClass string     `json:"instance_class"`
	CPU           int        `json:"cpu,omitempty"`
	MemoryMiB     int        `json:"memory_mib,omitempty"`
	StorageGiB    int        `json:"storage_gib,omitempty"`
	VPCID         string     `json:"vpc_id,omitempty"`
	ChargeType    ChargeType `json:"charge_type"`
	ConnectionURL string     `json:"connection_url,omitempty"`
}

// Cache is a managed cache instance (Redis, Memcache).
type Cache struct {
	Meta
	Engine        string     `json:"engine"`
	EngineVersion string     `json:"engine_version"`
	InstanceClass string     `json:"instance_class"`
	CapacityMiB   int        `json:"capacity_mib"`
	VPCID         string     `json:"vpc_id,omitempty"`
	ChargeType    ChargeType `json:"charge_type"`
}

// Kafka is a managed message queue instance.
type Kafka struct {
	Meta
	Version    string     `json:"version"`
	SpecType   string     `json:"spec_type"`
	DiskGiB    int        `json:"disk_gib"`
	TopicQuota int        `json:"topic_quota"`
	VPCID      string     `json:"vpc_id,omitempty"`
	ChargeType ChargeType `json:"charge_type"`
}

// Metric names the normalised metrics (Cloudpods' names, units in the suffix).
type Metric string

// The metrics every monitoring-capable driver maps.
const (
	MetricCPUUsage      Metric = "vm_cpu.usage_active"  // percent
	MetricMemUsage      Metric = "vm_mem.used_percent"  // percent
	MetricNetIn         Metric = "vm_netio.bps_recv"    // bit/s
	MetricNetOut        Metric = "vm_netio.bps_sent"    // bit/s
	MetricDiskReadIOPS  Metric = "vm_diskio.read_iops"  // operations/s
	MetricDiskWriteIOPS Metric = "vm_diskio.write_iops" // operations/s
	MetricDiskReadBPS   Metric = "vm_diskio.read_bps"   // bytes/s
	MetricDiskWriteBPS  Metric = "vm_diskio.write_bps"  // bytes/s
)

// MetricQuery asks for metrics of instances over a window.
type MetricQuery struct {
	InstanceIDs []string
	Metrics     []Metric
	Start, End  time.Time
	// Period is the aggregation period (e.g. 60s, 300s).
	Period time.Duration
}

// MetricPoint is one aggregated sample. Metric values are measurements, not
// money, so float64 is right here.
type MetricPoint struct {
	Time    time.Time `json:"time"`
	Average float64   `json:"average"`
	Maximum float64   `json:"maximum"`
	Minimum float64   `json:"minimum"`
}

// MetricSeries is one metric of one instance.
type MetricSeries struct {
	InstanceID string        `json:"instance_id"`
	Metric     Metric        `json:"metric"`
	Unit       string        `json:"unit"`
	Points     []MetricPoint `json:"points"`
}

// BillQuery selects daily bill lines: Start and End are days (inclusive,
// UTC midnight); the range may not span more than one billing month on some
// clouds, so callers should ask month by month.
type BillQuery struct {
	Start, End time.Time
}

// BillLine is one resource's cost for one day.
type BillLine struct {
	Date         string            `json:"date"`          // 2006-01-02
	BillingCycle string            `json:"billing_cycle"` // 2006-01
	ResourceID   string            `json:"resource_id"`
	ResourceName string            `json:"resource_name,omitempty"`
	Product      string            `json:"product"` // product code, e.g. ecs
	ProductName  string            `json:"product_name,omitempty"`
	RegionID     string            `json:"region_id,omitempty"`
	ChargeType   ChargeType        `json:"charge_type"`
	SubAccountID string            `json:"sub_account_id,omitempty"`
	ListAmount   string            `json:"list_amount"`     // before discounts
	Discount     string            `json:"discount_amount"` // all discounts together
	PaidAmount   string            `json:"paid_amount"`     // what is owed
	Currency     string            `json:"currency"`
	Tags         map[string]string `json:"tags,omitempty"`
}

// PageRequest asks for one page of a listing. Token is opaque: empty for the
// first page, then the NextToken of the previous page.
type PageRequest struct {
	Token string
	// Size is the page size; 0 means the driver's default (100 on Aliyun).
	Size int
}

// Page is one page of a listing. NextToken is empty on the last page.
type Page[T any] struct {
	Items     []T    `json:"items"`
	NextToken string `json:"next_token,omitempty"`
	// Total is the total count when the cloud reports it, else -1.
	Total int `json:"total"`
	// Rest, on a first page, holds the tokens of every later page when the
	// cloud pages by number and reported a total, so that a caller may fetch
	// them at once (ForEachPage). Empty otherwise: follow NextToken.
	Rest []string `json:"-"`
}
