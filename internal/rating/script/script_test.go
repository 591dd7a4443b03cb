package script_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
	"github.com/skyfold/skyfold/internal/rating/script"
)

var jan = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func dec(s string) money.Decimal { return money.MustParse(s) }

func frame() *rating.DataFrame {
	f := rating.NewDataFrame(jan, jan.Add(time.Hour), "project-1")
	f.Add("instance",
		rating.DataPoint{Qty: dec("1"), Unit: "instance", GroupBy: map[string]string{"id": "vm-1"}, Metadata: map[string]string{"flavor": "m1.micro"}},
		rating.DataPoint{Qty: dec("2"), Unit: "instance", GroupBy: map[string]string{"id": "vm-2"}, Metadata: map[string]string{"flavor": "m1.large"}},
		rating.DataPoint{Qty: dec("1"), Unit: "instance", GroupBy: map[string]string{"id": "vm-3"}, Metadata: map[string]string{"flavor": "unknown"}},
	)
	f.Add("volume", rating.DataPoint{Qty: dec("10.5"), Unit: "GiB"})
	return f
}

func prices(f *rating.DataFrame) string {
	var b strings.Builder
	for _, t := range f.Types() {
		for _, p := range f.Usage[t] {
			fmt.Fprintf(&b, "%s:%s ", t, p.Price)
		}
	}
	return strings.TrimSpace(b.String())
}

// cloudkittyStyle follows the structure of CloudKitty's documented
// pyscripts example, in Starlark (no import; decimal is predeclared).
const cloudkittyStyle = `
flavors = {
    'm1.micro': decimal.Decimal(0.65),
    'm1.large': decimal.Decimal('2.67'),
}
volume_gb_price = decimal.Decimal('0.35')

def get_compute_price(item):
    if not item['desc']['flavor'] in flavors:
        return 0
    return item['vol']['qty'] * flavors[item['desc']['flavor']]

def get_volume_price(item):
    if not item['vol']['qty']:
        return 0
    return item['vol']['qty'] * volume_gb_price

services = {
    'instance': get_compute_price,
    'volume': get_volume_price,
}

def process(data):
    for service_name, service_data in data['usage'].items():
        if service_name in services:
            for item in service_data:
                item['rating'] = {'price': services[service_name](item)}
    return data

data = process(data)
`

func load(t *testing.T, cfg script.Config, scripts ...script.Script) *script.Module {
	t.Helper()
	m := script.New(cfg)
	for i := range scripts {
		if scripts[i].ID == "" {
			scripts[i].ID = fmt.Sprintf("id-%d", i)
		}
		if scripts[i].Name == "" {
			scripts[i].Name = fmt.Sprintf("script-%d", i)
		}
	}
	_ = m.Load(scripts)
	return m
}

func moduleError(t *testing.T, err error) *rating.ModuleError {
	t.Helper()
	var me *rating.ModuleError
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T) holds no *rating.ModuleError", err, err)
	}
	return me
}

func TestPricingByMetadata(t *testing.T) {
	m := load(t, script.Config{}, script.Script{Name: "flavors", Data: cloudkittyStyle})
	f := frame()
	if err := m.Rate(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	want := "instance:0.65 instance:5.34 instance:0 volume:3.675"
	if got := prices(f); got != want {
		t.Fatalf("prices = %s\n want %s", got, want)
	}
	st := m.Status()
	if len(st) != 1 || st[0].Runs != 1 || st[0].Failures != 0 || st[0].LastSteps == 0 || !st[0].Compiled {
		t.Fatalf("status = %+v", st)
	}
}

func TestScriptSeesEarlierPrices(t *testing.T) {
	p := rating.NewPipeline()
	rules := hashmap.Rules{
		Services: []hashmap.Service{{ID: "s", Name: "volume"}},
		Mappings: []hashmap.Mapping{{ID: "m", ServiceID: "s", Type: hashmap.TypeFlat, Cost: dec("0.1")}},
	}
	// hashmap (priority 2) runs first; the script (priority 1) doubles its price.
	if err := p.Register(hashmap.New(hashmap.MustCompile(rules)), true, 2); err != nil {
		t.Fatal(err)
	}
	sm := load(t, script.Config{}, script.Script{Data: `
for item in data['usage'].get('volume', []):
    item['rating']['price'] = item['rating']['price'] * 2 + Decimal('0.001')
`})
	if err := p.Register(sm, true, 1); err != nil {
		t.Fatal(err)
	}
	f := frame()
	if err := p.Rate(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if got := f.Usage["volume"][0].Price.String(); got != "2.101" { // 10.5 × 0.1 × 2 + 0.001
		t.Fatalf("price = %s, want 2.101", got)
	}
}

func TestScriptFailures(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		limits script.Limits
		kind   string
		line   int
		msg    string
	}{
		{"syntax error", "x = 1\ny = (\n", script.Limits{}, "syntax", 3, "got end of file"},
		{"undefined name", "x = 1\n\nprint(nope)\n", script.Limits{}, "syntax", 3, "undefined: nope"},
		{"import statement", "import decimal\n", script.Limits{}, "syntax", 1, ""},
		{"runtime error in function", "def f(x):\n    return x / 0\n\nfor item in data['usage']['volume']:\n    item['rating']['price'] = f(item['vol']['qty'])\n",
			script.Limits{}, "runtime", 2, "division by zero"},
		{"runtime error at top level", "x = {}\ny = x['missing']\n", script.Limits{}, "runtime", 2, "key \"missing\" not in dict"},
		{"failing builtin", "a = 1\nb = Decimal('abc')\n", script.Limits{}, "runtime", 2, "invalid decimal"},
		// Limits stop a loop somewhere in its body (line 2 or 3): line -1.
		{"step limit", "n = 0\nwhile True:\n    n += 1\n", script.Limits{MaxSteps: 10_000}, "steps", -1, "step limit"},
		{"step limit in a function", "def spin():\n    n = 0\n    for i in range(1000000):\n        n += i\n\nspin()\n", script.Limits{MaxSteps: 10_000}, "steps", -1, "step limit"},
		{"timeout", "n = 0\nwhile True:\n    n += 1\n", script.Limits{MaxSteps: 1 << 62, Timeout: 50 * time.Millisecond}, "timeout", -1, "timeout"},
		{"memory", "chunks = []\nfor i in range(64):\n    chunks.append('x' * (8 << 20) + str(i))\n",
			script.Limits{MaxAllocBytes: 32 << 20, Timeout: 30 * time.Second}, "memory", 0, "memory limit"},
		{"huge range", "xs = list(range(1 << 40))\n", script.Limits{}, "runtime", 1, "over the 10000000-element limit"},
		{"decimal overflow", "big = Decimal('1' + '0' * 39)\nx = big * big\n", script.Limits{}, "runtime", 2, "decimal overflow"},
		{"bad price", "data['usage']['volume'][0]['rating']['price'] = [1]\n", script.Limits{}, "output", 0, "not a number"},
		{"dropped point", "data['usage']['volume'].pop()\n", script.Limits{}, "output", 0, "must stay a list"},
		{"data replaced", "data = 3\n", script.Limits{}, "output", 0, "usage"},
		{"too large", "x = 1\n" + strings.Repeat("#", 2000), script.Limits{MaxScriptBytes: 1000}, "input", 0, "over the 1000-byte limit"},
		{"too many points", "x = 1\n", script.Limits{MaxPoints: 2}, "input", 0, "over the 2-point limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := load(t, script.Config{Limits: tt.limits}, script.Script{Name: "bad.star", Data: tt.src})
			f := frame()
			f.Usage["volume"][0].Price = dec("9")
			err := m.Rate(context.Background(), f)
			if err == nil {
				t.Fatal("script succeeded")
			}
			me := moduleError(t, err)
			lineOK := me.Line == tt.line || (tt.line < 0 && me.Line >= 2) || (tt.line == 0 && me.Line == 0)
			if me.Kind != tt.kind || !lineOK || !strings.Contains(me.Message, tt.msg) {
				t.Fatalf("error = kind %q line %d %q; want kind %q line %d containing %q", me.Kind, me.Line, me.Message, tt.kind, tt.line, tt.msg)
			}
			if me.Source != "bad.star" || me.Module != script.ModuleName {
				t.Fatalf("error source = %q/%q", me.Module, me.Source)
			}
			if got := f.Usage["volume"][0].Price.String(); got != "9" {
				t.Fatalf("failing script changed a price to %s", got)
			}
			st := m.Status()[0]
			if st.LastError == nil || st.LastError.Kind != tt.kind {
				t.Fatalf("status last error = %+v", st.LastError)
			}
		})
	}
}

func TestFailingScriptDoesNotStopOthers(t *testing.T) {
	m := load(t, script.Config{},
		script.Script{Name: "a-broken", Data: "x = 1 +\n"},
		script.Script{Name: "b-crashes", Data: "for item in data['usage']['instance']:\n    item['rating']['price'] = 1\nfail('boom')\n"},
		script.Script{Name: "c-good", Data: "for item in data['usage']['instance']:\n    item['rating']['price'] += Decimal(2)\n"},
	)
	p := rating.NewPipeline()
	if err := p.Register(m, true, 1); err != nil {
		t.Fatal(err)
	}
	f := frame()
	err := p.Rate(context.Background(), f)
	if err == nil {
		t.Fatal("no error reported")
	}
	if got := prices(f); got != "instance:2 instance:2 instance:2 volume:0" {
		t.Fatalf("prices = %s", got)
	}
	info, _ := p.Info(script.ModuleName)
	if info.State.Failures != 1 || info.State.LastError == nil || info.State.LastError.Source != "a-broken" || info.State.LastError.Line != 1 {
		t.Fatalf("module state = %+v / %+v", info.State, info.State.LastError)
	}
	st := m.Status()
	if st[0].Compiled || st[1].LastError == nil || st[1].LastError.Line != 3 || st[2].LastError != nil || st[2].Runs != 1 {
		t.Fatalf("statuses = %+v", st)
	}
}

func TestContextCancel(t *testing.T) {
	m := load(t, script.Config{Limits: script.Limits{MaxSteps: 1 << 62}}, script.Script{Data: "while True:\n    pass\n"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	me := moduleError(t, m.Rate(ctx, frame()))
	if me.Kind != "timeout" || !strings.Contains(me.Message, "cancelled") {
		t.Fatalf("error = %+v", me)
	}
}

func TestDecimalValues(t *testing.T) {
	src := `
q = data['usage']['volume'][0]['vol']['qty']
checks = [
    Decimal('0.1') + 0.2 == Decimal('0.3'),
    1 - Decimal('0.25') == Decimal('0.75'),
    Decimal(3) / 4 == Decimal('0.75'),
    2 * q == Decimal(21),
    q > Decimal(10) and q < Decimal(11),
    -q == Decimal('-10.5'),
    q.int() == 10,
    Decimal('-2.7').int() == -2,
    q.float() == 10.5,
    Decimal('2.345').round(2) == Decimal('2.34'),
    str(q) == '10.5',
    type(q) == 'decimal',
    {Decimal('1.0'): 'x'}[Decimal(1)] == 'x',
    bool(Decimal(0)) == False,
    q == 10.5,
]
for i, ok in enumerate(checks):
    if i < len(checks) - 1 and not ok:
        fail('check %d failed' % i)
# Decimals never equal ints or floats in Starlark: documented trap.
if checks[-1]:
    fail('decimal == float should be False')
data['usage']['volume'][0]['rating']['price'] = '1.25'
data['usage']['instance'][0]['rating']['price'] = 3
data['usage']['instance'][1]['rating']['price'] = 0.1
data['usage']['instance'][2]['rating'] = None
`
	m := load(t, script.Config{}, script.Script{Data: src})
	f := frame()
	f.Usage["instance"][2].Price = dec("5")
	if err := m.Rate(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if got := prices(f); got != "instance:3 instance:0.1 instance:0 volume:1.25" {
		t.Fatalf("prices = %s", got)
	}
}

func TestValidityAndReload(t *testing.T) {
	feb := jan.AddDate(0, 1, 0)
	s := script.Script{ID: "s1", Name: "later", Data: "for item in data['usage']['volume']:\n    item['rating']['price'] = 1\n", Start: feb}
	m := script.New(script.Config{})
	if err := m.Load([]script.Script{s}); err != nil {
		t.Fatal(err)
	}
	f := frame()
	if err := m.Rate(context.Background(), f); err != nil || !f.Total().IsZero() {
		t.Fatalf("inactive script ran: %s, %v", f.Total(), err)
	}
	f.Begin = feb
	if err := m.Rate(context.Background(), f); err != nil || f.Total().String() != "1" {
		t.Fatalf("active script: %s, %v", f.Total(), err)
	}
	// Reloading the same source keeps the counters; a new source resets them.
	if err := m.Load([]script.Script{s}); err != nil {
		t.Fatal(err)
	}
	if st := m.Status()[0]; st.Runs != 1 || st.Checksum != script.Checksum(s.Data) {
		t.Fatalf("status after reload = %+v", st)
	}
	s.Data += "\n"
	if err := m.Load([]script.Script{s}); err != nil {
		t.Fatal(err)
	}
	if st := m.Status()[0]; st.Runs != 0 {
		t.Fatalf("status after change = %+v", st)
	}
	if err := m.Load([]script.Script{{ID: "x", Name: "bad", Data: "def"}}); err == nil {
		t.Fatal("Load accepted a syntax error silently")
	}
}

func TestChecksum(t *testing.T) {
	const empty = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
	if got := script.Checksum(""); got != empty {
		t.Fatalf("Checksum(\"\") = %s", got)
	}
	p, err := script.Compile(script.Script{Name: "x", Data: "x = 1"}, script.Limits{})
	if err != nil || p.Script().Checksum != script.Checksum("x = 1") || p.Script().Data != "" {
		t.Fatalf("Compile: %+v, %v", p.Script(), err)
	}
}

func TestConcurrentRuns(t *testing.T) {
	m := load(t, script.Config{}, script.Script{Name: "flavors", Data: cloudkittyStyle})
	errc := make(chan error, 8)
	for range 8 {
		go func() {
			for range 20 {
				f := frame()
				if err := m.Rate(context.Background(), f); err != nil {
					errc <- err
					return
				}
				if got := f.Total().String(); got != "9.665" {
					errc <- fmt.Errorf("total = %s", got)
					return
				}
			}
			errc <- nil
		}()
	}
	for range 8 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzRun runs arbitrary scripts on a small frame under tight limits: the
// module must never panic, and a failure must leave prices untouched.
// Sources with '*' are skipped: string and list repetition can allocate a
// gigabyte in one step, which is the watchdog's job, not this test's.
func FuzzRun(f *testing.F) {
	for _, s := range []string{cloudkittyStyle, "data['usage']['volume'][0]['rating']['price'] = 1", "data = None", "fail('x')",
		"for i in range(10): data['usage']['instance'][i % 3]['rating'] = {'price': Decimal(i) / 3}", "x = 1 / 0", "d = {}\nd[d] = 1"} {
		f.Add(s)
	}
	m := script.New(script.Config{Limits: script.Limits{MaxSteps: 20_000, Timeout: time.Second, MaxAllocBytes: 64 << 20, MaxScriptBytes: 4096}})
	f.Fuzz(func(t *testing.T, src string) {
		if strings.Contains(src, "*") {
			return
		}
		if err := m.Load([]script.Script{{ID: "f", Name: "fuzz", Data: src}}); err != nil {
			return
		}
		fr := frame()
		fr.Usage["volume"][0].Price = dec("9")
		if err := m.Rate(context.Background(), fr); err != nil {
			moduleError(t, err)
			if got := fr.Usage["volume"][0].Price.String(); got != "9" {
				t.Fatalf("failed run changed a price to %s", got)
			}
		}
	})
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{cloudkittyStyle, "x = 1\ny = (\n", "def f(:\n", "while True:\n    pass\n", "load('x', 'y')\n", "\x00", "a = {1: 2}[1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := script.Compile(script.Script{Name: "fuzz", Data: src}, script.Limits{MaxScriptBytes: 4096})
		if err != nil {
			var me *rating.ModuleError
			if !errors.As(err, &me) || me.Source != "fuzz" || me.Line < 0 || me.Message == "" {
				t.Fatalf("Compile error %v is not a located ModuleError", err)
			}
			return
		}
		if p.Script().Checksum != script.Checksum(src) {
			t.Fatal("checksum mismatch")
		}
	})
}
