package cloud

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
)

// AccountConfig is what a driver needs to open one cloud account.
type AccountConfig struct {
	AccessKeyID     string
	AccessKeySecret string
	// Endpoint, when set, overrides every product endpoint of the cloud with
	// one URL, e.g. "http://127.0.0.1:8080" for a simulator or test server.
	Endpoint string
	// Environment selects the cloud's partition, e.g. "InternationalCloud"
	// (Cloudpods' access_url for Aliyun).
	Environment string
	// DefaultRegion is used for account-level calls that need a region.
	DefaultRegion string
	// Options holds driver-specific settings (documented by each driver).
	Options map[string]string
	// HTTPClient, when set, carries every request (tests, proxies).
	HTTPClient *http.Client
	// Logger receives driver logs; nil means slog.Default().
	Logger *slog.Logger
}

// Capability names a group of operations a driver implements. The names are
// Cloudpods' capability names where it has one.
type Capability string

// The capability groups.
const (
	CapAccount       Capability = "account"        // ValidateCredentials, Account, SubAccounts
	CapBalance       Capability = "balance"        // Balance
	CapBill          Capability = "bill"           // Bills
	CapCompute       Capability = "compute"        // zones, instance types, images, instances
	CapNetwork       Capability = "network"        // VPCs, subnets
	CapSecurityGroup Capability = "security_group" // security groups and rules
	CapBlockStorage  Capability = "block_storage"  // disks
	CapSnapshot      Capability = "snapshot"       // snapshots
	CapEIP           Capability = "eip"            // elastic IPs
	CapObjectStore   Capability = "objectstore"    // buckets
	CapRDS           Capability = "rds"            // managed databases
	CapCache         Capability = "cache"          // managed caches
	CapKafka         Capability = "kafka"          // managed Kafka
	CapMonitor       Capability = "monitor"        // metrics
)

// Capabilities is a set of capability groups.
type Capabilities []Capability

// Has reports whether c holds cap.
func (c Capabilities) Has(cap Capability) bool { return slices.Contains(c, cap) }

// Provider is one cloud account. Account-level operations live here;
// region-scoped ones on the RegionClient that Region returns.
type Provider interface {
	// Name returns the canonical provider name, e.g. "Aliyun".
	Name() string
	// Capabilities lists the operation groups this driver implements; calls
	// outside them return ErrNotSupported.
	Capabilities() Capabilities
	AccountService
	BalanceService
	BillService
	// Regions lists the regions the account can use.
	Regions(ctx context.Context) ([]Region, error)
	// Region returns a client for region-scoped operations; it does no I/O,
	// so an unknown region shows up as ErrNotFound / ErrInvalidParameter on
	// the first call.
	Region(id string) (RegionClient, error)
	// Close releases the driver's connections.
	Close() error
}

// AccountService is the identity of an account.
type AccountService interface {
	// ValidateCredentials checks the credential with the cheapest
	// authenticated call; a bad key gives ErrInvalidCredential.
	ValidateCredentials(ctx context.Context) error
	// Account returns the account id and name behind the credential.
	Account(ctx context.Context) (Account, error)
	// SubAccounts lists the sub-accounts (at least the account itself).
	SubAccounts(ctx context.Context) ([]SubAccount, error)
}

// BalanceService reads an account's balance.
type BalanceService interface {
	// Balance returns the available balance as a decimal string with currency.
	Balance(ctx context.Context) (Balance, error)
}

// BillService reads an account's bills.
type BillService interface {
	// Bills returns one page of daily, per-resource cost lines.
	Bills(ctx context.Context, q BillQuery, page PageRequest) (Page[BillLine], error)
}

// RegionClient is every region-scoped operation. Consumers should depend on
// the small interfaces it embeds.
type RegionClient interface {
	// RegionID returns the region this client works in.
	RegionID() string
	ZoneService
	CatalogService
	NetworkService
	SecurityGroupService
	InstanceService
	DiskService
	SnapshotService
	EIPService
	BucketService
	DatabaseService
	CacheService
	KafkaService
	MetricService
}

// ZoneService lists availability zones.
type ZoneService interface {
	// Zones lists the region's zones.
	Zones(ctx context.Context) ([]Zone, error)
}

// CatalogService lists what instances can be made of.
type CatalogService interface {
	// InstanceTypes lists the machine types offered in the region.
	InstanceTypes(ctx context.Context) ([]InstanceType, error)
	// Images lists boot images.
	Images(ctx context.Context, q ImageQuery, page PageRequest) (Page[Image], error)
}

// NetworkService manages VPCs and subnets.
type NetworkService interface {
	// CreateVPC creates a VPC and returns it (possibly still pending).
	CreateVPC(ctx context.Context, spec VPCSpec) (VPC, error)
	// DeleteVPC deletes a VPC; it must be empty.
	DeleteVPC(ctx context.Context, id string) error
	// GetVPC returns one VPC or ErrNotFound.
	GetVPC(ctx context.Context, id string) (VPC, error)
	// ListVPCs returns one page of VPCs.
	ListVPCs(ctx context.Context, page PageRequest) (Page[VPC], error)
	// CreateSubnet creates a subnet in a VPC and zone.
	CreateSubnet(ctx context.Context, spec SubnetSpec) (Subnet, error)
	// DeleteSubnet deletes a subnet; it must be empty.
	DeleteSubnet(ctx context.Context, id string) error
	// GetSubnet returns one subnet or ErrNotFound.
	GetSubnet(ctx context.Context, id string) (Subnet, error)
	// ListSubnets returns one page of subnets.
	ListSubnets(ctx context.Context, q SubnetQuery, page PageRequest) (Page[Subnet], error)
}

// SecurityGroupService manages security groups and their rules.
type SecurityGroupService interface {
	// CreateSecurityGroup creates an empty security group in a VPC.
	CreateSecurityGroup(ctx context.Context, spec SecurityGroupSpec) (SecurityGroup, error)
	// DeleteSecurityGroup deletes a security group no instance uses.
	DeleteSecurityGroup(ctx context.Context, id string) error
	// GetSecurityGroup returns one security group with its rules, or ErrNotFound.
	GetSecurityGroup(ctx context.Context, id string) (SecurityGroup, error)
	// ListSecurityGroups returns one page of security groups (without rules).
	ListSecurityGroups(ctx context.Context, q SecurityGroupQuery, page PageRequest) (Page[SecurityGroup], error)
	// AuthorizeRules adds rules; a rule that already exists is left as is.
	AuthorizeRules(ctx context.Context, groupID string, rules []SecurityGroupRule) error
	// RevokeRules removes rules; a rule that does not exist is ignored.
	RevokeRules(ctx context.Context, groupID string, rules []SecurityGroupRule) error
}

// InstanceService manages virtual machines.
type InstanceService interface {
	// CreateInstances creates req.Amount instances in one call (idempotent with
	// a client token) and returns their ids.
	CreateInstances(ctx context.Context, req CreateInstancesRequest) (CreateInstancesResult, error)
	// GetInstance returns one instance or ErrNotFound.
	GetInstance(ctx context.Context, id string) (Instance, error)
	// ListInstances returns one page of instances matching q (by ids, tags, ...).
	ListInstances(ctx context.Context, q InstanceQuery, page PageRequest) (Page[Instance], error)
	// StartInstances starts stopped instances.
	StartInstances(ctx context.Context, ids []string) error
	// StopInstances stops running instances; force skips the guest shutdown.
	StopInstances(ctx context.Context, ids []string, force bool) error
	// RebootInstances reboots running instances.
	RebootInstances(ctx context.Context, ids []string, force bool) error
	// DeleteInstances releases instances; force releases running ones too.
	DeleteInstances(ctx context.Context, ids []string, force bool) error
	// ChangeInstanceType changes the machine type of a (stopped) instance.
	ChangeInstanceType(ctx context.Context, id, instanceType string) error
}

// DiskService lists block devices.
type DiskService interface {
	// ListDisks returns one page of disks.
	ListDisks(ctx context.Context, q DiskQuery, page PageRequest) (Page[Disk], error)
}

// SnapshotService manages disk snapshots.
type SnapshotService interface {
	// CreateSnapshot starts a snapshot of a disk.
	CreateSnapshot(ctx context.Context, spec SnapshotSpec) (Snapshot, error)
	// DeleteSnapshot deletes a snapshot.
	DeleteSnapshot(ctx context.Context, id string) error
	// ListSnapshots returns one page of snapshots.
	ListSnapshots(ctx context.Context, q SnapshotQuery, page PageRequest) (Page[Snapshot], error)
}

// EIPService manages elastic IPs.
type EIPService interface {
	// AllocateEIP allocates a new public address.
	AllocateEIP(ctx context.Context, spec EIPSpec) (EIP, error)
	// ReleaseEIP releases an (unbound) address.
	ReleaseEIP(ctx context.Context, id string) error
	// ListEIPs returns one page of addresses.
	ListEIPs(ctx context.Context, page PageRequest) (Page[EIP], error)
}

// BucketService manages object storage buckets of the region.
type BucketService interface {
	// CreateBucket creates a bucket in the region.
	CreateBucket(ctx context.Context, spec BucketSpec) (Bucket, error)
	// DeleteBucket deletes an empty bucket.
	DeleteBucket(ctx context.Context, name string) error
	// ListBuckets lists the region's buckets.
	ListBuckets(ctx context.Context) ([]Bucket, error)
	// BucketStats returns a bucket's size and object count.
	BucketStats(ctx context.Context, name string) (BucketStats, error)
}

// DatabaseService reads managed databases.
type DatabaseService interface {
	// ListDatabases returns one page of database instances.
	ListDatabases(ctx context.Context, page PageRequest) (Page[Database], error)
	// GetDatabase returns one database instance or ErrNotFound.
	GetDatabase(ctx context.Context, id string) (Database, error)
}

// CacheService reads managed caches.
type CacheService interface {
	// ListCaches returns one page of cache instances.
	ListCaches(ctx context.Context, page PageRequest) (Page[Cache], error)
	// GetCache returns one cache instance or ErrNotFound.
	GetCache(ctx context.Context, id string) (Cache, error)
}

// KafkaService reads managed Kafka instances.
type KafkaService interface {
	// ListKafkas returns one page of Kafka instances.
	ListKafkas(ctx context.Context, page PageRequest) (Page[Kafka], error)
	// GetKafka returns one Kafka instance or ErrNotFound.
	GetKafka(ctx context.Context, id string) (Kafka, error)
}

// MetricService reads monitoring data.
type MetricService interface {
	// Metrics returns one series per instance and metric over the window.
	Metrics(ctx context.Context, q MetricQuery) ([]MetricSeries, error)
}
