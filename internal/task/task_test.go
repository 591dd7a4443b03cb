package task_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/jobs"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
	"github.com/skyfold/skyfold/internal/task"
)

type harness struct {
	svc    *task.Service
	runner *jobs.Runner
}

func start(t *testing.T, st *store.Store, worker string, defs ...task.Definition) *harness {
	t.Helper()
	r := jobs.New(st, jobs.Config{Workers: 4, WorkerID: worker, PollInterval: 50 * time.Millisecond})
	svc := task.NewService(st.DB, r, task.Config{WorkerID: worker, Lease: 2 * time.Second, ReapInterval: 200 * time.Millisecond})
	for _, d := range defs {
		svc.Register(d)
	}
	svc.Attach(r)
	ctx, cancel := context.WithCancel(context.Background())
	if err := r.Start(ctx); err != nil {
		t.Fatalf("start runner: %v", err)
	}
	svc.Start(ctx)
	t.Cleanup(func() {
		svc.BeginShutdown()
		sctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = r.Stop(sctx)
		cancel()
	})
	return &harness{svc: svc, runner: r}
}

func waitStatus(t *testing.T, svc *task.Service, id string, want task.Status, within time.Duration) *task.Task {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		tk, err := svc.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("get task: %v", err)
		}
		if tk.Status == want {
			return tk
		}
		if tk.Status.Terminal() || time.Now().After(deadline) {
			logs, _ := svc.Logs(context.Background(), id, 0, 0)
			for _, l := range logs {
				t.Logf("log: [%s] %s %s", l.Level, l.Stage, l.Message)
			}
			t.Fatalf("task %s is %s (error %q), want %s", id, tk.Status, tk.Error, want)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func TestStagesRunInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var order []string
		def := task.Definition{Type: "test.order", Stages: []task.Stage{
			{Name: "one", Run: func(ctx context.Context, r *task.Run) error {
				order = append(order, "one")
				return r.SetState(map[string]int{"n": 1})
			}},
			{Name: "two", Run: func(ctx context.Context, r *task.Run) error {
				var s map[string]int
				if err := r.State(&s); err != nil {
					return err
				}
				if s["n"] != 1 {
					return fmt.Errorf("state not carried: %v", s)
				}
				order = append(order, "two")
				return r.SetResult(map[string]string{"ok": "yes"})
			}},
		}}
		h := start(t, st, "w1", def)
		tk, err := h.svc.Submit(context.Background(), task.Spec{Type: "test.order", ObjectType: "thing", ObjectID: "x1", Params: map[string]int{"a": 1}})
		if err != nil {
			t.Fatal(err)
		}
		got := waitStatus(t, h.svc, tk.ID, task.Success, 15*time.Second)
		if fmt.Sprint(order) != "[one two]" {
			t.Fatalf("stages ran %v", order)
		}
		if got.Progress != 100 || string(got.Result) != `{"ok":"yes"}` {
			t.Fatalf("progress %v result %s", got.Progress, got.Result)
		}
		logs, err := h.svc.Logs(context.Background(), tk.ID, 0, 0)
		if err != nil || len(logs) < 4 {
			t.Fatalf("logs %v %v", logs, err)
		}
		page, err := h.svc.List(context.Background(), task.Filter{ObjectID: "x1"}, listing.Params{Limit: 10})
		if err != nil || page.Total != 1 || page.Items[0].ID != tk.ID {
			t.Fatalf("list: %+v %v", page, err)
		}
	})
}

func TestRetryThenFail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var calls atomic.Int32
		def := task.Definition{Type: "test.retry", MaxAttempts: 3, Backoff: func(int) time.Duration { return 10 * time.Millisecond },
			Stages: []task.Stage{{Name: "flaky", Run: func(ctx context.Context, r *task.Run) error {
				if calls.Add(1) < 3 {
					return errs.E(errs.Unavailable, "cloud busy")
				}
				return nil
			}}}}
		bad := task.Definition{Type: "test.invalid", Stages: []task.Stage{{Name: "bad", Run: func(ctx context.Context, r *task.Run) error {
			return errs.Field("cidr", "not a CIDR")
		}}}}
		h := start(t, st, "w1", def, bad)
		tk, _ := h.svc.Submit(context.Background(), task.Spec{Type: "test.retry"})
		got := waitStatus(t, h.svc, tk.ID, task.Success, 15*time.Second)
		if calls.Load() != 3 || got.Attempt != 2 {
			t.Fatalf("calls %d attempt %d", calls.Load(), got.Attempt)
		}
		tk2, _ := h.svc.Submit(context.Background(), task.Spec{Type: "test.invalid"})
		got2 := waitStatus(t, h.svc, tk2.ID, task.Failed, 15*time.Second)
		if got2.Attempt != 0 || got2.Error == "" {
			t.Fatalf("invalid input must fail without retry: attempt %d error %q", got2.Attempt, got2.Error)
		}
	})
}

func TestCancelRunningTask(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		started := make(chan struct{}, 1)
		def := task.Definition{Type: "test.block", Stages: []task.Stage{{Name: "block", Run: func(ctx context.Context, r *task.Run) error {
			started <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		}}}}
		h := start(t, st, "w1", def)
		tk, _ := h.svc.Submit(context.Background(), task.Spec{Type: "test.block"})
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("task did not start")
		}
		if _, err := h.svc.Cancel(context.Background(), tk.ID); err != nil {
			t.Fatal(err)
		}
		waitStatus(t, h.svc, tk.ID, task.Cancelled, 10*time.Second)
		if _, err := h.svc.Cancel(context.Background(), tk.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second cancel: %v", err)
		}
	})
}

func TestChildrenWakeParent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		child := task.Definition{Type: "test.child", Stages: []task.Stage{{Name: "work", Run: func(ctx context.Context, r *task.Run) error {
			var p struct{ N int }
			_ = r.Params(&p)
			return r.SetResult(map[string]int{"n": p.N * 10})
		}}}}
		parent := task.Definition{Type: "test.parent", Stages: []task.Stage{
			{Name: "spawn", Run: func(ctx context.Context, r *task.Run) error {
				for i := 1; i <= 3; i++ {
					if _, err := r.Spawn(ctx, task.Spec{ID: fmt.Sprintf("%s-c%d", r.Task().ID, i), Type: "test.child", Params: map[string]int{"N": i}}); err != nil {
						return err
					}
				}
				return task.ErrWaitChildren
			}},
			{Name: "sum", Run: func(ctx context.Context, r *task.Run) error {
				kids, err := r.Children(ctx)
				if err != nil {
					return err
				}
				if len(kids) != 3 {
					return fmt.Errorf("%d children", len(kids))
				}
				for _, k := range kids {
					if k.Status != task.Success {
						return fmt.Errorf("child %s is %s", k.ID, k.Status)
					}
				}
				return r.SetResult(map[string]int{"children": len(kids)})
			}},
		}}
		h := start(t, st, "w1", child, parent)
		tk, _ := h.svc.Submit(context.Background(), task.Spec{Type: "test.parent"})
		got := waitStatus(t, h.svc, tk.ID, task.Success, 20*time.Second)
		if string(got.Result) != `{"children":3}` {
			t.Fatalf("result %s", got.Result)
		}
	})
}

// TestResumeAfterOwnerDies simulates a crashed owner: a task whose lease is
// held by a process that no longer heartbeats is resumed by another process
// at the stage after the last completed one.
func TestResumeAfterOwnerDies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var ran []string
		mk := func() task.Definition {
			return task.Definition{Type: "test.resume", Stages: []task.Stage{
				{Name: "a", Run: func(ctx context.Context, r *task.Run) error { ran = append(ran, "a"); return nil }},
				{Name: "b", Run: func(ctx context.Context, r *task.Run) error { ran = append(ran, "b"); return nil }},
				{Name: "c", Run: func(ctx context.Context, r *task.Run) error { ran = append(ran, "c"); return nil }},
			}}
		}
		ctx := context.Background()
		// A task that a dead process had taken through stage "a".
		now := time.Now().UTC()
		tk := &task.Task{ID: "dead-owner-task", Type: "test.resume", Status: task.Running, Stage: 1, StageName: "b",
			Params: []byte("{}"), State: []byte("{}"), Result: []byte("{}"), MaxAttempts: 3,
			LeaseOwner: "dead", LeaseUntil: now.Add(-time.Second).UnixMilli(), CreatedAt: now, UpdatedAt: now}
		if _, err := st.DB.NewInsert().Model(tk).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		h := start(t, st, "survivor", mk())
		got := waitStatus(t, h.svc, tk.ID, task.Success, 20*time.Second)
		if fmt.Sprint(ran) != "[b c]" {
			t.Fatalf("resumed stages %v, want [b c]", ran)
		}
		if got.Worker != "survivor" {
			t.Fatalf("worker %q", got.Worker)
		}
	})
}

func TestUnknownTypeRejected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := start(t, st, "w1")
		_, err := h.svc.Submit(context.Background(), task.Spec{Type: "nope"})
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("got %v", err)
		}
		if _, err := h.svc.Get(context.Background(), "missing"); !errors.Is(err, err) || !errs.Is(err, errs.NotFound) {
			t.Fatalf("get missing: %v", err)
		}
	})
}

// TestUnstorableMessageStillFails checks that an error quoting input the
// store refuses (a NUL byte, invalid UTF-8) still ends the task, once, with
// the reason, rather than leaving it running to be retried at every lease.
func TestUnstorableMessageStillFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		def := task.Definition{Type: "test.nul", Stages: []task.Stage{{Name: "bad", Run: func(ctx context.Context, r *task.Run) error {
			r.Log(ctx, "looking at %q", "a\x00b\xff")
			return errs.Field("region", "no region a\x00b\xff"+strings.Repeat("x", 100000))
		}}}}
		h := start(t, st, "w1", def)
		tk, _ := h.svc.Submit(context.Background(), task.Spec{Type: "test.nul"})
		got := waitStatus(t, h.svc, tk.ID, task.Failed, 15*time.Second)
		if got.Attempt != 0 || !strings.Contains(got.Error, "no region a") || len(got.Error) > 4000 {
			t.Fatalf("attempt %d error %.80q (%d bytes)", got.Attempt, got.Error, len(got.Error))
		}
	})
}

// TestLaterRunsStageAgain: a stage that is not ready yet runs again later,
// as often as it needs, without spending the task's one attempt.
func TestLaterRunsStageAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var calls atomic.Int32
		def := task.Definition{Type: "test.later", MaxAttempts: 1, Stages: []task.Stage{
			{Name: "wait", Run: func(ctx context.Context, r *task.Run) error {
				if calls.Add(1) < 4 {
					return task.Later(10 * time.Millisecond)
				}
				return nil
			}},
			{Name: "after", Run: func(ctx context.Context, r *task.Run) error { return nil }},
		}}
		h := start(t, st, "w1", def)
		tk, err := h.svc.Submit(context.Background(), task.Spec{Type: "test.later"})
		if err != nil {
			t.Fatal(err)
		}
		got := waitStatus(t, h.svc, tk.ID, task.Success, 60*time.Second)
		if calls.Load() != 4 || got.Attempt != 0 {
			t.Fatalf("stage ran %d times, attempt %d; want 4 runs and no attempt spent", calls.Load(), got.Attempt)
		}
	})
}

// TestSecondJobOfLiveTaskEndsAtOnce: the queue may run a long task's job a
// second time (it takes a job running for long for the job of a dead
// process); the second run finds the lease held and ends without running a
// stage, so the task runs once.
func TestSecondJobOfLiveTaskEndsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var runs atomic.Int32
		release := make(chan struct{})
		def := task.Definition{Type: "test.long", Stages: []task.Stage{{Name: "long", Run: func(ctx context.Context, r *task.Run) error {
			runs.Add(1)
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}}}}
		h := start(t, st, "w1", def)
		ctx := context.Background()
		tk, err := h.svc.Submit(ctx, task.Spec{Type: "test.long"})
		if err != nil {
			t.Fatal(err)
		}
		waitStatus(t, h.svc, tk.ID, task.Running, 15*time.Second)
		if err := h.runner.Enqueue(ctx, "task.run", map[string]string{"task_id": tk.ID}, jobs.EnqueueOpts{}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			n, err := st.DB.NewSelect().Table("river_job").Where("state = 'completed'").Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n >= 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the second job did not end while the task ran")
			}
			time.Sleep(30 * time.Millisecond)
		}
		close(release)
		waitStatus(t, h.svc, tk.ID, task.Success, 15*time.Second)
		if n := runs.Load(); n != 1 {
			t.Fatalf("the stage ran %d times, want 1", n)
		}
	})
}
