// Package build runs Dockerfile builds for `rrun build`: it parses the
// Dockerfile with BuildKit's parser and instruction packages, picks the
// stages the target needs, and runs their steps in order. A RUN step is a
// container of the isolation plugin on a root filesystem from the storage
// plugin (with the same spec as `rrun run`); a COPY or ADD step writes into
// such a root filesystem; each step's changes become a layer committed by
// the storage plugin (api.Committer), which also keeps the step cache.
//
// It runs inside the rootless session. It must not import plugin
// implementations, only plugins/api.
package build
