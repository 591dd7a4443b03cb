package cloudpods

import (
	"context"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/task"
)

type taskListInput struct {
	ListQuery
	Status     []string `query:"status,explode" doc:"only tasks in these statuses"`
	Type       string   `query:"type" doc:"task type, e.g. cloudaccount.sync"`
	ObjectType string   `query:"object_type"`
	ObjectID   string   `query:"object_id"`
	Since      string   `query:"since" doc:"RFC 3339 time; tasks created at or after it"`
}

type taskListOutput struct {
	Body struct {
		Tasks  []task.Task `json:"tasks"`
		Total  int         `json:"total"`
		Limit  int         `json:"limit"`
		Offset int         `json:"offset"`
	}
}

type taskIDInput struct {
	ID string `path:"id" doc:"task id"`
}

type taskOutput struct {
	Body *task.Task
}

type taskLogInput struct {
	ID    string `path:"id"`
	After int64  `query:"after" doc:"return lines after this log id"`
	Limit int    `query:"limit" minimum:"0" maximum:"10000"`
}

type taskLogOutput struct {
	Body struct {
		Logs []task.LogLine `json:"logs"`
	}
}

// visibleTask returns a task the caller's grant covers; others are not
// found, so that a tenant cannot learn another's task ids.
func visibleTask(ctx context.Context, svc *task.Service, id string) (*task.Task, error) {
	t, err := svc.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if c := auth.From(ctx); c == nil || !c.Covers(t.DomainID, t.ProjectID) {
		return nil, errs.NotFoundf("task", id)
	}
	return t, nil
}

// RegisterTasks adds the task API: list, get, log and cancel. Lists show the
// tasks of the caller's grant (scope=system|domain|project narrows it); a
// task outside it is not found; readers may not cancel.
func RegisterTasks(s *api.Server, svc *task.Service) {
	t := &tasks{svc: svc}
	describeTask(s.API)
	api.Register(s, auth.Policy(described(op("list-tasks", http.MethodGet, "/api/v2/tasks", "List tasks", "tasks"), "Long-running operations (sync, expand, shrink, rating, reports) with status, stage and progress."), "compute/tasks/list"), t.list)
	api.Register(s, auth.Policy(op("get-task", http.MethodGet, "/api/v2/tasks/{id}", "Get a task", "tasks"), "compute/tasks/get"), t.get)
	api.Register(s, auth.Policy(op("task-logs", http.MethodGet, "/api/v2/tasks/{id}/logs", "A task's log lines, oldest first", "tasks"), "compute/tasks/get"), t.logs)
	api.Register(s, auth.Policy(op("cancel-task", http.MethodPost, "/api/v2/tasks/{id}/cancel", "Cancel a task", "tasks"), "compute/tasks/cancel"), t.cancel)
}

// tasks serves the task API, which every face's long operations share.
type tasks struct {
	svc *task.Service
}

func (tk *tasks) list(ctx context.Context, in *taskListInput) (*taskListOutput, error) {
	p, err := in.Params()
	if err != nil {
		return nil, err
	}
	f := task.Filter{Type: in.Type, ObjectType: in.ObjectType, ObjectID: in.ObjectID}
	switch g := auth.From(ctx).Grant; g.Breadth {
	case identity.BreadthSystem:
	case identity.BreadthDomain:
		p.Filters = append(p.Filters, listing.Filter{Field: "domain_id", Op: "equals", Values: []string{g.DomainID}})
	case identity.BreadthProject:
		f.ProjectIDs = []string{}
		if g.ProjectID != "" {
			f.ProjectIDs = []string{g.ProjectID}
		}
	default:
		f.ProjectIDs = []string{}
	}
	for _, st := range in.Status {
		if !task.Status(st).Valid() {
			return nil, errs.Field("status", "unknown status "+st)
		}
		f.Status = append(f.Status, task.Status(st))
	}
	if in.Since != "" {
		t, err := time.Parse(time.RFC3339, in.Since)
		if err != nil {
			return nil, errs.Field("since", "not an RFC 3339 time")
		}
		f.Since = t
	}
	page, err := tk.svc.List(ctx, f, p)
	if err != nil {
		return nil, err
	}
	out := &taskListOutput{}
	out.Body.Tasks, out.Body.Total, out.Body.Limit, out.Body.Offset = page.Items, page.Total, page.Limit, page.Offset
	return out, nil
}

func (tk *tasks) get(ctx context.Context, in *taskIDInput) (*taskOutput, error) {
	t, err := visibleTask(ctx, tk.svc, in.ID)
	if err != nil {
		return nil, err
	}
	return &taskOutput{Body: t}, nil
}

func (tk *tasks) logs(ctx context.Context, in *taskLogInput) (*taskLogOutput, error) {
	if _, err := visibleTask(ctx, tk.svc, in.ID); err != nil {
		return nil, err
	}
	lines, err := tk.svc.Logs(ctx, in.ID, in.After, in.Limit)
	if err != nil {
		return nil, err
	}
	out := &taskLogOutput{}
	out.Body.Logs = lines
	return out, nil
}

func (tk *tasks) cancel(ctx context.Context, in *taskIDInput) (*taskOutput, error) {
	v, err := visibleTask(ctx, tk.svc, in.ID)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "tasks", ID: v.ID, Name: v.Type, DomainID: v.DomainID, ProjectID: v.ProjectID})
	t, err := tk.svc.Cancel(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &taskOutput{Body: t}, nil
}

// describeTask completes the document's task schema: a task's params and
// result are JSON objects whose fields depend on the task's type, which
// the task package keeps as raw JSON.
func describeTask(a huma.API) {
	ref := a.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[task.Task](), true, "")
	s := a.OpenAPI().Components.Schemas.SchemaFromRef(ref.Ref)
	if s == nil {
		return
	}
	for name, doc := range map[string]string{"params": "what the task was asked to do; fields depend on the type",
		"result": "what the task produced, null until it has; fields depend on the type"} {
		if p := s.Properties[name]; p != nil {
			s.Properties[name] = &huma.Schema{Type: huma.TypeObject, Nullable: true, AdditionalProperties: true, Description: doc}
		}
	}
}
