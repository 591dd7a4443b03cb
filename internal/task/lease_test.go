package task_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
	"github.com/skyfold/skyfold/internal/task"
)

func TestLeaseTakeRenewRelease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a := task.NewLeases(st.DB, "a", time.Minute)
		b := task.NewLeases(st.DB, "b", time.Minute)

		la, err := a.Take(ctx, "scope:1")
		if err != nil {
			t.Fatalf("take: %v", err)
		}
		if _, err := b.Take(ctx, "scope:1"); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("second owner took a held lease: %v", err)
		}
		if _, err := a.Take(ctx, "scope:1"); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("a second holder in the same process took a held lease: %v", err)
		}
		if _, err := b.Take(ctx, "scope:2"); err != nil {
			t.Fatalf("another name: %v", err)
		}
		if err := la.Renew(ctx); err != nil {
			t.Fatalf("renew: %v", err)
		}
		if err := la.Release(ctx); err != nil {
			t.Fatalf("release: %v", err)
		}
		lb, err := b.Take(ctx, "scope:1")
		if err != nil {
			t.Fatalf("take after release: %v", err)
		}
		if err := la.Renew(ctx); !errors.Is(err, task.ErrLeaseLost) {
			t.Fatalf("renew of a given-back lease = %v, want ErrLeaseLost", err)
		}
		// A stale holder giving back must not free the new holder's lease.
		if err := la.Release(ctx); err != nil {
			t.Fatalf("stale release: %v", err)
		}
		if _, err := a.Take(ctx, "scope:1"); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("a stale release freed the new holder's lease: %v", err)
		}
		if err := lb.Renew(ctx); err != nil {
			t.Fatalf("renew by the holder: %v", err)
		}
	})
}

func TestLeaseExpiresAndIsTakenOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a := task.NewLeases(st.DB, "a", 300*time.Millisecond)
		b := task.NewLeases(st.DB, "b", 300*time.Millisecond)
		la, err := a.Take(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
		if _, err := b.Take(ctx, "k"); err != nil {
			t.Fatalf("take-over of an expired lease: %v", err)
		}
		if err := la.Renew(ctx); !errors.Is(err, task.ErrLeaseLost) {
			t.Fatalf("renew after take-over = %v, want ErrLeaseLost", err)
		}
	})
}

func TestLeaseHold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a := task.NewLeases(st.DB, "a", 300*time.Millisecond)
		b := task.NewLeases(st.DB, "b", 300*time.Millisecond)

		t.Run("renewed while held", func(t *testing.T) {
			la, err := a.Take(ctx, "held")
			if err != nil {
				t.Fatal(err)
			}
			held, stop := la.Hold(ctx)
			time.Sleep(time.Second) // more than three leases
			if _, err := b.Take(ctx, "held"); errs.CodeOf(err) != errs.Conflict {
				t.Fatalf("a held lease was taken over: %v", err)
			}
			if held.Err() != nil {
				t.Fatalf("holder cancelled: %v", context.Cause(held))
			}
			stop()
			if err := la.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Take(ctx, "held"); err != nil {
				t.Fatalf("take after the holder gave it back: %v", err)
			}
		})

		t.Run("holder cancelled when the lease is lost", func(t *testing.T) {
			la, err := a.Take(ctx, "lost")
			if err != nil {
				t.Fatal(err)
			}
			held, stop := la.Hold(ctx)
			defer stop()
			// Another owner has the row, as after a stall longer than the lease.
			if _, err := st.DB.NewRaw("UPDATE task_leases SET lease_owner = 'b/x' WHERE id = 'lost'").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			select {
			case <-held.Done():
			case <-time.After(2 * time.Second):
				t.Fatal("holder still running after its lease was taken")
			}
			if cause := context.Cause(held); !errors.Is(cause, task.ErrLeaseLost) {
				t.Fatalf("cause = %v, want ErrLeaseLost", cause)
			}
		})
	})
}

func TestServiceLeasesEndOnShutdown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc := task.NewService(st.DB, nil, task.Config{WorkerID: "w1", Lease: 300 * time.Millisecond})
		l, err := svc.Leases().Take(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Owner(); len(got) < 3 || got[:3] != "w1/" {
			t.Fatalf("owner = %q, want the worker id first", got)
		}
		held, stop := l.Hold(ctx)
		defer stop()
		svc.BeginShutdown()
		select {
		case <-held.Done():
		case <-time.After(2 * time.Second):
			t.Fatal("holder still running after shutdown")
		}
	})
}
