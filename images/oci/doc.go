// Package oci builds deterministic OCI images and image indexes with
// go-containerregistry and writes them to an OCI image layout or pushes them
// to a registry.
//
// Layers are built from declared files (LayerFromFiles), images from a base
// plus layers and a config (Build), and multi-platform indexes from images
// (Index). The same inputs always give the same digests: tar entries are
// sorted, timestamps come from the epoch (WithEpoch, normally
// SOURCE_DATE_EPOCH), owners are numeric and gzip headers carry no time.
package oci
