package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// credentials is what "skyfold login" keeps in the user's config directory
// (mode 0600): the token and where it works. The password is never stored.
type credentials struct {
	URL         string    `json:"url"`
	Token       string    `json:"token"`
	ExpiresAt   time.Time `json:"expires_at"`
	UserID      string    `json:"user_id"`
	UserName    string    `json:"user_name"`
	UserDomain  string    `json:"user_domain"`
	Scope       string    `json:"scope"` // project, domain, system or empty
	ProjectID   string    `json:"project_id,omitempty"`
	ProjectName string    `json:"project_name,omitempty"`
	DomainID    string    `json:"domain_id,omitempty"`
}

// credentialsPath is $SKYFOLD_CREDENTIALS, or skyfold/credentials.json in the
// user's config directory ($XDG_CONFIG_HOME or ~/.config on Linux).
func credentialsPath() (string, error) {
	if p := os.Getenv("SKYFOLD_CREDENTIALS"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory: %w (set SKYFOLD_CREDENTIALS)", err)
	}
	return filepath.Join(dir, "skyfold", "credentials.json"), nil
}

func loadCredentials() (*credentials, error) {
	p, err := credentialsPath()
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("not logged in: run skyfold login")
	}
	if err != nil {
		return nil, err
	}
	var c credentials
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &c, nil
}

// saveCredentials writes the file atomically with mode 0600 in a 0700
// directory.
func saveCredentials(c *credentials) (string, error) {
	p, err := credentialsPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", err
	}
	raw, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".credentials-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", err
	}
	if _, err := tmp.Write(append(raw, '\n')); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return p, os.Rename(tmp.Name(), p)
}

// readPassword takes the password from stdin (--password-stdin), from
// SKYFOLD_PASSWORD, or from the terminal without echo.
func readPassword(cmd *cobra.Command, fromStdin bool, prompt string) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	if pw := os.Getenv("SKYFOLD_PASSWORD"); pw != "" {
		return pw, nil
	}
	fi, err := os.Stdin.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return "", errors.New("no password: use --password-stdin, SKYFOLD_PASSWORD, or a terminal")
	}
	fmt.Fprint(cmd.ErrOrStderr(), prompt)
	echoOff := exec.Command("stty", "-echo")
	echoOff.Stdin = os.Stdin
	if echoOff.Run() == nil {
		defer func() {
			on := exec.Command("stty", "echo")
			on.Stdin = os.Stdin
			_ = on.Run()
			fmt.Fprintln(cmd.ErrOrStderr())
		}()
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func defaultURL() string {
	if u := os.Getenv("SKYFOLD_URL"); u != "" {
		return u
	}
	return "http://127.0.0.1:8080"
}

func newLoginCmd() *cobra.Command {
	var (
		url, user, userDomain, project, projectDomain, domainScope string
		system, unscoped, fromStdin                                bool
	)
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in to a Skyfold server and keep the token for skyfold client",
		Long: `Authenticate against the server's Keystone v3 API (POST /v3/auth/tokens)
and store the token, with the server URL, in the user's config directory with
mode 0600 (skyfold/credentials.json; SKYFOLD_CREDENTIALS overrides the path).
The password is read from the terminal without echo, from stdin with
--password-stdin, or from SKYFOLD_PASSWORD; it is never stored.

The token is scoped to --project (default: the user's default project), to
--domain-scope, or to the system with --system.`,
		Example: `  skyfold login --user admin                       # prompts; project "system"
  echo "$PW" | skyfold login --url http://10.0.0.5:8080 --user alice --user-domain acme --project web --password-stdin
  skyfold login --user admin --system`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := readPassword(cmd, fromStdin, "Password for "+user+": ")
			if err != nil {
				return err
			}
			ident := map[string]any{"name": user, "domain": domainRef(userDomain), "password": pw}
			body := map[string]any{"auth": map[string]any{"identity": map[string]any{
				"methods": []string{"password"}, "password": map[string]any{"user": ident},
			}}}
			auth := body["auth"].(map[string]any)
			switch {
			case system:
				auth["scope"] = map[string]any{"system": map[string]any{"all": true}}
			case domainScope != "":
				auth["scope"] = map[string]any{"domain": domainRef(domainScope)}
			case project != "":
				auth["scope"] = map[string]any{"project": map[string]any{"name": project, "domain": domainRef(projectDomain)}}
			case unscoped:
				auth["scope"] = "unscoped"
			}
			c := &apiClient{url: strings.TrimRight(url, "/")}
			raw, _ := json.Marshal(body)
			resp, out, err := c.do(cmd.Context(), "POST", "/v3/auth/tokens?nocatalog", strings.NewReader(string(raw)), nil)
			if err != nil {
				return err
			}
			var tok struct {
				Token struct {
					ExpiresAt string `json:"expires_at"`
					User      struct {
						ID, Name string
						Domain   struct{ ID, Name string }
					} `json:"user"`
					Project *struct {
						ID, Name string
						Domain   struct{ ID, Name string }
					} `json:"project"`
					Domain *struct{ ID, Name string } `json:"domain"`
					System map[string]bool            `json:"system"`
					Roles  []struct{ Name string }    `json:"roles"`
				} `json:"token"`
			}
			if err := json.Unmarshal(out, &tok); err != nil {
				return fmt.Errorf("unexpected answer: %w", err)
			}
			cr := &credentials{URL: c.url, Token: resp.Header.Get("X-Subject-Token"), UserID: tok.Token.User.ID,
				UserName: tok.Token.User.Name, UserDomain: tok.Token.User.Domain.Name}
			cr.ExpiresAt, _ = time.Parse("2006-01-02T15:04:05.000000Z", tok.Token.ExpiresAt)
			where := "unscoped"
			switch {
			case tok.Token.Project != nil:
				cr.Scope, cr.ProjectID, cr.ProjectName, cr.DomainID = "project", tok.Token.Project.ID, tok.Token.Project.Name, tok.Token.Project.Domain.ID
				where = "project " + tok.Token.Project.Name + " (domain " + tok.Token.Project.Domain.Name + ")"
			case tok.Token.Domain != nil:
				cr.Scope, cr.DomainID = "domain", tok.Token.Domain.ID
				where = "domain " + tok.Token.Domain.Name
			case tok.Token.System != nil:
				cr.Scope, where = "system", "the system"
			}
			if cr.Token == "" {
				return errors.New("the server sent no X-Subject-Token")
			}
			path, err := saveCredentials(cr)
			if err != nil {
				return fmt.Errorf("save credentials: %w", err)
			}
			var roles []string
			for _, r := range tok.Token.Roles {
				roles = append(roles, r.Name)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "logged in to %s as %s on %s with roles [%s] until %s\ntoken saved in %s\n",
				c.url, cr.UserName, where, strings.Join(roles, ", "), cr.ExpiresAt.Local().Format(time.RFC3339), path)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&url, "url", defaultURL(), "server URL (env SKYFOLD_URL)")
	f.StringVar(&user, "user", "admin", "user name")
	f.StringVar(&userDomain, "user-domain", "Default", "the user's domain, by name or id")
	f.StringVar(&project, "project", "", "scope the token to this project (by name)")
	f.StringVar(&projectDomain, "project-domain", "Default", "the project's domain, by name or id")
	f.StringVar(&domainScope, "domain-scope", "", "scope the token to this domain (by name or id)")
	f.BoolVar(&system, "system", false, "scope the token to the system")
	f.BoolVar(&unscoped, "unscoped", false, "ask for an unscoped token")
	f.BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin")
	return cmd
}

// domainRef names a domain by id ("default" or 32 hex digits) or by name.
func domainRef(s string) map[string]string {
	if s == "default" || (len(s) == 32 && strings.Trim(s, "0123456789abcdef") == "") {
		return map[string]string{"id": s}
	}
	return map[string]string{"name": s}
}

func newLogoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Revoke the stored token and forget it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cr, err := loadCredentials()
			if err != nil {
				return err
			}
			c := &apiClient{url: cr.URL, token: cr.Token}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			if _, _, err := c.do(ctx, "DELETE", "/v3/auth/tokens", nil, map[string]string{"X-Subject-Token": cr.Token}); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning: revoking the token:", err)
			}
			p, _ := credentialsPath()
			if err := os.Remove(p); err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), "logged out")
			return err
		},
	}
}

func init() {
	rootCmd.AddCommand(newLoginCmd(), newLogoutCmd())
}
