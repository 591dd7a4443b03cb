package identity

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/skyfold/skyfold/internal/listing"
)

// Audit results.
const (
	AuditSuccess = "success"
	AuditFailure = "failure"
)

// RecordAudit stores one audit event; At defaults to now.
func (s *Service) RecordAudit(ctx context.Context, e AuditEvent) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.ID = 0
	// The event records refused calls too, whose path, user name or object
	// name may be the very text that was refused: keep it readable and
	// storable on every store.
	for _, f := range []*string{&e.RequestID, &e.UserID, &e.UserName, &e.DomainID, &e.ProjectID, &e.Service,
		&e.ObjectType, &e.ObjectID, &e.ObjectName, &e.Action, &e.Method, &e.Path, &e.ClientIP} {
		*f = auditText(*f)
	}
	if _, err := s.db.NewInsert().Model(&e).Exec(ctx); err != nil {
		return fmt.Errorf("record audit event: %w", err)
	}
	return nil
}

// AuditFilter narrows ListAudit.
type AuditFilter struct {
	UserID     string
	DomainID   string
	ProjectID  string
	ObjectType string
	ObjectID   string
	Action     string
	Result     string
	Service    string
	RequestID  string
	Since      time.Time
	Until      time.Time
}

// AuditFields are the fields ListAudit accepts in filters and sort keys.
var AuditFields = listing.Fields{
	"id": "id", "at": "at", "user_id": "user_id", "user_name": "user_name", "domain_id": "domain_id",
	"project_id": "project_id", "service": "service", "object_type": "object_type", "object_id": "object_id",
	"action": "action", "result": "result", "status": "status", "request_id": "request_id", "client_ip": "client_ip",
}

// ListAudit lists audit events newest first: all of them for a system grant,
// a domain's for a domain grant, a project's for a project grant.
func (s *Service) ListAudit(ctx context.Context, f AuditFilter, p listing.Params, vis Grant) (listing.Page[AuditEvent], error) {
	out := []AuditEvent{}
	q := s.db.NewSelect().Model(&out)
	switch vis.Breadth {
	case BreadthSystem:
	case BreadthDomain:
		q = q.Where("domain_id = ?", vis.DomainID)
	case BreadthProject:
		q = q.Where("project_id = ?", vis.ProjectID)
	default:
		return listing.Page[AuditEvent]{Items: out, Offset: p.Offset, Limit: p.Limit}, nil
	}
	for col, v := range map[string]string{
		"user_id": f.UserID, "domain_id": f.DomainID, "project_id": f.ProjectID, "object_type": f.ObjectType,
		"object_id": f.ObjectID, "action": f.Action, "result": f.Result, "service": f.Service, "request_id": f.RequestID,
	} {
		if v != "" {
			q = q.Where("? = ?", bun.Ident(col), v)
		}
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		q = q.Where("at < ?", f.Until.UTC())
	}
	if len(p.Order) == 0 {
		p.Order = []listing.Order{{Field: "id", Desc: true}}
	}
	q, err := p.Apply(q, AuditFields)
	if err != nil {
		return listing.Page[AuditEvent]{}, err
	}
	n, err := q.ScanAndCount(ctx)
	if err != nil {
		return listing.Page[AuditEvent]{}, fmt.Errorf("list audit events: %w", err)
	}
	return listing.Page[AuditEvent]{Items: out, Total: int(n), Offset: p.Offset, Limit: p.Limit}, nil
}

// auditMaxText bounds each text field of an audit event.
const auditMaxText = 1024

// auditText makes s safe to store: invalid UTF-8 becomes U+FFFD, control
// characters are written as \u escapes, and the text is cut to
// auditMaxText bytes with an ellipsis.
func auditText(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			clean = false
			break
		}
	}
	if clean && len(s) <= auditMaxText {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if b.Len() >= auditMaxText {
			b.WriteString("…")
			break
		}
		if r < 0x20 || r == 0x7f {
			fmt.Fprintf(&b, "\\u%04X", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
