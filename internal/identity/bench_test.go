package identity_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/identity"
	"github.com/skyfold/skyfold/internal/store/storetest"
)

func benchService(b *testing.B, kdf identity.KDFParams) *identity.Service {
	b.Helper()
	st := storetest.Open(b, "sqlite")
	svc := identity.New(st.DB, testBox, identity.Config{KDF: kdf})
	if _, err := svc.Bootstrap(context.Background(), identity.BootstrapOptions{AdminPassword: adminPW}); err != nil {
		b.Fatal(err)
	}
	return svc
}

// BenchmarkTokenValidate measures token validation of a token seen before
// (the verified-token cache hits): expiry and the revocation list (with
// 1 000 revocation events loaded). Run with -cpu 1 for the one-core figure.
func BenchmarkTokenValidate(b *testing.B) { benchValidate(b, false) }

// BenchmarkTokenValidateCold verifies the signature and decodes the token on
// every call, as for a token never seen before.
func BenchmarkTokenValidateCold(b *testing.B) { benchValidate(b, true) }

func benchValidate(b *testing.B, cold bool) {
	st := storetest.Open(b, "sqlite")
	svc := identity.New(st.DB, testBox, identity.Config{KDF: identity.TestKDF, NoTokenCache: cold})
	if _, err := svc.Bootstrap(context.Background(), identity.BootstrapOptions{AdminPassword: adminPW}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	req := identity.AuthRequest{Methods: []string{"password"},
		Password: &identity.PasswordAuth{UserName: "admin", DomainID: "default", Password: adminPW}}
	// Revocation events of other tokens and users, so the lookup is not
	// trivially empty.
	exp := time.Now().Add(time.Hour)
	for i := 0; i < 1000; i++ {
		if err := svc.RevokeToken(ctx, &identity.Token{ID: fmt.Sprintf("other-%d", i), ExpiresAt: exp}); err != nil {
			b.Fatal(err)
		}
	}
	_, raw, err := svc.Authenticate(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.Validate(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "validations/s")
}

// BenchmarkTokenIssue measures a full password login with the production
// KDF (Argon2id, 19 MiB, t=2, p=1): the KDF dominates.
func BenchmarkTokenIssue(b *testing.B) {
	svc := benchService(b, identity.DefaultKDF)
	ctx := context.Background()
	req := identity.AuthRequest{Methods: []string{"password"},
		Password: &identity.PasswordAuth{UserName: "admin", DomainID: "default", Password: adminPW},
		Scope:    identity.ScopeRequest{Kind: identity.ScopeSystem}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := svc.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "issues/s")
}

// BenchmarkTokenRescope measures issuing a token from a token (no KDF): the
// cost of issuing itself.
func BenchmarkTokenRescope(b *testing.B) {
	svc := benchService(b, identity.TestKDF)
	ctx := context.Background()
	_, raw, err := svc.Authenticate(ctx, identity.AuthRequest{Methods: []string{"password"},
		Password: &identity.PasswordAuth{UserName: "admin", DomainID: "default", Password: adminPW}})
	if err != nil {
		b.Fatal(err)
	}
	req := identity.AuthRequest{Methods: []string{"token"}, Token: &identity.TokenAuth{Token: raw},
		Scope: identity.ScopeRequest{Kind: identity.ScopeSystem}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := svc.Authenticate(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "issues/s")
}

// BenchmarkAuthorize measures one policy decision.
func BenchmarkAuthorize(b *testing.B) {
	svc := benchService(b, identity.TestKDF)
	tok, _, err := svc.Authenticate(context.Background(), identity.AuthRequest{Methods: []string{"password"},
		Password: &identity.PasswordAuth{UserName: "admin", DomainID: "default", Password: adminPW}})
	if err != nil {
		b.Fatal(err)
	}
	a, _ := identity.SplitAction("compute/tasks/list")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := svc.AuthorizeSplit(tok, a); !ok {
			b.Fatal("denied")
		}
	}
}
