package starvcentersim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// The wire constants of the StarVCenter integration API.
const (
	// BasePath is the path of BaseURL on a StarVCenter server.
	BasePath = "/starvcenter/services/cloudresource"
	// ServicesPath is the "interface description" address of the document.
	ServicesPath = "/starvcenter/services"
	// HeaderToken carries the tenant token.
	HeaderToken = "KEY_TOKEN"
	// FormParam carries the Base64-encoded JSON business parameters.
	FormParam = "KEY_PARAM"
)

// Result codes of the response envelope.
const (
	ResultOK        = "0"
	ResultFailed    = "1"
	ResultAuthError = "1003"
)

// Response is the decoded response envelope. Data stays raw so a caller can
// unmarshal it into whatever shape the endpoint documents.
type Response struct {
	Result     string          `json:"result"`
	Data       json.RawMessage `json:"data,omitempty"`
	StartID    string          `json:"startid,omitempty"`
	DataCount  *int            `json:"dataCount,omitempty"`
	ResultInfo string          `json:"resultinfo,omitempty"`
}

// OK reports whether the envelope carries result 0.
func (r *Response) OK() bool { return r.Result == ResultOK }

// EncodeParam marshals v as JSON and encodes it as standard Base64, the form
// KEY_PARAM takes.
func EncodeParam(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode KEY_PARAM: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// ParamForm returns the url-encoded form body carrying v as KEY_PARAM.
func ParamForm(v any) (string, error) {
	p, err := EncodeParam(v)
	if err != nil {
		return "", err
	}
	return url.Values{FormParam: {p}}.Encode(), nil
}

// Errors DecodeParam returns; the server maps both to result 1.
var (
	ErrBadBase64 = errors.New("KEY_PARAM is not valid Base64")
	ErrBadJSON   = errors.New("KEY_PARAM is not a JSON object")
)

// DecodeBase64 decodes Base64 leniently: line breaks (as Java's MIME encoders
// insert) are dropped, spaces are read as '+' (a '+' that reached a form
// unescaped), and padded, unpadded and URL-safe alphabets are all accepted.
func DecodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\n', '\t':
			return -1
		case ' ':
			return '+'
		}
		return r
	}, s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, ErrBadBase64
}

// DecodeParam decodes a KEY_PARAM value into a JSON object. An empty value is
// an empty object. Numbers are kept as json.Number.
func DecodeParam(s string) (map[string]any, error) {
	if strings.TrimSpace(s) == "" {
		return map[string]any{}, nil
	}
	raw, err := DecodeBase64(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // a UTF-8 BOM some encoders add
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, ErrBadJSON
	}
	if _, err := dec.Token(); err == nil {
		return nil, ErrBadJSON // trailing data after the object
	}
	return m, nil
}

// UnmarshalJSON accepts result, startid and dataCount as JSON strings or
// numbers, since the document shows them both ways.
func (r *Response) UnmarshalJSON(b []byte) error {
	var w struct {
		Result     json.RawMessage `json:"result"`
		Data       json.RawMessage `json:"data"`
		StartID    json.RawMessage `json:"startid"`
		DataCount  json.RawMessage `json:"dataCount"`
		ResultInfo json.RawMessage `json:"resultinfo"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	r.Result = scalarText(w.Result)
	r.Data = w.Data
	r.StartID = scalarText(w.StartID)
	r.ResultInfo = scalarText(w.ResultInfo)
	r.DataCount = nil
	if c := scalarText(w.DataCount); c != "" {
		var n int
		if _, err := fmt.Sscan(c, &n); err != nil {
			return fmt.Errorf("dataCount %q: %w", c, err)
		}
		r.DataCount = &n
	}
	return nil
}

// scalarText renders a JSON string or number as text; null and absent give "".
func scalarText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// EncodeResponse marshals the envelope and Base64-encodes it, as the server
// writes it.
func EncodeResponse(r *Response) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(len(b)))
	base64.StdEncoding.Encode(out, b)
	return out, nil
}

// DecodeResponse decodes a Base64 response body into the envelope. A body
// that is already plain JSON is accepted too.
func DecodeResponse(body []byte) (*Response, error) {
	body = bytes.TrimSpace(body)
	raw := body
	if len(body) == 0 || body[0] != '{' {
		b, err := DecodeBase64(string(body))
		if err != nil {
			return nil, fmt.Errorf("decode response: %w", err)
		}
		raw = b
	}
	var r Response
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	return &r, nil
}
