package starvcenter

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/skyfold/skyfold/internal/cloud"
)

// classify maps a result code and its resultinfo to an error kind.
// StarVCenter has no error codes beyond 1 and 1003, so result 1 is told apart
// by the wording of resultinfo (the simulator's, which follows the
// document's vocabulary): "不存在" is not found, a quota refusal is quota,
// a lock or a state that forbids the call is a conflict, a transient fault
// is unavailable, and anything else is an invalid parameter.
func classify(result, info string) error {
	switch strings.TrimSpace(result) {
	case resultOK:
		return nil
	case resultAuthError:
		return cloud.ErrInvalidCredential
	case resultFailed:
	default:
		return cloud.ErrProvider
	}
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(info, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("认证失败", "令牌号无效", "令牌无效"):
		return cloud.ErrInvalidCredential
	case has("不存在"):
		return cloud.ErrNotFound
	case has("配额不足", "超出配额", "超过配额", "配额已满"):
		return cloud.ErrQuotaExceeded
	case has("锁定"):
		return cloud.ErrConflict
	case has("模拟故障", "暂时不可用", "稍后重试", "服务已停止", "系统繁忙", "服务繁忙", "请求已取消", "内部错误", "连接超时"):
		return cloud.ErrUnavailable
	case has("无权", "权限"):
		return cloud.ErrForbidden
	case has("已达上限"):
		return cloud.ErrQuotaExceeded
	case has("可用IP不足", "没有可用", "没有可分配"):
		return cloud.ErrShortage
	case has("参数", "缺少", "格式", "必须为", "超出范围", "无效"):
		return cloud.ErrInvalidParameter
	case has("当前状态", "不能删除", "已绑定", "未绑定", "执行中", "已存在", "已被使用", "已被映射", "已接入", "未接入",
		"请先", "未运行", "未就绪", "不可用", "不支持", "不能"):
		return cloud.ErrConflict
	}
	return cloud.ErrInvalidParameter
}

// resultErr builds the error of a refused call.
func resultErr(op, result, info string) error {
	kind := classify(result, info)
	e := &cloud.Error{Kind: kind, Provider: providerName, Op: op, Code: strings.TrimSpace(result), Message: info}
	if kind == cloud.ErrConflict {
		if code, ok := lockInInfo(info); ok {
			e.Err = &LockedError{Code: code, Name: LockName(code)}
			if !strings.Contains(info, lockNames[code].zh) {
				e.Message = fmt.Sprintf("%s (lock %d: %s)", info, code, LockName(code))
			}
		}
	}
	if e.Message == "" {
		e.Message = "result " + e.Code
	}
	return e
}

var lockCodeRe = regexp.MustCompile(`锁定代码\s*[:：]?\s*(\d{1,3})`)

// lockInInfo finds the lock code in a "locked" refusal.
func lockInInfo(info string) (int, bool) {
	m := lockCodeRe.FindStringSubmatch(info)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, false
	}
	return n, true
}

// The VM state codes of the document's appendix table 1.
const (
	StateStopped      = 0  // 停止
	StateRunning      = 1  // 运行
	StateSleeping     = 2  // 休眠
	StateInstalling   = 3  // 安装中
	StateCloning      = 4  // 克隆中
	StateFaultCheck   = -1 // 故障检测中
	StateCreateFailed = -2 // 创建失败
)

// The lock codes of appendix table 2 that the driver acts on.
const (
	LockNone       = 0
	LockStarting   = 7
	LockStopping   = 8
	LockInstalling = 12
)

type lockName struct{ zh, en string }

// lockNames is appendix table 2.
var lockNames = map[int]lockName{
	0:  {"未锁定", "unlocked"},
	1:  {"跨主机迁移中", "migrating to another host"},
	2:  {"跨存储迁移中", "migrating to another storage"},
	3:  {"备份创建中", "creating a backup"},
	4:  {"备份还原中", "restoring a backup"},
	5:  {"快照创建中", "creating a snapshot"},
	6:  {"快照还原中", "restoring a snapshot"},
	7:  {"启动中", "starting"},
	8:  {"停止中", "stopping"},
	9:  {"导出中", "exporting"},
	10: {"导入中", "importing"},
	11: {"被克隆中", "being cloned"},
	12: {"安装中", "installing"},
	13: {"克隆中", "cloning"},
	14: {"移动中", "moving"},
}

// LockName names a lock code of appendix table 2, in Chinese and English.
func LockName(code int) string {
	if n, ok := lockNames[code]; ok {
		return n.zh + " (" + n.en + ")"
	}
	return "unknown lock " + strconv.Itoa(code)
}

// LockedError is the cause of the ErrConflict a locked VM gives: while its
// lock code is not 0, StarVCenter refuses every operation on it.
type LockedError struct {
	VMID string
	Code int
	Name string
}

func (e *LockedError) Error() string {
	if e.VMID != "" {
		return fmt.Sprintf("vm %s is locked (lock %d: %s)", e.VMID, e.Code, e.Name)
	}
	return fmt.Sprintf("vm is locked (lock %d: %s)", e.Code, e.Name)
}

// lockedErr builds the error for an operation refused client-side because
// the VM holds a lock.
func lockedErr(op, vmID string, code int) error {
	le := &LockedError{VMID: vmID, Code: code, Name: LockName(code)}
	return &cloud.Error{Kind: cloud.ErrConflict, Provider: providerName, Op: op, Message: le.Error(), Err: le}
}

// stateNames is appendix table 1.
var stateNames = map[int]string{
	StateStopped: "停止", StateRunning: "运行", StateSleeping: "休眠", StateInstalling: "安装中",
	StateCloning: "克隆中", StateFaultCheck: "故障检测中", StateCreateFailed: "创建失败",
}

// vmStatus maps a VM's state and lock code to the normalised status. A
// start or stop in flight (locks 7 and 8) shows as starting or stopping; a
// sleeping VM counts as stopped; fault checking and a failed creation are
// errors; unknown codes are unknown.
func vmStatus(state, lock int) cloud.Status {
	switch lock {
	case LockStarting:
		return cloud.StatusStarting
	case LockStopping:
		return cloud.StatusStopping
	}
	switch state {
	case StateStopped, StateSleeping:
		return cloud.StatusStopped
	case StateRunning:
		return cloud.StatusRunning
	case StateInstalling, StateCloning:
		return cloud.StatusPending
	case StateFaultCheck, StateCreateFailed:
		return cloud.StatusError
	}
	return cloud.StatusUnknown
}

// rawStatus renders state and lock as RawStatus: "1", or "1/lock=5" when locked.
func rawStatus(state, lock int) string {
	s := strconv.Itoa(state)
	if lock != LockNone {
		s += "/lock=" + strconv.Itoa(lock)
	}
	return s
}

// parseVMState reads the state and lock fields of a VM record; a missing or
// unreadable state reads as ok=false.
func parseVMState(r record) (state, lock int, ok bool) {
	st, ok := r.int("vm.state")
	if !ok || st < -1000 || st > 1000 {
		return 0, 0, false
	}
	lk, _ := r.int("vm.lock")
	if lk < 0 || lk > 1000 {
		lk = 0
	}
	return int(st), int(lk), true
}

// The task-log result codes of appendix table 4.
const (
	TaskSuccess   = 0
	TaskFailed    = 1
	TaskRunning   = 2
	TaskQueued    = 3
	TaskLost      = 4
	TaskTimeout   = 5
	TaskAborted   = 6
	TaskCancelled = 7
)

var taskStateNames = map[int]string{
	TaskSuccess: "成功", TaskFailed: "失败", TaskRunning: "执行中", TaskQueued: "排队等待中",
	TaskLost: "任务丢失", TaskTimeout: "执行超时", TaskAborted: "异常终止", TaskCancelled: "已取消",
}

// taskDone reports whether a task state is final.
func taskDone(state int) bool {
	switch state {
	case TaskSuccess, TaskFailed, TaskLost, TaskTimeout, TaskAborted, TaskCancelled:
		return true
	}
	return false
}

// TaskError is the cause of the error a failed asynchronous operation gives.
type TaskError struct {
	Task Task
}

func (e *TaskError) Error() string {
	name := taskStateNames[e.Task.State]
	return fmt.Sprintf("task %s (%s) ended in state %d %s: %s", e.Task.StartID, e.Task.Name, e.Task.State, name, e.Task.ResultInfo)
}

// taskErr maps a task that ended in failure: a refusal worded like a call's
// is classified the same way; a task lost, aborted or timed out is
// unavailable (the server stopped or gave up); a cancelled one is a conflict;
// other failures are provider errors.
func taskErr(op string, t Task) error {
	var kind error
	switch t.State {
	case TaskLost, TaskAborted, TaskTimeout:
		kind = cloud.ErrUnavailable
	case TaskCancelled:
		kind = cloud.ErrConflict
	default:
		kind = classify(resultFailed, t.ResultInfo)
		if kind == cloud.ErrInvalidParameter {
			kind = cloud.ErrProvider
		}
	}
	te := &TaskError{Task: t}
	return &cloud.Error{Kind: kind, Provider: providerName, Op: op, Code: "task-" + strconv.Itoa(t.State),
		Message: te.Error(), Err: te}
}
