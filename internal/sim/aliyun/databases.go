package aliyunsim

import (
	"net/http"
	"strconv"
	"strings"
)

// RDS, ApsaraDB for Redis (R-KVStore) and ApsaraMQ for Kafka: read-only
// inventory of the instances Populate (or the admin API) created.

func rdsOut(d *DBInstance, full bool) obj {
	o := obj{
		"DBInstanceId": d.ID, "DBInstanceDescription": d.Description, "Engine": d.Engine, "EngineVersion": d.Version,
		"DBInstanceClass": d.Class, "DBInstanceStatus": d.Status, "DBInstanceType": "Primary", "DBInstanceNetType": "Intranet",
		"DBInstanceStorageType": d.StorageType, "Category": d.Category, "PayType": d.PayType, "RegionId": d.Region,
		"ZoneId": d.Zone, "VpcId": d.VpcID, "VSwitchId": d.VSwitchID, "InstanceNetworkType": "VPC", "ConnectionMode": "Standard",
		"LockMode": "Unlock", "LockReason": "", "MutriORsignle": false, "DeletionProtection": false, "ResourceGroupId": "",
		"ExpireTime": fmtTime(d.ExpireTime, ecsTimeSecond), "ReadOnlyDBInstanceIds": obj{"ReadOnlyDBInstanceId": []obj{}},
		"ConnectionString": d.ID + ".mysql.rds.aliyuncs.com", "DBInstanceCPU": itoa(d.CPU), "DBInstanceMemory": d.MemoryMiB,
		"VpcCloudInstanceId": d.ID + "-vpc", "GuardDBInstanceId": "", "TempDBInstanceId": "", "MasterInstanceId": "",
	}
	if strings.HasPrefix(d.Engine, "PostgreSQL") {
		o["ConnectionString"] = d.ID + ".pg.rds.aliyuncs.com"
	}
	if full {
		o["CreationTime"] = fmtTime(d.Created, ecsTimeSecond)
		o["DBInstanceStorage"] = d.StorageGiB
		o["MaxConnections"] = 2000 * max(1, d.CPU/2)
		o["MaxIOPS"] = 2000 + 50*d.StorageGiB
		o["Port"] = "3306"
		if strings.HasPrefix(d.Engine, "PostgreSQL") {
			o["Port"] = "5432"
		}
		o["DBInstanceDiskUsed"] = itoa(d.StorageGiB * 1 << 30 / 3)
		o["SecurityIPList"] = "127.0.0.1"
		o["AccountMaxQuantity"], o["DBMaxQuantity"] = 500, 500
		o["MaintainTime"] = "18:00Z-22:00Z"
		o["AvailabilityValue"] = "100.0%"
		o["SlaveZones"] = obj{"SlaveZone": []obj{}}
	} else {
		o["CreateTime"] = fmtTime(d.Created, ecsTimeSecond)
	}
	return o
}

func itoa(n int) string { return strconv.Itoa(n) }

func rdsDescribeDBInstances(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.commaList("DBInstanceId", 30)
	if aerr != nil {
		return nil, aerr
	}
	engine, status, vpc, search := c.p.str("Engine"), c.p.str("DBInstanceStatus"), c.p.str("VpcId"), c.p.str("SearchKey")
	var keep func(*DBInstance) bool
	if len(ids) > 0 || engine+status+vpc+search != "" {
		keep = func(d *DBInstance) bool {
			return (len(ids) == 0 || contains(ids, d.ID)) && (engine == "" || strings.EqualFold(d.Engine, engine)) &&
				(status == "" || d.Status == status) && (vpc == "" || d.VpcID == vpc) &&
				(search == "" || strings.Contains(d.ID, search) || strings.Contains(d.Description, search))
		}
	}
	l, aerr := pageList(c.p, rs.RDS.order, keep, 30, 100, 100)
	if aerr != nil {
		return nil, aerr
	}
	out := make([]obj, 0, len(l.items))
	for _, d := range l.items {
		out = append(out, rdsOut(d, false))
	}
	o := obj{"RequestId": c.id, "Items": obj{"DBInstance": out}, "TotalRecordCount": l.total, "PageRecordCount": len(out)}
	if l.tokenMode {
		o["NextToken"] = l.nextToken
	} else {
		o["PageNumber"] = l.page
	}
	return o, nil
}

func rdsDescribeDBInstanceAttribute(c *call) (any, *apiError) {
	idsParam, aerr := c.p.required("DBInstanceId")
	if aerr != nil {
		return nil, aerr
	}
	var out []obj
	for _, id := range strings.Split(idsParam, ",") {
		id = strings.TrimSpace(id)
		var found *DBInstance
		for _, rs := range c.acct.regions {
			if d, ok := rs.RDS.get(id); ok {
				found = d
				break
			}
		}
		if found == nil {
			return nil, errf(http.StatusNotFound, "InvalidDBInstanceId.NotFound", "The specified instance is not found.")
		}
		out = append(out, rdsOut(found, true))
	}
	return obj{"RequestId": c.id, "Items": obj{"DBInstanceAttribute": out}}, nil
}

func redisOut(r *RedisInstance, full bool) obj {
	o := obj{
		"InstanceId": r.ID, "InstanceName": r.Name, "InstanceClass": r.Class, "Capacity": r.CapacityMB,
		"EngineVersion": r.Version, "ArchitectureType": r.Architecture, "InstanceType": "Redis", "ChargeType": r.ChargeType,
		"InstanceStatus": r.Status, "RegionId": r.Region, "ZoneId": r.Zone, "VpcId": r.VpcID, "VSwitchId": r.VSwitchID,
		"PrivateIp": r.PrivateIP, "Port": 6379, "NetworkType": "VPC", "ConnectionDomain": r.ID + ".redis.rds.aliyuncs.com",
		"Bandwidth": r.Bandwidth, "Connections": r.Connections, "QPS": r.QPS, "CreateTime": fmtTime(r.Created, ecsTimeSecond),
		"EndTime": fmtTime(r.EndTime, ecsTimeSecond), "EditionType": "Community", "NodeType": "double",
		"PackageType": "standard", "ResourceGroupId": "", "IsRds": true, "UserName": r.ID, "Tags": vpcTags(r.Tags),
		"ShardCount": 1, "ReplicaCount": 1, "CloudType": "public", "Config": "{\"maxmemory-policy\":\"volatile-lru\"}",
	}
	if full {
		o["Engine"] = "Redis"
		o["StorageType"] = "memory"
		o["Storage"] = itoa(int(r.CapacityMB / 1024))
		o["MaintainStartTime"], o["MaintainEndTime"] = "18:00Z", "22:00Z"
		o["SecurityIPList"] = "127.0.0.1"
		o["AvailabilityValue"] = "100%"
		o["InstanceReleaseProtection"] = false
		o["VpcAuthMode"] = "Open"
		o["ReplicationMode"] = "master-slave"
		o["IsOrderCompleted"] = true
	}
	return o
}

func redisDescribeInstances(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.commaList("InstanceIds", 30)
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	status, vpc, search := c.p.str("InstanceStatus"), c.p.str("VpcId"), c.p.str("SearchKey")
	var keep func(*RedisInstance) bool
	if len(ids)+len(tags) > 0 || status+vpc+search != "" {
		keep = func(r *RedisInstance) bool {
			return (len(ids) == 0 || contains(ids, r.ID)) && (status == "" || r.Status == status) &&
				(vpc == "" || r.VpcID == vpc) && (search == "" || strings.Contains(r.ID, search) || strings.Contains(r.Name, search)) &&
				tagsMatch(r.Tags, tags)
		}
	}
	page, size, aerr := c.p.paging(30, 50)
	if aerr != nil {
		return nil, aerr
	}
	items, total := pageOf(rs.Redis.order, keep, page, size)
	out := make([]obj, 0, len(items))
	for _, r := range items {
		out = append(out, redisOut(r, false))
	}
	return obj{"RequestId": c.id, "PageNumber": page, "PageSize": size, "TotalCount": total, "Instances": obj{"KVStoreInstance": out}}, nil
}

func redisDescribeInstanceAttribute(c *call) (any, *apiError) {
	id, aerr := c.p.required("InstanceId")
	if aerr != nil {
		return nil, aerr
	}
	for _, rs := range c.acct.regions {
		if r, ok := rs.Redis.get(id); ok {
			return obj{"RequestId": c.id, "Instances": obj{"DBInstanceAttribute": []obj{redisOut(r, true)}}}, nil
		}
	}
	return nil, errNotFound("InvalidInstanceId.NotFound", "InstanceId")
}

func kafkaGetInstanceList(c *call) (any, *apiError) {
	_, rs, aerr := c.lookupRegion()
	if aerr != nil {
		return nil, aerr
	}
	ids, aerr := c.p.list("InstanceId", 100)
	if aerr != nil {
		return nil, aerr
	}
	tags, aerr := c.p.tags("Tag")
	if aerr != nil {
		return nil, aerr
	}
	out := []obj{}
	for _, k := range rs.Kafka.order {
		if len(ids) > 0 && !contains(ids, k.ID) || !tagsMatch(k.Tags, tags) {
			continue
		}
		tv := make([]obj, 0, len(k.Tags))
		for _, t := range k.Tags {
			tv = append(tv, obj{"Key": t.Key, "Value": t.Value})
		}
		out = append(out, obj{
			"InstanceId": k.ID, "Name": k.Name, "RegionId": k.Region, "ZoneId": k.Zone, "StandardZoneId": k.Zone,
			"VpcId": k.VpcID, "VSwitchId": k.VSwitchID, "SpecType": k.SpecType, "DiskSize": k.DiskSize, "DiskType": k.DiskType,
			"IoMax": k.IoMax, "EipMax": 0, "TopicNumLimit": k.TopicLimit, "UsedTopicCount": k.Topics,
			"UsedPartitionCount": k.Partitions, "UsedGroupCount": k.Topics / 2, "PaidType": k.PaidType, "ServiceStatus": 5,
			"DeployType": 5, "MsgRetain": 72, "CreateTime": k.Created.UnixMilli(), "ExpiredTime": k.Expired.UnixMilli(),
			"EndPoint": "", "DomainEndpoint": "", "SslEndPoint": "", "SaslDomainEndpoint": "", "SslDomainEndpoint": "",
			"SecurityGroup": "", "AllConfig": "{}", "KmsKeyId": "", "ResourceGroupId": "",
			"UpgradeServiceDetailInfo": obj{"Current2OpenSourceVersion": "2.2.0"}, "Tags": obj{"TagVO": tv},
		})
	}
	return obj{"RequestId": c.id, "Code": 200, "Message": "operation success.", "Success": true,
		"InstanceList": obj{"InstanceVO": out}}, nil
}
