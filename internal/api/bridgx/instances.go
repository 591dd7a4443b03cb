package bridgx

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/cluster"
	"github.com/skyfold/skyfold/internal/errs"
)

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

// statusName is an instance status as BridgX writes it (Running, Deleted).
func statusName(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (f *Face) taskJSON(t *cluster.Task, now time.Time) map[string]any {
	finish := ""
	if t.FinishedAt != nil {
		finish = f.Svc.FormatTime(*t.FinishedAt)
	}
	return map[string]any{"task_id": t.ID, "task_name": t.Name, "task_action": t.Action, "status": t.Status,
		"cluster_name": t.ClusterName, "create_at": f.Svc.FormatTime(t.CreatedAt), "execute_time": t.ExecuteSeconds(now),
		"finish_at": finish, "account": t.AccountKey, "count": t.Requested, "success_num": t.Succeeded, "fail_num": t.Failed}
}

func timePtr(f *Face, t *time.Time) string {
	if t == nil {
		return ""
	}
	return f.Svc.FormatTime(*t)
}

func (f *Face) registerTasks(s *api.Server) {
	api.Register(s, op("task-list", http.MethodGet, "/api/v1/task/list", "List expand and shrink tasks", "cluster/tasks/list"),
		func(ctx context.Context, in *taskListInput) (*reply, error) {
			p, err := pageParams(in.PageNumber, in.PageSize)
			if err != nil {
				return nil, err
			}
			page, err := f.Svc.ListTasks(ctx, auth.ScopeOf(ctx), cluster.TaskQuery{AccountKey: in.Account, ClusterName: in.ClusterName, Page: p})
			if err != nil {
				return nil, err
			}
			now := time.Now()
			out := make([]map[string]any, 0, len(page.Items))
			for i := range page.Items {
				out = append(out, f.taskJSON(&page.Items[i], now))
			}
			return ok(map[string]any{"task_list": out, "pager": pager(p, page.Total)}), nil
		})

	info := func(ctx context.Context, id, number, size string) (*reply, error) {
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
		m := f.taskJSON(d.Task, time.Now())
		m["error"] = d.Task.Error
		m["ips"] = d.Task.IPs
		batches := make([]map[string]any, 0, len(d.Batches))
		for _, b := range d.Batches {
			batches = append(batches, map[string]any{"seq": b.Seq, "round": b.Round, "action": b.Kind, "amount": b.Amount, "done": b.Done,
				"status": b.Status, "attempts": b.Attempts, "client_token": b.ClientToken, "error_code": b.ErrorCode,
				"error_message": b.ErrorMessage, "request_id": b.RequestID, "start_at": timePtr(f, b.StartedAt), "finish_at": timePtr(f, b.FinishedAt)})
		}
		m["batches"] = batches
		ins := make([]map[string]any, 0, len(d.Instances.Items))
		for i := range d.Instances.Items {
			in := &d.Instances.Items[i]
			ins = append(ins, map[string]any{"instance_id": in.InstanceID, "status": statusName(in.Status), "ip_inner": in.IPInner,
				"ip_outer": in.IPOuter, "batch": in.BatchSeq, "error": in.Error, "create_at": f.Svc.FormatTime(in.CreatedAt),
				"running_at": timePtr(f, in.RunningAt), "deleted_at": timePtr(f, in.DeletedAt)})
		}
		m["instance_list"] = ins
		m["pager"] = pager(p, d.Instances.Total)
		logs := make([]map[string]any, 0, len(d.Log))
		for _, l := range d.Log {
			logs = append(logs, map[string]any{"at": f.Svc.FormatTime(l.At), "level": l.Level, "stage": l.Stage, "message": l.Message})
		}
		m["logs"] = logs
		return ok(m), nil
	}
	api.Register(s, op("task-info", http.MethodGet, "/api/v1/task/info", "Show a task: batches, instances and the cloud's errors", "cluster/tasks/get"),
		func(ctx context.Context, in *taskInfoInput) (*reply, error) {
			return info(ctx, in.TaskID, in.PageNumber, in.PageSize)
		})
	api.Register(s, op("task-info-path", http.MethodGet, "/api/v1/task/info/{id}", "Show a task: batches, instances and the cloud's errors",
		"cluster/tasks/get"),
		func(ctx context.Context, in *taskInfoPathInput) (*reply, error) {
			return info(ctx, in.ID, in.PageNumber, in.PageSize)
		})
}

func (f *Face) registerInstances(s *api.Server) {
	api.Register(s, op("instance-describe-all", http.MethodGet, "/api/v1/instance/describe_all", "List cluster instances", "cluster/instances/list"),
		func(ctx context.Context, in *instanceListInput) (*reply, error) {
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
			out := make([]map[string]any, 0, len(page.Items))
			for i := range page.Items {
				x := &page.Items[i]
				out = append(out, map[string]any{"instance_id": x.InstanceID, "ip_inner": x.IPInner, "ip_outer": x.IPOuter,
					"provider": cluster.BridgXName(x.Provider), "create_at": f.Svc.FormatTime(x.CreatedAt), "status": statusName(x.Status),
					"startup_time": x.StartupSeconds(), "cluster_name": x.ClusterName, "instance_type": x.InstanceType})
			}
			return ok(map[string]any{"instance_list": out, "pager": pager(p, page.Total)}), nil
		})

	api.Register(s, op("instance-describe", http.MethodGet, "/api/v1/instance/id/describe", "Show a cluster instance", "cluster/instances/get"),
		func(ctx context.Context, in *instanceIDInput) (*reply, error) {
			x, err := f.Svc.GetInstance(ctx, auth.ScopeOf(ctx), in.InstanceID)
			if err != nil {
				return nil, err
			}
			d := x.StorageOf()
			dd := make([]map[string]any, 0, len(d.DataDisks))
			for _, disk := range d.DataDisks {
				dd = append(dd, map[string]any{"data_disk_type": disk.Category, "data_disk_size": disk.Size})
			}
			vpc, subnet, sg := f.Svc.NetworkNames(ctx, auth.ScopeOf(ctx), x)
			return ok(map[string]any{"instance_id": x.InstanceID, "provider": cluster.BridgXName(x.Provider), "region_id": x.RegionID,
				"zone_id": x.ZoneID, "image_id": x.ImageID, "instance_type": x.InstanceType, "ip_inner": x.IPInner, "ip_outer": x.IPOuter,
				"create_at": f.Svc.FormatTime(x.CreatedAt), "status": statusName(x.Status), "cluster_name": x.ClusterName,
				"storage_config": map[string]any{"system_disk_type": d.SystemDisk.Category, "system_disk_size": d.SystemDisk.Size,
					"data_disks": dd, "data_disk_num": len(dd)},
				"network_config": map[string]any{"vpc_name": vpc, "subnet_id_name": subnet, "security_group_name": sg}}), nil
		})

	api.Register(s, op("instance-num", http.MethodGet, "/api/v1/instance/num", "Count running cluster instances", "cluster/instances/list"),
		func(ctx context.Context, in *instanceNumInput) (*reply, error) {
			n, err := f.Svc.CountRunning(ctx, auth.ScopeOf(ctx), in.Account, in.ClusterName)
			if err != nil {
				return nil, err
			}
			return ok(map[string]any{"instance_num": n}), nil
		})

	api.Register(s, op("usage-total", http.MethodGet, "/api/v1/instance/usage_total",
		"Seconds cluster instances ran on a day, and their cost at list price", "cluster/usage/get"),
		func(ctx context.Context, in *usageInput) (*reply, error) {
			t, err := f.Svc.UsageTotal(ctx, auth.ScopeOf(ctx), cluster.UsageQuery{ClusterName: in.ClusterName, Date: in.Date})
			if err != nil {
				return nil, err
			}
			m := map[string]any{"usage_total": t.Seconds, "cost": nil, "currency": nil, "unpriced_seconds": t.Unpriced}
			if len(t.Costs) == 1 {
				for cur, c := range t.Costs {
					m["cost"], m["currency"] = c, cur
				}
			} else if len(t.Costs) > 1 {
				m["costs"] = t.Costs
			}
			return ok(m), nil
		})

	api.Register(s, op("usage-statistics", http.MethodGet, "/api/v1/instance/usage_statistics",
		"Each running interval of a day, with its seconds and cost", "cluster/usage/list"),
		func(ctx context.Context, in *usageInput) (*reply, error) {
			p, err := pageParams(in.PageNumber, in.PageSize)
			if err != nil {
				return nil, err
			}
			page, err := f.Svc.UsageStatistics(ctx, auth.ScopeOf(ctx), cluster.UsageQuery{ClusterName: in.ClusterName, Date: in.Date, Page: p})
			if err != nil {
				return nil, err
			}
			out := make([]map[string]any, 0, len(page.Items))
			for _, r := range page.Items {
				row := map[string]any{"id": itoa(r.ID), "cluster_name": r.ClusterName, "instance_id": r.InstanceID,
					"startup_at": f.Svc.FormatTime(r.StartedAt), "shutdown_at": timePtr(f, r.StoppedAt), "startup_time": r.Seconds,
					"instance_type": r.InstanceType, "cost": nil, "currency": nil}
				if r.Cost != "" {
					row["cost"], row["currency"] = r.Cost, r.Currency
				}
				out = append(out, row)
			}
			return ok(map[string]any{"instance_list": out, "pager": pager(p, page.Total)}), nil
		})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
