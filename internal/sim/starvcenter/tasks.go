package starvcentersim

import (
	"strconv"
	"time"
)

// task is one entry of the task log: an asynchronous operation started by a
// call that returned its id as startid (or jobstartid).
type task struct {
	ID       string    `json:"id"`
	TenantID string    `json:"tenantId"`
	Name     string    `json:"name"`
	Op       string    `json:"op"`
	ObjType  string    `json:"objType"`
	ObjID    string    `json:"objId"`
	ObjName  string    `json:"objName"`
	Created  time.Time `json:"created"`
	Started  time.Time `json:"started"` // leaves the queue
	Due      time.Time `json:"due"`
	Ended    time.Time `json:"ended,omitzero"`
	State    int       `json:"state"`
	Info     string    `json:"info"`
	Arg      int64     `json:"arg,omitempty"`
	ArgText  string    `json:"argText,omitempty"`
	WillFail bool      `json:"willFail,omitempty"`
}

// Task operations and what finishing them does.
const (
	opVMCreate      = "vm.create"
	opVMStart       = "vm.start"
	opVMDestroy     = "vm.destroy"
	opVMShutdown    = "vm.shutdown"
	opVMRestart     = "vm.restart"
	opVMDelete      = "vm.delete"
	opVMAdminPwd    = "vm.setadminpwd"
	opVMAgent       = "vm.resumeCloudAgent"
	opVMCPU         = "vm.cpu"
	opVMMem         = "vm.mem"
	opDiskAdd       = "vdisk.add"
	opDiskDelete    = "vdisk.delete"
	opDiskExtend    = "vdisk.extend"
	opBackupCreate  = "backup.create"
	opBackupRestore = "backup.restore"
	opSnapCreate    = "snapshot.create"
	opSnapRestore   = "snapshot.restore"
	opVRouteCreate  = "vroute.create"
)

var taskNames = map[string]string{
	opVMCreate: "开通云主机", opVMStart: "启动云主机", opVMDestroy: "云主机关闭电源", opVMShutdown: "云主机关闭系统",
	opVMRestart: "重启云主机", opVMDelete: "删除云主机", opVMAdminPwd: "重置云主机系统管理员密码",
	opVMAgent: "唤醒云主机代理服务", opVMCPU: "变更云主机CPU", opVMMem: "变更云主机内存",
	opDiskAdd: "添加云主机磁盘", opDiskDelete: "删除云主机磁盘", opDiskExtend: "扩容云主机磁盘",
	opBackupCreate: "创建云主机备份", opBackupRestore: "恢复云主机备份", opSnapCreate: "创建云主机快照",
	opSnapRestore: "恢复云主机快照", opVRouteCreate: "创建云路由",
}

// maxTaskHistory bounds the task log; the oldest finished tasks go first.
const maxTaskHistory = 20000

// startTask queues an asynchronous operation and returns its id.
func (s *Server) startTask(c *call, tenantID, op, objType, objID, objName string, arg int64, argText string) *task {
	s.cfgMu.Lock()
	d := s.rc.TaskDuration
	fail := s.rc.TaskFailRate > 0 && s.fault.Float64() < s.rc.TaskFailRate
	s.cfgMu.Unlock()
	s.st.TaskSeq++
	t := &task{
		ID: strconv.FormatInt(s.st.TaskSeq, 10), TenantID: tenantID, Name: taskNames[op], Op: op,
		ObjType: objType, ObjID: objID, ObjName: objName, Created: c.now,
		Started: c.now.Add(d / 5), Due: c.now.Add(d), State: TaskQueued,
		Info: "排队等待中", Arg: arg, ArgText: argText, WillFail: fail,
	}
	s.st.Tasks = append(s.st.Tasks, t)
	s.open = append(s.open, t)
	s.trimTasks()
	return t
}

func (s *Server) trimTasks() {
	if len(s.st.Tasks) <= maxTaskHistory {
		return
	}
	keep := s.st.Tasks[:0]
	drop := len(s.st.Tasks) - maxTaskHistory
	for _, t := range s.st.Tasks {
		if drop > 0 && t.State != TaskQueued && t.State != TaskRunning {
			drop--
			continue
		}
		keep = append(keep, t)
	}
	clear(s.st.Tasks[len(keep):])
	s.st.Tasks = keep
}

// advance moves every unfinished task to where the clock says it is, and
// applies the effects of the ones that are done, in creation order.
func (s *Server) advance(now time.Time) {
	if len(s.open) == 0 {
		return
	}
	rest := s.open[:0]
	for _, t := range s.open {
		switch {
		case !now.Before(t.Due):
			s.finish(t, !t.WillFail, t.Due)
			s.dirty = true
		case !now.Before(t.Started):
			if t.State != TaskRunning {
				t.State, t.Info = TaskRunning, "执行中"
				s.dirty = true
			}
			rest = append(rest, t)
		default:
			rest = append(rest, t)
		}
	}
	clear(s.open[len(rest):])
	s.open = rest
}

// finish applies a task's outcome to the objects it works on.
func (s *Server) finish(t *task, ok bool, at time.Time) {
	t.Ended = at
	if ok {
		t.State, t.Info = TaskSuccess, "执行成功"
	} else {
		t.State, t.Info = TaskFailed, "执行失败: 模拟任务失败"
	}
	v := s.st.VMs[t.ObjID]
	unlock := func() {
		if v != nil {
			v.Lock = LockNone
		}
	}
	switch t.Op {
	case opVMCreate:
		if v != nil {
			v.Lock = LockNone
			if ok {
				v.State, v.AgentOnline = VMRunning, true
			} else {
				v.State = VMCreateFailed
			}
		}
	case opVMStart, opVMRestart:
		unlock()
		if ok && v != nil {
			v.State, v.AgentOnline = VMRunning, true
		}
	case opVMDestroy, opVMShutdown:
		unlock()
		if ok && v != nil {
			v.State, v.AgentOnline = VMStopped, false
		}
	case opVMDelete:
		unlock()
		if ok && v != nil {
			s.deleteVM(v)
		}
	case opVMAdminPwd:
		if ok && v != nil {
			v.AdminUser = t.ArgText
		}
	case opVMAgent:
		if ok && v != nil {
			v.AgentOnline = true
		}
	case opVMCPU:
		if v != nil {
			if ok {
				v.VCPU = v.PendingVCPU
			}
			v.PendingVCPU = 0
		}
	case opVMMem:
		if v != nil {
			if ok {
				v.Memory = v.PendingMemory
			}
			v.PendingMemory = 0
		}
	case opDiskAdd:
		if d := s.st.Disks[t.ArgText]; d != nil && !ok {
			delete(s.st.Disks, d.ID)
		}
	case opDiskDelete:
		if d := s.st.Disks[t.ArgText]; d != nil && ok {
			delete(s.st.Disks, d.ID)
		}
	case opDiskExtend:
		if d := s.st.Disks[t.ArgText]; d != nil {
			if ok {
				d.Size = d.PendingSize
			}
			d.PendingSize = 0
		}
	case opBackupCreate, opSnapCreate:
		unlock()
		m := s.st.Backups
		if t.Op == opSnapCreate {
			m = s.st.Snapshots
		}
		if b := m[t.ArgText]; b != nil {
			if ok {
				b.Enable = true
			} else {
				delete(m, b.ID)
			}
		}
	case opBackupRestore, opSnapRestore:
		unlock()
	case opVRouteCreate:
		if r := s.st.VRoutes[t.ObjID]; r != nil {
			r.Online, r.Failed = ok, !ok
		}
	}
}

// recoverTasks applies appendix table 4 to tasks the previous process left
// unfinished: a queued task is lost (4), a running one aborted (6). Their
// objects are released as if they had failed.
func (s *Server) recoverTasks(at time.Time) {
	for _, t := range s.st.Tasks {
		if t.State != TaskQueued && t.State != TaskRunning {
			continue
		}
		prev := t.State
		s.finish(t, false, at)
		if prev == TaskQueued {
			t.State, t.Info = TaskLost, "任务丢失: 排队等待中的任务未执行,服务器已停止"
		} else {
			t.State, t.Info = TaskAborted, "异常终止: 执行中的任务结果未更新,服务器已停止"
		}
	}
	s.open = nil
}

func (s *Server) taskObj(t *task, now time.Time) obj {
	progress := 100
	switch t.State {
	case TaskQueued:
		progress = 0
	case TaskRunning:
		total := t.Due.Sub(t.Started)
		if total > 0 {
			progress = int(100 * now.Sub(t.Started) / total)
		}
		progress = min(max(progress, 1), 99)
	case TaskFailed, TaskLost, TaskAborted, TaskTimeout, TaskCancelled:
		progress = 0
	}
	o := obj{
		"task.startid":    t.ID,
		"task.name":       t.Name,
		"task.objtype":    t.ObjType,
		"task.objid":      t.ObjID,
		"task.objname":    t.ObjName,
		"task.state":      itoa(t.State),
		"task.statename":  TaskStateNames[t.State],
		"task.progress":   itoa(progress),
		"task.createtime": fmtTime(t.Created),
		"task.starttime":  "",
		"task.endtime":    fmtTime(t.Ended),
		"task.resultinfo": t.Info,
	}
	if t.State != TaskQueued && t.State != TaskLost {
		o["task.starttime"] = fmtTime(t.Started)
	}
	if t.TenantID != "" {
		o["task.appid"] = t.TenantID
	}
	return o
}

func (s *Server) findTask(c *call, id string) *task {
	for i := len(s.st.Tasks) - 1; i >= 0; i-- {
		if t := s.st.Tasks[i]; t.ID == id {
			if c.sees(t.TenantID) {
				return t
			}
			return nil
		}
	}
	return nil
}

// GET tasklog/{startid}
func (s *Server) hTaskGet(c *call) (*reply, *apiErr) {
	t := s.findTask(c, c.id)
	if t == nil {
		return nil, failf("任务不存在: %s", c.id)
	}
	return dataReply(s.taskObj(t, c.now)), nil
}

// POST tasklog/search
func (s *Server) hTaskSearch(c *call) (*reply, *apiErr) {
	pg, e := c.p.page(false)
	if e != nil {
		return nil, e
	}
	ids := map[string]bool{}
	for _, id := range c.p.list("startid") {
		ids[id] = true
	}
	for _, id := range c.p.list("task.startid") {
		ids[id] = true
	}
	state := c.p.str("task.state")
	objID := c.p.str("task.objid")
	rows := []obj{}
	for i := len(s.st.Tasks) - 1; i >= 0; i-- { // newest first
		t := s.st.Tasks[i]
		if !c.sees(t.TenantID) || (len(ids) > 0 && !ids[t.ID]) || !exact(itoa(t.State), state) || !exact(t.ObjID, objID) {
			continue
		}
		rows = append(rows, s.taskObj(t, c.now))
	}
	return paged(rows, pg), nil
}
