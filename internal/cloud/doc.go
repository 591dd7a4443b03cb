// Package cloud is Skyfold's provider SPI: the one set of Go interfaces through
// which everything cloud-facing (inventory sync, cluster expand and shrink,
// metric collection, bill import) talks to a public or private cloud.
//
// A cloud is modelled as it is: a Provider is one account; it reports its
// identity, balance and bills, and hands out a RegionClient for each region.
// A RegionClient groups small capability interfaces (ZoneService,
// InstanceService, NetworkService, ...). Consumers depend on the smallest
// interface they need; drivers implement what the cloud offers and embed
// NotSupportedRegion / NotSupportedProvider for the rest, so an unsupported
// call returns an error matching ErrNotSupported. Provider.Capabilities says
// up front which groups a driver really implements.
//
// Drivers register themselves by provider name in init (see Register); the
// package internal/cloud/all imports every driver. Names are matched
// case-insensitively, with the aliases the API documents use (Aliyun is also
// AlibabaCloud, Qcloud is also TencentCloud, ...).
//
// Every failure a driver returns is a *Error whose Kind is one of the
// sentinel errors (ErrNotFound, ErrThrottled, ...), so errors.Is works, and
// which carries the cloud's error code, message and request id. A *Error also
// unwraps to an *errs.Error, so errs.CodeOf gives each face its status.
//
// Money is never a float: amounts are decimal strings with a currency.
package cloud
