package inventory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/skyfold/skyfold/internal/ids"
)

// writeBatch is how many rows one write statement carries, and txRows how
// many one transaction does. Transactions stay well under a second, so that
// on SQLite, which has one writer at a time, task heartbeats and the job
// queue get the database between them while a sync of 100,000 rows writes;
// and they are large enough that an index page is rewritten once per
// transaction rather than once per statement.
const (
	writeBatch = 500
	txRows     = 2000
)

// localRef is what the diff needs of a stored row.
type localRef struct {
	id, fp  string
	deleted bool
}

// kindSync diffs one kind of one region against the stored rows while the
// listing's pages arrive, and writes only the differences, in small batches:
// new rows inserted, changed rows updated, and at the end the rows the cloud
// no longer lists marked deleted. Pages may arrive concurrently; add is safe
// for that and writes from one goroutine at a time.
type kindSync struct {
	s                   *Service
	k                   Kind
	accountID, regionID string
	now                 time.Time
	res                 *KindResult

	mu      sync.Mutex
	local   map[string]localRef
	seen    map[string]struct{}
	inserts []Resource
	updates []Resource
	// total is the count the cloud reported (-1 until a page gives one);
	// drift is set when pages disagree on it.
	total int
	drift bool
}

func (s *Service) newKindSync(accountID, regionID string, k Kind, res *KindResult) *kindSync {
	return &kindSync{s: s, k: k, accountID: accountID, regionID: regionID, now: s.now(), res: res, total: -1}
}

// load reads the stored rows of the kind in the region: what add diffs
// against. It runs while the first pages are being fetched.
func (ks *kindSync) load(ctx context.Context) error {
	rows, err := ks.s.db.QueryContext(ctx, "SELECT id, external_id, fingerprint, deleted_at IS NOT NULL FROM "+ks.s.syncIndexed()+
		" WHERE cloudaccount_id = ? AND cloudregion_id = ? AND kind = ?", ks.accountID, ks.regionID, string(ks.k))
	if err != nil {
		return err
	}
	defer rows.Close()
	local := make(map[string]localRef)
	for rows.Next() {
		var ext string
		var l localRef
		if err := rows.Scan(&l.id, &ext, &l.fp, &l.deleted); err != nil {
			return err
		}
		local[ext] = l
	}
	if err := rows.Err(); err != nil {
		return err
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.local = local
	ks.seen = make(map[string]struct{}, len(local))
	return nil
}

// syncIndexed names the resources table for the sync's reads of a whole
// account or region. On SQLite it pins resources_sync_idx, which holds the
// rows of an account and region in id order with the columns the sync
// reads, so the read is one pass over an index without table lookups (the
// planner, left alone, takes the external-id index and looks up every row).
// On PostgreSQL the external-id index includes those columns and the
// planner finds the index-only scan itself.
func (s *Service) syncIndexed() string {
	if s.db.Dialect().Name() == dialect.SQLite {
		return "resources INDEXED BY resources_sync_idx"
	}
	return "resources"
}

// add takes one page of remote rows; total is the count the cloud reported
// with the page, or -1.
func (ks *kindSync) add(ctx context.Context, total int, rows []Resource) error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if total >= 0 {
		if ks.total >= 0 && ks.total != total {
			ks.drift = true
		}
		ks.total = total
	}
	for i := range rows {
		rr := &rows[i]
		if _, dup := ks.seen[rr.ExternalID]; dup {
			ks.drift = true // listed twice: the listing moved under us
			continue
		}
		ks.seen[rr.ExternalID] = struct{}{}
		rr.SyncedAt = ks.now
		rr.UpdatedAt = ks.now
		rr.Tags = orEmptyObject(rr.Tags) // an update writes tags as they are
		if l, ok := ks.local[rr.ExternalID]; ok {
			if l.fp == rr.Fingerprint && !l.deleted {
				ks.res.Unchanged++
				continue
			}
			rr.ID = l.id
			ks.updates = append(ks.updates, *rr)
			continue
		}
		rr.ID = ids.NewOrdered()
		rr.CreatedAt = ks.now
		ks.inserts = append(ks.inserts, *rr)
	}
	if len(ks.inserts) >= txRows {
		if err := ks.flushInserts(ctx); err != nil {
			return err
		}
	}
	if len(ks.updates) >= writeBatch {
		if err := ks.flushUpdates(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (ks *kindSync) flushInserts(ctx context.Context) error {
	for len(ks.inserts) > 0 {
		part := ks.inserts[:min(txRows, len(ks.inserts))]
		added := 0
		if err := ks.s.cfg.BulkDB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			added = 0
			for i := 0; i < len(part); i += writeBatch {
				n, err := insertSynced(ctx, tx, part[i:min(i+writeBatch, len(part))])
				if err != nil {
					return err
				}
				added += n
			}
			return nil
		}); err != nil {
			return fmt.Errorf("insert %s: %w", ks.k, err)
		}
		ks.res.Added += added
		ks.inserts = ks.inserts[len(part):]
	}
	ks.inserts = nil
	return nil
}

// syncedColumns are what a sync rewrites of a changed row.
var syncedColumns = []string{"zone_id", "global_id", "name", "status", "raw_status", "vpc_external_id",
	"parent_external_id", "instance_type", "cpu", "memory_mb", "size_gb", "ips", "charge_type", "tags",
	"fingerprint", "cloud_created_at", "updated_at", "synced_at", "deleted_at"}

func (ks *kindSync) flushUpdates(ctx context.Context) error {
	for len(ks.updates) > 0 {
		part := ks.updates[:min(writeBatch, len(ks.updates))]
		if err := ks.s.cfg.BulkDB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if tx.Dialect().Name() == dialect.PG {
				return updateSyncedPG(ctx, tx, part) // bulk_pg.go
			}
			for i := range part {
				u := &part[i]
				if _, err := tx.NewUpdate().Model(u).Column(syncedColumns...).WherePK().Exec(ctx); err != nil {
					return err
				}
				if err := saveData(ctx, tx, u.ID, u.Data); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("update %s: %w", ks.k, err)
		}
		ks.res.Updated += len(part)
		ks.updates = ks.updates[len(part):]
	}
	ks.updates = nil
	return nil
}

// finish writes what is buffered and marks deleted the stored rows the
// listing did not have. When the listing moved while it was paged (the
// cloud's total changed between pages, an object came twice, or the count
// seen differs from the total), a missing object may only have shifted to a
// page already read: nothing is marked deleted then, and the next sync
// decides.
func (ks *kindSync) finish(ctx context.Context) error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if err := ks.flushInserts(ctx); err != nil {
		return err
	}
	if err := ks.flushUpdates(ctx); err != nil {
		return err
	}
	if ks.total >= 0 && ks.total != len(ks.seen) {
		ks.drift = true
	}
	var gone []string
	for ext, l := range ks.local {
		if _, ok := ks.seen[ext]; !ok && !l.deleted {
			gone = append(gone, l.id)
		}
	}
	if len(gone) > 0 && ks.drift {
		ks.res.Note = fmt.Sprintf("the listing changed while it was read; %d missing objects are checked again at the next sync", len(gone))
		return nil
	}
	for i := 0; i < len(gone); i += writeBatch {
		part := gone[i:min(i+writeBatch, len(gone))]
		if _, err := ks.s.cfg.BulkDB.NewUpdate().Model((*Resource)(nil)).Set("deleted_at = ?", ks.now).Set("status = 'deleted'").
			Set("updated_at = ?", ks.now).Where("id IN (?)", bun.List(part)).Exec(ctx); err != nil {
			return fmt.Errorf("mark deleted %s: %w", ks.k, err)
		}
		ks.res.Removed += len(part)
	}
	return nil
}
