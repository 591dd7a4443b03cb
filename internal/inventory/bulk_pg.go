package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// resourceColumns are the columns insertSyncedPG writes, in order, with the
// PostgreSQL array type each travels as.
var resourceColumns = [...]struct{ name, array string }{
	{"id", "text[]"}, {"kind", "text[]"}, {"cloudaccount_id", "text[]"}, {"cloudprovider_id", "text[]"},
	{"cloudregion_id", "text[]"}, {"zone_id", "text[]"}, {"external_id", "text[]"}, {"global_id", "text[]"},
	{"name", "text[]"}, {"status", "text[]"}, {"raw_status", "text[]"}, {"domain_id", "text[]"},
	{"project_id", "text[]"}, {"vpc_external_id", "text[]"}, {"parent_external_id", "text[]"},
	{"instance_type", "text[]"}, {"cpu", "int[]"}, {"memory_mb", "int[]"}, {"size_gb", "int[]"},
	{"ips", "text[]"}, {"charge_type", "text[]"}, {"tags", "text[]"}, {"fingerprint", "text[]"},
	{"busy_task_id", "text[]"}, {"cloud_created_at", "timestamptz[]"}, {"created_at", "timestamptz[]"},
	{"updated_at", "timestamptz[]"}, {"synced_at", "timestamptz[]"}, {"deleted_at", "timestamptz[]"},
}

// insertResourcesSQL and insertDataSQL insert rows given column-wise as
// arrays; a row whose key is already stored is skipped.
var insertResourcesSQL, insertDataSQL = func() (string, string) {
	names := make([]string, len(resourceColumns))
	params := make([]string, len(resourceColumns))
	for i, c := range resourceColumns {
		names[i] = c.name
		params[i] = fmt.Sprintf("$%d::%s", i+1, c.array)
	}
	return "INSERT INTO resources (" + strings.Join(names, ", ") + ") SELECT * FROM unnest(" +
			strings.Join(params, ", ") + ") ON CONFLICT DO NOTHING RETURNING id",
		"INSERT INTO resource_data (id, data) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING"
}()

// insertSyncedPG is insertSynced on PostgreSQL. A batch is one statement
// whose columns travel as 29 array parameters, rather than a VALUES list of
// some 15,000 literals that the client must quote and the server parse;
// on a sync of 100,000 instances that parsing was most of the server's work.
// RETURNING names the rows stored, so the data rows of rows another writer
// stored meanwhile are skipped without a second query.
func insertSyncedPG(ctx context.Context, tx bun.Tx, rows []Resource) (int, error) {
	n := len(rows)
	text := func(f func(r *Resource) string) []string {
		out := make([]string, n)
		for i := range rows {
			out[i] = f(&rows[i])
		}
		return out
	}
	ints := func(f func(r *Resource) int) []int32 {
		out := make([]int32, n)
		for i := range rows {
			out[i] = int32(f(&rows[i]))
		}
		return out
	}
	times := func(f func(r *Resource) *time.Time) []*time.Time {
		out := make([]*time.Time, n)
		for i := range rows {
			out[i] = f(&rows[i])
		}
		return out
	}
	args := []any{
		text(func(r *Resource) string { return r.ID }),
		text(func(r *Resource) string { return string(r.Kind) }),
		text(func(r *Resource) string { return r.CloudaccountID }),
		text(func(r *Resource) string { return r.CloudproviderID }),
		text(func(r *Resource) string { return r.CloudregionID }),
		text(func(r *Resource) string { return r.ZoneID }),
		text(func(r *Resource) string { return r.ExternalID }),
		text(func(r *Resource) string { return r.GlobalID }),
		text(func(r *Resource) string { return r.Name }),
		text(func(r *Resource) string { return r.Status }),
		text(func(r *Resource) string { return r.RawStatus }),
		text(func(r *Resource) string { return r.DomainID }),
		text(func(r *Resource) string { return r.ProjectID }),
		text(func(r *Resource) string { return r.VPCExternalID }),
		text(func(r *Resource) string { return r.ParentExternalID }),
		text(func(r *Resource) string { return r.InstanceType }),
		ints(func(r *Resource) int { return r.CPU }),
		ints(func(r *Resource) int { return r.MemoryMB }),
		ints(func(r *Resource) int { return r.SizeGB }),
		text(func(r *Resource) string { return r.IPs }),
		text(func(r *Resource) string { return r.ChargeType }),
		text(func(r *Resource) string { return string(r.Tags) }),
		text(func(r *Resource) string { return r.Fingerprint }),
		text(func(r *Resource) string { return r.BusyTaskID }),
		times(func(r *Resource) *time.Time { return r.CloudCreatedAt }),
		times(func(r *Resource) *time.Time { return &r.CreatedAt }),
		times(func(r *Resource) *time.Time { return &r.UpdatedAt }),
		times(func(r *Resource) *time.Time { return &r.SyncedAt }),
		times(func(r *Resource) *time.Time { return r.DeletedAt }),
	}
	// tx.Tx: the driver's own parameters, not bun's literal interpolation.
	res, err := tx.Tx.QueryContext(ctx, insertResourcesSQL, args...)
	if err != nil {
		return 0, err
	}
	stored := make(map[string]bool, n)
	for res.Next() {
		var id string
		if err := res.Scan(&id); err != nil {
			res.Close()
			return 0, err
		}
		stored[id] = true
	}
	res.Close()
	if err := res.Err(); err != nil {
		return 0, err
	}
	if len(stored) == 0 {
		return 0, nil
	}
	ids := make([]string, 0, len(stored))
	data := make([]string, 0, len(stored))
	for i := range rows {
		if !stored[rows[i].ID] {
			continue
		}
		d := rows[i].Data
		if len(d) == 0 {
			d = json.RawMessage("{}")
		}
		ids = append(ids, rows[i].ID)
		data = append(data, string(d))
	}
	if _, err := tx.Tx.ExecContext(ctx, insertDataSQL, ids, data); err != nil {
		return 0, err
	}
	return len(ids), nil
}
