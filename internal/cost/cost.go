// Package cost owns Skyfold's normalised cost and usage records: every cost,
// whatever produced it (the rating processor pricing private-cloud usage, a
// cloud bill, a manual import), becomes one Record aligned with the FinOps
// FOCUS 1.x columns, in the cost_records table. FinOps features, reports and
// CloudKitty's dataframes read only these records.
//
// A record covers a charge period [ChargePeriodStart, ChargePeriodEnd) made
// of Periods equal, consecutive sub-periods in which the same resource was
// measured and priced identically; PeriodQuantity and PeriodCost hold one
// sub-period's values and the FOCUS totals (PricingQuantity, EffectiveCost,
// ...) the sum over all of them. A producer that rates hour by hour thus
// stores one row per resource and month rather than one per hour, and every
// sub-period can still be read back exactly (see Record.Period).
//
// Sums over a window count the sub-periods that lie wholly inside it, as
// CloudKitty counts the frames inside [begin, end): a record of one period
// counts when its whole charge period is inside the window.
package cost

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/ids"
	"github.com/skyfold/skyfold/internal/money"
)

// Charge categories (FOCUS ChargeCategory).
const (
	CategoryUsage    = "Usage"
	CategoryPurchase = "Purchase"
	CategoryTax      = "Tax"
	CategoryCredit   = "Credit"
	CategoryAdjust   = "Adjustment"
)

// Record is one normalised cost and usage row. Field comments give the
// FOCUS column each field carries.
type Record struct {
	bun.BaseModel `bun:"table:cost_records,alias:c"`

	// ID is the record's UUID.
	ID string `bun:"id,pk" json:"id"`
	// Source names the producer: "rating", "bill", "import".
	Source string `bun:"source" json:"source"`
	// RunKey identifies the series a producer extends record by record (for
	// the rating processor: scope, metric, resource and attributes); empty
	// when the producer never extends records.
	RunKey string `bun:"run_key" json:"-"`
	// ChargePeriodStart is FOCUS ChargePeriodStart (inclusive).
	ChargePeriodStart time.Time `bun:"charge_period_start" json:"ChargePeriodStart"`
	// ChargePeriodEnd is FOCUS ChargePeriodEnd (exclusive).
	ChargePeriodEnd time.Time `bun:"charge_period_end" json:"ChargePeriodEnd"`
	// Periods is the number of equal sub-periods the charge period holds (>= 1).
	Periods int `bun:"periods" json:"x_Periods"`
	// BillingPeriodStart is FOCUS BillingPeriodStart (a month start by default).
	BillingPeriodStart time.Time `bun:"billing_period_start" json:"BillingPeriodStart"`
	// BillingPeriodEnd is FOCUS BillingPeriodEnd.
	BillingPeriodEnd time.Time `bun:"billing_period_end" json:"BillingPeriodEnd"`
	// BillingAccountID is FOCUS BillingAccountId.
	BillingAccountID string `bun:"billing_account_id" json:"BillingAccountId"`
	// BillingAccountName is FOCUS BillingAccountName.
	BillingAccountName string `bun:"billing_account_name" json:"BillingAccountName"`
	// SubAccountID is FOCUS SubAccountId: the project (CloudKitty's tenant).
	SubAccountID string `bun:"sub_account_id" json:"SubAccountId"`
	// SubAccountName is FOCUS SubAccountName.
	SubAccountName string `bun:"sub_account_name" json:"SubAccountName"`
	// ProviderName is FOCUS ProviderName.
	ProviderName string `bun:"provider_name" json:"ProviderName"`
	// PublisherName is FOCUS PublisherName.
	PublisherName string `bun:"publisher_name" json:"PublisherName"`
	// InvoiceIssuerName is FOCUS InvoiceIssuerName.
	InvoiceIssuerName string `bun:"invoice_issuer_name" json:"InvoiceIssuerName"`
	// ServiceName is FOCUS ServiceName (for rated usage: the metric, e.g. "instance").
	ServiceName string `bun:"service_name" json:"ServiceName"`
	// ServiceCategory is FOCUS ServiceCategory (Compute, Storage, Networking, ...).
	ServiceCategory string `bun:"service_category" json:"ServiceCategory"`
	// ChargeCategory is FOCUS ChargeCategory (Usage, Purchase, Tax, Credit, Adjustment).
	ChargeCategory string `bun:"charge_category" json:"ChargeCategory"`
	// ChargeClass is FOCUS ChargeClass ("" or "Correction").
	ChargeClass string `bun:"charge_class" json:"ChargeClass"`
	// ChargeDescription is FOCUS ChargeDescription.
	ChargeDescription string `bun:"charge_description" json:"ChargeDescription"`
	// ResourceID is FOCUS ResourceId.
	ResourceID string `bun:"resource_id" json:"ResourceId"`
	// ResourceName is FOCUS ResourceName.
	ResourceName string `bun:"resource_name" json:"ResourceName"`
	// ResourceType is FOCUS ResourceType.
	ResourceType string `bun:"resource_type" json:"ResourceType"`
	// RegionID is FOCUS RegionId.
	RegionID string `bun:"region_id" json:"RegionId"`
	// RegionName is FOCUS RegionName.
	RegionName string `bun:"region_name" json:"RegionName"`
	// SkuID is FOCUS SkuId (for rated instances: the flavor).
	SkuID string `bun:"sku_id" json:"SkuId"`
	// PricingQuantity is FOCUS PricingQuantity (the total over all sub-periods).
	PricingQuantity money.Decimal `bun:"pricing_quantity" json:"PricingQuantity"`
	// PricingUnit is FOCUS PricingUnit.
	PricingUnit string `bun:"pricing_unit" json:"PricingUnit"`
	// ConsumedQuantity is FOCUS ConsumedQuantity.
	ConsumedQuantity money.Decimal `bun:"consumed_quantity" json:"ConsumedQuantity"`
	// ConsumedUnit is FOCUS ConsumedUnit.
	ConsumedUnit string `bun:"consumed_unit" json:"ConsumedUnit"`
	// ListUnitPrice is FOCUS ListUnitPrice (0 when unknown).
	ListUnitPrice money.Decimal `bun:"list_unit_price" json:"ListUnitPrice"`
	// ListCost is FOCUS ListCost.
	ListCost money.Decimal `bun:"list_cost" json:"ListCost"`
	// BilledCost is FOCUS BilledCost.
	BilledCost money.Decimal `bun:"billed_cost" json:"BilledCost"`
	// EffectiveCost is FOCUS EffectiveCost: what sums and reports add up.
	EffectiveCost money.Decimal `bun:"effective_cost" json:"EffectiveCost"`
	// ContractedCost is FOCUS ContractedCost.
	ContractedCost money.Decimal `bun:"contracted_cost" json:"ContractedCost"`
	// BillingCurrency is FOCUS BillingCurrency (ISO 4217).
	BillingCurrency string `bun:"billing_currency" json:"BillingCurrency"`
	// PeriodQuantity is the quantity of one sub-period.
	PeriodQuantity money.Decimal `bun:"period_quantity" json:"x_PeriodQuantity"`
	// PeriodCost is the effective cost of one sub-period.
	PeriodCost money.Decimal `bun:"period_cost" json:"x_PeriodCost"`
	// Tags is FOCUS Tags: the resource's tags.
	Tags map[string]string `bun:"tags,type:text" json:"Tags"`
	// Attributes are the producer's dimensions of the row (for rated usage:
	// CloudKitty's desc, the collector's groupby and metadata).
	Attributes map[string]string `bun:"attributes,type:text" json:"x_Attributes"`
	// CreatedAt is when the row was written.
	CreatedAt time.Time `bun:"created_at" json:"-"`
	// UpdatedAt is when the row was last extended.
	UpdatedAt time.Time `bun:"updated_at" json:"-"`
}

// PeriodLength is the length of one sub-period.
func (r *Record) PeriodLength() time.Duration {
	n := max(r.Periods, 1)
	return r.ChargePeriodEnd.Sub(r.ChargePeriodStart) / time.Duration(n)
}

// Period returns the bounds of the i-th sub-period (0-based).
func (r *Record) Period(i int) (begin, end time.Time) {
	l := r.PeriodLength()
	begin = r.ChargePeriodStart.Add(time.Duration(i) * l)
	return begin, begin.Add(l)
}

// Inside returns the range [first, last) of sub-periods that lie wholly
// inside [begin, end); first == last when none does. A zero bound is open.
func (r *Record) Inside(begin, end time.Time) (first, last int) {
	n := max(r.Periods, 1)
	l := r.PeriodLength()
	if l <= 0 {
		return 0, 0
	}
	first, last = 0, n
	if !begin.IsZero() && begin.After(r.ChargePeriodStart) {
		d := begin.Sub(r.ChargePeriodStart)
		first = int((d + l - 1) / l) // ceil
	}
	if !end.IsZero() && end.Before(r.ChargePeriodEnd) {
		d := end.Sub(r.ChargePeriodStart)
		if d < 0 {
			return 0, 0
		}
		last = int(d / l) // floor
	}
	if first > n {
		first = n
	}
	if last < first {
		last = first
	}
	return first, last
}

// costOf returns the effective cost of k of the record's sub-periods.
func (r *Record) costOf(k int) money.Decimal {
	if k == max(r.Periods, 1) {
		return r.EffectiveCost
	}
	return r.PeriodCost.Mul(money.NewFromInt(int64(k)))
}

// quantityOf returns the pricing quantity of k of the record's sub-periods.
func (r *Record) quantityOf(k int) money.Decimal {
	if k == max(r.Periods, 1) {
		return r.PricingQuantity
	}
	return r.PeriodQuantity.Mul(money.NewFromInt(int64(k)))
}

// SetTotals sets the FOCUS totals from Periods, PeriodQuantity and
// PeriodCost: quantities and every cost column are the per-period values
// times Periods (list, billed, effective and contracted cost are equal for
// rated usage, which has no discounts or invoices of its own).
func (r *Record) SetTotals() {
	n := money.NewFromInt(int64(max(r.Periods, 1)))
	r.PricingQuantity = r.PeriodQuantity.Mul(n)
	r.ConsumedQuantity = r.PricingQuantity
	c := r.PeriodCost.Mul(n)
	r.ListCost, r.BilledCost, r.EffectiveCost, r.ContractedCost = c, c, c, c
	if !r.PeriodQuantity.IsZero() {
		if p, err := r.PeriodCost.Quo(r.PeriodQuantity); err == nil {
			r.ListUnitPrice = p
		}
	} else {
		r.ListUnitPrice = money.Zero
	}
}

// MonthStart returns the first instant of t's month, in UTC.
func MonthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// Service reads and writes cost records.
type Service struct {
	db  *bun.DB
	now func() time.Time
}

// New returns the cost service on db.
func New(db *bun.DB) *Service { return &Service{db: db, now: time.Now} }

func (s *Service) idb(db bun.IDB) bun.IDB {
	if db == nil {
		return s.db
	}
	return db
}

// NewID returns a random UUID (version 4).
func NewID() string { return ids.New() }

// insertChunk bounds the rows of one INSERT statement.
const insertChunk = 400

// validate checks what every record must hold.
func validate(r *Record) error {
	switch {
	case r.Source == "":
		return errs.Field("source", "is required")
	case r.ServiceName == "":
		return errs.Field("ServiceName", "is required")
	case r.ChargePeriodStart.IsZero() || !r.ChargePeriodStart.Before(r.ChargePeriodEnd):
		return errs.Field("ChargePeriodStart", "must be before ChargePeriodEnd")
	case r.Periods < 1:
		return errs.Field("periods", "must be at least 1")
	}
	return nil
}

// prepare fills defaults before a write.
func (s *Service) prepare(r *Record, now time.Time) {
	if r.ID == "" {
		r.ID = NewID()
	}
	r.ChargePeriodStart, r.ChargePeriodEnd = r.ChargePeriodStart.UTC(), r.ChargePeriodEnd.UTC()
	if r.BillingPeriodStart.IsZero() {
		r.BillingPeriodStart = MonthStart(r.ChargePeriodStart)
		r.BillingPeriodEnd = r.BillingPeriodStart.AddDate(0, 1, 0)
	}
	r.BillingPeriodStart, r.BillingPeriodEnd = r.BillingPeriodStart.UTC(), r.BillingPeriodEnd.UTC()
	if r.ChargeCategory == "" {
		r.ChargeCategory = CategoryUsage
	}
	if r.Tags == nil {
		r.Tags = map[string]string{}
	}
	if r.Attributes == nil {
		r.Attributes = map[string]string{}
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	r.UpdatedAt = now
}

// Insert writes new records through db (nil: the service's database; pass a
// transaction to write records atomically with other state). Empty IDs are
// assigned.
func (s *Service) Insert(ctx context.Context, db bun.IDB, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	now := s.now().UTC()
	for i := range recs {
		if err := validate(&recs[i]); err != nil {
			return err
		}
		s.prepare(&recs[i], now)
	}
	for chunk := range slices.Chunk(recs, insertChunk) {
		if _, err := s.idb(db).NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return fmt.Errorf("insert cost records: %w", err)
		}
	}
	return nil
}

// extendColumns are the columns Extend rewrites.
var extendColumns = []string{
	"charge_period_end", "periods", "pricing_quantity", "consumed_quantity", "list_cost",
	"billed_cost", "effective_cost", "contracted_cost", "updated_at",
}

// Extend rewrites the extent and totals of stored records (ChargePeriodEnd,
// Periods, quantities and costs), as a producer does when a series goes on
// unchanged.
func (s *Service) Extend(ctx context.Context, db bun.IDB, recs []Record) error {
	now := s.now().UTC()
	for i := range recs {
		r := &recs[i]
		if r.ID == "" {
			return errs.Field("id", "is required to extend a record")
		}
		if err := validate(r); err != nil {
			return err
		}
		r.ChargePeriodEnd = r.ChargePeriodEnd.UTC()
		r.UpdatedAt = now
		if _, err := s.idb(db).NewUpdate().Model(r).Column(extendColumns...).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("extend cost record %s: %w", r.ID, err)
		}
	}
	return nil
}

// Filter selects records. Zero fields do not filter.
type Filter struct {
	// Begin and End select records whose charge period overlaps [Begin, End).
	Begin, End time.Time
	// EndsAt selects records whose charge period ends exactly then.
	EndsAt time.Time
	// Sources selects producers.
	Sources []string
	// SubAccountIDs selects projects; nil selects all, an empty non-nil
	// slice selects none.
	SubAccountIDs []string
	// ServiceNames selects services.
	ServiceNames []string
}

func (f Filter) apply(q *bun.SelectQuery) *bun.SelectQuery {
	if !f.Begin.IsZero() {
		q = q.Where("c.charge_period_end > ?", f.Begin.UTC())
	}
	if !f.End.IsZero() {
		q = q.Where("c.charge_period_start < ?", f.End.UTC())
	}
	if !f.EndsAt.IsZero() {
		q = q.Where("c.charge_period_end = ?", f.EndsAt.UTC())
	}
	if len(f.Sources) > 0 {
		q = q.Where("c.source IN (?)", bun.List(f.Sources))
	}
	if f.SubAccountIDs != nil {
		if len(f.SubAccountIDs) == 0 {
			q = q.Where("1 = 0")
		} else {
			q = q.Where("c.sub_account_id IN (?)", bun.List(f.SubAccountIDs))
		}
	}
	if len(f.ServiceNames) > 0 {
		q = q.Where("c.service_name IN (?)", bun.List(f.ServiceNames))
	}
	return q
}

// Query returns the records f selects, by charge period start, sub-account,
// service and resource.
func (s *Service) Query(ctx context.Context, db bun.IDB, f Filter) ([]Record, error) {
	var out []Record
	q := f.apply(s.idb(db).NewSelect().Model(&out)).
		OrderExpr("c.charge_period_start, c.sub_account_id, c.service_name, c.resource_id, c.id")
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("query cost records: %w", err)
	}
	return out, nil
}

// Dimensions a Sum can group by.
const (
	BySubAccount = "sub_account_id"
	ByService    = "service_name"
)

// Total is the cost of one group of records over a window.
type Total struct {
	// SubAccountID is the group's project, "" when not grouped by it.
	SubAccountID string
	// ServiceName is the group's service, "" when not grouped by it.
	ServiceName string
	// Cost is the sum of EffectiveCost over the sub-periods inside the
	// window, in the group's billing currency ("" when it mixes several).
	Cost money.Amount
	// Quantity is the sum of PricingQuantity over those sub-periods.
	Quantity money.Decimal
}

// sumRow is the part of a record a sum reads.
type sumRow struct {
	bun.BaseModel `bun:"table:cost_records,alias:c"`

	ChargePeriodStart time.Time     `bun:"charge_period_start"`
	ChargePeriodEnd   time.Time     `bun:"charge_period_end"`
	Periods           int           `bun:"periods"`
	SubAccountID      string        `bun:"sub_account_id"`
	ServiceName       string        `bun:"service_name"`
	PricingQuantity   money.Decimal `bun:"pricing_quantity"`
	EffectiveCost     money.Decimal `bun:"effective_cost"`
	PeriodQuantity    money.Decimal `bun:"period_quantity"`
	PeriodCost        money.Decimal `bun:"period_cost"`
	BillingCurrency   string        `bun:"billing_currency"`
}

// Sums adds up the cost of the sub-periods inside [f.Begin, f.End) of the
// records f selects, grouped by the dimensions in by (BySubAccount,
// ByService; none: one total). Groups come sorted by their keys.
func (s *Service) Sums(ctx context.Context, f Filter, by ...string) ([]Total, error) {
	for _, b := range by {
		if b != BySubAccount && b != ByService {
			return nil, errs.Field("groupby", fmt.Sprintf("cannot group by %q", b))
		}
	}
	var rows []sumRow
	if err := f.apply(s.db.NewSelect().Model(&rows)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("sum cost records: %w", err)
	}
	type key struct{ sub, svc string }
	acc := map[key]*Total{}
	for i := range rows {
		row := &rows[i]
		r := Record{ChargePeriodStart: row.ChargePeriodStart, ChargePeriodEnd: row.ChargePeriodEnd, Periods: row.Periods,
			PricingQuantity: row.PricingQuantity, EffectiveCost: row.EffectiveCost, PeriodQuantity: row.PeriodQuantity, PeriodCost: row.PeriodCost}
		first, last := r.Inside(f.Begin, f.End)
		if first == last {
			continue
		}
		var k key
		if slices.Contains(by, BySubAccount) {
			k.sub = row.SubAccountID
		}
		if slices.Contains(by, ByService) {
			k.svc = row.ServiceName
		}
		t := acc[k]
		if t == nil {
			t = &Total{SubAccountID: k.sub, ServiceName: k.svc, Cost: money.Amount{Currency: row.BillingCurrency}}
			acc[k] = t
		}
		t.Cost = t.Cost.Add(money.Amount{Value: r.costOf(last - first), Currency: row.BillingCurrency})
		t.Quantity = t.Quantity.Add(r.quantityOf(last - first))
	}
	keys := slices.SortedFunc(maps.Keys(acc), func(a, b key) int {
		if c := strings.Compare(a.sub, b.sub); c != 0 {
			return c
		}
		return strings.Compare(a.svc, b.svc)
	})
	out := make([]Total, 0, len(keys))
	for _, k := range keys {
		out = append(out, *acc[k])
	}
	return out, nil
}

// SubAccounts lists the projects having cost inside [f.Begin, f.End) among
// the records f selects, sorted.
func (s *Service) SubAccounts(ctx context.Context, f Filter) ([]string, error) {
	totals, err := s.Sums(ctx, f, BySubAccount)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(totals))
	for _, t := range totals {
		out = append(out, t.SubAccountID)
	}
	return out, nil
}

// Truncate removes what source recorded for subAccount from the instant
// from on: records starting at or after it are deleted, and a record
// running across it keeps only its sub-periods that end by then. It is how
// a producer reprocesses a scope from a timestamp.
func (s *Service) Truncate(ctx context.Context, db bun.IDB, source, subAccount string, from time.Time) error {
	from = from.UTC()
	idb := s.idb(db)
	if _, err := idb.NewDelete().Model((*Record)(nil)).
		Where("source = ?", source).Where("sub_account_id = ?", subAccount).
		Where("charge_period_start >= ?", from).Exec(ctx); err != nil {
		return fmt.Errorf("truncate cost records: %w", err)
	}
	var across []Record
	if err := idb.NewSelect().Model(&across).Where("c.source = ?", source).Where("c.sub_account_id = ?", subAccount).
		Where("c.charge_period_start < ?", from).Where("c.charge_period_end > ?", from).Scan(ctx); err != nil {
		return fmt.Errorf("truncate cost records: %w", err)
	}
	for i := range across {
		r := &across[i]
		_, keep := r.Inside(time.Time{}, from)
		if keep == 0 {
			if _, err := idb.NewDelete().Model(r).WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("truncate cost record %s: %w", r.ID, err)
			}
			continue
		}
		_, end := r.Period(keep - 1)
		r.ChargePeriodEnd, r.Periods = end, keep
		r.SetTotals()
		if err := s.Extend(ctx, idb, []Record{*r}); err != nil {
			return err
		}
	}
	return nil
}
