// Package listing is the one pagination, filter and sort helper behind every
// list endpoint. Faces parse their own query styles (offset/limit as Cloudpods
// and CloudKitty do, page_number/page_size as BridgX does) into Params; domain
// services apply Params to their queries against a whitelist of fields.
package listing

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/skyfold/skyfold/internal/errs"
)

// Filter is one condition: Field Op Values.
type Filter struct {
	Field  string
	Op     string
	Values []string
}

// Order is one sort key.
type Order struct {
	Field string
	Desc  bool
}

// Params is a parsed list request.
type Params struct {
	Offset  int
	Limit   int // 0 means no limit (where a face allows it)
	Filters []Filter
	Order   []Order
}

// Page is one page of results with the total count before paging.
type Page[T any] struct {
	Items  []T
	Total  int
	Offset int
	Limit  int
}

// Ops lists the filter operators, Cloudpods' names.
var Ops = map[string]int{ // operator → number of values (-1: one or more, 0: none)
	"equals": 1, "notequals": 1, "in": -1, "notin": -1,
	"contains": 1, "startswith": 1, "endswith": 1,
	"isnull": 0, "isnotnull": 0, "isempty": 0, "isnotempty": 0,
	"lt": 1, "le": 1, "gt": 1, "ge": 1, "between": 2,
}

// ParseFilter parses Cloudpods' filter syntax: field.op(v1,v2,...), for
// example "name.contains(web)", "id.in(a,b)", "status.isnotnull()". Values may
// be quoted with ' or " to hold commas or parentheses.
func ParseFilter(s string) (Filter, error) {
	s = strings.TrimSpace(s)
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return Filter{}, errs.Field("filter", fmt.Sprintf("%q is not field.op(values)", s))
	}
	head, body := s[:open], s[open+1:len(s)-1]
	dot := strings.LastIndexByte(head, '.')
	if dot <= 0 || dot == len(head)-1 {
		return Filter{}, errs.Field("filter", fmt.Sprintf("%q is not field.op(values)", s))
	}
	f := Filter{Field: head[:dot], Op: strings.ToLower(head[dot+1:])}
	want, ok := Ops[f.Op]
	if !ok {
		return Filter{}, errs.Field("filter", fmt.Sprintf("unknown operator %q", f.Op))
	}
	vals, err := splitValues(body)
	if err != nil {
		return Filter{}, errs.Field("filter", err.Error())
	}
	f.Values = vals
	switch {
	case want == 0 && len(vals) != 0:
		return Filter{}, errs.Field("filter", fmt.Sprintf("%s takes no value", f.Op))
	case want == -1 && len(vals) == 0:
		return Filter{}, errs.Field("filter", fmt.Sprintf("%s needs at least one value", f.Op))
	case want > 0 && len(vals) != want:
		return Filter{}, errs.Field("filter", fmt.Sprintf("%s takes %d value(s), got %d", f.Op, want, len(vals)))
	}
	return f, nil
}

func splitValues(body string) ([]string, error) {
	var out []string
	var cur strings.Builder
	var quote rune
	seen := false
	for _, r := range body {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote = r
			seen = true
		case r == ',':
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
			seen = false
		default:
			cur.WriteRune(r)
			if r != ' ' {
				seen = true
			}
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	if seen || len(out) > 0 {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out, nil
}

// ParseOrder reads sort keys: each of orderBy is "field" or "-field", and a
// comma-separated list is accepted; order ("asc"/"desc", as Cloudpods sends
// it) sets the direction of keys without a sign.
func ParseOrder(orderBy []string, order string) ([]Order, error) {
	var desc bool
	switch strings.ToLower(order) {
	case "", "asc":
	case "desc":
		desc = true
	default:
		return nil, errs.Field("order", fmt.Sprintf("%q is not asc or desc", order))
	}
	var out []Order
	for _, ob := range orderBy {
		for _, f := range strings.Split(ob, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			o := Order{Field: f, Desc: desc}
			if strings.HasPrefix(f, "-") {
				o = Order{Field: f[1:], Desc: true}
			} else if strings.HasPrefix(f, "+") {
				o = Order{Field: f[1:]}
			}
			if o.Field == "" {
				return nil, errs.Field("order_by", fmt.Sprintf("%q names no field", f))
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// ParseInt reads an optional non-negative integer query value.
func ParseInt(name, s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errs.Field(name, fmt.Sprintf("%q is not a non-negative integer", s))
	}
	return n, nil
}

// OffsetLimit builds paging from offset/limit strings. limit=0 means "all"
// when allowZero is set (Cloudpods' limit=0), else the default.
func OffsetLimit(offset, limit string, def, max int, allowZero bool) (Params, error) {
	o, err := ParseInt("offset", offset, 0)
	if err != nil {
		return Params{}, err
	}
	l, err := ParseInt("limit", limit, def)
	if err != nil {
		return Params{}, err
	}
	if l == 0 && !allowZero {
		l = def
	}
	if max > 0 && l > max {
		return Params{}, errs.Field("limit", fmt.Sprintf("%d is above the maximum %d", l, max))
	}
	return Params{Offset: o, Limit: l}, nil
}

// PageNumber builds paging from 1-based page_number/page_size strings.
func PageNumber(number, size string, def, max int) (Params, error) {
	n, err := ParseInt("page_number", number, 1)
	if err != nil {
		return Params{}, err
	}
	if n == 0 {
		n = 1
	}
	sz, err := ParseInt("page_size", size, def)
	if err != nil {
		return Params{}, err
	}
	if sz == 0 {
		sz = def
	}
	if max > 0 && sz > max {
		return Params{}, errs.Field("page_size", fmt.Sprintf("%d is above the maximum %d", sz, max))
	}
	return Params{Offset: (n - 1) * sz, Limit: sz}, nil
}

// Fields maps the field names a list accepts to SQL columns.
type Fields map[string]string

// Apply adds the filters, order and page to q. Unknown fields are an Invalid
// error naming the field, so typos never silently match everything.
func (p Params) Apply(q *bun.SelectQuery, fields Fields) (*bun.SelectQuery, error) {
	q, err := p.ApplyFilters(q, fields)
	if err != nil {
		return nil, err
	}
	for _, o := range p.Order {
		col, ok := fields[o.Field]
		if !ok {
			return nil, errs.Field("order_by", fmt.Sprintf("cannot sort by %q", o.Field))
		}
		if o.Desc {
			q = q.OrderExpr("? DESC", bun.Ident(col))
		} else {
			q = q.OrderExpr("? ASC", bun.Ident(col))
		}
	}
	if p.Limit > 0 {
		q = q.Limit(int64(p.Limit))
	}
	if p.Offset > 0 {
		q = q.Offset(int64(p.Offset))
	}
	return q, nil
}

// ApplyFilters adds only the filters to q.
func (p Params) ApplyFilters(q *bun.SelectQuery, fields Fields) (*bun.SelectQuery, error) {
	for _, f := range p.Filters {
		col, ok := fields[f.Field]
		if !ok {
			return nil, errs.Field("filter", fmt.Sprintf("cannot filter on %q", f.Field))
		}
		c := bun.Ident(col)
		switch f.Op {
		case "equals":
			q = q.Where("? = ?", c, f.Values[0])
		case "notequals":
			q = q.Where("? <> ?", c, f.Values[0])
		case "in":
			q = q.Where("? IN (?)", c, bun.List(f.Values))
		case "notin":
			q = q.Where("? NOT IN (?)", c, bun.List(f.Values))
		case "contains":
			q = WhereILike(q, c, "%"+LikeEscape(f.Values[0])+"%")
		case "startswith":
			q = WhereILike(q, c, LikeEscape(f.Values[0])+"%")
		case "endswith":
			q = WhereILike(q, c, "%"+LikeEscape(f.Values[0]))
		case "isnull":
			q = q.Where("? IS NULL", c)
		case "isnotnull":
			q = q.Where("? IS NOT NULL", c)
		case "isempty":
			q = q.Where("(? IS NULL OR ? = '')", c, c)
		case "isnotempty":
			q = q.Where("(? IS NOT NULL AND ? <> '')", c, c)
		case "lt":
			q = q.Where("? < ?", c, f.Values[0])
		case "le":
			q = q.Where("? <= ?", c, f.Values[0])
		case "gt":
			q = q.Where("? > ?", c, f.Values[0])
		case "ge":
			q = q.Where("? >= ?", c, f.Values[0])
		case "between":
			q = q.Where("? BETWEEN ? AND ?", c, f.Values[0], f.Values[1])
		}
	}
	return q, nil
}

// WhereILike adds a case-insensitive LIKE of col against pattern (escaped
// with LikeEscape). On SQLite it is a plain LIKE, which already ignores case
// as far as SQLite's LOWER knows case (ASCII), so no function runs per row
// and an index holding the column answers it alone. On PostgreSQL it is
// LOWER(col) LIKE, four times faster there than ILIKE; and when the pattern
// has no letter that has a case (digits, an address), LOWER cannot change
// the outcome and the plain LIKE is used.
func WhereILike(q *bun.SelectQuery, col any, pattern string) *bun.SelectQuery {
	if q.Dialect().Name() != dialect.PG {
		return q.Where("? LIKE ? ESCAPE '\\'", col, pattern)
	}
	lower := strings.ToLower(pattern)
	if lower == strings.ToUpper(pattern) {
		return q.Where("? LIKE ? ESCAPE '\\'", col, pattern)
	}
	return q.Where("LOWER(?) LIKE ? ESCAPE '\\'", col, lower)
}

// LikeEscape escapes %, _ and the backslash for a LIKE pattern whose ESCAPE is a backslash.
func LikeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
