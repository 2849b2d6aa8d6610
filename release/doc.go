// Package release builds a Release's whole matrix into one directory, the
// release directory layout v1 (docs/release-layout.md): packages and
// their repositories, container images, the node OS disk images and
// update payloads per architecture, then release.json (every artifact
// with its kind, architecture, path, digest, size and inputs), SHA256SUMS
// and its OpenPGP signature. The work is a graph of steps (Plan, pure)
// run in parallel within the machine's cores (Run) into a staging
// directory that appears whole or not at all; every step reuses the
// content-addressed caches, so an unchanged input is not rebuilt.
// Verify checks a release directory against its manifest and checksums.
package release
