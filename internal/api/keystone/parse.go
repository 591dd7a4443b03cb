package keystone

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/skyfold/skyfold/internal/errs"
	"github.com/skyfold/skyfold/internal/identity"
)

// The wire shape of POST /v3/auth/tokens.
type authBody struct {
	Auth *struct {
		Identity *struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User *userRef `json:"user"`
			} `json:"password"`
			Token *struct {
				ID *string `json:"id"`
			} `json:"token"`
			AppCred *struct {
				ID     string   `json:"id"`
				Name   string   `json:"name"`
				Secret *string  `json:"secret"`
				User   *userRef `json:"user"`
			} `json:"application_credential"`
		} `json:"identity"`
		Scope json.RawMessage `json:"scope"`
	} `json:"auth"`
}

type userRef struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Password *string `json:"password"`
	Domain   *ref    `json:"domain"`
}

type ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type scopeBody struct {
	Project *struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Domain *ref   `json:"domain"`
	} `json:"project"`
	Domain *ref `json:"domain"`
	System *struct {
		All *bool `json:"all"`
	} `json:"system"`
	// Keystone also accepts OS-TRUST:trust; trusts are not supported.
	Trust json.RawMessage `json:"OS-TRUST:trust"`
}

// jsonFieldError names the field a JSON type error is about.
func jsonFieldError(prefix string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "body"
		} else if prefix != "" {
			field = prefix + "." + field
		}
		return errs.Field(field, "expected "+te.Type.String()+", got "+te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errs.Field("body", fmt.Sprintf("malformed JSON at byte %d", se.Offset))
	}
	return errs.Field("body", "malformed JSON")
}

// ParseAuthBody reads a Keystone v3 authentication request. Every error is an
// Invalid error naming the offending field (auth.identity.password.user.name
// and the like); unsupported methods are left to the identity service,
// which answers 401 as Keystone does.
func ParseAuthBody(raw []byte) (identity.AuthRequest, error) {
	var req identity.AuthRequest
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return req, errs.Field("body", "required")
	}
	var b authBody
	if err := json.Unmarshal(raw, &b); err != nil {
		return req, jsonFieldError("", err)
	}
	if b.Auth == nil {
		return req, errs.Field("auth", "required")
	}
	id := b.Auth.Identity
	if id == nil {
		return req, errs.Field("auth.identity", "required")
	}
	if len(id.Methods) == 0 {
		return req, errs.Field("auth.identity.methods", "at least one method is required")
	}
	if len(id.Methods) > 8 {
		return req, errs.Field("auth.identity.methods", "too many methods")
	}
	for _, m := range id.Methods {
		switch m {
		case identity.MethodPassword:
			if id.Password == nil {
				return req, errs.Field("auth.identity.password", "required by method password")
			}
			u := id.Password.User
			if u == nil {
				return req, errs.Field("auth.identity.password.user", "required")
			}
			pa := &identity.PasswordAuth{UserID: u.ID, UserName: u.Name}
			if err := userIdent("auth.identity.password.user", u, &pa.DomainID, &pa.DomainName); err != nil {
				return req, err
			}
			if u.Password == nil {
				return req, errs.Field("auth.identity.password.user.password", "required")
			}
			pa.Password = *u.Password
			req.Password = pa
		case identity.MethodToken:
			if id.Token == nil {
				return req, errs.Field("auth.identity.token", "required by method token")
			}
			if id.Token.ID == nil || *id.Token.ID == "" {
				return req, errs.Field("auth.identity.token.id", "required")
			}
			req.Token = &identity.TokenAuth{Token: *id.Token.ID}
		case identity.MethodAppCred:
			ac := id.AppCred
			if ac == nil {
				return req, errs.Field("auth.identity.application_credential", "required by method application_credential")
			}
			if ac.Secret == nil || *ac.Secret == "" {
				return req, errs.Field("auth.identity.application_credential.secret", "required")
			}
			out := &identity.AppCredAuth{ID: ac.ID, Name: ac.Name, Secret: *ac.Secret}
			if ac.ID == "" {
				if ac.Name == "" {
					return req, errs.Field("auth.identity.application_credential", "id, or name and user, required")
				}
				if ac.User == nil {
					return req, errs.Field("auth.identity.application_credential.user", "required with name")
				}
				out.UserID, out.UserName = ac.User.ID, ac.User.Name
				if err := userIdent("auth.identity.application_credential.user", ac.User, &out.DomainID, &out.DomainName); err != nil {
					return req, err
				}
			}
			req.AppCred = out
		}
	}
	req.Methods = append([]string(nil), id.Methods...)
	sc, err := parseScope(b.Auth.Scope)
	if err != nil {
		return req, err
	}
	req.Scope = sc
	return req, nil
}

// userIdent checks a user reference: an id, or a name with a domain by id or
// name.
func userIdent(field string, u *userRef, domainID, domainName *string) error {
	if u.ID != "" {
		return nil
	}
	if u.Name == "" {
		return errs.Field(field, "id or name required")
	}
	if u.Domain == nil {
		return errs.Field(field+".domain", "required with name")
	}
	if u.Domain.ID == "" && u.Domain.Name == "" {
		return errs.Field(field+".domain", "id or name required")
	}
	*domainID, *domainName = u.Domain.ID, u.Domain.Name
	return nil
}

func parseScope(raw json.RawMessage) (identity.ScopeRequest, error) {
	var sr identity.ScopeRequest
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return sr, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || s != "unscoped" {
			return sr, errs.Field("auth.scope", `must be an object or "unscoped"`)
		}
		sr.Unscoped = true
		return sr, nil
	}
	var sb scopeBody
	if err := json.Unmarshal(raw, &sb); err != nil {
		return sr, jsonFieldError("auth.scope", err)
	}
	n := 0
	if sb.Project != nil {
		n++
	}
	if sb.Domain != nil {
		n++
	}
	if sb.System != nil {
		n++
	}
	if len(sb.Trust) > 0 {
		return sr, errs.Field("auth.scope.OS-TRUST:trust", "trusts are not supported")
	}
	switch {
	case n == 0:
		return sr, errs.Field("auth.scope", "one of project, domain or system required")
	case n > 1:
		return sr, errs.Field("auth.scope", "only one of project, domain or system may be given")
	}
	switch {
	case sb.Project != nil:
		p := sb.Project
		sr.Kind = identity.ScopeProject
		if p.ID != "" {
			sr.ProjectID = p.ID
			return sr, nil
		}
		if p.Name == "" {
			return sr, errs.Field("auth.scope.project", "id or name required")
		}
		if p.Domain == nil {
			return sr, errs.Field("auth.scope.project.domain", "required with name")
		}
		if p.Domain.ID == "" && p.Domain.Name == "" {
			return sr, errs.Field("auth.scope.project.domain", "id or name required")
		}
		sr.ProjectName, sr.ProjectDomainID, sr.ProjectDomainName = p.Name, p.Domain.ID, p.Domain.Name
	case sb.Domain != nil:
		if sb.Domain.ID == "" && sb.Domain.Name == "" {
			return sr, errs.Field("auth.scope.domain", "id or name required")
		}
		sr.Kind, sr.DomainID, sr.DomainName = identity.ScopeDomain, sb.Domain.ID, sb.Domain.Name
	default:
		if sb.System.All == nil || !*sb.System.All {
			return sr, errs.Field("auth.scope.system.all", "must be true")
		}
		sr.Kind = identity.ScopeSystem
	}
	return sr, nil
}
