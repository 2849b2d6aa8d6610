package spec

import (
	_ "embed"
	"encoding/json"

	"github.com/invopop/jsonschema"
)

//go:generate go run ./internal/genschema -o release.schema.json

// releaseSchema is the JSON Schema of the Release document, generated from
// the Go types and their doc comments.
//
//go:embed release.schema.json
var releaseSchema []byte

// ReleaseSchema returns the JSON Schema (draft 2020-12) of the Release
// document, for editors and CI linters.
func ReleaseSchema() []byte { return releaseSchema }

// GenerateReleaseSchema builds the Release schema from the Go types. With
// a module root and package directory, doc comments become descriptions.
func GenerateReleaseSchema(commentsFrom func(*jsonschema.Reflector) error) ([]byte, error) {
	r := &jsonschema.Reflector{
		AllowAdditionalProperties: false,
		DoNotReference:            false,
	}
	if commentsFrom != nil {
		if err := commentsFrom(r); err != nil {
			return nil, err
		}
	}
	s := r.Reflect(&Release{})
	s.ID = "https://slipway.dev/schemas/v1alpha1/release.json"
	s.Title = "slipway Release (" + APIVersion + ")"
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
