package spec

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/invopop/jsonschema"
)

//go:generate go run ./internal/genschema

var (
	// releaseSchema and clusterSchema are generated from the Go types and
	// their doc comments.
	//
	//go:embed release.schema.json
	releaseSchema []byte
	//go:embed cluster.schema.json
	clusterSchema []byte
)

// Kinds are the document kinds slipway reads, in the order commands list
// them.
var Kinds = []string{KindRelease, KindCluster}

// Schema returns the JSON Schema (draft 2020-12) of a document kind, for
// editors and CI linters.
func Schema(kind string) ([]byte, error) {
	switch kind {
	case KindRelease:
		return releaseSchema, nil
	case KindCluster:
		return clusterSchema, nil
	}
	return nil, fmt.Errorf("unknown kind %q: use %s", kind, strings.Join(Kinds, " or "))
}

// GenerateSchema builds a kind's schema from the Go types; commentsFrom,
// when given, adds the doc comments as descriptions.
func GenerateSchema(kind string, commentsFrom func(*jsonschema.Reflector) error) ([]byte, error) {
	r := &jsonschema.Reflector{AllowAdditionalProperties: false}
	if commentsFrom != nil {
		if err := commentsFrom(r); err != nil {
			return nil, err
		}
	}
	var v any
	switch kind {
	case KindRelease:
		v = &Release{}
	case KindCluster:
		v = &Cluster{}
	default:
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	s := r.Reflect(v)
	s.ID = jsonschema.ID("https://slipway.dev/schemas/v1alpha1/" + strings.ToLower(kind) + ".json")
	s.Title = "slipway " + kind + " (" + APIVersion + ")"
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
