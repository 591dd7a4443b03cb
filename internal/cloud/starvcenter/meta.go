package starvcenter

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"strings"
)

// StarVCenter objects carry no tags and accept no client token. The driver
// keeps what it needs in the object's description, after the free text, as
//
//	<free text> [skyfold:{"tok":"…","tags":{…},"vpc":"…"}]
//
// tok is a hash of the caller's client token (never the token itself), tags
// are the object's tags, vpc is the VPC a security group was created for.
// A description without the marker is all free text.

const (
	markerOpen  = "[skyfold:"
	markerClose = "]"
)

// descMeta is what the driver keeps in a description.
type descMeta struct {
	Token string            `json:"tok,omitempty"`
	Tags  map[string]string `json:"tags,omitempty"`
	VPC   string            `json:"vpc,omitempty"`
}

func (m descMeta) empty() bool { return m.Token == "" && len(m.Tags) == 0 && m.VPC == "" }

func (m descMeta) equal(o descMeta) bool {
	return m.Token == o.Token && m.VPC == o.VPC && maps.Equal(m.Tags, o.Tags)
}

// encodeDesc appends the marker to free text (nothing when m is empty).
func encodeDesc(text string, m descMeta) string {
	text = strings.TrimSpace(text)
	if m.empty() {
		return text
	}
	b, err := json.Marshal(m)
	if err != nil { // a map of strings always marshals
		return text
	}
	// No '[' inside the marker, so the last "[skyfold:" is always the
	// marker's own start even when a tag value contains that text ('['
	// only occurs inside strings here, where \u005b means the same).
	b = []byte(strings.ReplaceAll(string(b), "[", `\u005b`))
	if text == "" {
		return markerOpen + string(b) + markerClose
	}
	return text + " " + markerOpen + string(b) + markerClose
}

// decodeDesc splits a description into free text and the driver's marker.
// A marker that does not parse is left in the free text.
func decodeDesc(desc string) (string, descMeta) {
	i := strings.LastIndex(desc, markerOpen)
	if i < 0 {
		return strings.TrimSpace(desc), descMeta{}
	}
	rest := strings.TrimSpace(desc[i+len(markerOpen):])
	if !strings.HasSuffix(rest, markerClose) {
		return strings.TrimSpace(desc), descMeta{}
	}
	var m descMeta
	if err := json.Unmarshal([]byte(strings.TrimSuffix(rest, markerClose)), &m); err != nil {
		return strings.TrimSpace(desc), descMeta{}
	}
	for k := range m.Tags {
		if k == "" {
			delete(m.Tags, k)
		}
	}
	if len(m.Tags) == 0 {
		m.Tags = nil
	}
	return strings.TrimSpace(desc[:i]), m
}

// tokenHash is the short, stable digest of a client token the driver
// records in names and descriptions.
func tokenHash(token string) string {
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])[:12]
}

// nameMarkSep separates a VM's name from its token digest.
const nameMarkSep = ".t"

// markedName builds the name of the index-th VM (1-based) of a create: the
// base, "-index" when the request makes several, and ".t<digest>" when it
// carries a client token, so a retry finds the VMs by name even before
// their description could be written (a VM refuses changes while it
// installs).
func markedName(base string, index, amount int, tok string) string {
	name := base
	if amount > 1 {
		name += "-" + itoa(index)
	}
	if tok != "" {
		name += nameMarkSep + tok
	}
	return name
}

// nameIndex reads the index and token digest back from a VM name made by
// markedName; ok is false for other names.
func nameIndex(name string, amount int, tok string) (int, bool) {
	if tok != "" {
		if !strings.HasSuffix(name, nameMarkSep+tok) {
			return 0, false
		}
		name = strings.TrimSuffix(name, nameMarkSep+tok)
	}
	if amount <= 1 {
		return 1, true
	}
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return 0, false
	}
	n, ok := atoi(name[i+1:])
	if !ok || n < 1 || n > amount {
		return 0, false
	}
	return n, true
}
