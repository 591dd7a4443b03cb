package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/identity"
)

type item struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	ProjectID string `json:"project_id"`
}

type itemsOut struct {
	Body struct {
		Items []item `json:"items"`
		Total int    `json:"total"`
	}
}

var items = func() []item {
	out := make([]item, 20)
	for i := range out {
		out[i] = item{ID: "id", Name: "name", ProjectID: "p"}
	}
	return out
}()

func listHandler(ctx context.Context, _ *struct{}) (*itemsOut, error) {
	if c := auth.From(ctx); c != nil {
		if _, err := c.ProjectIDs(ctx); err != nil {
			return nil, err
		}
	}
	out := &itemsOut{}
	out.Body.Items, out.Body.Total = items, len(items)
	return out, nil
}

func benchList(b *testing.B, h http.Handler, token string) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := httptest.NewRequest("GET", "/api/v2/items?scope=project", nil)
		r.RemoteAddr = "192.0.2.1:1"
		if token != "" {
			r.Header.Set("X-Auth-Token", token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body.String())
		}
	}
}

// BenchmarkListWithoutAuth is a 20-item list call through the server with
// no authentication: the baseline.
func BenchmarkListWithoutAuth(b *testing.B) {
	s := api.New(api.Options{Logger: quiet})
	api.Register(s, huma.Operation{OperationID: "items", Method: "GET", Path: "/api/v2/items"}, listHandler)
	benchList(b, s.Handler(), "")
}

// BenchmarkListWithAuth is the same call with token validation, the rate
// limiter, the policy check and the scope resolution: the difference to
// BenchmarkListWithoutAuth is the overhead of authorisation.
func BenchmarkListWithAuth(b *testing.B) {
	e := newEnv(b, auth.Options{Limiter: identity.NewLimiter(nil), RateLimit: identity.RateLimit{Requests: 1 << 30, Per: time.Minute}}, "/none")
	api.Register(e.srv, auth.Policy(huma.Operation{OperationID: "items", Method: "GET", Path: "/api/v2/items"}, "compute/items/list"), listHandler)
	benchList(b, e.srv.Handler(), e.member)
}
