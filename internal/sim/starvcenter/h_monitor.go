package starvcentersim

import (
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"time"
)

// gauge is a monitoring value: a pure function of object id, metric and
// time. Each object has its own level; a daily wave and per-point noise ride
// on it. Samples repeat exactly for the same inputs.
func gauge(id, metric string, t time.Time, lo, hi float64) float64 {
	level := unit(id, metric, 0)
	noise := unit(id, metric, t.Unix())
	phase := 2 * math.Pi * unit(id, metric+"/phase", 0)
	secs := float64(t.In(cst).Hour()*3600 + t.In(cst).Minute()*60 + t.In(cst).Second())
	wave := (math.Sin(2*math.Pi*secs/86400+phase) + 1) / 2
	f := 0.55*level + 0.3*wave + 0.15*noise
	return lo + (hi-lo)*f
}

func unit(id, metric string, at int64) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%s|%d", id, metric, at)
	return float64(mix(h.Sum64())>>11) / float64(1<<53)
}

func pct(v float64) string { return strconv.Itoa(int(math.Round(v))) }
func kbs(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// monTarget resolves monitor.obj.type and monitor.obj.
func (c *call) monVM() (*vm, *apiErr) {
	if e := c.p.require("monitor.obj.type", "monitor.obj"); e != nil {
		return nil, e
	}
	if typ := c.p.str("monitor.obj.type"); typ != "vm" {
		return nil, failf("参数monitor.obj.type必须为vm: %q", typ)
	}
	return c.vmByID(c.p.str("monitor.obj"))
}

// series returns the sample times of a line type, oldest first, from the
// object's creation on.
func series(c *call, created time.Time) ([]time.Time, *apiErr) {
	if e := c.p.require("lineType"); e != nil {
		return nil, e
	}
	now := c.now.In(cst)
	var step time.Duration
	var n int
	var last time.Time
	switch lt := c.p.str("lineType"); lt {
	case "minute":
		step, n, last = time.Minute, 60, now.Truncate(time.Minute)
	case "hour":
		step, n, last = time.Hour, 24, now.Truncate(time.Hour)
	case "day":
		step, n = 24*time.Hour, 30
		last = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, cst)
	default:
		return nil, failf("参数lineType必须为minute、hour或day: %q", lt)
	}
	out := make([]time.Time, 0, n)
	for i := n - 1; i >= 0; i-- {
		t := last.Add(-time.Duration(i) * step)
		if t.Add(step).After(created) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (s *Server) computeSample(id string, running bool, cpus, memMB int64, t time.Time) obj {
	o := obj{
		"monitor.obj": id, "monitor.createtime": fmtTime(t),
		"monitor.cpu.rate": "", "monitor.mem.rate": "", "monitor.cpu.num": itoa(cpus),
		"monitor.mem.size": itoa(memMB), "monitor.mem.usedsize": "",
	}
	if running {
		mem := gauge(id, "mem", t, 8, 92)
		o["monitor.cpu.rate"] = pct(gauge(id, "cpu", t, 1, 95))
		o["monitor.mem.rate"] = pct(mem)
		o["monitor.mem.usedsize"] = itoa(int64(float64(memMB) * mem / 100))
	}
	return o
}

// POST cloudmonitor/compute/current
func (s *Server) hMonCompute(c *call) (*reply, *apiErr) {
	v, e := c.monVM()
	if e != nil {
		return nil, e
	}
	t := c.now.Truncate(time.Minute)
	return dataReply(s.computeSample(v.ID, v.State == VMRunning, v.VCPU, v.Memory, t)), nil
}

// POST cloudmonitor/compute/history
func (s *Server) hMonComputeHistory(c *call) (*reply, *apiErr) {
	v, e := c.monVM()
	if e != nil {
		return nil, e
	}
	ts, e := series(c, v.Created)
	if e != nil {
		return nil, e
	}
	rows := []obj{}
	for _, t := range ts {
		rows = append(rows, obj{"monitor.obj": v.ID, "monitor.createtime": fmtTime(t),
			"monitor.cpu.rate": pct(gauge(v.ID, "cpu", t, 1, 95)), "monitor.mem.rate": pct(gauge(v.ID, "mem", t, 8, 92))})
	}
	return dataReply(rows), nil
}

// POST cloudmonitor/disk/history
func (s *Server) hMonDiskHistory(c *call) (*reply, *apiErr) {
	v, e := c.monVM()
	if e != nil {
		return nil, e
	}
	ts, e := series(c, v.Created)
	if e != nil {
		return nil, e
	}
	rows := []obj{}
	for _, t := range ts {
		rows = append(rows, obj{"monitor.obj": v.ID, "monitor.createtime": fmtTime(t),
			"monitor.disk.writespeed": kbs(gauge(v.ID, "diskw", t, 0, 20480)),
			"monitor.disk.readspeed":  kbs(gauge(v.ID, "diskr", t, 0, 40960))})
	}
	return dataReply(rows), nil
}

// POST cloudmonitor/net/history
func (s *Server) hMonNetHistory(c *call) (*reply, *apiErr) {
	v, e := c.monVM()
	if e != nil {
		return nil, e
	}
	ts, e := series(c, v.Created)
	if e != nil {
		return nil, e
	}
	rows := []obj{}
	for _, t := range ts {
		rows = append(rows, obj{"monitor.obj": v.ID, "monitor.createtime": fmtTime(t),
			"monitor.net.downspeed": kbs(gauge(v.ID, "netdown", t, 0, 12800)),
			"monitor.net.upspeed":   kbs(gauge(v.ID, "netup", t, 0, 6400))})
	}
	return dataReply(rows), nil
}

// POST cloudmonitor/everydisk/current
func (s *Server) hMonEveryDisk(c *call) (*reply, *apiErr) {
	v, e := c.monVM()
	if e != nil {
		return nil, e
	}
	t := c.now.Truncate(time.Minute)
	on := v.State == VMRunning
	rows := []obj{}
	for _, d := range sorted(s.st.Disks, func(d *disk) bool { return d.VMID == v.ID }) {
		sizeKB := d.Size * 1024 * 1024
		o := obj{"monitor.obj": v.ID, "monitor.diskid": d.ID, "monitor.createtime": fmtTime(t),
			"monitor.disk.writespeed": "", "monitor.disk.readspeed": "", "monitor.disk.size": itoa(sizeKB),
			"monitor.disk.rqbs": "", "monitor.disk.wqbs": "",
			"monitor.disk.usedsize": itoa(int64(float64(sizeKB) * gauge(d.ID, "used", time.Time{}, 0.05, 0.8)))}
		if on {
			o["monitor.disk.writespeed"] = kbs(gauge(d.ID, "diskw", t, 0, 20480))
			o["monitor.disk.readspeed"] = kbs(gauge(d.ID, "diskr", t, 0, 40960))
			o["monitor.disk.rqbs"] = pct(gauge(d.ID, "rqbs", t, 0, 400))
			o["monitor.disk.wqbs"] = pct(gauge(d.ID, "wqbs", t, 0, 300))
		}
		rows = append(rows, o)
	}
	return dataReply(rows), nil
}

// POST cloudmonitor/everynet/current
func (s *Server) hMonEveryNet(c *call) (*reply, *apiErr) {
	v, e := c.monVM()
	if e != nil {
		return nil, e
	}
	t := c.now.Truncate(time.Minute)
	rows := []obj{}
	for _, n := range sorted(s.st.NICs, func(n *nic) bool { return n.VMID == v.ID }) {
		o := obj{"monitor.obj": v.ID, "monitor. netcard id": n.ID, "monitor.netcardid": n.ID,
			"monitor. netcardmac": n.MAC, "monitor.netcardmac": n.MAC, "monitor.createtime": fmtTime(t),
			"monitor.net.downspeed": "", "monitor.net.upspeed": ""}
		if v.State == VMRunning {
			o["monitor.net.downspeed"] = kbs(gauge(n.ID, "netdown", t, 0, 12800))
			o["monitor.net.upspeed"] = kbs(gauge(n.ID, "netup", t, 0, 6400))
		}
		rows = append(rows, o)
	}
	return dataReply(rows), nil
}

// POST cloudmonitor/compute/currents
func (s *Server) hMonComputeBatch(c *call) (*reply, *apiErr) {
	if e := c.p.require("monitor.obj.type"); e != nil {
		return nil, e
	}
	ids := c.p.list("monitor.objids")
	if len(ids) == 0 {
		return nil, failf("缺少必需参数: monitor.objids")
	}
	if len(ids) > 1000 {
		return nil, failf("参数monitor.objids最多1000个")
	}
	typ := c.p.str("monitor.obj.type")
	t := c.now.Truncate(time.Minute)
	rows := []obj{}
	for _, id := range ids {
		var o obj
		var diskMB int64
		switch typ {
		case "vm":
			v := s.st.VMs[id]
			if v == nil || !c.sees(v.TenantID) {
				o = s.computeSample(id, false, 0, 0, t)
				o["monitor.cpu.num"], o["monitor.mem.size"] = "", ""
				break
			}
			o = s.computeSample(v.ID, v.State == VMRunning, v.VCPU, v.Memory, t)
			for _, d := range s.st.Disks {
				if d.VMID == v.ID {
					diskMB += int64(float64(d.Size*1024) * gauge(d.ID, "used", time.Time{}, 0.05, 0.8))
				}
			}
		case "host":
			h := s.st.Hosts[id]
			if h == nil {
				o = s.computeSample(id, false, 0, 0, t)
				o["monitor.cpu.num"], o["monitor.mem.size"] = "", ""
				break
			}
			o = s.computeSample(h.ID, h.State == HostRunning, h.CPUCores, h.MemGB*1024, t)
			diskMB = int64(gauge(h.ID, "disk", time.Time{}, 50, 400) * 1024)
		default:
			return nil, failf("参数monitor.obj.type必须为vm或host: %q", typ)
		}
		o["monitor.disk.usedsize"] = ""
		if o["monitor.cpu.num"] != "" {
			o["monitor.disk.usedsize"] = itoa(diskMB)
		}
		rows = append(rows, o)
	}
	return dataReply(rows), nil
}
