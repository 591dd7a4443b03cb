package inventory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// On PostgreSQL the sync writes batches as single statements whose columns
// travel as array parameters (unnest), rather than as VALUES lists of some
// 15,000 literals that the client must quote and the server parse; on a
// sync of 100,000 instances that parsing was most of the server's work.

// pgColumn is one resources column: its name, the array type it travels
// as, and how to read it from a row (one of text, num, at).
type pgColumn struct {
	name, array string
	text        func(*Resource) string
	num         func(*Resource) int
	at          func(*Resource) *time.Time
}

// values gathers the column of rows as one array parameter.
func (c pgColumn) values(rows []Resource) any {
	switch {
	case c.text != nil:
		out := make([]string, len(rows))
		for i := range rows {
			out[i] = c.text(&rows[i])
		}
		return out
	case c.num != nil:
		out := make([]int32, len(rows))
		for i := range rows {
			out[i] = int32(c.num(&rows[i]))
		}
		return out
	default:
		out := make([]*time.Time, len(rows))
		for i := range rows {
			out[i] = c.at(&rows[i])
		}
		return out
	}
}

func textCol(name string, f func(*Resource) string) pgColumn {
	return pgColumn{name: name, array: "text[]", text: f}
}
func intCol(name string, f func(*Resource) int) pgColumn {
	return pgColumn{name: name, array: "int[]", num: f}
}
func timeCol(name string, f func(*Resource) *time.Time) pgColumn {
	return pgColumn{name: name, array: "timestamptz[]", at: f}
}

// resourceColumns are every column of resources, id first.
var resourceColumns = []pgColumn{
	textCol("id", func(r *Resource) string { return r.ID }),
	textCol("kind", func(r *Resource) string { return string(r.Kind) }),
	textCol("cloudaccount_id", func(r *Resource) string { return r.CloudaccountID }),
	textCol("cloudprovider_id", func(r *Resource) string { return r.CloudproviderID }),
	textCol("cloudregion_id", func(r *Resource) string { return r.CloudregionID }),
	textCol("zone_id", func(r *Resource) string { return r.ZoneID }),
	textCol("external_id", func(r *Resource) string { return r.ExternalID }),
	textCol("global_id", func(r *Resource) string { return r.GlobalID }),
	textCol("name", func(r *Resource) string { return r.Name }),
	textCol("status", func(r *Resource) string { return r.Status }),
	textCol("raw_status", func(r *Resource) string { return r.RawStatus }),
	textCol("domain_id", func(r *Resource) string { return r.DomainID }),
	textCol("project_id", func(r *Resource) string { return r.ProjectID }),
	textCol("vpc_external_id", func(r *Resource) string { return r.VPCExternalID }),
	textCol("parent_external_id", func(r *Resource) string { return r.ParentExternalID }),
	textCol("instance_type", func(r *Resource) string { return r.InstanceType }),
	intCol("cpu", func(r *Resource) int { return r.CPU }),
	intCol("memory_mb", func(r *Resource) int { return r.MemoryMB }),
	intCol("size_gb", func(r *Resource) int { return r.SizeGB }),
	textCol("ips", func(r *Resource) string { return r.IPs }),
	textCol("charge_type", func(r *Resource) string { return r.ChargeType }),
	textCol("tags", func(r *Resource) string { return string(r.Tags) }),
	textCol("fingerprint", func(r *Resource) string { return r.Fingerprint }),
	textCol("busy_task_id", func(r *Resource) string { return r.BusyTaskID }),
	timeCol("cloud_created_at", func(r *Resource) *time.Time { return r.CloudCreatedAt }),
	timeCol("created_at", func(r *Resource) *time.Time { return &r.CreatedAt }),
	timeCol("updated_at", func(r *Resource) *time.Time { return &r.UpdatedAt }),
	timeCol("synced_at", func(r *Resource) *time.Time { return &r.SyncedAt }),
	timeCol("deleted_at", func(r *Resource) *time.Time { return r.DeletedAt }),
}

// pickColumns returns id and the named columns, in that order.
func pickColumns(names []string) []pgColumn {
	out := []pgColumn{resourceColumns[0]}
	for _, n := range names {
		found := false
		for _, c := range resourceColumns {
			if c.name == n {
				out, found = append(out, c), true
				break
			}
		}
		if !found {
			panic("inventory: no resources column " + n)
		}
	}
	return out
}

// unnestOf is "unnest($1::text[], …)" over cols, and their names.
func unnestOf(cols []pgColumn) (unnest string, names []string) {
	params := make([]string, len(cols))
	names = make([]string, len(cols))
	for i, c := range cols {
		params[i] = fmt.Sprintf("$%d::%s", i+1, c.array)
		names[i] = c.name
	}
	return "unnest(" + strings.Join(params, ", ") + ")", names
}

func columnArgs(cols []pgColumn, rows []Resource) []any {
	args := make([]any, len(cols))
	for i, c := range cols {
		args[i] = c.values(rows)
	}
	return args
}

const (
	insertDataSQL = "INSERT INTO resource_data (id, data) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING"
	upsertDataSQL = "INSERT INTO resource_data (id, data) SELECT * FROM unnest($1::text[], $2::text[]) " +
		"ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data"
)

var insertResourcesSQL = func() string {
	unnest, names := unnestOf(resourceColumns)
	return "INSERT INTO resources (" + strings.Join(names, ", ") + ") SELECT * FROM " + unnest +
		" ON CONFLICT DO NOTHING RETURNING id"
}()

// updateColumns are id and what a sync rewrites of a changed row
// (syncedColumns); updateResourcesSQL sets them for rows given by id.
var updateColumns = pickColumns(syncedColumns)

var updateResourcesSQL = func() string {
	unnest, names := unnestOf(updateColumns)
	sets := make([]string, 0, len(names)-1)
	for _, n := range names[1:] {
		sets = append(sets, n+" = u."+n)
	}
	return "UPDATE resources AS r SET " + strings.Join(sets, ", ") + " FROM " + unnest +
		" AS u(" + strings.Join(names, ", ") + ") WHERE r.id = u.id"
}()

// dataArgs are the id and data arrays of rows (keep, when given, picks
// which), with "{}" for a row without data.
func dataArgs(rows []Resource, keep map[string]bool) (ids, data []string) {
	for i := range rows {
		if keep != nil && !keep[rows[i].ID] {
			continue
		}
		ids = append(ids, rows[i].ID)
		data = append(data, string(orEmptyObject(rows[i].Data)))
	}
	return ids, data
}

// insertSyncedPG is insertSynced on PostgreSQL. RETURNING names the rows
// stored, so the data rows of rows another writer stored meanwhile are
// skipped without a second query. tx.Tx runs the statements with the
// driver's own parameters, not bun's literal interpolation.
func insertSyncedPG(ctx context.Context, tx bun.Tx, rows []Resource) (int, error) {
	res, err := tx.Tx.QueryContext(ctx, insertResourcesSQL, columnArgs(resourceColumns, rows)...)
	if err != nil {
		return 0, err
	}
	stored := make(map[string]bool, len(rows))
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
	ids, data := dataArgs(rows, stored)
	if _, err := tx.Tx.ExecContext(ctx, insertDataSQL, ids, data); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// updateSyncedPG writes what a sync rewrites of rows, and their data, by
// id, in two statements.
func updateSyncedPG(ctx context.Context, tx bun.Tx, rows []Resource) error {
	if _, err := tx.Tx.ExecContext(ctx, updateResourcesSQL, columnArgs(updateColumns, rows)...); err != nil {
		return err
	}
	ids, data := dataArgs(rows, nil)
	_, err := tx.Tx.ExecContext(ctx, upsertDataSQL, ids, data)
	return err
}
