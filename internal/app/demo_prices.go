package app

import (
	"context"
	"fmt"

	"github.com/skyfold/skyfold/internal/money"
	"github.com/skyfold/skyfold/internal/rating/hashmap"
	"github.com/skyfold/skyfold/internal/rating/processor"
)

// Demo prices, per hour in the rating currency: an instance costs by its
// shape (vCPUs and GiB of memory), a disk by its size. They are round,
// made-up numbers, there only so that a first look at reports, dataframes
// and costs shows something other than zeros.
var (
	demoPricePerVCPU = money.MustParse("0.02")
	demoPricePerGiB  = money.MustParse("0.005")
	demoPriceDiskGiB = money.MustParse("0.0002")
)

// demoShapes are the instance types the demo clouds run, with their vCPUs
// and GiB of memory: every StarVCenter shape up to 32 vCPUs and 128 GiB
// (the driver names a VM "starv.<cpu>c<mem>g" from its size) and the
// Aliyun types the simulator fills its regions with.
func demoShapes() map[string][2]int {
	shapes := map[string][2]int{}
	for _, cpu := range []int{1, 2, 4, 8, 16, 32} {
		for _, gib := range []int{1, 2, 4, 8, 16, 32, 64, 128} {
			shapes[fmt.Sprintf("starv.%dc%dg", cpu, gib)] = [2]int{cpu, gib}
		}
	}
	for name, s := range map[string][2]int{
		"ecs.g6.large": {2, 8}, "ecs.g6.xlarge": {4, 16}, "ecs.g6.2xlarge": {8, 32}, "ecs.c6.large": {2, 4},
		"ecs.c6.xlarge": {4, 8}, "ecs.g7.large": {2, 8}, "ecs.g7.2xlarge": {8, 32}, "ecs.r6.large": {2, 16},
		"ecs.r6.xlarge": {4, 32}, "ecs.c7.2xlarge": {8, 16}, "ecs.s6-c1m2.small": {1, 2}, "ecs.s6-c1m2.large": {2, 4},
		"ecs.t6-c1m2.large": {2, 4}, "ecs.g8i.xlarge": {4, 16}, "ecs.gn6i-c4g1.xlarge": {4, 15},
	} {
		shapes[name] = s
	}
	return shapes
}

// seedDemoPrices configures the hashmap module with the demo prices: a
// flat price per instance-hour for each demo instance type (service
// "instance", field "flavor_name") and per GiB-hour of disk (service
// "volume.size"). It adds only what is missing, so it runs at every start
// without duplicating rules or undoing an admin's changes to them; the
// module is enabled when the prices are first set up.
func seedDemoPrices(ctx context.Context, svc *processor.Service) error {
	instance, fresh, err := demoHashmapService(ctx, svc, "instance")
	if err != nil {
		return err
	}
	flavor, err := demoHashmapField(ctx, svc, instance.ID, "flavor_name")
	if err != nil {
		return err
	}
	have, err := svc.Mappings(ctx, processor.AllRules, processor.RuleFilter{FieldID: flavor.ID})
	if err != nil {
		return err
	}
	priced := map[string]bool{}
	for _, m := range have {
		priced[m.Value] = true
	}
	for name, s := range demoShapes() {
		if priced[name] {
			continue
		}
		cost := demoPricePerVCPU.Mul(money.NewFromInt(int64(s[0]))).Add(demoPricePerGiB.Mul(money.NewFromInt(int64(s[1]))))
		if _, err := svc.CreateMapping(ctx, hashmap.Mapping{FieldID: flavor.ID, Value: name, Type: hashmap.TypeFlat, Cost: cost}); err != nil {
			return fmt.Errorf("demo price of %s: %w", name, err)
		}
	}
	volume, _, err := demoHashmapService(ctx, svc, "volume.size")
	if err != nil {
		return err
	}
	have, err = svc.Mappings(ctx, processor.AllRules, processor.RuleFilter{ServiceID: volume.ID})
	if err != nil {
		return err
	}
	if len(have) == 0 {
		if _, err := svc.CreateMapping(ctx, hashmap.Mapping{ServiceID: volume.ID, Type: hashmap.TypeFlat, Cost: demoPriceDiskGiB}); err != nil {
			return fmt.Errorf("demo price of disks: %w", err)
		}
	}
	if fresh {
		on := true
		if _, err := svc.ConfigureModule(ctx, "hashmap", &on, nil); err != nil {
			return fmt.Errorf("demo: enable the hashmap module: %w", err)
		}
	}
	return nil
}

// demoHashmapService finds the hashmap service of a metric, or creates it
// (fresh).
func demoHashmapService(ctx context.Context, svc *processor.Service, name string) (s hashmap.Service, fresh bool, err error) {
	all, err := svc.HashmapServices(ctx)
	if err != nil {
		return s, false, err
	}
	for _, s := range all {
		if s.Name == name {
			return s, false, nil
		}
	}
	s, err = svc.CreateHashmapService(ctx, name)
	if err != nil {
		return s, false, fmt.Errorf("demo: hashmap service %s: %w", name, err)
	}
	return s, true, nil
}

// demoHashmapField finds a field of a service, or creates it.
func demoHashmapField(ctx context.Context, svc *processor.Service, serviceID, name string) (hashmap.Field, error) {
	all, err := svc.HashmapFields(ctx, serviceID)
	if err != nil {
		return hashmap.Field{}, err
	}
	for _, f := range all {
		if f.Name == name {
			return f, nil
		}
	}
	f, err := svc.CreateHashmapField(ctx, serviceID, name)
	if err != nil {
		return f, fmt.Errorf("demo: hashmap field %s: %w", name, err)
	}
	return f, nil
}
