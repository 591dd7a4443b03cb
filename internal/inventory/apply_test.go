package inventory

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/skyfold/skyfold/internal/ids"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

func remoteRow(ext, name, fp string) Resource {
	return Resource{Kind: KindServer, CloudaccountID: "a1", CloudproviderID: "p", CloudregionID: "r1", ExternalID: ext,
		Name: name, Status: "running", ProjectID: "p1", DomainID: "d1", Tags: []byte("{}"),
		Data: []byte(`{"id":"` + ext + `"}`), Fingerprint: fp}
}

// applyPages runs one kindSync over the pages, each with the total the
// cloud reported, and returns its result.
func applyPages(t *testing.T, s *Service, totals []int, pages ...[]Resource) *KindResult {
	t.Helper()
	ctx := context.Background()
	res := &KindResult{}
	ks := s.newKindSync("a1", "r1", KindServer, res)
	if err := ks.load(ctx); err != nil {
		t.Fatal(err)
	}
	for i, p := range pages {
		if err := ks.add(ctx, totals[i], p); err != nil {
			t.Fatal(err)
		}
	}
	if err := ks.finish(ctx); err != nil {
		t.Fatal(err)
	}
	return res
}

func liveNames(t *testing.T, s *Service) []string {
	t.Helper()
	var names []string
	if err := s.db.NewSelect().Model((*Resource)(nil)).Column("name").Where("deleted_at IS NULL").
		Order("name").Scan(context.Background(), &names); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestKindSyncDiff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := New(st.DB, nil, nil, Config{BulkDB: st.Bulk})
		// 1,200 rows in pages of 500: inserts span write batches.
		var first []Resource
		for i := range 1200 {
			first = append(first, remoteRow(fmt.Sprintf("i-%04d", i), fmt.Sprintf("vm-%04d", i), "v1"))
		}
		res := applyPages(t, s, []int{1200, 1200, 1200}, first[:500], first[500:1000], first[1000:])
		if res.Added != 1200 || res.Updated != 0 || res.Removed != 0 {
			t.Fatalf("first sync: %+v", res)
		}
		var data int
		if err := st.DB.NewSelect().Table("resource_data").ColumnExpr("COUNT(*)").Scan(context.Background(), &data); err != nil || data != 1200 {
			t.Fatalf("%d data rows (%v), want 1200", data, err)
		}
		// One changed, one gone, one new; the rest unchanged.
		second := append([]Resource{}, first[:1199]...)
		second[7].Fingerprint, second[7].Name, second[7].Status, second[7].CPU = "v2", "renamed", "stopped", 8
		second[7].Tags, second[7].Data = []byte(`{"env":"dev"}`), []byte(`{"id":"i-0007","v":2}`)
		second = append(second, remoteRow("i-new", "vm-new", "v1"))
		res = applyPages(t, s, []int{1200, 1200}, second[:600], second[600:])
		if res.Added != 1 || res.Updated != 1 || res.Removed != 1 || res.Unchanged != 1198 || res.Note != "" {
			t.Fatalf("second sync: %+v", res)
		}
		names := liveNames(t, s)
		if len(names) != 1200 || !contains(names, "renamed") || !contains(names, "vm-new") || contains(names, "vm-1199") {
			t.Fatalf("after the second sync: %d live rows", len(names))
		}
		ctx := context.Background()
		byExt := func(ext string) *Resource {
			t.Helper()
			var id string
			if err := st.DB.NewSelect().Model((*Resource)(nil)).Column("id").Where("external_id = ?", ext).Scan(ctx, &id); err != nil {
				t.Fatal(err)
			}
			r, err := s.GetResource(ctx, SystemScope, KindServer, id)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := byExt("i-0007"); r.Status != "stopped" || r.CPU != 8 || string(r.Tags) != `{"env":"dev"}` ||
			string(r.Data) != `{"id":"i-0007","v":2}` || r.Fingerprint != "v2" {
			t.Fatalf("the changed row reads %+v", r)
		}
		// The removed row comes back: updated, live again.
		res = applyPages(t, s, []int{1201}, append(second, first[1199]))
		if res.Updated != 1 || res.Added != 0 || res.Removed != 0 {
			t.Fatalf("third sync: %+v", res)
		}
		if r := byExt("i-1199"); r.DeletedAt != nil || r.Status != "running" {
			t.Fatalf("the returning row reads %+v", r)
		}
	})
}

func contains(v []string, s string) bool {
	i := sort.SearchStrings(v, s)
	return i < len(v) && v[i] == s
}

// TestKindSyncDriftDefersDeletions: when the listing moved while it was
// paged, a stored object missing from it may only have shifted to a page
// already read, so nothing is marked deleted.
func TestKindSyncDriftDefersDeletions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := New(st.DB, nil, nil, Config{BulkDB: st.Bulk})
		rows := []Resource{remoteRow("i-1", "a", "v1"), remoteRow("i-2", "b", "v1"), remoteRow("i-3", "c", "v1")}
		applyPages(t, s, []int{3}, rows)
		cases := map[string]struct {
			totals []int
			pages  [][]Resource
		}{
			"total changed between pages": {[]int{3, 2}, [][]Resource{rows[:1], rows[1:2]}},
			"fewer seen than the total":   {[]int{3}, [][]Resource{rows[:2]}},
			"an object listed twice":      {[]int{-1, -1}, [][]Resource{rows[:2], rows[1:2]}},
		}
		for name, c := range cases {
			res := applyPages(t, s, c.totals, c.pages...)
			if res.Removed != 0 || res.Note == "" {
				t.Fatalf("%s: %+v", name, res)
			}
			if n := len(liveNames(t, s)); n != 3 {
				t.Fatalf("%s: %d live rows, want 3", name, n)
			}
		}
		// A consistent listing without i-3 removes it.
		if res := applyPages(t, s, []int{2}, rows[:2]); res.Removed != 1 || res.Note != "" {
			t.Fatalf("consistent listing: %+v", res)
		}
	})
}

// TestInsertSyncedSkipsRowsStoredMeanwhile: a row another writer stored
// with the same external id is skipped, with its data row, not an error.
func TestInsertSyncedSkipsRowsStoredMeanwhile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		mk := func(ext string) Resource {
			r := remoteRow(ext, ext, "v1")
			r.ID, r.CreatedAt, r.UpdatedAt, r.SyncedAt = ids.NewOrdered(), now, now, now
			return r
		}
		other := mk("i-2")
		if err := insertResources(ctx, st.DB, []Resource{other}); err != nil {
			t.Fatal(err)
		}
		var n int
		err := st.Bulk.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var err error
			n, err = insertSynced(ctx, tx, []Resource{mk("i-1"), mk("i-2"), mk("i-3")})
			return err
		})
		if err != nil || n != 2 {
			t.Fatalf("inserted %d (%v), want 2", n, err)
		}
		var data []string
		if err := st.DB.NewSelect().Table("resource_data").Column("id").Scan(ctx, &data); err != nil || len(data) != 3 {
			t.Fatalf("%d data rows (%v), want 3", len(data), err)
		}
		s := New(st.DB, nil, nil, Config{})
		got, err := s.GetResource(ctx, SystemScope, KindServer, other.ID)
		if err != nil || got.ID != other.ID {
			t.Fatalf("the row stored first: %v", err)
		}
	})
}

// TestInsertSyncedRoundTrip: every column a sync inserts reads back as
// written on both stores (PostgreSQL sends them as array parameters),
// including NULL and non-NULL times, quotes and non-ASCII text.
func TestInsertSyncedRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		created := now.Add(-48 * time.Hour)
		full := Resource{ID: ids.NewOrdered(), Kind: KindDisk, CloudaccountID: "a1", CloudproviderID: "p1", CloudregionID: "r1",
			ZoneID: "z1", ExternalID: "d-1", GlobalID: "g/d-1", Name: `数据盘 "it's"`, Status: "running", RawStatus: "In_use",
			DomainID: "d1", ProjectID: "p1", VPCExternalID: "vpc-1", ParentExternalID: "i-1", InstanceType: "cloud_essd",
			CPU: 4, MemoryMB: 8192, SizeGB: 40, IPs: "10.0.0.1,1.2.3.4", ChargeType: "prepaid",
			Tags: []byte(`{"env":"prod","名":"值"}`), Data: []byte(`{"id":"d-1","n":[1,2]}`), Fingerprint: "fp1",
			CloudCreatedAt: &created, CreatedAt: now, UpdatedAt: now, SyncedAt: now}
		bare := Resource{ID: ids.NewOrdered(), Kind: KindDisk, CloudaccountID: "a1", CloudproviderID: "p1", CloudregionID: "r1",
			ExternalID: "d-2", Name: "d-2", CreatedAt: now, UpdatedAt: now, SyncedAt: now}
		err := st.Bulk.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			n, err := insertSynced(ctx, tx, []Resource{full, bare})
			if err == nil && n != 2 {
				err = fmt.Errorf("inserted %d, want 2", n)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		s := New(st.DB, nil, nil, Config{})
		for _, want := range []Resource{full, bare} {
			got, err := s.GetResource(ctx, SystemScope, KindDisk, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(want.Tags) == 0 {
				want.Tags = []byte("{}")
			}
			if len(want.Data) == 0 {
				want.Data = []byte("{}")
			}
			same := func(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }
			if !same(got.CloudCreatedAt, want.CloudCreatedAt) || !got.CreatedAt.Equal(want.CreatedAt) ||
				!got.UpdatedAt.Equal(want.UpdatedAt) || !got.SyncedAt.Equal(want.SyncedAt) || got.DeletedAt != nil {
				t.Fatalf("times: got %v %v %v %v %v", got.CloudCreatedAt, got.CreatedAt, got.UpdatedAt, got.SyncedAt, got.DeletedAt)
			}
			got.CloudCreatedAt, got.CreatedAt, got.UpdatedAt, got.SyncedAt = want.CloudCreatedAt, want.CreatedAt, want.UpdatedAt, want.SyncedAt
			if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", want) {
				t.Fatalf("read back\n%+v\nwant\n%+v", *got, want)
			}
		}
	})
}

// TestPGColumnsMatchModel: the PostgreSQL bulk writes name every column of
// the Resource model, so a column added to the model cannot be left out of
// them silently.
func TestPGColumnsMatchModel(t *testing.T) {
	db := bun.NewDB(nil, pgdialect.New())
	var model, bulk []string
	for _, f := range db.Table(reflect.TypeFor[Resource]()).Fields {
		model = append(model, f.Name)
	}
	for _, c := range resourceColumns {
		bulk = append(bulk, c.name)
	}
	sort.Strings(model)
	sort.Strings(bulk)
	if fmt.Sprint(model) != fmt.Sprint(bulk) {
		t.Fatalf("model columns %v\nbulk columns  %v", model, bulk)
	}
}

// TestNameFilterIgnoresCase: the name filter and the generic contains
// filter ignore case on both stores, including patterns without letters
// and LIKE's own wildcard characters.
func TestNameFilterIgnoresCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s := New(st.DB, nil, nil, Config{BulkDB: st.Bulk})
		var rows []Resource
		for i, name := range []string{"Web-Prod-01", "web-prod-02", "DB_main", "db-main", "cache-10.0.0.7"} {
			rows = append(rows, remoteRow(fmt.Sprint("i-", i), name, "v1"))
		}
		applyPages(t, s, []int{len(rows)}, rows)
		for pattern, want := range map[string]int{"WEB-prod": 2, "prod-0": 2, "db_": 1, "DB": 2, "10.0": 1, "%": 0, "": 5} {
			page, err := s.ListResources(ctx, SystemScope, KindServer, ResourceFilter{NameContains: pattern}, listing.Params{Limit: 10})
			if err != nil || page.Total != want || len(page.Items) != want {
				t.Fatalf("name contains %q: %d rows of %d (%v), want %d", pattern, len(page.Items), page.Total, err, want)
			}
			p := listing.Params{Limit: 10}
			if pattern != "" {
				p.Filters = []listing.Filter{{Field: "name", Op: "contains", Values: []string{pattern}}}
			}
			page, err = s.ListResources(ctx, SystemScope, KindServer, ResourceFilter{}, p)
			if err != nil || page.Total != want {
				t.Fatalf("filter name.contains(%q): %d (%v), want %d", pattern, page.Total, err, want)
			}
		}
		// Newest first, then by id descending: the order the list index holds.
		page, _ := s.ListResources(ctx, SystemScope, KindServer, ResourceFilter{}, listing.Params{Limit: 10})
		for i := 1; i < len(page.Items); i++ {
			a, b := page.Items[i-1], page.Items[i]
			if a.CreatedAt.Before(b.CreatedAt) || (a.CreatedAt.Equal(b.CreatedAt) && a.ID < b.ID) {
				t.Fatalf("rows %d and %d out of order", i-1, i)
			}
		}
	})
}
