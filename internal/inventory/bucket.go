package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/ids"
	"github.com/skyfold/skyfold/internal/task"
)

// Bucket task types.
const (
	TaskBucketCreate = "bucket.create"
	TaskBucketDelete = "bucket.delete"
)

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

// BucketInput is a bucket to create.
type BucketInput struct {
	ProviderID  string // cloud provider (manager) id
	RegionID    string // cloudregion id
	Name        string
	Description string
	Tags        map[string]string
	DomainID    string
	ProjectID   string
	UserID      string
}

// CreateBucket records a bucket in status start_create and creates it on the
// cloud in a task; the row becomes ready (or create_failed) when it ends.
func (s *Service) CreateBucket(ctx context.Context, in BucketInput) (*Resource, *task.Task, error) {
	if !bucketName.MatchString(in.Name) {
		return nil, nil, errs.Field("name", "3-63 characters: lower-case letters, digits and hyphens, not starting or ending with a hyphen")
	}
	pv := new(CloudProvider)
	if err := s.db.NewSelect().Model(pv).Where("id = ?", in.ProviderID).Scan(ctx); err != nil {
		return nil, nil, errs.Field("cloudprovider", "no such cloud provider "+in.ProviderID)
	}
	a, err := s.Get(ctx, pv.CloudaccountID)
	if err != nil {
		return nil, nil, err
	}
	if !a.Enabled || a.ReadOnly {
		return nil, nil, errs.E(errs.Conflict, "cloud account %s is disabled or read-only", a.Name)
	}
	reg, err := s.Region(ctx, in.RegionID)
	if err != nil {
		return nil, nil, errs.Field("cloudregion", "no such region "+in.RegionID)
	}
	if reg.Provider != a.Provider {
		return nil, nil, errs.Field("cloudregion", fmt.Sprintf("region %s is not a %s region", reg.Name, a.Provider))
	}
	n, _ := s.db.NewSelect().Model((*Resource)(nil)).Where("kind = ?", KindBucket).Where("cloudaccount_id = ?", a.ID).
		Where("name = ?", in.Name).Where("deleted_at IS NULL").Count(ctx)
	if n > 0 {
		return nil, nil, errs.E(errs.Conflict, "bucket %s already exists", in.Name)
	}
	if in.DomainID == "" {
		in.DomainID, in.ProjectID = a.DomainID, a.ProjectID
	}
	tags := in.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	tagJSON, _ := json.Marshal(tags)
	data, _ := json.Marshal(map[string]any{"description": in.Description})
	now := s.now()
	r := &Resource{ID: ids.New(), Kind: KindBucket, CloudaccountID: a.ID, CloudproviderID: pv.ID, CloudregionID: reg.ID,
		ExternalID: in.Name, Name: in.Name, Status: "start_create", DomainID: in.DomainID, ProjectID: in.ProjectID,
		Tags: tagJSON, Data: data, CreatedAt: now, UpdatedAt: now, SyncedAt: now}
	if err := insertResources(ctx, s.db, []Resource{*r}); err != nil {
		return nil, nil, fmt.Errorf("record bucket: %w", err)
	}
	t, err := s.tasks.Submit(ctx, task.Spec{Type: TaskBucketCreate, ObjectType: "bucket", ObjectID: r.ID, ObjectName: r.Name,
		DomainID: r.DomainID, ProjectID: r.ProjectID, UserID: in.UserID, Params: map[string]string{"resource_id": r.ID}})
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.db.NewUpdate().Model((*Resource)(nil)).Set("busy_task_id = ?", t.ID).Set("source = ?", SourceLocal).
		Where("id = ?", r.ID).Exec(ctx); err != nil {
		return nil, nil, fmt.Errorf("record bucket task: %w", err)
	}
	r.BusyTaskID = t.ID
	return r, t, nil
}

// DeleteBucket deletes a bucket on the cloud in a task.
func (s *Service) DeleteBucket(ctx context.Context, sc Scope, id, userID string) (*task.Task, error) {
	r, err := s.GetResource(ctx, sc, KindBucket, id)
	if err != nil {
		return nil, err
	}
	if r.BusyTaskID != "" {
		return nil, errs.E(errs.Conflict, "bucket %s is busy in task %s", r.Name, r.BusyTaskID)
	}
	st, err := s.BucketStates(ctx, []Resource{*r})
	if err != nil {
		return nil, err
	}
	if u := st[r.ID].Stats; u != nil && u.ObjectCnt > 0 {
		return nil, errs.E(errs.Conflict, "bucket %s holds %d objects: empty it before deleting", r.Name, u.ObjectCnt)
	}
	t, err := s.tasks.Submit(ctx, task.Spec{Type: TaskBucketDelete, ObjectType: "bucket", ObjectID: r.ID, ObjectName: r.Name,
		DomainID: r.DomainID, ProjectID: r.ProjectID, UserID: userID, Params: map[string]string{"resource_id": r.ID}})
	if err != nil {
		return nil, err
	}
	_, _ = s.db.NewUpdate().Model((*Resource)(nil)).Set("busy_task_id = ?", t.ID).Set("status = 'deleting'").Where("id = ?", r.ID).Exec(ctx)
	return t, nil
}

func (s *Service) bucketRegion(ctx context.Context, r *task.Run) (*Resource, cloud.Provider, cloud.RegionClient, error) {
	var p struct {
		ResourceID string `json:"resource_id"`
	}
	if err := r.Params(&p); err != nil {
		return nil, nil, nil, task.Permanent(err)
	}
	res := new(Resource)
	if err := s.db.NewSelect().Model(res).Where("id = ?", p.ResourceID).Scan(ctx); err != nil {
		return nil, nil, nil, task.Permanent(errs.NotFoundf("bucket", p.ResourceID))
	}
	a, err := s.Get(ctx, res.CloudaccountID)
	if err != nil {
		return nil, nil, nil, task.Permanent(err)
	}
	reg, err := s.Region(ctx, res.CloudregionID)
	if err != nil {
		return nil, nil, nil, task.Permanent(err)
	}
	drv, err := s.Open(ctx, a)
	if err != nil {
		return nil, nil, nil, err
	}
	rc, err := drv.Region(reg.RegionID)
	if err != nil {
		drv.Close()
		return nil, nil, nil, err
	}
	return res, drv, rc, nil
}

func (s *Service) bucketDefinitions() []task.Definition {
	end := func(status string) func(ctx context.Context, t *task.Task, st task.Status, msg string) {
		return func(ctx context.Context, t *task.Task, st task.Status, msg string) {
			q := s.db.NewUpdate().Model((*Resource)(nil)).Set("busy_task_id = ''").Set("updated_at = ?", s.now()).Where("id = ?", t.ObjectID)
			if st != task.Success {
				q = q.Set("status = ?", status)
			}
			_, _ = q.Exec(ctx)
		}
	}
	return []task.Definition{
		{Type: TaskBucketCreate, MaxAttempts: 3, OnEnd: end("create_failed"), Stages: []task.Stage{{Name: "create", Run: func(ctx context.Context, r *task.Run) error {
			res, drv, rc, err := s.bucketRegion(ctx, r)
			if err != nil {
				return err
			}
			defer drv.Close()
			b, err := rc.CreateBucket(ctx, cloud.BucketSpec{Name: res.Name})
			if err != nil && !isConflict(err) {
				return err
			}
			if err == nil {
				r.Log(ctx, "bucket %s created in %s", b.Name, rc.RegionID())
			}
			// What the cloud lists and reports of the new bucket only adds
			// to the answer; the bucket is there without it.
			if err := s.recordCreatedBucket(ctx, rc, res); err != nil {
				r.Log(ctx, "bucket %s: the cloud's listing of it not recorded: %v", res.Name, err)
			}
			if err := s.recordBucketUsage(ctx, rc, res.ID, res.Name); err != nil {
				r.Log(ctx, "bucket %s: usage not read: %v", res.Name, err)
			}
			// Ready and free in one write: a reader never sees a ready
			// bucket that its create task still holds.
			now := s.now()
			_, err = s.db.NewUpdate().Model((*Resource)(nil)).Set("status = 'ready'").Set("busy_task_id = ''").
				Set("updated_at = ?", now).Set("synced_at = ?", now).Where("id = ?", res.ID).Exec(ctx)
			return err
		}}}},
		{Type: TaskBucketDelete, MaxAttempts: 3, OnEnd: end("delete_failed"), Stages: []task.Stage{{Name: "delete", Run: func(ctx context.Context, r *task.Run) error {
			res, drv, rc, err := s.bucketRegion(ctx, r)
			if err != nil {
				return err
			}
			defer drv.Close()
			if err := rc.DeleteBucket(ctx, res.Name); err != nil && cloud.AsDomain(err).Code != errs.NotFound {
				return err
			}
			now := s.now()
			_, err = s.db.NewUpdate().Model((*Resource)(nil)).Set("status = 'deleted'").Set("deleted_at = ?", now).
				Set("updated_at = ?", now).Where("id = ?", res.ID).Exec(ctx)
			return err
		}}}},
	}
}

func isConflict(err error) bool { return errs.CodeOf(err) == errs.Conflict }
