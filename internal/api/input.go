package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/skyfold/skyfold/internal/errs"
)

// The input path every face shares. Before a handler (or huma's decoder)
// sees a request, the middleware refuses what no field of any face may
// hold: text that is not UTF-8, NUL and other control characters (tab,
// line feed and carriage return aside), and bodies that are not JSON. The
// store and the clouds never see such input, and the caller learns which
// field was at fault in its face's envelope. Field-specific rules (lengths,
// ranges, enums) live on the faces' typed inputs.

// MaxStringBytes is the longest string any JSON body may carry in one value;
// faces declare tighter limits on their fields.
const MaxStringBytes = 64 << 10

// hasBody reports whether the request carries a body to check.
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

// jsonMediaType reports whether a Content-Type names JSON. An absent one
// counts as JSON, as huma assumes: scripts often omit it.
func jsonMediaType(ct string) bool {
	if strings.TrimSpace(ct) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// checkQuery refuses control characters and invalid UTF-8 in the path and
// the query string, naming the parameter.
func checkQuery(r *http.Request) *errs.Error {
	if reason := badText(r.URL.Path); reason != "" {
		return errs.Field("path", reason)
	}
	if r.URL.RawQuery == "" || plainQuery(r.URL.RawQuery) {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errs.Field("query", "malformed query string: "+err.Error())
	}
	for name, vs := range q {
		if reason := badText(name); reason != "" {
			return errs.Field(clip(name), "parameter name "+reason)
		}
		for _, v := range vs {
			if reason := badText(v); reason != "" {
				return errs.Field(name, reason)
			}
		}
	}
	return nil
}

// plainQuery reports whether a raw query can hold nothing checkQuery
// refuses: without a percent escape only its own bytes can be decoded, and
// those are printable ASCII or valid UTF-8.
func plainQuery(raw string) bool {
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c == '%' || c < 0x20 || c == 0x7f {
			return false
		}
	}
	return utf8.ValidString(raw)
}

// checkJSONBody refuses a JSON body with a string (or key) that is not
// valid UTF-8, holds a control character, or is over MaxStringBytes. It
// leaves malformed JSON to the face's decoder, which explains it in the
// face's terms. The scan is cheap when the body is clean: only a body with
// an escape that could be a control character, invalid UTF-8 or a long run
// is decoded to find the field.
func checkJSONBody(body []byte) *errs.Error {
	if !suspicious(body) {
		return nil
	}
	if !utf8.Valid(body) {
		// The decoder would quietly turn the bad bytes into U+FFFD, so the
		// field cannot be named: say where in the body they are.
		i := 0
		for i < len(body) {
			r, n := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return errs.Field("body", fmt.Sprintf("is not valid UTF-8 (at byte %d)", i))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var e *errs.Error
	if errors.As(walkJSON(dec, ""), &e) {
		return e
	}
	return nil
}

// suspicious is the fast pre-check: false means checkJSONBody has nothing
// to refuse.
func suspicious(body []byte) bool {
	// A body too short to hold a name over its limit has nothing to measure.
	if len(body) > MaxNameChars || !utf8.Valid(body) {
		return true
	}
	for i := 0; i+1 < len(body); i++ {
		if body[i] == '\\' && body[i+1] == 'u' {
			return true
		}
		if body[i] == 0x7f {
			return true
		}
	}
	return false
}

// errMalformed stops the walk: the face's decoder explains malformed JSON
// in the face's terms.
var errMalformed = errors.New("malformed JSON")

// walkJSON reads one value from dec and checks every string in it; path is
// the dotted field path of the value ("" for the body). It returns the
// first problem, or errMalformed when the JSON breaks off.
func walkJSON(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return errMalformed
	}
	switch t := tok.(type) {
	case string:
		if e := checkString(path, t); e != nil {
			return e
		}
	case json.Delim:
		switch t {
		case '{':
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return errMalformed
				}
				key, _ := kt.(string)
				field := joinPath(path, key)
				if reason := badText(key); reason != "" {
					return errs.Field(clip(field), "field name "+reason)
				}
				if err := walkJSON(dec, field); err != nil {
					return err
				}
			}
		case '[':
			for i := 0; dec.More(); i++ {
				if err := walkJSON(dec, path+"["+strconv.Itoa(i)+"]"); err != nil {
					return err
				}
			}
		}
		if _, err := dec.Token(); err != nil {
			return errMalformed
		}
	}
	return nil
}

// Field lengths every face shares, by the last name in a field's path; a
// face may declare tighter ones on its inputs. They are in characters and
// listed in docs/compat.md.
const (
	MaxNameChars        = 255  // name, *_name, hostname, username: Keystone's and CloudKitty's columns
	MaxIDChars          = 255  // id, *_id: ids of every kind Skyfold or a cloud makes fit
	MaxDescriptionChars = 4096 // description, desc, *_description
	MaxSecretChars      = 4096 // password, secret, *_secret, *_password: Keystone's password limit
)

// fieldLimit is the most characters the field may hold, or 0 for only the
// byte limit every string has.
func fieldLimit(field string) (int, string) {
	last := field
	if i := strings.LastIndexByte(last, '.'); i >= 0 {
		last = last[i+1:]
	}
	if i := strings.IndexByte(last, '['); i >= 0 {
		last = last[:i]
	}
	last = strings.ToLower(last)
	switch {
	case last == "name" || strings.HasSuffix(last, "_name") || last == "hostname" || last == "username":
		return MaxNameChars, "name"
	case last == "id" && strings.HasSuffix(strings.ToLower(field), "token.id"):
		return 0, "" // a Keystone token is its signed form, longer than any id
	case last == "id" || strings.HasSuffix(last, "_id"):
		return MaxIDChars, "id"
	case last == "description" || last == "desc" || strings.HasSuffix(last, "_description"):
		return MaxDescriptionChars, "description"
	case last == "password" || last == "secret" || strings.HasSuffix(last, "_secret") || strings.HasSuffix(last, "_password"):
		return MaxSecretChars, "secret"
	}
	return 0, ""
}

func checkString(field, s string) *errs.Error {
	if field == "" {
		field = "body"
	}
	if len(s) > MaxStringBytes {
		return errs.Field(clip(field), fmt.Sprintf("is %d bytes long; the most any field takes is %d", len(s), MaxStringBytes))
	}
	if most, what := fieldLimit(field); most > 0 && len(s) > most {
		if n := utf8.RuneCountInString(s); n > most {
			return errs.Field(clip(field), fmt.Sprintf("is %d characters long; the most a %s takes is %d", n, what, most))
		}
	}
	if reason := badText(s); reason != "" {
		return errs.Field(clip(field), reason)
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// badText says why s may not be stored, or "" when it may.
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for i, r := range s {
		switch {
		case r == 0:
			return fmt.Sprintf("contains a NUL character (U+0000) at byte %d", i)
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7f:
			return fmt.Sprintf("contains the control character U+%04X at byte %d", r, i)
		}
	}
	return ""
}

// clip keeps echoed input short: a field path built from a hostile key
// could otherwise be as long as the body.
func clip(s string) string {
	const most = 64
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

type inputProblemKey struct{}

// inputProblem is what checkInput found wrong with the request, or nil.
func inputProblem(ctx context.Context) *errs.Error {
	e, _ := ctx.Value(inputProblemKey{}).(*errs.Error)
	return e
}

// checkInput checks the query and, for a JSON body, every string in it.
// It reads the (size-limited) body and hands it on unchanged.
func (s *Server) checkInput(r *http.Request) *errs.Error {
	if e := checkQuery(r); e != nil {
		return e
	}
	if !hasBody(r) || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	if ct := r.Header.Get("Content-Type"); !jsonMediaType(ct) {
		return &errs.Error{Code: errs.UnsupportedMedia,
			Message: fmt.Sprintf("Content-Type %q is not accepted: send JSON (application/json)", clip(ct)),
			Fields:  []errs.FieldError{{Field: "Content-Type", Reason: "must be application/json"}}}
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errs.E(errs.TooLarge, "request body is over the %d-byte limit", s.opts.BodyLimit)
		}
		return errs.Wrap(err, errs.Invalid, "cannot read the request body")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return checkJSONBody(body)
}
