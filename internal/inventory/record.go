package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/ids"
)

// Record writes objects Skyfold has just created or looked at (instances,
// VPCs, subnets, security groups) into the inventory of an account's
// region, so that every face sees them before the next sync. It converts
// and fingerprints them exactly as the sync does and upserts by (account,
// kind, region, external id): a later sync finds the rows as its own and,
// if the cloud still describes the objects the same way, leaves them
// unchanged. It returns the resource id of each object by its external id.
func (s *Service) Record(ctx context.Context, accountID, region string, objs ...any) (map[string]string, error) {
	out := make(map[string]string, len(objs))
	if len(objs) == 0 {
		return out, nil
	}
	a, err := s.Get(ctx, accountID)
	if err != nil {
		return nil, err
	}
	providerID, regionID, err := s.recordTarget(ctx, a, region)
	if err != nil {
		return nil, fmt.Errorf("record in %s: %w", region, err)
	}
	rows := make([]Resource, len(objs))
	for i, o := range objs {
		rows[i] = toResource(o, a, providerID, regionID)
		if rows[i].Kind == "" || rows[i].ExternalID == "" {
			return nil, fmt.Errorf("record %T: not an object the inventory keeps", o)
		}
	}
	now := s.now()
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// One look for the stored rows of a batch instead of one per
		// object: an expand records hundreds at a time, on every poll.
		stored, err := storedRows(ctx, tx, rows)
		if err != nil {
			return err
		}
		for _, rr := range rows {
			var known *storedRow
			if st, ok := stored[rowKey{rr.Kind, rr.ExternalID}]; ok {
				known = &st
			}
			id, err := recordOne(ctx, tx, rr, now, known)
			if err != nil {
				return fmt.Errorf("record %s %s: %w", rr.Kind, rr.ExternalID, err)
			}
			out[rr.ExternalID] = id
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type rowKey struct {
	kind       Kind
	externalID string
}

type storedRow struct {
	ID          string     `bun:"id"`
	Kind        Kind       `bun:"kind"`
	ExternalID  string     `bun:"external_id"`
	Fingerprint string     `bun:"fingerprint"`
	DeletedAt   *time.Time `bun:"deleted_at"`
}

// storedRows reads what is stored of rows (all of one account and region),
// by kind and external id.
func storedRows(ctx context.Context, tx bun.Tx, rows []Resource) (map[rowKey]storedRow, error) {
	out := make(map[rowKey]storedRow, len(rows))
	byKind := map[Kind][]string{}
	for _, r := range rows {
		byKind[r.Kind] = append(byKind[r.Kind], r.ExternalID)
	}
	for k, ext := range byKind {
		for i := 0; i < len(ext); i += writeBatch {
			var got []storedRow
			if err := tx.NewSelect().Model((*Resource)(nil)).Column("id", "kind", "external_id", "fingerprint", "deleted_at").
				Where("cloudaccount_id = ?", rows[0].CloudaccountID).Where("kind = ?", k).
				Where("cloudregion_id = ?", rows[0].CloudregionID).
				Where("external_id IN (?)", bun.List(ext[i:min(i+writeBatch, len(ext))])).Scan(ctx, &got); err != nil {
				return nil, err
			}
			for _, g := range got {
				out[rowKey{g.Kind, g.ExternalID}] = g
			}
		}
	}
	return out, nil
}

// recordOne inserts a row or, when it is stored and its fingerprint
// changed (or it was marked deleted), rewrites what a sync would.
func recordOne(ctx context.Context, tx bun.Tx, rr Resource, now time.Time, known *storedRow) (string, error) {
	rr.Tags = orEmptyObject(rr.Tags)
	rr.UpdatedAt, rr.SyncedAt = now, now
	var stored storedRow
	find := func() error {
		return tx.NewSelect().Model((*Resource)(nil)).Column("id", "kind", "external_id", "fingerprint", "deleted_at").
			Where("cloudaccount_id = ?", rr.CloudaccountID).Where("kind = ?", rr.Kind).
			Where("cloudregion_id = ?", rr.CloudregionID).Where("external_id = ?", rr.ExternalID).Scan(ctx, &stored)
	}
	var err error
	if known != nil {
		stored = *known
	} else {
		err = sql.ErrNoRows
	}
	if errors.Is(err, sql.ErrNoRows) {
		rr.ID, rr.CreatedAt = ids.NewOrdered(), now
		// A sync may insert the same object between the look and the
		// insert: the conflict leaves its row, which is then updated.
		res, ierr := tx.NewInsert().Model(&rr).On("CONFLICT (cloudaccount_id, kind, cloudregion_id, external_id) DO NOTHING").Exec(ctx)
		if ierr != nil {
			return "", ierr
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return rr.ID, saveData(ctx, tx, rr.ID, rr.Data)
		}
		err = find()
	}
	if err != nil {
		return "", err
	}
	if stored.Fingerprint == rr.Fingerprint && stored.DeletedAt == nil {
		return stored.ID, nil
	}
	rr.ID = stored.ID
	if _, err := tx.NewUpdate().Model(&rr).Column(syncedColumns...).WherePK().Exec(ctx); err != nil {
		return "", err
	}
	return rr.ID, saveData(ctx, tx, rr.ID, rr.Data)
}

// MarkDeleted records that objects of a kind are gone from an account's
// region (Skyfold deleted them, or the cloud no longer has them), as a sync
// that no longer lists them would.
func (s *Service) MarkDeleted(ctx context.Context, accountID, region string, k Kind, externalIDs []string) error {
	if len(externalIDs) == 0 {
		return nil
	}
	a, err := s.Get(ctx, accountID)
	if err != nil {
		return err
	}
	reg := new(Region)
	if err := s.db.NewSelect().Model(reg).Column("id").Where("external_id = ?", a.Provider+"/"+region).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil // never recorded there: nothing to mark
		}
		return err
	}
	now := s.now()
	for i := 0; i < len(externalIDs); i += writeBatch {
		part := externalIDs[i:min(i+writeBatch, len(externalIDs))]
		if _, err := s.db.NewUpdate().Model((*Resource)(nil)).Set("deleted_at = ?", now).Set("status = 'deleted'").
			Set("updated_at = ?", now).Where("cloudaccount_id = ?", a.ID).Where("kind = ?", k).
			Where("cloudregion_id = ?", reg.ID).Where("external_id IN (?)", bun.List(part)).
			Where("deleted_at IS NULL").Exec(ctx); err != nil {
			return fmt.Errorf("mark deleted %s: %w", k, err)
		}
	}
	return nil
}

// recordTarget finds the sub-account and region rows that recorded objects
// belong to, creating them as a sync would when the account was never
// synced there.
func (s *Service) recordTarget(ctx context.Context, a *Account, region string) (providerID, regionID string, err error) {
	var drv cloud.Provider
	open := func() (cloud.Provider, error) {
		if drv != nil {
			return drv, nil
		}
		d, err := s.Open(ctx, a)
		if err != nil {
			return nil, err
		}
		drv = d
		return drv, nil
	}
	defer func() {
		if drv != nil {
			_ = drv.Close()
		}
	}()
	var pids []string
	if err := s.db.NewSelect().Model((*CloudProvider)(nil)).Column("id").Where("cloudaccount_id = ?", a.ID).
		Order("created_at", "id").Limit(1).Scan(ctx, &pids); err != nil {
		return "", "", err
	}
	if len(pids) > 0 {
		providerID = pids[0]
	} else {
		d, err := open()
		if err != nil {
			return "", "", err
		}
		pv, err := s.ensureProvider(ctx, a, d)
		if err != nil {
			return "", "", err
		}
		providerID = pv.ID
	}
	reg := new(Region)
	err = s.db.NewSelect().Model(reg).Column("id").Where("external_id = ?", a.Provider+"/"+region).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		d, oerr := open()
		if oerr != nil {
			return "", "", oerr
		}
		reg, err = s.upsertRegion(ctx, a.Provider, cloud.Region{ID: region}, d.Capabilities())
	}
	if err != nil {
		return "", "", err
	}
	return providerID, reg.ID, nil
}
