package cloudkitty

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
)

// route is one operation of the face: method, path, policy, named handler,
// and the id and summary the OpenAPI document shows.
type route struct {
	method, path, policy string
	handle               handler
	id, summary          string
}

// handler registers a typed handler for an operation.
type handler func(s *api.Server, o huma.Operation)

// h adapts a named handler method; its input and output structs give the
// OpenAPI document its parameters and response schema.
func h[I, O any](fn func(context.Context, *I) (*O, error)) handler {
	return func(s *api.Server, o huma.Operation) { api.Register(s, o, fn) }
}

// created answers 201 on success, as CloudKitty does for every create.
func created(next handler) handler {
	return func(s *api.Server, o huma.Operation) {
		o.DefaultStatus = http.StatusCreated
		next(s, o)
	}
}

// accepted answers 202 on success (work started, not finished).
func accepted(next handler) handler {
	return func(s *api.Server, o huma.Operation) {
		o.DefaultStatus = http.StatusAccepted
		next(s, o)
	}
}

// mount registers routes under one OpenAPI tag ("CloudKitty <tag>").
func mount(s *api.Server, tag string, routes []route) {
	for _, r := range routes {
		r.handle(s, auth.Policy(op(r.id, r.method, r.path, r.summary, tag), r.policy))
	}
}

// out is the output of every operation that answers a JSON body.
type out[B any] struct{ Body B }

// reply wraps a body for the framework.
func reply[B any](b B) *out[B] { return &out[B]{Body: b} }
