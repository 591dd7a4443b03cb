// Package cloudpods is the Cloudpods-style face, /api/v2: resources are
// listed as {"<plural>": [...], "total", "limit", "offset"} with offset/limit
// paging and Cloudpods' filter syntax, and errors use the Cloudpods envelope.
package cloudpods

import (
	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/listing"
)

// Paging limits of the Cloudpods face.
const (
	DefaultLimit = 20
	MaxLimit     = 2048
)

// ListQuery holds the query parameters every Cloudpods list accepts.
type ListQuery struct {
	Limit   string   `query:"limit" doc:"page size (default 20, max 2048; 0 = all up to the maximum)"`
	Offset  string   `query:"offset" doc:"rows to skip"`
	Filter  []string `query:"filter,explode" doc:"conditions such as name.contains(web) or id.in(a,b); repeat for AND"`
	OrderBy []string `query:"order_by,explode" doc:"sort fields; prefix - for descending"`
	Order   string   `query:"order" enum:"asc,desc," doc:"direction for order_by fields without a sign"`
	Scope   string   `query:"scope" enum:"system,domain,project," doc:"visibility scope of the list"`
	Details bool     `query:"details" doc:"include detail fields"`
}

// Params parses the list query.
func (q ListQuery) Params() (listing.Params, error) {
	p, err := listing.OffsetLimit(q.Offset, q.Limit, DefaultLimit, MaxLimit, true)
	if err != nil {
		return p, err
	}
	if p.Limit == 0 {
		p.Limit = MaxLimit
	}
	for _, f := range q.Filter {
		if f == "" {
			continue
		}
		pf, err := listing.ParseFilter(f)
		if err != nil {
			return p, err
		}
		p.Filters = append(p.Filters, pf)
	}
	p.Order, err = listing.ParseOrder(q.OrderBy, q.Order)
	return p, err
}

// eq is a filter field = value.
func eq(field, value string) listing.Filter {
	return listing.Filter{Field: field, Op: "equals", Values: []string{value}}
}

// op is one Cloudpods operation; the route lists add its policy.
func op(id, method, path, summary string, tags ...string) huma.Operation {
	return huma.Operation{OperationID: "cloudpods-" + id, Method: method, Path: path, Summary: summary, Tags: tags}
}

// described adds a description to an operation.
func described(o huma.Operation, text string) huma.Operation {
	o.Description = text
	return o
}
