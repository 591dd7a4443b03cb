// Package task owns Skyfold's long-running operations: a record per task with
// its stage, progress, parameters, result and an append-only log, executed in
// stages on the durable job queue. A task interrupted by a crash resumes from
// its last completed stage, on this process or another one sharing the store.
package task

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// Status is a task's state.
type Status string

// Task statuses. Waiting means the task's stages are done up to a point and it
// waits for its child tasks.
const (
	Queued    Status = "queued"
	Running   Status = "running"
	Waiting   Status = "waiting"
	Success   Status = "success"
	Failed    Status = "failed"
	Cancelled Status = "cancelled"
	Timeout   Status = "timeout"
	Aborted   Status = "aborted"
	Lost      Status = "lost"
)

// Terminal reports whether a task in this status will not run again.
func (s Status) Terminal() bool {
	switch s {
	case Success, Failed, Cancelled, Timeout, Aborted, Lost:
		return true
	}
	return false
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case Queued, Running, Waiting, Success, Failed, Cancelled, Timeout, Aborted, Lost:
		return true
	}
	return false
}

// Task is one record.
type Task struct {
	bun.BaseModel `bun:"table:tasks"`

	ID              string          `bun:"id,pk" json:"id"`
	Type            string          `bun:"type" json:"type"`
	ObjectType      string          `bun:"object_type" json:"object_type"`
	ObjectID        string          `bun:"object_id" json:"object_id"`
	ObjectName      string          `bun:"object_name" json:"object_name"`
	DomainID        string          `bun:"domain_id" json:"domain_id"`
	ProjectID       string          `bun:"project_id" json:"project_id"`
	UserID          string          `bun:"user_id" json:"user_id"`
	ParentID        string          `bun:"parent_id" json:"parent_id,omitempty"`
	Status          Status          `bun:"status" json:"status"`
	Stage           int             `bun:"stage" json:"stage"`
	StageName       string          `bun:"stage_name" json:"stage_name"`
	Progress        float64         `bun:"progress" json:"progress"`
	Params          json.RawMessage `bun:"params,type:text" json:"params"`
	State           json.RawMessage `bun:"state,type:text" json:"-"`
	Result          json.RawMessage `bun:"result,type:text" json:"result"`
	Error           string          `bun:"error" json:"error,omitempty"`
	Attempt         int             `bun:"attempt" json:"attempt"`
	MaxAttempts     int             `bun:"max_attempts" json:"max_attempts"`
	CancelRequested bool            `bun:"cancel_requested" json:"cancel_requested"`
	LeaseOwner      string          `bun:"lease_owner" json:"-"`
	LeaseUntil      int64           `bun:"lease_until" json:"-"`
	NextRunAt       int64           `bun:"next_run_at" json:"-"`
	Worker          string          `bun:"worker" json:"worker"`
	CreatedAt       time.Time       `bun:"created_at" json:"created_at"`
	UpdatedAt       time.Time       `bun:"updated_at" json:"updated_at"`
	StartedAt       *time.Time      `bun:"started_at" json:"started_at,omitempty"`
	FinishedAt      *time.Time      `bun:"finished_at" json:"finished_at,omitempty"`
}

// LogLine is one entry of a task's log.
type LogLine struct {
	bun.BaseModel `bun:"table:task_logs"`

	ID      int64     `bun:"id,pk,autoincrement" json:"id"`
	TaskID  string    `bun:"task_id" json:"task_id"`
	At      time.Time `bun:"at" json:"at"`
	Level   string    `bun:"level" json:"level"`
	Stage   string    `bun:"stage" json:"stage"`
	Worker  string    `bun:"worker" json:"worker"`
	Message string    `bun:"message" json:"message"`
}

// Spec describes a task to submit.
type Spec struct {
	Type        string
	ObjectType  string
	ObjectID    string
	ObjectName  string
	DomainID    string
	ProjectID   string
	UserID      string
	ParentID    string
	Params      any // JSON-encoded into the record; never put secrets here
	MaxAttempts int // overrides the definition's
	// ID, when set, makes Submit idempotent: a second Submit with the same id
	// returns the existing task.
	ID string
}
