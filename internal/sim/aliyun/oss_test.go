package aliyunsim_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	aliyunsim "github.com/skyfold/skyfold/internal/sim/aliyun"
)

func (e *env) oss(ver oss.SignatureVersionType, secret string) *oss.Client {
	cfg := oss.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(testAK, secret)).
		WithRegion("cn-shanghai").WithEndpoint(e.hs.URL).WithSignatureVersion(ver).WithRetryMaxAttempts(1)
	return oss.NewClient(cfg)
}

func ossCode(t *testing.T, err error) (string, int) {
	t.Helper()
	var se *oss.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("expected an OSS service error, got %v", err)
	}
	return se.Code, se.StatusCode
}

func TestOSS(t *testing.T) {
	for _, ver := range []oss.SignatureVersionType{oss.SignatureVersionV4, oss.SignatureVersionV1} {
		t.Run(map[oss.SignatureVersionType]string{oss.SignatureVersionV4: "V4", oss.SignatureVersionV1: "V1"}[ver], func(t *testing.T) {
			e := newEnv(t)
			if err := e.srv.Populate(testAK, aliyunsim.PopulateOptions{Buckets: 2, Regions: []string{"cn-shanghai"}}); err != nil {
				t.Fatal(err)
			}
			c := e.oss(ver, testSecret)
			ctx := context.Background()
			must(c.PutBucket(ctx, &oss.PutBucketRequest{Bucket: oss.Ptr("team-logs"), Acl: oss.BucketACLPublicRead,
				CreateBucketConfiguration: &oss.CreateBucketConfiguration{StorageClass: oss.StorageClassIA}}))
			_, err := c.PutBucket(ctx, &oss.PutBucketRequest{Bucket: oss.Ptr("team-logs")})
			if code, status := ossCode(t, err); code != "BucketAlreadyExists" || status != 409 {
				t.Errorf("duplicate bucket: %s/%d", code, status)
			}
			lb := must(c.ListBuckets(ctx, &oss.ListBucketsRequest{}))
			if len(lb.Buckets) != 3 || oss.ToString(lb.Owner.ID) != testAccount {
				t.Fatalf("ListBuckets: %d buckets, owner %s", len(lb.Buckets), oss.ToString(lb.Owner.ID))
			}
			info := must(c.GetBucketInfo(ctx, &oss.GetBucketInfoRequest{Bucket: oss.Ptr("team-logs")}))
			bi := info.BucketInfo
			wantLoc := "oss-cn-shanghai" // V1 signs no region: the default applies
			if ver == oss.SignatureVersionV1 {
				wantLoc = "oss-cn-hangzhou"
			}
			if oss.ToString(bi.Location) != wantLoc || oss.ToString(bi.StorageClass) != "IA" || oss.ToString(bi.ACL) != "public-read" || bi.CreationDate == nil {
				t.Errorf("bucket info: %+v", bi)
			}
			var populated string
			for _, b := range lb.Buckets {
				if oss.ToString(b.Name) != "team-logs" {
					populated = oss.ToString(b.Name)
				}
			}
			stat := must(c.GetBucketStat(ctx, &oss.GetBucketStatRequest{Bucket: &populated}))
			if stat.ObjectCount == 0 || stat.Storage == 0 {
				t.Errorf("populated bucket stat: %+v", stat)
			}
			_, err = c.DeleteBucket(ctx, &oss.DeleteBucketRequest{Bucket: &populated})
			if code, _ := ossCode(t, err); code != "BucketNotEmpty" {
				t.Errorf("delete non-empty bucket: %s", code)
			}
			must(c.DeleteBucket(ctx, &oss.DeleteBucketRequest{Bucket: oss.Ptr("team-logs")}))
			_, err = c.GetBucketInfo(ctx, &oss.GetBucketInfoRequest{Bucket: oss.Ptr("team-logs")})
			if code, status := ossCode(t, err); code != "NoSuchBucket" || status != http.StatusNotFound {
				t.Errorf("deleted bucket: %s/%d", code, status)
			}
			_, err = e.oss(ver, "wrong-secret").ListBuckets(ctx, &oss.ListBucketsRequest{})
			if code, status := ossCode(t, err); code != "SignatureDoesNotMatch" || status != http.StatusForbidden {
				t.Errorf("wrong secret: %s/%d", code, status)
			}
		})
	}
}
