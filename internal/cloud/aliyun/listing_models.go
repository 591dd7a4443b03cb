package aliyun

// The parts of DescribeInstances and DescribeDisks responses the driver
// reads, as plain values. Field names are the API's (and the SDK models'),
// matched by the JSON decoders. Syncs list these by the hundred thousand;
// the SDK's response models hold every field as a pointer, and decoding a
// page into them takes 1.5 to 2 times as long, with nine times the
// allocations, as into these (BenchmarkDecodeInstancesPage). Requests,
// signing, endpoints and errors still go through the SDK, and a response
// the strict decoder rejects goes through the SDK's lenient converter into
// these same structs.

type ecsTag struct{ TagKey, TagValue string }

type ecsTags struct{ Tag []ecsTag }

type ecsIPs struct{ IpAddress []string }

type ecsInstance struct {
	InstanceId, InstanceName, HostName, ZoneId, Status, CreationTime string
	InstanceType, ImageId, OSType, InstanceChargeType                string
	ExpiredTime, StartTime                                           string
	Cpu, Memory                                                      int32
	VpcAttributes                                                    struct {
		VpcId, VSwitchId string
		PrivateIpAddress ecsIPs
	}
	InnerIpAddress, PublicIpAddress ecsIPs
	EipAddress                      struct{ IpAddress string }
	SecurityGroupIds                struct{ SecurityGroupId []string }
	Tags                            ecsTags
}

type ecsInstancePage struct {
	RequestId  string
	TotalCount int32
	Instances  struct{ Instance []ecsInstance }
}

type ecsDisk struct {
	DiskId, DiskName, ZoneId, Status, CreationTime     string
	Category, InstanceId, Device, Type, DiskChargeType string
	Size                                               int32
	Tags                                               ecsTags
}

type ecsDiskPage struct {
	RequestId  string
	TotalCount int32
	Disks      struct{ Disk []ecsDisk }
}

// tagMap gathers the non-empty keys of tags; nil when there are none.
func (t ecsTags) tagMap() map[string]string {
	var tags map[string]string
	for _, tg := range t.Tag {
		if tg.TagKey != "" {
			tags = setTag(tags, tg.TagKey, tg.TagValue)
		}
	}
	return tags
}
