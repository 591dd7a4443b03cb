package aliyun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/skyfold/skyfold/internal/cloud"
)

// errDryRunPassed is the kind classify gives Aliyun's DryRunOperation code:
// the dry run passed and the caller should report success.
var errDryRunPassed = errors.New("dry run passed")

// classify maps an Aliyun error code (and, when the code is empty or
// unknown, the HTTP status) to an error kind. Codes are matched exactly
// first, then by the dotted families Aliyun uses.
func classify(code string, status int) error {
	c := strings.TrimSpace(code)
	lc := strings.ToLower(c)
	switch c {
	case "DryRunOperation":
		return errDryRunPassed
	case "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId", "InvalidAccessKeyId.Inactive",
		"SignatureDoesNotMatch", "InvalidAccessKeySecret", "IncompleteSignature",
		"InvalidSecurityToken.Expired", "InvalidSecurityToken.Malformed", "InvalidSecurityToken.MismatchWithAccessKey",
		"InvalidCredentials", "SignatureNonceUsed", "InvalidTimeStamp.Expired", "AccessKeyId.NotFound":
		return cloud.ErrInvalidCredential
	case "InvalidAccount.NotEnoughBalance", "Account.Arrearage", "InvalidAccountStatus.NotEnoughBalance",
		"InvalidPayMethod", "Account.NotEnoughBalance":
		return cloud.ErrInsufficientBalance
	case "UnsupportedOperation", "OperationUnsupported", "InvalidAction.NotFound", "InvalidAction",
		"InvalidVersion", "UnknownAction":
		return cloud.ErrNotSupported
	case "IncorrectInstanceStatus", "IncorrectVpcStatus", "IncorrectVSwitchStatus", "IncorrectStatus",
		"DependencyViolation", "OperationConflict", "LastTokenProcessing", "IdempotentParameterMismatch",
		"IdempotenceParamNotMatch", "InvalidStatus.ResourceStatus", "TaskConflict", "OperationDenied.InvalidStatus":
		return cloud.ErrConflict
	case "ServiceUnavailable", "InternalError", "UnknownError", "ServiceTimeout", "RequestTimeout",
		"InternalError.System", "Unknown":
		return cloud.ErrUnavailable
	}
	switch {
	case lc == "":
		// fall through to the status
	case strings.HasPrefix(lc, "throttling") || strings.Contains(lc, ".throttling") ||
		lc == "requestlimitexceeded" || strings.HasPrefix(lc, "flowcontrol") || lc == "toomanyrequests":
		return cloud.ErrThrottled
	case strings.HasPrefix(lc, "invalidaccesskeyid") || strings.HasPrefix(lc, "invalidsecuritytoken") ||
		strings.HasPrefix(lc, "signaturedoesnotmatch"):
		return cloud.ErrInvalidCredential
	case strings.Contains(lc, "notenoughbalance") || strings.Contains(lc, "arrearage") || strings.Contains(lc, "inarrears"):
		return cloud.ErrInsufficientBalance
	case strings.HasPrefix(lc, "quotaexceed") || strings.Contains(lc, "quotaexceeded") || strings.Contains(lc, ".quotaexceed") ||
		strings.HasSuffix(lc, ".quotafull") || strings.Contains(lc, "quota.exceed") || strings.HasPrefix(lc, "limitexceeded"):
		return cloud.ErrQuotaExceeded
	case strings.Contains(lc, "ipnotenough") || strings.Contains(lc, "nostock") || strings.Contains(lc, "resourcenotavailable") ||
		strings.Contains(lc, "notonsale") || strings.Contains(lc, "insufficientcapacity"):
		// Before the "invalid…" family: InvalidVSwitchId.IpNotEnough is a
		// shortage of addresses, not a bad parameter.
		return cloud.ErrShortage
	case strings.HasPrefix(lc, "forbidden") || strings.HasPrefix(lc, "nopermission") || lc == "notauthorized" ||
		strings.HasPrefix(lc, "accessdenied") || strings.HasSuffix(lc, ".forbidden") || strings.HasSuffix(lc, ".nopermission"):
		return cloud.ErrForbidden
	case strings.HasSuffix(lc, ".notfound") || lc == "notfound" || strings.HasSuffix(lc, "notexist") ||
		strings.HasSuffix(lc, ".notexists") || strings.HasPrefix(lc, "nosuch"):
		return cloud.ErrNotFound
	case strings.HasPrefix(lc, "invalidparameter") || strings.HasPrefix(lc, "missingparameter") ||
		strings.HasPrefix(lc, "missing") || strings.HasSuffix(lc, ".malformed") || strings.HasPrefix(lc, "invalidparam") ||
		strings.HasSuffix(lc, ".valuenotsupported") || strings.HasSuffix(lc, ".mismatch") ||
		strings.HasPrefix(lc, "invalid") || strings.HasPrefix(lc, "illegal"):
		return cloud.ErrInvalidParameter
	case strings.HasPrefix(lc, "incorrect") && strings.Contains(lc, "status"),
		strings.HasPrefix(lc, "dependencyviolation"), strings.HasSuffix(lc, ".inuse"), strings.HasSuffix(lc, ".alreadyexists"),
		strings.HasSuffix(lc, ".duplicate"), strings.HasPrefix(lc, "operationconflict"):
		return cloud.ErrConflict
	case strings.HasPrefix(lc, "internalerror") || strings.HasPrefix(lc, "serviceunavailable") ||
		strings.HasSuffix(lc, ".timeout"):
		return cloud.ErrUnavailable
	default:
		if status >= 500 {
			return cloud.ErrUnavailable
		}
		return cloud.ErrProvider
	}
	switch {
	case status == http.StatusTooManyRequests:
		return cloud.ErrThrottled
	case status == http.StatusUnauthorized:
		return cloud.ErrInvalidCredential
	case status == http.StatusForbidden:
		return cloud.ErrForbidden
	case status == http.StatusNotFound:
		return cloud.ErrNotFound
	case status >= 500:
		return cloud.ErrUnavailable
	default:
		return cloud.ErrProvider
	}
}

// paramWords maps words of an Aliyun error code or message (lower case, in
// the order tested: the more specific first) to the SPI parameter at fault.
var paramWords = []struct{ word, param string }{
	{"password", cloud.ParamPassword}, {"instancetype", cloud.ParamInstanceType}, {"image", cloud.ParamImage},
	{"vswitch", cloud.ParamSubnet}, {"subnet", cloud.ParamSubnet}, {"securitygroup", cloud.ParamSecurityGroup},
	{"vpc", cloud.ParamVPC}, {"zone", cloud.ParamZone}, {"region", cloud.ParamRegion},
	{"systemdisk", cloud.ParamSystemDisk}, {"datadisk", cloud.ParamDataDisk}, {"period", cloud.ParamPeriod},
	{"chargetype", cloud.ParamChargeType}, {"bandwidth", cloud.ParamBandwidth}, {"hostname", cloud.ParamName},
	{"instancename", cloud.ParamName}, {"tag", cloud.ParamTags}, {"cidr", cloud.ParamCIDR},
}

// paramOf names the parameter an InvalidX or X.NotFound refusal is about
// ("InvalidVSwitchId.NotFound" → subnet), or "" when it names none.
func paramOf(code, message string) string {
	lc := strings.ToLower(code + " " + message)
	for _, pw := range paramWords {
		if strings.Contains(lc, pw.word) {
			return pw.param
		}
	}
	return ""
}

// sdkError is what the darabonba error types (ClientError, ServerError,
// ThrottlingError, AlibabaCloudError) have in common.
type sdkError interface {
	GetCode() *string
	GetMessage() *string
	GetRequestId() *string
	GetStatusCode() *int
	GetData() map[string]interface{}
}

// wrapErr turns anything an SDK call returned into a typed *cloud.Error (or
// the context's own error when ctx is done). ex may be nil.
func wrapErr(ctx context.Context, op string, err error, ex *exchange) error {
	if err == nil {
		return nil
	}
	var ce *cloud.Error
	if errors.As(err, &ce) {
		return err
	}
	if ctxErr := ctx.Err(); ctxErr != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || isNetErr(err)) {
		return fmt.Errorf("%s: %w", op, ctxErr)
	}
	e := &cloud.Error{Provider: providerName, Op: op, Err: err}
	var status int
	var hint time.Duration
	var head string
	if ex != nil {
		status, e.RequestID, hint, head = ex.snapshot()
		e.HTTPStatus = status
	}
	switch x := errorsAsSDK(err).(type) {
	case sdkError:
		e.Code = clean(dara.StringValue(x.GetCode()))
		e.Message = sdkMessage(dara.StringValue(x.GetMessage()))
		if data := x.GetData(); data != nil {
			if m, ok := data["Message"].(string); ok && m != "" {
				e.Message = m
			} else if m, ok := data["message"].(string); ok && m != "" {
				e.Message = m
			}
		}
		e.RequestID = firstNonEmpty(clean(dara.StringValue(x.GetRequestId())), e.RequestID)
		if s := dara.IntValue(x.GetStatusCode()); s != 0 {
			e.HTTPStatus = s
		}
		if t, ok := err.(interface{ GetRetryAfter() *int64 }); ok {
			if ms := dara.Int64Value(t.GetRetryAfter()); ms > 0 {
				hint = max(hint, time.Duration(ms)*time.Millisecond)
			}
		}
	case *tea.SDKError:
		e.Code = tea.StringValue(x.Code)
		e.Message = tea.StringValue(x.Message)
		if s := tea.IntValue(x.StatusCode); s != 0 {
			e.HTTPStatus = s
		}
		e.RequestID = firstNonEmpty(requestIDFromData(tea.StringValue(x.Data)), e.RequestID)
	case *dara.SDKError:
		e.Code = dara.StringValue(x.Code)
		e.Message = dara.StringValue(x.Message)
		if s := dara.IntValue(x.StatusCode); s != 0 {
			e.HTTPStatus = s
		}
	case *oss.ServiceError:
		e.Code = x.Code
		e.Message = x.Message
		e.RequestID = firstNonEmpty(x.RequestID, e.RequestID)
		e.HTTPStatus = x.StatusCode
	}
	if e.Code == "" && isNetErr(err) {
		e.Kind = cloud.ErrUnavailable
		e.Message = err.Error()
		return e
	}
	kind := classify(e.Code, e.HTTPStatus)
	if kind == errDryRunPassed {
		return errDryRunPassed
	}
	e.Kind = kind
	if kind == cloud.ErrInvalidParameter || kind == cloud.ErrNotFound {
		e.Param = paramOf(e.Code, e.Message)
	}
	if e.Code == "" && e.Message == "" {
		// Not an Aliyun error body: say what arrived instead.
		e.Message = describeBadResponse(err, e.HTTPStatus, head)
		if e.HTTPStatus >= 200 && e.HTTPStatus < 300 {
			e.Kind = cloud.ErrProvider
		}
	}
	if e.Kind == cloud.ErrThrottled {
		e.RetryAfter = hint
	}
	return e
}

// clean drops the "<nil>" text the SDK renders for absent fields.
func clean(s string) string {
	s = strings.TrimSpace(s)
	if s == "<nil>" {
		return ""
	}
	return s
}

// sdkMessage strips the "code: 400, " prefix and " request id: ..." suffix
// the darabonba core wraps around the cloud's message.
func sdkMessage(s string) string {
	if rest, ok := strings.CutPrefix(s, "code: "); ok {
		if _, after, ok := strings.Cut(rest, ", "); ok {
			s = after
		}
	}
	if i := strings.LastIndex(s, " request id: "); i >= 0 {
		s = s[:i]
	}
	return clean(s)
}

// errorsAsSDK finds the SDK error inside err's chain, or returns err.
func errorsAsSDK(err error) error {
	var se sdkError
	if errors.As(err, &se) {
		if e, ok := se.(error); ok {
			return e
		}
	}
	var te *tea.SDKError
	if errors.As(err, &te) {
		return te
	}
	var de *dara.SDKError
	if errors.As(err, &de) {
		return de
	}
	var oe *oss.ServiceError
	if errors.As(err, &oe) {
		return oe
	}
	return err
}

// requestIDFromData digs the request id out of a tea.SDKError's JSON data.
func requestIDFromData(data string) string {
	if data == "" {
		return ""
	}
	var m map[string]any
	if json.Unmarshal([]byte(data), &m) != nil {
		return ""
	}
	for _, k := range []string{"RequestId", "requestId"} {
		if s, ok := m[k].(string); ok {
			return s
		}
	}
	return ""
}

func describeBadResponse(err error, status int, head string) string {
	head = strings.TrimSpace(head)
	if len(head) > 120 {
		head = head[:120] + "..."
	}
	msg := "malformed response"
	if status != 0 {
		msg = fmt.Sprintf("malformed response (HTTP %d)", status)
	}
	if head != "" {
		msg += ": " + strings.ToValidUTF8(head, "?")
	} else if err != nil {
		msg += ": " + err.Error()
	}
	return msg
}

// isNetErr reports transport failures: refused, reset, timeouts, EOF.
func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// missingField is the error for a success response that lacks what the
// operation needs (an id after a create, ...).
func missingField(op, field, requestID string) error {
	return &cloud.Error{Kind: cloud.ErrProvider, Provider: providerName, Op: op, RequestID: requestID,
		Message: "response has no " + field}
}

// Compile-time checks that the darabonba error types satisfy sdkError.
var (
	_ sdkError = (*openapi.ClientError)(nil)
	_ sdkError = (*openapi.ServerError)(nil)
	_ sdkError = (*openapi.ThrottlingError)(nil)
)
