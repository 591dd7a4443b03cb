// Package api is Skyfold's HTTP server: one mux and one OpenAPI 3.1 document
// for every face, with the middleware every request passes through (request
// id, access log, metrics, panic recovery, body limit), health and readiness
// probes, Prometheus metrics and the embedded API docs page. Faces live in
// sub-packages and register their operations on a *Server.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/skyfold/skyfold/internal/api/envelope"
	"github.com/skyfold/skyfold/internal/buildinfo"
	"github.com/skyfold/skyfold/internal/errs"
)

// Readiness reports whether the server can serve: store reachable and
// migrations applied.
type Readiness func(ctx context.Context) error

// Options configure a Server.
type Options struct {
	Logger    *slog.Logger
	BodyLimit int64
	Ready     Readiness
	Registry  *prometheus.Registry // default: a new registry with Go and process collectors
}

// Server holds the mux, the OpenAPI API and the metrics registry.
type Server struct {
	Mux      *http.ServeMux
	API      huma.API
	Registry *prometheus.Registry
	opts     Options
	handler  http.Handler

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func init() {
	// Every error huma produces — validation, body decoding, body limit, and
	// errors our handlers return — is rendered in the face of the request.
	huma.NewErrorWithContext = func(ctx huma.Context, status int, msg string, es ...error) huma.StatusError {
		face := envelope.Plain
		endpoint := ""
		if ctx != nil {
			face = envelope.ForPath(ctx.URL().Path)
			if op := ctx.Operation(); op != nil {
				endpoint = op.OperationID
			}
		}
		e := fromHuma(status, msg, es...)
		out := envelope.New(face, e)
		out.Endpoint = endpoint
		if ctx != nil {
			out.RequestID = envelope.RequestID(ctx.Context())
			if e.Code == errs.Internal {
				envelope.LogInternal(ctx.Context(), e)
			}
		}
		return out
	}
	huma.NewError = func(status int, msg string, es ...error) huma.StatusError {
		return envelope.New(envelope.Plain, fromHuma(status, msg, es...))
	}
}

// fromHuma turns what huma reports into a domain error, keeping a domain error
// a handler returned.
func fromHuma(status int, msg string, es ...error) *errs.Error {
	for _, e := range es {
		var de *errs.Error
		if errors.As(e, &de) {
			return de
		}
		var ee *envelope.Error
		if errors.As(e, &ee) {
			return ee.Err
		}
	}
	code := envelope.CodeForStatus(status)
	out := &errs.Error{Code: code, Message: msg}
	var fields []errs.FieldError
	for _, e := range es {
		var d huma.ErrorDetailer
		if errors.As(e, &d) {
			det := d.ErrorDetail()
			field := strings.TrimPrefix(strings.TrimPrefix(det.Location, "body."), "body")
			field = strings.TrimPrefix(field, "query.")
			field = strings.TrimPrefix(field, "path.")
			if field == "" {
				field = "body"
			}
			fields = append(fields, errs.FieldError{Field: field, Reason: det.Message})
		} else if e != nil && code != errs.Internal {
			fields = append(fields, errs.FieldError{Field: "body", Reason: e.Error()})
		}
	}
	if len(fields) > 0 {
		out.Fields = fields
		parts := make([]string, len(fields))
		for i, f := range fields {
			parts[i] = f.Field + ": " + f.Reason
		}
		out.Message = msg + ": " + strings.Join(parts, "; ")
	}
	if code == errs.Internal {
		out.Err = errors.Join(es...)
	}
	return out
}

// New builds a server with the probes, metrics and docs routes registered.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.BodyLimit <= 0 {
		opts.BodyLimit = 4 << 20
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	mux := http.NewServeMux()
	cfg := huma.DefaultConfig("Skyfold", buildinfo.Version)
	cfg.Info.Description = "Multi-cloud management and FinOps. Faces: Keystone-compatible identity (/v3), " +
		"Cloudpods-style resources (/api/v2), BridgX clusters (/api/v1), CloudLens FinOps (/api), CloudKitty rating (/v1)."
	cfg.DocsPath = "" // served by docsHandler from embedded assets
	cfg.CreateHooks = nil
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaNamer)
	s := &Server{Mux: mux, Registry: reg, opts: opts}
	s.API = humago.New(mux, cfg)
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "skyfold_http_requests_total", Help: "HTTP requests by route, method and status.",
	}, []string{"route", "method", "status"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "skyfold_http_request_duration_seconds", Help: "HTTP request latency by route and method.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method"})
	reg.MustRegister(s.requests, s.latency)

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.Handle("GET /docs", docsHandler())
	mux.Handle("GET /docs/", docsHandler())
	s.handler = s.middleware(mux)
	return s
}

// schemaNamer prefixes schema names with the face package so two faces may
// both call a type "Project" without colliding.
func schemaNamer(t reflect.Type, hint string) string {
	name := huma.DefaultSchemaNamer(t, hint)
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	pkg := t.PkgPath()
	if i := strings.LastIndexByte(pkg, '/'); i >= 0 {
		pkg = pkg[i+1:]
	}
	if pkg == "" || pkg == "api" {
		return name
	}
	return strings.ToUpper(pkg[:1]) + pkg[1:] + name
}

// Handler is the server's root handler, middleware included.
func (s *Server) Handler() http.Handler { return s.handler }

// BodyLimit is the maximum request body.
func (s *Server) BodyLimit() int64 { return s.opts.BodyLimit }

// Logger is the server's logger.
func (s *Server) Logger() *slog.Logger { return s.opts.Logger }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.opts.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.opts.Ready(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// Op fills the defaults every Skyfold operation shares and registers it.
func Register[I, O any](s *Server, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	if op.MaxBodyBytes == 0 {
		op.MaxBodyBytes = s.opts.BodyLimit
	}
	if op.OperationID == "" {
		op.OperationID = huma.GenerateOperationID(op.Method, op.Path, nil)
	}
	huma.Register(s.API, op, func(ctx context.Context, in *I) (*O, error) {
		if e := inputProblem(ctx); e != nil {
			return nil, e
		}
		out, err := h(ctx, in)
		var de *errs.Error
		if err != nil && errors.As(err, &de) && de.RetryAfter > 0 {
			err = retryAfter{err, de.RetryAfter}
		}
		return out, err
	})
}

// retryAfter carries a domain error's Retry-After to huma, which sets the
// headers of an error before it renders it.
type retryAfter struct {
	error
	after time.Duration
}

func (r retryAfter) Unwrap() error { return r.error }

func (r retryAfter) GetHeaders() http.Header {
	return http.Header{"Retry-After": {strconv.Itoa(int((r.after + time.Second - 1) / time.Second))}}
}
