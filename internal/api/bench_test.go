package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
)

type pingOut struct {
	Body struct {
		Status string `json:"status"`
		N      int    `json:"n"`
	}
}

// BenchmarkTrivialJSONRoute measures the server's per-request overhead —
// middleware, routing, huma encode — on a route that does no work, over
// loopback HTTP with keep-alive, clients in parallel.
func BenchmarkTrivialJSONRoute(b *testing.B) {
	s := api.New(api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	api.Register(s, huma.Operation{OperationID: "ping", Method: http.MethodGet, Path: "/api/v2/ping"},
		func(ctx context.Context, _ *struct{}) (*pingOut, error) {
			out := &pingOut{}
			out.Body.Status, out.Body.N = "ok", 1
			return out, nil
		})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(srv.URL + "/api/v2/ping")
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
