package cluster

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
)

// privateBlocks are the ranges a VPC's CIDR must lie in.
var privateBlocks = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

// DefaultVPCCIDR is the CIDR of a VPC created without one.
const DefaultVPCCIDR = "172.16.0.0/12"

// ValidateVPCCIDR checks a VPC's CIDR: an IPv4 network address inside
// 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with a mask of 8 to 24 bits.
func ValidateVPCCIDR(field, s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, errs.Field(field, fmt.Sprintf("%s is not an IPv4 CIDR block such as 172.16.0.0/12", quoted(s)))
	}
	if p.Bits() < 8 || p.Bits() > 24 {
		return netip.Prefix{}, errs.Field(field, fmt.Sprintf("mask /%d is outside 8 to 24", p.Bits()))
	}
	if p.Masked() != p {
		return netip.Prefix{}, errs.Field(field, fmt.Sprintf("%s is not a network address (did you mean %s?)", p, p.Masked()))
	}
	for _, b := range privateBlocks {
		if b.Bits() <= p.Bits() && b.Contains(p.Addr()) {
			return p, nil
		}
	}
	return netip.Prefix{}, errs.Field(field, fmt.Sprintf("%s is not within 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16", p))
}

// ValidateSubnetCIDR checks a subnet's CIDR: an IPv4 network address with a
// mask of 16 to 29 bits inside the VPC's CIDR (when vpc is valid).
func ValidateSubnetCIDR(field, s string, vpc netip.Prefix) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, errs.Field(field, fmt.Sprintf("%s is not an IPv4 CIDR block such as 172.16.0.0/24", quoted(s)))
	}
	if p.Bits() < 16 || p.Bits() > 29 {
		return netip.Prefix{}, errs.Field(field, fmt.Sprintf("mask /%d is outside 16 to 29", p.Bits()))
	}
	if p.Masked() != p {
		return netip.Prefix{}, errs.Field(field, fmt.Sprintf("%s is not a network address (did you mean %s?)", p, p.Masked()))
	}
	if vpc.IsValid() && !(vpc.Bits() <= p.Bits() && vpc.Contains(p.Addr())) {
		return netip.Prefix{}, errs.Field(field, fmt.Sprintf("%s is not inside the VPC's CIDR %s", p, vpc))
	}
	return p, nil
}

// ReservedAddresses are the addresses of a subnet its cloud keeps for
// itself: the first one and the last three.
func ReservedAddresses(p netip.Prefix) []netip.Addr {
	p = p.Masked()
	first := p.Addr()
	size := uint32(1) << (32 - p.Bits())
	b := first.As4()
	base := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	out := []netip.Addr{first}
	for _, off := range []uint32{size - 3, size - 2, size - 1} {
		v := base + off
		out = append(out, netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}))
	}
	return out
}

// UsableAddresses is how many addresses of a subnet instances can get.
func UsableAddresses(p netip.Prefix) int { return 1<<(32-p.Bits()) - 4 }

// ValidateGatewayIP checks a gateway address given for a subnet: it must lie
// in the subnet and be neither its network nor its broadcast address. (The
// cloud keeps the first and the last three addresses for itself, its gateway
// among them, so the gateway is usually one of those.)
func ValidateGatewayIP(field, s string, subnet netip.Prefix) error {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil || !a.Is4() {
		return errs.Field(field, fmt.Sprintf("%s is not an IPv4 address", quoted(s)))
	}
	if !subnet.Contains(a) {
		return errs.Field(field, fmt.Sprintf("%s is not inside %s", a, subnet))
	}
	r := ReservedAddresses(subnet)
	if a == r[0] || a == r[3] {
		return errs.Field(field, fmt.Sprintf("%s is the network or broadcast address of %s", a, subnet))
	}
	return nil
}

// nameRule is how a kind of name may look.
type nameRule struct {
	min, max int
	extra    string // punctuation allowed besides letters and digits
}

var (
	vpcNameRule     = nameRule{2, 64, "._-"}
	switchNameRule  = nameRule{2, 128, "._-"}
	sgNameRule      = nameRule{2, 128, ":._-"}
	clusterNameRule = nameRule{1, 128, ":._-"}
)

// ValidateName checks a name: length in characters, starting with a letter
// (Chinese characters are letters), then letters, digits and the rule's
// punctuation, never starting with http:// or https://.
func validateName(field, s string, r nameRule, mustStartWithLetter bool) error {
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return errs.Field(field, "required")
	}
	if n < r.min || n > r.max {
		return errs.Field(field, fmt.Sprintf("%d characters; it must have %d to %d", n, r.min, r.max))
	}
	low := strings.ToLower(s)
	if strings.HasPrefix(low, "http://") || strings.HasPrefix(low, "https://") {
		return errs.Field(field, "must not start with http:// or https://")
	}
	for i, c := range s {
		switch {
		case unicode.IsLetter(c):
		case unicode.IsDigit(c) && (i > 0 || !mustStartWithLetter):
		case i == 0:
			if mustStartWithLetter {
				return errs.Field(field, "must start with a letter or a Chinese character")
			}
			return errs.Field(field, "must start with a letter, a digit or a Chinese character")
		case strings.ContainsRune(r.extra, c):
		default:
			return errs.Field(field, fmt.Sprintf("may contain only letters, Chinese characters, digits and %s, not %q", punct(r.extra), c))
		}
	}
	return nil
}

func punct(s string) string {
	parts := make([]string, 0, len(s))
	for _, c := range s {
		parts = append(parts, strconv.QuoteRune(c))
	}
	return strings.Join(parts, ", ")
}

// ValidateVPCName checks a VPC name (2–64 characters).
func ValidateVPCName(field, s string) error { return validateName(field, s, vpcNameRule, true) }

// ValidateSwitchName checks a subnet (vSwitch) name (2–128 characters).
func ValidateSwitchName(field, s string) error { return validateName(field, s, switchNameRule, true) }

// ValidateSecurityGroupName checks a security group name (2–128 characters).
func ValidateSecurityGroupName(field, s string) error {
	return validateName(field, s, sgNameRule, true)
}

// ValidateClusterName checks a cluster name (1–128 characters).
func ValidateClusterName(field, s string) error {
	if strings.TrimSpace(s) != s {
		return errs.Field(field, "must not start or end with a space")
	}
	return validateName(field, s, clusterNameRule, false)
}

// Rule is a security group rule as BridgX takes it.
type Rule struct {
	Protocol  string `json:"protocol"`
	PortRange string `json:"port_range"`
	Direction string `json:"direction"`
	GroupID   string `json:"group_id"`
	CIDRIP    string `json:"cidr_ip"`
}

// MaxRules is how many rules a security group may hold.
const MaxRules = 200

// ValidateRules checks BridgX rules and turns them into the SPI's, dropping
// repeats. field names the list ("rules").
func ValidateRules(field string, in []Rule) ([]cloud.SecurityGroupRule, error) {
	var fs []errs.FieldError
	var out []cloud.SecurityGroupRule
	seen := map[string]bool{}
	for i, r := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		rule, fe, nse := validateRule(f, r)
		if nse != nil {
			return nil, nse
		}
		if len(fe) > 0 {
			fs = append(fs, fe...)
			continue
		}
		if seen[rule.Key()] {
			continue
		}
		seen[rule.Key()] = true
		out = append(out, rule)
	}
	if err := errs.Fields(fs...); err != nil {
		return nil, err
	}
	if len(out) > MaxRules {
		return nil, errs.Field(field, fmt.Sprintf("%d rules; a security group holds at most %d", len(out), MaxRules))
	}
	return out, nil
}

func validateRule(f string, r Rule) (cloud.SecurityGroupRule, []errs.FieldError, error) {
	var fs []errs.FieldError
	proto := strings.ToLower(strings.TrimSpace(r.Protocol))
	ports := strings.TrimSpace(r.PortRange)
	switch proto {
	case "tcp", "udp":
		if msg := checkPorts(ports); msg != "" {
			fs = append(fs, errs.FieldError{Field: f + ".port_range", Reason: msg})
		}
	case "icmp", "gre", "all":
		if ports == "" {
			ports = "-1/-1"
		}
		if ports != "-1/-1" {
			fs = append(fs, errs.FieldError{Field: f + ".port_range", Reason: fmt.Sprintf("%s: %s rules take -1/-1", quoted(r.PortRange), proto)})
		}
	case "":
		fs = append(fs, errs.FieldError{Field: f + ".protocol", Reason: "required: tcp, udp, icmp, gre or all"})
	default:
		fs = append(fs, errs.FieldError{Field: f + ".protocol", Reason: fmt.Sprintf("%s is not tcp, udp, icmp, gre or all", quoted(r.Protocol))})
	}
	dir := strings.ToLower(strings.TrimSpace(r.Direction))
	if dir != "ingress" && dir != "egress" {
		fs = append(fs, errs.FieldError{Field: f + ".direction", Reason: fmt.Sprintf("%s is not ingress or egress", quoted(r.Direction))})
	}
	cidr := strings.TrimSpace(r.CIDRIP)
	switch {
	case cidr != "":
		if p, err := netip.ParsePrefix(cidr); err == nil && p.Addr().Is4() {
			cidr = p.Masked().String()
		} else if a, err := netip.ParseAddr(cidr); err == nil && a.Is4() {
			cidr = a.String() + "/32"
		} else {
			fs = append(fs, errs.FieldError{Field: f + ".cidr_ip", Reason: fmt.Sprintf("%s is not an IPv4 CIDR block", quoted(r.CIDRIP))})
		}
	case strings.TrimSpace(r.GroupID) != "":
		if len(fs) == 0 {
			return cloud.SecurityGroupRule{}, nil, &errs.Error{Code: errs.NotSupported,
				Message: f + ".group_id: rules whose peer is another security group are not supported by the provider drivers yet; give cidr_ip",
				Fields:  []errs.FieldError{{Field: f + ".group_id", Reason: "security group peers are not supported yet; give cidr_ip"}}}
		}
	default:
		fs = append(fs, errs.FieldError{Field: f, Reason: "give group_id or cidr_ip"})
	}
	if len(fs) > 0 {
		return cloud.SecurityGroupRule{}, fs, nil
	}
	return cloud.SecurityGroupRule{Direction: cloud.Direction(dir), Protocol: proto, PortRange: ports, CIDR: cidr, Action: "accept"}, nil, nil
}

// checkPorts checks a tcp or udp port range "a/b".
func checkPorts(s string) string {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return fmt.Sprintf("%s is not a range such as 22/22 or 1/65535", quoted(s))
	}
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil {
		return fmt.Sprintf("%s is not a range such as 22/22 or 1/65535", quoted(s))
	}
	if lo < 1 || hi > 65535 || lo > hi {
		return fmt.Sprintf("%s: ports must be 1 to 65535, the first not above the second", quoted(s))
	}
	return ""
}

// Subscription periods BridgX accepts.
var (
	weekPeriods  = []int{1, 2, 3, 4}
	monthPeriods = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60}
)

// ValidateCharge checks a charge configuration; an empty charge type is
// PostPaid.
func ValidateCharge(field string, c ChargeConfig) (ChargeConfig, error) {
	switch strings.ToLower(c.ChargeType) {
	case "", "postpaid":
		return ChargeConfig{ChargeType: "PostPaid"}, nil
	case "prepaid":
		c.ChargeType = "PrePaid"
	default:
		return c, errs.Field(field+".charge_type", fmt.Sprintf("%s is not PostPaid or PrePaid", quoted(c.ChargeType)))
	}
	switch strings.ToLower(c.PeriodUnit) {
	case "week":
		c.PeriodUnit = "Week"
		if !slices.Contains(weekPeriods, c.Period) {
			return c, errs.Field(field+".period", fmt.Sprintf("%d: with period_unit Week it must be 1, 2, 3 or 4", c.Period))
		}
		return c, &errs.Error{Code: errs.NotSupported, Message: field + ".period_unit: subscriptions by the week are not supported by the provider drivers yet; use Month",
			Fields: []errs.FieldError{{Field: field + ".period_unit", Reason: "Week is not supported by the provider drivers yet"}}}
	case "month":
		c.PeriodUnit = "Month"
		if !slices.Contains(monthPeriods, c.Period) {
			return c, errs.Field(field+".period", fmt.Sprintf("%d: with period_unit Month it must be one of 1-9, 12, 24, 36, 48, 60", c.Period))
		}
	case "":
		return c, errs.Field(field+".period_unit", "required with PrePaid: Week or Month")
	default:
		return c, errs.Field(field+".period_unit", fmt.Sprintf("%s is not Week or Month", quoted(c.PeriodUnit)))
	}
	return c, nil
}

// ValidateDisks checks a cluster's disks.
func ValidateDisks(field string, d Disks) error {
	var fs []errs.FieldError
	switch {
	case d.SystemDisk.Category == "" && d.SystemDisk.Size == 0:
		fs = append(fs, errs.FieldError{Field: field + ".system_disk", Reason: "required: {category, size}"})
	default:
		if d.SystemDisk.Category == "" {
			fs = append(fs, errs.FieldError{Field: field + ".system_disk.category", Reason: "required, e.g. cloud_efficiency"})
		}
		if d.SystemDisk.Size < 20 || d.SystemDisk.Size > 2048 {
			fs = append(fs, errs.FieldError{Field: field + ".system_disk.size", Reason: fmt.Sprintf("%d GiB is outside 20 to 2048", d.SystemDisk.Size)})
		}
	}
	if len(d.DataDisks) > 16 {
		fs = append(fs, errs.FieldError{Field: field + ".data_disk", Reason: fmt.Sprintf("%d data disks; at most 16", len(d.DataDisks))})
	}
	for i, dd := range d.DataDisks {
		f := fmt.Sprintf("%s.data_disk[%d]", field, i)
		if dd.Category == "" {
			fs = append(fs, errs.FieldError{Field: f + ".category", Reason: "required, e.g. cloud_efficiency"})
		}
		if dd.Size < 20 || dd.Size > 32768 {
			fs = append(fs, errs.FieldError{Field: f + ".size", Reason: fmt.Sprintf("%d GiB is outside 20 to 32768", dd.Size)})
		}
	}
	return errs.Fields(fs...)
}
