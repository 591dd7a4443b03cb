package cloudpods

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/task"
)

// The types below are the bodies of Cloudpods' answers. Their names carry
// the face's name because every face shares one OpenAPI registry.

// cloudpodsResource is a synced object as Cloudpods shows it: its own
// fields over the driver's data (with details), and the account, region,
// project and, after an operation, the task it belongs to. Fields only some
// kinds carry are pointers, so that a zero value is still sent where the
// kind has the field and nothing is sent where it has not.
type cloudpodsResource struct {
	_              struct{}          `json:"-" additionalProperties:"true"`
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Status         string            `json:"status"`
	ExternalID     string            `json:"external_id"`
	RawStatus      string            `json:"raw_status"`
	GlobalID       string            `json:"global_id"`
	CloudaccountID string            `json:"cloudaccount_id"`
	AccountID      string            `json:"account_id"`
	ManagerID      string            `json:"manager_id"`
	CloudregionID  string            `json:"cloudregion_id"`
	RegionID       string            `json:"region_id"`
	ZoneID         string            `json:"zone_id"`
	TenantID       string            `json:"tenant_id"`
	ProjectID      string            `json:"project_id"`
	Tenant         string            `json:"tenant"`
	Project        string            `json:"project"`
	DomainID       string            `json:"domain_id"`
	ProjectDomain  string            `json:"project_domain"`
	Metadata       map[string]string `json:"metadata" doc:"tags"`
	CreatedAt      string            `json:"created_at"`
	UpdatedAt      string            `json:"updated_at"`
	ImportedAt     string            `json:"imported_at"`
	Deleted        bool              `json:"deleted"`
	PendingDeleted bool              `json:"pending_deleted"`
	BillingType    string            `json:"billing_type,omitempty"`
	ChargeType     string            `json:"charge_type,omitempty"`
	InstanceType   *string           `json:"instance_type,omitempty" doc:"servers"`
	VCPUCount      *int              `json:"vcpu_count,omitempty" doc:"servers"`
	VMemSize       *int              `json:"vmem_size,omitempty" doc:"servers, MB"`
	IPs            *string           `json:"ips,omitempty" doc:"servers"`
	DiskSize       *int              `json:"disk_size,omitempty" doc:"disks and snapshots, MB"`
	SizeBytes      *int64            `json:"size_bytes,omitempty" doc:"buckets"`
	ObjectCnt      *int64            `json:"object_cnt,omitempty" doc:"buckets"`
	*resourceAccount
	*resourceRegion
	*resourceTask
	*bucketFields

	data json.RawMessage // the driver's object, shown with details
}

type resourceAccount struct {
	Account             string `json:"account"`
	Manager             string `json:"manager"`
	Provider            string `json:"provider"`
	Brand               string `json:"brand"`
	AccountStatus       string `json:"account_status"`
	AccountHealthStatus string `json:"account_health_status"`
	AccountReadOnly     bool   `json:"account_read_only"`
	CloudEnv            string `json:"cloud_env"`
	Environment         string `json:"environment"`
}

type resourceRegion struct {
	Cloudregion      string `json:"cloudregion"`
	Region           string `json:"region"`
	RegionExtID      string `json:"region_ext_id"`
	RegionExternalID string `json:"region_external_id"`
}

// resourceTask is the task an operation on the object started.
type resourceTask struct {
	TaskID     string `json:"task_id"`
	TaskType   string `json:"task_type,omitempty"`
	TaskStatus string `json:"task_status,omitempty"`
}

func taskOf(t *task.Task) *resourceTask {
	return &resourceTask{TaskID: t.ID, TaskType: t.Type, TaskStatus: string(t.Status)}
}

// bucketFields are what Cloudpods shows of a bucket beyond a synced
// object's own fields, each from the bucket's state in Skyfold.
type bucketFields struct {
	Description      string            `json:"description"`
	AccessURLs       []bucketAccessURL `json:"access_urls" doc:"from the endpoint the cloud lists for the bucket; empty until it has"`
	CanDelete        bool              `json:"can_delete" doc:"no task holds it, it is not being created or deleted, and the cloud last reported it empty"`
	CanUpdate        bool              `json:"can_update" doc:"no task holds it, and its account is enabled and not read-only"`
	Freezed          bool              `json:"freezed" doc:"its account is disabled, so nothing may be done with it"`
	IsEmulated       bool              `json:"is_emulated" doc:"Skyfold's row stands for no cloud object: its creation failed"`
	IsPublic         bool              `json:"is_public" doc:"shared beyond its project; Skyfold shares accounts, not their resources"`
	PublicScope      string            `json:"public_scope"`
	PublicSrc        string            `json:"public_src"`
	IsSystem         bool              `json:"is_system" doc:"owned by the system project"`
	ManagerDomain    string            `json:"manager_domain"`
	ManagerDomainID  string            `json:"manager_domain_id"`
	ManagerProject   string            `json:"manager_project"`
	ManagerProjectID string            `json:"manager_project_id"`
	ProjectSrc       string            `json:"project_src" doc:"local: the owner project was set in Skyfold, not taken from the cloud"`
	Source           string            `json:"source" doc:"local: created through Skyfold; cloud: found on the cloud by a sync"`
	UpdateVersion    int               `json:"update_version" doc:"how many times the bucket changed"`
	Progress         float64           `json:"progress" doc:"of the task that holds it, else 0"`
	SizeBytesLimit   int64             `json:"size_bytes_limit" doc:"0: unlimited (no cloud Skyfold drives reports a bucket quota)"`
	ObjectCntLimit   int64             `json:"object_cnt_limit" doc:"0: unlimited"`
	UsageReadAt      string            `json:"usage_read_at,omitempty" doc:"when the cloud last reported size_bytes and object_cnt"`
}

type bucketAccessURL struct {
	URL         string `json:"url"`
	Description string `json:"description"`
	Primary     bool   `json:"primary"`
}

// MarshalJSON puts the driver's data under the resource's own fields.
func (v cloudpodsResource) MarshalJSON() ([]byte, error) {
	type plain cloudpodsResource
	own, err := json.Marshal(plain(v))
	if err != nil || len(v.data) == 0 {
		return own, err
	}
	var merged map[string]json.RawMessage
	if json.Unmarshal(v.data, &merged) != nil || merged == nil {
		return own, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(own, &fields); err != nil {
		return nil, err
	}
	for k, x := range fields {
		merged[k] = x
	}
	return json.Marshal(merged)
}

// hasData says whether the driver's data sets a field.
func (v *cloudpodsResource) hasData(field string) bool {
	if len(v.data) == 0 {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(v.data, &m) != nil {
		return false
	}
	_, ok := m[field]
	return ok
}

// cloudpodsList is a page of objects under the collection's own key
// ({"servers": [...], "total", "limit", "offset"}).
type cloudpodsList[T any] struct {
	key    string
	Items  []T
	Total  int
	Limit  int
	Offset int
}

func (l cloudpodsList[T]) MarshalJSON() ([]byte, error) {
	items := l.Items
	if items == nil {
		items = []T{}
	}
	return json.Marshal(map[string]any{l.key: items, "total": l.Total, "limit": l.Limit, "offset": l.Offset})
}

// listSchema describes a cloudpodsList[T] under key, since the key is not
// known from the type.
func listSchema[T any](api huma.API, key string) *huma.Schema {
	item := api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[T](), true, "")
	return &huma.Schema{Type: huma.TypeObject, Required: []string{key, "total", "limit", "offset"},
		Properties: map[string]*huma.Schema{
			key:      {Type: huma.TypeArray, Items: item},
			"total":  {Type: huma.TypeInteger},
			"limit":  {Type: huma.TypeInteger},
			"offset": {Type: huma.TypeInteger},
		}}
}

// withBody sets op's success schema ahead of registration.
func withBody(op huma.Operation, s *huma.Schema) huma.Operation {
	op.Responses = map[string]*huma.Response{"200": {Description: "OK",
		Content: map[string]*huma.MediaType{"application/json": {Schema: s}}}}
	return op
}

// decimalText is a decimal sent as a JSON number.
type decimalText string

func (d decimalText) MarshalJSON() ([]byte, error) { return []byte(d), nil }

func (decimalText) Schema(huma.Registry) *huma.Schema { return &huma.Schema{Type: huma.TypeNumber} }

// rawObject is a JSON object passed through as stored.
type rawObject json.RawMessage

func (o rawObject) MarshalJSON() ([]byte, error) { return json.RawMessage(o).MarshalJSON() }

func (rawObject) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeObject, AdditionalProperties: true}
}

type proxySetting struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Deleted       bool   `json:"deleted"`
	IsEmulated    bool   `json:"is_emulated"`
	IsPublic      bool   `json:"is_public"`
	UpdateVersion int    `json:"update_version"`
}

// cloudpodsAccount is a cloud account (seed 000's fields).
type cloudpodsAccount struct {
	ID                           string                 `json:"id"`
	Name                         string                 `json:"name"`
	Description                  string                 `json:"description"`
	AccessURL                    string                 `json:"access_url"`
	Account                      string                 `json:"account"`
	AccountID                    string                 `json:"account_id"`
	AutoCreateProject            bool                   `json:"auto_create_project"`
	AutoCreateProjectForProvider bool                   `json:"auto_create_project_for_provider"`
	Balance                      decimalText            `json:"balance"`
	Currency                     string                 `json:"currency"`
	Brand                        string                 `json:"brand"`
	Provider                     string                 `json:"provider"`
	CanDelete                    bool                   `json:"can_delete"`
	CanUpdate                    bool                   `json:"can_update"`
	CloudEnv                     string                 `json:"cloud_env"`
	Deleted                      bool                   `json:"deleted"`
	DomainID                     string                 `json:"domain_id"`
	DomainSrc                    string                 `json:"domain_src"`
	ProjectDomain                string                 `json:"project_domain"`
	Project                      string                 `json:"project"`
	Tenant                       string                 `json:"tenant"`
	TenantID                     string                 `json:"tenant_id"`
	ProjectID                    string                 `json:"project_id"`
	Enabled                      bool                   `json:"enabled"`
	ReadOnly                     bool                   `json:"read_only"`
	ErrorCount                   int                    `json:"error_count"`
	HealthStatus                 string                 `json:"health_status"`
	IsEmulated                   bool                   `json:"is_emulated"`
	IsOnPremise                  bool                   `json:"is_on_premise"`
	IsPublicCloud                bool                   `json:"is_public_cloud"`
	IsPublic                     bool                   `json:"is_public"`
	PublicScope                  string                 `json:"public_scope"`
	ShareMode                    string                 `json:"share_mode"`
	Progress                     float64                `json:"progress"`
	Status                       string                 `json:"status"`
	SyncStatus                   string                 `json:"sync_status"`
	SyncStauts2                  string                 `json:"sync_stauts2" doc:"Cloudpods' spelling"`
	SyncCount                    int                    `json:"sync_count"`
	SyncIntervalSeconds          int                    `json:"sync_interval_seconds"`
	SamlAuth                     bool                   `json:"saml_auth"`
	EnableAutoSync               bool                   `json:"enable_auto_sync"`
	EnableResourceSync           bool                   `json:"enable_resource_sync"`
	EnableProjectSync            bool                   `json:"enable_project_sync"`
	ProxySetting                 proxySetting           `json:"proxy_setting"`
	ProxySettingID               string                 `json:"proxy_setting_id"`
	GuestCount                   int                    `json:"guest_count"`
	DiskCount                    int                    `json:"disk_count"`
	VPCCount                     int                    `json:"vpc_count"`
	EIPCount                     int                    `json:"eip_count"`
	HostCount                    int                    `json:"host_count"`
	StorageCount                 int                    `json:"storage_count"`
	NetworkCount                 int                    `json:"network_count"`
	SecgroupCount                int                    `json:"secgroup_count"`
	BucketCount                  int                    `json:"bucket_count"`
	SnapshotCount                int                    `json:"snapshot_count"`
	DBInstanceCount              int                    `json:"dbinstance_count"`
	ElasticcacheCount            int                    `json:"elasticcache_count"`
	KafkaCount                   int                    `json:"kafka_count"`
	StoragecacheCount            int                    `json:"storagecache_count"`
	RoutetableCount              int                    `json:"routetable_count"`
	ProviderCount                int                    `json:"provider_count"`
	EnabledProviderCount         int                    `json:"enabled_provider_count"`
	CreatedAt                    string                 `json:"created_at"`
	UpdatedAt                    string                 `json:"updated_at"`
	UpdateVersion                int                    `json:"update_version"`
	SyncTaskID                   string                 `json:"sync_task_id"`
	FailReason                   string                 `json:"fail_reason,omitempty" doc:"the last error; in lists only with show_fail_reason"`
	LastSync                     string                 `json:"last_sync,omitempty"`
	ProbeAt                      string                 `json:"probe_at,omitempty"`
	Cloudregions                 *[]string              `json:"cloudregions,omitempty" doc:"with details"`
	SyncResults                  *[]cloudpodsSyncResult `json:"sync_results,omitempty" doc:"with details"`
	SubAccounts                  *subAccounts           `json:"sub_accounts,omitempty" doc:"as the create request gave them"`
	TaskID                       string                 `json:"task_id,omitempty" doc:"the delete task"`
}

// cloudpodsSyncResult is the last sync of one region of an account.
type cloudpodsSyncResult struct {
	CloudregionID string    `json:"cloudregion_id"`
	SyncStatus    string    `json:"sync_status"`
	LastSyncMS    int64     `json:"last_sync_ms"`
	Result        rawObject `json:"result" doc:"per kind: added, updated, removed, unchanged, ms, and any error, skip or note"`
	Cloudregion   string    `json:"cloudregion,omitempty"`
	RegionExtID   string    `json:"region_ext_id,omitempty"`
	LastSync      string    `json:"last_sync,omitempty"`
}

type cloudpodsRegion struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	ExternalID         string   `json:"external_id"`
	RegionExtID        string   `json:"region_ext_id"`
	Provider           string   `json:"provider"`
	CloudEnv           string   `json:"cloud_env"`
	LocalName          string   `json:"local_name"`
	Capabilities       []string `json:"capabilities"`
	Status             string   `json:"status"`
	Enabled            bool     `json:"enabled"`
	CloudproviderCount int      `json:"cloudprovider_count"`
	CreatedAt          string   `json:"created_at"`
}

type cloudpodsRegionProvider struct {
	Name             string `json:"name"`
	Provider         string `json:"provider"`
	CloudregionCount int    `json:"cloudregion_count"`
}

type cloudpodsRegionProviders struct {
	Data  []cloudpodsRegionProvider `json:"data"`
	Total int                       `json:"total"`
}

type cloudpodsZone struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	ExternalID    string `json:"external_id"`
	ZoneExtID     string `json:"zone_ext_id"`
	CloudregionID string `json:"cloudregion_id"`
	Status        string `json:"status"`
}

type cloudpodsZones struct {
	Zones []cloudpodsZone `json:"zones"`
	Total int             `json:"total"`
}

type cloudpodsProvider struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Account        string `json:"account"`
	Provider       string `json:"provider"`
	Brand          string `json:"brand"`
	CloudaccountID string `json:"cloudaccount_id"`
	Cloudaccount   string `json:"cloudaccount"`
	Enabled        bool   `json:"enabled"`
	Status         string `json:"status"`
	HealthStatus   string `json:"health_status"`
	DomainID       string `json:"domain_id"`
	TenantID       string `json:"tenant_id"`
	ProjectID      string `json:"project_id"`
	Tenant         string `json:"tenant"`
	ProjectDomain  string `json:"project_domain"`
	ReadOnly       bool   `json:"read_only"`
	CloudEnv       string `json:"cloud_env"`
	AccessURL      string `json:"access_url"`
	CreatedAt      string `json:"created_at"`
}

type cloudpodsProviders struct {
	Cloudproviders []cloudpodsProvider `json:"cloudproviders"`
	Total          int                 `json:"total"`
	Limit          int                 `json:"limit"`
	Offset         int                 `json:"offset"`
}

// cloudpodsStatistics counts a collection, in all and by status; the
// inventory's fields are already Cloudpods' names.
type cloudpodsStatistics inventory.Statistics

type cloudpodsConsole struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	ExternalID string `json:"external_id"`
	Protocol   string `json:"protocol"`
	URL        string `json:"url"`
	Host       string `json:"host"`
	Port       int    `json:"port"`
}

// cloudpodsQuota is a tenant quota: the items, and Cloudpods' flat form of
// them ("cpu" is the limit, "usage.cpu" what is used), which MarshalJSON
// adds under the item's names.
type cloudpodsQuota struct {
	_              struct{}              `json:"-" additionalProperties:"true"`
	CloudaccountID string                `json:"cloudaccount_id"`
	Cloudaccount   string                `json:"cloudaccount"`
	Provider       string                `json:"provider"`
	CloudTenantID  string                `json:"cloud_tenant_id"`
	DomainID       string                `json:"domain_id"`
	ProjectDomain  string                `json:"project_domain"`
	ProjectID      string                `json:"project_id"`
	TenantID       string                `json:"tenant_id"`
	Project        string                `json:"project"`
	Tenant         string                `json:"tenant"`
	Items          []inventory.QuotaItem `json:"items"`
	Error          string                `json:"error,omitempty" doc:"why the quota could not be read"`
}

// MarshalJSON adds the flat form; an item named like a field wins over
// it, except error.
func (q cloudpodsQuota) MarshalJSON() ([]byte, error) {
	type plain cloudpodsQuota
	p := plain(q)
	p.Error = ""
	own, err := json.Marshal(p)
	if err != nil || len(q.Items) == 0 && q.Error == "" {
		return own, err
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(own))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	for _, it := range q.Items {
		m[it.Name], m["usage."+it.Name] = it.Limit, it.Used
	}
	if q.Error != "" {
		m["error"] = q.Error
	}
	return json.Marshal(m)
}

type cloudpodsQuotas struct {
	ProjectQuotas []cloudpodsQuota `json:"project_quotas"`
	Total         int              `json:"total"`
}
