// Package starvcenter is Skyfold's driver for StarVCenter, a multi-tenant
// private cloud, over its third-party integration API (seed document 001):
// the tenant token in the KEY_TOKEN header, business parameters as
// Base64-encoded JSON in the KEY_PARAM form field, Base64-encoded JSON
// envelopes with result, data, startid, dataCount and resultinfo, and
// asynchronous operations followed through the task log. It registers as
// provider "StarVCenter".
//
// # Account configuration
//
//	Endpoint         the server, e.g. "http://10.0.0.5:18081"; without a path
//	                 the document's BaseURL path /starvcenter/services/cloudresource
//	                 is added, with one the URL is taken as BaseURL (required)
//	AccessKeySecret  the tenant token, sent as KEY_TOKEN (required)
//	AccessKeyID      the tenant id (app.id); it is the account id, is checked
//	                 against the token by ValidateCredentials, and is needed
//	                 for quotas and load balancers. Without it the account id
//	                 is a digest of the token, so set it.
//
// One server is one region and one zone. The region id is "starvcenter-"
// and the endpoint's host name made an id (option region overrides it);
// the zone id is the region id with "-a".
//
// Driver options (AccountConfig.Options):
//
//	region              the region id
//	instance_types      the shape catalog, e.g. "1c1g,2c4g,4c8g" (see InstanceTypes)
//	task_poll_interval  first delay between task-log polls (default 1s)
//	task_poll_max       longest delay between polls (default 10s)
//	task_timeout        how long to follow a task when ctx has no deadline (default 10m)
//	read_timeout        per-request timeout (default 60s)
//	time_zone           the zone of the server's times, e.g. "Asia/Shanghai" or "+08:00" (default +08:00)
//
// # Mapping
//
// A StarVCenter private network (cloudnetwork/vpc) is a VPC with exactly one
// subnet of the same id; StarVCenter chooses its /24, so a requested CIDR is
// checked for form only. Security groups belong to the tenant; the VPC they
// were created for is kept in their description. VM models (cloudvm/model)
// are the images; instance types are CPU/memory shapes "starv.<cpu>c<mem>g".
// Snapshots and backups are of a whole VM. IP mappings of the outer-IP pool
// are the EIPs. StarVCenter has no tags and no client tokens: the driver
// keeps tags and a digest of the client token in descriptions and a VM's
// token digest in its name (see CreateInstances). Private clouds send no
// bills and have no balance: Bills and Balance return ErrNotSupported
// (Skyfold's rating prices their usage).
//
// # Tasks and errors
//
// Every asynchronous call is followed through the task log
// (GET BaseURL/tasklog/{startid}) until it ends, polling with backoff, for
// at most the context's deadline or task_timeout. Each change of a task's
// state or progress goes to the callback of cloud.WithProgress. A task that ends in
// failure gives a typed error whose cause is a *TaskError.
//
// Result 1003 is ErrInvalidCredential. Result 1 is classified by its
// resultinfo: "不存在" is ErrNotFound, a quota refusal ErrQuotaExceeded (the
// message keeps StarVCenter's quota and usage figures), a locked VM
// ErrConflict with a *LockedError naming the lock, a transient fault
// ErrUnavailable (retried by cloud.WithRetry), other refusals of the
// object's state ErrConflict, and the rest ErrInvalidParameter. A response
// that cannot be read is ErrProvider; the driver never panics on one.
//
// Extensions holds what StarVCenter offers beyond the SPI (VM resizing,
// passwords, console, disks, backups, snapshot restore, NICs, security
// group binding, hosts, storages, quotas, alarms, routers, NAT, load
// balancers). The part of it the rest of Skyfold uses is offered as the
// cloud package's capabilities (cloud.Hosts, cloud.Backups, cloud.Console,
// ...), found with cloud.As through cloud.WithRetry; Provider.Extensions
// gives the whole of it on an unwrapped provider only.
package starvcenter
