package bridgx

import (
	"encoding/json"
	"testing"

	"github.com/skyfold/skyfold/internal/cloud"
)

// TestAnswerWire pins what typed answers send where the wire is unusual: a
// task id as a number, a price only when the catalog has one.
func TestAnswerWire(t *testing.T) {
	raw, err := json.Marshal(answerOf(bridgXTaskID("1234567890123")).Body)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"code":200,"msg":"success","data":1234567890123}` {
		t.Errorf("expand answer: %s", raw)
	}
	if _, err := json.Marshal(bridgXTaskID("not a number")); err == nil {
		t.Error("a task id that is not a number must not go out as one")
	}
	noPrice, _ := json.Marshal(instanceTypeOf(cloud.InstanceType{ID: "ecs.g6.large", CPU: 2, MemoryMiB: 8192}))
	if string(noPrice) != `{"instance_type_family":"","instance_type":"ecs.g6.large","core":2,"memory":8,"memory_mib":8192}` {
		t.Errorf("instance type without a price: %s", noPrice)
	}
	priced, _ := json.Marshal(instanceTypeOf(cloud.InstanceType{ID: "t", MemoryMiB: 1536, HourlyPrice: &cloud.Money{Amount: "0.5", Currency: "CNY"}}))
	var m map[string]any
	_ = json.Unmarshal(priced, &m)
	if m["hourly_price"] != "0.5" || m["currency"] != "CNY" || m["memory"] != float64(2) {
		t.Errorf("instance type with a price: %s", priced)
	}
}

// TestNullAndAbsent pins the answers where null, absent and empty differ
// on the wire.
func TestNullAndAbsent(t *testing.T) {
	gw, ids, cost, cur := "10.0.0.254", "", "1.5", "CNY"
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"sync", answerOf(bridgXNull{}).Body, `{"code":200,"msg":"success","data":null}`},
		{"vpc info", bridgXVPC{VpcID: "v"}, `{"CidrBlock":"","CreateAt":"","Provider":"","RegionId":"","Status":"","VpcId":"v","VpcName":""}`},
		{"vpc row", bridgXVPC{SwitchIDs: &ids}, `{"CidrBlock":"","CreateAt":"","Provider":"","RegionId":"","Status":"","SwitchIds":"","VpcId":"","VpcName":""}`},
		{"subnet detail", bridgXSubnet{GatewayIP: &gw, IsDefault: "N"}, `{"AvailableIpAddressCount":0,"CidrBlock":"","CreateAt":"","GatewayIp":"10.0.0.254","IsDefault":"N","SwitchId":"","SwitchName":"","VStatus":"","VpcId":"","ZoneId":""}`},
		{"unpriced day", bridgXUsageTotal{UsageTotal: 60, UnpricedSeconds: 60}, `{"cost":null,"currency":null,"unpriced_seconds":60,"usage_total":60}`},
		{"priced day", bridgXUsageTotal{Cost: &cost, Currency: &cur}, `{"cost":"1.5","currency":"CNY","unpriced_seconds":0,"usage_total":0}`},
		{"no ips", bridgXIPs(nil), `null`},
		{"ips", bridgXIPs(`["10.0.0.1"]`), `["10.0.0.1"]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := json.Marshal(c.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(raw) != c.want {
				t.Errorf("got  %s\nwant %s", raw, c.want)
			}
		})
	}
}

// TestNetworkConfigAnswer pins both answers of network_config/create: the
// VPC id as BridgX sends it, or the task to follow.
func TestNetworkConfigAnswer(t *testing.T) {
	done, _ := json.Marshal(bridgXEnvelope[bridgXNetworkConfigCreated]{Code: 200, Msg: "success", Data: bridgXNetworkConfigCreated{VPCID: "vpc-1"}})
	if string(done) != `{"code":200,"msg":"success","data":"vpc-1"}` {
		t.Errorf("done: %s", done)
	}
	pending, _ := json.Marshal(bridgXEnvelope[bridgXNetworkConfigCreated]{Code: 202, Msg: "accepted",
		Data: bridgXNetworkConfigCreated{Pending: &bridgXNetworkConfigPending{TaskID: "42", VPCID: "vpc-1", Status: "RUNNING"}}})
	if string(pending) != `{"code":202,"msg":"accepted","data":{"task_id":"42","vpc_id":"vpc-1","status":"RUNNING"}}` {
		t.Errorf("pending: %s", pending)
	}
}
