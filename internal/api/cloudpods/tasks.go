package cloudpods

import (
	"context"
	"net/http"
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
	api.Register(s, auth.Policy(huma.Operation{
		OperationID: "cloudpods-list-tasks", Method: http.MethodGet, Path: "/api/v2/tasks",
		Summary: "List tasks", Tags: []string{"tasks"},
		Description: "Long-running operations (sync, expand, shrink, rating, reports) with status, stage and progress.",
	}, "compute/tasks/list"), func(ctx context.Context, in *taskListInput) (*taskListOutput, error) {
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
		page, err := svc.List(ctx, f, p)
		if err != nil {
			return nil, err
		}
		out := &taskListOutput{}
		out.Body.Tasks, out.Body.Total, out.Body.Limit, out.Body.Offset = page.Items, page.Total, page.Limit, page.Offset
		return out, nil
	})
	api.Register(s, auth.Policy(huma.Operation{
		OperationID: "cloudpods-get-task", Method: http.MethodGet, Path: "/api/v2/tasks/{id}",
		Summary: "Get a task", Tags: []string{"tasks"},
	}, "compute/tasks/get"), func(ctx context.Context, in *taskIDInput) (*taskOutput, error) {
		t, err := visibleTask(ctx, svc, in.ID)
		if err != nil {
			return nil, err
		}
		return &taskOutput{Body: t}, nil
	})
	api.Register(s, auth.Policy(huma.Operation{
		OperationID: "cloudpods-task-logs", Method: http.MethodGet, Path: "/api/v2/tasks/{id}/logs",
		Summary: "A task's log lines, oldest first", Tags: []string{"tasks"},
	}, "compute/tasks/get"), func(ctx context.Context, in *taskLogInput) (*taskLogOutput, error) {
		if _, err := visibleTask(ctx, svc, in.ID); err != nil {
			return nil, err
		}
		lines, err := svc.Logs(ctx, in.ID, in.After, in.Limit)
		if err != nil {
			return nil, err
		}
		out := &taskLogOutput{}
		out.Body.Logs = lines
		return out, nil
	})
	api.Register(s, auth.Policy(huma.Operation{
		OperationID: "cloudpods-cancel-task", Method: http.MethodPost, Path: "/api/v2/tasks/{id}/cancel",
		Summary: "Cancel a task", Tags: []string{"tasks"},
	}, "compute/tasks/cancel"), func(ctx context.Context, in *taskIDInput) (*taskOutput, error) {
		v, err := visibleTask(ctx, svc, in.ID)
		if err != nil {
			return nil, err
		}
		auth.Note(ctx, auth.Object{Type: "tasks", ID: v.ID, Name: v.Type, DomainID: v.DomainID, ProjectID: v.ProjectID})
		t, err := svc.Cancel(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &taskOutput{Body: t}, nil
	})
}
