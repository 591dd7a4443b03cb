package starvcenter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/cloud"
)

// Task is one entry of StarVCenter's task log: an asynchronous operation
// started by a call that answered a startid (or jobstartid).
type Task struct {
	StartID    string    `json:"startid"`
	Name       string    `json:"name"`
	ObjType    string    `json:"obj_type,omitempty"`
	ObjID      string    `json:"obj_id,omitempty"`
	ObjName    string    `json:"obj_name,omitempty"`
	State      int       `json:"state"` // appendix table 4
	StateName  string    `json:"state_name"`
	Progress   int       `json:"progress"` // 0..100
	ResultInfo string    `json:"result_info,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	EndedAt    time.Time `json:"ended_at,omitzero"`
}

// Done reports whether the task reached a final state.
func (t Task) Done() bool { return taskDone(t.State) }

// Succeeded reports whether the task ended well.
func (t Task) Succeeded() bool { return t.State == TaskSuccess }

// parseTask reads a task-log record; ok is false when it has no state.
func parseTask(r record, loc *time.Location) (Task, bool) {
	st, ok := r.int("task.state")
	if !ok || st < -1000 || st > 1000 {
		return Task{}, false
	}
	t := Task{
		StartID: r.str("task.startid", "startid"), Name: r.str("task.name"), ObjType: r.str("task.objtype"),
		ObjID: r.str("task.objid"), ObjName: r.str("task.objname"), State: int(st), StateName: r.str("task.statename"),
		ResultInfo: r.str("task.resultinfo"), CreatedAt: r.time(loc, "task.createtime"),
		StartedAt: r.time(loc, "task.starttime"), EndedAt: r.time(loc, "task.endtime"),
	}
	if p, ok := r.int("task.progress"); ok {
		t.Progress = int(min(max(p, 0), 100))
	}
	if t.StateName == "" {
		t.StateName = taskStateNames[t.State]
	}
	return t, true
}

// taskPolicy says how tasks are polled.
type taskPolicy struct {
	interval time.Duration // first poll delay
	max      time.Duration // backoff ceiling
	timeout  time.Duration // when ctx has no deadline
}

// Task reads one task of the task log (GET BaseURL/tasklog/{startid}).
func (p *Provider) Task(ctx context.Context, startID string) (Task, error) {
	const op = "tasklog.get"
	if strings.TrimSpace(startID) == "" {
		return Task{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "task startid is required")
	}
	env, err := p.t.call(ctx, op, http.MethodGet, "tasklog/"+pathID(startID), nil)
	if err != nil {
		return Task{}, err
	}
	rec, err := decodeRecord(env.Data)
	if err != nil {
		return Task{}, malformed(op, err)
	}
	t, ok := parseTask(rec, p.loc)
	if !ok {
		return Task{}, malformed(op, fmt.Errorf("task %s has no task.state", startID))
	}
	if t.StartID == "" {
		t.StartID = startID
	}
	return t, nil
}

// WaitTask follows a task through the task log until it ends, polling with
// backoff, and returns it; a task that ends in failure gives a typed error
// whose cause is a *TaskError. The wait ends with ctx, or after the
// driver's task timeout when ctx has no deadline.
func (p *Provider) WaitTask(ctx context.Context, startID string) (Task, error) {
	return p.waitTask(ctx, "WaitTask", startID)
}

func (p *Provider) waitTask(ctx context.Context, op, startID string) (Task, error) {
	if strings.TrimSpace(startID) == "" {
		return Task{State: TaskSuccess}, nil // a synchronous answer: nothing to follow
	}
	if _, ok := ctx.Deadline(); !ok && p.tasks.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.tasks.timeout)
		defer cancel()
	}
	delay := p.tasks.interval
	last := ""
	var lastErr error
	for {
		t, err := p.Task(ctx, startID)
		switch {
		case err == nil:
			lastErr = nil
			line := fmt.Sprintf("task %s %s %s: %s (%d%%)", t.StartID, t.Name, t.ObjName, t.StateName, t.Progress)
			if t.ResultInfo != "" && t.Done() {
				line += ": " + t.ResultInfo
			}
			if line != last {
				last = line
				p.log.DebugContext(ctx, "starvcenter task", "op", op, "startid", t.StartID, "state", t.State,
					"progress", t.Progress, "info", t.ResultInfo)
				cloud.ReportProgress(ctx, cloud.Progress{Message: line, Percent: t.Progress})
			}
			if t.Done() {
				if t.Succeeded() {
					return t, nil
				}
				return t, taskErr(op, t)
			}
		case cloud.Retryable(err):
			// A transient failure of the poll itself: the task runs on.
			lastErr = err
		default:
			return Task{}, err
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			cause := fmt.Errorf("task %s not finished: %w", startID, ctx.Err())
			if lastErr != nil {
				cause = errors.Join(cause, lastErr)
			}
			return Task{}, &cloud.Error{Kind: cloud.ErrUnavailable, Provider: providerName, Op: op,
				Message: cause.Error(), Err: cause}
		case <-timer.C:
		}
		delay = min(delay*3/2+time.Millisecond, p.tasks.max)
	}
}

// waitTasks follows several tasks to their end. It waits for all of them,
// so the objects have settled when it returns, and returns the first
// failure.
func (p *Provider) waitTasks(ctx context.Context, op string, ids []string) error {
	var first error
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, err := p.waitTask(ctx, op, id); err != nil {
			if first == nil {
				first = err
			} else {
				p.log.WarnContext(ctx, "starvcenter: another task failed", "op", op, "startid", id, "err", err)
			}
			if ctx.Err() != nil {
				return first
			}
		}
	}
	return first
}

// malformed builds the error for a response the driver cannot read.
func malformed(op string, err error) error {
	return &cloud.Error{Kind: cloud.ErrProvider, Provider: providerName, Op: op, Message: err.Error(), Err: err}
}
