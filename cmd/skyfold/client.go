package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// apiClient calls a Skyfold server with a token, as "skyfold client" does.
type apiClient struct {
	url   string
	token string
	http  *http.Client
}

// apiError is a non-2xx answer.
type apiError struct {
	status int
	body   string
}

func (e *apiError) Error() string {
	msg := strings.TrimSpace(e.body)
	var m map[string]any
	if json.Unmarshal([]byte(e.body), &m) == nil {
		// Every face's envelope has the message in one of these places.
		if er, ok := m["error"].(map[string]any); ok {
			for _, k := range []string{"message", "details"} {
				if s, ok := er[k].(string); ok {
					msg = s
				}
			}
		} else {
			for _, k := range []string{"error", "detail", "faultstring"} {
				if s, ok := m[k].(string); ok {
					msg = s
				}
			}
		}
	}
	return fmt.Sprintf("HTTP %d: %s", e.status, msg)
}

func (c *apiClient) do(ctx context.Context, method, path string, body io.Reader, hdr map[string]string) (*http.Response, []byte, error) {
	if c.http == nil {
		c.http = &http.Client{Timeout: 2 * time.Minute}
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, body)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("X-Auth-Token", c.token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp, nil, err
	}
	if resp.StatusCode >= 300 {
		return resp, out, &apiError{status: resp.StatusCode, body: string(out)}
	}
	return resp, out, nil
}

// getJSON calls GET and decodes the answer into v.
func (c *apiClient) getJSON(ctx context.Context, path string, v any) error {
	_, out, err := c.do(ctx, "GET", path, nil, nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(out, v)
}

// clientOptions are the flags every client command shares.
type clientOptions struct {
	url, token, output string
}

func (o *clientOptions) client() (*apiClient, error) {
	c := &apiClient{url: o.url, token: o.token}
	if c.token == "" {
		c.token = os.Getenv("SKYFOLD_TOKEN")
	}
	if c.token == "" {
		// The stored token, and the server it is for.
		cr, err := loadCredentials()
		if err != nil {
			return nil, err
		}
		c.token = cr.Token
		if !cr.ExpiresAt.IsZero() && time.Now().After(cr.ExpiresAt) {
			return nil, fmt.Errorf("the stored token expired at %s: run skyfold login", cr.ExpiresAt.Local().Format(time.RFC3339))
		}
		if c.url == "" {
			c.url = cr.URL
		}
	}
	if c.url == "" {
		c.url = defaultURL()
	}
	c.url = strings.TrimRight(c.url, "/")
	return c, nil
}

// readBody reads -d: inline JSON, @file, or - for stdin.
func readBody(cmd *cobra.Command, data string) (io.Reader, error) {
	switch {
	case data == "":
		return nil, nil
	case data == "-":
		raw, err := io.ReadAll(cmd.InOrStdin())
		return bytes.NewReader(raw), err
	case strings.HasPrefix(data, "@"):
		raw, err := os.ReadFile(data[1:])
		return bytes.NewReader(raw), err
	}
	if !json.Valid([]byte(data)) {
		return nil, fmt.Errorf("-d is not JSON (use @file or - for stdin)")
	}
	return strings.NewReader(data), nil
}

func printBody(w io.Writer, out []byte) error {
	if len(bytes.TrimSpace(out)) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if json.Indent(&buf, out, "", "  ") == nil {
		buf.WriteByte('\n')
		_, err := w.Write(buf.Bytes())
		return err
	}
	_, err := w.Write(out)
	return err
}

// table prints rows of the given columns, or the JSON when -o json.
func (o *clientOptions) table(w io.Writer, raw []byte, listKey string, cols ...string) error {
	if o.output == "json" {
		return printBody(w, raw)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		return printBody(w, raw)
	}
	var items []map[string]any
	switch v := body[listKey].(type) {
	case []any:
		for _, x := range v {
			if m, ok := x.(map[string]any); ok {
				items = append(items, m)
			}
		}
	case map[string]any:
		items = append(items, v)
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, it := range items {
		vals := make([]string, len(cols))
		for i, c := range cols {
			vals[i] = cell(it, c)
		}
		fmt.Fprintln(tw, strings.Join(vals, "\t"))
	}
	return tw.Flush()
}

// cell reads a column; "a.b" walks into objects.
func cell(m map[string]any, col string) string {
	var v any = m
	for _, p := range strings.Split(col, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = mm[p]
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case map[string]any:
		if n, ok := x["name"].(string); ok {
			return n
		}
		if id, ok := x["id"].(string); ok {
			return id
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return strings.Join(keys, ",")
	}
	return fmt.Sprint(v)
}

// resolve finds the id of a Keystone object given an id or a name (in a
// domain for projects, users and groups), as the OpenStack client does.
func (c *apiClient) resolve(ctx context.Context, kind, ref, domain string) (string, error) {
	if ref == "" {
		return "", nil
	}
	var one map[string]any
	if err := c.getJSON(ctx, "/v3/"+kind+"/"+url.PathEscape(ref), &one); err == nil {
		return ref, nil
	} else if ae, ok := err.(*apiError); !ok || (ae.status != 404 && ae.status != 403) {
		return "", err
	}
	q := url.Values{"name": {ref}}
	if domain != "" && kind != "roles" && kind != "domains" {
		did, err := c.resolve(ctx, "domains", domain, "")
		if err != nil {
			return "", err
		}
		q.Set("domain_id", did)
	}
	var body map[string]json.RawMessage
	if err := c.getJSON(ctx, "/v3/"+kind+"?"+q.Encode(), &body); err != nil {
		return "", err
	}
	var found []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body[kind], &found); err != nil {
		return "", fmt.Errorf("unexpected answer listing %s: %w", kind, err)
	}
	switch n := len(found); n {
	case 1:
		return found[0].ID, nil
	case 0:
		return "", fmt.Errorf("no %s named %q", strings.TrimSuffix(kind, "s"), ref)
	default:
		return "", fmt.Errorf("%d %s named %q: give an id or a domain", n, kind, ref)
	}
}

func newClientCmd() *cobra.Command {
	o := &clientOptions{}
	root := &cobra.Command{
		Use:   "client",
		Short: "Call a Skyfold server's API from a shell (after skyfold login)",
		Long: `Call the API of a Skyfold server with the token "skyfold login" stored (or
--token / SKYFOLD_TOKEN). The generic verbs reach every endpoint of every
face; the identity commands wrap the Keystone v3 API.`,
		Example: `  skyfold client get /v3/projects
  skyfold client get '/api/v2/tasks?scope=system&limit=5'
  skyfold client post /v3/domains -d '{"domain":{"name":"acme"}}'
  skyfold client project create web --domain acme
  skyfold client role add member --user alice --user-domain acme --project web --project-domain acme`,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&o.url, "url", "", "server URL (default: the one logged in to, or SKYFOLD_URL)")
	pf.StringVar(&o.token, "token", "", "token to use instead of the stored one (env SKYFOLD_TOKEN)")
	pf.StringVarP(&o.output, "output", "o", "table", "table or json (identity commands)")

	for _, m := range []string{"get", "head", "delete", "post", "put", "patch"} {
		method := strings.ToUpper(m)
		var data string
		c := &cobra.Command{
			Use:   m + " PATH",
			Short: method + " a path of the API and print the answer",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := o.client()
				if err != nil {
					return err
				}
				body, err := readBody(cmd, data)
				if err != nil {
					return err
				}
				resp, out, err := c.do(cmd.Context(), method, args[0], body, nil)
				if err != nil {
					if ae, ok := err.(*apiError); ok {
						_ = printBody(cmd.ErrOrStderr(), []byte(ae.body))
					}
					return err
				}
				if method == "HEAD" || len(out) == 0 {
					_, err = fmt.Fprintln(cmd.OutOrStdout(), resp.Status)
					return err
				}
				return printBody(cmd.OutOrStdout(), out)
			},
		}
		if method == "POST" || method == "PUT" || method == "PATCH" {
			c.Flags().StringVarP(&data, "data", "d", "", "JSON body, @file, or - for stdin")
		}
		root.AddCommand(c)
	}
	root.AddCommand(identityCommands(o)...)
	return root
}

// identityCommands are the Keystone wrappers.
func identityCommands(o *clientOptions) []*cobra.Command {
	run := func(fn func(cmd *cobra.Command, c *apiClient, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			return fn(cmd, c, args)
		}
	}
	list := func(use, short, path, key string, cols []string, filters ...string) *cobra.Command {
		vals := make([]string, len(filters))
		cmd := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
			RunE: run(func(cmd *cobra.Command, c *apiClient, _ []string) error {
				q := url.Values{}
				for i, f := range filters {
					if vals[i] == "" {
						continue
					}
					v := vals[i]
					if f == "domain_id" {
						id, err := c.resolve(cmd.Context(), "domains", v, "")
						if err != nil {
							return err
						}
						v = id
					}
					q.Set(f, v)
				}
				p := path
				if len(q) > 0 {
					p += "?" + q.Encode()
				}
				_, out, err := c.do(cmd.Context(), "GET", p, nil, nil)
				if err != nil {
					return err
				}
				return o.table(cmd.OutOrStdout(), out, key, cols...)
			})}
		for i, f := range filters {
			name := strings.TrimSuffix(strings.ReplaceAll(f, "_", "-"), "-id")
			cmd.Flags().StringVar(&vals[i], name, "", "only with this "+name)
		}
		return cmd
	}
	del := func(kind string, domainScoped bool) *cobra.Command {
		var domain string
		cmd := &cobra.Command{Use: "delete ID|NAME", Short: "Delete a " + strings.TrimSuffix(kind, "s"), Args: cobra.ExactArgs(1),
			RunE: run(func(cmd *cobra.Command, c *apiClient, args []string) error {
				id, err := c.resolve(cmd.Context(), kind, args[0], domain)
				if err != nil {
					return err
				}
				if _, _, err := c.do(cmd.Context(), "DELETE", "/v3/"+kind+"/"+id, nil, nil); err != nil {
					return err
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), "deleted", id)
				return err
			})}
		if domainScoped {
			cmd.Flags().StringVar(&domain, "domain", "", "the domain of a name")
		}
		return cmd
	}
	show := func(kind, key string, cols []string) *cobra.Command {
		var domain string
		cmd := &cobra.Command{Use: "show ID|NAME", Short: "Show a " + key, Args: cobra.ExactArgs(1),
			RunE: run(func(cmd *cobra.Command, c *apiClient, args []string) error {
				id, err := c.resolve(cmd.Context(), kind, args[0], domain)
				if err != nil {
					return err
				}
				_, out, err := c.do(cmd.Context(), "GET", "/v3/"+kind+"/"+id, nil, nil)
				if err != nil {
					return err
				}
				return o.table(cmd.OutOrStdout(), out, key, cols...)
			})}
		cmd.Flags().StringVar(&domain, "domain", "", "the domain of a name")
		return cmd
	}
	create := func(kind, key string, cols []string, domainScoped bool, extra func(cmd *cobra.Command, obj map[string]any) error, flags func(*cobra.Command)) *cobra.Command {
		var domain, description string
		cmd := &cobra.Command{Use: "create NAME", Short: "Create a " + key, Args: cobra.ExactArgs(1),
			RunE: run(func(cmd *cobra.Command, c *apiClient, args []string) error {
				obj := map[string]any{"name": args[0]}
				if description != "" {
					obj["description"] = description
				}
				if domainScoped && domain != "" {
					did, err := c.resolve(cmd.Context(), "domains", domain, "")
					if err != nil {
						return err
					}
					obj["domain_id"] = did
				}
				if extra != nil {
					if err := extra(cmd, obj); err != nil {
						return err
					}
				}
				raw, _ := json.Marshal(map[string]any{key: obj})
				_, out, err := c.do(cmd.Context(), "POST", "/v3/"+kind, bytes.NewReader(raw), nil)
				if err != nil {
					return err
				}
				return o.table(cmd.OutOrStdout(), out, key, cols...)
			})}
		cmd.Flags().StringVar(&description, "description", "", "description")
		if domainScoped {
			cmd.Flags().StringVar(&domain, "domain", "", "domain, by name or id (default: the token's)")
		}
		if flags != nil {
			flags(cmd)
		}
		return cmd
	}
	group := func(use, short string, cmds ...*cobra.Command) *cobra.Command {
		g := &cobra.Command{Use: use, Short: short}
		g.AddCommand(cmds...)
		return g
	}

	domainCols := []string{"id", "name", "enabled", "description"}
	projectCols := []string{"id", "name", "domain_id", "enabled", "description"}
	userCols := []string{"id", "name", "domain_id", "enabled", "default_project_id"}
	groupCols := []string{"id", "name", "domain_id", "description"}

	var userPWStdin bool
	userCreate := create("users", "user", userCols, true, func(cmd *cobra.Command, obj map[string]any) error {
		if !userPWStdin {
			return nil
		}
		pw, err := readPassword(cmd, true, "")
		if err != nil {
			return err
		}
		obj["password"] = pw
		return nil
	}, func(cmd *cobra.Command) {
		cmd.Flags().BoolVar(&userPWStdin, "password-stdin", false, "read the new user's password from stdin")
	})

	whoami := &cobra.Command{Use: "whoami", Short: "Show the token's user, scope, roles and expiry", Args: cobra.NoArgs,
		RunE: run(func(cmd *cobra.Command, c *apiClient, _ []string) error {
			_, out, err := c.do(cmd.Context(), "GET", "/v3/auth/tokens?nocatalog", nil, map[string]string{"X-Subject-Token": c.token})
			if err != nil {
				return err
			}
			if o.output == "json" {
				return printBody(cmd.OutOrStdout(), out)
			}
			var t struct {
				Token map[string]any `json:"token"`
			}
			if err := json.Unmarshal(out, &t); err != nil {
				return err
			}
			var roles []string
			if rs, ok := t.Token["roles"].([]any); ok {
				for _, r := range rs {
					roles = append(roles, cell(r.(map[string]any), "name"))
				}
			}
			scope := "unscoped"
			switch {
			case t.Token["project"] != nil:
				scope = "project " + cell(t.Token, "project.name") + " (" + cell(t.Token, "project.id") + ") in domain " + cell(t.Token, "project.domain.name")
			case t.Token["domain"] != nil:
				scope = "domain " + cell(t.Token, "domain.name")
			case t.Token["system"] != nil:
				scope = "system"
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "user:    %s (%s) in domain %s\nscope:   %s\nroles:   %s\nexpires: %s\n",
				cell(t.Token, "user.name"), cell(t.Token, "user.id"), cell(t.Token, "user.domain.name"), scope,
				strings.Join(roles, ", "), cell(t.Token, "expires_at"))
			return err
		})}

	tokenRevoke := &cobra.Command{Use: "revoke [TOKEN]", Short: "Revoke a token (default: the stored one)", Args: cobra.MaximumNArgs(1),
		RunE: run(func(cmd *cobra.Command, c *apiClient, args []string) error {
			subject := c.token
			if len(args) == 1 {
				subject = args[0]
			}
			if _, _, err := c.do(cmd.Context(), "DELETE", "/v3/auth/tokens", nil, map[string]string{"X-Subject-Token": subject}); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "revoked")
			return err
		})}

	// role add/remove ROLE --user|--group … --project|--domain|--system
	grant := func(verb, method string) *cobra.Command {
		var user, grp, userDomain, project, projectDomain, domain string
		var system, inherited bool
		cmd := &cobra.Command{Use: verb + " ROLE", Short: strings.ToUpper(verb[:1]) + verb[1:] + " a role grant", Args: cobra.ExactArgs(1),
			RunE: run(func(cmd *cobra.Command, c *apiClient, args []string) error {
				ctx := cmd.Context()
				role, err := c.resolve(ctx, "roles", args[0], "")
				if err != nil {
					return err
				}
				var actor string
				switch {
				case user != "" && grp == "":
					id, err := c.resolve(ctx, "users", user, userDomain)
					if err != nil {
						return err
					}
					actor = "users/" + id
				case grp != "" && user == "":
					id, err := c.resolve(ctx, "groups", grp, userDomain)
					if err != nil {
						return err
					}
					actor = "groups/" + id
				default:
					return fmt.Errorf("give exactly one of --user and --group")
				}
				var path string
				switch {
				case project != "" && domain == "" && !system:
					id, err := c.resolve(ctx, "projects", project, projectDomain)
					if err != nil {
						return err
					}
					path = "/v3/projects/" + id + "/" + actor + "/roles/" + role
				case domain != "" && project == "" && !system:
					id, err := c.resolve(ctx, "domains", domain, "")
					if err != nil {
						return err
					}
					path = "/v3/domains/" + id + "/" + actor + "/roles/" + role
					if inherited {
						path = "/v3/OS-INHERIT/domains/" + id + "/" + actor + "/roles/" + role + "/inherited_to_projects"
					}
				case system && project == "" && domain == "":
					path = "/v3/system/" + actor + "/roles/" + role
				default:
					return fmt.Errorf("give exactly one of --project, --domain and --system")
				}
				if _, _, err := c.do(ctx, method, path, nil, nil); err != nil {
					return err
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), "ok")
				return err
			})}
		f := cmd.Flags()
		f.StringVar(&user, "user", "", "user, by name or id")
		f.StringVar(&grp, "group", "", "group, by name or id")
		f.StringVar(&userDomain, "user-domain", "", "domain of the user or group name")
		f.StringVar(&project, "project", "", "project, by name or id")
		f.StringVar(&projectDomain, "project-domain", "", "domain of the project name")
		f.StringVar(&domain, "domain", "", "domain, by name or id")
		f.BoolVar(&system, "system", false, "the whole system")
		f.BoolVar(&inherited, "inherited", false, "a domain grant inherited by the domain's projects")
		return cmd
	}

	var aUser, aProject, aDomain string
	var aEffective bool
	assignments := &cobra.Command{Use: "list", Short: "List role assignments", Args: cobra.NoArgs,
		RunE: run(func(cmd *cobra.Command, c *apiClient, _ []string) error {
			q := url.Values{"include_names": {"true"}}
			if aUser != "" {
				q.Set("user.id", aUser)
			}
			if aProject != "" {
				q.Set("scope.project.id", aProject)
			}
			if aDomain != "" {
				q.Set("scope.domain.id", aDomain)
			}
			if aEffective {
				q.Set("effective", "true")
			}
			_, out, err := c.do(cmd.Context(), "GET", "/v3/role_assignments?"+q.Encode(), nil, nil)
			if err != nil {
				return err
			}
			return o.table(cmd.OutOrStdout(), out, "role_assignments", "role", "user", "group", "scope.project", "scope.domain", "scope.system")
		})}
	assignments.Flags().StringVar(&aUser, "user", "", "user id")
	assignments.Flags().StringVar(&aProject, "project", "", "project id")
	assignments.Flags().StringVar(&aDomain, "domain", "", "domain id")
	assignments.Flags().BoolVar(&aEffective, "effective", false, "expand groups and inheritance")

	memberOp := func(verb, method string) *cobra.Command {
		var domain string
		cmd := &cobra.Command{Use: verb + " GROUP USER", Short: strings.ToUpper(verb[:1]) + verb[1:] + " a group member", Args: cobra.ExactArgs(2),
			RunE: run(func(cmd *cobra.Command, c *apiClient, args []string) error {
				g, err := c.resolve(cmd.Context(), "groups", args[0], domain)
				if err != nil {
					return err
				}
				u, err := c.resolve(cmd.Context(), "users", args[1], domain)
				if err != nil {
					return err
				}
				if _, _, err := c.do(cmd.Context(), method, "/v3/groups/"+g+"/users/"+u, nil, nil); err != nil {
					return err
				}
				_, err = fmt.Fprintln(cmd.OutOrStdout(), "ok")
				return err
			})}
		cmd.Flags().StringVar(&domain, "domain", "", "domain of the names")
		return cmd
	}

	var auditLimit string
	audit := &cobra.Command{Use: "list", Short: "List audit events (newest first)", Args: cobra.NoArgs,
		RunE: run(func(cmd *cobra.Command, c *apiClient, _ []string) error {
			_, out, err := c.do(cmd.Context(), "GET", "/v3/audit_events?limit="+url.QueryEscape(auditLimit), nil, nil)
			if err != nil {
				return err
			}
			return o.table(cmd.OutOrStdout(), out, "audit_events", "at", "user_name", "action", "object_type", "object_id", "result", "status", "client_ip")
		})}
	audit.Flags().StringVar(&auditLimit, "limit", "50", "events to show")

	return []*cobra.Command{
		whoami,
		group("token", "Tokens", tokenRevoke),
		group("domain", "Domains", list("list", "List domains", "/v3/domains", "domains", domainCols),
			show("domains", "domain", domainCols), create("domains", "domain", domainCols, false, nil, nil)),
		group("project", "Projects", list("list", "List projects", "/v3/projects", "projects", projectCols, "domain_id"),
			show("projects", "project", projectCols), create("projects", "project", projectCols, true, nil, nil), del("projects", true)),
		group("user", "Users", list("list", "List users", "/v3/users", "users", userCols, "domain_id"),
			show("users", "user", userCols), userCreate, del("users", true)),
		group("group", "Groups", list("list", "List groups", "/v3/groups", "groups", groupCols, "domain_id"),
			create("groups", "group", groupCols, true, nil, nil), del("groups", true), memberOp("add-user", "PUT"), memberOp("remove-user", "DELETE")),
		group("role", "Roles and grants", list("list", "List roles", "/v3/roles", "roles", []string{"id", "name"}),
			grant("add", "PUT"), grant("remove", "DELETE")),
		group("assignment", "Role assignments", assignments),
		group("audit", "Audit log", audit),
	}
}

func init() { rootCmd.AddCommand(newClientCmd()) }
