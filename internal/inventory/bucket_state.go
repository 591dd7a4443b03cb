package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cloud"
)

// Bucket sources: created through Skyfold, or found on the cloud by a sync.
const (
	SourceLocal = "local"
	SourceCloud = "cloud"
)

// BucketState is what a bucket row alone does not say: how often it
// changed, where it came from, and its usage as the cloud last reported it.
type BucketState struct {
	UpdateVersion int
	Source        string
	// Stats is nil until the cloud has been asked for the bucket's usage.
	Stats *BucketUsage
}

// BucketUsage is a bucket's size and object count at ReadAt.
type BucketUsage struct {
	SizeBytes int64
	ObjectCnt int64
	ReadAt    time.Time
}

// bucketStatsRow is the last usage read of a bucket.
type bucketStatsRow struct {
	bun.BaseModel `bun:"table:bucket_stats"`

	ResourceID string    `bun:"resource_id,pk"`
	SizeBytes  int64     `bun:"size_bytes"`
	ObjectCnt  int64     `bun:"object_cnt"`
	ReadAt     time.Time `bun:"read_at"`
}

// BucketStates returns the state of each bucket of rows, by id.
func (s *Service) BucketStates(ctx context.Context, rows []Resource) (map[string]BucketState, error) {
	out := map[string]BucketState{}
	var idList []string
	for i := range rows {
		if rows[i].Kind == KindBucket {
			idList = append(idList, rows[i].ID)
		}
	}
	if len(idList) == 0 {
		return out, nil
	}
	var vs []struct {
		ID            string `bun:"id"`
		UpdateVersion int    `bun:"update_version"`
		Source        string `bun:"source"`
	}
	if err := s.db.NewSelect().Table("resources").Column("id", "update_version", "source").
		Where("id IN (?)", bun.List(idList)).Scan(ctx, &vs); err != nil {
		return nil, fmt.Errorf("bucket versions: %w", err)
	}
	for _, v := range vs {
		out[v.ID] = BucketState{UpdateVersion: v.UpdateVersion, Source: v.Source}
	}
	var st []bucketStatsRow
	if err := s.db.NewSelect().Model(&st).Where("resource_id IN (?)", bun.List(idList)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("bucket usage: %w", err)
	}
	for _, x := range st {
		b := out[x.ResourceID]
		b.Stats = &BucketUsage{SizeBytes: x.SizeBytes, ObjectCnt: x.ObjectCnt, ReadAt: x.ReadAt}
		out[x.ResourceID] = b
	}
	return out, nil
}

// FreshBucketState returns a bucket's state, first asking the cloud for its
// usage when the last answer is older than maxAge. A cloud that does not
// answer leaves the last usage in place: it is logged, not fatal, since the
// bucket itself is still there to show.
func (s *Service) FreshBucketState(ctx context.Context, r *Resource, maxAge time.Duration) (BucketState, error) {
	states, err := s.BucketStates(ctx, []Resource{*r})
	if err != nil {
		return BucketState{}, err
	}
	st := states[r.ID]
	switch {
	case r.BusyTaskID != "", r.DeletedAt != nil, st.Stats != nil && s.now().Sub(st.Stats.ReadAt) < maxAge:
		return st, nil
	}
	switch r.Status {
	case "start_create", "create_failed", "deleting", "deleted":
		return st, nil
	}
	if err := s.readBucketUsage(ctx, r); err != nil {
		s.cfg.Logger.Warn("read bucket usage", "bucket_id", r.ID, "err", oneLine(err.Error()))
		return st, nil
	}
	states, err = s.BucketStates(ctx, []Resource{*r})
	return states[r.ID], err
}

// readBucketUsage asks the cloud for a bucket's usage and records it.
func (s *Service) readBucketUsage(ctx context.Context, r *Resource) error {
	a, err := s.Get(ctx, r.CloudaccountID)
	if err != nil {
		return err
	}
	reg, err := s.Region(ctx, r.CloudregionID)
	if err != nil {
		return err
	}
	drv, err := s.Open(ctx, a)
	if err != nil {
		return err
	}
	defer drv.Close()
	rc, err := drv.Region(reg.RegionID)
	if err != nil {
		return err
	}
	return s.recordBucketUsage(ctx, rc, r.ID, r.ExternalID)
}

func (s *Service) recordBucketUsage(ctx context.Context, rc cloud.RegionClient, id, name string) error {
	u, err := rc.BucketStats(ctx, name)
	if err != nil {
		return err
	}
	row := &bucketStatsRow{ResourceID: id, SizeBytes: u.SizeBytes, ObjectCnt: u.ObjectCount, ReadAt: s.now()}
	_, err = s.db.NewInsert().Model(row).On("CONFLICT (resource_id) DO UPDATE").
		Set("size_bytes = EXCLUDED.size_bytes").Set("object_cnt = EXCLUDED.object_cnt").Set("read_at = EXCLUDED.read_at").Exec(ctx)
	return err
}

// recordCreatedBucket keeps what the cloud lists of a bucket just created
// (its endpoint above all) with the description it was created with, under
// the fingerprint a sync computes, so that the next sync finds it unchanged.
func (s *Service) recordCreatedBucket(ctx context.Context, rc cloud.RegionClient, res *Resource) error {
	bs, err := rc.ListBuckets(ctx)
	if err != nil {
		return err
	}
	for _, b := range bs {
		if b.ID != res.ExternalID && b.Name != res.Name {
			continue
		}
		a, err := s.Get(ctx, res.CloudaccountID)
		if err != nil {
			return err
		}
		listed := toResource(b, a, res.CloudproviderID, res.CloudregionID)
		var data map[string]json.RawMessage
		if err := json.Unmarshal(listed.Data, &data); err != nil {
			return err
		}
		var created map[string]json.RawMessage
		rows := []Resource{*res}
		if err := s.LoadData(ctx, rows); err != nil {
			return err
		}
		if err := json.Unmarshal(orEmptyObject(rows[0].Data), &created); err != nil {
			return err
		}
		if d, ok := created["description"]; ok {
			data["description"] = d
		}
		merged, err := json.Marshal(data)
		if err != nil {
			return err
		}
		return s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.NewUpdate().Model((*Resource)(nil)).Set("external_id = ?", listed.ExternalID).
				Set("global_id = ?", listed.GlobalID).Set("fingerprint = ?", listed.Fingerprint).
				Where("id = ?", res.ID).Exec(ctx); err != nil {
				return err
			}
			_, err := tx.NewUpdate().Model((*resourceData)(nil)).Set("data = ?", string(merged)).Where("id = ?", res.ID).Exec(ctx)
			return err
		})
	}
	return errors.New("the cloud does not list the bucket it created")
}
