package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/ids"
	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
)

type serviceRow struct {
	bun.BaseModel `bun:"table:hashmap_services,alias:s"`

	ID        string    `bun:"id,pk"`
	Name      string    `bun:"name"`
	CreatedAt time.Time `bun:"created_at"`
}

type fieldRow struct {
	bun.BaseModel `bun:"table:hashmap_fields,alias:f"`

	ID        string    `bun:"id,pk"`
	ServiceID string    `bun:"service_id"`
	Name      string    `bun:"name"`
	CreatedAt time.Time `bun:"created_at"`
}

type groupRow struct {
	bun.BaseModel `bun:"table:hashmap_groups,alias:g"`

	ID        string    `bun:"id,pk"`
	Name      string    `bun:"name"`
	CreatedAt time.Time `bun:"created_at"`
}

type mappingRow struct {
	bun.BaseModel `bun:"table:hashmap_mappings,alias:m"`

	ID        string        `bun:"id,pk"`
	ServiceID string        `bun:"service_id"`
	FieldID   string        `bun:"field_id"`
	Value     string        `bun:"value"`
	Type      string        `bun:"type"`
	Cost      money.Decimal `bun:"cost"`
	GroupID   string        `bun:"group_id"`
	TenantID  string        `bun:"tenant_id"`
	StartAt   *time.Time    `bun:"start_at"`
	EndAt     *time.Time    `bun:"end_at"`
	CreatedAt time.Time     `bun:"created_at"`
}

type thresholdRow struct {
	bun.BaseModel `bun:"table:hashmap_thresholds,alias:t"`

	ID        string        `bun:"id,pk"`
	ServiceID string        `bun:"service_id"`
	FieldID   string        `bun:"field_id"`
	Level     money.Decimal `bun:"level"`
	Type      string        `bun:"type"`
	Cost      money.Decimal `bun:"cost"`
	GroupID   string        `bun:"group_id"`
	TenantID  string        `bun:"tenant_id"`
	StartAt   *time.Time    `bun:"start_at"`
	EndAt     *time.Time    `bun:"end_at"`
	CreatedAt time.Time     `bun:"created_at"`
}

func tptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func tval(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func (r *mappingRow) model() hashmap.Mapping {
	return hashmap.Mapping{ID: r.ID, ServiceID: r.ServiceID, FieldID: r.FieldID, Value: r.Value, Type: hashmap.Type(r.Type),
		Cost: r.Cost, GroupID: r.GroupID, TenantID: r.TenantID, Validity: hashmap.Validity{Start: tval(r.StartAt), End: tval(r.EndAt)}}
}

func mappingRowOf(m hashmap.Mapping, created time.Time) mappingRow {
	return mappingRow{ID: m.ID, ServiceID: m.ServiceID, FieldID: m.FieldID, Value: m.Value, Type: string(m.Type), Cost: m.Cost,
		GroupID: m.GroupID, TenantID: m.TenantID, StartAt: tptr(m.Start), EndAt: tptr(m.End), CreatedAt: created}
}

func (r *thresholdRow) model() hashmap.Threshold {
	return hashmap.Threshold{ID: r.ID, ServiceID: r.ServiceID, FieldID: r.FieldID, Level: r.Level, Type: hashmap.Type(r.Type),
		Cost: r.Cost, GroupID: r.GroupID, TenantID: r.TenantID, Validity: hashmap.Validity{Start: tval(r.StartAt), End: tval(r.EndAt)}}
}

func thresholdRowOf(t hashmap.Threshold, created time.Time) thresholdRow {
	return thresholdRow{ID: t.ID, ServiceID: t.ServiceID, FieldID: t.FieldID, Level: t.Level, Type: string(t.Type), Cost: t.Cost,
		GroupID: t.GroupID, TenantID: t.TenantID, StartAt: tptr(t.Start), EndAt: tptr(t.End), CreatedAt: created}
}

// HashmapRules loads the whole hashmap configuration, objects in creation order.
func (s *Store) HashmapRules(ctx context.Context) (hashmap.Rules, error) {
	return loadRules(ctx, s.db)
}

func loadRules(ctx context.Context, db bun.IDB) (hashmap.Rules, error) {
	var (
		r     hashmap.Rules
		svcs  []serviceRow
		flds  []fieldRow
		grps  []groupRow
		maps  []mappingRow
		thres []thresholdRow
	)
	for _, q := range []*bun.SelectQuery{
		db.NewSelect().Model(&svcs).Order("created_at", "id"),
		db.NewSelect().Model(&flds).Order("created_at", "id"),
		db.NewSelect().Model(&grps).Order("created_at", "id"),
		db.NewSelect().Model(&maps).Order("created_at", "id"),
		db.NewSelect().Model(&thres).Order("created_at", "id"),
	} {
		if err := q.Scan(ctx); err != nil {
			return r, fmt.Errorf("load hashmap rules: %w", err)
		}
	}
	for _, x := range svcs {
		r.Services = append(r.Services, hashmap.Service{ID: x.ID, Name: x.Name})
	}
	for _, x := range flds {
		r.Fields = append(r.Fields, hashmap.Field{ID: x.ID, ServiceID: x.ServiceID, Name: x.Name})
	}
	for _, x := range grps {
		r.Groups = append(r.Groups, hashmap.Group{ID: x.ID, Name: x.Name})
	}
	for i := range maps {
		r.Mappings = append(r.Mappings, maps[i].model())
	}
	for i := range thres {
		r.Thresholds = append(r.Thresholds, thres[i].model())
	}
	return r, nil
}

// Services lists the hashmap services.
func (s *Store) Services(ctx context.Context) ([]hashmap.Service, error) {
	var rows []serviceRow
	if err := s.db.NewSelect().Model(&rows).Order("created_at", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("hashmap services: %w", err)
	}
	out := make([]hashmap.Service, 0, len(rows))
	for _, x := range rows {
		out = append(out, hashmap.Service{ID: x.ID, Name: x.Name})
	}
	return out, nil
}

// Service returns one hashmap service.
func (s *Store) Service(ctx context.Context, id string) (hashmap.Service, error) {
	var x serviceRow
	if err := s.get(ctx, &x, id, "service"); err != nil {
		return hashmap.Service{}, err
	}
	return hashmap.Service{ID: x.ID, Name: x.Name}, nil
}

// get loads one row by id, answering CloudKitty's "No such <kind>: <id>".
func (s *Store) get(ctx context.Context, model any, id, kind string) error {
	err := s.db.NewSelect().Model(model).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound, "No such %s: %s", kind, id)
	}
	return err
}

// CreateService creates a hashmap service.
func (s *Store) CreateService(ctx context.Context, name string) (hashmap.Service, error) {
	svc := hashmap.Service{ID: ids.New(), Name: name}
	err := s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		rules, err := loadRules(ctx, tx)
		if err != nil {
			return err
		}
		if err := rules.CheckService(svc); err != nil {
			return err
		}
		_, err = tx.NewInsert().Model(&serviceRow{ID: svc.ID, Name: svc.Name, CreatedAt: s.now()}).Exec(ctx)
		return err
	})
	return svc, err
}

// DeleteService deletes a service with its fields and their mappings and thresholds.
func (s *Store) DeleteService(ctx context.Context, id string) error {
	return s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*serviceRow)(nil)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "No such service: %s", id)
		}
		fields := tx.NewSelect().Model((*fieldRow)(nil)).Column("id").Where("service_id = ?", id)
		for _, m := range []any{(*mappingRow)(nil), (*thresholdRow)(nil)} {
			if _, err := tx.NewDelete().Model(m).Where("service_id = ? OR field_id IN (?)", id, fields).Exec(ctx); err != nil {
				return err
			}
		}
		_, err = tx.NewDelete().Model((*fieldRow)(nil)).Where("service_id = ?", id).Exec(ctx)
		return err
	})
}

// Fields lists the fields, of one service when serviceID is set.
func (s *Store) Fields(ctx context.Context, serviceID string) ([]hashmap.Field, error) {
	var rows []fieldRow
	q := s.db.NewSelect().Model(&rows).Order("created_at", "id")
	if serviceID != "" {
		q = q.Where("service_id = ?", serviceID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("hashmap fields: %w", err)
	}
	out := make([]hashmap.Field, 0, len(rows))
	for _, x := range rows {
		out = append(out, hashmap.Field{ID: x.ID, ServiceID: x.ServiceID, Name: x.Name})
	}
	return out, nil
}

// Field returns one field.
func (s *Store) Field(ctx context.Context, id string) (hashmap.Field, error) {
	var x fieldRow
	if err := s.get(ctx, &x, id, "field"); err != nil {
		return hashmap.Field{}, err
	}
	return hashmap.Field{ID: x.ID, ServiceID: x.ServiceID, Name: x.Name}, nil
}

// CreateField creates a field of a service.
func (s *Store) CreateField(ctx context.Context, serviceID, name string) (hashmap.Field, error) {
	f := hashmap.Field{ID: ids.New(), ServiceID: serviceID, Name: name}
	err := s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		rules, err := loadRules(ctx, tx)
		if err != nil {
			return err
		}
		if err := rules.CheckField(f); err != nil {
			return err
		}
		_, err = tx.NewInsert().Model(&fieldRow{ID: f.ID, ServiceID: f.ServiceID, Name: f.Name, CreatedAt: s.now()}).Exec(ctx)
		return err
	})
	return f, err
}

// DeleteField deletes a field with its mappings and thresholds.
func (s *Store) DeleteField(ctx context.Context, id string) error {
	return s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*fieldRow)(nil)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "No such field: %s", id)
		}
		for _, m := range []any{(*mappingRow)(nil), (*thresholdRow)(nil)} {
			if _, err := tx.NewDelete().Model(m).Where("field_id = ?", id).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// Groups lists the groups.
func (s *Store) Groups(ctx context.Context) ([]hashmap.Group, error) {
	var rows []groupRow
	if err := s.db.NewSelect().Model(&rows).Order("created_at", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("hashmap groups: %w", err)
	}
	out := make([]hashmap.Group, 0, len(rows))
	for _, x := range rows {
		out = append(out, hashmap.Group{ID: x.ID, Name: x.Name})
	}
	return out, nil
}

// Group returns one group.
func (s *Store) Group(ctx context.Context, id string) (hashmap.Group, error) {
	var x groupRow
	if err := s.get(ctx, &x, id, "group"); err != nil {
		return hashmap.Group{}, err
	}
	return hashmap.Group{ID: x.ID, Name: x.Name}, nil
}

// CreateGroup creates a group.
func (s *Store) CreateGroup(ctx context.Context, name string) (hashmap.Group, error) {
	g := hashmap.Group{ID: ids.New(), Name: name}
	err := s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		rules, err := loadRules(ctx, tx)
		if err != nil {
			return err
		}
		if err := rules.CheckGroup(g); err != nil {
			return err
		}
		_, err = tx.NewInsert().Model(&groupRow{ID: g.ID, Name: g.Name, CreatedAt: s.now()}).Exec(ctx)
		return err
	})
	return g, err
}

// DeleteGroup deletes a group. With recursive its mappings and thresholds
// go too; otherwise they move to the default group.
func (s *Store) DeleteGroup(ctx context.Context, id string, recursive bool) error {
	return s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*groupRow)(nil)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "No such group: %s", id)
		}
		for _, m := range []any{(*mappingRow)(nil), (*thresholdRow)(nil)} {
			if recursive {
				_, err = tx.NewDelete().Model(m).Where("group_id = ?", id).Exec(ctx)
			} else {
				_, err = tx.NewUpdate().Model(m).Set("group_id = ''").Where("group_id = ?", id).Exec(ctx)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// RuleFilter selects mappings or thresholds, as CloudKitty's list
// parameters do.
type RuleFilter struct {
	ServiceID string
	FieldID   string
	GroupID   string
	// NoGroup selects the rules of the default group only.
	NoGroup bool
	// TenantID selects one tenant's rules; with FilterTenant an empty
	// TenantID selects the rules of no tenant.
	TenantID     string
	FilterTenant bool
}

func (f RuleFilter) apply(q *bun.SelectQuery) *bun.SelectQuery {
	if f.ServiceID != "" {
		q = q.Where("service_id = ?", f.ServiceID)
	}
	if f.FieldID != "" {
		q = q.Where("field_id = ?", f.FieldID)
	}
	if f.GroupID != "" {
		q = q.Where("group_id = ?", f.GroupID)
	}
	if f.NoGroup {
		q = q.Where("group_id = ''")
	}
	if f.TenantID != "" || f.FilterTenant {
		q = q.Where("tenant_id = ?", f.TenantID)
	}
	return q.Order("created_at", "id")
}

// ruleTable is the one implementation of the mappings' and thresholds'
// storage: M is the domain rule, R its row. The two differ only in their
// key (a value, a level), which check and the row conversions handle.
type ruleTable[M, R any] struct {
	kind  string // "mapping" or "threshold", as CloudKitty names them in errors
	row   func(m M, created time.Time) R
	model func(r *R) M
	// head returns the rule's id, its type and its window.
	head    func(m *M) (id *string, typ *hashmap.Type, v hashmap.Validity)
	created func(r *R) time.Time
	check   func(rules *hashmap.Rules, m M) error
}

var (
	mappings = ruleTable[hashmap.Mapping, mappingRow]{kind: "mapping", row: mappingRowOf, model: (*mappingRow).model,
		head: func(m *hashmap.Mapping) (*string, *hashmap.Type, hashmap.Validity) {
			return &m.ID, &m.Type, m.Validity
		},
		created: func(r *mappingRow) time.Time { return r.CreatedAt },
		check:   (*hashmap.Rules).CheckMapping}
	thresholds = ruleTable[hashmap.Threshold, thresholdRow]{kind: "threshold", row: thresholdRowOf, model: (*thresholdRow).model,
		head: func(t *hashmap.Threshold) (*string, *hashmap.Type, hashmap.Validity) {
			return &t.ID, &t.Type, t.Validity
		},
		created: func(r *thresholdRow) time.Time { return r.CreatedAt },
		check:   (*hashmap.Rules).CheckThreshold}
)

// list returns the rules f selects.
func (t ruleTable[M, R]) list(ctx context.Context, s *Store, f RuleFilter) ([]M, error) {
	var rows []R
	if err := f.apply(s.db.NewSelect().Model(&rows)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("hashmap %ss: %w", t.kind, err)
	}
	out := make([]M, 0, len(rows))
	for i := range rows {
		out = append(out, t.model(&rows[i]))
	}
	return out, nil
}

// get returns one rule.
func (t ruleTable[M, R]) get(ctx context.Context, s *Store, id string) (M, error) {
	var x R
	if err := s.get(ctx, &x, id, t.kind); err != nil {
		var zero M
		return zero, err
	}
	return t.model(&x), nil
}

// create validates and inserts a new rule (an empty type is flat), refusing
// a window that starts in the past as CloudKitty does on create.
func (t ruleTable[M, R]) create(ctx context.Context, s *Store, m M) (M, error) {
	id, typ, v := t.head(&m)
	*id = ids.New()
	if *typ == "" {
		*typ = hashmap.DefaultType
	}
	if err := hashmap.CheckSchedule(v, s.now()); err != nil {
		var zero M
		return zero, err
	}
	err := s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		rules, err := loadRules(ctx, tx)
		if err != nil {
			return err
		}
		if err := t.check(&rules, m); err != nil {
			return err
		}
		row := t.row(m, s.now())
		_, err = tx.NewInsert().Model(&row).Exec(ctx)
		return err
	})
	return m, err
}

// update validates and replaces a rule, keeping its creation time (the
// order rules are listed and applied in).
func (t ruleTable[M, R]) update(ctx context.Context, s *Store, m M) (M, error) {
	id, typ, _ := t.head(&m)
	if *typ == "" {
		*typ = hashmap.DefaultType
	}
	err := s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		var cur R
		if err := tx.NewSelect().Model(&cur).Where("id = ?", *id).Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return errs.E(errs.NotFound, "No such %s: %s", t.kind, *id)
			}
			return err
		}
		rules, err := loadRules(ctx, tx)
		if err != nil {
			return err
		}
		if err := t.check(&rules, m); err != nil {
			return err
		}
		row := t.row(m, t.created(&cur))
		_, err = tx.NewUpdate().Model(&row).WherePK().Exec(ctx)
		return err
	})
	return m, err
}

// remove deletes a rule.
func (t ruleTable[M, R]) remove(ctx context.Context, s *Store, id string) error {
	return s.deleteRule(ctx, (*R)(nil), id, t.kind)
}

// deleteRule deletes the row of model with id, answering CloudKitty's
// "No such <kind>: <id>" when there is none.
func (s *Store) deleteRule(ctx context.Context, model any, id, kind string) error {
	return s.change(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model(model).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "No such %s: %s", kind, id)
		}
		return nil
	})
}

// Mappings lists the mappings f selects.
func (s *Store) Mappings(ctx context.Context, f RuleFilter) ([]hashmap.Mapping, error) {
	return mappings.list(ctx, s, f)
}

// Mapping returns one mapping.
func (s *Store) Mapping(ctx context.Context, id string) (hashmap.Mapping, error) {
	return mappings.get(ctx, s, id)
}

// CreateMapping validates and creates a mapping (an empty type is flat);
// CloudKitty refuses new rules starting in the past, and so does it.
func (s *Store) CreateMapping(ctx context.Context, m hashmap.Mapping) (hashmap.Mapping, error) {
	return mappings.create(ctx, s, m)
}

// UpdateMapping validates and replaces a mapping.
func (s *Store) UpdateMapping(ctx context.Context, m hashmap.Mapping) (hashmap.Mapping, error) {
	return mappings.update(ctx, s, m)
}

// DeleteMapping deletes a mapping.
func (s *Store) DeleteMapping(ctx context.Context, id string) error {
	return mappings.remove(ctx, s, id)
}

// Thresholds lists the thresholds f selects.
func (s *Store) Thresholds(ctx context.Context, f RuleFilter) ([]hashmap.Threshold, error) {
	return thresholds.list(ctx, s, f)
}

// Threshold returns one threshold.
func (s *Store) Threshold(ctx context.Context, id string) (hashmap.Threshold, error) {
	return thresholds.get(ctx, s, id)
}

// CreateThreshold validates and creates a threshold (an empty type is flat).
func (s *Store) CreateThreshold(ctx context.Context, t hashmap.Threshold) (hashmap.Threshold, error) {
	return thresholds.create(ctx, s, t)
}

// UpdateThreshold validates and replaces a threshold.
func (s *Store) UpdateThreshold(ctx context.Context, t hashmap.Threshold) (hashmap.Threshold, error) {
	return thresholds.update(ctx, s, t)
}

// DeleteThreshold deletes a threshold.
func (s *Store) DeleteThreshold(ctx context.Context, id string) error {
	return thresholds.remove(ctx, s, id)
}
