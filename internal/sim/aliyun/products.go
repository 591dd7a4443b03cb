package aliyunsim

// RPC products by API version, and the actions each serves.

const (
	versionECS   = "2014-05-26"
	versionVPC   = "2016-04-28"
	versionBSS   = "2017-12-14"
	versionCMS   = "2019-01-01"
	versionSTS   = "2015-04-01"
	versionRDS   = "2014-08-15"
	versionRedis = "2015-01-01"
	versionKafka = "2019-09-16"
)

func read(fn func(*call) (any, *apiError)) action  { return action{fn: fn} }
func write(fn func(*call) (any, *apiError)) action { return action{fn: fn, write: true} }

func (s *Server) buildProducts() map[string]*product {
	return map[string]*product{
		versionECS: {name: "Ecs", host: "ecs.aliyuncs.com", actions: map[string]action{
			"DescribeRegions":                read(ecsDescribeRegions),
			"DescribeZones":                  read(ecsDescribeZones),
			"DescribeInstanceTypes":          read(ecsDescribeInstanceTypes),
			"DescribeInstanceTypeFamilies":   read(ecsDescribeInstanceTypeFamilies),
			"DescribeImages":                 read(ecsDescribeImages),
			"DescribeAvailableResource":      read(ecsDescribeAvailableResource),
			"DescribeAccountAttributes":      read(ecsDescribeAccountAttributes),
			"DescribePrice":                  read(ecsDescribePrice),
			"CreateSecurityGroup":            write(ecsCreateSecurityGroup),
			"DeleteSecurityGroup":            write(ecsDeleteSecurityGroup),
			"DescribeSecurityGroups":         read(ecsDescribeSecurityGroups),
			"DescribeSecurityGroupAttribute": read(ecsDescribeSecurityGroupAttribute),
			"AuthorizeSecurityGroup":         write(ecsAuthorize("ingress")),
			"AuthorizeSecurityGroupEgress":   write(ecsAuthorize("egress")),
			"RevokeSecurityGroup":            write(ecsRevoke("ingress")),
			"RevokeSecurityGroupEgress":      write(ecsRevoke("egress")),
			"RunInstances":                   write(ecsRunInstances),
			"DescribeInstances":              read(ecsDescribeInstances),
			"DescribeInstanceStatus":         read(ecsDescribeInstanceStatus),
			"DescribeInstanceAttribute":      read(ecsDescribeInstanceAttribute),
			"StartInstance":                  write(ecsStartInstance),
			"StartInstances":                 write(ecsBatch("start")),
			"StopInstance":                   write(ecsStopInstance),
			"StopInstances":                  write(ecsBatch("stop")),
			"RebootInstance":                 write(ecsRebootInstance),
			"RebootInstances":                write(ecsBatch("reboot")),
			"DeleteInstance":                 write(ecsDeleteInstance),
			"DeleteInstances":                write(ecsDeleteInstances),
			"ModifyInstanceSpec":             write(ecsModifyInstanceSpec),
			"ModifyPrepayInstanceSpec":       write(ecsModifyPrepayInstanceSpec),
			"ModifyInstanceAttribute":        write(ecsModifyInstanceAttribute),
			"DescribeDisks":                  read(ecsDescribeDisks),
			"CreateSnapshot":                 write(ecsCreateSnapshot),
			"DeleteSnapshot":                 write(ecsDeleteSnapshot),
			"DescribeSnapshots":              read(ecsDescribeSnapshots),
			"DescribeNetworkInterfaces":      read(ecsDescribeNetworkInterfaces),
			"TagResources":                   write(ecsTagResources),
			"UntagResources":                 write(ecsUntagResources),
			"ListTagResources":               read(ecsListTagResources),
		}},
		versionVPC: {name: "Vpc", host: "vpc.aliyuncs.com", actions: map[string]action{
			"DescribeRegions":           read(ecsDescribeRegions),
			"DescribeZones":             read(vpcDescribeZones),
			"CreateVpc":                 write(vpcCreateVpc),
			"DeleteVpc":                 write(vpcDeleteVpc),
			"DescribeVpcs":              read(vpcDescribeVpcs),
			"DescribeVpcAttribute":      read(vpcDescribeVpcAttribute),
			"CreateVSwitch":             write(vpcCreateVSwitch),
			"DeleteVSwitch":             write(vpcDeleteVSwitch),
			"DescribeVSwitches":         read(vpcDescribeVSwitches),
			"DescribeVSwitchAttributes": read(vpcDescribeVSwitchAttributes),
			"AllocateEipAddress":        write(vpcAllocateEipAddress),
			"AssociateEipAddress":       write(vpcAssociateEipAddress),
			"UnassociateEipAddress":     write(vpcUnassociateEipAddress),
			"ReleaseEipAddress":         write(vpcReleaseEipAddress),
			"DescribeEipAddresses":      read(vpcDescribeEipAddresses),
			"TagResources":              write(vpcTagResources),
			"UnTagResources":            write(vpcUntagResources),
			"ListTagResources":          read(vpcListTagResources),
		}},
		versionSTS: {name: "Sts", host: "sts.aliyuncs.com", actions: map[string]action{
			"GetCallerIdentity": read(stsGetCallerIdentity),
		}},
		versionBSS: {name: "BssOpenApi", host: "business.aliyuncs.com", actions: map[string]action{
			"QueryAccountBalance":  read(bssQueryAccountBalance),
			"QueryBillOverview":    read(bssQueryBillOverview),
			"QueryInstanceBill":    read(bssQueryInstanceBill),
			"DescribeInstanceBill": read(bssDescribeInstanceBill),
		}},
		versionCMS: {name: "Cms", host: "metrics.aliyuncs.com", actions: map[string]action{
			"DescribeMetricList": read(cmsDescribeMetricList),
			"DescribeMetricLast": read(cmsDescribeMetricLast),
		}},
		versionRDS: {name: "Rds", host: "rds.aliyuncs.com", actions: map[string]action{
			"DescribeDBInstances":         read(rdsDescribeDBInstances),
			"DescribeDBInstanceAttribute": read(rdsDescribeDBInstanceAttribute),
		}},
		versionRedis: {name: "R-kvstore", host: "r-kvstore.aliyuncs.com", actions: map[string]action{
			"DescribeInstances":         read(redisDescribeInstances),
			"DescribeInstanceAttribute": read(redisDescribeInstanceAttribute),
		}},
		versionKafka: {name: "alikafka", host: "alikafka.aliyuncs.com", actions: map[string]action{
			"GetInstanceList": read(kafkaGetInstanceList),
		}},
	}
}
