package starvcentersim

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// params is a decoded KEY_PARAM object with normalised keys: all white space
// and a trailing '*' are removed, so the document's " vpc.desc",
// "aclrule. securitygroupid" and "vm.firewalld.enable*" match their plain
// spellings.
type params map[string]any

func normKey(k string) string {
	k = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, k)
	return strings.TrimRight(k, "*")
}

func newParams(m map[string]any) params {
	p := make(params, len(m))
	for k, v := range m {
		p[normKey(k)] = v
	}
	return p
}

// raw returns the value of the first key present (not null).
func (p params) raw(keys ...string) (string, any, bool) {
	for _, k := range keys {
		if v, ok := p[k]; ok && v != nil {
			return k, v, true
		}
	}
	return keys[0], nil, false
}

// str returns the first present key's value as text; numbers and booleans are
// rendered, objects and arrays give "".
func (p params) str(keys ...string) string {
	_, v, ok := p.raw(keys...)
	if !ok {
		return ""
	}
	return strings.TrimSpace(scalar(v))
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

func (p params) has(keys ...string) bool { return p.str(keys...) != "" }

// require checks the document's '*' fields; the error names the first
// missing one.
func (p params) require(keys ...string) *apiErr {
	for _, k := range keys {
		if !p.has(k) {
			return failf("缺少必需参数: %s", k)
		}
	}
	return nil
}

// int reads an integer field; ok is false when the field is absent.
func (p params) int(key string, aliases ...string) (n int64, ok bool, e *apiErr) {
	s := p.str(append([]string{key}, aliases...)...)
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1e15 {
			return 0, false, failf("参数%s必须为整数: %q", key, s)
		}
		n = int64(f)
	}
	return n, true, nil
}

// intIn reads an integer field and checks its range.
func (p params) intIn(key string, lo, hi int64) (int64, bool, *apiErr) {
	n, ok, e := p.int(key)
	if e != nil || !ok {
		return n, ok, e
	}
	if n < lo || n > hi {
		return 0, false, failf("参数%s超出范围(%d-%d): %d", key, lo, hi, n)
	}
	return n, true, nil
}

// boolean reads a true/false field.
func (p params) boolean(key string) (b, ok bool, e *apiErr) {
	s := strings.ToLower(p.str(key))
	switch s {
	case "":
		return false, false, nil
	case "true", "1":
		return true, true, nil
	case "false", "0":
		return false, true, nil
	}
	return false, false, failf("参数%s必须为true或false: %q", key, s)
}

// list reads a JSON array of scalars, or a comma-separated string.
func (p params) list(key string) []string {
	_, v, ok := p.raw(key)
	if !ok {
		return nil
	}
	var out []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if s := strings.TrimSpace(scalar(e)); s != "" {
				out = append(out, s)
			}
		}
	default:
		for _, s := range strings.Split(scalar(v), ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// objects reads a JSON array of objects.
func (p params) objects(key string) ([]params, *apiErr) {
	_, v, ok := p.raw(key)
	if !ok {
		return nil, nil
	}
	arr, isArr := v.([]any)
	if !isArr {
		return nil, failf("参数%s必须为JSON数组", key)
	}
	out := make([]params, 0, len(arr))
	for i, e := range arr {
		m, isObj := e.(map[string]any)
		if !isObj {
			return nil, failf("参数%s第%d项必须为JSON对象", key, i+1)
		}
		out = append(out, newParams(m))
	}
	return out, nil
}

// Page is a parsed paging request. A zero Page (Size 0) means "all".
type Page struct {
	Start int // 1-based page number (page.startnum)
	Size  int // rows per page, 1-30 (page.everypagenum)
}

// MaxPageSize is the largest page.everypagenum the document allows.
const MaxPageSize = 30

// ParsePage reads page.startnum and page.everypagenum from a decoded
// KEY_PARAM object. With neither present it returns the zero Page ("all")
// unless required is set. The returned error text names the offending field.
func ParsePage(m map[string]any, required bool) (Page, error) {
	p := newParams(m)
	pg, e := p.page(required)
	if e != nil {
		return Page{}, fmt.Errorf("%s", e.info)
	}
	return pg, nil
}

func (p params) page(required bool) (Page, *apiErr) {
	hasStart, hasSize := p.has("page.startnum"), p.has("page.everypagenum")
	if !hasStart && !hasSize {
		if required {
			return Page{}, failf("缺少必需参数: page.startnum")
		}
		return Page{}, nil
	}
	if !hasStart {
		return Page{}, failf("缺少必需参数: page.startnum (分页查询须同时传入page.startnum与page.everypagenum)")
	}
	if !hasSize {
		return Page{}, failf("缺少必需参数: page.everypagenum (分页查询须同时传入page.startnum与page.everypagenum)")
	}
	start, _, e := p.int("page.startnum")
	if e != nil || start < 1 || start > math.MaxInt32 {
		return Page{}, failf("参数page.startnum必须为正整数: %q", p.str("page.startnum"))
	}
	size, _, e := p.int("page.everypagenum")
	if e != nil || size < 1 || size > MaxPageSize {
		return Page{}, failf("参数page.everypagenum必须为1-30的整数: %q", p.str("page.everypagenum"))
	}
	return Page{Start: int(start), Size: int(size)}, nil
}

// bounds returns the slice bounds of the page in a list of n rows.
func (pg Page) bounds(n int) (lo, hi int) {
	if pg.Size == 0 {
		return 0, n
	}
	lo64 := int64(pg.Start-1) * int64(pg.Size)
	if lo64 >= int64(n) {
		return n, n
	}
	lo = int(lo64)
	hi = min(lo+pg.Size, n)
	return lo, hi
}

// paged cuts rows to the page and returns the reply with dataCount.
func paged(rows []obj, pg Page) *reply {
	lo, hi := pg.bounds(len(rows))
	out := rows[lo:hi]
	if out == nil {
		out = []obj{}
	}
	return &reply{data: out, hasData: true, count: len(rows), hasCount: true}
}

// fuzzy reports whether the filter is empty or contained in v.
func fuzzy(v, filter string) bool {
	return filter == "" || strings.Contains(strings.ToLower(v), strings.ToLower(filter))
}

// exact reports whether the filter is empty or equal to v.
func exact(v, filter string) bool { return filter == "" || v == filter }
