// Package archtest holds the tests that keep the import graph in shape: no
// package but a driver's own and internal/cloud/all imports a cloud driver,
// and no arrow runs back up between the domain packages. It has no code of
// its own.
//
// Test files are held to a looser rule than the code they test: a test of
// any package may import a driver or internal/cloud/all, so that end-to-end
// tests run real driver code against the simulators. Only what is built
// into the binary must reach clouds through the SPI alone.
package archtest
