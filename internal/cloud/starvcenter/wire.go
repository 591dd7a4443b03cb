package starvcenter

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/skyfold/skyfold/internal/cloud"
)

// The wire constants of the StarVCenter integration API (seed document 001).
const (
	// basePath is BaseURL's path on a StarVCenter server.
	basePath = "/starvcenter/services/cloudresource"
	// headerToken carries the tenant token.
	headerToken = "KEY_TOKEN"
	// formParam carries the Base64-encoded JSON business parameters.
	formParam = "KEY_PARAM"
	// maxPage is the largest page.everypagenum the document allows.
	maxPage = 30
	// maxBody bounds a response body; StarVCenter answers are small.
	maxBody = 16 << 20
)

// The result codes of the response envelope.
const (
	resultOK        = "0"
	resultFailed    = "1"
	resultAuthError = "1003"
)

// envelope is a decoded response: {"result","data","startid","dataCount","resultinfo"}.
type envelope struct {
	Result     string
	Data       json.RawMessage
	StartID    string
	DataCount  int // -1 when absent
	ResultInfo string
}

// errMalformed marks a response the driver could not read.
var errMalformed = errors.New("malformed response")

// decodeBase64 reads Base64 the way Java servers write it: standard or
// URL-safe alphabet, padded or not, wrapped in lines.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: body is neither Base64 nor JSON", errMalformed)
}

// decodeEnvelope decodes a response body: Base64 of a JSON object, or the
// JSON object itself. result, startid and dataCount may be strings or
// numbers; keys are matched with white space removed (the document has
// several keys with stray blanks).
func decodeEnvelope(body []byte) (*envelope, error) {
	body = bytes.TrimSpace(body)
	raw := body
	if len(body) == 0 || body[0] != '{' {
		b, err := decodeBase64(string(body))
		if err != nil {
			return nil, err
		}
		raw = bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
	}
	rec, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	env := &envelope{Result: rec.str("result"), StartID: rec.str("startid"), ResultInfo: rec.str("resultinfo"), DataCount: -1}
	if env.Result == "" {
		return nil, fmt.Errorf("%w: no result code", errMalformed)
	}
	env.Data = rec["data"]
	if n, ok := rec.int("datacount"); ok && n >= 0 && n <= 1<<31 {
		env.DataCount = int(n)
	}
	return env, nil
}

// record is one JSON object of a response, keys normalised by normKey.
// Its accessors never fail: a missing or mistyped value reads as empty.
type record map[string]json.RawMessage

// normKey removes white space and lower-cases a key, so "vm.tenant.type ",
// " vpc.cidr" and "aclrule_ securitygroupid" match their plain spellings.
func normKey(k string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, k))
}

// decodeObject decodes one JSON object into a record.
func decodeObject(raw []byte) (record, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: not a JSON object", errMalformed)
	}
	rec := make(record, len(m))
	for k, v := range m {
		nk := normKey(k)
		// The corrected spelling wins over a typo'd duplicate only when the
		// typo'd one is empty; both carry the same value in practice.
		if old, ok := rec[nk]; ok && scalarText(v) == "" && scalarText(old) != "" {
			continue
		}
		rec[nk] = v
	}
	return rec, nil
}

// isEmptyData reports whether data is absent, null or an empty string.
func isEmptyData(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null" || string(t) == `""` || string(t) == "{}" || string(t) == "[]"
}

// unquoteData turns data sent as a JSON string holding JSON ("{...}") into
// that JSON; other values pass unchanged.
func unquoteData(raw json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(raw)
	if len(t) > 0 && t[0] == '"' {
		var s string
		if json.Unmarshal(t, &s) == nil {
			s = strings.TrimSpace(s)
			if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
				return json.RawMessage(s)
			}
		}
	}
	return t
}

// decodeRecords reads data as a list of objects: an array, a single object
// (some endpoints document one), or nothing.
func decodeRecords(raw json.RawMessage) ([]record, error) {
	if isEmptyData(raw) {
		return nil, nil
	}
	t := unquoteData(raw)
	switch t[0] {
	case '{':
		r, err := decodeObject(t)
		if err != nil {
			return nil, err
		}
		return []record{r}, nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(t, &items); err != nil {
			return nil, fmt.Errorf("%w: %v", errMalformed, err)
		}
		out := make([]record, 0, len(items))
		for _, it := range items {
			if isEmptyData(it) {
				continue
			}
			r, err := decodeObject(unquoteData(it))
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: data is neither an object nor a list", errMalformed)
}

// decodeRecord reads data as one object (the first, when it is a list).
func decodeRecord(raw json.RawMessage) (record, error) {
	recs, err := decodeRecords(raw)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return record{}, nil
	}
	return recs[0], nil
}

// scalarText renders a JSON string, number or boolean as text; anything else
// is "".
func scalarText(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return ""
	}
	switch t[0] {
	case '"':
		var s string
		if json.Unmarshal(t, &s) != nil {
			return ""
		}
		return strings.TrimSpace(s)
	case '{', '[', 'n':
		return ""
	}
	var n json.Number
	if json.Unmarshal(t, &n) == nil {
		return n.String()
	}
	var b bool
	if json.Unmarshal(t, &b) == nil {
		return strconv.FormatBool(b)
	}
	return ""
}

// str returns the first non-empty value among keys, as text.
func (r record) str(keys ...string) string {
	for _, k := range keys {
		if v := scalarText(r[normKey(k)]); v != "" {
			return v
		}
	}
	return ""
}

// int returns the first value among keys that reads as an integer.
func (r record) int(keys ...string) (int64, bool) {
	for _, k := range keys {
		s := r.str(k)
		if s == "" {
			continue
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && f >= -9e15 && f <= 9e15 {
			return int64(f), true
		}
	}
	return 0, false
}

// num returns the first value among keys that reads as a number.
func (r record) num(keys ...string) (float64, bool) {
	for _, k := range keys {
		s := r.str(k)
		if s == "" {
			continue
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !isNaNOrInf(f) {
			return f, true
		}
	}
	return 0, false
}

func isNaNOrInf(f float64) bool { return f != f || f > 1.7e308 || f < -1.7e308 }

// boolean reads "true"/"false" (and 1/0).
func (r record) boolean(key string) bool {
	switch strings.ToLower(r.str(key)) {
	case "true", "1", "yes":
		return true
	}
	return false
}

// list reads a nested list of objects (the model list of cloudvm/model).
func (r record) list(key string) []record {
	recs, err := decodeRecords(r[normKey(key)])
	if err != nil {
		return nil
	}
	return recs
}

// timeLayout is the document's time format ("2010-02-03 13:33:33").
const timeLayout = "2006-01-02 15:04:05"

// parseTime reads a StarVCenter time: the document's layout in the server's
// zone, RFC 3339, or Unix seconds or milliseconds. Unreadable gives zero.
func parseTime(s string, loc *time.Location) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if loc == nil {
		loc = defaultZone
	}
	for _, layout := range []string{timeLayout, "2006-01-02 15:04:05.000", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC()
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		if n > 1e12 && n < 1e14 { // milliseconds
			return time.UnixMilli(n).UTC()
		}
		if n < 1e11 {
			return time.Unix(n, 0).UTC()
		}
	}
	return time.Time{}
}

// defaultZone is China Standard Time, the zone StarVCenter writes times in.
var defaultZone = time.FixedZone("CST", 8*3600)

// time reads a time field.
func (r record) time(loc *time.Location, keys ...string) time.Time {
	return parseTime(r.str(keys...), loc)
}

// encodeParam marshals v as JSON and encodes it as standard Base64.
func encodeParam(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// params is a KEY_PARAM object. Values are strings, as every example in the
// document is; lists are sent as JSON arrays where the document shows one.
type params map[string]any

// transport sends requests to one StarVCenter endpoint with one token.
type transport struct {
	base    string // scheme://host[:port]/...cloudresource
	token   string
	httpc   *http.Client
	timeout time.Duration
	log     *slog.Logger
}

// call sends one request and returns the envelope of a result-0 answer;
// every other answer becomes a *cloud.Error. p == nil sends no KEY_PARAM.
// path segments in ids are escaped by the caller through pathID.
func (t *transport) call(ctx context.Context, op, method, path string, p params) (*envelope, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	target := t.base + "/" + strings.TrimPrefix(path, "/")
	var body io.Reader
	if p != nil {
		enc, err := encodeParam(p)
		if err != nil {
			return nil, &cloud.Error{Kind: cloud.ErrInvalidParameter, Provider: providerName, Op: op,
				Message: "encode KEY_PARAM: " + err.Error(), Err: err}
		}
		form := url.Values{formParam: {enc}}.Encode()
		if method == http.MethodPost || method == http.MethodPut {
			body = strings.NewReader(form)
		} else {
			target += "?" + form
		}
	}
	if t.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, &cloud.Error{Kind: cloud.ErrInvalidParameter, Provider: providerName, Op: op, Message: err.Error(), Err: err}
	}
	req.Header.Set(headerToken, t.token)
	req.Header.Set("Accept", "text/plain, application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	}
	start := time.Now()
	resp, err := t.httpc.Do(req)
	if err != nil {
		return nil, transportErr(ctx, op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, transportErr(ctx, op, err)
	}
	env, derr := decodeEnvelope(raw)
	t.log.DebugContext(ctx, "starvcenter call", "op", op, "method", method, "path", path, "status", resp.StatusCode,
		"result", envResult(env), "took", time.Since(start))
	if resp.StatusCode != http.StatusOK {
		return nil, httpErr(op, resp, env)
	}
	if derr != nil {
		return nil, &cloud.Error{Kind: cloud.ErrProvider, Provider: providerName, Op: op, Message: derr.Error(), Err: derr}
	}
	if env.Result != resultOK {
		return nil, resultErr(op, env.Result, env.ResultInfo)
	}
	return env, nil
}

func envResult(env *envelope) string {
	if env == nil {
		return ""
	}
	return env.Result
}

// transportErr maps a failure to reach the server or read its answer.
func transportErr(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return err // the caller's cancellation or deadline, unchanged
	}
	var ne net.Error
	msg := err.Error()
	if errors.As(err, &ne) && ne.Timeout() {
		msg = "request timed out: " + msg
	}
	return &cloud.Error{Kind: cloud.ErrUnavailable, Provider: providerName, Op: op, Message: msg, Err: err}
}

// httpErr maps a non-200 answer. StarVCenter sends every envelope with 200;
// anything else comes from the web container or a proxy in front of it.
func httpErr(op string, resp *http.Response, env *envelope) error {
	e := &cloud.Error{Provider: providerName, Op: op, HTTPStatus: resp.StatusCode}
	if env != nil {
		e.Message = env.ResultInfo
	}
	if e.Message == "" {
		e.Message = resp.Status
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		e.Kind = cloud.ErrInvalidCredential
	case resp.StatusCode == http.StatusForbidden:
		e.Kind = cloud.ErrForbidden
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind = cloud.ErrThrottled
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed:
		// The endpoint does not exist on this server (version).
		e.Kind = cloud.ErrNotSupported
	case resp.StatusCode >= 500:
		e.Kind = cloud.ErrUnavailable
	default:
		e.Kind = cloud.ErrProvider
	}
	return e
}

// pathID escapes one path parameter (resId).
func pathID(id string) string { return url.PathEscape(strings.TrimSpace(id)) }
