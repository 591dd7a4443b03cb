package keystone_test

import (
	"testing"

	"github.com/skyfold/skyfold/internal/api/keystone"
	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
)

func TestParseAuthBody(t *testing.T) {
	good := []struct {
		body  string
		check func(r identity.AuthRequest) bool
	}{
		{`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"u","domain":{"name":"Default"},"password":"p"}}}}}`,
			func(r identity.AuthRequest) bool {
				return r.Password.UserName == "u" && r.Password.DomainName == "Default" && r.Password.Password == "p" && r.Scope.Kind == ""
			}},
		{`{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"42","password":""}}},"scope":{"project":{"id":"p1"}}}}`,
			func(r identity.AuthRequest) bool {
				return r.Password.UserID == "42" && r.Scope.Kind == "project" && r.Scope.ProjectID == "p1"
			}},
		{`{"auth":{"identity":{"methods":["token"],"token":{"id":"abc"}},"scope":{"project":{"name":"web","domain":{"id":"d"}}}}}`,
			func(r identity.AuthRequest) bool {
				return r.Token.Token == "abc" && r.Scope.ProjectName == "web" && r.Scope.ProjectDomainID == "d"
			}},
		{`{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"1","password":"p"}}},"scope":{"domain":{"name":"acme"}}}}`,
			func(r identity.AuthRequest) bool { return r.Scope.Kind == "domain" && r.Scope.DomainName == "acme" }},
		{`{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"1","password":"p"}}},"scope":{"system":{"all":true}}}}`,
			func(r identity.AuthRequest) bool { return r.Scope.Kind == "system" }},
		{`{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"1","password":"p"}}},"scope":"unscoped"}}`,
			func(r identity.AuthRequest) bool { return r.Scope.Unscoped }},
		{`{"auth":{"identity":{"methods":["application_credential"],"application_credential":{"id":"ac","secret":"s"}}}}`,
			func(r identity.AuthRequest) bool { return r.AppCred.ID == "ac" && r.AppCred.Secret == "s" }},
		{`{"auth":{"identity":{"methods":["application_credential"],"application_credential":{"name":"ci","secret":"s","user":{"name":"u","domain":{"id":"d"}}}}}}`,
			func(r identity.AuthRequest) bool {
				return r.AppCred.Name == "ci" && r.AppCred.UserName == "u" && r.AppCred.DomainID == "d"
			}},
		{`{"auth":{"identity":{"methods":["totp"]}}}`, // unsupported methods are for the service to refuse with 401
			func(r identity.AuthRequest) bool { return len(r.Methods) == 1 && r.Methods[0] == "totp" }},
	}
	for _, c := range good {
		r, err := keystone.ParseAuthBody([]byte(c.body))
		if err != nil || !c.check(r) {
			t.Errorf("%s: %+v %v", c.body, r, err)
		}
	}
	bad := map[string]string{
		``:                         "body",
		`{`:                        "body",
		`[]`:                       "body",
		`{}`:                       "auth",
		`{"auth":{}}`:              "auth.identity",
		`{"auth":"x"}`:             "auth",
		`{"auth":{"identity":{}}}`: "auth.identity.methods",
		`{"auth":{"identity":{"methods":"password"}}}`:                                                                      "auth.identity.methods",
		`{"auth":{"identity":{"methods":["password"]}}}`:                                                                    "auth.identity.password",
		`{"auth":{"identity":{"methods":["password"],"password":{}}}}`:                                                      "auth.identity.password.user",
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"password":"p"}}}}}`:                               "auth.identity.password.user",
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"u","password":"p"}}}}}`:                    "auth.identity.password.user.domain",
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"u","domain":{},"password":"p"}}}}}`:        "auth.identity.password.user.domain",
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"u"}}}}}`:                                     "auth.identity.password.user.password",
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"id":"u","password":5}}}}}`:                        "auth.identity.password.user.password",
		`{"auth":{"identity":{"methods":["token"],"token":{}}}}`:                                                            "auth.identity.token.id",
		`{"auth":{"identity":{"methods":["token"]}}}`:                                                                       "auth.identity.token",
		`{"auth":{"identity":{"methods":["application_credential"],"application_credential":{"id":"x"}}}}`:                  "auth.identity.application_credential.secret",
		`{"auth":{"identity":{"methods":["application_credential"],"application_credential":{"name":"x","secret":"s"}}}}`:   "auth.identity.application_credential.user",
		`{"auth":{"identity":{"methods":["token"],"token":{"id":"t"}},"scope":{}}}`:                                         "auth.scope",
		`{"auth":{"identity":{"methods":["token"],"token":{"id":"t"}},"scope":"everything"}}`:                               "auth.scope",
		`{"auth":{"identity":{"methods":["token"],"token":{"id":"t"}},"scope":{"project":{}}}}`:                             "auth.scope.project",
		`{"auth":{"identity":{"methods":["token"],"token":{"id":"t"}},"scope":{"project":{"name":"p"}}}}`:                   "auth.scope.project.domain",
		`{"auth":{"identity":{"methods":["token"],"token":{"id":"t"}},"scope":{"domain":{}}}}`:                              "auth.scope.domain",
		`{"auth":{"identity":{"methods":["token"],"token":{"id":"t"}},"scope":{"system":{"all":false}}}}`:                   "auth.scope.system.all",
		`{"auth":{"identity":{"methods":["token"],"token":{"id":"t"}},"scope":{"project":{"id":"p"},"domain":{"id":"d"}}}}`: "auth.scope",
		`{"auth":{"identity":{"methods":["token"],"token":{"id":"t"}},"scope":{"project":{"id":7}}}}`:                       "auth.scope.project.id",
	}
	for body, field := range bad {
		_, err := keystone.ParseAuthBody([]byte(body))
		e := errs.As(err)
		if err == nil || e.Code != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != field {
			t.Errorf("%s: want field %s, got %v", body, field, err)
		}
	}
}

// FuzzParseAuthBody: any body either parses into a request whose methods
// carry their inputs, or fails with an Invalid error naming a field.
func FuzzParseAuthBody(f *testing.F) {
	for _, s := range []string{
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"u","domain":{"name":"Default"},"password":"p"}}},"scope":{"project":{"name":"p","domain":{"id":"d"}}}}}`,
		`{"auth":{"identity":{"methods":["token"],"token":{"id":"abc"}},"scope":"unscoped"}}`,
		`{"auth":{"identity":{"methods":["application_credential"],"application_credential":{"id":"ac","secret":"s"}}}}`,
		`{"auth":{"identity":{"methods":["password","token"]},"scope":{"system":{"all":true}}}}`,
		`{"auth":null}`, `{}`, `"`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := keystone.ParseAuthBody(body)
		if err != nil {
			e := errs.As(err)
			if e.Code != errs.Invalid || len(e.Fields) == 0 || e.Fields[0].Field == "" {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		if len(r.Methods) == 0 {
			t.Fatal("parsed without methods")
		}
		for _, m := range r.Methods {
			switch m {
			case "password":
				if r.Password == nil || (r.Password.UserID == "" && (r.Password.UserName == "" || r.Password.DomainID+r.Password.DomainName == "")) {
					t.Fatalf("password without a user: %+v", r.Password)
				}
			case "token":
				if r.Token == nil || r.Token.Token == "" {
					t.Fatal("token method without a token")
				}
			case "application_credential":
				if r.AppCred == nil || r.AppCred.Secret == "" {
					t.Fatal("application credential without a secret")
				}
			}
		}
		switch r.Scope.Kind {
		case "", "system":
		case "project":
			if r.Scope.ProjectID == "" && (r.Scope.ProjectName == "" || r.Scope.ProjectDomainID+r.Scope.ProjectDomainName == "") {
				t.Fatalf("project scope without a project: %+v", r.Scope)
			}
		case "domain":
			if r.Scope.DomainID+r.Scope.DomainName == "" {
				t.Fatal("domain scope without a domain")
			}
		default:
			t.Fatalf("scope kind %q", r.Scope.Kind)
		}
	})
}
