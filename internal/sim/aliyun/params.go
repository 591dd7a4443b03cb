package aliyunsim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// params holds the flat key/value parameters of one RPC call, merged from the
// query string and a form body. Repeated lists arrive flattened as Name.N or
// Name.N.Field; some arrays arrive as JSON text in one parameter.
type params map[string]string

// maxListIndex bounds N in Name.N parameters; no Aliyun list is that long.
const maxListIndex = 1000

func (p params) str(name string) string { return p[name] }

func (p params) has(name string) bool {
	_, ok := p[name]
	return ok
}

// required returns a mandatory, non-empty parameter.
func (p params) required(name string) (string, *apiError) {
	v := strings.TrimSpace(p[name])
	if v == "" {
		return "", errMissing(name)
	}
	return v, nil
}

// integer parses an optional integer in [min, max]; def when absent.
func (p params) integer(name string, def, min, max int) (int, *apiError) {
	v, ok := p[name]
	if !ok || v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < min || n > max {
		return 0, errInvalid(name)
	}
	return n, nil
}

// boolean parses an optional boolean ("true"/"false", any case).
func (p params) boolean(name string) (bool, *apiError) {
	v, ok := p[name]
	if !ok || v == "" {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errInvalid(name)
}

// oneOf checks an optional enumerated parameter; def when absent.
func (p params) oneOf(name, def string, allowed ...string) (string, *apiError) {
	v := p[name]
	if v == "" {
		return def, nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", errInvalid(name)
}

// list returns Name.1 … Name.N in index order. Gaps are allowed (Aliyun accepts
// them); N above max is an error.
func (p params) list(name string, max int) ([]string, *apiError) {
	prefix := name + "."
	type item struct {
		n int
		v string
	}
	var items []item
	for k, v := range p {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := k[len(prefix):]
		if strings.Contains(rest, ".") {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > maxListIndex {
			return nil, errInvalid(k)
		}
		if n > max {
			return nil, errf(http.StatusBadRequest, "InvalidParameter", "The number of %s exceeds the limit of %d.", name, max)
		}
		items = append(items, item{n, v})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].n < items[j].n })
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.v)
	}
	return out, nil
}

// objects returns Name.N.Field groups in index order, each as a field→value map.
func (p params) objects(name string, max int) ([]map[string]string, *apiError) {
	prefix := name + "."
	byN := map[int]map[string]string{}
	for k, v := range p {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := k[len(prefix):]
		ns, field, ok := strings.Cut(rest, ".")
		if !ok || field == "" {
			continue
		}
		n, err := strconv.Atoi(ns)
		if err != nil || n < 1 || n > maxListIndex {
			return nil, errInvalid(k)
		}
		if n > max {
			return nil, errf(http.StatusBadRequest, "InvalidParameter", "The number of %s exceeds the limit of %d.", name, max)
		}
		m := byN[n]
		if m == nil {
			m = map[string]string{}
			byN[n] = m
		}
		m[field] = v
	}
	ns := make([]int, 0, len(byN))
	for n := range byN {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	out := make([]map[string]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, byN[n])
	}
	return out, nil
}

// Tag is one resource tag.
type Tag struct {
	Key   string
	Value string
}

// tags parses Tag.N.Key / Tag.N.Value (at most 20), validated as Aliyun does.
func (p params) tags(name string) ([]Tag, *apiError) {
	objs, aerr := p.objects(name, 20)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]Tag, 0, len(objs))
	seen := map[string]bool{}
	for _, o := range objs {
		k, v := o["Key"], o["Value"]
		if k == "" {
			if v == "" {
				continue
			}
			return nil, errf(http.StatusBadRequest, "InvalidTagKey.Malformed", "The specified Tag.n.Key is not valid.")
		}
		if aerr := validTag(k, v); aerr != nil {
			return nil, aerr
		}
		if seen[k] {
			return nil, errf(http.StatusBadRequest, "InvalidParameter.TagKeyDuplicate", "The specified tag key %q is duplicated.", k)
		}
		seen[k] = true
		out = append(out, Tag{Key: k, Value: v})
	}
	return out, nil
}

func validTag(k, v string) *apiError {
	lk := strings.ToLower(k)
	if len([]rune(k)) > 128 || strings.HasPrefix(lk, "aliyun") || strings.HasPrefix(lk, "acs:") || strings.Contains(lk, "http://") || strings.Contains(lk, "https://") {
		return errf(http.StatusBadRequest, "InvalidTagKey.Malformed", "The specified Tag.n.Key is not valid.")
	}
	lv := strings.ToLower(v)
	if len([]rune(v)) > 128 || strings.HasPrefix(lv, "acs:") || strings.Contains(lv, "http://") || strings.Contains(lv, "https://") {
		return errf(http.StatusBadRequest, "InvalidTagValue.Malformed", "The specified Tag.n.Value is not valid.")
	}
	return nil
}

// jsonList parses a parameter holding a JSON array of strings, such as
// InstanceIds=["i-a","i-b"]. Absent means nil.
func (p params) jsonList(name string, max int) ([]string, *apiError) {
	v := strings.TrimSpace(p[name])
	if v == "" {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, errf(http.StatusBadRequest, "Invalid"+name+".Malformed", "The specified parameter %q is not valid.", name)
	}
	if len(out) > max {
		return nil, errf(http.StatusBadRequest, "Invalid"+name+".Malformed", "The specified parameter %q has more than %d items.", name, max)
	}
	return out, nil
}

// commaList splits a comma-separated parameter such as VpcId=vpc-a,vpc-b.
func (p params) commaList(name string, max int) ([]string, *apiError) {
	v := strings.TrimSpace(p[name])
	if v == "" {
		return nil, nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	if len(out) > max {
		return nil, errInvalid(name)
	}
	return out, nil
}

// paging reads PageNumber/PageSize with Aliyun's bounds.
func (p params) paging(defSize, maxSize int) (page, size int, aerr *apiError) {
	if page, aerr = p.integer("PageNumber", 1, 1, 1<<30); aerr != nil {
		return 0, 0, aerr
	}
	if size, aerr = p.integer("PageSize", defSize, 1, maxSize); aerr != nil {
		return 0, 0, aerr
	}
	return page, size, nil
}
