package cluster

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/task"
)

// MaxExpand bounds one expand.
const MaxExpand = 100000

// runParams are the parameters of an expand or shrink task.
type runParams struct {
	ClusterID string   `json:"cluster_id"`
	Count     int      `json:"count"`
	IPs       []string `json:"ips,omitempty"`
}

// ExpandInput asks for more instances in a cluster.
type ExpandInput struct {
	ClusterName string
	TaskName    string
	Count       int
}

// ShrinkInput asks for fewer instances: the ones with these IPs, or Count
// chosen by Skyfold.
type ShrinkInput struct {
	ClusterName string
	TaskName    string
	Count       int
	IPs         []string
}

func checkTaskName(name string) error {
	if utf8.RuneCountInString(name) > 128 {
		return errs.Field("task_name", "at most 128 characters")
	}
	return nil
}

// Expand queues a task that adds Count instances to a cluster. A cluster
// runs one task at a time.
func (s *Service) Expand(ctx context.Context, o Owner, in ExpandInput) (*Task, error) {
	var fs []errs.FieldError
	if in.ClusterName == "" {
		fs = append(fs, errs.FieldError{Field: "cluster_name", Reason: "required"})
	}
	if in.Count < 1 || in.Count > MaxExpand {
		fs = append(fs, errs.FieldError{Field: "count", Reason: fmt.Sprintf("%d is outside 1 to %d", in.Count, MaxExpand)})
	}
	addField(&fs, checkTaskName(in.TaskName))
	if err := errs.Fields(fs...); err != nil {
		return nil, err
	}
	c, err := s.GetCluster(ctx, o.Scope, in.ClusterName)
	if err != nil {
		return nil, clusterNameError(err, in.ClusterName)
	}
	a, err := s.accts.Get(ctx, c.CloudaccountID)
	if err != nil {
		return nil, errs.Field("cluster_name", fmt.Sprintf("the account of cluster %s is gone", c.Name))
	}
	if err := usable(a, "cluster_name"); err != nil {
		return nil, err
	}
	return s.submit(ctx, o, c, ActionExpand, in.TaskName, runParams{ClusterID: c.ID, Count: in.Count})
}

func clusterNameError(err error, name string) error {
	if errs.CodeOf(err) == errs.NotFound {
		return &errs.Error{Code: errs.Invalid, Message: fmt.Sprintf("cluster_name: no cluster %s that you may use", quoted(name)),
			Fields: []errs.FieldError{{Field: "cluster_name", Reason: "no such cluster"}}, Err: err}
	}
	return err
}

// Shrink queues a task that deletes instances of a cluster: the ones with
// the given IPs, else Count of them. Prepaid clusters cannot shrink, and a
// cluster never shrinks below zero.
func (s *Service) Shrink(ctx context.Context, o Owner, in ShrinkInput) (*Task, error) {
	var fs []errs.FieldError
	if in.ClusterName == "" {
		fs = append(fs, errs.FieldError{Field: "cluster_name", Reason: "required"})
	}
	ips := make([]string, 0, len(in.IPs))
	for i, ip := range in.IPs {
		ip = strings.TrimSpace(ip)
		if ip == "" {
			continue
		}
		if a, err := netip.ParseAddr(ip); err != nil || !a.Is4() {
			fs = append(fs, errs.FieldError{Field: fmt.Sprintf("ips[%d]", i), Reason: fmt.Sprintf("%s is not an IPv4 address", quoted(ip))})
			continue
		}
		if !slices.Contains(ips, ip) {
			ips = append(ips, ip)
		}
	}
	if len(ips) == 0 && (in.Count < 1 || in.Count > MaxExpand) {
		fs = append(fs, errs.FieldError{Field: "count", Reason: fmt.Sprintf("%d is outside 1 to %d (or give ips)", in.Count, MaxExpand)})
	}
	addField(&fs, checkTaskName(in.TaskName))
	if err := errs.Fields(fs...); err != nil {
		return nil, err
	}
	c, err := s.GetCluster(ctx, o.Scope, in.ClusterName)
	if err != nil {
		return nil, clusterNameError(err, in.ClusterName)
	}
	if c.ChargeOf().ChargeType == "PrePaid" {
		return nil, errs.Field("cluster_name", fmt.Sprintf("cluster %s is PrePaid: subscription instances cannot be released before they expire", c.Name))
	}
	live := []string{InstancePending, InstanceRunning, InstanceFailed}
	if len(ips) > 0 {
		ins, err := s.liveAddresses(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		var found []string
		for _, x := range ins {
			found = append(found, x.IPInner, x.IPOuter)
		}
		var missing []string
		for _, ip := range ips {
			if !slices.Contains(found, ip) {
				missing = append(missing, ip)
			}
		}
		if len(missing) > 0 {
			return nil, errs.Field("ips", fmt.Sprintf("no instance of cluster %s has the address %s", c.Name, clipText(strings.Join(missing, ", "), 300)))
		}
		in.Count = len(ips)
	} else {
		n, err := count(ctx, s.db.NewSelect().Model((*Instance)(nil)).Where("cluster_id = ?", c.ID).Where("status IN (?)", bun.List(live)))
		if err != nil {
			return nil, err
		}
		if in.Count > n {
			return nil, errs.Field("count", fmt.Sprintf("%d is more than the %d instances cluster %s has; it cannot shrink below zero", in.Count, n, c.Name))
		}
	}
	return s.submit(ctx, o, c, ActionShrink, in.TaskName, runParams{ClusterID: c.ID, Count: in.Count, IPs: ips})
}

// submit takes the cluster's task slot, records the BridgX task and queues
// its execution.
func (s *Service) submit(ctx context.Context, o Owner, c *Cluster, action, name string, p runParams) (*Task, error) {
	now := s.now()
	ips, _ := json.Marshal(p.IPs)
	if p.IPs == nil {
		ips = []byte("[]")
	}
	t := &Task{ID: s.numericID(), ClusterID: c.ID, ClusterName: c.Name, CloudaccountID: c.CloudaccountID, AccountKey: c.AccountKey,
		Name: name, Action: action, Status: StatusInit, Requested: p.Count, IPs: ips, DomainID: c.DomainID, ProjectID: c.ProjectID,
		CreatedBy: o.UserID, CreatedAt: now, UpdatedAt: now}
	if err := s.claim(ctx, c, t); err != nil {
		return nil, err
	}
	typ := TaskExpand
	if action == ActionShrink {
		typ = TaskShrink
	}
	if _, err := s.tasks.Submit(ctx, task.Spec{ID: t.ID, Type: typ, ObjectType: "cluster", ObjectID: c.ID, ObjectName: c.Name,
		DomainID: c.DomainID, ProjectID: c.ProjectID, UserID: o.UserID, Params: p}); err != nil {
		bg := context.WithoutCancel(ctx)
		_, _ = s.db.NewDelete().Model((*Task)(nil)).Where("id = ?", t.ID).Exec(bg)
		_, _ = s.db.NewUpdate().Model((*Cluster)(nil)).Set("active_task_id = ''").Where("id = ?", c.ID).Where("active_task_id = ?", t.ID).Exec(bg)
		return nil, fmt.Errorf("queue %s of cluster %s: %w", strings.ToLower(action), c.Name, err)
	}
	return t, nil
}

// claim records t and makes it the cluster's one active task, taking the
// slot over from a task that ended without releasing it.
func (s *Service) claim(ctx context.Context, c *Cluster, t *Task) error {
	for range 3 {
		err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			res, err := tx.NewUpdate().Model((*Cluster)(nil)).Set("active_task_id = ?", t.ID).
				Where("id = ?", c.ID).Where("active_task_id = ''").Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errBusy
			}
			_, err = tx.NewInsert().Model(t).Exec(ctx)
			return err
		})
		if !errors.Is(err, errBusy) {
			return err
		}
		cur := new(Cluster)
		if err := s.db.NewSelect().Model(cur).Where("id = ?", c.ID).Scan(ctx); err != nil {
			return errs.NotFoundf("cluster", c.Name)
		}
		if cur.ActiveTaskID == "" {
			continue
		}
		stale, active := s.staleTask(ctx, cur.ActiveTaskID)
		if !stale {
			desc := cur.ActiveTaskID
			if active != nil {
				desc = fmt.Sprintf("%s (%s %s", active.ID, active.Action, active.Status)
				if active.Name != "" {
					desc += ", " + active.Name
				}
				desc += ")"
			}
			return errs.E(errs.Conflict, "cluster %s already has an active task: %s; wait for it to finish", c.Name, desc)
		}
		_, _ = s.db.NewUpdate().Model((*Cluster)(nil)).Set("active_task_id = ''").
			Where("id = ?", c.ID).Where("active_task_id = ?", cur.ActiveTaskID).Exec(ctx)
	}
	return errs.E(errs.Conflict, "cluster %s is busy; try again", c.Name)
}

var errBusy = errors.New("cluster busy")

// staleTask reports whether the task holding a cluster's slot has ended (or
// never got queued), and returns its record when there is one.
func (s *Service) staleTask(ctx context.Context, id string) (bool, *Task) {
	t := new(Task)
	if err := s.db.NewSelect().Model(t).Where("id = ?", id).Scan(ctx); err != nil {
		return errors.Is(err, sql.ErrNoRows), nil
	}
	if !t.Active() {
		return true, t
	}
	if _, err := s.tasks.Get(ctx, id); errs.CodeOf(err) == errs.NotFound && s.now().Sub(t.CreatedAt) > time.Minute {
		msg := "the task was recorded but never queued"
		now := s.now()
		_, _ = s.db.NewUpdate().Model((*Task)(nil)).Set("status = ?", StatusFailed).Set("error = ?", msg).
			Set("finished_at = ?", now).Set("updated_at = ?", now).Where("id = ?", id).Exec(ctx)
		return true, t
	}
	return false, t
}

// TaskQuery filters ListTasks.
type TaskQuery struct {
	AccountKey  string
	ClusterName string
	Page        listing.Params
}

// ListTasks returns a page of expand and shrink tasks, newest first.
func (s *Service) ListTasks(ctx context.Context, sc inventory.Scope, q TaskQuery) (listing.Page[Task], error) {
	var out []Task
	sel := scoped(s.db.NewSelect().Model(&out), "ct", sc)
	if q.AccountKey != "" {
		sel = sel.Where("ct.account_key = ?", q.AccountKey)
	}
	if q.ClusterName != "" {
		sel = sel.Where("ct.cluster_name = ?", q.ClusterName)
	}
	sel = sel.Order("ct.created_at DESC", "ct.id DESC")
	sel = pageOf(sel, q.Page)
	n, err := sel.ScanAndCount(ctx)
	if err != nil {
		return listing.Page[Task]{}, fmt.Errorf("list cluster tasks: %w", err)
	}
	if out == nil {
		out = []Task{}
	}
	return listing.Page[Task]{Items: out, Total: int(n), Offset: q.Page.Offset, Limit: q.Page.Limit}, nil
}

// GetTask returns one task if the scope may see it.
func (s *Service) GetTask(ctx context.Context, sc inventory.Scope, id string) (*Task, error) {
	if id == "" {
		return nil, errs.Field("task_id", "required")
	}
	t := new(Task)
	err := scoped(s.db.NewSelect().Model(t).Where("ct.id = ?", id), "ct", sc).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("task", id)
	}
	return t, err
}

// TaskDetail is a task with its batches, a page of its instances and its
// log.
type TaskDetail struct {
	Task      *Task
	Batches   []Batch
	Instances listing.Page[Instance]
	Log       []task.LogLine
}

// TaskDetail returns a task with its batches (each create or delete call
// with the cloud's error when it failed), one page of its instances and
// its log.
func (s *Service) TaskDetail(ctx context.Context, sc inventory.Scope, id string, page listing.Params) (*TaskDetail, error) {
	t, err := s.GetTask(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	d := &TaskDetail{Task: t, Batches: []Batch{}}
	if err := s.db.NewSelect().Model(&d.Batches).Where("task_id = ?", id).Order("seq").Scan(ctx); err != nil {
		return nil, err
	}
	var ins []Instance
	col := "expand_task_id"
	if t.Action == ActionShrink {
		col = "shrink_task_id"
	}
	q := s.instanceSelect(&ins).Where("cm.? = ?", bun.Ident(col), id).Order("cm.created_at", "r.external_id")
	q = pageOf(q, page)
	n, err := q.ScanAndCount(ctx)
	if err != nil {
		return nil, err
	}
	if ins == nil {
		ins = []Instance{}
	}
	fillAll(ins)
	d.Instances = listing.Page[Instance]{Items: ins, Total: int(n), Offset: page.Offset, Limit: page.Limit}
	if s.tasks != nil {
		if logs, err := s.tasks.Logs(ctx, id, 0, 200); err == nil {
			d.Log = logs
		}
	}
	return d, nil
}
