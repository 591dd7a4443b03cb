package starvcentersim

import "net/http"

const (
	get = http.MethodGet
	pst = http.MethodPost
	put = http.MethodPut
	del = http.MethodDelete
)

// buildRoutes registers every endpoint of the document, in its order. "{}"
// is the path parameter (resId).
func (s *Server) buildRoutes() {
	// 2.1 tenants
	s.handle(pst, "cloudTenant/create", s.hTenantCreate).admin = true
	// 2.2 VMs
	s.handle(pst, "cloudvm/create", s.hVMCreate)
	s.read(pst, "cloudvm/search", s.hVMSearch)
	s.read(get, "cloudvm/{}", s.hVMGet)
	s.handle(put, "cloudvm/start", s.hVMStart)
	s.handle(put, "cloudvm/destroy", s.hVMDestroy)
	s.handle(put, "cloudvm/shutdown", s.hVMShutdown)
	s.handle(del, "cloudvm/{}", s.hVMDelete)
	s.handle(put, "cloudvm/modify", s.hVMModify)
	s.read(get, "cloudvm/connection/{}", s.hVMConnection)
	s.handle(pst, "cloudvm/setadminpwd", s.hVMAdminPwd)
	s.handle(pst, "cloudvm/resumeCloudAgent", s.hVMAgent)
	s.handle(pst, "cloudvm/editvncpwd", s.hVMEditVNC)
	s.handle(pst, "cloudvm/setvncpwd", s.hVMResetVNC)
	s.handle(put, "cloudvm/restart", s.hVMRestart)
	s.handle(put, "cloudvm/cpu/modify", s.hVMCPU)
	s.handle(put, "cloudvm/mem/modify", s.hVMMem)
	s.read(get, "cloudvm/model", s.hVMModel)
	s.handle(pst, "cloudvm/switchfirewalld", s.hVMFirewalld)
	s.handle(pst, "cloudvm/addVhostModelAndType", s.hDictAdd)
	s.handle(del, "cloudvm/delVhostModelAndType/{}", s.hDictDelete)
	// 2.3 networks
	s.handle(pst, "cloudnetwork/vpc/create", s.hVPCCreate)
	s.handle(put, "cloudnetwork/vpc/modify", s.hVPCModify)
	s.handle(pst, "cloudnetwork/vpc/delete", s.hVPCDelete)
	s.read(pst, "cloudnetwork/vpc/search", s.hVPCSearch)
	s.handle(pst, "cloudnetwork/sharenet/connect", s.hShareConnect)
	s.read(pst, "cloudnetwork/sharenet/search", s.hShareSearch)
	s.handle(pst, "cloudnetwork/portMapping/create", s.hPortMapping)
	s.handle(del, "cloudnetwork/ipmapping/{}", s.hIPMappingDelete)
	s.read(pst, "cloudnetwork/acessrule/search", s.hACLSearch)
	s.handle(pst, "cloudnetwork/acessrule/add", s.hACLAdd)
	s.handle(del, "cloudnetwork/acessrule/{}", s.hACLDelete)
	s.handle(pst, "cloudnetwork/netgate", s.hNetGate)
	// 2.4 disks
	s.handle(pst, "cloudvm/vdisk/add", s.hDiskAdd)
	s.handle(del, "cloudvm/vdisk/{}", s.hDiskDelete)
	s.handle(put, "cloudvm/vdisk/extend", s.hDiskExtend)
	s.read(pst, "cloudvm/vdisk/search", s.hDiskSearch)
	s.handle(pst, "cloudvm/vdisk/create/pv", s.hDiskCreatePV)
	// 2.5 NICs
	s.read(pst, "cloudvm/vnic/search", s.hNICSearch)
	s.handle(pst, "cloudvm/vnic/add", s.hNICAdd)
	// 2.6 backups
	s.read(get, "cloudvm/backup/{}", s.hBackupList)
	s.handle(pst, "cloudvm/backup/create", s.hBackupCreate)
	s.handle(del, "cloudvm/backup/{}", s.hBackupDelete)
	s.handle(put, "cloudvm/backup/restore", s.hBackupRestore)
	s.handle(put, "cloudvm/backup/modify", s.hBackupModify)
	// 2.7 snapshots
	s.read(get, "cloudvm/snapshot/{}", s.hSnapList)
	s.handle(pst, "cloudvm/snapshot/create", s.hSnapCreate)
	s.handle(put, "cloudvm/snapshot/restore", s.hSnapRestore)
	s.handle(del, "cloudvm/snapshot/{}", s.hSnapDelete)
	s.handle(put, "cloudvm/snapshot/modify", s.hSnapModify)
	// 2.8 monitoring
	s.read(pst, "cloudmonitor/compute/current", s.hMonCompute)
	s.read(pst, "cloudmonitor/compute/history", s.hMonComputeHistory)
	s.read(pst, "cloudmonitor/disk/history", s.hMonDiskHistory)
	s.read(pst, "cloudmonitor/net/history", s.hMonNetHistory)
	s.read(pst, "cloudmonitor/everydisk/current", s.hMonEveryDisk)
	s.read(pst, "cloudmonitor/everynet/current", s.hMonEveryNet)
	s.read(pst, "cloudmonitor/compute/currents", s.hMonComputeBatch)
	// 2.9 virtual routers
	s.handle(pst, "vroute/create", s.hVRouteCreate)
	s.handle(pst, "vroute/vpcAdd", s.hVRouteVPCAdd)
	s.handle(pst, "vroute/vpcDelete", s.hVRouteVPCDelete)
	s.read(get, "vroute/{}", s.hVRouteGet)
	s.read(pst, "vroute/Mapping/search", s.hMappingSearch)
	// 2.10 quotas
	s.read(pst, "resourcequota/search", s.hQuotaSearch)
	s.handle(put, "resourcequota/modify", s.hQuotaModify)
	s.read(pst, "resourcequota/usableQuota", s.hQuotaUsable)
	// 2.11 IP pool
	s.read(pst, "cloudip/mapping/outerIp/search", s.hOuterIPSearch)
	// 2.12 load balancers
	s.read(pst, "cloudslb/search", s.hSLBSearch)
	s.handle(pst, "cloudslb/add", s.hSLBAdd)
	s.handle(put, "cloudslb/modify", s.hSLBModify) // also reached as "cloud slb/modify"
	s.handle(del, "cloudslb/{}", s.hSLBDelete)
	s.handle(pst, "cloudslb/start", s.hSLBStart)
	s.handle(pst, "cloudslb/stop", s.hSLBStop)
	s.handle(put, "cloudslb/https/cert/conf", s.hSLBCert)
	// 2.13 load balancer back ends
	s.read(pst, "cloudslb/realnode/search", s.hRealNodeSearch)
	s.handle(pst, "cloudslb/realnode/add", s.hRealNodeAdd)
	s.handle(put, "cloudslb/realnode/modify", s.hRealNodeModify)
	s.handle(del, "cloudslb/realnode/{}", s.hRealNodeDelete)
	// 2.14 - 2.16 hosts, alarms, storages
	s.read(pst, "cloudhost/search", s.hHostSearch)
	s.read(pst, "cloudalarm/search", s.hAlarmSearch)
	s.read(pst, "cloudstorage/search", s.hStorageSearch)
	// 2.17 security groups
	s.read(pst, "cloudsegroup/search", s.hSGSearch)
	s.handle(pst, "cloudsegroup/create", s.hSGCreate)
	s.handle(del, "cloudsegroup/{}", s.hSGDelete)
	s.handle(pst, "cloudsegroup/vnic/bind", s.hSGBind)
	s.handle(pst, "cloudsegroup/vnic/unbind", s.hSGUnbind) // also "cloudsegroup /vnic/unbind"
	s.read(pst, "cloudsegroup/vnic/search", s.hSGNICSearch)
	// 2.18 security group rules
	s.read(pst, "cloudsegroup/rule/search", s.hSGRuleSearch)
	s.handle(pst, "cloudsegroup/rule/add", s.hSGRuleAdd)
	s.handle(del, "cloudsegroup/rule/{}", s.hSGRuleDelete)
	s.read(pst, "cloudsegroup/rule/vm", s.hSGRuleVM)
	s.read(pst, "cloudsegroup/retryrule/search", s.hRetrySearch)
	s.handle(put, "cloudsegroup/retryrule/reset", s.hRetryReset)
	// The task log the document refers to for startid (see COMPAT.md).
	s.read(get, "tasklog/{}", s.hTaskGet)
	s.read(pst, "tasklog/search", s.hTaskSearch)
}
