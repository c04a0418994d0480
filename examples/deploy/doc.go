// Package deploy holds the deployment examples (Dockerfile, systemd unit) and
// a test that checks them for the invariants the README promises.
package deploy
