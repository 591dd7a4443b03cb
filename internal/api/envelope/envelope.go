// Package envelope renders Skyfold's domain errors in the error envelope of
// each API face: Keystone (/v3), Cloudpods (/api/v2), BridgX (/api/v1),
// CloudLens (/api), CloudKitty (/v1), and RFC 9457 problem JSON elsewhere.
// A face is chosen by the request path, so every error — from a handler, from
// request validation, from the router — speaks the caller's dialect.
package envelope

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/logging"
)

// Face is one API dialect.
type Face int

// The faces.
const (
	Plain Face = iota
	Keystone
	Cloudpods
	BridgX
	CloudLens
	CloudKitty
)

func (f Face) String() string {
	return [...]string{"plain", "keystone", "cloudpods", "bridgx", "cloudlens", "cloudkitty"}[f]
}

// bridgxCloudpodsPaths are /api/v1 paths that seed 000 (Cloudpods) uses; every
// other /api/v1 path is BridgX's.
var bridgxCloudpodsPaths = []string{"/api/v1/projects", "/api/v1/parameters"}

// ForPath picks the face that serves a request path.
func ForPath(path string) Face {
	switch {
	case path == "/v3" || strings.HasPrefix(path, "/v3/"):
		return Keystone
	case strings.HasPrefix(path, "/api/v2/") || path == "/api/v2":
		return Cloudpods
	case strings.HasPrefix(path, "/api/v1/") || path == "/api/v1":
		for _, p := range bridgxCloudpodsPaths {
			if path == p || strings.HasPrefix(path, p+"/") {
				return Cloudpods
			}
		}
		return BridgX
	case strings.HasPrefix(path, "/api/") || path == "/api":
		return CloudLens
	case path == "/v1" || strings.HasPrefix(path, "/v1/"):
		return CloudKitty
	}
	return Plain
}

// Status is the HTTP status of an error code.
func Status(code errs.Code) int {
	switch code {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Unauthorized:
		return http.StatusUnauthorized
	case errs.Forbidden, errs.Quota:
		return http.StatusForbidden
	case errs.Throttled:
		return http.StatusTooManyRequests
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	case errs.NotSupported:
		return http.StatusNotImplemented
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case errs.UnsupportedMedia:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

// CodeForStatus is the error code of an HTTP status, for errors that arrive
// as statuses (router, body limit, framework validation).
func CodeForStatus(status int) errs.Code {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return errs.Invalid
	case http.StatusNotFound:
		return errs.NotFound
	case http.StatusConflict:
		return errs.Conflict
	case http.StatusUnauthorized:
		return errs.Unauthorized
	case http.StatusForbidden:
		return errs.Forbidden
	case http.StatusTooManyRequests:
		return errs.Throttled
	case http.StatusServiceUnavailable:
		return errs.Unavailable
	case http.StatusNotImplemented:
		return errs.NotSupported
	case http.StatusRequestEntityTooLarge:
		return errs.TooLarge
	case http.StatusMethodNotAllowed:
		return errs.MethodNotAllowed
	case http.StatusUnsupportedMediaType:
		return errs.UnsupportedMedia
	}
	return errs.Internal
}

// Error is a rendered error: status plus the face's body. It satisfies huma's
// StatusError so handlers and the framework return it directly.
type Error struct {
	Face      Face
	Status    int
	Err       *errs.Error
	Endpoint  string // CloudLens names the endpoint in its errors
	RequestID string // named in an internal error's message, to find its log line
}

type requestIDKey struct{}

// WithRequestID records the request id for the errors rendered under ctx.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id recorded in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// New renders err for a face.
func New(face Face, err error) *Error {
	e := errs.As(err)
	return &Error{Face: face, Status: Status(e.Code), Err: e}
}

func (e *Error) Error() string { return e.Err.Error() }

// GetHeaders gives huma the Retry-After of a throttled or unavailable
// answer, as Write sets it.
func (e *Error) GetHeaders() http.Header {
	if e.Err.RetryAfter <= 0 {
		return nil
	}
	return http.Header{"Retry-After": {strconv.Itoa(int((e.Err.RetryAfter + time.Second - 1) / time.Second))}}
}

// GetStatus implements huma.StatusError.
func (e *Error) GetStatus() int { return e.Status }

// ContentType keeps plain JSON for the legacy faces (huma would otherwise
// announce problem+json).
func (e *Error) ContentType(ct string) string {
	if e.Face == Plain {
		return "application/problem+json"
	}
	return "application/json"
}

// MarshalJSON writes the face's envelope.
func (e *Error) MarshalJSON() ([]byte, error) { return json.Marshal(e.Body()) }

// Body is the envelope value for the face.
func (e *Error) Body() any {
	msg := errs.PublicMessage(e.Err)
	if e.Err.Code == errs.Internal && e.RequestID != "" {
		msg += " (request id " + e.RequestID + ")"
	}
	fields := e.Err.Fields
	switch e.Face {
	case Keystone:
		return map[string]any{"error": map[string]any{
			"code": e.Status, "title": http.StatusText(e.Status), "message": msg,
		}}
	case Cloudpods:
		body := map[string]any{"code": e.Status, "class": cloudpodsClass(e.Err.Code), "details": msg}
		if len(fields) > 0 {
			body["fields"] = fields
		}
		return map[string]any{"error": body}
	case BridgX:
		body := map[string]any{"code": e.Status, "msg": bridgxMsg(e.Err.Code), "data": nil, "detail": msg}
		if len(fields) > 0 {
			body["fields"] = fields
		}
		return body
	case CloudLens:
		body := map[string]any{"success": false, "error": msg, "error_type": cloudlensType(e.Err), "endpoint": e.Endpoint}
		if len(fields) > 0 {
			body["fields"] = fields
		}
		return body
	case CloudKitty:
		fc := "Client"
		if e.Status >= 500 {
			fc = "Server"
		}
		return map[string]any{"faultcode": fc, "faultstring": msg, "debuginfo": nil}
	}
	body := map[string]any{"title": http.StatusText(e.Status), "status": e.Status, "detail": msg}
	if len(fields) > 0 {
		body["errors"] = fields
	}
	return body
}

func cloudpodsClass(c errs.Code) string {
	switch c {
	case errs.Invalid:
		return "InputParameterError"
	case errs.NotFound:
		return "ResourceNotFoundError"
	case errs.Conflict:
		return "ConflictError"
	case errs.Unauthorized:
		return "UnauthorizedError"
	case errs.Forbidden:
		return "ForbiddenError"
	case errs.Quota:
		return "OutOfQuotaError"
	case errs.Throttled:
		return "TooManyRequestsError"
	case errs.Unavailable:
		return "ServiceUnavailableError"
	case errs.NotSupported:
		return "NotImplementedError"
	case errs.TooLarge:
		return "PayloadTooLargeError"
	case errs.MethodNotAllowed:
		return "MethodNotAllowedError"
	case errs.UnsupportedMedia:
		return "UnsupportedMediaTypeError"
	}
	return "InternalServerError"
}

func bridgxMsg(c errs.Code) string {
	switch c {
	case errs.Invalid:
		return "param_invalid"
	case errs.NotFound:
		return "not_found"
	case errs.Conflict:
		return "conflict"
	case errs.Unauthorized:
		return "unauthorized"
	case errs.Forbidden:
		return "permission_denied"
	case errs.Quota:
		return "quota_exceeded"
	case errs.Throttled:
		return "too_many_requests"
	case errs.Unavailable:
		return "service_unavailable"
	case errs.NotSupported:
		return "not_supported"
	case errs.TooLarge:
		return "request_too_large"
	case errs.MethodNotAllowed:
		return "method_not_allowed"
	case errs.UnsupportedMedia:
		return "unsupported_media_type"
	}
	return "internal_error"
}

func cloudlensType(e *errs.Error) string {
	switch e.Code {
	case errs.Invalid, errs.UnsupportedMedia:
		for _, f := range e.Fields {
			if strings.Contains(f.Reason, "required") {
				return "KeyError"
			}
		}
		return "ValueError"
	case errs.NotFound:
		return "NotFoundError"
	case errs.Forbidden, errs.Quota:
		return "PermissionError"
	case errs.Unauthorized:
		return "AuthenticationError"
	case errs.Throttled:
		return "RateLimitError"
	case errs.Conflict:
		return "ConflictError"
	}
	return "Exception"
}

// Write sends err to w in the face of the request path.
func Write(w http.ResponseWriter, r *http.Request, err error) {
	e := New(ForPath(r.URL.Path), err)
	e.RequestID = RequestID(r.Context())
	if e.Err.Code == errs.Internal {
		LogInternal(r.Context(), e.Err)
	}
	write(w, e)
}

// LogInternal logs an internal error's whole chain under the request's
// logger (which carries the request id): the caller sees only "internal
// error" and that id.
func LogInternal(ctx context.Context, e *errs.Error) {
	cause := e.Error()
	if e.Err != nil {
		cause = e.Err.Error()
	}
	logging.From(ctx).ErrorContext(ctx, "internal error", "op", e.Op, "error", cause)
}

// WriteFace sends err to w in a given face.
func WriteFace(w http.ResponseWriter, face Face, err error) {
	write(w, New(face, err))
}

func write(w http.ResponseWriter, e *Error) {
	if e.Err.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.Err.RetryAfter+time.Second-1)/time.Second)))
	}
	w.Header().Set("Content-Type", e.ContentType("application/json"))
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e.Body())
}

// Schema describes the error body in the OpenAPI document: its shape depends
// on the face, so the schema is an open object documented per face.
func (e *Error) Schema(r huma.Registry) *huma.Schema {
	return &huma.Schema{
		Type: huma.TypeObject,
		Description: "Error in the envelope of the face that served the request: Keystone {error:{code,title,message}}, " +
			"Cloudpods {error:{code,class,details,fields}}, BridgX {code,msg,data,detail}, CloudLens {success,error,error_type,endpoint}, " +
			"CloudKitty {faultcode,faultstring}, elsewhere RFC 9457 problem JSON.",
		AdditionalProperties: true,
	}
}
