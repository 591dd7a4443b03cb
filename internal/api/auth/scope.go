package auth

import (
	"context"

	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/inventory"
)

// ScopeOf is what the caller's grant lets the inventory and the clusters
// show. Every face that lists inventory or cluster rows narrows them with
// it, so a grant means the same on /api/v1 as on /api/v2. Without a caller
// the scope is empty and shows nothing.
func ScopeOf(ctx context.Context) inventory.Scope {
	c := From(ctx)
	if c == nil {
		return inventory.Scope{}
	}
	switch c.Grant.Breadth {
	case identity.BreadthSystem:
		return inventory.SystemScope
	case identity.BreadthDomain:
		return inventory.Scope{DomainID: c.Grant.DomainID}
	case identity.BreadthProject:
		return inventory.Scope{ProjectIDs: []string{c.Grant.ProjectID}}
	}
	return inventory.Scope{}
}
