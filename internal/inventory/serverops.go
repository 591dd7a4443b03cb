package inventory

// Server operations. Every operation on a server (start, stop, resize,
// snapshot, restore, delete, ...) runs as a task of two stages: "run" calls
// the cloud and follows the cloud's own task to its end, "refresh" reads
// the server (and what the operation made) back from the cloud into the
// inventory. While the task runs the server row carries the task id in
// busy_task_id: a second operation is refused and the sync leaves the
// region's servers alone. Generic operations go through the provider SPI
// and work on every provider; private-cloud operations need one of the
// cloud package's optional capabilities and give NotSupported where the
// region lacks it. The progress of the cloud's own task is written to the
// Skyfold task's log as it changes.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/ids"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/task"
)

// ServerOp names an operation on a server, as the Cloudpods face's action
// path names it.
type ServerOp string

// The server operations.
const (
	OpStart           ServerOp = "start"
	OpStop            ServerOp = "stop"
	OpRestart         ServerOp = "restart"
	OpDelete          ServerOp = "delete"
	OpChangeConfig    ServerOp = "change-config"
	OpSnapshot        ServerOp = "snapshot"
	OpSnapshotRestore ServerOp = "snapshot-restore"
	OpBackup          ServerOp = "backup"
	OpBackupRestore   ServerOp = "backup-restore"
	OpSetPassword     ServerOp = "set-password"
	OpDiskAdd         ServerOp = "disk-add"
	OpDiskExtend      ServerOp = "disk-extend"
)

// TaskServerCreate is the task type that creates a server; each operation's
// task type is "server." followed by the operation.
const TaskServerCreate = "server.create"

// TaskType is the task type of an operation.
func (op ServerOp) TaskType() string { return "server." + string(op) }

// opInfo says how an operation runs.
type opInfo struct {
	// capable is nil for operations of the SPI (every provider); else it
	// reports whether a region client has the capability the operation
	// needs.
	capable  func(rc cloud.RegionClient) bool
	status   string // the row's status while the task runs ("" keeps it)
	attempts int    // task attempts; 1 for operations a retry could repeat
}

// has reports whether a region client has capability T.
func has[T any](rc cloud.RegionClient) bool {
	_, ok := cloud.As[T](rc)
	return ok
}

var serverOps = map[ServerOp]opInfo{
	OpStart:           {status: "starting", attempts: 3},
	OpStop:            {status: "stopping", attempts: 3},
	OpRestart:         {status: "restarting", attempts: 2},
	OpDelete:          {status: "deleting", attempts: 3},
	OpChangeConfig:    {status: "changing_config", attempts: 2},
	OpSnapshot:        {status: "snapshotting", attempts: 3}, // idempotent: client token = task id
	OpSnapshotRestore: {capable: has[cloud.VMSnapshots], status: "restoring", attempts: 1},
	OpBackup:          {capable: has[cloud.Backups], status: "backing_up", attempts: 1},
	OpBackupRestore:   {capable: has[cloud.Backups], status: "restoring", attempts: 1},
	OpSetPassword:     {capable: has[cloud.Passwords], attempts: 1},
	OpDiskAdd:         {capable: has[cloud.DiskOps], status: "adding_disk", attempts: 1},
	OpDiskExtend:      {capable: has[cloud.DiskOps], status: "extending_disk", attempts: 1},
}

// ServerOps lists the operations, for faces that register one route each.
func ServerOps() []ServerOp {
	return []ServerOp{OpStart, OpStop, OpRestart, OpDelete, OpChangeConfig, OpSnapshot, OpSnapshotRestore,
		OpBackup, OpBackupRestore, OpSetPassword, OpDiskAdd, OpDiskExtend}
}

// ServerOpInput holds an operation's arguments; each operation reads its own.
type ServerOpInput struct {
	// Force stops (stop, restart) without the guest's cooperation; delete
	// always forces.
	Force bool
	// InstanceType, or CPU and MemoryMB, is the new shape (change-config).
	InstanceType string
	CPU          int
	MemoryMB     int
	// Name and Description name a new snapshot or backup.
	Name        string
	Description string
	// Snapshot and Backup name what to restore: an inventory id, external
	// id or name.
	Snapshot string
	Backup   string
	// Username and Password are the guest credentials (set-password).
	Username string
	Password string
	// Disk names the disk to extend; SizeGB is the new or added size.
	Disk   string
	SizeGB int
	// UserID is who asks, for the task record.
	UserID string
}

// serverOpParams are a task's parameters. They never hold a password in
// clear: it is sealed with the service's secret box.
type serverOpParams struct {
	ResourceID   string   `json:"resource_id"`
	Op           ServerOp `json:"op"`
	PrevStatus   string   `json:"prev_status"`
	Force        bool     `json:"force,omitempty"`
	InstanceType string   `json:"instance_type,omitempty"`
	CPU          int      `json:"cpu,omitempty"`
	MemoryMB     int      `json:"memory_mb,omitempty"`
	Name         string   `json:"name,omitempty"`
	Description  string   `json:"description,omitempty"`
	SnapshotID   string   `json:"snapshot_external_id,omitempty"`
	BackupID     string   `json:"backup_external_id,omitempty"`
	DiskID       string   `json:"disk_external_id,omitempty"`
	SizeGB       int      `json:"size_gb,omitempty"`
	Username     string   `json:"username,omitempty"`
	SealedPass   string   `json:"sealed_password,omitempty"`
}

// serverOpState passes what the run stage made to the refresh stage.
type serverOpState struct {
	Snapshot *cloud.Snapshot `json:"snapshot,omitempty"`
	Backup   *cloud.VMCopy   `json:"backup,omitempty"`
	Disk     *cloud.Disk     `json:"disk,omitempty"`
	Created  []string        `json:"created,omitempty"`
}

// ServerAction checks an operation, marks the server busy and starts the
// operation's task. It returns the server as it is now and the task.
func (s *Service) ServerAction(ctx context.Context, sc Scope, id string, op ServerOp, in ServerOpInput) (*Resource, *task.Task, error) {
	info, ok := serverOps[op]
	if !ok {
		return nil, nil, errs.E(errs.NotFound, "no server operation %q", op)
	}
	r, err := s.GetResource(ctx, sc, KindServer, id)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.Get(ctx, r.CloudaccountID)
	if err != nil {
		return nil, nil, err
	}
	if !a.Enabled || a.ReadOnly || a.Status == StatusDeleting {
		return nil, nil, errs.E(errs.Conflict, "cloud account %s is disabled, read-only or being deleted", a.Name)
	}
	if r.BusyTaskID != "" {
		return nil, nil, errs.E(errs.Conflict, "server %s is busy in task %s", r.Name, r.BusyTaskID)
	}
	if info.capable != nil {
		drv, rc, err := s.regionClient(ctx, a, r.CloudregionID)
		if err != nil {
			return nil, nil, err
		}
		capable := info.capable(rc)
		drv.Close()
		if !capable {
			return nil, nil, notSupported("server operation "+string(op), a)
		}
	}
	p, err := s.checkServerOp(ctx, sc, r, op, in)
	if err != nil {
		return nil, nil, err
	}
	p.ResourceID, p.Op, p.PrevStatus = r.ID, op, r.Status
	t, err := s.startServerTask(ctx, r, op.TaskType(), info.status, in.UserID, p)
	if err != nil {
		return nil, nil, err
	}
	cur, err := s.resourceByID(ctx, r.ID)
	if err != nil {
		return nil, nil, err
	}
	return cur, t, nil
}

// checkServerOp validates an operation's arguments against the inventory
// and builds its task parameters.
func (s *Service) checkServerOp(ctx context.Context, sc Scope, r *Resource, op ServerOp, in ServerOpInput) (serverOpParams, error) {
	p := serverOpParams{Force: in.Force, Name: strings.TrimSpace(in.Name), Description: in.Description}
	switch op {
	case OpDelete:
		p.Force = true
	case OpChangeConfig:
		p.InstanceType = strings.TrimSpace(in.InstanceType)
		p.CPU, p.MemoryMB = in.CPU, in.MemoryMB
		if p.InstanceType == "" && p.CPU == 0 && p.MemoryMB == 0 {
			return p, errs.Field("instance_type", "give instance_type, or vcpu_count and/or vmem_size")
		}
		if p.CPU < 0 || p.CPU > 1024 {
			return p, errs.Field("vcpu_count", "want 1..1024")
		}
		if p.MemoryMB < 0 {
			return p, errs.Field("vmem_size", "must not be negative")
		}
		if p.InstanceType == "" && p.CPU == r.CPU && p.MemoryMB == r.MemoryMB {
			return p, errs.Field("vcpu_count", "the server already has this configuration")
		}
	case OpSnapshotRestore:
		snap, err := s.relatedResource(ctx, sc, r, KindSnapshot, "snapshot", in.Snapshot)
		if err != nil {
			return p, err
		}
		p.SnapshotID = snap.ExternalID
	case OpBackupRestore:
		b, err := s.relatedResource(ctx, sc, r, KindBackup, "backup", in.Backup)
		if err != nil {
			return p, err
		}
		if b.ParentExternalID != r.ExternalID {
			return p, errs.Field("backup", fmt.Sprintf("backup %s is not a backup of server %s", b.Name, r.Name))
		}
		p.BackupID = b.ExternalID
	case OpBackup:
		if p.Name == "" {
			p.Name = r.Name + "-backup-" + s.now().Format("20060102-150405")
		}
	case OpSetPassword:
		if in.Password == "" {
			return p, errs.Field("password", "required")
		}
		sealed, err := s.box.Encrypt(in.Password)
		if err != nil {
			return p, err
		}
		p.SealedPass, p.Username = sealed, strings.TrimSpace(in.Username)
	case OpDiskAdd:
		if in.SizeGB < 1 || in.SizeGB > 65536 {
			return p, errs.Field("size_gb", "want 1..65536 GB")
		}
		p.SizeGB = in.SizeGB
	case OpDiskExtend:
		d, err := s.relatedResource(ctx, sc, r, KindDisk, "disk", in.Disk)
		if err != nil {
			return p, err
		}
		if d.ParentExternalID != r.ExternalID {
			return p, errs.Field("disk", fmt.Sprintf("disk %s is not attached to server %s", d.Name, r.Name))
		}
		if in.SizeGB <= d.SizeGB {
			return p, errs.Field("size_gb", fmt.Sprintf("a disk only grows: want more than its %d GB", d.SizeGB))
		}
		p.DiskID, p.SizeGB = d.ExternalID, in.SizeGB
	}
	return p, nil
}

// relatedResource finds a resource of the server's account by id, external
// id or name.
func (s *Service) relatedResource(ctx context.Context, sc Scope, srv *Resource, k Kind, field, idOrName string) (*Resource, error) {
	if strings.TrimSpace(idOrName) == "" {
		return nil, errs.Field(field, "required")
	}
	x, err := s.GetResource(ctx, sc, k, idOrName)
	if err != nil {
		return nil, errs.Field(field, fmt.Sprintf("no such %s %s", k, idOrName))
	}
	if x.CloudaccountID != srv.CloudaccountID || x.CloudregionID != srv.CloudregionID {
		return nil, errs.Field(field, fmt.Sprintf("%s %s is not in the server's account and region", k, x.Name))
	}
	return x, nil
}

// startServerTask claims a server row for a new task (refusing a busy row)
// and submits the task; the claim is released should the submit fail.
func (s *Service) startServerTask(ctx context.Context, r *Resource, typ, status, userID string, params any) (*task.Task, error) {
	tid := ids.New()
	q := s.db.NewUpdate().Model((*Resource)(nil)).Set("busy_task_id = ?", tid).Set("updated_at = ?", s.now()).
		Where("id = ?", r.ID).Where("busy_task_id = ''").Where("deleted_at IS NULL")
	if status != "" {
		q = q.Set("status = ?", status)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("claim server %s: %w", r.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, errs.E(errs.Conflict, "server %s is busy in another task", r.Name)
	}
	t, err := s.tasks.Submit(ctx, task.Spec{ID: tid, Type: typ, ObjectType: "server", ObjectID: r.ID, ObjectName: r.Name,
		DomainID: r.DomainID, ProjectID: r.ProjectID, UserID: userID, Params: params})
	if err != nil {
		_, _ = s.db.NewUpdate().Model((*Resource)(nil)).Set("busy_task_id = ''").Set("status = ?", r.Status).
			Where("id = ?", r.ID).Where("busy_task_id = ?", tid).Exec(context.WithoutCancel(ctx))
		return nil, err
	}
	return t, nil
}

func (s *Service) resourceByID(ctx context.Context, id string) (*Resource, error) {
	rows := make([]Resource, 1)
	if err := s.db.NewSelect().Model(&rows[0]).Where("r.id = ?", id).Scan(ctx); err != nil {
		return nil, errs.NotFoundf("resource", id)
	}
	if err := s.LoadData(ctx, rows); err != nil {
		return nil, err
	}
	return &rows[0], nil
}

// registerServerOps registers the task types of server operations.
func (s *Service) registerServerOps(tasks *task.Service) {
	for op, info := range serverOps {
		tasks.Register(task.Definition{Type: op.TaskType(), MaxAttempts: info.attempts, Timeout: time.Hour,
			Stages: []task.Stage{{Name: "run", Run: s.serverOpRun}, {Name: "refresh", Run: s.serverOpRefresh}},
			OnEnd:  s.serverOpEnd})
	}
	tasks.Register(task.Definition{Type: TaskServerCreate, MaxAttempts: 3, Timeout: time.Hour,
		Stages: []task.Stage{{Name: "create", Run: s.serverCreateRun}, {Name: "refresh", Run: s.serverCreateRefresh}},
		OnEnd:  s.serverCreateEnd})
}

// opTarget is what a stage works on: the server row, its account and an
// open driver with the region client (close drv when done).
type opTarget struct {
	row *Resource
	acc *Account
	drv cloud.Provider
	rc  cloud.RegionClient
}

func (s *Service) openTarget(ctx context.Context, resourceID string) (*opTarget, error) {
	row, err := s.resourceByID(ctx, resourceID)
	if err != nil {
		return nil, task.Permanent(err)
	}
	a, err := s.Get(ctx, row.CloudaccountID)
	if err != nil {
		return nil, task.Permanent(err)
	}
	reg, err := s.Region(ctx, row.CloudregionID)
	if err != nil {
		return nil, task.Permanent(err)
	}
	drv, err := s.Open(ctx, a)
	if err != nil {
		return nil, err
	}
	rc, err := drv.Region(reg.RegionID)
	if err != nil {
		drv.Close()
		return nil, opError(err)
	}
	return &opTarget{row: row, acc: a, drv: drv, rc: rc}, nil
}

// withCloudProgress passes the cloud's task progress to the task's log and
// progress (the run stage covers 0–90%).
func withCloudProgress(ctx context.Context, r *task.Run, provider string) context.Context {
	return cloud.WithProgress(ctx, func(p cloud.Progress) {
		r.Log(ctx, "%s %s", provider, p.Message)
		if p.Percent >= 0 {
			r.SetProgress(float64(min(p.Percent, 100)) * 0.9)
		}
	})
}

// opError makes a driver error the domain error the task records. A
// refusal ends the task at once; a failure (throttled, transient or
// unclassified) is left to the task's own retries, minutes apart, which
// may see through what WithRetry's quick ones could not; an error that is
// no cloud's or domain's verdict is returned as it is.
func opError(err error) error {
	if err == nil {
		return nil
	}
	d := cloud.AsDomain(err)
	switch {
	case cloud.Refused(err):
		return task.Permanent(d)
	case d.Code == errs.Internal:
		return err
	}
	return d
}

// serverOpRun calls the cloud.
func (s *Service) serverOpRun(ctx context.Context, r *task.Run) error {
	var p serverOpParams
	if err := r.Params(&p); err != nil {
		return task.Permanent(err)
	}
	tg, err := s.openTarget(ctx, p.ResourceID)
	if err != nil {
		return err
	}
	defer tg.drv.Close()
	ctx = withCloudProgress(ctx, r, tg.acc.Provider)
	ext := tg.row.ExternalID
	ids := []string{ext}
	if c := serverOps[p.Op].capable; c != nil && !c(tg.rc) {
		return task.Permanent(errs.E(errs.NotSupported, "server operation %s is not supported by %s accounts", p.Op, tg.acc.Provider))
	}
	r.Log(ctx, "%s server %s (%s) on %s", p.Op, tg.row.Name, ext, tg.acc.Name)
	var st serverOpState
	switch p.Op {
	case OpStart:
		err = tg.rc.StartInstances(ctx, ids)
	case OpStop:
		err = tg.rc.StopInstances(ctx, ids, p.Force)
	case OpRestart:
		err = tg.rc.RebootInstances(ctx, ids, p.Force)
	case OpDelete:
		err = tg.rc.DeleteInstances(ctx, ids, true)
	case OpChangeConfig:
		err = s.changeConfig(ctx, r, tg, p)
	case OpSnapshot:
		var snap cloud.Snapshot
		snap, err = tg.rc.CreateSnapshot(ctx, cloud.SnapshotSpec{DiskID: s.systemDisk(ctx, tg.row), Name: p.Name,
			Description: p.Description, ClientToken: r.Task().ID})
		if err == nil {
			st.Snapshot = &snap
			r.Log(ctx, "snapshot %s (%s) created", snap.Name, snap.ID)
			_ = r.SetResult(map[string]any{"snapshot_external_id": snap.ID, "name": snap.Name})
		}
	case OpSnapshotRestore:
		x, _ := cloud.As[cloud.VMSnapshots](tg.rc)
		err = x.RestoreSnapshot(ctx, p.SnapshotID)
	case OpBackup:
		x, _ := cloud.As[cloud.Backups](tg.rc)
		var b cloud.VMCopy
		b, err = x.CreateBackup(ctx, ext, p.Name, p.Description)
		if err == nil {
			st.Backup = &b
			r.Log(ctx, "backup %s (%s) created", b.Name, b.ID)
			_ = r.SetResult(map[string]any{"backup_external_id": b.ID, "name": b.Name})
		}
	case OpBackupRestore:
		x, _ := cloud.As[cloud.Backups](tg.rc)
		err = x.RestoreBackup(ctx, p.BackupID)
	case OpSetPassword:
		var pw string
		if pw, err = s.box.Decrypt(p.SealedPass); err != nil {
			return task.Permanent(err)
		}
		x, _ := cloud.As[cloud.Passwords](tg.rc)
		err = x.SetAdminPassword(ctx, ext, p.Username, pw)
	case OpDiskAdd:
		x, _ := cloud.As[cloud.DiskOps](tg.rc)
		var d cloud.Disk
		d, err = x.AddDisk(ctx, ext, p.SizeGB, p.Description)
		if err == nil {
			st.Disk = &d
			r.Log(ctx, "disk %s (%d GB) added", d.ID, d.SizeGiB)
			_ = r.SetResult(map[string]any{"disk_external_id": d.ID, "size_gb": d.SizeGiB})
		}
	case OpDiskExtend:
		x, _ := cloud.As[cloud.DiskOps](tg.rc)
		err = x.ExtendDisk(ctx, p.DiskID, p.SizeGB)
	}
	if err != nil {
		return opError(err)
	}
	r.Log(ctx, "%s done on the cloud", p.Op)
	r.SetProgress(90)
	return r.SetState(st)
}

// changeConfig resizes a server: to a named instance type through the SPI,
// or to a CPU count and memory size by the cloud's Resizer (private
// clouds) or the instance type of that shape from the catalog.
func (s *Service) changeConfig(ctx context.Context, r *task.Run, tg *opTarget, p serverOpParams) error {
	if p.InstanceType != "" {
		return tg.rc.ChangeInstanceType(ctx, tg.row.ExternalID, p.InstanceType)
	}
	cpu, mem := p.CPU, p.MemoryMB
	if cpu == 0 {
		cpu = tg.row.CPU
	}
	if mem == 0 {
		mem = tg.row.MemoryMB
	}
	if x, ok := cloud.As[cloud.Resizer](tg.rc); ok {
		if cpu != tg.row.CPU {
			r.Log(ctx, "vCPUs %d → %d", tg.row.CPU, cpu)
			if err := x.ResizeCPU(ctx, tg.row.ExternalID, cpu); err != nil {
				return err
			}
		}
		if mem != tg.row.MemoryMB {
			r.Log(ctx, "memory %d MB → %d MB", tg.row.MemoryMB, mem)
			if err := x.ResizeMemory(ctx, tg.row.ExternalID, mem); err != nil {
				return err
			}
		}
		return nil
	}
	types, err := tg.rc.InstanceTypes(ctx)
	if err != nil {
		return err
	}
	for _, it := range types {
		if it.CPU == cpu && it.MemoryMiB == mem {
			r.Log(ctx, "instance type %s has %d vCPUs and %d MB", it.ID, cpu, mem)
			return tg.rc.ChangeInstanceType(ctx, tg.row.ExternalID, it.ID)
		}
	}
	return task.Permanent(errs.Field("vcpu_count", fmt.Sprintf("no instance type has %d vCPUs and %d MB here: give instance_type", cpu, mem)))
}

// systemDisk is the server's system disk as the inventory knows it, or the
// server itself (a private cloud snapshots whole VMs and takes the VM id).
func (s *Service) systemDisk(ctx context.Context, srv *Resource) string {
	var disks []Resource
	_ = s.db.NewSelect().Model(&disks).Where("r.kind = ?", KindDisk).Where("r.cloudaccount_id = ?", srv.CloudaccountID).
		Where("r.parent_external_id = ?", srv.ExternalID).Where("r.deleted_at IS NULL").Order("r.name").Scan(ctx)
	_ = s.LoadData(ctx, disks)
	for _, d := range disks {
		var v struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(d.Data, &v) == nil && v.Type == "system" {
			return d.ExternalID
		}
	}
	return srv.ExternalID
}

// serverOpRefresh reads the server back from the cloud, with what the
// operation made or changed.
func (s *Service) serverOpRefresh(ctx context.Context, r *task.Run) error {
	var p serverOpParams
	if err := r.Params(&p); err != nil {
		return task.Permanent(err)
	}
	var st serverOpState
	if err := r.State(&st); err != nil {
		return task.Permanent(err)
	}
	tg, err := s.openTarget(ctx, p.ResourceID)
	if err != nil {
		return err
	}
	defer tg.drv.Close()
	if p.Op == OpDelete {
		if err := s.markGone(ctx, tg.row.ID); err != nil {
			return err
		}
		if _, cascade := cloud.As[cloud.DeleteCascade](tg.rc); cascade {
			// The cloud deleted the VM's disks, snapshots and backups with it.
			if err := s.markChildrenGone(ctx, tg.row); err != nil {
				return err
			}
		}
		r.Log(ctx, "server %s removed from the inventory", tg.row.Name)
		return nil
	}
	if st.Snapshot != nil {
		if err := s.upsertObject(ctx, tg, *st.Snapshot); err != nil {
			return err
		}
	}
	if st.Backup != nil {
		if err := s.upsertObject(ctx, tg, backupObject{VMCopy: *st.Backup}); err != nil {
			return err
		}
	}
	switch p.Op {
	case OpDiskAdd, OpDiskExtend, OpSnapshotRestore, OpBackupRestore:
		if err := s.refreshDisks(ctx, tg); err != nil {
			r.Warn(ctx, "disks not refreshed: %v", err)
		}
	}
	if err := s.refreshServer(ctx, tg, settleFor); err != nil {
		return err
	}
	cur, _ := s.resourceByID(ctx, tg.row.ID)
	if cur != nil {
		r.Log(ctx, "server %s refreshed: %s, %d vCPUs, %d MB", cur.Name, cur.Status, cur.CPU, cur.MemoryMB)
	}
	return nil
}

// settleFor bounds how long a refresh waits for a server in a passing
// state (clouds whose operations end before the server settles).
const settleFor = 5 * time.Minute

// refreshServer reads one server from the cloud into its row (the row's id
// and busy mark stay); a server the cloud no longer has is marked deleted.
// A server still starting or stopping is read again, with backoff, for up
// to settle.
func (s *Service) refreshServer(ctx context.Context, tg *opTarget, settle time.Duration) error {
	deadline := time.Now().Add(settle)
	delay := 500 * time.Millisecond
	for {
		inst, err := tg.rc.GetInstance(ctx, tg.row.ExternalID)
		if errors.Is(err, cloud.ErrNotFound) {
			return s.markGone(ctx, tg.row.ID)
		}
		if err != nil {
			return opError(err)
		}
		switch inst.Status {
		case cloud.StatusPending, cloud.StatusStarting, cloud.StatusStopping:
			if time.Now().Add(delay).Before(deadline) {
				t := time.NewTimer(delay)
				select {
				case <-ctx.Done():
					t.Stop()
					return ctx.Err()
				case <-t.C:
				}
				delay = min(delay*2, 10*time.Second)
				continue
			}
		}
		return s.upsertObject(ctx, tg, inst)
	}
}

// refreshDisks reads a server's disks from the cloud into the inventory.
func (s *Service) refreshDisks(ctx context.Context, tg *opTarget) error {
	disks, err := cloud.Collect(ctx, pageSize, func(ctx context.Context, p cloud.PageRequest) (cloud.Page[cloud.Disk], error) {
		return tg.rc.ListDisks(ctx, cloud.DiskQuery{InstanceID: tg.row.ExternalID}, p)
	})
	if err != nil {
		return err
	}
	for _, d := range disks {
		if err := s.upsertObject(ctx, tg, d); err != nil {
			return err
		}
	}
	return nil
}

// upsertObject writes one driver object into the inventory: its row is
// updated (and undeleted) or inserted.
func (s *Service) upsertObject(ctx context.Context, tg *opTarget, o any) error {
	row := toResource(o, tg.acc, tg.row.CloudproviderID, tg.row.CloudregionID)
	now := s.now()
	row.SyncedAt, row.UpdatedAt = now, now
	var existing Resource
	err := s.db.NewSelect().Model(&existing).Column("r.id").Where("r.cloudaccount_id = ?", row.CloudaccountID).
		Where("r.kind = ?", row.Kind).Where("r.cloudregion_id = ?", row.CloudregionID).
		Where("r.external_id = ?", row.ExternalID).Limit(1).Scan(ctx)
	if err != nil {
		row.ID, row.CreatedAt = ids.New(), now
		return insertResources(ctx, s.db, []Resource{row})
	}
	row.ID = existing.ID
	return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model(&row).
			Column("zone_id", "global_id", "name", "status", "raw_status", "vpc_external_id", "parent_external_id",
				"instance_type", "cpu", "memory_mb", "size_gb", "ips", "charge_type", "tags", "fingerprint",
				"cloud_created_at", "updated_at", "synced_at", "deleted_at").
			WherePK().Exec(ctx); err != nil {
			return err
		}
		return saveData(ctx, tx, row.ID, row.Data)
	})
}

// dropResource deletes a resource row and its data row.
func (s *Service) dropResource(ctx context.Context, db bun.IDB, id string) error {
	if _, err := db.NewDelete().Model((*resourceData)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return err
	}
	_, err := db.NewDelete().Model((*Resource)(nil)).Where("id = ?", id).Exec(ctx)
	return err
}

func (s *Service) markGone(ctx context.Context, id string) error {
	now := s.now()
	_, err := s.db.NewUpdate().Model((*Resource)(nil)).Set("deleted_at = ?", now).Set("status = 'deleted'").
		Set("updated_at = ?", now).Where("id = ?", id).Exec(ctx)
	return err
}

// markChildrenGone marks a deleted VM's disks, backups and snapshots
// deleted (snapshots of a private-cloud VM carry its id as a tag).
func (s *Service) markChildrenGone(ctx context.Context, srv *Resource) error {
	now := s.now()
	vmTag := fmt.Sprintf("%q:%q", "starvcenter:vm-id", srv.ExternalID)
	_, err := s.db.NewUpdate().Model((*Resource)(nil)).Set("deleted_at = ?", now).Set("status = 'deleted'").
		Set("updated_at = ?", now).Where("cloudaccount_id = ?", srv.CloudaccountID).Where("deleted_at IS NULL").
		WhereGroup(" AND ", func(q *bun.UpdateQuery) *bun.UpdateQuery {
			return q.WhereOr("kind IN (?) AND parent_external_id = ?", bun.List([]string{string(KindDisk), string(KindBackup)}), srv.ExternalID).
				WhereOr("kind = ? AND tags LIKE ? ESCAPE '\\'", KindSnapshot, "%"+listing.LikeEscape(vmTag)+"%")
		}).Exec(ctx)
	return err
}

// serverOpEnd releases the server. After a failure the row is read back
// from the cloud, so it shows the server's real state; should that fail
// too, the status before the task is put back.
func (s *Service) serverOpEnd(ctx context.Context, t *task.Task, st task.Status, _ string) {
	var p serverOpParams
	_ = json.Unmarshal(t.Params, &p)
	if st != task.Success {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		refreshed := false
		if tg, err := s.openTarget(rctx, t.ObjectID); err == nil {
			refreshed = s.refreshServer(rctx, tg, 0) == nil
			tg.drv.Close()
		}
		if !refreshed {
			_, _ = s.db.NewUpdate().Model((*Resource)(nil)).Set("status = ?", p.PrevStatus).
				Where("id = ?", t.ObjectID).Where("busy_task_id = ?", t.ID).Exec(ctx)
		}
	}
	_, err := s.db.NewUpdate().Model((*Resource)(nil)).Set("busy_task_id = ''").Set("updated_at = ?", s.now()).
		Where("id = ?", t.ObjectID).Where("busy_task_id = ?", t.ID).Exec(ctx)
	if err != nil {
		s.cfg.Logger.Error("release server", "task_id", t.ID, "resource_id", t.ObjectID, "err", err)
	}
}

// ServerCreateInput is a server to create.
type ServerCreateInput struct {
	Name string
	// Network is the network (subnet) the server joins: an inventory id,
	// external id or name; it chooses the account and region.
	Network string
	// InstanceType, or CPU and MemoryMB, is the shape.
	InstanceType string
	CPU          int
	MemoryMB     int
	// ImageID is the cloud's image id ("" = the cloud's default, where it has one).
	ImageID        string
	Password       string
	DataDiskGB     []int
	SecurityGroups []string // inventory ids, external ids or names
	DomainID       string
	ProjectID      string
	UserID         string
}

type serverCreateParams struct {
	ResourceID   string   `json:"resource_id"`
	SubnetID     string   `json:"subnet_external_id"`
	InstanceType string   `json:"instance_type,omitempty"`
	CPU          int      `json:"cpu,omitempty"`
	MemoryMB     int      `json:"memory_mb,omitempty"`
	ImageID      string   `json:"image_id,omitempty"`
	SealedPass   string   `json:"sealed_password,omitempty"`
	DataDiskGB   []int    `json:"data_disk_gb,omitempty"`
	Groups       []string `json:"security_group_external_ids,omitempty"`
}

// CreateServer records a server in status "creating" and creates it on the
// cloud in a task; the row takes the cloud's id and state when the task
// ends (or status "create_failed").
func (s *Service) CreateServer(ctx context.Context, sc Scope, in ServerCreateInput) (*Resource, *task.Task, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 128 {
		return nil, nil, errs.Field("name", "1..128 characters")
	}
	if in.InstanceType == "" && (in.CPU <= 0 || in.MemoryMB <= 0) {
		return nil, nil, errs.Field("instance_type", "give instance_type, or vcpu_count and vmem_size")
	}
	if strings.TrimSpace(in.Network) == "" {
		return nil, nil, errs.Field("network", "required")
	}
	net, err := s.GetResource(ctx, sc, KindNetwork, in.Network)
	if err != nil {
		return nil, nil, errs.Field("network", "no such network "+in.Network)
	}
	a, err := s.Get(ctx, net.CloudaccountID)
	if err != nil {
		return nil, nil, err
	}
	if !a.Enabled || a.ReadOnly || a.Status == StatusDeleting {
		return nil, nil, errs.E(errs.Conflict, "cloud account %s is disabled, read-only or being deleted", a.Name)
	}
	p := serverCreateParams{SubnetID: net.ExternalID, InstanceType: strings.TrimSpace(in.InstanceType), CPU: in.CPU,
		MemoryMB: in.MemoryMB, ImageID: strings.TrimSpace(in.ImageID), DataDiskGB: in.DataDiskGB}
	for _, g := range in.SecurityGroups {
		sg, err := s.GetResource(ctx, sc, KindSecgroup, g)
		if err != nil || sg.CloudaccountID != a.ID {
			return nil, nil, errs.Field("secgroups", "no such security group of the network's account: "+g)
		}
		p.Groups = append(p.Groups, sg.ExternalID)
	}
	if in.Password != "" {
		if p.SealedPass, err = s.box.Encrypt(in.Password); err != nil {
			return nil, nil, err
		}
	}
	if in.DomainID == "" {
		in.DomainID, in.ProjectID = a.DomainID, a.ProjectID
	}
	now := s.now()
	tid := ids.New()
	row := &Resource{ID: ids.New(), Kind: KindServer, CloudaccountID: a.ID, CloudproviderID: net.CloudproviderID,
		CloudregionID: net.CloudregionID, ZoneID: net.ZoneID, ExternalID: "creating:" + tid, Name: name,
		Status: "creating", DomainID: in.DomainID, ProjectID: in.ProjectID, VPCExternalID: net.VPCExternalID,
		InstanceType: p.InstanceType, CPU: in.CPU, MemoryMB: in.MemoryMB, Tags: json.RawMessage("{}"),
		Data: json.RawMessage("{}"), BusyTaskID: tid, CreatedAt: now, UpdatedAt: now, SyncedAt: now}
	if err := insertResources(ctx, s.db, []Resource{*row}); err != nil {
		return nil, nil, fmt.Errorf("record server: %w", err)
	}
	p.ResourceID = row.ID
	t, err := s.tasks.Submit(ctx, task.Spec{ID: tid, Type: TaskServerCreate, ObjectType: "server", ObjectID: row.ID,
		ObjectName: name, DomainID: row.DomainID, ProjectID: row.ProjectID, UserID: in.UserID, Params: p})
	if err != nil {
		_ = s.dropResource(context.WithoutCancel(ctx), s.db, row.ID)
		return nil, nil, err
	}
	return row, t, nil
}

// serverCreateRun creates the server; the task id is the client token, so
// a retried stage finds the server of the first try instead of making a
// second one.
func (s *Service) serverCreateRun(ctx context.Context, r *task.Run) error {
	var p serverCreateParams
	if err := r.Params(&p); err != nil {
		return task.Permanent(err)
	}
	tg, err := s.openTarget(ctx, p.ResourceID)
	if err != nil {
		return err
	}
	defer tg.drv.Close()
	ctx = withCloudProgress(ctx, r, tg.acc.Provider)
	typ := p.InstanceType
	if typ == "" {
		if typ, err = s.shapeType(ctx, tg, p.CPU, p.MemoryMB); err != nil {
			return err
		}
	}
	pw := ""
	if p.SealedPass != "" {
		if pw, err = s.box.Decrypt(p.SealedPass); err != nil {
			return task.Permanent(err)
		}
	}
	req := cloud.CreateInstancesRequest{ZoneID: tg.row.ZoneID, InstanceType: typ, ImageID: p.ImageID, SubnetID: p.SubnetID,
		SecurityGroupIDs: p.Groups, Name: tg.row.Name, Password: pw, Amount: 1, ClientToken: r.Task().ID}
	for _, gb := range p.DataDiskGB {
		req.DataDisks = append(req.DataDisks, cloud.DiskSpec{SizeGiB: gb})
	}
	r.Log(ctx, "creating server %s (%s) on %s", tg.row.Name, typ, tg.acc.Name)
	res, err := tg.rc.CreateInstances(ctx, req)
	if err != nil {
		return opError(err)
	}
	if len(res.InstanceIDs) == 0 {
		return task.Permanent(errs.E(errs.Unavailable, "the cloud created no server"))
	}
	r.Log(ctx, "server %s created as %s", tg.row.Name, res.InstanceIDs[0])
	_ = r.SetResult(map[string]any{"external_id": res.InstanceIDs[0]})
	r.SetProgress(90)
	return r.SetState(serverOpState{Created: res.InstanceIDs})
}

// shapeType finds the instance type of a CPU count and memory size: from
// the catalog, or, on a cloud that takes any shape, the name it gives it.
func (s *Service) shapeType(ctx context.Context, tg *opTarget, cpu, mem int) (string, error) {
	types, err := tg.rc.InstanceTypes(ctx)
	if err != nil && !errors.Is(err, cloud.ErrNotSupported) {
		return "", opError(err)
	}
	for _, it := range types {
		if it.CPU == cpu && it.MemoryMiB == mem {
			return it.ID, nil
		}
	}
	if sh, ok := cloud.As[cloud.Shapes](tg.rc); ok {
		return sh.ShapeType(cpu, mem), nil
	}
	return "", task.Permanent(errs.Field("vcpu_count", fmt.Sprintf("no instance type has %d vCPUs and %d MB here: give instance_type", cpu, mem)))
}

// serverCreateRefresh gives the recorded row the new server's id and
// state, and records its disks.
func (s *Service) serverCreateRefresh(ctx context.Context, r *task.Run) error {
	var p serverCreateParams
	if err := r.Params(&p); err != nil {
		return task.Permanent(err)
	}
	var st serverOpState
	if err := r.State(&st); err != nil || len(st.Created) == 0 {
		return task.Permanent(fmt.Errorf("no created server recorded: %v", err))
	}
	tg, err := s.openTarget(ctx, p.ResourceID)
	if err != nil {
		return err
	}
	defer tg.drv.Close()
	inst, err := tg.rc.GetInstance(ctx, st.Created[0])
	if err != nil {
		return opError(err)
	}
	if x, ok := cloud.As[cloud.InstanceEditor](tg.rc); ok && inst.Name != tg.row.Name {
		// A driver may name the VM after the client token so that a retried
		// create finds it; the create is done, so give it the asked name.
		if err := x.ModifyInstance(ctx, inst.ID, tg.row.Name, ""); err != nil {
			r.Warn(ctx, "server keeps the name %s: %v", inst.Name, err)
		} else if again, err := tg.rc.GetInstance(ctx, inst.ID); err == nil {
			inst = again
		}
	}
	row := toResource(inst, tg.acc, tg.row.CloudproviderID, tg.row.CloudregionID)
	row.ID, row.DomainID, row.ProjectID = tg.row.ID, tg.row.DomainID, tg.row.ProjectID
	now := s.now()
	row.UpdatedAt, row.SyncedAt = now, now
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// A sync that ran in between may have recorded the server already.
		var dups []string
		if err := tx.NewSelect().Model((*Resource)(nil)).Column("id").Where("cloudaccount_id = ?", row.CloudaccountID).
			Where("kind = ?", KindServer).Where("cloudregion_id = ?", row.CloudregionID).
			Where("external_id = ?", row.ExternalID).Where("id <> ?", row.ID).Scan(ctx, &dups); err != nil {
			return err
		}
		for _, id := range dups {
			if err := s.dropResource(ctx, tx, id); err != nil {
				return err
			}
		}
		if _, err := tx.NewUpdate().Model(&row).
			Column("external_id", "zone_id", "global_id", "name", "status", "raw_status", "vpc_external_id",
				"parent_external_id", "instance_type", "cpu", "memory_mb", "size_gb", "ips", "charge_type", "tags",
				"fingerprint", "cloud_created_at", "updated_at", "synced_at").
			WherePK().Exec(ctx); err != nil {
			return err
		}
		return saveData(ctx, tx, row.ID, row.Data)
	})
	if err != nil {
		return err
	}
	tg.row.ExternalID = row.ExternalID
	if err := s.refreshDisks(ctx, tg); err != nil {
		r.Warn(ctx, "disks not recorded: %v", err)
	}
	r.Log(ctx, "server %s recorded: %s, %d vCPUs, %d MB, %s", row.Name, row.Status, row.CPU, row.MemoryMB, row.IPs)
	return nil
}

// serverCreateEnd releases the row, or marks it create_failed.
func (s *Service) serverCreateEnd(ctx context.Context, t *task.Task, st task.Status, _ string) {
	q := s.db.NewUpdate().Model((*Resource)(nil)).Set("busy_task_id = ''").Set("updated_at = ?", s.now()).
		Where("id = ?", t.ObjectID).Where("busy_task_id = ?", t.ID)
	if st != task.Success {
		q = q.Set("status = 'create_failed'")
	}
	if _, err := q.Exec(ctx); err != nil {
		s.cfg.Logger.Error("release created server", "task_id", t.ID, "resource_id", t.ObjectID, "err", err)
	}
}
