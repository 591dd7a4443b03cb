package starvcenter

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/skyfold/skyfold/internal/cloud"
)

// StarVCenter has no machine types: a VM is created with any CPU count and
// memory size. The driver names shapes "starv.<cpu>c<mem>g" (or
// "starv.<cpu>c<mem>m" for memory that is not whole GiB), lists a catalog
// of common shapes (option instance_types replaces it), and accepts any
// well-formed shape in CreateInstances and ChangeInstanceType.
//
// The document's "VM models" (cloudvm/model: CentOS, Windows, Kubernetes,
// WebLogic, MySQL ...) are what a VM is installed from, so the driver lists
// them as images; the model code is the image id.

const (
	typePrefix = "starv."
	typeFamily = "starv.general"
	maxVCPU    = 128
	maxMemMiB  = 999999999 // the document's upper bound for vm.memory.mem
)

var defaultShapes = [][2]int{
	{1, 1024}, {1, 2048}, {2, 2048}, {2, 4096}, {2, 8192}, {4, 4096}, {4, 8192}, {4, 16384},
	{8, 16384}, {8, 32768}, {16, 32768}, {16, 65536}, {32, 65536}, {32, 131072},
}

func defaultTypes() []cloud.InstanceType {
	out := make([]cloud.InstanceType, 0, len(defaultShapes))
	for _, s := range defaultShapes {
		out = append(out, instanceType(s[0], s[1]))
	}
	return out
}

func instanceType(cpu, memMiB int) cloud.InstanceType {
	return cloud.InstanceType{ID: typeID(cpu, memMiB), Family: typeFamily, CPU: cpu, MemoryMiB: memMiB}
}

// typeID names a shape.
func typeID(cpu, memMiB int) string {
	if memMiB > 0 && memMiB%1024 == 0 {
		return fmt.Sprintf("%s%dc%dg", typePrefix, cpu, memMiB/1024)
	}
	return fmt.Sprintf("%s%dc%dm", typePrefix, cpu, memMiB)
}

// parseInstanceType reads a shape name: "starv.2c4g", "2c4g", "1c512m".
func parseInstanceType(s string) (cpu, memMiB int, err error) {
	orig := s
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, typePrefix)
	i := strings.IndexByte(s, 'c')
	if i <= 0 || len(s) < i+3 {
		return 0, 0, fmt.Errorf("instance type %q: want starv.<cpu>c<mem>g or starv.<cpu>c<mem>m", orig)
	}
	cpu, err1 := strconv.Atoi(s[:i])
	unit := s[len(s)-1]
	mem, err2 := strconv.Atoi(s[i+1 : len(s)-1])
	if err1 != nil || err2 != nil || (unit != 'g' && unit != 'm') || s[0] == '+' || s[i+1] == '+' {
		return 0, 0, fmt.Errorf("instance type %q: want starv.<cpu>c<mem>g or starv.<cpu>c<mem>m", orig)
	}
	if unit == 'g' {
		if mem > maxMemMiB/1024 {
			return 0, 0, fmt.Errorf("instance type %q: memory out of range", orig)
		}
		mem *= 1024
	}
	if cpu < 1 || cpu > maxVCPU {
		return 0, 0, fmt.Errorf("instance type %q: %d vCPUs, want 1..%d", orig, cpu, maxVCPU)
	}
	if mem < 1 || mem > maxMemMiB {
		return 0, 0, fmt.Errorf("instance type %q: memory out of range", orig)
	}
	return cpu, mem, nil
}

// InstanceTypes lists the catalog of shapes (no I/O).
func (r *Region) InstanceTypes(context.Context) ([]cloud.InstanceType, error) {
	return slices.Clone(r.p.types), nil
}

// Model is one VM model of cloudvm/model, with its VM type.
type Model struct {
	Code     string `json:"code"`      // vm.tenant.model
	Name     string `json:"name"`      // vm.tenant.modelname
	Type     string `json:"type"`      // vm.tenant.type
	TypeName string `json:"type_name"` // vm.tenant.typename
}

// Models lists the VM types and models (GET cloudvm/model).
func (r *Region) Models(ctx context.Context) ([]Model, error) {
	const op = "cloudvm.model"
	env, err := r.p.t.call(ctx, op, http.MethodGet, "cloudvm/model", nil)
	if err != nil {
		return nil, err
	}
	types, err := decodeRecords(env.Data)
	if err != nil {
		return nil, malformed(op, err)
	}
	var out []Model
	for _, t := range types {
		for _, m := range t.list("model") {
			code := m.str("vm.tenant.model", "vm.tenant.mode")
			if code == "" {
				continue
			}
			out = append(out, Model{Code: code, Name: m.str("vm.tenant.modelname"),
				Type: t.str("vm.tenant.type"), TypeName: t.str("vm.tenant.typename")})
		}
	}
	return out, nil
}

// osType guesses linux or windows from a model's code and name.
func osType(code, name string) string {
	if strings.Contains(strings.ToLower(code+" "+name), "win") {
		return "windows"
	}
	return "linux"
}

// Images lists the VM models as images. Owner "" and "system" list them
// all; StarVCenter has no other owners.
func (r *Region) Images(ctx context.Context, q cloud.ImageQuery, page cloud.PageRequest) (cloud.Page[cloud.Image], error) {
	const op = "Images"
	offset, size, err := pageWindow(op, page)
	if err != nil {
		return cloud.Page[cloud.Image]{}, err
	}
	if q.Owner != "" && q.Owner != "system" {
		return pageOf([]cloud.Image{}, 0, size), nil
	}
	models, err := r.Models(ctx)
	if err != nil {
		return cloud.Page[cloud.Image]{}, err
	}
	var out []cloud.Image
	for _, m := range models {
		if len(q.IDs) > 0 && !slices.Contains(q.IDs, m.Code) {
			continue
		}
		name := m.Name
		if name == "" {
			name = m.Code
		}
		img := cloud.Image{Meta: r.meta("image", m.Code, name, cloud.StatusRunning, "available"),
			OSType: osType(m.Code, m.Name), OSName: name, Architecture: "x86_64", Public: true}
		img.ZoneID = ""
		if m.Type != "" {
			img.Tags = map[string]string{"vm.tenant.type": m.Type}
		}
		out = append(out, img)
	}
	return pageOf(out, offset, size), nil
}
