// Package inventory owns cloud accounts and everything synced from them:
// cloud providers (sub-accounts), regions, zones and resources (servers,
// disks, VPCs, networks, security groups, EIPs, buckets, snapshots, hosts,
// storages, databases, caches, Kafka instances). Its sync engine pulls each
// account's resources through the provider SPI and diffs them against the
// stored rows by external id, writing only what changed.
package inventory

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// Account statuses, health and sync states (Cloudpods' values).
const (
	StatusInit         = "init"
	StatusConnected    = "connected"
	StatusDisconnected = "disconnected"
	StatusDeleting     = "deleting"

	HealthNormal       = "normal"
	HealthInsufficient = "insufficient"
	HealthNoPermission = "no permission"
	HealthUnknown      = "unknown"

	SyncQueued  = "queued"
	SyncSyncing = "syncing"
	SyncIdle    = "idle"
	SyncError   = "error"
)

// Account is a connected cloud account.
type Account struct {
	bun.BaseModel `bun:"table:cloudaccounts"`

	ID                  string          `bun:"id,pk"`
	Name                string          `bun:"name"`
	Description         string          `bun:"description"`
	Provider            string          `bun:"provider"`
	Brand               string          `bun:"brand"`
	AccessURL           string          `bun:"access_url"`
	Account             string          `bun:"account"`
	Secret              string          `bun:"secret"` // ciphertext; never leaves this package
	AccountID           string          `bun:"account_id"`
	CloudEnv            string          `bun:"cloud_env"`
	IsPublicCloud       bool            `bun:"is_public_cloud"`
	IsOnPremise         bool            `bun:"is_on_premise"`
	Status              string          `bun:"status"`
	HealthStatus        string          `bun:"health_status"`
	SyncStatus          string          `bun:"sync_status"`
	Progress            float64         `bun:"progress"`
	Enabled             bool            `bun:"enabled"`
	ReadOnly            bool            `bun:"read_only"`
	DomainID            string          `bun:"domain_id"`
	ProjectID           string          `bun:"project_id"`
	ShareMode           string          `bun:"share_mode"`
	PublicScope         string          `bun:"public_scope"`
	Balance             string          `bun:"balance"`
	Currency            string          `bun:"currency"`
	ErrorCount          int             `bun:"error_count"`
	LastError           string          `bun:"last_error"`
	SyncIntervalSeconds int             `bun:"sync_interval_seconds"`
	AutoSync            bool            `bun:"auto_sync"` // the scheduler syncs it every SyncIntervalSeconds
	SyncRegions         json.RawMessage `bun:"sync_regions,type:text"`
	SyncTaskID          string          `bun:"sync_task_id"`
	SyncCount           int             `bun:"sync_count"`
	Counts              json.RawMessage `bun:"counts,type:text"`
	Options             json.RawMessage `bun:"options,type:text"`
	ProbeAt             *time.Time      `bun:"probe_at"`
	// LastSyncAt is when the last sync of any scope ended.
	LastSyncAt *time.Time `bun:"last_sync_at"`
	// LastFullSyncAt is when the last full sync (every region, every kind)
	// started; the schedule counts the interval from it.
	LastFullSyncAt *time.Time `bun:"last_full_sync_at"`
	// LastPartialSyncAt is when the last sync limited to some regions or
	// kinds ended.
	LastPartialSyncAt *time.Time `bun:"last_partial_sync_at"`
	// SyncFollowTaskID is the follow-up sync that runs once SyncTaskID ends,
	// and SyncFollowScope the regions and kinds asked of it so far (JSON).
	SyncFollowTaskID string    `bun:"sync_follow_task_id"`
	SyncFollowScope  string    `bun:"sync_follow_scope"`
	CreatedAt        time.Time `bun:"created_at"`
	UpdatedAt        time.Time `bun:"updated_at"`
	UpdateVersion    int       `bun:"update_version"`
}

// RegionIDs decodes the regions chosen for sync (empty: all).
func (a *Account) RegionIDs() []string {
	var ids []string
	_ = json.Unmarshal(a.SyncRegions, &ids)
	return ids
}

// CountMap decodes the per-kind resource counts of the last sync.
func (a *Account) CountMap() map[string]int {
	m := map[string]int{}
	_ = json.Unmarshal(a.Counts, &m)
	return m
}

// CloudProvider is one sub-account of an account (Cloudpods' cloudprovider,
// the "manager" of resources).
type CloudProvider struct {
	bun.BaseModel `bun:"table:cloudproviders"`

	ID             string    `bun:"id,pk"`
	CloudaccountID string    `bun:"cloudaccount_id"`
	Name           string    `bun:"name"`
	Account        string    `bun:"account"`
	Provider       string    `bun:"provider"`
	Enabled        bool      `bun:"enabled"`
	Status         string    `bun:"status"`
	HealthStatus   string    `bun:"health_status"`
	DomainID       string    `bun:"domain_id"`
	ProjectID      string    `bun:"project_id"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

// Region is a cloud region, shared by every account of its provider.
type Region struct {
	bun.BaseModel `bun:"table:cloudregions"`

	ID           string          `bun:"id,pk"`
	Provider     string          `bun:"provider"`
	ExternalID   string          `bun:"external_id"` // "Aliyun/cn-beijing"
	RegionID     string          `bun:"region_id"`   // "cn-beijing"
	Name         string          `bun:"name"`        // "阿里云 华北2（北京）"
	LocalName    string          `bun:"local_name"`  // "华北2（北京）"
	CloudEnv     string          `bun:"cloud_env"`
	Capabilities json.RawMessage `bun:"capabilities,type:text"`
	CreatedAt    time.Time       `bun:"created_at"`
	UpdatedAt    time.Time       `bun:"updated_at"`
}

// Zone is an availability zone.
type Zone struct {
	bun.BaseModel `bun:"table:zones"`

	ID            string    `bun:"id,pk"`
	CloudregionID string    `bun:"cloudregion_id"`
	ExternalID    string    `bun:"external_id"`
	ZoneID        string    `bun:"zone_id"`
	Name          string    `bun:"name"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

// ProviderRegion links a cloud provider to a region it syncs, with the
// result of the last sync there.
type ProviderRegion struct {
	bun.BaseModel `bun:"table:cloudprovider_regions"`

	CloudproviderID string          `bun:"cloudprovider_id,pk"`
	CloudregionID   string          `bun:"cloudregion_id,pk"`
	CloudaccountID  string          `bun:"cloudaccount_id"`
	Enabled         bool            `bun:"enabled"`
	SyncStatus      string          `bun:"sync_status"`
	LastSyncAt      *time.Time      `bun:"last_sync_at"`
	LastSyncMS      int64           `bun:"last_sync_ms"`
	LastSyncResult  json.RawMessage `bun:"last_sync_result,type:text"`
}

// Kind names a resource type, as Cloudpods' API names its collections
// (singular).
type Kind string

// The resource kinds, in sync order.
const (
	KindVPC          Kind = "vpc"
	KindNetwork      Kind = "network"
	KindEIP          Kind = "eip"
	KindSecgroup     Kind = "secgroup"
	KindDisk         Kind = "disk"
	KindServer       Kind = "server"
	KindSnapshot     Kind = "snapshot"
	KindBucket       Kind = "bucket"
	KindDBInstance   Kind = "dbinstance"
	KindElasticCache Kind = "elasticcache"
	KindKafka        Kind = "kafka"
	KindHost         Kind = "host"
	KindStorage      Kind = "storage"
)

// SyncOrder is the order kinds are synced in within a region: networks
// before what lives in them, disks before the servers they attach to.
var SyncOrder = []Kind{KindVPC, KindNetwork, KindEIP, KindSecgroup, KindDisk, KindServer,
	KindSnapshot, KindBucket, KindDBInstance, KindElasticCache, KindKafka}

// Resource is one synced cloud object.
type Resource struct {
	bun.BaseModel `bun:"table:resources,alias:r"`

	ID               string          `bun:"id,pk" json:"id"`
	Kind             Kind            `bun:"kind" json:"kind"`
	CloudaccountID   string          `bun:"cloudaccount_id" json:"cloudaccount_id"`
	CloudproviderID  string          `bun:"cloudprovider_id" json:"cloudprovider_id"`
	CloudregionID    string          `bun:"cloudregion_id" json:"cloudregion_id"`
	ZoneID           string          `bun:"zone_id" json:"zone_id"`
	ExternalID       string          `bun:"external_id" json:"external_id"`
	GlobalID         string          `bun:"global_id" json:"global_id"`
	Name             string          `bun:"name" json:"name"`
	Status           string          `bun:"status" json:"status"`
	RawStatus        string          `bun:"raw_status" json:"raw_status"`
	DomainID         string          `bun:"domain_id" json:"domain_id"`
	ProjectID        string          `bun:"project_id" json:"project_id"`
	VPCExternalID    string          `bun:"vpc_external_id" json:"vpc_external_id,omitempty"`
	ParentExternalID string          `bun:"parent_external_id" json:"parent_external_id,omitempty"`
	InstanceType     string          `bun:"instance_type" json:"instance_type,omitempty"`
	CPU              int             `bun:"cpu" json:"cpu,omitempty"`
	MemoryMB         int             `bun:"memory_mb" json:"memory_mb,omitempty"`
	SizeGB           int             `bun:"size_gb" json:"size_gb,omitempty"`
	IPs              string          `bun:"ips" json:"ips,omitempty"`
	ChargeType       string          `bun:"charge_type" json:"charge_type,omitempty"`
	Tags             json.RawMessage `bun:"tags,type:text" json:"tags"`
	// Data is the driver's whole object; it lives in resource_data and is
	// filled by LoadData (GetResource always loads it).
	Data           json.RawMessage `bun:"-" json:"data,omitempty"`
	Fingerprint    string          `bun:"fingerprint" json:"-"`
	BusyTaskID     string          `bun:"busy_task_id" json:"-"`
	CloudCreatedAt *time.Time      `bun:"cloud_created_at" json:"cloud_created_at,omitempty"`
	CreatedAt      time.Time       `bun:"created_at" json:"created_at"`
	UpdatedAt      time.Time       `bun:"updated_at" json:"updated_at"`
	SyncedAt       time.Time       `bun:"synced_at" json:"synced_at"`
	DeletedAt      *time.Time      `bun:"deleted_at" json:"deleted_at,omitempty"`
}

// TagMap decodes the resource's tags.
func (r *Resource) TagMap() map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal(r.Tags, &m)
	return m
}

// Scope is what a caller may see: everything (system), a domain, or some
// projects. Faces build it from the authenticated caller.
type Scope struct {
	System     bool
	DomainID   string
	ProjectIDs []string
}

// SystemScope sees everything.
var SystemScope = Scope{System: true}

// resourceData is the row holding a resource's full driver object.
type resourceData struct {
	bun.BaseModel `bun:"table:resource_data"`

	ID   string          `bun:"id,pk"`
	Data json.RawMessage `bun:"data,type:text"`
}
