package inventory

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"
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
			d := part[j].Data
			if len(d) == 0 {
				d = json.RawMessage("{}")
			}
			data[j] = resourceData{ID: part[j].ID, Data: d}
		}
		if _, err := db.NewInsert().Model(&data).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// saveData replaces the data row of one resource.
func saveData(ctx context.Context, db bun.IDB, id string, data json.RawMessage) error {
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	_, err := db.NewInsert().Model(&resourceData{ID: id, Data: data}).
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
