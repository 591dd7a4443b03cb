package cloudkitty

import (
	"context"
	"net/http"
	"strings"

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

// emptyOK answers 200 with an empty body, as CloudKitty does for an
// operation returning nothing without a status of its own.
func emptyOK(next handler) handler {
	return func(s *api.Server, o huma.Operation) {
		o.DefaultStatus = http.StatusOK
		next(s, o)
	}
}

// empty is the answer of an emptyOK operation: no body, which the OpenAPI
// document shows as an empty text.
type empty struct {
	Body []byte `contentType:"text/plain" doc:"always empty"`
}

// optionalBody lets an operation that reads a raw body be sent without one
// (a DELETE whose options may come in the query or the body). The framework
// requires a raw body once declared; the flag it checks is the one the
// OpenAPI document holds for the operation.
func optionalBody(next handler) handler {
	return func(s *api.Server, o huma.Operation) {
		next(s, o)
		if item := s.API.OpenAPI().Paths[o.Path]; item != nil {
			for _, reg := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
				if reg != nil && reg.OperationID == o.OperationID && reg.RequestBody != nil {
					reg.RequestBody.Required = false
				}
			}
		}
	}
}

// mount registers routes under one OpenAPI tag ("CloudKitty <tag>").
func mount(s *api.Server, tag string, routes []route) {
	for _, r := range routes {
		r.handle(s, auth.Policy(op(r.id, r.method, r.path, r.summary, tag), r.policy))
	}
}

// requestURL is the URL a request was sent to, without its query, as
// CloudKitty's framework reads it to build the Location of a new object:
// scheme and host as the client gave them, and the path less any trailing
// slash.
type requestURL string

func requestURLOf(ctx huma.Context) requestURL {
	scheme := "http"
	if ctx.TLS() != nil || strings.EqualFold(ctx.Header("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	u := ctx.URL()
	return requestURL(scheme + "://" + ctx.Host() + strings.TrimRight(u.Path, "/"))
}

// Resolve notes the request URL for the Location of a create.
func (in *rawBody) Resolve(ctx huma.Context) []error {
	in.at = requestURLOf(ctx)
	return nil
}

// Resolve notes the request URL for the Location of a replaced script.
func (in *idBody) Resolve(ctx huma.Context) []error {
	in.at = requestURLOf(ctx)
	return nil
}

// createdAt is the answer of a create: the new object and its URL, the
// collection's URL and its id, as CloudKitty sends it.
type createdAt[B any] struct {
	Location string `header:"Location" doc:"URL of the new object"`
	Body     B
}

// newAt answers a create of the object id under the collection at.
func newAt[B any](at requestURL, id string, b B) *createdAt[B] {
	return &createdAt[B]{Location: string(at) + "/" + id, Body: b}
}

// out is the output of every operation that answers a JSON body.
type out[B any] struct{ Body B }

// reply wraps a body for the framework.
func reply[B any](b B) *out[B] { return &out[B]{Body: b} }

// views renders domain objects in the face's shape; an empty list is [],
// never null, as CloudKitty answers.
func views[X, V any](xs []X, view func(X) V) []V {
	out := make([]V, len(xs))
	for i, x := range xs {
		out[i] = view(x)
	}
	return out
}
