package aliyunsim

import (
	"fmt"
	"net/http"
)

// apiError is an Aliyun-style error: an HTTP status, a dotted error code and a
// message, written as {"RequestId","HostId","Code","Message","Recommend"}.
type apiError struct {
	Status  int
	Code    string
	Message string
	Header  map[string]string // extra response headers (e.g. rate-limit hints)
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errf(status int, code, format string, args ...any) *apiError {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &apiError{Status: status, Code: code, Message: msg}
}

// errMissing is the error for an absent mandatory parameter. RegionId has its own
// code in ECS and VPC; every other parameter uses MissingParameter.
func errMissing(name string) *apiError {
	if name == "RegionId" {
		return errf(http.StatusBadRequest, "MissingRegionId", "RegionId is mandatory for this action.")
	}
	return errf(http.StatusBadRequest, "MissingParameter", "The input parameter %q that is mandatory for processing this request is not supplied.", name)
}

// errInvalid is the error for a parameter whose value is not acceptable.
func errInvalid(name string) *apiError {
	return errf(http.StatusBadRequest, "InvalidParameter", "The specified parameter %q is not valid.", name)
}

func errNotFound(code, what string) *apiError {
	return errf(http.StatusNotFound, code, "The specified %s does not exist.", what)
}

func errRegionNotFound() *apiError {
	return errf(http.StatusNotFound, "InvalidRegionId.NotFound", "The specified RegionId does not exist.")
}

func errIncorrectStatus() *apiError {
	return errf(http.StatusForbidden, "IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
}

func errDryRun() *apiError {
	return errf(http.StatusBadRequest, "DryRunOperation", "Request validation has been passed with DryRun flag set.")
}

func errThrottled() *apiError {
	return errf(http.StatusBadRequest, "Throttling.User", "Request was denied due to user flow control.")
}

func errUnavailable() *apiError {
	return errf(http.StatusServiceUnavailable, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
}

func errInternal(err error) *apiError {
	return errf(http.StatusInternalServerError, "InternalError", "The request processing has failed due to some unknown error, exception or failure: %v", err)
}
