package bridgx

import (
	"encoding/json"

	"github.com/danielgtaylor/huma/v2"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/cluster"
)

// The types below are the data of BridgX's answers. Their names carry the
// face's name because every face shares one OpenAPI registry.

type bridgXRegion struct {
	RegionID  string `json:"RegionId"`
	LocalName string `json:"LocalName"`
}

type bridgXZone struct {
	ZoneID    string `json:"ZoneId"`
	LocalName string `json:"LocalName"`
}

// bridgXInstanceType leaves out the price, rather than sending it empty,
// when the catalog has none.
type bridgXInstanceType struct {
	Family      string `json:"instance_type_family"`
	ID          string `json:"instance_type"`
	Core        int    `json:"core"`
	Memory      int    `json:"memory" doc:"GiB, rounded"`
	MemoryMiB   int    `json:"memory_mib"`
	HourlyPrice string `json:"hourly_price,omitempty" doc:"decimal list price per hour, when known"`
	Currency    string `json:"currency,omitempty"`
}

func instanceTypeOf(t cloud.InstanceType) bridgXInstanceType {
	v := bridgXInstanceType{Family: t.Family, ID: t.ID, Core: t.CPU, Memory: (t.MemoryMiB + 512) / 1024, MemoryMiB: t.MemoryMiB}
	if t.HourlyPrice != nil {
		v.HourlyPrice, v.Currency = t.HourlyPrice.Amount, t.HourlyPrice.Currency
	}
	return v
}

type bridgXImage struct {
	OSType  string `json:"OsType"`
	OSName  string `json:"OsName"`
	ImageID string `json:"ImageId"`
}

type bridgXNetworkConfig struct {
	VPC                  string `json:"vpc"`
	SubnetID             string `json:"subnet_id"`
	SecurityGroup        string `json:"security_group"`
	InternetChargeType   string `json:"internet_charge_type"`
	InternetMaxBandwidth int    `json:"internet_max_bandwidth"`
}

type bridgXChargeConfig struct {
	ChargeType string `json:"charge_type"`
	PeriodUnit string `json:"period_unit"`
	Period     int    `json:"period"`
}

type bridgXDisk struct {
	Category string `json:"category"`
	Size     int    `json:"size"`
}

type bridgXDisks struct {
	SystemDisk bridgXDisk   `json:"system_disk"`
	DataDisk   []bridgXDisk `json:"data_disk"`
}

// bridgXCluster is one cluster in full.
type bridgXCluster struct {
	ID            string              `json:"cluster_id"`
	Name          string              `json:"cluster_name"`
	Desc          string              `json:"desc"`
	Provider      string              `json:"provider"`
	Account       string              `json:"account"`
	RegionID      string              `json:"region_id"`
	ZoneID        string              `json:"zone_id"`
	InstanceType  string              `json:"instance_type"`
	Image         string              `json:"image"`
	NetworkConfig bridgXNetworkConfig `json:"network_config"`
	ChargeConfig  bridgXChargeConfig  `json:"charge_config"`
	Disks         bridgXDisks         `json:"disks"`
	Tags          map[string]string   `json:"tags"`
	InstanceNum   int                 `json:"instance_num" doc:"running instances"`
	ActiveTaskID  string              `json:"active_task_id"`
	CreateAt      string              `json:"create_at"`
	UpdateAt      string              `json:"update_at"`
	CreateBy      string              `json:"create_by"`
}

func (f *Face) clusterOf(c *cluster.Cluster, running int) bridgXCluster {
	nc, ch, d := c.NetworkOf(), c.ChargeOf(), c.DisksOf()
	dd := make([]bridgXDisk, 0, len(d.DataDisks))
	for _, x := range d.DataDisks {
		dd = append(dd, bridgXDisk{Category: x.Category, Size: x.Size})
	}
	return bridgXCluster{
		ID: c.ID, Name: c.Name, Desc: c.Description, Provider: cluster.BridgXName(c.Provider), Account: c.AccountKey,
		RegionID: c.RegionID, ZoneID: c.ZoneID, InstanceType: c.InstanceType, Image: c.ImageID,
		NetworkConfig: bridgXNetworkConfig{VPC: nc.VPCID, SubnetID: nc.SubnetID, SecurityGroup: nc.SecurityGroupID,
			InternetChargeType: nc.InternetChargeType, InternetMaxBandwidth: nc.InternetBandwidth},
		ChargeConfig: bridgXChargeConfig{ChargeType: ch.ChargeType, PeriodUnit: ch.PeriodUnit, Period: ch.Period},
		Disks:        bridgXDisks{SystemDisk: bridgXDisk{Category: d.SystemDisk.Category, Size: d.SystemDisk.Size}, DataDisk: dd},
		Tags:         c.TagsOf(), InstanceNum: running, ActiveTaskID: c.ActiveTaskID,
		CreateAt: f.Svc.FormatTime(c.CreatedAt), UpdateAt: f.Svc.FormatTime(c.UpdatedAt), CreateBy: c.CreatedBy,
	}
}

// bridgXClusterRow is a cluster as lists show it.
type bridgXClusterRow struct {
	ID           string `json:"cluster_id"`
	Name         string `json:"cluster_name"`
	Provider     string `json:"provider"`
	Account      string `json:"account"`
	CreateAt     string `json:"create_at"`
	CreateBy     string `json:"create_by"`
	RegionID     string `json:"region_id"`
	ZoneID       string `json:"zone_id"`
	InstanceType string `json:"instance_type"`
	InstanceNum  int    `json:"instance_num"`
	Desc         string `json:"desc"`
}

type bridgXClusterList struct {
	ClusterList []bridgXClusterRow `json:"cluster_list"`
	Pager       bridgXPager        `json:"pager"`
}

// bridgXTaskID is a task id as BridgX answers an expand or shrink: a JSON
// number, though ids are kept as text.
type bridgXTaskID string

func (id bridgXTaskID) MarshalJSON() ([]byte, error) { return json.Marshal(json.Number(id)) }

// Schema makes the document say what the wire carries: a number.
func (bridgXTaskID) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeInteger, Description: "the id of the task that was started"}
}
