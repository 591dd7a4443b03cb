package starvcentersim

import (
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// obj is one JSON object of a response's data.
type obj = map[string]any

// reply is what a handler returns on success.
type reply struct {
	data     any
	hasData  bool
	startID  string
	count    int
	hasCount bool
}

func dataReply(v any) *reply { return &reply{data: v, hasData: true} }

func taskReply(id string) *reply { return &reply{startID: id} }

// apiErr is a refused call: result code and resultinfo.
type apiErr struct {
	code string
	info string
}

func failf(format string, args ...any) *apiErr {
	return &apiErr{code: ResultFailed, info: fmt.Sprintf(format, args...)}
}

// cst is the zone of every time on the wire (China Standard Time).
var cst = time.FixedZone("CST", 8*3600)

// TimeLayout is the document's time format ("2010-02-03 13:33:33").
const TimeLayout = "2006-01-02 15:04:05"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(cst).Format(TimeLayout)
}

func tf(b bool) string { return strconv.FormatBool(b) }

func itoa[T ~int | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// VM states (appendix table 1).
const (
	VMStopped      = 0
	VMRunning      = 1
	VMSleeping     = 2
	VMInstalling   = 3
	VMCloning      = 4
	VMFaultCheck   = -1
	VMCreateFailed = -2
)

// VMStateNames names the VM state codes of appendix table 1.
var VMStateNames = map[int]string{
	VMStopped: "停止", VMRunning: "运行", VMSleeping: "休眠", VMInstalling: "安装中",
	VMCloning: "克隆中", VMFaultCheck: "故障检测中", VMCreateFailed: "创建失败",
}

// Lock codes (appendix table 2). Any non-zero lock refuses every operation.
const (
	LockNone           = 0
	LockHostMigrate    = 1
	LockStorageMigrate = 2
	LockBackupCreate   = 3
	LockBackupRestore  = 4
	LockSnapCreate     = 5
	LockSnapRestore    = 6
	LockStarting       = 7
	LockStopping       = 8
	LockExporting      = 9
	LockImporting      = 10
	LockBeingCloned    = 11
	LockInstalling     = 12
	LockCloning        = 13
	LockMoving         = 14
)

// LockNames names the lock codes of appendix table 2.
var LockNames = map[int]string{
	LockNone: "未锁定", LockHostMigrate: "跨主机迁移中", LockStorageMigrate: "跨存储迁移中",
	LockBackupCreate: "备份创建中", LockBackupRestore: "备份还原中", LockSnapCreate: "快照创建中",
	LockSnapRestore: "快照还原中", LockStarting: "启动中", LockStopping: "停止中",
	LockExporting: "导出中", LockImporting: "导入中", LockBeingCloned: "被克隆中",
	LockInstalling: "安装中", LockCloning: "克隆中", LockMoving: "移动中",
}

// Host states (appendix table 3).
const (
	HostStopped    = 0
	HostRunning    = 1
	HostOffline    = 2
	HostFaultCheck = -1
	HostHACheck    = -2
)

// HostStateNames names the host state codes of appendix table 3.
var HostStateNames = map[int]string{
	HostStopped: "停止", HostRunning: "运行", HostOffline: "掉线", HostFaultCheck: "故障检测中", HostHACheck: "HA检测中",
}

// Task-log result codes (appendix table 4).
const (
	TaskSuccess   = 0
	TaskFailed    = 1
	TaskRunning   = 2
	TaskQueued    = 3
	TaskLost      = 4
	TaskTimeout   = 5
	TaskAborted   = 6
	TaskCancelled = 7
)

// TaskStateNames names the task-log codes of appendix table 4.
var TaskStateNames = map[int]string{
	TaskSuccess: "成功", TaskFailed: "失败", TaskRunning: "执行中", TaskQueued: "排队等待中",
	TaskLost: "任务丢失", TaskTimeout: "执行超时", TaskAborted: "异常终止", TaskCancelled: "已取消",
}

// Quota is a tenant's quota; zero or negative means unlimited.
type Quota struct {
	CPU       int64 `json:"cpu"`
	Memory    int64 `json:"memory"`  // MB
	Storage   int64 `json:"storage"` // GB
	PortGroup int64 `json:"portgroup"`
	OuterIP   int64 `json:"outerip"`
	OSS       int64 `json:"oss"` // GB; the simulator has no object storage
}

// DefaultQuota is given to tenants created without explicit quotas.
var DefaultQuota = Quota{CPU: 64, Memory: 131072, Storage: 2048, PortGroup: 10, OuterIP: 8, OSS: 0}

type tenant struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Desc    string    `json:"desc"`
	Created time.Time `json:"created"`
	Quota   Quota     `json:"quota"`
	Seq     int64     `json:"seq"`
}

type vm struct {
	ID             string    `json:"id"`
	TenantID       string    `json:"tenantId"`
	Name           string    `json:"name"`
	Desc           string    `json:"desc"`
	Created        time.Time `json:"created"`
	State          int       `json:"state"`
	Lock           int       `json:"lock"`
	VCPU           int64     `json:"vcpu"`
	Memory         int64     `json:"memory"`
	PendingVCPU    int64     `json:"pendingVcpu,omitempty"`
	PendingMemory  int64     `json:"pendingMemory,omitempty"`
	TenantType     string    `json:"tenantType"`
	TenantModel    string    `json:"tenantModel"`
	TemplateID     string    `json:"templateId"`
	HostID         string    `json:"hostId"`
	VNCPasswd      string    `json:"vncPasswd"`
	VNCPort        int       `json:"vncPort"`
	AdminUser      string    `json:"adminUser"`
	Hyperv         bool      `json:"hyperv"`
	Firewalld      bool      `json:"firewalld"`
	RebootEnable   bool      `json:"rebootEnable"`
	ShutdownEnable bool      `json:"shutdownEnable"`
	AgentOnline    bool      `json:"agentOnline"`
	Seq            int64     `json:"seq"`
}

type disk struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"tenantId"`
	VMID        string    `json:"vmId,omitempty"`
	Name        string    `json:"name"`
	DevName     string    `json:"devName"`
	Desc        string    `json:"desc"`
	Created     time.Time `json:"created"`
	Size        int64     `json:"size"`
	PendingSize int64     `json:"pendingSize,omitempty"`
	System      bool      `json:"system"`
	StorageID   string    `json:"storageId"`
	UseType     string    `json:"useType,omitempty"`
	Seq         int64     `json:"seq"`
}

type nic struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenantId"`
	VMID      string    `json:"vmId"`
	Name      string    `json:"name"`
	Desc      string    `json:"desc"`
	Created   time.Time `json:"created"`
	MAC       string    `json:"mac"`
	IP        string    `json:"ip"`
	VPCID     string    `json:"vpcId"`
	SecGroups []string  `json:"secGroups,omitempty"`
	Seq       int64     `json:"seq"`
}

type vpc struct {
	ID       string    `json:"id"`
	TenantID string    `json:"tenantId"`
	Name     string    `json:"name"`
	Desc     string    `json:"desc"`
	Created  time.Time `json:"created"`
	Net      int       `json:"net"` // the /24 is 10.(Net/256).(Net%256).0
	NetGate  bool      `json:"netGate"`
	VRouteID string    `json:"vrouteId,omitempty"`
	Seq      int64     `json:"seq"`
}

func (v *vpc) cidr() string    { return fmt.Sprintf("10.%d.%d.0/24", v.Net/256, v.Net%256) }
func (v *vpc) gateway() string { return fmt.Sprintf("10.%d.%d.1", v.Net/256, v.Net%256) }
func (v *vpc) ip(host int) string {
	return fmt.Sprintf("10.%d.%d.%d", v.Net/256, v.Net%256, host)
}

type imageCopy struct { // a backup or a snapshot
	ID       string    `json:"id"`
	TenantID string    `json:"tenantId"`
	VMID     string    `json:"vmId"`
	Name     string    `json:"name"`
	Desc     string    `json:"desc"`
	Created  time.Time `json:"created"`
	Enable   bool      `json:"enable"`
	Seq      int64     `json:"seq"`
}

type vroute struct {
	ID       string    `json:"id"`
	TenantID string    `json:"tenantId"`
	Name     string    `json:"name"`
	Desc     string    `json:"desc"`
	Created  time.Time `json:"created"`
	ManageIP string    `json:"manageIp"`
	HA       bool      `json:"ha"`
	GroupID  string    `json:"groupId"`
	Online   bool      `json:"online"`
	Failed   bool      `json:"failed,omitempty"`
	Seq      int64     `json:"seq"`
}

type natMapping struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenantId"`
	Type      string    `json:"type"` // ip | port
	OuterIP   string    `json:"outerIp"`
	OuterPort string    `json:"outerPort,omitempty"`
	InnerIP   string    `json:"innerIp"`
	InnerPort string    `json:"innerPort,omitempty"`
	Protocol  string    `json:"protocol,omitempty"`
	SrcIP     string    `json:"srcIp,omitempty"`
	Desc      string    `json:"desc"`
	VMID      string    `json:"vmId"`
	VNetID    string    `json:"vnetId"`
	VRouteID  string    `json:"vrouteId,omitempty"`
	Created   time.Time `json:"created"`
	Seq       int64     `json:"seq"`
}

type aclRule struct {
	ID        string `json:"id"`
	TenantID  string `json:"tenantId"`
	Type      string `json:"type"` // net_gate | net_inner
	VMIP      string `json:"vmIp"`
	VMID      string `json:"vmId"`
	VNetID    string `json:"vnetId"`
	VRouteID  string `json:"vrouteId,omitempty"`
	Direction string `json:"direction,omitempty"`
	DstIPs    string `json:"dstIps,omitempty"`
	Ports     string `json:"ports,omitempty"`
	SrcIPs    string `json:"srcIps,omitempty"`
	Protocol  string `json:"protocol,omitempty"`
	Desc      string `json:"desc"`
	Seq       int64  `json:"seq"`
}

type slb struct {
	ID              string    `json:"id"`
	TenantID        string    `json:"tenantId"`
	Name            string    `json:"name"`
	Desc            string    `json:"desc"`
	Created         time.Time `json:"created"`
	VMID            string    `json:"vmId"`
	Protocol        string    `json:"protocol"`
	NetworkType     string    `json:"networkType"`
	DirectIP        string    `json:"directIp"`
	DirectIPSelf    bool      `json:"directIpSelf"`
	DirectPort      int64     `json:"directPort"`
	RealPort        int64     `json:"realPort"`
	Enable          bool      `json:"enable"`
	URLPath         string    `json:"urlPath"`
	CertEnable      bool      `json:"certEnable"`
	CertText        string    `json:"certText,omitempty"`
	CertKey         string    `json:"certKey,omitempty"`
	Policy          string    `json:"policy"`
	RetryTime       int64     `json:"retryTime"`
	CheckInterval   int64     `json:"checkInterval"`
	CheckTimeout    int64     `json:"checkTimeout"`
	EmptyLinkTimout int64     `json:"emptyLinkTimeout"`
	CheckPath       string    `json:"checkPath"`
	MaxOccurs       int64     `json:"maxOccurs"`
	Seq             int64     `json:"seq"`
}

type realNode struct {
	ID       string    `json:"id"`
	TenantID string    `json:"tenantId"`
	SLBID    string    `json:"slbId"`
	Name     string    `json:"name"`
	Desc     string    `json:"desc"`
	Created  time.Time `json:"created"`
	Enable   bool      `json:"enable"`
	IP       string    `json:"ip"`
	Port     int64     `json:"port"`
	VMID     string    `json:"vmId"`
	Weight   int64     `json:"weight"`
	Seq      int64     `json:"seq"`
}

type secGroup struct {
	ID       string    `json:"id"`
	TenantID string    `json:"tenantId"`
	Name     string    `json:"name"`
	Desc     string    `json:"desc"`
	Created  time.Time `json:"created"`
	Seq      int64     `json:"seq"`
}

type sgRule struct {
	ID        string `json:"id"`
	TenantID  string `json:"tenantId"`
	GroupID   string `json:"groupId"`
	VMPort    string `json:"vmPort"`
	SrcIP     string `json:"srcIp"`
	Target    string `json:"target"`
	Direction string `json:"direction"`
	Protocol  string `json:"protocol"`
	Seq       int64  `json:"seq"`
}

type retryIssue struct {
	ID       string `json:"id"`
	TenantID string `json:"tenantId"`
	RuleID   string `json:"ruleId"`
	GroupID  string `json:"groupId"`
	VMID     string `json:"vmId"`
	RetryNum int    `json:"retryNum"`
	Seq      int64  `json:"seq"`
}

type host struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Desc       string    `json:"desc"`
	State      int       `json:"state"`
	Connected  bool      `json:"connected"`
	Created    time.Time `json:"created"`
	IP         string    `json:"ip"`
	Registered bool      `json:"registered"`
	Mending    bool      `json:"mending"`
	OSProduct  string    `json:"osProduct"`
	OSBit      string    `json:"osBit"`
	OSVersion  string    `json:"osVersion"`
	VirtVer    string    `json:"virtVersion"`
	CPUVendor  string    `json:"cpuVendor"`
	CPUCores   int64     `json:"cpuCores"`
	CPUs       int64     `json:"cpus"`
	MemGB      int64     `json:"memGb"`
	Seq        int64     `json:"seq"`
}

type storage struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Desc     string    `json:"desc"`
	Created  time.Time `json:"created"`
	Type     string    `json:"type"`
	Thin     bool      `json:"thin"`
	Size     int64     `json:"size"` // GB
	BaseUsed int64     `json:"baseUsed"`
	Location string    `json:"location"`
	UseType  string    `json:"useType"`
	FileType string    `json:"fileType"`
	IOAuth   string    `json:"ioAuth"`
	CephMon  string    `json:"cephMon,omitempty"`
	Seq      int64     `json:"seq"`
}

type alarm struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"tenantId,omitempty"` // "" = infrastructure, seen by all
	Type        string    `json:"type"`
	Level       string    `json:"level"`
	ObjID       string    `json:"objId"`
	ObjName     string    `json:"objName"`
	ObjType     string    `json:"objType"`
	Content     string    `json:"content"`
	Created     time.Time `json:"created"`
	RelieveTime time.Time `json:"relieveTime"`
	RelieveWay  string    `json:"relieveWay"`
	Seq         int64     `json:"seq"`
}

type poolIP struct {
	IP      string `json:"ip"`
	Gateway string `json:"gateway"`
	Netmask string `json:"netmask"`
}

type dictEntry struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Label string `json:"label"`
	Value string `json:"value"`
	Desc  string `json:"desc"`
	Seq   int64  `json:"seq"`
}

// state is everything the simulator knows; it is what is persisted.
type state struct {
	Version   int                    `json:"version"`
	Counter   uint64                 `json:"counter"`
	TaskSeq   int64                  `json:"taskSeq"`
	NetSeq    int                    `json:"netSeq"`
	Tokens    map[string]string      `json:"tokens"` // token -> tenant id
	Tenants   map[string]*tenant     `json:"tenants"`
	VMs       map[string]*vm         `json:"vms"`
	Disks     map[string]*disk       `json:"disks"`
	NICs      map[string]*nic        `json:"nics"`
	VPCs      map[string]*vpc        `json:"vpcs"`
	Backups   map[string]*imageCopy  `json:"backups"`
	Snapshots map[string]*imageCopy  `json:"snapshots"`
	VRoutes   map[string]*vroute     `json:"vroutes"`
	NATs      map[string]*natMapping `json:"nats"`
	ACLs      map[string]*aclRule    `json:"acls"`
	SLBs      map[string]*slb        `json:"slbs"`
	RealNodes map[string]*realNode   `json:"realNodes"`
	SecGroups map[string]*secGroup   `json:"secGroups"`
	SGRules   map[string]*sgRule     `json:"sgRules"`
	Retries   map[string]*retryIssue `json:"retries"`
	Hosts     map[string]*host       `json:"hosts"`
	Storages  map[string]*storage    `json:"storages"`
	Alarms    map[string]*alarm      `json:"alarms"`
	Dict      map[string]*dictEntry  `json:"dict"`
	Pool      []poolIP               `json:"pool"`
	Tasks     []*task                `json:"tasks"`
}

const stateVersion = 1

func newState() *state {
	return &state{
		Version: stateVersion, TaskSeq: 100000,
		Tokens: map[string]string{}, Tenants: map[string]*tenant{}, VMs: map[string]*vm{},
		Disks: map[string]*disk{}, NICs: map[string]*nic{}, VPCs: map[string]*vpc{},
		Backups: map[string]*imageCopy{}, Snapshots: map[string]*imageCopy{}, VRoutes: map[string]*vroute{},
		NATs: map[string]*natMapping{}, ACLs: map[string]*aclRule{}, SLBs: map[string]*slb{},
		RealNodes: map[string]*realNode{}, SecGroups: map[string]*secGroup{}, SGRules: map[string]*sgRule{},
		Retries: map[string]*retryIssue{}, Hosts: map[string]*host{}, Storages: map[string]*storage{},
		Alarms: map[string]*alarm{}, Dict: map[string]*dictEntry{},
	}
}

// mix is splitmix64: ids and generated values are pure functions of the seed
// and a counter, so a reloaded state keeps producing fresh, repeatable ids.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newID returns the next 32-hex-digit object id.
func (s *Server) newID() string {
	s.st.Counter++
	var b [16]byte
	a := mix(uint64(s.seed) ^ mix(s.st.Counter))
	binary.BigEndian.PutUint64(b[:8], a)
	binary.BigEndian.PutUint64(b[8:], mix(a))
	return hex.EncodeToString(b[:])
}

// rand returns a deterministic pseudo-random number from the id counter.
func (s *Server) rand() uint64 {
	s.st.Counter++
	return mix(uint64(s.seed)*31 ^ mix(s.st.Counter))
}

// seqOf is implemented by every listed object so lists keep creation order.
type seqOf interface{ seq() int64 }

func (o *tenant) seq() int64     { return o.Seq }
func (o *vm) seq() int64         { return o.Seq }
func (o *disk) seq() int64       { return o.Seq }
func (o *nic) seq() int64        { return o.Seq }
func (o *vpc) seq() int64        { return o.Seq }
func (o *imageCopy) seq() int64  { return o.Seq }
func (o *vroute) seq() int64     { return o.Seq }
func (o *natMapping) seq() int64 { return o.Seq }
func (o *aclRule) seq() int64    { return o.Seq }
func (o *slb) seq() int64        { return o.Seq }
func (o *realNode) seq() int64   { return o.Seq }
func (o *secGroup) seq() int64   { return o.Seq }
func (o *sgRule) seq() int64     { return o.Seq }
func (o *retryIssue) seq() int64 { return o.Seq }
func (o *host) seq() int64       { return o.Seq }
func (o *storage) seq() int64    { return o.Seq }
func (o *alarm) seq() int64      { return o.Seq }
func (o *dictEntry) seq() int64  { return o.Seq }

// sorted returns the map's values that pass keep, in creation order.
func sorted[T seqOf](m map[string]T, keep func(T) bool) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		if keep == nil || keep(v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(a.seq(), b.seq()) })
	return out
}

func (s *Server) nextSeq() int64 {
	s.st.Counter++
	return int64(s.st.Counter)
}
