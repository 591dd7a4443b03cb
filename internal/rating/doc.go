// Package rating owns Skyfold's rating core, compatible with CloudKitty's
// data contract: the rated-data model (a DataFrame of DataPoints per metric
// type for one scope and period, with exact Decimal quantities and prices),
// the Module interface rating modules implement, and the Pipeline that runs
// the enabled modules in descending priority, each adding to the prices the
// earlier ones set.
//
// It is pure domain code: no HTTP, no database. The hashmap and script
// modules live in the sub-packages hashmap and script; the collector,
// processor, storage and the /v1/rating HTTP face build on these types.
package rating
