package aliyunsim_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	vpc "github.com/alibabacloud-go/vpc-20160428/v6/client"

	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
)

func TestValidation(t *testing.T) {
	e := newEnv(t)
	vpcID, vswID, sgID := e.network("10.0.0.0/16", "10.0.1.0/24")
	ec, vc := e.ecs(false), e.vpc()
	r := dara.String(region)
	cases := []struct {
		name       string
		call       func() error
		wantCode   string
		wantStatus int
	}{
		{"invalid VPC CIDR", func() error {
			_, err := vc.CreateVpc(&vpc.CreateVpcRequest{RegionId: r, CidrBlock: dara.String("10.0.0.1/33")})
			return err
		}, "InvalidCidrBlock.Malformed", 400},
		{"VPC CIDR with host bits", func() error {
			_, err := vc.CreateVpc(&vpc.CreateVpcRequest{RegionId: r, CidrBlock: dara.String("10.0.0.1/16")})
			return err
		}, "InvalidCidrBlock.Malformed", 400},
		{"vSwitch outside VPC", func() error {
			_, err := vc.CreateVSwitch(&vpc.CreateVSwitchRequest{RegionId: r, VpcId: &vpcID, ZoneId: dara.String("cn-hangzhou-h"), CidrBlock: dara.String("172.16.0.0/24")})
			return err
		}, "InvalidCidrBlock.Malformed", 400},
		{"overlapping vSwitch", func() error {
			_, err := vc.CreateVSwitch(&vpc.CreateVSwitchRequest{RegionId: r, VpcId: &vpcID, ZoneId: dara.String("cn-hangzhou-h"), CidrBlock: dara.String("10.0.1.0/25")})
			return err
		}, "InvalidCidrBlock.Overlapped", 400},
		{"vSwitch without CIDR", func() error {
			_, err := vc.CreateVSwitch(&vpc.CreateVSwitchRequest{RegionId: r, VpcId: &vpcID, ZoneId: dara.String("cn-hangzhou-h")})
			return err
		}, "MissingParameter", 400},
		{"unknown VPC", func() error {
			_, err := vc.DescribeVpcAttribute(&vpc.DescribeVpcAttributeRequest{RegionId: r, VpcId: dara.String("vpc-bp1nosuchvpc000000")})
			return err
		}, "InvalidVpcId.NotFound", 404},
		{"unknown vSwitch", func() error {
			_, err := vc.DescribeVSwitchAttributes(&vpc.DescribeVSwitchAttributesRequest{RegionId: r, VSwitchId: dara.String("vsw-nope")})
			return err
		}, "InvalidVSwitchId.NotFound", 404},
		{"unknown zone", func() error {
			_, err := vc.CreateVSwitch(&vpc.CreateVSwitchRequest{RegionId: r, VpcId: &vpcID, ZoneId: dara.String("cn-beijing-h"), CidrBlock: dara.String("10.0.9.0/24")})
			return err
		}, "InvalidZoneId.NotFound", 400},
		{"delete VPC with vSwitches", func() error {
			_, err := vc.DeleteVpc(&vpc.DeleteVpcRequest{RegionId: r, VpcId: &vpcID})
			return err
		}, "DependencyViolation.VSwitch", 400},
		{"unknown instance type", func() error {
			q := runReq(vswID, sgID, 1)
			q.InstanceType = dara.String("ecs.z9.huge")
			_, err := ec.RunInstances(q)
			return err
		}, "InvalidInstanceType.NotFound", 404},
		{"unknown image", func() error {
			q := runReq(vswID, sgID, 1)
			q.ImageId = dara.String("m-bp1nosuchimage")
			_, err := ec.RunInstances(q)
			return err
		}, "InvalidImageId.NotFound", 404},
		{"unknown security group", func() error {
			_, err := ec.RunInstances(runReq(vswID, "sg-bp1nosuchgroup", 1))
			return err
		}, "InvalidSecurityGroupId.NotFound", 404},
		{"unknown vSwitch for instance", func() error {
			_, err := ec.RunInstances(runReq("vsw-bp1nosuch", sgID, 1))
			return err
		}, "InvalidVSwitchId.NotFound", 404},
		{"missing vSwitch", func() error {
			q := runReq(vswID, sgID, 1)
			q.VSwitchId = nil
			_, err := ec.RunInstances(q)
			return err
		}, "MissingParameter", 400},
		{"amount too large", func() error {
			_, err := ec.RunInstances(runReq(vswID, sgID, 101))
			return err
		}, "InvalidParameter", 400},
		{"system disk smaller than image", func() error {
			q := runReq(vswID, sgID, 1)
			q.ImageId = dara.String("win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240716.vhd")
			q.SystemDisk = &ecs.RunInstancesRequestSystemDisk{Size: dara.String("30")}
			_, err := ec.RunInstances(q)
			return err
		}, "InvalidSystemDiskSize.LessThanImageSize", 400},
		{"weak password", func() error {
			q := runReq(vswID, sgID, 1)
			q.Password = dara.String("password")
			_, err := ec.RunInstances(q)
			return err
		}, "InvalidPassword.Malformed", 400},
		{"prepaid without period", func() error {
			q := runReq(vswID, sgID, 1)
			q.InstanceChargeType = dara.String("PrePaid")
			_, err := ec.RunInstances(q)
			return err
		}, "MissingParameter", 400},
		{"reserved tag key", func() error {
			q := runReq(vswID, sgID, 1)
			q.Tag = []*ecs.RunInstancesRequestTag{{Key: dara.String("aliyun:owner"), Value: dara.String("x")}}
			_, err := ec.RunInstances(q)
			return err
		}, "InvalidTagKey.Malformed", 400},
		{"unknown instance", func() error {
			_, err := ec.StartInstance(&ecs.StartInstanceRequest{InstanceId: dara.String("i-bp1nosuchinstance")})
			return err
		}, "InvalidInstanceId.NotFound", 404},
		{"bad port range", func() error {
			_, err := ec.AuthorizeSecurityGroup(&ecs.AuthorizeSecurityGroupRequest{RegionId: r, SecurityGroupId: &sgID,
				Permissions: []*ecs.AuthorizeSecurityGroupRequestPermissions{{IpProtocol: dara.String("tcp"), PortRange: dara.String("80/70"), SourceCidrIp: dara.String("0.0.0.0/0")}}})
			return err
		}, "InvalidPortRange.Malformed", 400},
		{"bad source CIDR", func() error {
			_, err := ec.AuthorizeSecurityGroup(&ecs.AuthorizeSecurityGroupRequest{RegionId: r, SecurityGroupId: &sgID,
				Permissions: []*ecs.AuthorizeSecurityGroupRequestPermissions{{IpProtocol: dara.String("tcp"), PortRange: dara.String("80/80"), SourceCidrIp: dara.String("300.0.0.0/8")}}})
			return err
		}, "InvalidSourceCidrIp.Malformed", 400},
		{"malformed InstanceIds", func() error {
			_, err := ec.DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: r, InstanceIds: dara.String("[i-abc")})
			return err
		}, "InvalidInstanceIds.Malformed", 400},
		{"page size above 100", func() error {
			_, err := ec.DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: r, PageSize: dara.Int32(101)})
			return err
		}, "InvalidParameter", 400},
		{"bad next token", func() error {
			_, err := ec.DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: r, NextToken: dara.String("garbage")})
			return err
		}, "InvalidParameter.NextToken", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, status := sdkErr(t, tc.call())
			if code != tc.wantCode || status != tc.wantStatus {
				t.Errorf("got %s/%d, want %s/%d", code, status, tc.wantCode, tc.wantStatus)
			}
		})
	}
}

func TestInstanceLifecycle(t *testing.T) {
	e := newEnv(t)
	_, vswID, sgID := e.network("10.0.0.0/16", "10.0.1.0/24")
	ec := e.ecs(false)
	q := runReq(vswID, sgID, 1)
	q.InternetMaxBandwidthOut = dara.Int32(5)
	q.DataDisk = []*ecs.RunInstancesRequestDataDisk{{Size: dara.Int32(100), Category: dara.String("cloud_essd")}}
	run := must(ec.RunInstances(q))
	id := *run.Body.InstanceIdSets.InstanceIdSet[0]

	get := func() *ecs.DescribeInstancesResponseBodyInstancesInstance {
		d := must(ec.DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: dara.String(region), InstanceIds: dara.String(`["` + id + `"]`)}))
		return d.Body.Instances.Instance[0]
	}
	in := get()
	if *in.Status != "Pending" || len(in.VpcAttributes.PrivateIpAddress.IpAddress) != 0 {
		t.Fatalf("new instance: status %s, private %v", *in.Status, dara.StringSliceValue(in.VpcAttributes.PrivateIpAddress.IpAddress))
	}
	e.clock.Advance(time.Second)
	if s := e.status(id); s != "Starting" {
		t.Fatalf("after 1s: %s, want Starting", s)
	}
	e.clock.Advance(time.Second)
	in = get()
	priv := dara.StringSliceValue(in.VpcAttributes.PrivateIpAddress.IpAddress)
	pub := dara.StringSliceValue(in.PublicIpAddress.IpAddress)
	if *in.Status != "Running" || len(priv) != 1 || !strings.HasPrefix(priv[0], "10.0.1.") || len(pub) != 1 {
		t.Fatalf("after 2s: status %s private %v public %v", *in.Status, priv, pub)
	}
	if *in.Cpu != 2 || *in.Memory != 8192 || *in.InstanceTypeFamily != "ecs.g6" || *in.ExpiredTime != "2099-12-31T15:59Z" {
		t.Errorf("spec: cpu %d mem %d family %s expired %s", *in.Cpu, *in.Memory, *in.InstanceTypeFamily, *in.ExpiredTime)
	}
	disks := must(ec.DescribeDisks(&ecs.DescribeDisksRequest{RegionId: dara.String(region), InstanceId: &id}))
	if *disks.Body.TotalCount != 2 {
		t.Errorf("disks: %d, want 2", *disks.Body.TotalCount)
	}
	nics := must(ec.DescribeNetworkInterfaces(&ecs.DescribeNetworkInterfacesRequest{RegionId: dara.String(region), InstanceId: &id}))
	if n := nics.Body.NetworkInterfaceSets.NetworkInterfaceSet; len(n) != 1 || *n[0].PrivateIpAddress != priv[0] {
		t.Errorf("NICs: %v", n)
	}

	_, err := ec.DeleteInstance(&ecs.DeleteInstanceRequest{InstanceId: &id})
	if code, status := sdkErr(t, err); code != "IncorrectInstanceStatus" || status != 403 {
		t.Errorf("delete running without Force: %s/%d", code, status)
	}
	_, err = ec.StartInstance(&ecs.StartInstanceRequest{InstanceId: &id})
	if code, _ := sdkErr(t, err); code != "IncorrectInstanceStatus" {
		t.Errorf("start running: %s", code)
	}
	must(ec.StopInstance(&ecs.StopInstanceRequest{InstanceId: &id, ForceStop: dara.Bool(true)}))
	if s := e.status(id); s != "Stopping" {
		t.Errorf("after stop: %s", s)
	}
	e.clock.Advance(time.Second)
	if s := e.status(id); s != "Stopped" {
		t.Errorf("after stop + 1s: %s", s)
	}
	must(ec.ModifyInstanceSpec(&ecs.ModifyInstanceSpecRequest{InstanceId: &id, InstanceType: dara.String("ecs.g6.xlarge")}))
	res := must(ec.StartInstances(&ecs.StartInstancesRequest{RegionId: dara.String(region), InstanceId: []*string{&id}}))
	if r := res.Body.InstanceResponses.InstanceResponse[0]; *r.Code != "200" || *r.PreviousStatus != "Stopped" || *r.CurrentStatus != "Starting" {
		t.Errorf("StartInstances response: %v", r)
	}
	e.clock.Advance(time.Second)
	in = get()
	if *in.Status != "Running" || *in.InstanceType != "ecs.g6.xlarge" || *in.Cpu != 4 {
		t.Errorf("after start: %s %s %d", *in.Status, *in.InstanceType, *in.Cpu)
	}
	must(ec.RebootInstance(&ecs.RebootInstanceRequest{InstanceId: &id}))
	e.clock.Advance(2 * time.Second)
	must(ec.DeleteInstance(&ecs.DeleteInstanceRequest{InstanceId: &id, Force: dara.Bool(true)}))
	d := must(ec.DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: dara.String(region)}))
	if *d.Body.TotalCount != 0 {
		t.Errorf("after delete: %d instances", *d.Body.TotalCount)
	}
	disks = must(ec.DescribeDisks(&ecs.DescribeDisksRequest{RegionId: dara.String(region)}))
	if *disks.Body.TotalCount != 0 {
		t.Errorf("disks left after delete: %d", *disks.Body.TotalCount)
	}
	vs := must(e.vpc().DescribeVSwitchAttributes(&vpc.DescribeVSwitchAttributesRequest{RegionId: dara.String(region), VSwitchId: &vswID}))
	if *vs.Body.AvailableIpAddressCount != 252 {
		t.Errorf("address not returned to the pool: %d available", *vs.Body.AvailableIpAddressCount)
	}
}

func TestRunInstancesIdempotentAndDryRun(t *testing.T) {
	e := newEnv(t)
	_, vswID, sgID := e.network("10.0.0.0/16", "10.0.1.0/24")
	ec := e.ecs(false)
	q := runReq(vswID, sgID, 3)
	q.DryRun = dara.Bool(true)
	_, err := ec.RunInstances(q)
	if code, status := sdkErr(t, err); code != "DryRunOperation" || status != 400 {
		t.Fatalf("DryRun: %s/%d", code, status)
	}
	if n := *must(ec.DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: dara.String(region)})).Body.TotalCount; n != 0 {
		t.Fatalf("DryRun created %d instances", n)
	}
	q.DryRun = nil
	q.ClientToken = dara.String("expand-task-17")
	first := dara.StringSliceValue(must(ec.RunInstances(q)).Body.InstanceIdSets.InstanceIdSet)
	again := dara.StringSliceValue(must(e.ecs(true).RunInstances(q)).Body.InstanceIdSets.InstanceIdSet)
	if len(first) != 3 || strings.Join(first, ",") != strings.Join(again, ",") {
		t.Fatalf("same ClientToken gave %v then %v", first, again)
	}
	if n := *must(ec.DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: dara.String(region)})).Body.TotalCount; n != 3 {
		t.Fatalf("%d instances after a retried RunInstances, want 3", n)
	}
	q.Amount = dara.Int32(4)
	_, err = ec.RunInstances(q)
	if code, _ := sdkErr(t, err); code != "IdempotentParameterMismatch" {
		t.Errorf("reused token with other parameters: %s", code)
	}
}

func TestQuota(t *testing.T) {
	e := newEnv(t, func(c *aliyunsim.Config) { c.Accounts[0].MaxInstances = 5; c.Accounts[0].MaxVCPUs = 8 })
	_, vswID, sgID := e.network("10.0.0.0/16", "10.0.1.0/24")
	ec := e.ecs(false)
	must(ec.RunInstances(runReq(vswID, sgID, 2)))     // 4 vCPUs
	_, err := ec.RunInstances(runReq(vswID, sgID, 3)) // 6 more vCPUs: over 8
	code, status := sdkErr(t, err)
	if code != "QuotaExceed.ElasticQuota" || status != 403 {
		t.Fatalf("over vCPU quota: %s/%d", code, status)
	}
	if !strings.Contains(err.Error(), "Quota: 8 vCPUs") {
		t.Errorf("message does not state the quota: %v", err)
	}
	// MinAmount lets RunInstances create what fits, all or nothing below it.
	q := runReq(vswID, sgID, 3)
	q.MinAmount = dara.Int32(2)
	got := must(ec.RunInstances(q))
	if n := len(got.Body.InstanceIdSets.InstanceIdSet); n != 2 {
		t.Errorf("MinAmount=2 Amount=3 with room for 2 created %d", n)
	}
	if err := e.srv.SetQuota(testAK, aliyunsim.Quota{MaxVCPUs: dara.Int(100)}); err != nil {
		t.Fatal(err)
	}
	_, err = ec.RunInstances(runReq(vswID, sgID, 2))
	if code, _ := sdkErr(t, err); code != "QuotaExceed.ElasticQuota" || !strings.Contains(err.Error(), "Quota: 5") {
		t.Errorf("over instance quota: %v", err)
	}
	attrs := must(ec.DescribeAccountAttributes(&ecs.DescribeAccountAttributesRequest{RegionId: dara.String(region),
		AttributeName: []*string{dara.String("max-postpaid-instance-vcpu-count"), dara.String("used-postpaid-instance-vcpu-count")}}))
	vals := map[string]string{}
	for _, it := range attrs.Body.AccountAttributeItems.AccountAttributeItem {
		vals[*it.AttributeName] = *it.AttributeValues.ValueItem[0].Value
	}
	if vals["max-postpaid-instance-vcpu-count"] != "100" || vals["used-postpaid-instance-vcpu-count"] != "8" {
		t.Errorf("account attributes: %v", vals)
	}
}

func TestBalance(t *testing.T) {
	e := newEnv(t, func(c *aliyunsim.Config) { c.Accounts[0].Balance = "100.00" })
	_, vswID, sgID := e.network("10.0.0.0/16", "10.0.1.0/24")
	ec := e.ecs(false)
	q := runReq(vswID, sgID, 1)
	q.InstanceChargeType, q.Period, q.PeriodUnit = dara.String("PrePaid"), dara.Int32(12), dara.String("Month")
	_, err := ec.RunInstances(q)
	if code, status := sdkErr(t, err); code != "InvalidAccountStatus.NotEnoughBalance" || status != 403 {
		t.Fatalf("subscription beyond balance: %s/%d", code, status)
	}
	must(ec.RunInstances(runReq(vswID, sgID, 1))) // pay-as-you-go, about 0.6 CNY/h
	e.clock.Advance(10 * 24 * time.Hour)
	bal := must(e.bss().QueryAccountBalance())
	if v := *bal.Body.Data.AvailableAmount; !strings.HasPrefix(v, "-") {
		t.Fatalf("balance after 10 days of usage: %s, want negative", v)
	}
	_, err = ec.RunInstances(runReq(vswID, sgID, 1))
	if code, _ := sdkErr(t, err); code != "Account.Arrearage" {
		t.Errorf("pay-as-you-go in arrears: %s", code)
	}
}

func TestPaging(t *testing.T) {
	e := newEnv(t)
	const n = 2345
	if err := e.srv.Populate(testAK, aliyunsim.PopulateOptions{Instances: n, Regions: []string{region}}); err != nil {
		t.Fatal(err)
	}
	ec := e.ecs(false)
	seen := map[string]bool{}
	for page := int32(1); ; page++ {
		d := must(ec.DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: dara.String(region), PageNumber: dara.Int32(page), PageSize: dara.Int32(100)}))
		if *d.Body.TotalCount != n || *d.Body.PageNumber != page {
			t.Fatalf("page %d: TotalCount %d PageNumber %d", page, *d.Body.TotalCount, *d.Body.PageNumber)
		}
		for _, in := range d.Body.Instances.Instance {
			if seen[*in.InstanceId] {
				t.Fatalf("%s seen twice", *in.InstanceId)
			}
			seen[*in.InstanceId] = true
		}
		if len(d.Body.Instances.Instance) < 100 {
			break
		}
	}
	if len(seen) != n {
		t.Fatalf("PageNumber paging saw %d of %d", len(seen), n)
	}
	// NextToken paging stays consistent while instances are deleted behind it.
	var ids []string
	tok := ""
	for pages := 0; ; pages++ {
		q := &ecs.DescribeInstancesRequest{RegionId: dara.String(region), MaxResults: dara.Int32(100)}
		if tok != "" {
			q.NextToken = &tok
		}
		d := must(ec.DescribeInstances(q))
		for _, in := range d.Body.Instances.Instance {
			ids = append(ids, *in.InstanceId)
		}
		if pages == 2 {
			must(ec.DeleteInstances(&ecs.DeleteInstancesRequest{RegionId: dara.String(region), InstanceId: []*string{&ids[0], &ids[1]}, Force: dara.Bool(true)}))
		}
		tok = dara.StringValue(d.Body.NextToken)
		if tok == "" {
			break
		}
	}
	if len(ids) != n {
		t.Fatalf("NextToken paging saw %d of %d", len(ids), n)
	}
	filtered := must(ec.DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: dara.String(region), PageSize: dara.Int32(10),
		Tag: []*ecs.DescribeInstancesRequestTag{{Key: dara.String("env"), Value: dara.String("staging")}}, Status: dara.String("Running")}))
	if *filtered.Body.TotalCount == 0 || *filtered.Body.TotalCount >= n {
		t.Errorf("tag+status filter matched %d", *filtered.Body.TotalCount)
	}
	for _, in := range filtered.Body.Instances.Instance {
		if *in.Status != "Running" {
			t.Errorf("filter by status returned %s", *in.Status)
		}
	}
}

func TestSecurityGroupRules(t *testing.T) {
	e := newEnv(t)
	_, _, sgID := e.network("10.0.0.0/16", "10.0.1.0/24")
	ec := e.ecs(false)
	r := dara.String(region)
	perm := []*ecs.AuthorizeSecurityGroupRequestPermissions{
		{IpProtocol: dara.String("TCP"), PortRange: dara.String("443/443"), SourceCidrIp: dara.String("0.0.0.0/0")},
		{IpProtocol: dara.String("icmp"), PortRange: dara.String("-1/-1"), SourceCidrIp: dara.String("10.0.0.0/8"), Policy: dara.String("drop")},
	}
	must(ec.AuthorizeSecurityGroup(&ecs.AuthorizeSecurityGroupRequest{RegionId: r, SecurityGroupId: &sgID, Permissions: perm}))
	must(ec.AuthorizeSecurityGroup(&ecs.AuthorizeSecurityGroupRequest{RegionId: r, SecurityGroupId: &sgID, Permissions: perm})) // idempotent
	must(ec.AuthorizeSecurityGroupEgress(&ecs.AuthorizeSecurityGroupEgressRequest{RegionId: r, SecurityGroupId: &sgID,
		Permissions: []*ecs.AuthorizeSecurityGroupEgressRequestPermissions{{IpProtocol: dara.String("all"), DestCidrIp: dara.String("0.0.0.0/0")}}}))
	attr := must(ec.DescribeSecurityGroupAttribute(&ecs.DescribeSecurityGroupAttributeRequest{RegionId: r, SecurityGroupId: &sgID}))
	if n := len(attr.Body.Permissions.Permission); n != 3 {
		t.Fatalf("%d rules, want 3", n)
	}
	must(ec.RevokeSecurityGroup(&ecs.RevokeSecurityGroupRequest{RegionId: r, SecurityGroupId: &sgID,
		Permissions: []*ecs.RevokeSecurityGroupRequestPermissions{{IpProtocol: dara.String("tcp"), PortRange: dara.String("443/443"), SourceCidrIp: dara.String("0.0.0.0/0")}}}))
	attr = must(ec.DescribeSecurityGroupAttribute(&ecs.DescribeSecurityGroupAttributeRequest{RegionId: r, SecurityGroupId: &sgID, Direction: dara.String("ingress")}))
	if p := attr.Body.Permissions.Permission; len(p) != 1 || *p[0].IpProtocol != "ICMP" || *p[0].Policy != "Drop" {
		t.Errorf("after revoke: %v", p)
	}
	sgs := must(ec.DescribeSecurityGroups(&ecs.DescribeSecurityGroupsRequest{RegionId: r}))
	if *sgs.Body.TotalCount != 1 || *sgs.Body.SecurityGroups.SecurityGroup[0].RuleCount != 2 {
		t.Errorf("DescribeSecurityGroups: %v", sgs.Body)
	}
}

func TestEIPAndTags(t *testing.T) {
	e := newEnv(t)
	_, vswID, sgID := e.network("10.0.0.0/16", "10.0.1.0/24")
	ec, vc := e.ecs(false), e.vpc()
	r := dara.String(region)
	id := *must(ec.RunInstances(runReq(vswID, sgID, 1))).Body.InstanceIdSets.InstanceIdSet[0]
	eip := must(vc.AllocateEipAddress(&vpc.AllocateEipAddressRequest{RegionId: r, Bandwidth: dara.String("10")}))
	_, err := vc.AssociateEipAddress(&vpc.AssociateEipAddressRequest{RegionId: r, AllocationId: eip.Body.AllocationId, InstanceId: &id})
	if code, _ := sdkErr(t, err); code != "IncorrectInstanceStatus" {
		t.Errorf("associate with a Pending instance: %s", code)
	}
	e.clock.Advance(2 * time.Second)
	must(vc.AssociateEipAddress(&vpc.AssociateEipAddressRequest{RegionId: r, AllocationId: eip.Body.AllocationId, InstanceId: &id}))
	d := must(ec.DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: r}))
	if got := dara.StringValue(d.Body.Instances.Instance[0].EipAddress.IpAddress); got != *eip.Body.EipAddress || !strings.HasPrefix(got, "198.1") {
		t.Errorf("instance EIP %q, allocated %q", got, *eip.Body.EipAddress)
	}
	_, err = vc.ReleaseEipAddress(&vpc.ReleaseEipAddressRequest{RegionId: r, AllocationId: eip.Body.AllocationId})
	if code, _ := sdkErr(t, err); code != "IncorrectEipStatus" {
		t.Errorf("release an associated EIP: %s", code)
	}
	must(vc.UnassociateEipAddress(&vpc.UnassociateEipAddressRequest{RegionId: r, AllocationId: eip.Body.AllocationId, InstanceId: &id}))
	must(vc.ReleaseEipAddress(&vpc.ReleaseEipAddressRequest{RegionId: r, AllocationId: eip.Body.AllocationId}))

	must(ec.TagResources(&ecs.TagResourcesRequest{RegionId: r, ResourceType: dara.String("instance"), ResourceId: []*string{&id},
		Tag: []*ecs.TagResourcesRequestTag{{Key: dara.String("owner"), Value: dara.String("alice")}, {Key: dara.String("cost-center"), Value: dara.String("42")}}}))
	lt := must(ec.ListTagResources(&ecs.ListTagResourcesRequest{RegionId: r, ResourceType: dara.String("instance"),
		Tag: []*ecs.ListTagResourcesRequestTag{{Key: dara.String("owner"), Value: dara.String("alice")}}}))
	if n := len(lt.Body.TagResources.TagResource); n != 2 {
		t.Errorf("ListTagResources: %d tags, want 2", n)
	}
	must(ec.UntagResources(&ecs.UntagResourcesRequest{RegionId: r, ResourceType: dara.String("instance"), ResourceId: []*string{&id}, TagKey: []*string{dara.String("owner")}}))
	d = must(ec.DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: r, Tag: []*ecs.DescribeInstancesRequestTag{{Key: dara.String("cost-center")}}}))
	if *d.Body.TotalCount != 1 || len(d.Body.Instances.Instance[0].Tags.Tag) != 1 {
		t.Errorf("tags after untag: %v", d.Body.Instances.Instance)
	}
	disk := must(ec.DescribeDisks(&ecs.DescribeDisksRequest{RegionId: r, DiskType: dara.String("system")})).Body.Disks.Disk[0]
	snap := must(ec.CreateSnapshot(&ecs.CreateSnapshotRequest{DiskId: disk.DiskId, SnapshotName: dara.String("nightly")}))
	sn := must(ec.DescribeSnapshots(&ecs.DescribeSnapshotsRequest{RegionId: r, SnapshotIds: dara.String(`["` + *snap.Body.SnapshotId + `"]`)}))
	if s := sn.Body.Snapshots.Snapshot[0]; *s.Status != "progressing" || *s.SourceDiskType != "System" {
		t.Errorf("new snapshot: %s %s", *s.Status, *s.SourceDiskType)
	}
	e.clock.Advance(time.Second)
	sn = must(ec.DescribeSnapshots(&ecs.DescribeSnapshotsRequest{RegionId: r}))
	if s := sn.Body.Snapshots.Snapshot[0]; *s.Status != "accomplished" {
		t.Errorf("snapshot later: %s", *s.Status)
	}
	must(ec.DeleteSnapshot(&ecs.DeleteSnapshotRequest{SnapshotId: snap.Body.SnapshotId}))
	_, err = ec.DeleteSnapshot(&ecs.DeleteSnapshotRequest{SnapshotId: snap.Body.SnapshotId})
	if code, _ := sdkErr(t, err); code != "InvalidSnapshotId.NotFound" {
		t.Errorf("delete twice: %s", code)
	}
}

func TestCatalog(t *testing.T) {
	e := newEnv(t)
	ec := e.ecs(false)
	types := must(ec.DescribeInstanceTypes(&ecs.DescribeInstanceTypesRequest{InstanceTypes: []*string{dara.String("ecs.g6.large"), dara.String("ecs.s6-c1m1.small")}}))
	if n := len(types.Body.InstanceTypes.InstanceType); n != 2 {
		t.Fatalf("%d types", n)
	}
	fams := must(ec.DescribeInstanceTypeFamilies(&ecs.DescribeInstanceTypeFamiliesRequest{RegionId: dara.String(region)}))
	if len(fams.Body.InstanceTypeFamilies.InstanceTypeFamily) < 8 {
		t.Errorf("%d families", len(fams.Body.InstanceTypeFamilies.InstanceTypeFamily))
	}
	imgs := must(ec.DescribeImages(&ecs.DescribeImagesRequest{RegionId: dara.String(region), ImageOwnerAlias: dara.String("system"), PageSize: dara.Int32(100)}))
	found := false
	for _, im := range imgs.Body.Images.Image {
		found = found || *im.ImageId == "centos_7_6_x64_20G_alibase_20211030.vhd"
	}
	if !found {
		t.Error("centos_7_6 image missing")
	}
	av := must(ec.DescribeAvailableResource(&ecs.DescribeAvailableResourceRequest{RegionId: dara.String("cn-shanghai"), DestinationResource: dara.String("InstanceType")}))
	if n := len(av.Body.AvailableZones.AvailableZone); n != 5 {
		t.Errorf("cn-shanghai zones with stock: %d", n)
	}
	price := must(ec.DescribePrice(&ecs.DescribePriceRequest{RegionId: dara.String(region), InstanceType: dara.String("ecs.g6.large")}))
	if p := *price.Body.PriceInfo.Price.OriginalPrice; p <= 0.3 || p > 2 {
		t.Errorf("hourly price of ecs.g6.large: %v", p)
	}
}

func TestThrottlingAndFaults(t *testing.T) {
	e := newEnv(t, func(c *aliyunsim.Config) { c.RateLimit = 2 })
	c := e.sts(false)
	throttled := 0
	for i := 0; i < 6; i++ {
		if _, err := c.GetCallerIdentity(); err != nil {
			code, status := sdkErr(t, err)
			if code != "Throttling.User" || status != 400 {
				t.Fatalf("got %s/%d", code, status)
			}
			throttled++
		}
	}
	if throttled < 3 {
		t.Errorf("only %d of 6 calls throttled at 2 req/s", throttled)
	}
	status, body := e.rpc("GetCallerIdentity", "2015-04-01", nil)
	if status != 400 || body["Code"] != "Throttling.User" {
		t.Errorf("raw throttled call: %d %v", status, body)
	}
	zero, one := 0.0, 1.0
	if err := e.srv.SetRuntime(aliyunsim.RuntimeConfig{RateLimit: &zero, FailRate: &one}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetCallerIdentity()
	if code, status := sdkErr(t, err); code != "ServiceUnavailable" || status != 503 {
		t.Errorf("fail rate 1: %s/%d", code, status)
	}
	lat := 30 * time.Millisecond
	if err := e.srv.SetRuntime(aliyunsim.RuntimeConfig{FailRate: &zero, Latency: &lat}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	must(c.GetCallerIdentity())
	if d := time.Since(start); d < lat {
		t.Errorf("call took %v with %v latency", d, lat)
	}
}

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	withDir := func(c *aliyunsim.Config) { c.StateDir = dir; c.PersistDebounce = 10 * time.Millisecond }
	e := newEnv(t, withDir)
	_, vswID, sgID := e.network("10.0.0.0/16", "10.0.1.0/24")
	ids := dara.StringSliceValue(must(e.ecs(false).RunInstances(runReq(vswID, sgID, 2))).Body.InstanceIdSets.InstanceIdSet)
	if err := e.srv.Populate(testAK, aliyunsim.PopulateOptions{Instances: 50, Regions: []string{"cn-beijing"}, Buckets: 2, DBs: 1, Caches: 1, Kafkas: 1}); err != nil {
		t.Fatal(err)
	}
	before := e.srv.Status()
	e.hs.Close()
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}

	e2 := newEnv(t, withDir)
	after := e2.srv.Status()
	if fmt.Sprint(before.Accounts[0].Counts) != fmt.Sprint(after.Accounts[0].Counts) {
		t.Fatalf("counts before %v, after reload %v", before.Accounts[0].Counts, after.Accounts[0].Counts)
	}
	if after.Accounts[0].VCPUs != before.Accounts[0].VCPUs {
		t.Errorf("vCPUs before %d after %d", before.Accounts[0].VCPUs, after.Accounts[0].VCPUs)
	}
	d := must(e2.ecs(false).DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: dara.String(region)}))
	if *d.Body.TotalCount != 2 || *d.Body.Instances.Instance[0].InstanceId != ids[0] {
		t.Fatalf("reloaded instances: %v", d.Body.Instances.Instance)
	}
	// New ids must not collide with reloaded ones, and the address pool
	// continues where it stopped.
	more := must(e2.ecs(false).RunInstances(runReq(vswID, sgID, 1)))
	if n := *more.Body.InstanceIdSets.InstanceIdSet[0]; n == ids[0] || n == ids[1] {
		t.Errorf("id %s reused", n)
	}
	vs := must(e2.vpc().DescribeVSwitchAttributes(&vpc.DescribeVSwitchAttributesRequest{RegionId: dara.String(region), VSwitchId: &vswID}))
	if *vs.Body.AvailableIpAddressCount != 252-3 {
		t.Errorf("pool after reload: %d available", *vs.Body.AvailableIpAddressCount)
	}
	status, _ := e2.rpc("DescribeRegions", "2014-05-26", nil)
	if status != http.StatusOK {
		t.Errorf("reloaded credentials refused: %d", status)
	}
}

// TestCreateSavedBeforeAnswer kills nothing gracefully: a second simulator
// reads the state directory right after a create was answered, with the
// debounced save far off, and must find what the create named.
func TestCreateSavedBeforeAnswer(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, func(c *aliyunsim.Config) { c.StateDir = dir; c.PersistDebounce = time.Hour })
	_, vswID, sgID := e.network("10.0.0.0/16", "10.0.1.0/24")
	ids := dara.StringSliceValue(must(e.ecs(false).RunInstances(runReq(vswID, sgID, 3))).Body.InstanceIdSets.InstanceIdSet)

	e2 := newEnv(t, func(c *aliyunsim.Config) { c.StateDir = dir; c.PersistDebounce = time.Hour })
	d := must(e2.ecs(false).DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: dara.String(region)}))
	if *d.Body.TotalCount != 3 {
		t.Fatalf("a copy started after the answer has %d instances of %v", *d.Body.TotalCount, ids)
	}
}

func TestConcurrentClients(t *testing.T) {
	e := newEnv(t, func(c *aliyunsim.Config) { c.StateDelay = -1 })
	_, vswID, sgID := e.network("10.0.0.0/16", "10.0.0.0/20")
	errs := make(chan error, 64)
	done := make(chan struct{})
	for w := 0; w < 6; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			ec := e.ecs(w%2 == 0)
			for i := 0; i < 8; i++ {
				run, err := ec.RunInstances(runReq(vswID, sgID, 2))
				if err != nil {
					errs <- err
					return
				}
				if _, err := ec.DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: dara.String(region), PageSize: dara.Int32(50)}); err != nil {
					errs <- err
					return
				}
				if _, err := ec.DeleteInstances(&ecs.DeleteInstancesRequest{RegionId: dara.String(region), InstanceId: run.Body.InstanceIdSets.InstanceIdSet[:1], Force: dara.Bool(true)}); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	for w := 0; w < 6; w++ {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := *must(e.ecs(false).DescribeInstances(&ecs.DescribeInstancesRequest{RegionId: dara.String(region)})).Body.TotalCount; n != 6*8 {
		t.Errorf("%d instances left, want %d", n, 6*8)
	}
}
