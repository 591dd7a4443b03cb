package cluster

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
)

// ParseDate reads a usage day. The ISO form yyyy-mm-dd is the one BridgX's
// examples use; a date only valid as yyyy-dd-mm (the form BridgX's table
// names) is read that way.
func ParseDate(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errs.Field("date", "required, e.g. 2021-10-11")
	}
	if d, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return d, nil
	}
	if d, err := time.ParseInLocation("2006-02-01", s, loc); err == nil {
		return d, nil
	}
	return time.Time{}, errs.Field("date", fmt.Sprintf("%s is not a date such as 2021-10-11", quoted(s)))
}

// UsageQuery selects the usage of a day.
type UsageQuery struct {
	ClusterName string
	Date        string
	Page        listing.Params
}

// UsageRow is one running interval's share of a day.
type UsageRow struct {
	ID           int64
	ClusterName  string
	InstanceID   string
	InstanceType string
	StartedAt    time.Time
	StoppedAt    *time.Time
	Seconds      int64  // running time inside the day
	Cost         string // Seconds at the hourly list price; "" when unknown
	Currency     string
}

// UsageTotal is the running time and cost of a day.
type UsageTotal struct {
	Seconds int64
	// Costs is the cost per currency, decimal strings.
	Costs map[string]string
	// Unpriced is the seconds for which the catalog had no price.
	Unpriced int64
}

func (s *Service) usageQuery(ctx context.Context, sc inventory.Scope, q UsageQuery) (*bun.SelectQuery, time.Time, time.Time, error) {
	day, err := ParseDate(q.Date, s.cfg.Location)
	if err != nil {
		return nil, time.Time{}, time.Time{}, err
	}
	from, to := day.UTC(), day.AddDate(0, 0, 1).UTC()
	sel := scoped(s.db.NewSelect().Model((*Interval)(nil)), "ui", sc).
		Where("ui.started_at < ?", to).Where("(ui.stopped_at IS NULL OR ui.stopped_at > ?)", from)
	if q.ClusterName != "" {
		sel = sel.Where("ui.cluster_name = ?", q.ClusterName)
	}
	return sel, from, to, nil
}

// overlap is the whole seconds an interval ran within [from, to), counting
// an open interval up to now.
func overlap(iv *Interval, from, to, now time.Time) int64 {
	end := now
	if iv.StoppedAt != nil {
		end = *iv.StoppedAt
	}
	end = minTime(end, to)
	start := maxTime(iv.StartedAt, from)
	if !end.After(start) {
		return 0
	}
	return int64(end.Sub(start) / time.Second)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// cost prices seconds at an hourly price, to four decimals.
func cost(hourly string, seconds int64) (*big.Rat, bool) {
	if hourly == "" {
		return nil, false
	}
	p, ok := new(big.Rat).SetString(hourly)
	if !ok {
		return nil, false
	}
	return p.Mul(p, big.NewRat(seconds, 3600)), true
}

// UsageTotal sums the running time of a day, and its cost, over a cluster
// (or every cluster the scope sees).
func (s *Service) UsageTotal(ctx context.Context, sc inventory.Scope, q UsageQuery) (UsageTotal, error) {
	sel, from, to, err := s.usageQuery(ctx, sc, q)
	if err != nil {
		return UsageTotal{}, err
	}
	var ivs []Interval
	if err := sel.Column("ui.started_at", "ui.stopped_at", "ui.hourly_price", "ui.currency").Scan(ctx, &ivs); err != nil {
		return UsageTotal{}, fmt.Errorf("usage: %w", err)
	}
	now := s.now()
	out := UsageTotal{Costs: map[string]string{}}
	sums := map[string]*big.Rat{}
	for i := range ivs {
		sec := overlap(&ivs[i], from, to, now)
		out.Seconds += sec
		c, ok := cost(ivs[i].HourlyPrice, sec)
		if !ok {
			out.Unpriced += sec
			continue
		}
		if sums[ivs[i].Currency] == nil {
			sums[ivs[i].Currency] = new(big.Rat)
		}
		sums[ivs[i].Currency].Add(sums[ivs[i].Currency], c)
	}
	for cur, r := range sums {
		out.Costs[cur] = r.FloatString(4)
	}
	return out, nil
}

// UsageStatistics lists the running intervals of a day, each with the
// seconds it ran inside the day and their cost, oldest first.
func (s *Service) UsageStatistics(ctx context.Context, sc inventory.Scope, q UsageQuery) (listing.Page[UsageRow], error) {
	sel, from, to, err := s.usageQuery(ctx, sc, q)
	if err != nil {
		return listing.Page[UsageRow]{}, err
	}
	var ivs []Interval
	sel = sel.Model(&ivs).Order("ui.started_at", "ui.id")
	sel = pageOf(sel, q.Page)
	n, err := sel.ScanAndCount(ctx)
	if err != nil {
		return listing.Page[UsageRow]{}, fmt.Errorf("usage statistics: %w", err)
	}
	now := s.now()
	out := listing.Page[UsageRow]{Items: make([]UsageRow, 0, len(ivs)), Total: int(n), Offset: q.Page.Offset, Limit: q.Page.Limit}
	for i := range ivs {
		iv := &ivs[i]
		sec := overlap(iv, from, to, now)
		row := UsageRow{ID: iv.ID, ClusterName: iv.ClusterName, InstanceID: iv.InstanceID, InstanceType: iv.InstanceType,
			StartedAt: iv.StartedAt, StoppedAt: iv.StoppedAt, Seconds: sec}
		if c, ok := cost(iv.HourlyPrice, sec); ok {
			row.Cost, row.Currency = c.FloatString(4), iv.Currency
		}
		out.Items = append(out.Items, row)
	}
	return out, nil
}

// CostSummary renders per-currency costs as "12.3400 CNY, 1.0000 USD".
func CostSummary(costs map[string]string) string {
	keys := make([]string, 0, len(costs))
	for k := range costs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strings.TrimSpace(costs[k] + " " + k)
	}
	return strings.Join(parts, ", ")
}
