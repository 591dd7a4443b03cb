// Package apitest holds the suites that walk the whole server through its
// OpenAPI document: the bad-input suite, which sends every write operation
// of every face the classes of input a hostile client sends, and the
// tenant-isolation matrix, which checks every operation against two
// domains' users. The package has no code of its own: its tests build a
// complete Skyfold with internal/app on each store storetest offers.
package apitest
