package inventory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/ids"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// BenchmarkResourceList measures GET /api/v2/servers?limit=20 as the domain
// runs it — a project's servers, a status filter, a name filter and the
// total — over 100,000 stored servers, without a sync in front. It reports
// the p50 and p99 of 200 calls and, on SQLite, prints the query plans.
func BenchmarkResourceList(b *testing.B) {
	const n = 100000
	for _, kind := range storetest.Kinds() {
		b.Run(fmt.Sprintf("%s/%d", kind, n), func(b *testing.B) {
			st := storetest.Open(b, kind)
			s := New(st.DB, nil, nil, Config{})
			ctx := context.Background()
			now := time.Now().UTC()
			rows := make([]Resource, 0, writeBatch)
			flush := func() {
				if err := st.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					_, err := insertSynced(ctx, tx, rows)
					return err
				}); err != nil {
					b.Fatal(err)
				}
				rows = rows[:0]
			}
			for i := range n {
				status := "running"
				if i%3 == 0 {
					status = "stopped"
				}
				rows = append(rows, Resource{ID: ids.NewOrdered(), Kind: KindServer, CloudaccountID: "a1", CloudproviderID: "p",
					CloudregionID: "r1", ExternalID: fmt.Sprintf("i-%08d", i), Name: fmt.Sprintf("vm-%06d", i*7919%n),
					Status: status, ProjectID: "p1", DomainID: "d1", Tags: []byte("{}"), Data: []byte("{}"),
					CreatedAt: now, UpdatedAt: now, SyncedAt: now})
				if len(rows) == writeBatch {
					flush()
				}
			}
			if err := s.AfterBulkWrite(ctx); err != nil {
				b.Fatal(err)
			}
			query := func(i int) (listing.Page[Resource], error) {
				p := listing.Params{Limit: 20, Filters: []listing.Filter{{Field: "status", Op: "equals", Values: []string{"running"}}}}
				return s.ListResources(ctx, Scope{ProjectIDs: []string{"p1"}}, KindServer, ResourceFilter{NameContains: fmt.Sprint(i % 10)}, p)
			}
			if kind == "sqlite" && testing.Verbose() {
				for _, sql := range []string{
					`SELECT r.id FROM resources r WHERE r.kind = 'server' AND (r.project_id IN ('p1')) AND r.deleted_at IS NULL AND r.status = 'running' AND r.name LIKE '%3%' ESCAPE '\' ORDER BY r.created_at DESC, r.id DESC LIMIT 20`,
					`SELECT count(*) FROM resources r WHERE r.kind = 'server' AND (r.project_id IN ('p1')) AND r.deleted_at IS NULL AND r.status = 'running' AND r.name LIKE '%3%' ESCAPE '\'`,
				} {
					var plan []map[string]any
					if err := st.DB.NewRaw("EXPLAIN QUERY PLAN "+sql).Scan(ctx, &plan); err != nil {
						b.Fatal(err)
					}
					for _, p := range plan {
						b.Logf("plan: %v", p["detail"])
					}
				}
			}
			var lat []time.Duration
			for i := range 200 {
				t0 := time.Now()
				page, err := query(i)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				if len(page.Items) != 20 || page.Total == 0 {
					b.Fatalf("got %d items of %d", len(page.Items), page.Total)
				}
				for _, r := range page.Items {
					if r.Status != "running" || !strings.Contains(r.Name, fmt.Sprint(i%10)) {
						b.Fatalf("row %s %s does not match the filter", r.Name, r.Status)
					}
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
