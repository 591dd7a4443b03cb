package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/skyfold/skyfold/internal/api/envelope"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/logging"
)

// RequestIDHeader carries the request id in and out.
const RequestIDHeader = "X-Request-Id"

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush lets streaming handlers flush through the recorder.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// probe captures what the mux would answer for an unmatched request.
type probe struct {
	header http.Header
	status int
}

func (p *probe) Header() http.Header         { return p.header }
func (p *probe) Write(b []byte) (int, error) { return len(b), nil }
func (p *probe) WriteHeader(code int)        { p.status = code }

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func validRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

func (s *Server) middleware(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := r.Header.Get(RequestIDHeader)
		if !validRequestID(rid) {
			rid = newRequestID()
		}
		w.Header().Set(RequestIDHeader, rid)
		log := s.opts.Logger.With("request_id", rid)
		r = r.WithContext(envelope.WithRequestID(logging.With(r.Context(), log), rid))
		rec := &statusRecorder{ResponseWriter: w}
		h, pattern := mux.Handler(r)
		route := pattern
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rec.status == 0 {
					envelope.Write(rec, r, errs.E(errs.Internal, "internal error"))
				}
			}
			dur := time.Since(start)
			if route == "" {
				route = "unmatched"
			}
			st := rec.status
			if st == 0 {
				st = http.StatusOK
			}
			s.requests.WithLabelValues(route, r.Method, strconv.Itoa(st)).Inc()
			s.latency.WithLabelValues(route, r.Method).Observe(dur.Seconds())
			if route != "GET /metrics" && route != "GET /healthz" {
				log.LogAttrs(r.Context(), slog.LevelInfo, "http",
					slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.String("route", route), slog.Int("status", st),
					slog.Int64("bytes", rec.bytes), slog.Float64("ms", float64(dur.Microseconds())/1000),
					slog.String("remote", r.RemoteAddr))
			}
		}()
		if pattern == "" {
			// Let the mux say whether it is 404 or 405 (and which methods are
			// allowed), then answer in the face's envelope.
			p := &probe{header: http.Header{}}
			h.ServeHTTP(p, r)
			switch p.status {
			case http.StatusMethodNotAllowed:
				if allow := p.header.Get("Allow"); allow != "" {
					rec.Header().Set("Allow", allow)
				}
				envelope.Write(rec, r, errs.E(errs.MethodNotAllowed, "method %s is not allowed on %s", r.Method, r.URL.Path))
				return
			case http.StatusNotFound, 0:
				envelope.Write(rec, r, errs.E(errs.NotFound, "no route for %s %s", r.Method, r.URL.Path))
				return
			}
			// A redirect or another mux answer: let the mux serve it.
		}
		if r.ContentLength > s.opts.BodyLimit {
			envelope.Write(rec, r, errs.E(errs.TooLarge, "request body of %d bytes is over the %d-byte limit", r.ContentLength, s.opts.BodyLimit))
			return
		}
		r.Body = http.MaxBytesReader(rec, r.Body, s.opts.BodyLimit)
		if e := s.checkInput(r); e != nil {
			// The operation refuses it once authentication, rate limits
			// and the audit have seen the call (see Register).
			r = r.WithContext(context.WithValue(r.Context(), inputProblemKey{}, e))
		}
		// The mux, not h, serves: it sets the path values handlers read.
		mux.ServeHTTP(rec, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
