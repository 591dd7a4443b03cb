package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const module = "github.com/skyfold/skyfold"

// pkg is what go list says of one package.
type pkg struct {
	ImportPath   string
	Dir          string
	GoFiles      []string
	Imports      []string // of GoFiles: what the binary carries
	TestImports  []string
	XTestImports []string
}

var listed struct {
	once sync.Once
	pkgs []pkg
	err  error
}

// listPackages runs go list over the module, offline, once per test binary.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	listed.once.Do(func() { listed.pkgs, listed.err = goList() })
	if listed.err != nil {
		t.Fatal(listed.err)
	}
	// go test caches a passing result by the files the test itself opened;
	// go list's reads are not among them. Stat every listed directory and
	// file so that a change to any of them runs the test again.
	for _, p := range listed.pkgs {
		_, _ = os.Stat(p.Dir)
		for _, f := range p.GoFiles {
			_, _ = os.Stat(filepath.Join(p.Dir, f))
		}
	}
	if len(listed.pkgs) < 10 {
		t.Fatalf("go list found %d packages; the module has far more", len(listed.pkgs))
	}
	return listed.pkgs
}

func goList() ([]pkg, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "list", "-json=ImportPath,Dir,GoFiles,Imports,TestImports,XTestImports", "./...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decode go list: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// drivers finds the driver packages: a package directly under
// internal/cloud whose code registers itself with cloud.Register.
func drivers(t *testing.T, pkgs []pkg) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	prefix := module + "/internal/cloud/"
	for _, p := range pkgs {
		rest, ok := strings.CutPrefix(p.ImportPath, prefix)
		if !ok || strings.Contains(rest, "/") {
			continue
		}
		for _, f := range p.GoFiles {
			b, err := os.ReadFile(filepath.Join(p.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte("cloud.Register(")) {
				out[p.ImportPath] = true
				break
			}
		}
	}
	return out
}

// TestOnlyTheRegistryImportsDrivers: outside a driver's own tree and
// internal/cloud/all, no package's code imports a driver; callers reach
// clouds through the SPI and its capabilities (cloud.As). Test files may
// (see the package comment).
func TestOnlyTheRegistryImportsDrivers(t *testing.T) {
	pkgs := listPackages(t)
	drv := drivers(t, pkgs)
	for _, want := range []string{"aliyun", "starvcenter"} {
		if !drv[module+"/internal/cloud/"+want] {
			t.Errorf("internal/cloud/%s is not recognised as a driver; the check below would miss it", want)
		}
	}
	all := module + "/internal/cloud/all"
	for _, p := range pkgs {
		if p.ImportPath == all {
			continue
		}
		for _, imp := range p.Imports {
			if !drv[imp] || p.ImportPath == imp || strings.HasPrefix(p.ImportPath, imp+"/") {
				continue
			}
			t.Errorf("%s imports the driver %s: use the cloud SPI and its capabilities, or internal/cloud/all to link drivers in",
				strings.TrimPrefix(p.ImportPath, module+"/"), strings.TrimPrefix(imp, module+"/"))
		}
	}
}

// TestSimulatorsImportNoDriver: a simulator speaks a cloud's wire protocol
// on its own, so that driver tests against it test the driver, not a copy
// of it. Unlike elsewhere this holds for its test files too.
func TestSimulatorsImportNoDriver(t *testing.T) {
	pkgs := listPackages(t)
	drv := drivers(t, pkgs)
	drv[module+"/internal/cloud/all"] = true
	for _, p := range pkgs {
		if !strings.HasPrefix(p.ImportPath, module+"/internal/sim/") {
			continue
		}
		for _, imps := range [][]string{p.Imports, p.TestImports, p.XTestImports} {
			for _, imp := range imps {
				if drv[imp] {
					t.Errorf("simulator %s imports %s", strings.TrimPrefix(p.ImportPath, module+"/"), strings.TrimPrefix(imp, module+"/"))
				}
			}
		}
	}
}

// TestNoArrowRunsBackUp lists the imports that would run back up the
// layers.
func TestNoArrowRunsBackUp(t *testing.T) {
	pkgs := listPackages(t)
	for _, c := range []struct {
		from, to string // packages (and their subpackages) under internal/
		why      string
	}{
		{from: "cost", to: "rating", why: "cost records stand on the money type, not on the rating engine"},
		{from: "money", to: "rating", why: "money is below every package that counts it"},
		{from: "identity", to: "api", why: "domain services know nothing of the faces"},
		{from: "cost", to: "api", why: "domain services know nothing of the faces"},
		{from: "cloud", to: "inventory", why: "drivers know nothing of the inventory"},
		{from: "inventory", to: "api", why: "domain services know nothing of the faces"},
		{from: "cluster", to: "api", why: "domain services know nothing of the faces"},
		{from: "rating", to: "api", why: "domain services know nothing of the faces"},
	} {
		t.Run(c.from+"->"+c.to, func(t *testing.T) {
			from, to := module+"/internal/"+c.from, module+"/internal/"+c.to
			for _, p := range pkgs {
				if p.ImportPath != from && !strings.HasPrefix(p.ImportPath, from+"/") {
					continue
				}
				for _, imp := range p.Imports {
					if imp == to || strings.HasPrefix(imp, to+"/") {
						t.Errorf("%s imports %s: %s", strings.TrimPrefix(p.ImportPath, module+"/"),
							strings.TrimPrefix(imp, module+"/"), c.why)
					}
				}
			}
		})
	}
}
