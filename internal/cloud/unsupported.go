package cloud

import "context"

// NotSupportedRegion implements every RegionClient method by returning
// ErrNotSupported. Drivers embed it and override what they implement.
type NotSupportedRegion struct {
	// ProviderName is put in the errors.
	ProviderName string
}

func (n NotSupportedRegion) ns(op string) error { return NotSupported(n.ProviderName, op) }

// Zones returns ErrNotSupported.
func (n NotSupportedRegion) Zones(context.Context) ([]Zone, error) { return nil, n.ns("Zones") }

// InstanceTypes returns ErrNotSupported.
func (n NotSupportedRegion) InstanceTypes(context.Context) ([]InstanceType, error) {
	return nil, n.ns("InstanceTypes")
}

// Images returns ErrNotSupported.
func (n NotSupportedRegion) Images(context.Context, ImageQuery, PageRequest) (Page[Image], error) {
	return Page[Image]{}, n.ns("Images")
}

// CreateVPC returns ErrNotSupported.
func (n NotSupportedRegion) CreateVPC(context.Context, VPCSpec) (VPC, error) {
	return VPC{}, n.ns("CreateVPC")
}

// DeleteVPC returns ErrNotSupported.
func (n NotSupportedRegion) DeleteVPC(context.Context, string) error { return n.ns("DeleteVPC") }

// GetVPC returns ErrNotSupported.
func (n NotSupportedRegion) GetVPC(context.Context, string) (VPC, error) {
	return VPC{}, n.ns("GetVPC")
}

// ListVPCs returns ErrNotSupported.
func (n NotSupportedRegion) ListVPCs(context.Context, PageRequest) (Page[VPC], error) {
	return Page[VPC]{}, n.ns("ListVPCs")
}

// CreateSubnet returns ErrNotSupported.
func (n NotSupportedRegion) CreateSubnet(context.Context, SubnetSpec) (Subnet, error) {
	return Subnet{}, n.ns("CreateSubnet")
}

// DeleteSubnet returns ErrNotSupported.
func (n NotSupportedRegion) DeleteSubnet(context.Context, string) error {
	return n.ns("DeleteSubnet")
}

// GetSubnet returns ErrNotSupported.
func (n NotSupportedRegion) GetSubnet(context.Context, string) (Subnet, error) {
	return Subnet{}, n.ns("GetSubnet")
}

// ListSubnets returns ErrNotSupported.
func (n NotSupportedRegion) ListSubnets(context.Context, SubnetQuery, PageRequest) (Page[Subnet], error) {
	return Page[Subnet]{}, n.ns("ListSubnets")
}

// CreateSecurityGroup returns ErrNotSupported.
func (n NotSupportedRegion) CreateSecurityGroup(context.Context, SecurityGroupSpec) (SecurityGroup, error) {
	return SecurityGroup{}, n.ns("CreateSecurityGroup")
}

// DeleteSecurityGroup returns ErrNotSupported.
func (n NotSupportedRegion) DeleteSecurityGroup(context.Context, string) error {
	return n.ns("DeleteSecurityGroup")
}

// GetSecurityGroup returns ErrNotSupported.
func (n NotSupportedRegion) GetSecurityGroup(context.Context, string) (SecurityGroup, error) {
	return SecurityGroup{}, n.ns("GetSecurityGroup")
}

// ListSecurityGroups returns ErrNotSupported.
func (n NotSupportedRegion) ListSecurityGroups(context.Context, SecurityGroupQuery, PageRequest) (Page[SecurityGroup], error) {
	return Page[SecurityGroup]{}, n.ns("ListSecurityGroups")
}

// AuthorizeRules returns ErrNotSupported.
func (n NotSupportedRegion) AuthorizeRules(context.Context, string, []SecurityGroupRule) error {
	return n.ns("AuthorizeRules")
}

// RevokeRules returns ErrNotSupported.
func (n NotSupportedRegion) RevokeRules(context.Context, string, []SecurityGroupRule) error {
	return n.ns("RevokeRules")
}

// CreateInstances returns ErrNotSupported.
func (n NotSupportedRegion) CreateInstances(context.Context, CreateInstancesRequest) (CreateInstancesResult, error) {
	return CreateInstancesResult{}, n.ns("CreateInstances")
}

// GetInstance returns ErrNotSupported.
func (n NotSupportedRegion) GetInstance(context.Context, string) (Instance, error) {
	return Instance{}, n.ns("GetInstance")
}

// ListInstances returns ErrNotSupported.
func (n NotSupportedRegion) ListInstances(context.Context, InstanceQuery, PageRequest) (Page[Instance], error) {
	return Page[Instance]{}, n.ns("ListInstances")
}

// StartInstances returns ErrNotSupported.
func (n NotSupportedRegion) StartInstances(context.Context, []string) error {
	return n.ns("StartInstances")
}

// StopInstances returns ErrNotSupported.
func (n NotSupportedRegion) StopInstances(context.Context, []string, bool) error {
	return n.ns("StopInstances")
}

// RebootInstances returns ErrNotSupported.
func (n NotSupportedRegion) RebootInstances(context.Context, []string, bool) error {
	return n.ns("RebootInstances")
}

// DeleteInstances returns ErrNotSupported.
func (n NotSupportedRegion) DeleteInstances(context.Context, []string, bool) error {
	return n.ns("DeleteInstances")
}

// ChangeInstanceType returns ErrNotSupported.
func (n NotSupportedRegion) ChangeInstanceType(context.Context, string, string) error {
	return n.ns("ChangeInstanceType")
}

// ListDisks returns ErrNotSupported.
func (n NotSupportedRegion) ListDisks(context.Context, DiskQuery, PageRequest) (Page[Disk], error) {
	return Page[Disk]{}, n.ns("ListDisks")
}

// CreateSnapshot returns ErrNotSupported.
func (n NotSupportedRegion) CreateSnapshot(context.Context, SnapshotSpec) (Snapshot, error) {
	return Snapshot{}, n.ns("CreateSnapshot")
}

// DeleteSnapshot returns ErrNotSupported.
func (n NotSupportedRegion) DeleteSnapshot(context.Context, string) error {
	return n.ns("DeleteSnapshot")
}

// ListSnapshots returns ErrNotSupported.
func (n NotSupportedRegion) ListSnapshots(context.Context, SnapshotQuery, PageRequest) (Page[Snapshot], error) {
	return Page[Snapshot]{}, n.ns("ListSnapshots")
}

// AllocateEIP returns ErrNotSupported.
func (n NotSupportedRegion) AllocateEIP(context.Context, EIPSpec) (EIP, error) {
	return EIP{}, n.ns("AllocateEIP")
}

// ReleaseEIP returns ErrNotSupported.
func (n NotSupportedRegion) ReleaseEIP(context.Context, string) error { return n.ns("ReleaseEIP") }

// ListEIPs returns ErrNotSupported.
func (n NotSupportedRegion) ListEIPs(context.Context, PageRequest) (Page[EIP], error) {
	return Page[EIP]{}, n.ns("ListEIPs")
}

// CreateBucket returns ErrNotSupported.
func (n NotSupportedRegion) CreateBucket(context.Context, BucketSpec) (Bucket, error) {
	return Bucket{}, n.ns("CreateBucket")
}

// DeleteBucket returns ErrNotSupported.
func (n NotSupportedRegion) DeleteBucket(context.Context, string) error {
	return n.ns("DeleteBucket")
}

// ListBuckets returns ErrNotSupported.
func (n NotSupportedRegion) ListBuckets(context.Context) ([]Bucket, error) {
	return nil, n.ns("ListBuckets")
}

// BucketStats returns ErrNotSupported.
func (n NotSupportedRegion) BucketStats(context.Context, string) (BucketStats, error) {
	return BucketStats{}, n.ns("BucketStats")
}

// ListDatabases returns ErrNotSupported.
func (n NotSupportedRegion) ListDatabases(context.Context, PageRequest) (Page[Database], error) {
	return Page[Database]{}, n.ns("ListDatabases")
}

// GetDatabase returns ErrNotSupported.
func (n NotSupportedRegion) GetDatabase(context.Context, string) (Database, error) {
	return Database{}, n.ns("GetDatabase")
}

// ListCaches returns ErrNotSupported.
func (n NotSupportedRegion) ListCaches(context.Context, PageRequest) (Page[Cache], error) {
	return Page[Cache]{}, n.ns("ListCaches")
}

// GetCache returns ErrNotSupported.
func (n NotSupportedRegion) GetCache(context.Context, string) (Cache, error) {
	return Cache{}, n.ns("GetCache")
}

// ListKafkas returns ErrNotSupported.
func (n NotSupportedRegion) ListKafkas(context.Context, PageRequest) (Page[Kafka], error) {
	return Page[Kafka]{}, n.ns("ListKafkas")
}

// GetKafka returns ErrNotSupported.
func (n NotSupportedRegion) GetKafka(context.Context, string) (Kafka, error) {
	return Kafka{}, n.ns("GetKafka")
}

// Metrics returns ErrNotSupported.
func (n NotSupportedRegion) Metrics(context.Context, MetricQuery) ([]MetricSeries, error) {
	return nil, n.ns("Metrics")
}

// NotSupportedProvider implements the optional account-level methods by
// returning ErrNotSupported. Drivers embed it and override what they implement.
type NotSupportedProvider struct {
	// ProviderName is put in the errors.
	ProviderName string
}

// SubAccounts returns ErrNotSupported.
func (n NotSupportedProvider) SubAccounts(context.Context) ([]SubAccount, error) {
	return nil, NotSupported(n.ProviderName, "SubAccounts")
}

// Balance returns ErrNotSupported.
func (n NotSupportedProvider) Balance(context.Context) (Balance, error) {
	return Balance{}, NotSupported(n.ProviderName, "Balance")
}

// Bills returns ErrNotSupported.
func (n NotSupportedProvider) Bills(context.Context, BillQuery, PageRequest) (Page[BillLine], error) {
	return Page[BillLine]{}, NotSupported(n.ProviderName, "Bills")
}
