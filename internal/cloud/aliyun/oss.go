package aliyun

import (
	"context"
	"strings"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	osscred "github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/skyfold/skyfold/internal/cloud"
)

// ossClient returns the OSS client of the region: path-style on the
// override endpoint, else the region's public endpoint.
func (r *Region) ossClient(ctx context.Context) (*oss.Client, error) {
	if err := r.p.ensureAccount(ctx); err != nil {
		return nil, err
	}
	return client(r.p, "oss", r.id, func(_ *openapiutil.Config) (*oss.Client, error) {
		cfg := oss.LoadDefaultConfig().
			WithCredentialsProvider(osscred.NewStaticCredentialsProvider(r.p.cfg.AccessKeyID, r.p.cfg.AccessKeySecret)).
			WithRegion(r.id).
			WithHttpClient(r.p.httpc).
			WithRetryMaxAttempts(1).
			WithReadWriteTimeout(r.p.timeout).
			WithConnectTimeout(10 * time.Second)
		if r.p.override != nil {
			cfg = cfg.WithEndpoint(r.p.override.URL()).WithUsePathStyle(true)
		}
		return oss.NewClient(cfg), nil
	})
}

// ossRegion strips OSS's "oss-" location prefix.
func ossRegion(loc string) string { return strings.TrimPrefix(loc, "oss-") }

// CreateBucket calls OSS PutBucket.
func (r *Region) CreateBucket(ctx context.Context, spec cloud.BucketSpec) (cloud.Bucket, error) {
	const op = "oss.PutBucket"
	if spec.Name == "" {
		return cloud.Bucket{}, cloud.Errorf(cloud.ErrInvalidParameter, providerName, op, "bucket name is required")
	}
	c, err := r.ossClient(ctx)
	if err != nil {
		return cloud.Bucket{}, err
	}
	req := &oss.PutBucketRequest{Bucket: oss.Ptr(spec.Name)}
	if spec.ACL != "" {
		req.Acl = oss.BucketACLType(spec.ACL)
	}
	class := spec.StorageClass
	if class != "" {
		req.CreateBucketConfiguration = &oss.CreateBucketConfiguration{StorageClass: oss.StorageClassType(class)}
	} else {
		class = "Standard"
	}
	if _, err := invoke(ctx, op, func(ctx context.Context) (*oss.PutBucketResult, error) { return c.PutBucket(ctx, req) }); err != nil {
		return cloud.Bucket{}, err
	}
	return cloud.Bucket{Meta: r.meta(ctx, "bucket", spec.Name, spec.Name, "", "available", cloud.StatusRunning, nil, ""),
		StorageClass: class, ACL: spec.ACL}, nil
}

// DeleteBucket calls OSS DeleteBucket.
func (r *Region) DeleteBucket(ctx context.Context, name string) error {
	c, err := r.ossClient(ctx)
	if err != nil {
		return err
	}
	_, err = invoke(ctx, "oss.DeleteBucket", func(ctx context.Context) (*oss.DeleteBucketResult, error) {
		return c.DeleteBucket(ctx, &oss.DeleteBucketRequest{Bucket: oss.Ptr(name)})
	})
	return err
}

// ListBuckets calls OSS ListBuckets (to the end) and keeps the region's buckets.
func (r *Region) ListBuckets(ctx context.Context) ([]cloud.Bucket, error) {
	const op = "oss.ListBuckets"
	c, err := r.ossClient(ctx)
	if err != nil {
		return nil, err
	}
	var out []cloud.Bucket
	marker := ""
	for range 10000 {
		req := &oss.ListBucketsRequest{MaxKeys: 1000}
		if marker != "" {
			req.Marker = oss.Ptr(marker)
		}
		res, err := invoke(ctx, op, func(ctx context.Context) (*oss.ListBucketsResult, error) { return c.ListBuckets(ctx, req) })
		if err != nil {
			return nil, err
		}
		if res == nil {
			break
		}
		for _, b := range res.Buckets {
			name := oss.ToString(b.Name)
			region := firstNonEmpty(oss.ToString(b.Region), ossRegion(oss.ToString(b.Location)))
			if name == "" || (region != "" && region != r.id) {
				continue
			}
			created := ""
			if b.CreationDate != nil {
				created = b.CreationDate.UTC().Format(time.RFC3339)
			}
			out = append(out, cloud.Bucket{Meta: r.meta(ctx, "bucket", name, name, "", "available", cloud.StatusRunning, nil, created),
				StorageClass: oss.ToString(b.StorageClass), Endpoint: oss.ToString(b.ExtranetEndpoint)})
		}
		next := oss.ToString(res.NextMarker)
		if !res.IsTruncated || next == "" || next == marker {
			break
		}
		marker = next
	}
	return out, nil
}

// BucketStats calls OSS GetBucketStat.
func (r *Region) BucketStats(ctx context.Context, name string) (cloud.BucketStats, error) {
	c, err := r.ossClient(ctx)
	if err != nil {
		return cloud.BucketStats{}, err
	}
	res, err := invoke(ctx, "oss.GetBucketStat", func(ctx context.Context) (*oss.GetBucketStatResult, error) {
		return c.GetBucketStat(ctx, &oss.GetBucketStatRequest{Bucket: oss.Ptr(name)})
	})
	if err != nil || res == nil {
		return cloud.BucketStats{}, err
	}
	return cloud.BucketStats{SizeBytes: res.Storage, ObjectCount: res.ObjectCount}, nil
}
