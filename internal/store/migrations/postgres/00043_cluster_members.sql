-- +goose Up
-- A cluster instance is one row of the inventory's resources: the cluster
-- keeps only which cluster and task made it and where it stands in their
-- lifecycle. The cloud's view of the instance (type, image, zone, addresses,
-- network) is the inventory's, so the BridgX and Cloudpods faces read the
-- same row. cluster_name and account_key stay here because a cluster is
-- deleted once it is empty while its instances' history still names it.
CREATE TABLE cluster_members (
    id              TEXT PRIMARY KEY,
    cluster_id      TEXT NOT NULL,
    cluster_name    TEXT NOT NULL,
    account_key     TEXT NOT NULL,
    resource_id     TEXT NOT NULL,
    expand_task_id  TEXT NOT NULL DEFAULT '',
    batch_seq       INTEGER NOT NULL DEFAULT 0,
    shrink_task_id  TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    error           TEXT NOT NULL DEFAULT '',
    domain_id       TEXT NOT NULL DEFAULT '',
    project_id      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    running_at      TIMESTAMPTZ,
    deleted_at      TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX cluster_members_resource_idx ON cluster_members (resource_id);
CREATE INDEX cluster_members_cluster_idx ON cluster_members (cluster_id, status);
CREATE INDEX cluster_members_expand_idx ON cluster_members (expand_task_id, status);
CREATE INDEX cluster_members_shrink_idx ON cluster_members (shrink_task_id);
CREATE INDEX cluster_members_created_idx ON cluster_members (created_at);

-- Regions a cluster used that no sync ever recorded.
INSERT INTO cloudregions (id, provider, external_id, region_id, name, created_at, updated_at)
SELECT gen_random_uuid()::text,
       ci.provider, ci.provider || '/' || ci.region_id, ci.region_id, ci.region_id, MIN(ci.created_at), MIN(ci.created_at)
FROM cluster_instances ci
WHERE NOT EXISTS (SELECT 1 FROM cloudregions g WHERE g.external_id = ci.provider || '/' || ci.region_id)
GROUP BY ci.provider, ci.region_id;

-- Instances no sync has seen yet become inventory rows, with what the
-- cluster knew of them. Their fingerprint is empty, so the next sync
-- rewrites them from the cloud.
INSERT INTO resources (id, kind, cloudaccount_id, cloudprovider_id, cloudregion_id, zone_id, external_id, name, status,
    domain_id, project_id, vpc_external_id, instance_type, ips, charge_type, tags, fingerprint, created_at, updated_at,
    synced_at, deleted_at)
SELECT ci.id, 'server', ci.cloudaccount_id,
       COALESCE((SELECT p.id FROM cloudproviders p WHERE p.cloudaccount_id = ci.cloudaccount_id ORDER BY p.created_at, p.id LIMIT 1), ''),
       g.id, ci.zone_id, ci.instance_id, ci.instance_id,
       CASE ci.status WHEN 'failed' THEN 'unknown' ELSE ci.status END,
       COALESCE(a.domain_id, ci.domain_id), COALESCE(a.project_id, ci.project_id),
       COALESCE(ci.network::json->>'vpc', ''), ci.instance_type,
       trim(both ',' from ci.ip_inner || ',' || ci.ip_outer), ci.charge_type, '{}', '', ci.created_at, ci.updated_at, ci.updated_at,
       CASE ci.status WHEN 'deleted' THEN COALESCE(ci.deleted_at, ci.updated_at) END
FROM cluster_instances ci
JOIN cloudregions g ON g.external_id = ci.provider || '/' || ci.region_id
LEFT JOIN cloudaccounts a ON a.id = ci.cloudaccount_id
WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.cloudaccount_id = ci.cloudaccount_id AND r.kind = 'server'
    AND r.cloudregion_id = g.id AND r.external_id = ci.instance_id);

INSERT INTO resource_data (id, data)
SELECT ci.id, json_build_object('id', ci.instance_id, 'global_id', '', 'name', ci.instance_id, 'zone_id', ci.zone_id,
       'status', CASE ci.status WHEN 'failed' THEN 'unknown' ELSE ci.status END,
       'instance_type', ci.instance_type, 'cpu', 0, 'memory_mib', 0, 'image_id', ci.image_id,
       'vpc_id', COALESCE(ci.network::json->>'vpc', ''),
       'subnet_id', COALESCE(ci.network::json->>'subnet_id', ''),
       'security_group_ids', CASE WHEN COALESCE(ci.network::json->>'security_group', '') <> ''
           THEN json_build_array(ci.network::json->>'security_group') ELSE json_build_array() END,
       'private_ips', CASE WHEN ci.ip_inner <> '' THEN json_build_array(ci.ip_inner) ELSE json_build_array() END,
       'public_ips', CASE WHEN ci.ip_outer <> '' THEN json_build_array(ci.ip_outer) ELSE json_build_array() END,
       'charge_type', ci.charge_type)::text
FROM cluster_instances ci
JOIN resources r ON r.id = ci.id
WHERE NOT EXISTS (SELECT 1 FROM resource_data d WHERE d.id = ci.id);

INSERT INTO cluster_members (id, cluster_id, cluster_name, account_key, resource_id, expand_task_id, batch_seq,
    shrink_task_id, status, error, domain_id, project_id, created_at, running_at, deleted_at, updated_at)
SELECT ci.id, ci.cluster_id, ci.cluster_name, ci.account_key, r.id, ci.expand_task_id, ci.batch_seq,
       ci.shrink_task_id, ci.status, ci.error, ci.domain_id, ci.project_id, ci.created_at, ci.running_at, ci.deleted_at, ci.updated_at
FROM cluster_instances ci
JOIN cloudregions g ON g.external_id = ci.provider || '/' || ci.region_id
JOIN resources r ON r.cloudaccount_id = ci.cloudaccount_id AND r.kind = 'server' AND r.cloudregion_id = g.id
    AND r.external_id = ci.instance_id;

DROP TABLE cluster_instances;

-- +goose Down
CREATE TABLE cluster_instances (
    id              TEXT PRIMARY KEY,
    cluster_id      TEXT NOT NULL,
    cluster_name    TEXT NOT NULL,
    cloudaccount_id TEXT NOT NULL,
    account_key     TEXT NOT NULL,
    provider        TEXT NOT NULL,
    region_id       TEXT NOT NULL,
    zone_id         TEXT NOT NULL DEFAULT '',
    instance_id     TEXT NOT NULL,
    instance_type   TEXT NOT NULL DEFAULT '',
    image_id        TEXT NOT NULL DEFAULT '',
    charge_type     TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    ip_inner        TEXT NOT NULL DEFAULT '',
    ip_outer        TEXT NOT NULL DEFAULT '',
    storage         TEXT NOT NULL DEFAULT '{}',
    network         TEXT NOT NULL DEFAULT '{}',
    expand_task_id  TEXT NOT NULL DEFAULT '',
    batch_seq       INTEGER NOT NULL DEFAULT 0,
    shrink_task_id  TEXT NOT NULL DEFAULT '',
    error           TEXT NOT NULL DEFAULT '',
    domain_id       TEXT NOT NULL DEFAULT '',
    project_id      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    running_at      TIMESTAMPTZ,
    deleted_at      TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX cluster_instances_cloud_idx ON cluster_instances (cloudaccount_id, instance_id);
CREATE INDEX cluster_instances_cluster_idx ON cluster_instances (cluster_id, status);
CREATE INDEX cluster_instances_expand_idx ON cluster_instances (expand_task_id, status);
CREATE INDEX cluster_instances_shrink_idx ON cluster_instances (shrink_task_id);
CREATE INDEX cluster_instances_ip_idx ON cluster_instances (ip_inner);
CREATE INDEX cluster_instances_created_idx ON cluster_instances (created_at);
INSERT INTO cluster_instances (id, cluster_id, cluster_name, cloudaccount_id, account_key, provider, region_id, zone_id,
    instance_id, instance_type, image_id, charge_type, status, ip_inner, ip_outer, storage, network, expand_task_id,
    batch_seq, shrink_task_id, error, domain_id, project_id, created_at, running_at, deleted_at, updated_at)
SELECT m.id, m.cluster_id, m.cluster_name, r.cloudaccount_id, m.account_key, g.provider, g.region_id, r.zone_id,
       r.external_id, r.instance_type, COALESCE(d.data::json->>'image_id', ''), r.charge_type, m.status,
       COALESCE(d.data::json->'private_ips'->>0, ''), COALESCE(d.data::json->'public_ips'->>0, ''),
       COALESCE(c.disks, '{}'),
       json_build_object('vpc', COALESCE(d.data::json->>'vpc_id', ''), 'subnet_id', COALESCE(d.data::json->>'subnet_id', ''),
           'security_group', COALESCE(d.data::json->'security_group_ids'->>0, ''))::text,
       m.expand_task_id, m.batch_seq, m.shrink_task_id, m.error, m.domain_id, m.project_id, m.created_at, m.running_at,
       m.deleted_at, m.updated_at
FROM cluster_members m
JOIN resources r ON r.id = m.resource_id
JOIN cloudregions g ON g.id = r.cloudregion_id
LEFT JOIN resource_data d ON d.id = r.id
LEFT JOIN clusters c ON c.id = m.cluster_id;
DROP TABLE cluster_members;
