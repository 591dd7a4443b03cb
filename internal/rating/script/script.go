// Package script owns the script rating module, Skyfold's counterpart of
// CloudKitty's pyscripts: operators upload small programs that price the
// rated frame themselves. Scripts are written in Starlark (a deterministic,
// sandboxed Python dialect) instead of Python and get the same data
// contract as CloudKitty scripts.
//
// # Data contract
//
// A script runs with a predeclared global data:
//
//	data = {
//	    "period": {"begin": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z"},
//	    "scope_id": "<project>",
//	    "usage": {
//	        "<metric type>": [
//	            {
//	                "vol": {"qty": <decimal>, "unit": "GiB"},
//	                "rating": {"price": <decimal>},   # set by earlier modules
//	                "desc": {...},                    # metadata overlaid by groupby
//	                "groupby": {...},
//	                "metadata": {...},
//	            },
//	        ],
//	    },
//	}
//
// and sets each point's price with item["rating"]["price"] = ... (or
// item["rating"] = {"price": ...}). It may also rebind the global data, as
// CloudKitty's "data = process(data)" idiom does. Only prices are read
// back, by position, and only if the whole script succeeds: a failing script
// changes no price. A price may be a decimal, an int, a float (read through
// its shortest representation) or a numeric string; a missing rating or
// price is 0, as in CloudKitty.
//
// Numbers: qty and price are decimals (exact, see money.Decimal). Decimal(x)
// and decimal.Decimal(x) build one from an int, a float or a string;
// decimals mix with ints and floats in + - * /, and have float(), int() and
// round(places) methods. Starlark cannot order a decimal against an int:
// write qty > Decimal(50) (or qty.float() > 50); qty == 50 is always False.
// Differences from Python: no import statements (decimal and json are
// predeclared), no recursion, Decimal(0.1) is exactly 0.1.
//
// # Limits
//
// Every run is bounded (see Limits): the script's size, the number of
// points handed to it, Starlark execution steps, wall time (timeout and the
// caller's context), the magnitude of decimals (money.MaxIntegerDigits)
// and, approximately, memory: a watchdog samples the process's allocation
// counter every few milliseconds and cancels the script when the bytes
// allocated since it started exceed MaxAllocBytes. That counter is
// process-wide, so concurrent work counts against the script. Starlark
// refuses a single string or list repetition over 2^30 elements, and
// range() is capped at MaxRange elements. Residual risk: one built-in call
// can still materialise a large value before the watchdog sees it (e.g. a
// list of every character of a 1 GiB string); uploading scripts is an
// administrator's privilege, as in CloudKitty (which runs them as
// unrestricted Python).
//
// A failing script reports its kind ("syntax", "runtime", "steps",
// "timeout", "memory", "output", "input"), line and message in the module's
// state and never panics the process or stops the other scripts and
// modules. Lines are exact for syntax and runtime errors and point into the
// running loop for step and timeout stops; memory stops carry no line.
package script

import (
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	starlarkjson "go.starlark.net/lib/json"
	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"

	"github.com/skyfold/skyfold/internal/rating"
)

// ModuleName is the module's id in the pipeline and the API, CloudKitty's
// "pyscripts", so /v1/rating/module_config/pyscripts keeps its path.
const ModuleName = "pyscripts"

// Script is a rating script as the API stores it.
type Script struct {
	// ID is the script's UUID.
	ID string `json:"script_id"`
	// Name is the script's unique name; errors refer to it as the file name.
	Name string `json:"name"`
	// Data is the Starlark source.
	Data string `json:"data"`
	// Checksum is the SHA-512 of Data in hex, as CloudKitty computes it.
	Checksum string `json:"checksum"`
	// Start is the first instant the script applies; zero means always.
	Start time.Time `json:"start,omitzero"`
	// End is the first instant it no longer applies; zero means never.
	End time.Time `json:"end,omitzero"`
}

// ActiveAt reports whether the script applies to a frame beginning at t.
func (s *Script) ActiveAt(t time.Time) bool {
	return (s.Start.IsZero() || !t.Before(s.Start)) && (s.End.IsZero() || t.Before(s.End))
}

// Checksum returns the hex SHA-512 of data, CloudKitty's script checksum.
func Checksum(data string) string {
	sum := sha512.Sum512([]byte(data))
	return hex.EncodeToString(sum[:])
}

// Limits bounds each script run; a zero field takes its default.
type Limits struct {
	// MaxScriptBytes is the largest source accepted (default 256 KiB).
	MaxScriptBytes int
	// MaxPoints is the most points handed to one run (default 200,000);
	// a larger frame fails the script without running it.
	MaxPoints int
	// MaxSteps is the Starlark step budget of one run (default 50,000,000).
	MaxSteps uint64
	// Timeout is the wall-time budget of one run (default 10 s).
	Timeout time.Duration
	// MaxAllocBytes is the approximate allocation budget of one run
	// (default 1 GiB; process-wide counter, see the package comment).
	MaxAllocBytes uint64
}

// DefaultLimits are the limits used for zero fields.
var DefaultLimits = Limits{
	MaxScriptBytes: 256 << 10,
	MaxPoints:      200_000,
	MaxSteps:       50_000_000,
	Timeout:        10 * time.Second,
	MaxAllocBytes:  1 << 30,
}

func (l Limits) withDefaults() Limits {
	if l.MaxScriptBytes <= 0 {
		l.MaxScriptBytes = DefaultLimits.MaxScriptBytes
	}
	if l.MaxPoints <= 0 {
		l.MaxPoints = DefaultLimits.MaxPoints
	}
	if l.MaxSteps == 0 {
		l.MaxSteps = DefaultLimits.MaxSteps
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultLimits.Timeout
	}
	if l.MaxAllocBytes == 0 {
		l.MaxAllocBytes = DefaultLimits.MaxAllocBytes
	}
	return l
}

// fileOptions is the Starlark dialect scripts are written in: Python-like
// top-level loops and reassignment, while loops and sets; no recursion.
var fileOptions = &syntax.FileOptions{Set: true, While: true, TopLevelControl: true, GlobalReassign: true}

// MaxRange is the longest range() a script may create, so list(range(n))
// cannot allocate gigabytes in one built-in call the watchdog cannot stop.
const MaxRange = 10_000_000

var universeRange = starlark.Universe["range"].(*starlark.Builtin)

// boundedRange is range() refusing more than MaxRange elements.
func boundedRange(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	v, err := universeRange.CallInternal(thread, args, kwargs)
	if err != nil {
		return nil, err
	}
	if s, ok := v.(starlark.Sequence); ok && s.Len() > MaxRange {
		return nil, fmt.Errorf("range: %d elements, over the %d-element limit", s.Len(), MaxRange)
	}
	return v, nil
}

// builtins are the names predeclared for every script besides data.
var builtins = starlark.StringDict{
	"Decimal": decimalBuiltin,
	"decimal": decimalModule,
	"json":    starlarkjson.Module,
	"range":   starlark.NewBuiltin("range", boundedRange),
}

func isPredeclared(name string) bool {
	return name == "data" || builtins.Has(name)
}

// Program is a compiled script, ready to run many times concurrently.
type Program struct {
	script Script // without Data
	prog   *starlark.Program
}

// Script returns the script the program was compiled from, without its source.
func (p *Program) Script() Script { return p.script }

// filename is the name errors give the script.
func (s *Script) filename() string {
	if s.Name != "" {
		return s.Name
	}
	return s.ID
}

// Compile parses and resolves s, so syntax errors and undefined names are
// found before any frame is rated. Errors are *rating.ModuleError with the
// line and column of the first problem (Kind "syntax"), or Kind "input"
// when the source is over lim.MaxScriptBytes.
func Compile(s Script, lim Limits) (*Program, error) {
	lim = lim.withDefaults()
	name := s.filename()
	if len(s.Data) > lim.MaxScriptBytes {
		return nil, &rating.ModuleError{Module: ModuleName, Source: name, Kind: "input", At: time.Now(),
			Message: fmt.Sprintf("script is %d bytes, over the %d-byte limit", len(s.Data), lim.MaxScriptBytes)}
	}
	_, prog, err := starlark.SourceProgramOptions(fileOptions, name, s.Data, isPredeclared)
	if err != nil {
		return nil, compileError(name, err)
	}
	meta := s
	meta.Data = ""
	meta.Checksum = Checksum(s.Data)
	return &Program{script: meta, prog: prog}, nil
}

// compileError turns a Starlark parse or resolve error into a ModuleError.
func compileError(name string, err error) *rating.ModuleError {
	me := &rating.ModuleError{Module: ModuleName, Source: name, Kind: "syntax", Message: err.Error(), At: time.Now()}
	var se syntax.Error
	var rl resolve.ErrorList
	switch {
	case errors.As(err, &se):
		me.Line, me.Column, me.Message = int(se.Pos.Line), int(se.Pos.Col), se.Msg
	case errors.As(err, &rl) && len(rl) > 0:
		me.Line, me.Column, me.Message = int(rl[0].Pos.Line), int(rl[0].Pos.Col), rl[0].Msg
	}
	return me
}
