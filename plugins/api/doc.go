// Package api is the rrun plugin SDK: the Go side of the wire contract in
// proto/ (rrun.plugin.v1, rrun.storage.v1, rrun.isolation.v1), the Storage and
// Isolation interfaces every backend implements, the thin gRPC client and
// server adapters, the error mapping, and Serve for plugin authors.
//
// It must not import anything from rrun's host/, storage/ or plugins/<kind>/
// packages: it is the only thing the host and the plugins share.
package api
