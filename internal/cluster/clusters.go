package cluster

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/cloud"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/inventory"
	"github.com/skyfold/skyfold/internal/listing"
	"github.com/skyfold/skyfold/internal/store"
)

// Tag keys Skyfold puts on every instance an expand creates.
const (
	TagCluster = "skyfold:cluster"
	TagTask    = "skyfold:task"
)

// maxUserTags leaves room for Skyfold's tags within the clouds' limit of 20.
const maxUserTags = 18

// ClusterInput is a cluster to create.
type ClusterInput struct {
	Name         string
	Description  string
	Provider     string
	RegionID     string
	ZoneID       string
	InstanceType string
	ImageID      string
	Password     string
	AccountKey   string
	Network      NetworkConfig
	Charge       ChargeConfig
	Disks        Disks
	Tags         map[string]string
}

// validate checks everything that needs neither the store nor the cloud.
func (in *ClusterInput) validate() error {
	var fs []errs.FieldError
	addField(&fs, ValidateClusterName("name", in.Name))
	for _, f := range []struct{ name, v string }{{"region_id", in.RegionID}, {"zone_id", in.ZoneID},
		{"instance_type", in.InstanceType}, {"image", in.ImageID}} {
		if strings.TrimSpace(f.v) == "" {
			fs = append(fs, errs.FieldError{Field: f.name, Reason: "required"})
		}
	}
	switch n := utf8.RuneCountInString(in.Password); {
	case n == 0:
		fs = append(fs, errs.FieldError{Field: "password", Reason: "required"})
	case n < 8 || n > 30:
		fs = append(fs, errs.FieldError{Field: "password", Reason: fmt.Sprintf("%d characters; it must have 8 to 30", n)})
	}
	nc := in.Network
	if nc.VPCID == "" {
		fs = append(fs, errs.FieldError{Field: "network_config.vpc", Reason: "required"})
	}
	if nc.SubnetID == "" {
		fs = append(fs, errs.FieldError{Field: "network_config.subnet_id", Reason: "required"})
	}
	if nc.SecurityGroupID == "" {
		fs = append(fs, errs.FieldError{Field: "network_config.security_group", Reason: "required"})
	}
	switch nc.InternetChargeType {
	case "", "PayByTraffic", "PayByBandwidth":
	default:
		fs = append(fs, errs.FieldError{Field: "network_config.internet_charge_type", Reason: fmt.Sprintf("%s is not PayByTraffic or PayByBandwidth", quoted(nc.InternetChargeType))})
	}
	if nc.InternetBandwidth < 0 || nc.InternetBandwidth > 100 {
		fs = append(fs, errs.FieldError{Field: "network_config.internet_max_bandwidth", Reason: fmt.Sprintf("%d Mbit/s is outside 0 to 100", nc.InternetBandwidth)})
	}
	addField(&fs, ValidateDisks("disks", in.Disks))
	addField(&fs, validateTags(in.Tags))
	if err := errs.Fields(fs...); err != nil {
		return err
	}
	ch, err := ValidateCharge("charge_config", in.Charge)
	if err != nil {
		return err
	}
	in.Charge = ch
	return nil
}

func validateTags(tags map[string]string) error {
	if len(tags) > maxUserTags {
		return errs.Field("tags", fmt.Sprintf("%d tags; at most %d (Skyfold adds its own two)", len(tags), maxUserTags))
	}
	for k, v := range tags {
		lk := strings.ToLower(k)
		switch {
		case k == "" || utf8.RuneCountInString(k) > 128:
			return errs.Field("tags", fmt.Sprintf("tag key %s must have 1 to 128 characters", quoted(k)))
		case strings.HasPrefix(lk, "skyfold:") || strings.HasPrefix(lk, "aliyun") || strings.HasPrefix(lk, "acs:"):
			return errs.Field("tags", fmt.Sprintf("tag key %s uses a reserved prefix (skyfold:, aliyun, acs:)", quoted(k)))
		case utf8.RuneCountInString(v) > 128:
			return errs.Field("tags", fmt.Sprintf("the value of tag %s has more than 128 characters", quoted(k)))
		}
	}
	return nil
}

// createRequest is the cloud request one batch of the cluster sends.
func (c *Cluster) createRequest(password string, amount int) cloud.CreateInstancesRequest {
	nc, ch, d := c.NetworkOf(), c.ChargeOf(), c.DisksOf()
	req := cloud.CreateInstancesRequest{
		ZoneID: c.ZoneID, InstanceType: c.InstanceType, ImageID: c.ImageID, SubnetID: nc.SubnetID,
		SecurityGroupIDs: []string{nc.SecurityGroupID}, Password: password, Amount: amount, MinAmount: amount,
		ChargeType: cloud.ChargeType(ch.ChargeType), SystemDisk: cloud.DiskSpec{Category: d.SystemDisk.Category, SizeGiB: d.SystemDisk.Size},
		InternetMaxBandwidthOut: nc.InternetBandwidth, Name: c.instanceName(), Tags: c.TagsOf(),
	}
	if ch.ChargeType == string(cloud.PrePaid) {
		req.Period = ch.Period
	}
	for _, dd := range d.DataDisks {
		req.DataDisks = append(req.DataDisks, cloud.DiskSpec{Category: dd.Category, SizeGiB: dd.Size})
	}
	req.Tags[TagCluster] = c.Name
	return req
}

// instanceName is the name instances get: the cluster's when the cloud
// takes it as an instance name, else "cluster-<id>".
func (c *Cluster) instanceName() string {
	if validateName("name", c.Name, sgNameRule, true) == nil {
		return c.Name
	}
	return "cluster-" + c.ID
}

// dryRun validates a cluster with the cloud: the subnet must be in the VPC
// and zone given, and a dry-run create of one instance must pass. Quota and
// balance refusals do not make a template invalid.
func (s *Service) dryRun(ctx context.Context, a *inventory.Account, c *Cluster, password string) error {
	rc, err := s.region(ctx, a, c.RegionID)
	if err != nil {
		return err
	}
	nc := c.NetworkOf()
	sn, err := rc.GetSubnet(ctx, nc.SubnetID)
	if err != nil {
		return fieldError(err, "network_config.subnet_id")
	}
	if sn.VPCID != "" && sn.VPCID != nc.VPCID {
		return errs.Field("network_config.subnet_id", fmt.Sprintf("subnet %s is in VPC %s, not %s", sn.ID, sn.VPCID, nc.VPCID))
	}
	if sn.ZoneID != "" && sn.ZoneID != c.ZoneID {
		return errs.Field("zone_id", fmt.Sprintf("subnet %s is in zone %s, not %s", sn.ID, sn.ZoneID, c.ZoneID))
	}
	req := c.createRequest(password, 1)
	req.DryRun = true
	_, err = rc.CreateInstances(ctx, req)
	switch {
	case err == nil, cloud.Short(err):
		// The template is valid; capacity is a matter for each expand.
		return nil
	}
	return fieldError(err, "")
}

// paramFields maps the SPI parameter a cloud refused to the BridgX field
// that carried it.
var paramFields = map[string]string{
	cloud.ParamPassword: "password", cloud.ParamInstanceType: "instance_type", cloud.ParamImage: "image",
	cloud.ParamSubnet: "network_config.subnet_id", cloud.ParamSecurityGroup: "network_config.security_group",
	cloud.ParamVPC: "network_config.vpc", cloud.ParamZone: "zone_id", cloud.ParamRegion: "region_id",
	cloud.ParamSystemDisk: "disks.system_disk", cloud.ParamDataDisk: "disks.data_disk",
	cloud.ParamPeriod: "charge_config.period", cloud.ParamChargeType: "charge_config.charge_type",
	cloud.ParamBandwidth: "network_config.internet_max_bandwidth", cloud.ParamName: "name",
	cloud.ParamTags: "tags", cloud.ParamCIDR: "cidr_block",
}

// fieldError turns the cloud's refusal of a parameter (or of an object it
// names, which does not exist) into a 400 naming the request field — field,
// or the one the driver says the cloud refused when field is "" — and
// quoting the cloud's code and message. Other errors pass unchanged.
func fieldError(err error, field string) error {
	if !errors.Is(err, cloud.ErrInvalidParameter) && !errors.Is(err, cloud.ErrNotFound) {
		return err
	}
	if field == "" {
		if field = paramFields[cloud.Param(err)]; field == "" {
			field = "body"
		}
	}
	code, msg, rid := cloud.Parts(err)
	// The cloud's message often repeats the value it refused.
	msg = clipText(strings.TrimPrefix(code+": "+msg, ": "), 300)
	if rid != "" {
		msg += " (request id " + rid + ")"
	}
	return &errs.Error{Code: errs.Invalid, Message: field + ": the cloud refused it: " + msg,
		Fields: []errs.FieldError{{Field: field, Reason: "the cloud refused it: " + msg}}, Err: err}
}

// CreateCluster validates a cluster (locally, then with a dry-run create on
// the cloud) and stores it.
func (s *Service) CreateCluster(ctx context.Context, o Owner, in ClusterInput) (*Cluster, error) {
	provider, err := canonicalProvider("provider", in.Provider)
	if err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	if n, err := count(ctx, s.db.NewSelect().Model((*Cluster)(nil)).Where("name = ?", in.Name)); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, errs.E(errs.Conflict, "a cluster named %s already exists", quoted(in.Name))
	}
	a, err := s.FindAccount(ctx, o.Scope, provider, in.AccountKey, "account_key")
	if err != nil {
		return nil, err
	}
	if err := usable(a, "account_key"); err != nil {
		return nil, err
	}
	now := s.now()
	c := &Cluster{ID: s.numericID(), Name: in.Name, Description: in.Description, Provider: provider, CloudaccountID: a.ID,
		AccountKey: a.Account, RegionID: in.RegionID, ZoneID: in.ZoneID, InstanceType: in.InstanceType, ImageID: in.ImageID,
		DomainID: o.DomainID, ProjectID: o.ProjectID, CreatedBy: o.UserID, CreatedAt: now, UpdatedAt: now}
	c.Network, _ = json.Marshal(in.Network)
	c.Charge, _ = json.Marshal(in.Charge)
	c.Disks, _ = json.Marshal(in.Disks)
	if in.Tags == nil {
		in.Tags = map[string]string{}
	}
	c.Tags, _ = json.Marshal(in.Tags)
	if err := s.dryRun(ctx, a, c, in.Password); err != nil {
		return nil, err
	}
	if c.Password, err = s.box.Encrypt(in.Password); err != nil {
		return nil, err
	}
	if _, err := s.db.NewInsert().Model(c).Exec(ctx); err != nil {
		if store.IsUniqueViolation(err) {
			return nil, errs.E(errs.Conflict, "a cluster named %s already exists", quoted(in.Name))
		}
		return nil, fmt.Errorf("store cluster: %w", err)
	}
	return c, nil
}

// GetCluster returns a cluster by id or name, if the scope may see it.
func (s *Service) GetCluster(ctx context.Context, sc inventory.Scope, idOrName string) (*Cluster, error) {
	if idOrName == "" {
		return nil, errs.Field("cluster_name", "required")
	}
	c := new(Cluster)
	q := s.db.NewSelect().Model(c).Where("(c.id = ? OR c.name = ?)", idOrName, idOrName)
	err := scoped(q, "c", sc).OrderExpr("c.id = ? DESC", idOrName).Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("cluster", idOrName)
	}
	if err != nil {
		return nil, fmt.Errorf("get cluster %s: %w", idOrName, err)
	}
	return c, nil
}

// ClusterQuery filters ListClusters.
type ClusterQuery struct {
	AccountKey string
	Page       listing.Params
}

// ListClusters returns a page of the clusters the scope may see, newest
// first.
func (s *Service) ListClusters(ctx context.Context, sc inventory.Scope, q ClusterQuery) (listing.Page[Cluster], error) {
	var out []Cluster
	sel := scoped(s.db.NewSelect().Model(&out), "c", sc)
	if q.AccountKey != "" {
		sel = sel.Where("c.account_key = ?", q.AccountKey)
	}
	sel = sel.Order("c.created_at DESC", "c.id DESC")
	sel = pageOf(sel, q.Page)
	n, err := sel.ScanAndCount(ctx)
	if err != nil {
		return listing.Page[Cluster]{}, fmt.Errorf("list clusters: %w", err)
	}
	if out == nil {
		out = []Cluster{}
	}
	return listing.Page[Cluster]{Items: out, Total: int(n), Offset: q.Page.Offset, Limit: q.Page.Limit}, nil
}

// ClusterPatch changes a cluster; nil fields stay.
type ClusterPatch struct {
	Description  *string
	ZoneID       *string
	InstanceType *string
	ImageID      *string
	Password     *string
	Network      *NetworkConfig
	Charge       *ChargeConfig
	Disks        *Disks
	Tags         *map[string]string
}

// UpdateCluster changes a cluster that has no task running. A change to what
// instances are made of is validated again with a dry run.
func (s *Service) UpdateCluster(ctx context.Context, sc inventory.Scope, idOrName string, p ClusterPatch) (*Cluster, error) {
	c, err := s.GetCluster(ctx, sc, idOrName)
	if err != nil {
		return nil, err
	}
	if c.ActiveTaskID != "" {
		return nil, errs.E(errs.Conflict, "cluster %s is busy with task %s", c.Name, c.ActiveTaskID)
	}
	pw, err := s.box.Decrypt(c.Password)
	if err != nil {
		return nil, err
	}
	in := ClusterInput{Name: c.Name, Description: c.Description, Provider: c.Provider, RegionID: c.RegionID, ZoneID: c.ZoneID,
		InstanceType: c.InstanceType, ImageID: c.ImageID, Password: pw, AccountKey: c.AccountKey, Network: c.NetworkOf(),
		Charge: c.ChargeOf(), Disks: c.DisksOf(), Tags: c.TagsOf()}
	cloudChange := false
	set := func(dst *string, v *string) {
		if v != nil && *v != *dst {
			*dst, cloudChange = *v, true
		}
	}
	if p.Description != nil {
		in.Description = *p.Description
	}
	set(&in.ZoneID, p.ZoneID)
	set(&in.InstanceType, p.InstanceType)
	set(&in.ImageID, p.ImageID)
	set(&in.Password, p.Password)
	if p.Network != nil {
		in.Network, cloudChange = *p.Network, true
	}
	if p.Charge != nil {
		if c.ChargeOf().ChargeType == "PrePaid" && !strings.EqualFold(p.Charge.ChargeType, "PrePaid") {
			n, err := s.countInstances(ctx, c.ID)
			if err != nil {
				return nil, err
			}
			if n > 0 {
				return nil, errs.Field("charge_config.charge_type", fmt.Sprintf("cluster %s has %d prepaid instances; it stays PrePaid until they are gone", c.Name, n))
			}
		}
		in.Charge, cloudChange = *p.Charge, true
	}
	if p.Disks != nil {
		in.Disks, cloudChange = *p.Disks, true
	}
	if p.Tags != nil {
		in.Tags = maps.Clone(*p.Tags)
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	next := *c
	next.Description, next.ZoneID, next.InstanceType, next.ImageID = in.Description, in.ZoneID, in.InstanceType, in.ImageID
	next.Network, _ = json.Marshal(in.Network)
	next.Charge, _ = json.Marshal(in.Charge)
	next.Disks, _ = json.Marshal(in.Disks)
	if in.Tags == nil {
		in.Tags = map[string]string{}
	}
	next.Tags, _ = json.Marshal(in.Tags)
	if cloudChange {
		a, err := s.accts.Get(ctx, c.CloudaccountID)
		if err != nil {
			return nil, err
		}
		if err := s.dryRun(ctx, a, &next, in.Password); err != nil {
			return nil, err
		}
	}
	if next.Password, err = s.box.Encrypt(in.Password); err != nil {
		return nil, err
	}
	next.UpdatedAt = s.now()
	res, err := s.db.NewUpdate().Model(&next).Column("description", "zone_id", "instance_type", "image_id", "password",
		"network", "charge", "disks", "tags", "updated_at").WherePK().Where("active_task_id = ''").Exec(ctx)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, errs.E(errs.Conflict, "cluster %s became busy with a task; try again when it ends", c.Name)
	}
	return &next, nil
}

// DeleteCluster deletes a cluster that has no instances and no task running.
func (s *Service) DeleteCluster(ctx context.Context, sc inventory.Scope, idOrName string) (*Cluster, error) {
	c, err := s.GetCluster(ctx, sc, idOrName)
	if err != nil {
		return nil, err
	}
	if c.ActiveTaskID != "" {
		return nil, errs.E(errs.Conflict, "cluster %s is busy with task %s", c.Name, c.ActiveTaskID)
	}
	n, err := s.countInstances(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, errs.E(errs.Conflict, "cluster %s still has %d instances: shrink it to zero first", c.Name, n)
	}
	err = s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*Cluster)(nil)).Where("id = ?", c.ID).Where("active_task_id = ''").Exec(ctx)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return errs.E(errs.Conflict, "cluster %s became busy with a task", c.Name)
		}
		m, err := count(ctx, tx.NewSelect().Model((*Instance)(nil)).Where("cluster_id = ?", c.ID).
			Where("status <> ?", InstanceDeleted))
		if err != nil {
			return err
		}
		if m > 0 {
			return errs.E(errs.Conflict, "cluster %s still has %d instances", c.Name, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// countInstances counts a cluster's instances that exist (not deleted).
func (s *Service) countInstances(ctx context.Context, clusterID string) (int, error) {
	return count(ctx, s.db.NewSelect().Model((*Instance)(nil)).Where("cluster_id = ?", clusterID).
		Where("status <> ?", InstanceDeleted))
}

// InstanceCounts returns the running instances of each cluster.
func (s *Service) InstanceCounts(ctx context.Context, clusterIDs []string) (map[string]int, error) {
	out := map[string]int{}
	if len(clusterIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ClusterID string `bun:"cluster_id"`
		N         int    `bun:"n"`
	}
	err := s.db.NewSelect().Model((*Instance)(nil)).Column("cluster_id").ColumnExpr("COUNT(*) AS n").
		Where("cluster_id IN (?)", bun.List(clusterIDs)).Where("status = ?", InstanceRunning).Group("cluster_id").Scan(ctx, &rows)
	for _, r := range rows {
		out[r.ClusterID] = r.N
	}
	return out, err
}
