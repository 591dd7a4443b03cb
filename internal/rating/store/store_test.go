package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
	"github.com/skyfold/skyfold/internal/rating/script"
	ratingstore "github.com/skyfold/skyfold/internal/rating/store"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

func TestHashmapObjects(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := ratingstore.New(st.DB, ratingstore.Config{})
		changes := 0
		s.OnChange(func(context.Context) { changes++ })
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		svc, err := s.CreateService(ctx, "instance")
		must(err)
		fld, err := s.CreateField(ctx, svc.ID, "flavor_name")
		must(err)
		grp, err := s.CreateGroup(ctx, "compute")
		must(err)
		m1, err := s.CreateMapping(ctx, hashmap.Mapping{FieldID: fld.ID, Value: "m1.small", Cost: money.MustParse("0.05"), GroupID: grp.ID})
		must(err)
		if m1.Type != hashmap.TypeFlat {
			t.Fatalf("default type = %q", m1.Type)
		}
		_, err = s.CreateMapping(ctx, hashmap.Mapping{ServiceID: svc.ID, Type: hashmap.TypeRate, Cost: money.MustParse("1.2"), TenantID: "p1",
			Validity: hashmap.Validity{Start: time.Now().Add(time.Hour)}})
		must(err)
		th, err := s.CreateThreshold(ctx, hashmap.Threshold{ServiceID: svc.ID, Level: money.MustParse("10"), Type: hashmap.TypeRate, Cost: money.MustParse("0.9"), GroupID: grp.ID})
		must(err)
		rev, err := s.Revision(ctx)
		must(err)
		if rev != 6 || changes != 6 {
			t.Fatalf("revision %d, %d changes, want 6", rev, changes)
		}

		// Violations reach the caller as conflicts with their kind.
		_, err = s.CreateMapping(ctx, hashmap.Mapping{FieldID: fld.ID, Value: "m1.small", Cost: money.MustParse("1"), GroupID: grp.ID})
		if v, ok := hashmap.ViolationOf(err); !ok || v.Kind != hashmap.KindMappingExists || !errs.Is(err, errs.Conflict) {
			t.Fatalf("duplicate mapping: %v", err)
		}
		if _, err := s.CreateService(ctx, "instance"); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("duplicate service: %v", err)
		}
		if rev2, _ := s.Revision(ctx); rev2 != rev {
			t.Fatalf("a refused change bumped the revision: %d", rev2)
		}

		// Update, filters, group deletion without recursion.
		m1.Cost = money.MustParse("0.06")
		_, err = s.UpdateMapping(ctx, m1)
		must(err)
		got, err := s.Mapping(ctx, m1.ID)
		must(err)
		if got.Cost.String() != "0.06" || got.GroupID != grp.ID {
			t.Fatalf("updated mapping = %+v", got)
		}
		if ms, _ := s.Mappings(ctx, ratingstore.RuleFilter{TenantID: "p1"}); len(ms) != 1 || ms[0].Start.IsZero() {
			t.Fatalf("tenant mappings = %+v", ms)
		}
		if ms, _ := s.Mappings(ctx, ratingstore.RuleFilter{FilterTenant: true}); len(ms) != 1 || ms[0].ID != m1.ID {
			t.Fatalf("mappings of no tenant = %+v", ms)
		}
		must(s.DeleteGroup(ctx, grp.ID, false))
		if ms, _ := s.Mappings(ctx, ratingstore.RuleFilter{NoGroup: true, FieldID: fld.ID}); len(ms) != 1 {
			t.Fatalf("mapping left its group: %+v", ms)
		}
		if _, err := s.Threshold(ctx, th.ID); err != nil {
			t.Fatalf("threshold of a group deleted without recursion: %v", err)
		}

		// Deleting the service removes its fields and every rule under it.
		must(s.DeleteService(ctx, svc.ID))
		rules, err := s.HashmapRules(ctx)
		must(err)
		if len(rules.Services)+len(rules.Fields)+len(rules.Mappings)+len(rules.Thresholds) != 0 {
			t.Fatalf("left after deleting the service: %+v", rules)
		}
		if err := s.DeleteMapping(ctx, m1.ID); errs.CodeOf(err) != errs.NotFound || err.Error() != "not_found: No such mapping: "+m1.ID {
			t.Fatalf("delete missing mapping: %v", err)
		}
	})
}

func TestScriptsCollectorsAndScopes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := ratingstore.New(st.DB, ratingstore.Config{})
		sc, err := s.CreateScript(ctx, script.Script{Name: "a", Data: "x = 1\n"})
		if err != nil || sc.Checksum != script.Checksum("x = 1\n") {
			t.Fatalf("script = %+v, %v", sc, err)
		}
		if _, err := s.CreateScript(ctx, script.Script{Name: "a", Data: "y = 2\n"}); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("duplicate name: %v", err)
		}
		if _, err := s.CreateScript(ctx, script.Script{Name: "b", Data: "def (\n"}); errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("syntax error: %v", err)
		}
		sc.Data = "x = 2\n"
		if sc, err = s.UpdateScript(ctx, sc); err != nil || sc.Checksum != script.Checksum("x = 2\n") {
			t.Fatalf("update = %+v, %v", sc, err)
		}
		if list, _ := s.Scripts(ctx, true); len(list) != 1 || list[0].Data != "" || list[0].Checksum == "" {
			t.Fatalf("scripts without data = %+v", list)
		}

		if _, err := s.CreateCollectorMapping(ctx, "instance", "gnocchi"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateCollectorMapping(ctx, "instance", "other"); errs.CodeOf(err) != errs.Conflict {
			t.Fatalf("second mapping: %v", err)
		}
		if err := s.SetCollectorState(ctx, "gnocchi", false); err != nil {
			t.Fatal(err)
		}
		if states, _ := s.CollectorStates(ctx); states["gnocchi"] {
			t.Fatalf("states = %v", states)
		}

		n, err := s.EnsureScopes(ctx, []string{"p1", "p2"})
		if err != nil || n != 2 {
			t.Fatalf("ensure = %d, %v", n, err)
		}
		if n, _ := s.EnsureScopes(ctx, []string{"p2", "p3"}); n != 1 {
			t.Fatalf("ensure again = %d", n)
		}
		now := time.Now()
		last := time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC)
		err = s.SaveProgress(ctx, st.DB, ratingstore.Progress{ScopeID: "p2", LastProcessed: &last, Failed: []ratingstore.Failure{
			{Metric: "cpu", RetryFrom: last, Attempts: 1, Error: "boom", FirstFailedAt: now, FailedAt: now}}})
		if err != nil {
			t.Fatal(err)
		}
		fails, _ := s.Failures(ctx, nil, nil)
		if len(fails["p2"]) != 1 || fails["p2"][0].Error != "boom" {
			t.Fatalf("failures = %+v", fails)
		}
		if err := s.ResetScope(ctx, st.DB, "p2", nil, last); err != nil {
			t.Fatal(err)
		}
		if fails, _ := s.Failures(ctx, nil, []string{"p2"}); len(fails["p2"]) != 0 {
			t.Fatalf("failures after reset = %+v", fails)
		}
		off := false
		if _, err := s.SetActive(ctx, "p3", false); err != nil {
			t.Fatal(err)
		}
		if list, total, _ := s.Scopes(ctx, ratingstore.ScopeFilter{Active: &off}); total != 1 || list[0].ScopeID != "p3" {
			t.Fatalf("inactive scopes = %+v", list)
		}
	})
}
