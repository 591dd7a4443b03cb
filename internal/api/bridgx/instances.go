package bridgx

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/cluster"
	"github.com/skyfold/skyfold/internal/errs"
)

// registerTasks lists the task operations.
func (f *Face) registerTasks(s *api.Server) {
	api.Register(s, op("task-list", http.MethodGet, "/api/v1/task/list", "List expand and shrink tasks", "cluster/tasks/list"), f.listTasks)
	api.Register(s, op("task-info", http.MethodGet, "/api/v1/task/info", "Show a task: batches, instances and the cloud's errors", "cluster/tasks/get"), f.taskInfo)
	api.Register(s, op("task-info-path", http.MethodGet, "/api/v1/task/info/{id}", "Show a task: batches, instances and the cloud's errors",
		"cluster/tasks/get"), f.taskInfoByPath)
}

// registerInstances lists the instance and usage operations.
func (f *Face) registerInstances(s *api.Server) {
	api.Register(s, op("instance-describe-all", http.MethodGet, "/api/v1/instance/describe_all", "List cluster instances", "cluster/instances/list"), f.listInstances)
	api.Register(s, op("instance-describe", http.MethodGet, "/api/v1/instance/id/describe", "Show a cluster instance", "cluster/instances/get"), f.describeInstance)
	api.Register(s, op("instance-num", http.MethodGet, "/api/v1/instance/num", "Count running cluster instances", "cluster/instances/list"), f.countInstances)
	api.Register(s, op("usage-total", http.MethodGet, "/api/v1/instance/usage_total",
		"Seconds cluster instances ran on a day, and their cost at list price", "cluster/usage/get"), f.usageTotal)
	api.Register(s, op("usage-statistics", http.MethodGet, "/api/v1/instance/usage_statistics",
		"Each running interval of a day, with its seconds and cost", "cluster/usage/list"), f.usageStatistics)
}

type taskListInput struct {
	Account     string `query:"account"`
	ClusterName string `query:"cluster_name"`
	PageNumber  string `query:"page_number"`
	PageSize    string `query:"page_size"`
}

type taskInfoInput struct {
	TaskID     string `query:"task_id"`
	PageNumber string `query:"page_number" doc:"page of the task's instances"`
	PageSize   string `query:"page_size"`
}

type taskInfoPathInput struct {
	ID         string `path:"id"`
	PageNumber string `query:"page_number" doc:"page of the task's instances"`
	PageSize   string `query:"page_size"`
}

type instanceListInput struct {
	Account     string `query:"account"`
	InstanceID  string `query:"instance_id"`
	IP          string `query:"ip" doc:"inner or outer address, exact"`
	Provider    string `query:"provider"`
	ClusterName string `query:"cluster_name"`
	Status      string `query:"status" doc:"comma-separated: pending, running, failed, deleting, deleted"`
	PageNumber  string `query:"page_number"`
	PageSize    string `query:"page_size"`
}

type instanceIDInput struct {
	InstanceID string `query:"instance_id"`
}

type instanceNumInput struct {
	Account     string `query:"account"`
	ClusterName string `query:"cluster_name"`
}

type usageInput struct {
	ClusterName string `query:"cluster_name"`
	Date        string `query:"date" doc:"the day, e.g. 2021-10-11 (ISO; yyyy-dd-mm is read when only it fits)"`
	PageNumber  string `query:"page_number"`
	PageSize    string `query:"page_size"`
}

// The answers below keep their fields in the order of their JSON keys,
// which is the order the face has always written them in.

// bridgXTaskRow is a task as the task list shows it.
type bridgXTaskRow struct {
	Account     string `json:"account"`
	ClusterName string `json:"cluster_name"`
	Count       int    `json:"count" doc:"instances asked for"`
	CreateAt    string `json:"create_at"`
	ExecuteTime int64  `json:"execute_time" doc:"seconds the task ran (so far)"`
	FailNum     int    `json:"fail_num"`
	FinishAt    string `json:"finish_at"`
	Status      string `json:"status" enum:"INIT,RUNNING,SUCCESS,FAILED,PARTIAL_SUCCESS"`
	SuccessNum  int    `json:"success_num"`
	TaskAction  string `json:"task_action" enum:"EXPAND,SHRINK"`
	TaskID      string `json:"task_id"`
	TaskName    string `json:"task_name"`
}

type bridgXTaskList struct {
	Pager    bridgXPager     `json:"pager"`
	TaskList []bridgXTaskRow `json:"task_list"`
}

// bridgXTaskInfo is one task with its batches, a page of its instances and
// its log.
type bridgXTaskInfo struct {
	Account      string               `json:"account"`
	Batches      []bridgXBatch        `json:"batches"`
	ClusterName  string               `json:"cluster_name"`
	Count        int                  `json:"count"`
	CreateAt     string               `json:"create_at"`
	Error        string               `json:"error"`
	ExecuteTime  int64                `json:"execute_time"`
	FailNum      int                  `json:"fail_num"`
	FinishAt     string               `json:"finish_at"`
	InstanceList []bridgXTaskInstance `json:"instance_list"`
	IPs          bridgXIPs            `json:"ips"`
	Logs         []bridgXLogLine      `json:"logs"`
	Pager        bridgXPager          `json:"pager"`
	Status       string               `json:"status"`
	SuccessNum   int                  `json:"success_num"`
	TaskAction   string               `json:"task_action"`
	TaskID       string               `json:"task_id"`
	TaskName     string               `json:"task_name"`
}

// bridgXIPs is the addresses a finished task recorded, kept as the JSON it
// was stored as; null while there are none.
type bridgXIPs json.RawMessage

func (ips bridgXIPs) MarshalJSON() ([]byte, error) { return json.RawMessage(ips).MarshalJSON() }

// Schema says what the stored JSON holds: a list of addresses.
func (bridgXIPs) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeArray, Nullable: true, Items: &huma.Schema{Type: huma.TypeString}}
}

// bridgXBatch is one create or delete call of a task.
type bridgXBatch struct {
	Action       string `json:"action" doc:"create or delete"`
	Amount       int    `json:"amount"`
	Attempts     int    `json:"attempts"`
	ClientToken  string `json:"client_token"`
	Done         int    `json:"done"`
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
	FinishAt     string `json:"finish_at"`
	RequestID    string `json:"request_id"`
	Round        int    `json:"round"`
	Seq          int    `json:"seq"`
	StartAt      string `json:"start_at"`
	Status       string `json:"status"`
}

// bridgXTaskInstance is an instance a task created or deleted.
type bridgXTaskInstance struct {
	Batch      int    `json:"batch"`
	CreateAt   string `json:"create_at"`
	DeletedAt  string `json:"deleted_at"`
	Error      string `json:"error"`
	InstanceID string `json:"instance_id"`
	IPInner    string `json:"ip_inner"`
	IPOuter    string `json:"ip_outer"`
	RunningAt  string `json:"running_at"`
	Status     string `json:"status"`
}

type bridgXLogLine struct {
	At      string `json:"at"`
	Level   string `json:"level"`
	Message string `json:"message"`
	Stage   string `json:"stage"`
}

// bridgXInstanceRow is an instance as the instance list shows it.
type bridgXInstanceRow struct {
	ClusterName  string `json:"cluster_name"`
	CreateAt     string `json:"create_at"`
	InstanceID   string `json:"instance_id"`
	InstanceType string `json:"instance_type"`
	IPInner      string `json:"ip_inner"`
	IPOuter      string `json:"ip_outer"`
	Provider     string `json:"provider"`
	StartupTime  int64  `json:"startup_time" doc:"seconds from creation to running"`
	Status       string `json:"status"`
}

type bridgXInstanceList struct {
	InstanceList []bridgXInstanceRow `json:"instance_list"`
	Pager        bridgXPager         `json:"pager"`
}

// bridgXInstance is one instance in full.
type bridgXInstance struct {
	ClusterName   string                      `json:"cluster_name"`
	CreateAt      string                      `json:"create_at"`
	ImageID       string                      `json:"image_id"`
	InstanceID    string                      `json:"instance_id"`
	InstanceType  string                      `json:"instance_type"`
	IPInner       string                      `json:"ip_inner"`
	IPOuter       string                      `json:"ip_outer"`
	NetworkConfig bridgXInstanceNetwork       `json:"network_config"`
	Provider      string                      `json:"provider"`
	RegionID      string                      `json:"region_id"`
	Status        string                      `json:"status"`
	StorageConfig bridgXInstanceStorageConfig `json:"storage_config"`
	ZoneID        string                      `json:"zone_id"`
}

type bridgXInstanceNetwork struct {
	SecurityGroupName string `json:"security_group_name"`
	SubnetIDName      string `json:"subnet_id_name"`
	VPCName           string `json:"vpc_name"`
}

type bridgXInstanceStorageConfig struct {
	DataDiskNum    int                  `json:"data_disk_num"`
	DataDisks      []bridgXInstanceDisk `json:"data_disks"`
	SystemDiskSize int                  `json:"system_disk_size"`
	SystemDiskType string               `json:"system_disk_type"`
}

type bridgXInstanceDisk struct {
	DataDiskSize int    `json:"data_disk_size"`
	DataDiskType string `json:"data_disk_type"`
}

type bridgXInstanceNum struct {
	InstanceNum int `json:"instance_num"`
}

// bridgXUsageTotal is a day's running time and its cost: cost and currency
// are null when nothing was priced, and costs replaces them when the day
// was paid in more than one currency.
type bridgXUsageTotal struct {
	Cost            *string           `json:"cost" doc:"decimal; null when unknown or when costs is sent"`
	Costs           map[string]string `json:"costs,omitempty" doc:"cost per currency, when there is more than one"`
	Currency        *string           `json:"currency"`
	UnpricedSeconds int64             `json:"unpriced_seconds"`
	UsageTotal      int64             `json:"usage_total" doc:"seconds"`
}

// bridgXUsageRow is one running interval's share of the day.
type bridgXUsageRow struct {
	ClusterName  string  `json:"cluster_name"`
	Cost         *string `json:"cost" doc:"decimal; null when the catalog had no price"`
	Currency     *string `json:"currency"`
	ID           string  `json:"id"`
	InstanceID   string  `json:"instance_id"`
	InstanceType string  `json:"instance_type"`
	ShutdownAt   string  `json:"shutdown_at"`
	StartupAt    string  `json:"startup_at"`
	StartupTime  int64   `json:"startup_time" doc:"seconds inside the day"`
}

type bridgXUsageList struct {
	InstanceList []bridgXUsageRow `json:"instance_list"`
	Pager        bridgXPager      `json:"pager"`
}

// statusName is an instance status as BridgX writes it (Running, Deleted).
func statusName(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (f *Face) timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return f.Svc.FormatTime(*t)
}

func (f *Face) taskRowOf(t *cluster.Task, now time.Time) bridgXTaskRow {
	return bridgXTaskRow{Account: t.AccountKey, ClusterName: t.ClusterName, Count: t.Requested, CreateAt: f.Svc.FormatTime(t.CreatedAt),
		ExecuteTime: t.ExecuteSeconds(now), FailNum: t.Failed, FinishAt: f.timeText(t.FinishedAt), Status: t.Status,
		SuccessNum: t.Succeeded, TaskAction: t.Action, TaskID: t.ID, TaskName: t.Name}
}

func (f *Face) listTasks(ctx context.Context, in *taskListInput) (*answer[bridgXTaskList], error) {
	p, err := pageParams(in.PageNumber, in.PageSize)
	if err != nil {
		return nil, err
	}
	page, err := f.Svc.ListTasks(ctx, auth.ScopeOf(ctx), cluster.TaskQuery{AccountKey: in.Account, ClusterName: in.ClusterName, Page: p})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]bridgXTaskRow, 0, len(page.Items))
	for i := range page.Items {
		out = append(out, f.taskRowOf(&page.Items[i], now))
	}
	return answerOf(bridgXTaskList{TaskList: out, Pager: pager(p, page.Total)}), nil
}

func (f *Face) taskInfo(ctx context.Context, in *taskInfoInput) (*answer[bridgXTaskInfo], error) {
	return f.showTask(ctx, in.TaskID, in.PageNumber, in.PageSize)
}

func (f *Face) taskInfoByPath(ctx context.Context, in *taskInfoPathInput) (*answer[bridgXTaskInfo], error) {
	return f.showTask(ctx, in.ID, in.PageNumber, in.PageSize)
}

func (f *Face) showTask(ctx context.Context, id, number, size string) (*answer[bridgXTaskInfo], error) {
	if id == "" {
		return nil, errs.Field("task_id", "required")
	}
	p, err := pageParams(number, size)
	if err != nil {
		return nil, err
	}
	d, err := f.Svc.TaskDetail(ctx, auth.ScopeOf(ctx), id, p)
	if err != nil {
		return nil, err
	}
	r := f.taskRowOf(d.Task, time.Now())
	v := bridgXTaskInfo{Account: r.Account, ClusterName: r.ClusterName, Count: r.Count, CreateAt: r.CreateAt, Error: d.Task.Error,
		ExecuteTime: r.ExecuteTime, FailNum: r.FailNum, FinishAt: r.FinishAt, IPs: bridgXIPs(d.Task.IPs), Pager: pager(p, d.Instances.Total),
		Status: r.Status, SuccessNum: r.SuccessNum, TaskAction: r.TaskAction, TaskID: r.TaskID, TaskName: r.TaskName,
		Batches: make([]bridgXBatch, 0, len(d.Batches)), InstanceList: make([]bridgXTaskInstance, 0, len(d.Instances.Items)),
		Logs: make([]bridgXLogLine, 0, len(d.Log))}
	for _, b := range d.Batches {
		v.Batches = append(v.Batches, bridgXBatch{Action: b.Kind, Amount: b.Amount, Attempts: b.Attempts, ClientToken: b.ClientToken,
			Done: b.Done, ErrorCode: b.ErrorCode, ErrorMessage: b.ErrorMessage, FinishAt: f.timeText(b.FinishedAt), RequestID: b.RequestID,
			Round: b.Round, Seq: b.Seq, StartAt: f.timeText(b.StartedAt), Status: b.Status})
	}
	for i := range d.Instances.Items {
		x := &d.Instances.Items[i]
		v.InstanceList = append(v.InstanceList, bridgXTaskInstance{Batch: x.BatchSeq, CreateAt: f.Svc.FormatTime(x.CreatedAt),
			DeletedAt: f.timeText(x.DeletedAt), Error: x.Error, InstanceID: x.InstanceID, IPInner: x.IPInner, IPOuter: x.IPOuter,
			RunningAt: f.timeText(x.RunningAt), Status: statusName(x.Status)})
	}
	for _, l := range d.Log {
		v.Logs = append(v.Logs, bridgXLogLine{At: f.Svc.FormatTime(l.At), Level: l.Level, Message: l.Message, Stage: l.Stage})
	}
	return answerOf(v), nil
}

func (f *Face) listInstances(ctx context.Context, in *instanceListInput) (*answer[bridgXInstanceList], error) {
	p, err := pageParams(in.PageNumber, in.PageSize)
	if err != nil {
		return nil, err
	}
	var sts []string
	if in.Status != "" {
		sts = strings.Split(in.Status, ",")
	}
	page, err := f.Svc.ListInstances(ctx, auth.ScopeOf(ctx), cluster.InstanceQuery{AccountKey: in.Account, InstanceID: in.InstanceID,
		IP: in.IP, Provider: in.Provider, ClusterName: in.ClusterName, Statuses: sts, Page: p})
	if err != nil {
		return nil, err
	}
	out := make([]bridgXInstanceRow, 0, len(page.Items))
	for i := range page.Items {
		x := &page.Items[i]
		out = append(out, bridgXInstanceRow{ClusterName: x.ClusterName, CreateAt: f.Svc.FormatTime(x.CreatedAt), InstanceID: x.InstanceID,
			InstanceType: x.InstanceType, IPInner: x.IPInner, IPOuter: x.IPOuter, Provider: cluster.BridgXName(x.Provider),
			StartupTime: x.StartupSeconds(), Status: statusName(x.Status)})
	}
	return answerOf(bridgXInstanceList{InstanceList: out, Pager: pager(p, page.Total)}), nil
}

func (f *Face) describeInstance(ctx context.Context, in *instanceIDInput) (*answer[bridgXInstance], error) {
	x, err := f.Svc.GetInstance(ctx, auth.ScopeOf(ctx), in.InstanceID)
	if err != nil {
		return nil, err
	}
	d := x.StorageOf()
	dd := make([]bridgXInstanceDisk, 0, len(d.DataDisks))
	for _, disk := range d.DataDisks {
		dd = append(dd, bridgXInstanceDisk{DataDiskType: disk.Category, DataDiskSize: disk.Size})
	}
	vpc, subnet, sg := f.Svc.NetworkNames(ctx, auth.ScopeOf(ctx), x)
	return answerOf(bridgXInstance{ClusterName: x.ClusterName, CreateAt: f.Svc.FormatTime(x.CreatedAt), ImageID: x.ImageID,
		InstanceID: x.InstanceID, InstanceType: x.InstanceType, IPInner: x.IPInner, IPOuter: x.IPOuter,
		NetworkConfig: bridgXInstanceNetwork{SecurityGroupName: sg, SubnetIDName: subnet, VPCName: vpc},
		Provider:      cluster.BridgXName(x.Provider), RegionID: x.RegionID, Status: statusName(x.Status),
		StorageConfig: bridgXInstanceStorageConfig{DataDiskNum: len(dd), DataDisks: dd, SystemDiskSize: d.SystemDisk.Size,
			SystemDiskType: d.SystemDisk.Category},
		ZoneID: x.ZoneID}), nil
}

func (f *Face) countInstances(ctx context.Context, in *instanceNumInput) (*answer[bridgXInstanceNum], error) {
	n, err := f.Svc.CountRunning(ctx, auth.ScopeOf(ctx), in.Account, in.ClusterName)
	if err != nil {
		return nil, err
	}
	return answerOf(bridgXInstanceNum{InstanceNum: n}), nil
}

func (f *Face) usageTotal(ctx context.Context, in *usageInput) (*answer[bridgXUsageTotal], error) {
	t, err := f.Svc.UsageTotal(ctx, auth.ScopeOf(ctx), cluster.UsageQuery{ClusterName: in.ClusterName, Date: in.Date})
	if err != nil {
		return nil, err
	}
	v := bridgXUsageTotal{UsageTotal: t.Seconds, UnpricedSeconds: t.Unpriced}
	if len(t.Costs) == 1 {
		for cur, c := range t.Costs {
			v.Cost, v.Currency = &c, &cur
		}
	} else if len(t.Costs) > 1 {
		v.Costs = t.Costs
	}
	return answerOf(v), nil
}

func (f *Face) usageStatistics(ctx context.Context, in *usageInput) (*answer[bridgXUsageList], error) {
	p, err := pageParams(in.PageNumber, in.PageSize)
	if err != nil {
		return nil, err
	}
	page, err := f.Svc.UsageStatistics(ctx, auth.ScopeOf(ctx), cluster.UsageQuery{ClusterName: in.ClusterName, Date: in.Date, Page: p})
	if err != nil {
		return nil, err
	}
	out := make([]bridgXUsageRow, 0, len(page.Items))
	for _, r := range page.Items {
		row := bridgXUsageRow{ClusterName: r.ClusterName, ID: strconv.FormatInt(r.ID, 10), InstanceID: r.InstanceID,
			InstanceType: r.InstanceType, ShutdownAt: f.timeText(r.StoppedAt), StartupAt: f.Svc.FormatTime(r.StartedAt), StartupTime: r.Seconds}
		if r.Cost != "" {
			row.Cost, row.Currency = &r.Cost, &r.Currency
		}
		out = append(out, row)
	}
	return answerOf(bridgXUsageList{InstanceList: out, Pager: pager(p, page.Total)}), nil
}
