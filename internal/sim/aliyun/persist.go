package aliyunsim

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// State is persisted as one gob snapshot, written atomically (temporary file,
// fsync, rename) once changes have been quiet for the debounce interval, and on
// Close.

const (
	stateFile     = "aliyunsim-state.gob"
	stateVersion  = 1
	maxDebounceX  = 10 // a busy simulator still writes at least every 10 debounce intervals
	defaultQuietT = time.Second
)

type snapshotFile struct {
	Version  int
	Seq      int64
	Pub      ipPool
	Accounts []*accountSnap
}

type accountSnap struct {
	A         *account
	VPCs      []*VPC
	VSwitches []*VSwitch
	SGs       []*SecurityGroup
	Instances []*Instance
	Disks     []*Disk
	Snapshots []*Snapshot
	ENIs      []*ENI
	EIPs      []*EIP
	Images    []*CustomImage
	RDS       []*DBInstance
	Redis     []*RedisInstance
	Kafka     []*KafkaInstance
	Buckets   []*Bucket
}

// snapshot copies the state's structure (not the resources themselves) so it
// can be encoded; the caller holds at least the read lock while encoding.
func (st *state) snapshot() *snapshotFile {
	f := &snapshotFile{Version: stateVersion, Seq: st.Seq, Pub: st.Pub}
	for _, a := range st.accounts {
		as := &accountSnap{A: a}
		for _, rs := range a.regions {
			as.VPCs = append(as.VPCs, rs.VPCs.order...)
			as.VSwitches = append(as.VSwitches, rs.VSwitches.order...)
			as.SGs = append(as.SGs, rs.SGs.order...)
			as.Instances = append(as.Instances, rs.Instances.order...)
			as.Disks = append(as.Disks, rs.Disks.order...)
			as.Snapshots = append(as.Snapshots, rs.Snapshots.order...)
			as.ENIs = append(as.ENIs, rs.ENIs.order...)
			as.EIPs = append(as.EIPs, rs.EIPs.order...)
			as.Images = append(as.Images, rs.Images.order...)
			as.RDS = append(as.RDS, rs.RDS.order...)
			as.Redis = append(as.Redis, rs.Redis.order...)
			as.Kafka = append(as.Kafka, rs.Kafka.order...)
		}
		for _, b := range a.buckets {
			as.Buckets = append(as.Buckets, b)
		}
		f.Accounts = append(f.Accounts, as)
	}
	return f
}

// loadState reads the snapshot in dir; it returns nil, nil when there is none.
func loadState(dir string) (*state, error) {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("aliyunsim: read state: %w", err)
	}
	var f snapshotFile
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&f); err != nil {
		return nil, fmt.Errorf("aliyunsim: decode state %s: %w", filepath.Join(dir, stateFile), err)
	}
	if f.Version != stateVersion {
		return nil, fmt.Errorf("aliyunsim: state version %d is not supported (want %d)", f.Version, stateVersion)
	}
	st := newState(f.Seq)
	st.rng = rand.New(rand.NewPCG(uint64(f.Seq), uint64(time.Now().UnixNano())))
	st.Seq = f.Seq
	st.Pub = f.Pub
	for _, as := range f.Accounts {
		a := as.A
		if a == nil {
			continue
		}
		a.init()
		st.accounts[a.ID] = a
		for _, k := range a.Keys {
			st.keys[k.AccessKeyID] = keyEntry{secret: k.AccessKeySecret, acct: a}
		}
		for _, v := range as.VPCs {
			a.region(v.Region).VPCs.put(v)
		}
		for _, v := range as.VSwitches {
			a.region(v.Region).VSwitches.put(v)
		}
		for _, v := range as.SGs {
			a.region(v.Region).SGs.put(v)
		}
		for _, v := range as.Instances {
			a.region(v.Region).Instances.put(v)
			a.instances++
			if t := instanceTypeByID[v.Type]; t != nil {
				a.vcpus += t.CPU
			}
		}
		for _, v := range as.Disks {
			a.region(v.Region).Disks.put(v)
		}
		for _, v := range as.Snapshots {
			a.region(v.Region).Snapshots.put(v)
		}
		for _, v := range as.ENIs {
			a.region(v.Region).ENIs.put(v)
		}
		for _, v := range as.EIPs {
			a.region(v.Region).EIPs.put(v)
		}
		for _, v := range as.Images {
			a.region(v.Region).Images.put(v)
		}
		for _, v := range as.RDS {
			a.region(v.Region).RDS.put(v)
		}
		for _, v := range as.Redis {
			a.region(v.Region).Redis.put(v)
		}
		for _, v := range as.Kafka {
			a.region(v.Region).Kafka.put(v)
		}
		for _, b := range as.Buckets {
			a.buckets[b.ID] = b
			st.buckets[b.ID] = b
			st.bucketOwner[b.ID] = a
		}
	}
	return st, nil
}

// persister writes the state after changes, debounced, from one goroutine
// that close stops.
type persister struct {
	s        *Server
	dir      string
	debounce time.Duration
	pokeCh   chan struct{}
	done     chan struct{}
	stopped  chan struct{}
	wmu      sync.Mutex // serialises writes
}

func newPersister(s *Server, dir string, debounce time.Duration) *persister {
	if debounce <= 0 {
		debounce = defaultQuietT
	}
	p := &persister{s: s, dir: dir, debounce: debounce,
		pokeCh: make(chan struct{}, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	go p.run()
	return p
}

func (p *persister) poke() {
	select {
	case p.pokeCh <- struct{}{}:
	default:
	}
}

func (p *persister) run() {
	defer close(p.stopped)
	var lastSave time.Duration
	for {
		select {
		case <-p.done:
			return
		case <-p.pokeCh:
		}
		// A large state takes a while to encode (under the read lock) and
		// write; space saves out so that they never take more than a fifth
		// of the time.
		wait := max(p.debounce, 4*lastSave)
		deadline := time.Now().Add(maxDebounceX * wait)
		quiet := time.NewTimer(wait)
	wait:
		for {
			select {
			case <-p.done:
				quiet.Stop()
				return // close writes the final snapshot
			case <-p.pokeCh:
				if time.Now().Before(deadline) {
					quiet.Reset(wait)
				}
			case <-quiet.C:
				break wait
			}
		}
		start := time.Now()
		if err := p.save(); err != nil {
			p.s.log.Error("aliyunsim: persist state", "dir", p.dir, "err", err)
		}
		lastSave = time.Since(start)
	}
}

func (p *persister) close() error {
	close(p.done)
	<-p.stopped
	return p.save()
}

// save encodes the state under the read lock and writes it atomically.
func (p *persister) save() error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	var buf bytes.Buffer
	p.s.mu.RLock()
	err := gob.NewEncoder(&buf).Encode(p.s.st.snapshot())
	p.s.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		return fmt.Errorf("create state dir: %w", err)
	}
	tmp, err := os.CreateTemp(p.dir, stateFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temp state file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close state: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(p.dir, stateFile)); err != nil {
		return fmt.Errorf("replace state: %w", err)
	}
	return nil
}
