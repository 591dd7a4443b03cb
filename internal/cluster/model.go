package cluster

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// Cluster is a cluster template: what an expand creates, where, and with
// which account.
type Cluster struct {
	bun.BaseModel `bun:"table:clusters,alias:c"`

	ID             string          `bun:"id,pk"`
	Name           string          `bun:"name"`
	Description    string          `bun:"description"`
	Provider       string          `bun:"provider"` // canonical name, e.g. Aliyun
	CloudaccountID string          `bun:"cloudaccount_id"`
	AccountKey     string          `bun:"account_key"`
	RegionID       string          `bun:"region_id"`
	ZoneID         string          `bun:"zone_id"`
	InstanceType   string          `bun:"instance_type"`
	ImageID        string          `bun:"image_id"`
	Password       string          `bun:"password"` // ciphertext
	Network        json.RawMessage `bun:"network,type:text"`
	Charge         json.RawMessage `bun:"charge,type:text"`
	Disks          json.RawMessage `bun:"disks,type:text"`
	Tags           json.RawMessage `bun:"tags,type:text"`
	DomainID       string          `bun:"domain_id"`
	ProjectID      string          `bun:"project_id"`
	CreatedBy      string          `bun:"created_by"`
	ActiveTaskID   string          `bun:"active_task_id"`
	CreatedAt      time.Time       `bun:"created_at"`
	UpdatedAt      time.Time       `bun:"updated_at"`
}

// NetworkConfig is where a cluster's instances are attached.
type NetworkConfig struct {
	VPCID              string `json:"vpc"`
	SubnetID           string `json:"subnet_id"`
	SecurityGroupID    string `json:"security_group"`
	InternetChargeType string `json:"internet_charge_type,omitempty"`
	InternetBandwidth  int    `json:"internet_max_bandwidth_out,omitempty"`
}

// ChargeConfig says how instances are paid for.
type ChargeConfig struct {
	ChargeType string `json:"charge_type"`           // PostPaid or PrePaid
	PeriodUnit string `json:"period_unit,omitempty"` // Week or Month (PrePaid)
	Period     int    `json:"period,omitempty"`
}

// Disk is one disk of a cluster's instances.
type Disk struct {
	Category string `json:"category"`
	Size     int    `json:"size"`
}

// Disks are a cluster's system disk and data disks.
type Disks struct {
	SystemDisk Disk   `json:"system_disk"`
	DataDisks  []Disk `json:"data_disk"`
}

// NetworkOf decodes the cluster's network configuration.
func (c *Cluster) NetworkOf() NetworkConfig {
	var n NetworkConfig
	_ = json.Unmarshal(c.Network, &n)
	return n
}

// ChargeOf decodes the cluster's charge configuration.
func (c *Cluster) ChargeOf() ChargeConfig {
	var ch ChargeConfig
	_ = json.Unmarshal(c.Charge, &ch)
	if ch.ChargeType == "" {
		ch.ChargeType = "PostPaid"
	}
	return ch
}

// DisksOf decodes the cluster's disks.
func (c *Cluster) DisksOf() Disks {
	var d Disks
	_ = json.Unmarshal(c.Disks, &d)
	return d
}

// TagsOf decodes the cluster's tags.
func (c *Cluster) TagsOf() map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal(c.Tags, &m)
	return m
}

// Instance states of a cluster instance.
const (
	InstancePending  = "pending"  // created, not yet running with its addresses
	InstanceRunning  = "running"  // running with its addresses
	InstanceFailed   = "failed"   // never became ready and could not be deleted
	InstanceDeleting = "deleting" // being deleted by a shrink
	InstanceDeleted  = "deleted"  // deleted (or gone from the cloud)
)

// Instance is one instance a cluster's expand created. The cluster keeps
// only its membership and lifecycle (the cluster_members row); what the
// cloud says of it is the inventory's resources row, joined on read, so the
// BridgX and Cloudpods faces show one row. ClusterName and AccountKey are
// kept with the membership because a cluster is deleted once empty while
// its instances' history still names it.
type Instance struct {
	bun.BaseModel `bun:"table:cluster_members,alias:cm"`

	ID           string     `bun:"id,pk"`
	ClusterID    string     `bun:"cluster_id"`
	ClusterName  string     `bun:"cluster_name"`
	AccountKey   string     `bun:"account_key"`
	ResourceID   string     `bun:"resource_id"`
	ExpandTaskID string     `bun:"expand_task_id"`
	BatchSeq     int        `bun:"batch_seq"`
	ShrinkTaskID string     `bun:"shrink_task_id"`
	Status       string     `bun:"status"` // lifecycle in the cluster: InstancePending ... InstanceDeleted
	Error        string     `bun:"error"`
	DomainID     string     `bun:"domain_id"`
	ProjectID    string     `bun:"project_id"`
	CreatedAt    time.Time  `bun:"created_at"`
	RunningAt    *time.Time `bun:"running_at"`
	DeletedAt    *time.Time `bun:"deleted_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`

	// Read from the inventory (instanceSelect); never written here.
	CloudaccountID string          `bun:"cloudaccount_id,scanonly"`
	InstanceID     string          `bun:"instance_id,scanonly"` // the cloud's id
	Provider       string          `bun:"provider,scanonly"`
	RegionID       string          `bun:"region_id,scanonly"`
	ZoneID         string          `bun:"zone_id,scanonly"`
	InstanceType   string          `bun:"instance_type,scanonly"`
	ChargeType     string          `bun:"charge_type,scanonly"`
	Data           json.RawMessage `bun:"data,scanonly"`
	// Decoded from Data by fill.
	ImageID string        `bun:"-"`
	IPInner string        `bun:"-"`
	IPOuter string        `bun:"-"`
	Network NetworkConfig `bun:"-"`
	// Storage is filled by GetInstance alone.
	Storage Disks `bun:"-"`
}

// StartupSeconds is how long the instance took from creation to running.
func (in *Instance) StartupSeconds() int64 {
	if in.RunningAt == nil {
		return 0
	}
	return max(0, int64(in.RunningAt.Sub(in.CreatedAt).Seconds()))
}

// Task actions and statuses, BridgX's names.
const (
	ActionExpand = "EXPAND"
	ActionShrink = "SHRINK"

	StatusInit           = "INIT"
	StatusRunning        = "RUNNING"
	StatusSuccess        = "SUCCESS"
	StatusFailed         = "FAILED"
	StatusPartialSuccess = "PARTIAL_SUCCESS"
)

// Task is an expand or shrink of one cluster, as BridgX reports it. The
// durable execution is a task.Task with the same id.
type Task struct {
	bun.BaseModel `bun:"table:cluster_tasks,alias:ct"`

	ID             string          `bun:"id,pk"`
	ClusterID      string          `bun:"cluster_id"`
	ClusterName    string          `bun:"cluster_name"`
	CloudaccountID string          `bun:"cloudaccount_id"`
	AccountKey     string          `bun:"account_key"`
	Name           string          `bun:"name"`
	Action         string          `bun:"action"`
	Status         string          `bun:"status"`
	Requested      int             `bun:"requested"`
	Succeeded      int             `bun:"succeeded"`
	Failed         int             `bun:"failed"`
	IPs            json.RawMessage `bun:"ips,type:text"`
	Error          string          `bun:"error"`
	DomainID       string          `bun:"domain_id"`
	ProjectID      string          `bun:"project_id"`
	CreatedBy      string          `bun:"created_by"`
	CreatedAt      time.Time       `bun:"created_at"`
	StartedAt      *time.Time      `bun:"started_at"`
	FinishedAt     *time.Time      `bun:"finished_at"`
	UpdatedAt      time.Time       `bun:"updated_at"`
}

// Active reports whether the task has not finished.
func (t *Task) Active() bool { return t.Status == StatusInit || t.Status == StatusRunning }

// ExecuteSeconds is how long the task ran (so far).
func (t *Task) ExecuteSeconds(now time.Time) int64 {
	if t.StartedAt == nil {
		return 0
	}
	end := now
	if t.FinishedAt != nil {
		end = *t.FinishedAt
	}
	return max(0, int64(end.Sub(*t.StartedAt).Seconds()))
}

// Batch states.
const (
	BatchPending = "pending"
	BatchDone    = "done"
	BatchFailed  = "failed"
)

// Batch is one create or delete call of a task.
type Batch struct {
	bun.BaseModel `bun:"table:cluster_task_batches,alias:b"`

	TaskID       string     `bun:"task_id,pk" json:"-"`
	Seq          int        `bun:"seq,pk" json:"seq"`
	Round        int        `bun:"round" json:"round"`
	Kind         string     `bun:"kind" json:"kind"` // create or delete
	Amount       int        `bun:"amount" json:"amount"`
	Done         int        `bun:"done" json:"done"`
	ClientToken  string     `bun:"client_token" json:"client_token,omitempty"`
	Status       string     `bun:"status" json:"status"`
	Attempts     int        `bun:"attempts" json:"attempts"`
	ErrorCode    string     `bun:"error_code" json:"error_code,omitempty"`
	ErrorMessage string     `bun:"error_message" json:"error_message,omitempty"`
	RequestID    string     `bun:"request_id" json:"request_id,omitempty"`
	StartedAt    *time.Time `bun:"started_at" json:"started_at,omitempty"`
	FinishedAt   *time.Time `bun:"finished_at" json:"finished_at,omitempty"`
}

// Interval is a span of time an instance was running.
type Interval struct {
	bun.BaseModel `bun:"table:cluster_usage_intervals,alias:ui"`

	ID             int64      `bun:"id,pk,autoincrement"`
	InstanceID     string     `bun:"instance_id"`
	CloudaccountID string     `bun:"cloudaccount_id"`
	AccountKey     string     `bun:"account_key"`
	ClusterID      string     `bun:"cluster_id"`
	ClusterName    string     `bun:"cluster_name"`
	Provider       string     `bun:"provider"`
	RegionID       string     `bun:"region_id"`
	InstanceType   string     `bun:"instance_type"`
	HourlyPrice    string     `bun:"hourly_price"` // decimal string; "" when the catalog had no price
	Currency       string     `bun:"currency"`
	DomainID       string     `bun:"domain_id"`
	ProjectID      string     `bun:"project_id"`
	StartedAt      time.Time  `bun:"started_at"`
	StoppedAt      *time.Time `bun:"stopped_at"`
}
