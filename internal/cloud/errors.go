package cloud

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/skyfold/skyfold/internal/errs"
)

// The kinds of failure every driver reports. Test with errors.Is; the *Error
// that carries a kind also holds the cloud's code, message and request id.
var (
	// ErrNotSupported: the provider or driver does not implement the operation.
	ErrNotSupported = errors.New("operation not supported")
	// ErrNotFound: the object does not exist (or is not visible to the account).
	ErrNotFound = errors.New("not found")
	// ErrInvalidCredential: the access key is unknown, disabled or the signature is wrong.
	ErrInvalidCredential = errors.New("invalid credential")
	// ErrForbidden: the credential is valid but lacks permission for the call.
	ErrForbidden = errors.New("permission denied")
	// ErrThrottled: the cloud rate-limited the call; RetryAfter holds its hint.
	ErrThrottled = errors.New("throttled")
	// ErrQuotaExceeded: a quota (instances, vCPUs, VPCs, ...) would be exceeded.
	ErrQuotaExceeded = errors.New("quota exceeded")
	// ErrInsufficientBalance: the account is in arrears or has too little balance.
	ErrInsufficientBalance = errors.New("insufficient balance")
	// ErrShortage: the cloud has too little of something to sell right now —
	// stock of an instance type in a zone, free addresses in a subnet or
	// pool, host capacity. Unlike a quota it is not the account's limit; a
	// smaller request, or the same one later, may succeed.
	ErrShortage = errors.New("resource shortage")
	// ErrInvalidParameter: the cloud rejected a parameter of the request.
	ErrInvalidParameter = errors.New("invalid parameter")
	// ErrConflict: the object is in a state that forbids the call (busy, in use).
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: a transient failure (5xx, connection reset); safe to retry
	// when the call is idempotent.
	ErrUnavailable = errors.New("unavailable")
	// ErrProvider: any other error the cloud returned.
	ErrProvider = errors.New("provider error")
)

// kinds lists the sentinel errors in the order Kind tests them.
var kinds = []error{
	ErrNotSupported, ErrNotFound, ErrInvalidCredential, ErrForbidden, ErrThrottled,
	ErrQuotaExceeded, ErrInsufficientBalance, ErrShortage, ErrInvalidParameter, ErrConflict,
	ErrUnavailable, ErrProvider,
}

// Error is the one error type drivers return. It matches its Kind with
// errors.Is, unwraps to the underlying cause, and unwraps to an *errs.Error
// so that domain services and faces see the right errs.Code.
type Error struct {
	Kind       error         // one of the sentinel errors above
	Provider   string        // canonical provider name, e.g. "Aliyun"
	Op         string        // the operation, e.g. "ecs.RunInstances"
	Code       string        // the cloud's error code, e.g. "Throttling.User"
	Message    string        // the cloud's error message
	RequestID  string        // the cloud's request id, for support tickets
	HTTPStatus int           // the HTTP status, when there was a response
	RetryAfter time.Duration // for ErrThrottled: how long the cloud asked us to wait
	// Param names the request parameter the cloud refused (one of the Param
	// constants), when the driver can tell; callers map it to their own
	// field names instead of reading the cloud's codes.
	Param string
	Err   error // the underlying cause, if any
}

// The request parameters a driver may name in Error.Param. They are the
// SPI's, not any cloud's: a caller maps them to the field of its own
// request that carried the value.
const (
	ParamInstanceType  = "instance_type"
	ParamImage         = "image"
	ParamSubnet        = "subnet"
	ParamSecurityGroup = "security_group"
	ParamVPC           = "vpc"
	ParamZone          = "zone"
	ParamRegion        = "region"
	ParamSystemDisk    = "system_disk"
	ParamDataDisk      = "data_disk"
	ParamPassword      = "password"
	ParamChargeType    = "charge_type"
	ParamPeriod        = "period"
	ParamBandwidth     = "bandwidth"
	ParamName          = "name"
	ParamTags          = "tags"
	ParamCIDR          = "cidr"
)

// Param returns the request parameter the cloud refused, or "".
func Param(err error) string {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Param
	}
	return ""
}

// Error formats the kind, code, message and request id.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Provider != "" {
		b.WriteString(strings.ToLower(e.Provider))
		b.WriteString(" ")
	}
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	kind := e.Kind
	if kind == nil {
		kind = ErrProvider
	}
	b.WriteString(kind.Error())
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	} else if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RequestID != "" {
		b.WriteString(" (request id ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether target is the error's kind.
func (e *Error) Is(target error) bool {
	if e.Kind == nil {
		return target == ErrProvider
	}
	return target == e.Kind
}

// Unwrap exposes the domain error (so errs.CodeOf works) and the cause.
func (e *Error) Unwrap() []error {
	out := []error{e.Domain()}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Domain converts the error to Skyfold's domain error with the matching code.
// Its message is safe to show: it names the cloud's code and request id but
// never a credential.
func (e *Error) Domain() *errs.Error {
	msg := e.Message
	if e.Code != "" {
		msg = e.Code + ": " + msg
	}
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.RequestID != "" {
		msg += " (request id " + e.RequestID + ")"
	}
	op := e.Op
	if e.Provider != "" && op != "" {
		op = strings.ToLower(e.Provider) + " " + op
	}
	return &errs.Error{Code: DomainCode(e.Kind), Message: strings.TrimSpace(msg), RetryAfter: e.RetryAfter, Op: op}
}

// DomainCode maps an error kind to the errs.Code every face renders.
func DomainCode(kind error) errs.Code {
	switch kind {
	case ErrNotSupported:
		return errs.NotSupported
	case ErrNotFound:
		return errs.NotFound
	case ErrInvalidCredential:
		return errs.Unauthorized
	case ErrForbidden:
		return errs.Forbidden
	case ErrThrottled:
		return errs.Throttled
	case ErrQuotaExceeded, ErrInsufficientBalance, ErrShortage:
		return errs.Quota
	case ErrInvalidParameter:
		return errs.Invalid
	case ErrConflict:
		return errs.Conflict
	default: // ErrUnavailable, ErrProvider: the cloud, a dependency, failed
		return errs.Unavailable
	}
}

// Kind returns the sentinel kind of err (ErrNotFound, ...), or nil when err
// carries none.
func Kind(err error) error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		if ce.Kind == nil {
			return ErrProvider
		}
		return ce.Kind
	}
	for _, k := range kinds {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// Short reports refusals that mean "not that many": a quota, the balance or
// the cloud's stock or addresses ran out. A caller creating in bulk may ask
// again for fewer.
func Short(err error) bool {
	switch Kind(err) {
	case ErrQuotaExceeded, ErrInsufficientBalance, ErrShortage:
		return true
	}
	return false
}

// Parts returns the cloud's code, message (on one line) and request id of
// err; for an error that is not a cloud error, only its message. When the
// cloud gave no code, the kind's name stands for it.
func Parts(err error) (code, message, requestID string) {
	if err == nil {
		return "", "", ""
	}
	var ce *Error
	if errors.As(err, &ce) {
		code, message, requestID = ce.Code, ce.Message, ce.RequestID
		if message == "" && ce.Err != nil {
			message = ce.Err.Error()
		}
		if code == "" && ce.Kind != nil {
			code = ce.Kind.Error()
		}
		return code, oneLine(message), requestID
	}
	return "", oneLine(err.Error()), ""
}

// AsDomain returns err as the domain error every face renders, keeping err
// as its cause: a cloud error becomes its Domain(), a domain error is
// returned as it is, anything else is an internal error.
func AsDomain(err error) *errs.Error {
	if err == nil {
		return nil
	}
	var de *errs.Error
	var ce *Error
	switch {
	case errors.As(err, &ce):
		d := ce.Domain()
		d.Err = err
		return d
	case errors.As(err, &de):
		return de
	}
	return errs.As(err)
}

// Refused reports whether the cloud refused the call for a reason the
// caller must act on — credential, permission, parameter, quota, balance,
// shortage, conflict, not found, not supported — so that sending it again,
// now or later, gives the same answer. Throttling, transient and
// unclassified failures, and a cancelled or expired context, are not
// refusals. An error that is no cloud error is a refusal when it is a
// domain error with the code of one.
func Refused(err error) bool {
	switch Kind(err) {
	case nil:
		switch errs.CodeOf(err) {
		case errs.Invalid, errs.NotFound, errs.Conflict, errs.NotSupported, errs.Quota, errs.Forbidden, errs.Unauthorized:
			return true
		}
		return false
	case ErrThrottled, ErrUnavailable, ErrProvider:
		return false
	}
	return true
}

// Describe returns the cloud error err carries on one line — provider,
// operation, kind, code, message and request id — or, when it carries
// none, err's own text on one line. It names no credential.
func Describe(err error) string {
	if err == nil {
		return ""
	}
	var ce *Error
	if errors.As(err, &ce) {
		return oneLine(ce.Error())
	}
	return oneLine(err.Error())
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// RetryAfter returns the throttle hint carried by err, or 0.
func RetryAfter(err error) time.Duration {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.RetryAfter
	}
	return 0
}

// RequestID returns the cloud request id carried by err, or "".
func RequestID(err error) string {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.RequestID
	}
	return ""
}

// NotSupported builds the error a driver returns for an operation it lacks.
func NotSupported(provider, op string) *Error {
	return &Error{Kind: ErrNotSupported, Provider: provider, Op: op}
}

// Errorf builds an *Error of the given kind with a formatted message; drivers
// use it for failures detected on the client side.
func Errorf(kind error, provider, op, format string, args ...any) *Error {
	return &Error{Kind: kind, Provider: provider, Op: op, Message: fmt.Sprintf(format, args...)}
}
