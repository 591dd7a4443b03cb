package cluster_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/cluster"
	"github.com/skyfold/skyfold/internal/errs"
)

func TestValidateVPCCIDR(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{"172.16.0.0/12", ""}, {"10.0.0.0/8", ""}, {"192.168.0.0/16", ""}, {"10.20.0.0/16", ""}, {"192.168.8.0/24", ""},
		{"172.31.0.0/16", ""},
		{"11.0.0.0/8", "not within"}, {"172.0.0.0/8", "not within"}, {"192.168.0.0/15", "not within"}, {"172.32.0.0/16", "not within"},
		{"10.0.0.0/7", "outside 8 to 24"}, {"10.0.0.0/25", "outside 8 to 24"}, {"10.0.0.1/16", "not a network address"},
		{"", "not an IPv4 CIDR"}, {"10.0.0.0", "not an IPv4 CIDR"}, {"fd00::/8", "not an IPv4 CIDR"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := cluster.ValidateVPCCIDR("cidr_block", tc.in)
			check(t, err, "cidr_block", tc.err)
		})
	}
}

func check(t *testing.T, err error, field, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if errs.CodeOf(err) != errs.Invalid || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), field) {
		t.Fatalf("got %v, want an invalid %s saying %q", err, field, want)
	}
}

func TestValidateSubnetCIDR(t *testing.T) {
	vpc := netip.MustParsePrefix("172.16.0.0/12")
	for _, tc := range []struct {
		in, err string
	}{
		{"172.16.0.0/24", ""}, {"172.31.255.248/29", ""}, {"172.16.0.0/16", ""},
		{"172.16.0.0/15", "outside 16 to 29"}, {"172.16.0.0/30", "outside 16 to 29"}, {"10.0.0.0/24", "not inside the VPC"},
		{"172.16.0.1/24", "not a network address"}, {"x", "not an IPv4 CIDR"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			_, err := cluster.ValidateSubnetCIDR("cidr_block", tc.in, vpc)
			check(t, err, "cidr_block", tc.err)
		})
	}
}

func TestReservedAddresses(t *testing.T) {
	p := netip.MustParsePrefix("192.168.1.0/24")
	got := fmt.Sprint(cluster.ReservedAddresses(p))
	if got != "[192.168.1.0 192.168.1.253 192.168.1.254 192.168.1.255]" {
		t.Fatalf("reserved %s", got)
	}
	if n := cluster.UsableAddresses(netip.MustParsePrefix("10.0.0.0/29")); n != 4 {
		t.Fatalf("usable in /29: %d", n)
	}
	check(t, cluster.ValidateGatewayIP("gateway_ip", "192.168.1.254", p), "", "")
	check(t, cluster.ValidateGatewayIP("gateway_ip", "192.168.1.255", p), "gateway_ip", "broadcast")
	check(t, cluster.ValidateGatewayIP("gateway_ip", "192.168.2.1", p), "gateway_ip", "not inside")
}

func TestValidateNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(string, string) error
		in   string
		err  string
	}{
		{"vpc", cluster.ValidateVPCName, "abc", ""},
		{"vpc", cluster.ValidateVPCName, "vpc测试一", ""},
		{"vpc", cluster.ValidateVPCName, "默认的vpc", ""},
		{"vpc", cluster.ValidateVPCName, "a.b_c-d", ""},
		{"vpc", cluster.ValidateVPCName, "a", "2 to 64"},
		{"vpc", cluster.ValidateVPCName, strings.Repeat("长", 65), "2 to 64"},
		{"vpc", cluster.ValidateVPCName, "_abc", "start with a letter"},
		{"vpc", cluster.ValidateVPCName, "9abc", "start with a letter"},
		{"vpc", cluster.ValidateVPCName, "https://abc", "http"},
		{"vpc", cluster.ValidateVPCName, "a b", "may contain only"},
		{"switch", cluster.ValidateSwitchName, "VSwitch-1", ""},
		{"switch", cluster.ValidateSwitchName, strings.Repeat("s", 128), ""},
		{"switch", cluster.ValidateSwitchName, strings.Repeat("s", 129), "2 to 128"},
		{"sg", cluster.ValidateSecurityGroupName, "sg:web_1-a", ""},
		{"sg", cluster.ValidateSecurityGroupName, "sg/web", "may contain only"},
		{"cluster", cluster.ValidateClusterName, "gf.bridgx.online", ""},
		{"cluster", cluster.ValidateClusterName, "测试集群", ""},
		{"cluster", cluster.ValidateClusterName, "1x", ""},
		{"cluster", cluster.ValidateClusterName, " x", "space"},
		{"cluster", cluster.ValidateClusterName, "", "required"},
	} {
		t.Run(tc.name+"/"+tc.in, func(t *testing.T) { check(t, tc.fn("name", tc.in), "name", tc.err) })
	}
}

func TestValidateRules(t *testing.T) {
	r := func(proto, ports, dir, cidr string) cluster.Rule {
		return cluster.Rule{Protocol: proto, PortRange: ports, Direction: dir, CIDRIP: cidr}
	}
	got, err := cluster.ValidateRules("rules", []cluster.Rule{
		r("tcp", "22/22", "ingress", "10.0.0.0/8"), r("TCP", "22/22", "ingress", "10.0.0.0/8"), // the same rule twice
		r("icmp", "", "ingress", "0.0.0.0/0"), r("all", "-1/-1", "egress", "10.1.2.3"),
	})
	if err != nil || len(got) != 3 || got[1].PortRange != "-1/-1" || got[2].CIDR != "10.1.2.3/32" {
		t.Fatalf("rules %+v %v", got, err)
	}
	for _, tc := range []struct {
		rule        cluster.Rule
		field, want string
	}{
		{r("sctp", "1/2", "ingress", "0.0.0.0/0"), "rules[0].protocol", "tcp, udp, icmp, gre or all"},
		{r("udp", "1-2", "ingress", "0.0.0.0/0"), "rules[0].port_range", "range"},
		{r("udp", "0/2", "ingress", "0.0.0.0/0"), "rules[0].port_range", "1 to 65535"},
		{r("udp", "1/65536", "ingress", "0.0.0.0/0"), "rules[0].port_range", "1 to 65535"},
		{r("gre", "1/1", "ingress", "0.0.0.0/0"), "rules[0].port_range", "-1/-1"},
		{r("tcp", "1/1", "in", "0.0.0.0/0"), "rules[0].direction", "ingress or egress"},
		{r("tcp", "1/1", "ingress", ""), "rules[0]", "group_id or cidr_ip"},
	} {
		_, err := cluster.ValidateRules("rules", []cluster.Rule{tc.rule})
		check(t, err, tc.field, tc.want)
	}
	_, err = cluster.ValidateRules("rules", []cluster.Rule{{Protocol: "tcp", PortRange: "1/1", Direction: "ingress", GroupID: "sg-1"}})
	if errs.CodeOf(err) != errs.NotSupported || !strings.Contains(err.Error(), "group_id") {
		t.Fatalf("group peer: %v", err)
	}
	var many []cluster.Rule
	for i := range cluster.MaxRules + 1 {
		many = append(many, r("tcp", fmt.Sprintf("%d/%d", i+1, i+1), "ingress", "0.0.0.0/0"))
	}
	_, err = cluster.ValidateRules("rules", many)
	check(t, err, "rules", "at most 200")
	if _, err := cluster.ValidateRules("rules", many[:cluster.MaxRules]); err != nil {
		t.Fatalf("200 rules: %v", err)
	}
}

func TestValidateCharge(t *testing.T) {
	for _, tc := range []struct {
		in          cluster.ChargeConfig
		field, want string
	}{
		{cluster.ChargeConfig{}, "", ""},
		{cluster.ChargeConfig{ChargeType: "postpaid"}, "", ""},
		{cluster.ChargeConfig{ChargeType: "PrePaid", PeriodUnit: "Month", Period: 12}, "", ""},
		{cluster.ChargeConfig{ChargeType: "PrePaid", PeriodUnit: "Month", Period: 11}, "charge_config.period", "1-9, 12"},
		{cluster.ChargeConfig{ChargeType: "PrePaid", PeriodUnit: "Week", Period: 5}, "charge_config.period", "1, 2, 3 or 4"},
		{cluster.ChargeConfig{ChargeType: "PrePaid", PeriodUnit: "Year", Period: 1}, "charge_config.period_unit", "Week or Month"},
		{cluster.ChargeConfig{ChargeType: "PrePaid", Period: 1}, "charge_config.period_unit", "required"},
		{cluster.ChargeConfig{ChargeType: "Spot"}, "charge_config.charge_type", "PostPaid or PrePaid"},
	} {
		_, err := cluster.ValidateCharge("charge_config", tc.in)
		check(t, err, tc.field, tc.want)
	}
	if _, err := cluster.ValidateCharge("charge_config", cluster.ChargeConfig{ChargeType: "PrePaid", PeriodUnit: "Week", Period: 2}); errs.CodeOf(err) != errs.NotSupported {
		t.Fatalf("weekly subscription: %v", err)
	}
}

func FuzzValidateCIDR(f *testing.F) {
	for _, s := range []string{"172.16.0.0/12", "10.0.0.0/8", "192.168.0.0/16", "10.0.0.1/16", "::/0", "", "1.2.3.4/40"} {
		f.Add(s)
	}
	vpc := netip.MustParsePrefix("10.0.0.0/8")
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := cluster.ValidateVPCCIDR("cidr_block", s); err == nil {
			if p.Bits() < 8 || p.Bits() > 24 || p.Masked() != p {
				t.Fatalf("accepted %s", p)
			}
		} else if errs.CodeOf(err) != errs.Invalid {
			t.Fatalf("error code %v", err)
		}
		if p, err := cluster.ValidateSubnetCIDR("cidr_block", s, vpc); err == nil && (!vpc.Contains(p.Addr()) || p.Bits() < 16 || p.Bits() > 29) {
			t.Fatalf("accepted subnet %s", p)
		}
		_, _ = cluster.ParseDate(s, time.UTC)
		_ = cluster.ValidateVPCName("vpc_name", s)
	})
}
