package cluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/store"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

// TestMembersMigration runs the migration that made cluster instances
// inventory rows on data the old schema held: one instance a sync had
// already recorded, one it had not.
func TestMembersMigration(t *testing.T) {
	for _, kind := range storetest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			st, err := store.Open(ctx, storetest.NewDSN(t, kind))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := st.MigrateTo(ctx, 42); err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := st.DB.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec(`INSERT INTO cloudaccounts (id, name, provider, brand, account, status, health_status, sync_status, domain_id, project_id, created_at, updated_at)
				VALUES ('acc1', 'prod', 'Aliyun', 'Aliyun', 'LTAI', 'connected', 'normal', 'idle', 'd1', 'p1', ?, ?)`, now, now)
			exec(`INSERT INTO cloudproviders (id, cloudaccount_id, name, account, provider, status, health_status, created_at, updated_at)
				VALUES ('prov1', 'acc1', 'prod', 'LTAI', 'Aliyun', 'connected', 'normal', ?, ?)`, now, now)
			exec(`INSERT INTO cloudregions (id, provider, external_id, region_id, name, created_at, updated_at)
				VALUES ('reg1', 'Aliyun', 'Aliyun/cn-hangzhou', 'cn-hangzhou', 'cn-hangzhou', ?, ?)`, now, now)
			// i-synced is in the inventory already; i-new only in the cluster.
			exec(`INSERT INTO resources (id, kind, cloudaccount_id, cloudprovider_id, cloudregion_id, external_id, name, status, instance_type, ips, fingerprint, created_at, updated_at, synced_at)
				VALUES ('res-synced', 'server', 'acc1', 'prov1', 'reg1', 'i-synced', 'web-1', 'running', 'ecs.g6.large', '10.0.0.4', 'fp', ?, ?, ?)`, now, now, now)
			exec(`INSERT INTO resource_data (id, data) VALUES ('res-synced', '{"id":"i-synced"}')`)
			for _, in := range []struct{ id, instance, status, inner, outer string }{
				{"ci-1", "i-synced", "running", "10.0.0.4", ""},
				{"ci-2", "i-new", "running", "10.0.0.5", "47.1.1.1"},
				{"ci-3", "i-gone", "deleted", "10.0.0.6", ""},
			} {
				exec(`INSERT INTO cluster_instances (id, cluster_id, cluster_name, cloudaccount_id, account_key, provider, region_id, zone_id, instance_id,
					instance_type, image_id, charge_type, status, ip_inner, ip_outer, network, expand_task_id, batch_seq, domain_id, project_id, created_at, running_at, deleted_at, updated_at)
					VALUES (?, 'cl1', 'web', 'acc1', 'LTAI', 'Aliyun', 'cn-hangzhou', 'cn-hangzhou-h', ?, 'ecs.g6.large', 'img-1', 'PostPaid', ?, ?, ?,
					'{"vpc":"vpc-1","subnet_id":"vsw-1","security_group":"sg-1"}', 'task-1', 1, 'd1', 'p1', ?, ?, ?, ?)`,
					in.id, in.instance, in.status, in.inner, in.outer, now, now, map[bool]any{true: now, false: nil}[in.status == "deleted"], now)
			}
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			type member struct {
				ID         string `bun:"id"`
				ResourceID string `bun:"resource_id"`
				Status     string `bun:"status"`
				Task       string `bun:"expand_task_id"`
			}
			var ms []member
			if err := st.DB.NewSelect().Table("cluster_members").Column("id", "resource_id", "status", "expand_task_id").
				Order("id").Scan(ctx, &ms); err != nil {
				t.Fatal(err)
			}
			if len(ms) != 3 || ms[0].ResourceID != "res-synced" || ms[1].ResourceID != "ci-2" || ms[2].Status != "deleted" || ms[1].Task != "task-1" {
				t.Fatalf("members after the migration: %+v", ms)
			}
			var rows []struct {
				ExternalID   string     `bun:"external_id"`
				IPs          string     `bun:"ips"`
				InstanceType string     `bun:"instance_type"`
				Project      string     `bun:"project_id"`
				Provider     string     `bun:"cloudprovider_id"`
				Deleted      *time.Time `bun:"deleted_at"`
			}
			if err := st.DB.NewSelect().Table("resources").Column("external_id", "ips", "instance_type", "project_id", "cloudprovider_id", "deleted_at").
				Where("kind = 'server'").Order("external_id").Scan(ctx, &rows); err != nil {
				t.Fatal(err)
			}
			if len(rows) != 3 {
				t.Fatalf("resources after the migration: %+v", rows)
			}
			gone, fresh, synced := rows[0], rows[1], rows[2]
			if fresh.ExternalID != "i-new" || fresh.IPs != "10.0.0.5,47.1.1.1" || fresh.InstanceType != "ecs.g6.large" ||
				fresh.Project != "p1" || fresh.Provider != "prov1" || fresh.Deleted != nil {
				t.Errorf("the instance no sync had seen: %+v", fresh)
			}
			if gone.ExternalID != "i-gone" || gone.Deleted == nil {
				t.Errorf("a deleted instance must be a deleted row: %+v", gone)
			}
			if synced.ExternalID != "i-synced" || synced.IPs != "10.0.0.4" {
				t.Errorf("the synced row changed: %+v", synced)
			}
			var n int
			if err := st.DB.NewSelect().Table("resource_data").ColumnExpr("COUNT(*)").Scan(ctx, &n); err != nil || n != 3 {
				t.Errorf("resource_data rows: %d, %v", n, err)
			}
		})
	}
}
