// Package chelseru holds the domain of the chelseru edge server: users, one-time
// codes, sessions, SMS messages, the ports (interfaces) that storage and SMS
// providers implement, and the one error type every layer speaks.
//
// The layout follows Ben Johnson's "WTF Dial": this root package depends on
// nothing but the standard library; each outside thing has a package of its own
// that implements these interfaces (storage/ on Badger, pluginhost/ on wazero),
// host/ speaks HTTP and WebSocket, and cmd/chelseru wires them together.
//
// Dependencies point one way: cmd → host → (auth, token, storage, pluginhost) →
// chelseru.
package chelseru
