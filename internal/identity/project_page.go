package identity

import (
	"context"
	"fmt"

	"github.com/skyfold/skyfold/internal/listing"
)

// ProjectPageFields are the fields a paged project list filters and sorts
// on, Cloudpods' names.
var ProjectPageFields = listing.Fields{
	"id": "id", "name": "name", "description": "description", "enabled": "enabled",
	"domain_id": "domain_id", "project_domain_id": "domain_id", "created_at": "created_at", "updated_at": "updated_at",
}

// PageProjects lists the projects a grant reaches, one page of them, with
// the total before paging. A system grant reaches every project, a domain
// grant its domain's, a project grant its own project.
func (s *Service) PageProjects(ctx context.Context, g Grant, p listing.Params) (listing.Page[Project], error) {
	out := []Project{}
	q := s.db.NewSelect().Model(&out)
	switch g.Breadth {
	case BreadthSystem:
	case BreadthDomain:
		q = q.Where("domain_id = ?", g.DomainID)
	case BreadthProject:
		q = q.Where("id = ?", g.ProjectID)
	default:
		return listing.Page[Project]{Items: out, Offset: p.Offset, Limit: p.Limit}, nil
	}
	if len(p.Order) == 0 {
		p.Order = []listing.Order{{Field: "name"}, {Field: "id"}}
	}
	q, err := p.Apply(q, ProjectPageFields)
	if err != nil {
		return listing.Page[Project]{}, err
	}
	n, err := q.ScanAndCount(ctx)
	if err != nil {
		return listing.Page[Project]{}, fmt.Errorf("list projects: %w", err)
	}
	return listing.Page[Project]{Items: out, Total: int(n), Offset: p.Offset, Limit: p.Limit}, nil
}
