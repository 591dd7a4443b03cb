package cloudpods

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/skyfold/skyfold/internal/api"
	"github.com/skyfold/skyfold/internal/api/auth"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
)

// Whole-VM backups of private clouds are listed like every synced
// collection, under Cloudpods' name for them.
func init() {
	collections = append(collections, struct {
		path string
		kind inventory.Kind
	}{"instancebackups", inventory.KindBackup})
}

// serverOpBody holds the arguments of every server operation; each
// operation reads its own (Cloudpods' field names, with plain synonyms).
type serverOpBody struct {
	_            struct{} `json:"-" additionalProperties:"true"`
	IsForce      bool     `json:"is_force,omitempty" doc:"stop/restart without the guest's cooperation"`
	Force        bool     `json:"force,omitempty" doc:"synonym of is_force"`
	InstanceType string   `json:"instance_type,omitempty" doc:"change-config: the new instance type"`
	Sku          string   `json:"sku,omitempty" doc:"change-config: synonym of instance_type"`
	VCPUCount    int      `json:"vcpu_count,omitempty" doc:"change-config: vCPUs"`
	VMemSize     any      `json:"vmem_size,omitempty" doc:"change-config: memory, MB as a number or a string such as \"8G\" or \"512M\""`
	Name         string   `json:"name,omitempty" doc:"snapshot/backup: its name"`
	Description  string   `json:"description,omitempty"`
	Snapshot     string   `json:"instance_snapshot,omitempty" doc:"snapshot-restore: snapshot id, external id or name"`
	SnapshotID   string   `json:"snapshot_id,omitempty" doc:"synonym of instance_snapshot"`
	Backup       string   `json:"instance_backup,omitempty" doc:"backup-restore: backup id, external id or name"`
	BackupID     string   `json:"backup_id,omitempty" doc:"synonym of instance_backup"`
	Username     string   `json:"username,omitempty" doc:"set-password: the guest user (default root or Administrator)"`
	Password     string   `json:"password,omitempty" doc:"set-password: the new password"`
	Disk         string   `json:"disk,omitempty" doc:"disk-extend: disk id, external id or name"`
	DiskID       string   `json:"disk_id,omitempty" doc:"synonym of disk"`
	SizeGB       int      `json:"size_gb,omitempty" doc:"disk-add/disk-extend: size in GB"`
	Size         int      `json:"size,omitempty" doc:"disk-add/disk-extend: size in MB (Cloudpods' unit), rounded up to whole GB"`
}

type serverOpInput struct {
	ID   string `path:"id"`
	Body *serverOpBody
}

type serverDeleteInput struct {
	ID string `path:"id"`
}

type serverCreateBody struct {
	_            struct{} `json:"-" additionalProperties:"true"`
	Name         string   `json:"name,omitempty"`
	GenerateName string   `json:"generate_name,omitempty" doc:"used when name is empty"`
	Description  string   `json:"description,omitempty"`
	Network      string   `json:"network,omitempty" doc:"network id, external id or name; it chooses account and region"`
	Nets         []struct {
		Network string `json:"network"`
	} `json:"nets,omitempty" doc:"Cloudpods' form of network (the first is used)"`
	InstanceType string   `json:"instance_type,omitempty"`
	Sku          string   `json:"sku,omitempty" doc:"synonym of instance_type"`
	VCPUCount    int      `json:"vcpu_count,omitempty"`
	VMemSize     any      `json:"vmem_size,omitempty" doc:"MB as a number or a string such as \"8G\""`
	ImageID      string   `json:"image_id,omitempty" doc:"the cloud's image id (StarVCenter: a VM model code)"`
	Password     string   `json:"password,omitempty"`
	Secgroups    []string `json:"secgroups,omitempty"`
	Secgroup     string   `json:"secgroup,omitempty"`
	Disks        []struct {
		ImageID  string `json:"image_id,omitempty"`
		Size     int    `json:"size,omitempty" doc:"MB"`
		DiskType string `json:"disk_type,omitempty" doc:"sys or data; the first disk is the system disk"`
	} `json:"disks,omitempty"`
	Count     int    `json:"count,omitempty" doc:"only 1 is supported"`
	ProjectID string `json:"project_id,omitempty"`
	Tenant    string `json:"tenant,omitempty"`
}

type serverCreateInput struct {
	Body serverCreateBody
}

type consoleOutput struct {
	Body cloudpodsConsole
}

type quotaOutput struct {
	Body cloudpodsQuota
}

type quotasOutput struct {
	Body cloudpodsQuotas
}

type quotaListInput struct {
	ProjectID string `query:"project_id" doc:"only this project's quotas"`
	Tenant    string `query:"tenant" doc:"synonym of project_id"`
	Scope     string `query:"scope" enum:"system,domain,project,"`
}

// RegisterServerOps adds server create, the server operations (each a
// task), the console, and the tenant quotas of private-cloud accounts.
func (f *Face) RegisterServerOps(s *api.Server) {
	const p = "/api/v2/servers"
	for _, o := range inventory.ServerOps() {
		api.Register(s, auth.Policy(described(op("server-"+string(o), http.MethodPost, p+"/{id}/"+string(o), "Server operation "+string(o)+" (a task)", "servers"), serverOpDoc[o]), "compute/servers/"+string(o)), f.serverOperation(o))
	}
	api.Register(s, auth.Policy(op("delete-server", http.MethodDelete, p+"/{id}", "Delete a server on the cloud (a task)", "servers"), "compute/servers/delete"), f.deleteServer)
	api.Register(s, auth.Policy(described(op("server-vnc", http.MethodPost, p+"/{id}/vnc", "A server's remote console connection (private clouds)", "servers"), "Answers at once: reading the console address starts no cloud task."), "compute/servers/vnc"), f.serverConsole)
	api.Register(s, auth.Policy(op("create-server", http.MethodPost, p, "Create a server on the cloud (a task)", "servers"), "compute/servers/create"), f.createServer)
	api.Register(s, auth.Policy(op("cloudaccount-quota", http.MethodGet, "/api/v2/cloudaccounts/{id}/quota", "The private-cloud tenant's quota and usage behind an account", "cloudaccounts"), "compute/cloudaccounts/get"), f.accountQuota)
	api.Register(s, auth.Policy(op("project-quotas", http.MethodGet, "/api/v2/project_quotas", "Private-cloud tenant quotas by project", "quotas"), "compute/project_quotas/list"), f.projectQuotas)
}

// serverOperation starts operation o on a server.
func (f *Face) serverOperation(o inventory.ServerOp) func(context.Context, *serverOpInput) (*resourceOutput, error) {
	return func(ctx context.Context, in *serverOpInput) (*resourceOutput, error) {
		b := in.Body
		if b == nil {
			b = &serverOpBody{}
		}
		oi, err := opInput(b)
		if err != nil {
			return nil, err
		}
		return f.serverAction(ctx, in.ID, o, oi)
	}
}

func (f *Face) deleteServer(ctx context.Context, in *serverDeleteInput) (*resourceOutput, error) {
	return f.serverAction(ctx, in.ID, inventory.OpDelete, inventory.ServerOpInput{})
}

func (f *Face) serverConsole(ctx context.Context, in *serverDeleteInput) (*consoleOutput, error) {
	if _, err := f.ownServer(ctx, in.ID); err != nil {
		return nil, err
	}
	r, c, err := f.Inv.ServerConsole(ctx, auth.ScopeOf(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &consoleOutput{Body: cloudpodsConsole{ID: r.ID, Name: r.Name, ExternalID: r.ExternalID,
		Protocol: c.Protocol, URL: c.URL, Host: c.Host, Port: c.Port}}, nil
}

func (f *Face) accountQuota(ctx context.Context, in *idInput) (*quotaOutput, error) {
	q, err := f.Inv.Quota(ctx, auth.ScopeOf(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	return &quotaOutput{Body: quotaView(ctx, f.newNames(), q, "")}, nil
}

func (f *Face) projectQuotas(ctx context.Context, in *quotaListInput) (*quotasOutput, error) {
	project := in.ProjectID
	if project == "" {
		project = in.Tenant
	}
	qs, err := f.Inv.ProjectQuotas(ctx, auth.ScopeOf(ctx), project)
	if err != nil {
		return nil, err
	}
	n := f.newNames()
	out := &quotasOutput{Body: cloudpodsQuotas{ProjectQuotas: make([]cloudpodsQuota, 0, len(qs)), Total: len(qs)}}
	for i := range qs {
		out.Body.ProjectQuotas = append(out.Body.ProjectQuotas, quotaView(ctx, n, &qs[i].AccountQuota, qs[i].Error))
	}
	return out, nil
}

var serverOpDoc = map[inventory.ServerOp]string{
	inventory.OpStart:           "Every provider (SPI).",
	inventory.OpStop:            "Every provider (SPI). `is_force` powers off.",
	inventory.OpRestart:         "Every provider (SPI). `is_force` powers off and starts.",
	inventory.OpDelete:          "Every provider (SPI); a running server is stopped first. Same as DELETE /api/v2/servers/{id}.",
	inventory.OpChangeConfig:    "Every provider: `instance_type`, or `vcpu_count` and/or `vmem_size` (private clouds take any shape; others need a catalog type of that shape).",
	inventory.OpSnapshot:        "Every provider: a snapshot of the system disk (a whole-VM snapshot on StarVCenter). `name`, `description`.",
	inventory.OpSnapshotRestore: "Private clouds only (501 elsewhere): `instance_snapshot`.",
	inventory.OpBackup:          "Private clouds only (501 elsewhere): a whole-VM backup. `name`, `description`.",
	inventory.OpBackupRestore:   "Private clouds only (501 elsewhere): `instance_backup`.",
	inventory.OpSetPassword:     "Private clouds only (501 elsewhere): `password`, `username`. The password is never stored in clear.",
	inventory.OpDiskAdd:         "Private clouds only (501 elsewhere): `size_gb` (or `size` in MB), `description`.",
	inventory.OpDiskExtend:      "Private clouds only (501 elsewhere): `disk`, `size_gb` (or `size` in MB).",
}

// opInput reads an operation body.
func opInput(b *serverOpBody) (inventory.ServerOpInput, error) {
	mem, err := memMB(b.VMemSize)
	if err != nil {
		return inventory.ServerOpInput{}, errs.Field("vmem_size", err.Error())
	}
	oi := inventory.ServerOpInput{Force: b.IsForce || b.Force, InstanceType: first(b.InstanceType, b.Sku),
		CPU: b.VCPUCount, MemoryMB: mem, Name: b.Name, Description: b.Description,
		Snapshot: first(b.Snapshot, b.SnapshotID), Backup: first(b.Backup, b.BackupID), Username: b.Username,
		Password: b.Password, Disk: first(b.Disk, b.DiskID), SizeGB: b.SizeGB}
	if oi.SizeGB == 0 && b.Size > 0 {
		oi.SizeGB = (b.Size + 1023) / 1024
	}
	return oi, nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// memMB reads a memory size: a number of MB, or a string "8192", "8G",
// "8GB", "512M".
func memMB(v any) (int, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case float64:
		if x < 0 || x > math.MaxInt32 || x != math.Trunc(x) {
			return 0, fmt.Errorf("%v is not a whole number of MB", x)
		}
		return int(x), nil
	case json.Number:
		n, err := strconv.Atoi(string(x))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s is not a whole number of MB", x)
		}
		return n, nil
	case string:
		s := strings.ToUpper(strings.TrimSpace(x))
		s = strings.TrimSuffix(s, "B")
		mult := 1
		switch {
		case strings.HasSuffix(s, "G"):
			mult, s = 1024, strings.TrimSuffix(s, "G")
		case strings.HasSuffix(s, "M"):
			s = strings.TrimSuffix(s, "M")
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 || n > math.MaxInt32/mult {
			return 0, fmt.Errorf("%q: want MB, or a size such as 8G or 512M", x)
		}
		return n * mult, nil
	}
	return 0, fmt.Errorf("want MB as a number or a string such as 8G")
}

// ownServer returns a server the caller may change.
func (f *Face) ownServer(ctx context.Context, id string) (*inventory.Resource, error) {
	r, err := f.Inv.GetResource(ctx, auth.ScopeOf(ctx), inventory.KindServer, id)
	if err != nil {
		return nil, err
	}
	if c := auth.From(ctx); c == nil || !c.Covers(r.DomainID, r.ProjectID) {
		return nil, errs.E(errs.Forbidden, "you cannot change server %s", r.Name)
	}
	return r, nil
}

// serverAction starts an operation and answers the server with the task.
func (f *Face) serverAction(ctx context.Context, id string, op inventory.ServerOp, oi inventory.ServerOpInput) (*resourceOutput, error) {
	r, err := f.ownServer(ctx, id)
	if err != nil {
		return nil, err
	}
	if c := auth.From(ctx); c != nil {
		oi.UserID = c.UserID()
	}
	cur, t, err := f.Inv.ServerAction(ctx, auth.ScopeOf(ctx), r.ID, op, oi)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "server", ID: cur.ID, Name: cur.Name, DomainID: cur.DomainID, ProjectID: cur.ProjectID})
	v := f.resourceView(ctx, f.newNames(), cur, true)
	v.resourceTask = taskOf(t)
	return &resourceOutput{Body: v}, nil
}

func (f *Face) createServer(ctx context.Context, in *serverCreateInput) (*resourceOutput, error) {
	b := in.Body
	if b.Count > 1 {
		return nil, errs.Field("count", "create one server per request")
	}
	network := b.Network
	if network == "" && len(b.Nets) > 0 {
		network = b.Nets[0].Network
	}
	if network == "" {
		return nil, errs.Field("network", "required")
	}
	net, err := f.Inv.GetResource(ctx, auth.ScopeOf(ctx), inventory.KindNetwork, network)
	if err != nil {
		return nil, errs.Field("network", "no such network "+network)
	}
	mem, err := memMB(b.VMemSize)
	if err != nil {
		return nil, errs.Field("vmem_size", err.Error())
	}
	ci := inventory.ServerCreateInput{Name: first(b.Name, b.GenerateName), Network: net.ID,
		InstanceType: first(b.InstanceType, b.Sku), CPU: b.VCPUCount, MemoryMB: mem, ImageID: b.ImageID,
		Password: b.Password, SecurityGroups: b.Secgroups}
	if b.Secgroup != "" {
		ci.SecurityGroups = append(ci.SecurityGroups, b.Secgroup)
	}
	for i, d := range b.Disks {
		if i == 0 || d.DiskType == "sys" {
			if ci.ImageID == "" {
				ci.ImageID = d.ImageID
			}
			continue
		}
		if d.Size > 0 {
			ci.DataDiskGB = append(ci.DataDiskGB, (d.Size+1023)/1024)
		}
	}
	c := auth.From(ctx)
	if project := first(b.ProjectID, b.Tenant); project != "" {
		field := "project_id"
		if b.ProjectID == "" {
			field = "tenant"
		}
		if ci.DomainID, ci.ProjectID, err = owner(ctx, f.IDs, field, project); err != nil {
			return nil, err
		}
	} else if c == nil || !c.Covers(net.DomainID, net.ProjectID) {
		// Without a project the server lands in the network's (the account's) project.
		return nil, errs.E(errs.Forbidden, "you cannot create servers in the project of network %s", net.Name)
	}
	if c != nil {
		ci.UserID = c.UserID()
	}
	r, t, err := f.Inv.CreateServer(ctx, auth.ScopeOf(ctx), ci)
	if err != nil {
		return nil, err
	}
	auth.Note(ctx, auth.Object{Type: "server", ID: r.ID, Name: r.Name, DomainID: r.DomainID, ProjectID: r.ProjectID})
	v := f.resourceView(ctx, f.newNames(), r, true)
	v.resourceTask = taskOf(t)
	return &resourceOutput{Body: v}, nil
}

// quotaView shows a tenant quota: the items, and Cloudpods' flat form
// ("cpu" is the limit, "usage.cpu" what is used). tenant_id is the owner
// project, as everywhere in this face; the cloud's tenant is cloud_tenant_id.
func quotaView(ctx context.Context, n *names, q *inventory.AccountQuota, fail string) cloudpodsQuota {
	project := n.project(ctx, q.ProjectID)
	return cloudpodsQuota{CloudaccountID: q.AccountID, Cloudaccount: q.AccountName, Provider: q.Provider,
		CloudTenantID: q.TenantID, DomainID: q.DomainID, ProjectDomain: n.domain(ctx, q.DomainID),
		ProjectID: q.ProjectID, TenantID: q.ProjectID, Project: project, Tenant: project, Items: q.Items, Error: fail}
}
