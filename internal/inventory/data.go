package inventory

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// insertResources writes resource rows and their data rows, in chunks.
func insertResources(ctx context.Context, db bun.IDB, rows []Resource) error {
	const chunk = 500
	for i := 0; i < len(rows); i += chunk {
		part := rows[i:min(i+chunk, len(rows))]
		if _, err := db.NewInsert().Model(&part).Exec(ctx); err != nil {
			return err
		}
		data := make([]resourceData, len(part))
		for j := range part {
			data[j] = resourceData{ID: part[j].ID, Data: orEmptyObject(part[j].Data)}
		}
		if _, err := db.NewInsert().Model(&data).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// orEmptyObject is b, or {} when b is empty: what a resource's tags and
// data columns hold when a cloud sent nothing.
func orEmptyObject(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("{}")
	}
	return b
}

// saveData replaces the data row of one resource.
func saveData(ctx context.Context, db bun.IDB, id string, data json.RawMessage) error {
	_, err := db.NewInsert().Model(&resourceData{ID: id, Data: orEmptyObject(data)}).
		On("CONFLICT (id) DO UPDATE").Set("data = EXCLUDED.data").Exec(ctx)
	return err
}

// LoadData fills Data of the given resources with one query.
func (s *Service) LoadData(ctx context.Context, rows []Resource) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	var data []resourceData
	if err := s.db.NewSelect().Model(&data).Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return fmt.Errorf("load resource data: %w", err)
	}
	byID := make(map[string]json.RawMessage, len(data))
	for _, d := range data {
		byID[d.ID] = d.Data
	}
	for i := range rows {
		rows[i].Data = byID[rows[i].ID]
	}
	return nil
}

// insertSynced writes new rows found by a sync, with their data rows, and
// returns how many it wrote. A row whose external id another writer stored
// meanwhile (an instance recorded by a cluster expand, say) is skipped, not
// an error: the next sync compares it like any other. Inserts that cannot
// fail on a constraint, with the data rows' key checked at commit, are what
// let SQLite write a batch without a statement journal.
func insertSynced(ctx context.Context, tx bun.Tx, rows []Resource) (int, error) {
	for i := range rows {
		// NOT NULL: SQLite's OR IGNORE would drop a row without tags, not fail.
		rows[i].Tags = orEmptyObject(rows[i].Tags)
	}
	if tx.Dialect().Name() == dialect.PG {
		return insertSyncedPG(ctx, tx, rows) // bulk_pg.go
	}
	res, err := insertIgnore(ctx, tx, tx.NewInsert().Model(&rows).Returning("NULL"))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	keep := rows
	if int(n) < len(rows) {
		ids := make([]string, len(rows))
		for i := range rows {
			ids[i] = rows[i].ID
		}
		var stored []string
		if err := tx.NewSelect().Model((*Resource)(nil)).Column("id").Where("id IN (?)", bun.List(ids)).
			Scan(ctx, &stored); err != nil {
			return 0, err
		}
		ok := make(map[string]bool, len(stored))
		for _, id := range stored {
			ok[id] = true
		}
		keep = make([]Resource, 0, len(stored))
		for _, r := range rows {
			if ok[r.ID] {
				keep = append(keep, r)
			}
		}
	}
	if len(keep) == 0 {
		return 0, nil
	}
	data := make([]resourceData, len(keep))
	for i := range keep {
		data[i] = resourceData{ID: keep[i].ID, Data: orEmptyObject(keep[i].Data)}
	}
	if _, err := insertIgnore(ctx, tx, tx.NewInsert().Model(&data).Returning("NULL")); err != nil {
		return 0, err
	}
	return len(keep), nil
}

// insertIgnore runs an insert that skips rows which break a constraint:
// ON CONFLICT DO NOTHING on PostgreSQL, INSERT OR IGNORE on SQLite. Only the
// latter (which also covers NOT NULL) tells SQLite that the statement can
// never abort half-way, so it needs no statement journal.
func insertIgnore(ctx context.Context, tx bun.Tx, q *bun.InsertQuery) (sql.Result, error) {
	if tx.Dialect().Name() != dialect.SQLite {
		return q.Ignore().Exec(ctx)
	}
	query, ok := strings.CutPrefix(q.String(), "INSERT INTO ")
	if !ok {
		return nil, fmt.Errorf("unexpected insert %.40q", query)
	}
	return tx.ExecContext(ctx, "INSERT OR IGNORE INTO "+query)
}

// bulkWriteRows is how many rows a sync must write before it refreshes the
// planner's statistics (AfterBulkWrite).
const bulkWriteRows = 5000

// AfterBulkWrite refreshes the query planner's statistics of the resource
// tables, after a sync wrote many rows: without them the planners misjudge
// the list indexes of a table that grew from nothing to 100,000 rows. On
// PostgreSQL VACUUM also marks the pages all-visible, so that counts are
// index-only scans. On SQLite a checkpoint then copies the written pages from
// the write-ahead log into the database file, where reads find them through
// the memory map instead of one read call a page. Both are bounded: ANALYZE
// on SQLite samples at most a thousand rows an index, and the checkpoint
// does not wait for readers.
func (s *Service) AfterBulkWrite(ctx context.Context) error {
	if s.db.Dialect().Name() == dialect.PG {
		_, err := s.db.ExecContext(ctx, "VACUUM (ANALYZE) resources, resource_data")
		return err
	}
	conn, err := s.db.Conn(ctx) // analysis_limit is a setting of one connection
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA analysis_limit = 1000"); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "ANALYZE resources"); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	return err
}
