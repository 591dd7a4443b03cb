// Package errs defines Skyfold's one domain error type. Domain services return
// *Error values carrying a Code; every HTTP face maps the code to its own status
// and envelope, so a domain package never knows which face called it.
package errs

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Code classifies an error independently of any wire format.
type Code string

// The codes every face knows how to render.
const (
	Invalid          Code = "invalid"            // bad input; the caller must change the request
	NotFound         Code = "not_found"          // the object does not exist or is not visible to the caller
	Conflict         Code = "conflict"           // the request conflicts with current state (duplicate, busy)
	Unauthorized     Code = "unauthorized"       // no or bad credentials
	Forbidden        Code = "forbidden"          // authenticated but not allowed
	Throttled        Code = "throttled"          // rate limited; RetryAfter says when to try again
	Quota            Code = "quota"              // a quota or balance limit was reached
	Unavailable      Code = "unavailable"        // a dependency (cloud, store) cannot be reached
	NotSupported     Code = "not_supported"      // the operation is not implemented by this provider or face
	TooLarge         Code = "too_large"          // the request body is over the limit
	MethodNotAllowed Code = "method_not_allowed" // the route exists but not with this method
	UnsupportedMedia Code = "unsupported_media"  // the body is not in a format the operation reads (JSON)
	Internal         Code = "internal"           // a bug or an unexpected failure; details are logged, not returned
)

// FieldError names one invalid input field and why it is invalid.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Error is the domain error. Message is safe to show to the caller; Err is the
// underlying cause, kept for logs and errors.Is/As but never sent on the wire
// for Internal errors.
type Error struct {
	Code       Code
	Message    string
	Fields     []FieldError
	RetryAfter time.Duration
	Op         string
	Err        error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, " [%s: %s]", f.Field, f.Reason)
	}
	if e.Err != nil && e.Message == "" {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error with a code and a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap gives err a code and a caller-safe message, keeping err as the cause.
func Wrap(err error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// Field builds an Invalid error for one field.
func Field(field, reason string) *Error {
	return &Error{Code: Invalid, Message: field + ": " + reason, Fields: []FieldError{{Field: field, Reason: reason}}}
}

// Fields builds an Invalid error listing several fields; nil when fs is empty.
func Fields(fs ...FieldError) error {
	if len(fs) == 0 {
		return nil
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Field + ": " + f.Reason
	}
	return &Error{Code: Invalid, Message: strings.Join(parts, "; "), Fields: fs}
}

// NotFoundf is a shorthand for the common not-found case.
func NotFoundf(kind, id string) *Error {
	return &Error{Code: NotFound, Message: fmt.Sprintf("%s %q not found", kind, id)}
}

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// As returns the first *Error in err's chain, or an Internal error wrapping err.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

// PublicMessage is the message a face may return: for Internal errors a
// generic text, since the cause may hold details the caller must not see.
func PublicMessage(err error) string {
	e := As(err)
	if e.Code == Internal {
		return "internal error"
	}
	if e.Message != "" {
		return e.Message
	}
	if e.Err != nil {
		return e.Err.Error()
	}
	return string(e.Code)
}
