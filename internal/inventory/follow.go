package inventory

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/ids"
	"github.com/skyfold/skyfold/internal/task"
)

// A sync asked for while another one is under way must still see the change
// that made someone ask. The sync under way serves the request only when it
// has not started yet (so it lists after the change) and its regions and
// kinds include the request's. Otherwise the request joins the account's one
// follow-up sync: the account row holds its task id and the union of the
// scopes asked of it, and the follow-up, once the current sync has ended,
// takes that scope and becomes the account's current sync.

// followWait is how long a follow-up sync waits before it looks again
// whether the sync before it has ended: a tenth of how long it has waited so
// far, from half a second to ten seconds. It waits queued, holding no worker.
func followWait(waited time.Duration) time.Duration {
	return min(max(waited/10, 500*time.Millisecond), 10*time.Second)
}

// syncScope is what a sync covers; an empty list means all regions (of the
// account's choice) or all kinds.
type syncScope struct {
	Regions []string `json:"regions,omitempty"`
	Kinds   []Kind   `json:"kinds,omitempty"`
}

// full reports whether the scope is every chosen region and every kind.
func (c syncScope) full() bool { return len(c.Regions) == 0 && len(c.Kinds) == 0 }

// covers reports whether a sync of c also syncs everything in o.
func (c syncScope) covers(o syncScope) bool {
	return coversList(c.Regions, o.Regions) && coversList(c.Kinds, o.Kinds)
}

func coversList[T comparable](have, want []T) bool {
	if len(have) == 0 {
		return true
	}
	if len(want) == 0 {
		return false
	}
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// union is the smallest scope covering both.
func (c syncScope) union(o syncScope) syncScope {
	return syncScope{Regions: unionList(c.Regions, o.Regions), Kinds: unionList(c.Kinds, o.Kinds)}
}

func unionList[T ~string](a, b []T) []T {
	if len(a) == 0 || len(b) == 0 {
		return nil
	}
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

func (c syncScope) encode() string {
	b, _ := json.Marshal(c)
	return string(b)
}

func decodeScope(s string) syncScope {
	var c syncScope
	_ = json.Unmarshal([]byte(s), &c)
	return c
}

// taskScope is what a sync task covers: its parameters, or for a follow-up
// the scope it took (everything until it has taken one).
func taskScope(t *task.Task) syncScope {
	var p syncParams
	_ = json.Unmarshal(t.Params, &p)
	if !p.Follow {
		return syncScope{Regions: p.Regions, Kinds: p.Kinds}
	}
	var st syncState
	_ = json.Unmarshal(t.State, &st)
	if st.Scope != nil {
		return *st.Scope
	}
	return syncScope{}
}

// errContended says a request lost a race on the account row; it tries again.
var errContended = errs.E(errs.Conflict, "the account's sync changed meanwhile")

// coverSync finds or makes the sync that will cover want: the queued sync if
// it has not started and covers it, else the follow-up sync (made if need
// be), else a new sync when none is under way. It returns errContended when
// another request changed the account row first.
func (s *Service) coverSync(ctx context.Context, a *Account, want syncScope, userID string) (*task.Task, error) {
	if a.SyncFollowTaskID != "" {
		return s.joinFollow(ctx, a, want, userID)
	}
	if a.SyncTaskID != "" {
		cur, err := s.tasks.Get(ctx, a.SyncTaskID)
		if err != nil && errs.CodeOf(err) != errs.NotFound {
			return nil, err
		}
		if err == nil && !cur.Status.Terminal() {
			if cur.Status == task.Queued && cur.StartedAt == nil && taskScope(cur).covers(want) {
				return cur, nil
			}
			fid := ids.New()
			res, err := s.db.NewUpdate().Model((*Account)(nil)).Set("sync_follow_task_id = ?", fid).
				Set("sync_follow_scope = ?", want.encode()).Where("id = ?", a.ID).
				Where("sync_follow_task_id = ''").Exec(ctx)
			if err != nil {
				return nil, err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil, errContended
			}
			return s.submitSync(ctx, a, fid, syncParams{AccountID: a.ID, Follow: true}, userID)
		}
	}
	t, err := s.submitSync(ctx, a, "", syncParams{AccountID: a.ID, Regions: want.Regions, Kinds: want.Kinds}, userID)
	if err != nil {
		return nil, err
	}
	res, err := s.db.NewUpdate().Model((*Account)(nil)).Set("sync_status = ?", SyncQueued).Set("sync_task_id = ?", t.ID).
		Set("progress = 0").Set("updated_at = ?", s.now()).Where("id = ?", a.ID).
		Where("sync_task_id = ?", a.SyncTaskID).Where("sync_follow_task_id = ''").Exec(ctx)
	if err == nil {
		if n, _ := res.RowsAffected(); n == 0 {
			err = errContended
		}
	}
	if err != nil {
		// Another request queued a sync first: this one never becomes the
		// account's, so it must not run beside it.
		_, _ = s.tasks.Cancel(context.WithoutCancel(ctx), t.ID)
		return nil, err
	}
	return t, nil
}

// joinFollow adds want to the pending follow-up's scope and returns it.
func (s *Service) joinFollow(ctx context.Context, a *Account, want syncScope, userID string) (*task.Task, error) {
	have := decodeScope(a.SyncFollowScope)
	if u := have.union(want); !slices.Equal(u.Regions, have.Regions) || !slices.Equal(u.Kinds, have.Kinds) {
		res, err := s.db.NewUpdate().Model((*Account)(nil)).Set("sync_follow_scope = ?", u.encode()).
			Where("id = ?", a.ID).Where("sync_follow_task_id = ?", a.SyncFollowTaskID).
			Where("sync_follow_scope = ?", a.SyncFollowScope).Exec(ctx)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, errContended
		}
	}
	// The id is reserved on the row before the task is recorded; whoever
	// comes here records it if the reserving request did not get that far.
	t, err := s.submitSync(ctx, a, a.SyncFollowTaskID, syncParams{AccountID: a.ID, Follow: true}, userID)
	if err != nil {
		return nil, err
	}
	if t.Status.Terminal() {
		// It ended before taking its scope (cancelled): make room for a new one.
		_, _ = s.db.NewUpdate().Model((*Account)(nil)).Set("sync_follow_task_id = ''").Set("sync_follow_scope = ''").
			Where("id = ?", a.ID).Where("sync_follow_task_id = ?", t.ID).Exec(ctx)
		return nil, errContended
	}
	return t, nil
}

func (s *Service) submitSync(ctx context.Context, a *Account, id string, p syncParams, userID string) (*task.Task, error) {
	return s.tasks.Submit(ctx, task.Spec{ID: id, Type: TaskSync, ObjectType: "cloudaccount", ObjectID: a.ID, ObjectName: a.Name,
		DomainID: a.DomainID, ProjectID: a.ProjectID, UserID: userID, Params: p})
}

// takeFollowScope, once the account's current sync has ended, makes the
// follow-up sync me the current one and takes the scope asked of it, in one
// update. Until then it returns task.Later, to be run again.
func (s *Service) takeFollowScope(ctx context.Context, accountID string, t *task.Task) (syncScope, error) {
	me := t.ID
	for {
		a, err := s.Get(ctx, accountID)
		if err != nil {
			return syncScope{}, task.Permanent(err)
		}
		if a.SyncFollowTaskID != me {
			// Taken already by an attempt that ended before saving it, or
			// the row moved on: syncing everything loses no request.
			return syncScope{}, nil
		}
		if a.SyncTaskID != "" && a.SyncTaskID != me {
			cur, err := s.tasks.Get(ctx, a.SyncTaskID)
			if err != nil && errs.CodeOf(err) != errs.NotFound {
				return syncScope{}, err
			}
			if err == nil && !cur.Status.Terminal() {
				return syncScope{}, task.Later(followWait(time.Since(t.CreatedAt)))
			}
		}
		res, err := s.db.NewUpdate().Model((*Account)(nil)).Set("sync_task_id = ?", me).
			Set("sync_follow_task_id = ''").Set("sync_follow_scope = ''").
			Set("sync_status = ?", SyncQueued).Set("progress = 0").Set("updated_at = ?", s.now()).
			Where("id = ?", a.ID).Where("sync_follow_task_id = ?", me).Where("sync_task_id = ?", a.SyncTaskID).
			Where("sync_follow_scope = ?", a.SyncFollowScope).Exec(ctx)
		if err != nil {
			return syncScope{}, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return decodeScope(a.SyncFollowScope), nil
		}
	}
}
