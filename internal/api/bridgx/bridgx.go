// Package bridgx is the BridgX face, /api/v1 (seed 002): cluster templates,
// VPCs, subnets, security groups and network configurations, catalogs,
// expand and shrink tasks, cluster instances and their usage. Every answer
// is BridgX's envelope {"code": 200, "msg": "success", "data": …}; errors
// come back as {"code": 400, "msg": "param_invalid", "data": null, "detail":
// …} with the HTTP status equal to code (rendered by package envelope). The
// face decodes, authorises and encodes; package cluster does the work.
package bridgx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/cluster"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/listing"
)

// Paging of the BridgX face: page_number from 1, page_size 10 by default
// and at most 50.
const (
	DefaultPageSize = 10
	MaxPageSize     = 50
)

// Face serves /api/v1.
type Face struct {
	Svc *cluster.Service
}

// Register adds every BridgX operation to the server.
func Register(s *api.Server, svc *cluster.Service) {
	f := &Face{Svc: svc}
	f.registerNetwork(s)
	f.registerCatalog(s)
	f.registerClusters(s)
	f.registerTasks(s)
	f.registerInstances(s)
}

// bridgXEnvelope is BridgX's success body around the typed data of one
// operation, so the OpenAPI document describes what each answer carries.
type bridgXEnvelope[T any] struct {
	Code int    `json:"code" doc:"200"`
	Msg  string `json:"msg" doc:"success"`
	Data T      `json:"data"`
}

// answer is a BridgX success response.
type answer[T any] struct {
	Body bridgXEnvelope[T]
}

func answerOf[T any](data T) *answer[T] {
	return &answer[T]{Body: bridgXEnvelope[T]{Code: http.StatusOK, Msg: "success", Data: data}}
}

// op declares an operation with its policy action.
func op(id, method, path, summary, action string, tags ...string) huma.Operation {
	if len(tags) == 0 {
		tags = []string{"bridgx"}
	}
	return auth.Policy(huma.Operation{OperationID: "bridgx-" + id, Method: method, Path: path, Summary: summary,
		Tags: tags, DefaultStatus: http.StatusOK}, action)
}

// ownerOf is who creates objects: the caller's project owns them.
func ownerOf(ctx context.Context) cluster.Owner {
	o := cluster.Owner{Scope: auth.ScopeOf(ctx)}
	if c := auth.From(ctx); c != nil {
		o.UserID = c.UserID()
		o.DomainID, o.ProjectID = c.Token.DomainID, c.Token.ProjectID
		if c.Grant.Breadth == identity.BreadthProject {
			o.DomainID, o.ProjectID = c.Grant.DomainID, c.Grant.ProjectID
		}
	}
	return o
}

// pageParams parses page_number and page_size.
func pageParams(number, size string) (listing.Params, error) {
	return listing.PageNumber(number, size, DefaultPageSize, MaxPageSize)
}

// bridgXPager is the lower-case pager of cluster, task and instance lists.
type bridgXPager struct {
	PageNumber int `json:"page_number"`
	PageSize   int `json:"page_size"`
	Total      int `json:"total"`
}

func pager(p listing.Params, total int) bridgXPager {
	return bridgXPager{PageNumber: p.Offset/max(p.Limit, 1) + 1, PageSize: p.Limit, Total: total}
}

// bridgXBigPager is the PascalCase pager of the network lists.
type bridgXBigPager struct {
	PageNumber int `json:"PageNumber"`
	PageSize   int `json:"PageSize"`
	Total      int `json:"Total"`
}

func bigPager(p listing.Params, total int) bridgXBigPager {
	return bridgXBigPager{PageNumber: p.Offset/max(p.Limit, 1) + 1, PageSize: p.Limit, Total: total}
}

// body holds request parameters from a JSON (or form) body, merged over
// the query string.
type body map[string]any

// rawInput is a request whose parameters come in the body (JSON with
// BridgX's habits tolerated: trailing commas, numbers as strings). The body
// is read by Resolve rather than by the framework, because BridgX clients
// send bodies the framework refuses (trailing commas) and send none at all.
type rawInput struct {
	raw    []byte
	ctype  string
	rawErr error
}

// maxBody bounds a BridgX request body.
const maxBody = 4 << 20

// Resolve reads the body; a failure is reported by the handler.
func (in *rawInput) Resolve(ctx huma.Context) []error {
	in.ctype = ctx.Header("Content-Type")
	r := ctx.BodyReader()
	if r == nil {
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	switch {
	case err != nil:
		in.rawErr = errs.Field("body", "cannot read the request body: "+err.Error())
	case len(raw) > maxBody:
		in.rawErr = &errs.Error{Code: errs.TooLarge, Message: fmt.Sprintf("the request body is over %d bytes", maxBody)}
	}
	in.raw = raw
	return nil
}

// parseBody decodes a request body: a JSON object (trailing commas
// allowed) or a form; empty is {}.
func parseBody(contentType string, raw []byte) (body, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return body{}, nil
	}
	if strings.HasPrefix(strings.ToLower(contentType), "application/x-www-form-urlencoded") {
		v, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, errs.Field("body", "not a form: "+err.Error())
		}
		return fromValues(v), nil
	}
	dec := json.NewDecoder(bytes.NewReader(RelaxJSON(raw)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, errs.Field("body", "not a JSON object: "+err.Error())
	}
	if m == nil {
		m = map[string]any{}
	}
	return body(m), nil
}

func fromValues(v url.Values) body {
	out := body{}
	for k, vs := range v {
		if len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out
}

// RelaxJSON drops the trailing commas BridgX's documented requests carry
// ({"size":50,}) so they parse; everything else is left to the JSON decoder.
func RelaxJSON(b []byte) []byte {
	out := make([]byte, 0, len(b))
	inStr, esc := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			out = append(out, c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		if c == '"' {
			inStr = true
		}
		if c == ',' {
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
				j++
			}
			if j < len(b) && (b[j] == '}' || b[j] == ']') {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// str reads a string parameter; numbers and booleans are taken as text.
func (b body) str(name string) (string, error) {
	v, ok := b[name]
	if !ok || v == nil {
		return "", nil
	}
	// Strict, as BridgX's own typed decoding is: a number or a boolean
	// where text belongs is a mistake, not a name ("true" would become a
	// VPC's name in the cloud).
	if x, ok := v.(string); ok {
		return strings.TrimSpace(x), nil
	}
	return "", errs.Field(name, "must be a string")
}

// num reads an integer parameter given as a number or numeric text.
func (b body) num(name string) (int, bool, error) {
	v, ok := b[name]
	if !ok || v == nil {
		return 0, false, nil
	}
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
		if s == "" {
			return 0, false, nil
		}
	default:
		return 0, false, errs.Field(name, "must be an integer")
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false, errs.Field(name, fmt.Sprintf("%q is not an integer", s))
	}
	return n, true, nil
}

// strs reads a list of strings given as a JSON array, a JSON array in a
// string, or comma-separated text.
func (b body) strs(name string) ([]string, error) {
	v, ok := b[name]
	if !ok || v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, errs.Field(fmt.Sprintf("%s[%d]", name, i), "must be a string")
			}
			out = append(out, strings.TrimSpace(s))
		}
		return out, nil
	case string:
		s := strings.TrimSpace(x)
		if strings.HasPrefix(s, "[") {
			var out []string
			if err := json.Unmarshal([]byte(s), &out); err != nil {
				return nil, errs.Field(name, "not a list of strings")
			}
			return out, nil
		}
		var out []string
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	}
	return nil, errs.Field(name, "must be a list of strings")
}

// into decodes an object parameter into v (numbers given as text are
// accepted where v wants numbers).
func (b body) into(name string, v any) (bool, error) {
	raw, ok := b[name]
	if !ok || raw == nil {
		return false, nil
	}
	if s, isStr := raw.(string); isStr {
		if strings.TrimSpace(s) == "" {
			return false, nil
		}
		var m any
		if err := json.Unmarshal(RelaxJSON([]byte(s)), &m); err != nil {
			return false, errs.Field(name, "must be an object")
		}
		raw = m
	}
	enc, _ := json.Marshal(raw)
	if err := json.Unmarshal(enc, v); err != nil {
		return false, errs.Field(name, fieldErr(err))
	}
	return true, nil
}

func fieldErr(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s must be %s, not %s", te.Field, te.Type, te.Value)
	}
	return err.Error()
}

// flexInt is an integer that may come as text.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `" `)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not an integer", s)
	}
	*f = flexInt(n)
	return nil
}

// needBody parses the request body.
func needBody(in *rawInput) (body, error) {
	if in.rawErr != nil {
		return nil, in.rawErr
	}
	return parseBody(in.ctype, in.raw)
}

// merge adds query parameters that the body does not set.
func (b body) merge(q map[string]string) body {
	for k, v := range q {
		if _, ok := b[k]; !ok && v != "" {
			b[k] = v
		}
	}
	return b
}
