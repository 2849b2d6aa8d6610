package release

import (
	"encoding/json"

	"github.com/invopop/jsonschema"
)

// SchemaID identifies release.json's JSON Schema (docs/release.v1.schema.json).
const SchemaID = "https://slipway.dev/schemas/release/v1.json"

// Schema returns the JSON Schema of release.json, layout v1: every field
// required as written by Build, no others allowed.
func Schema() ([]byte, error) {
	r := &jsonschema.Reflector{AllowAdditionalProperties: false}
	s := r.Reflect(&Manifest{})
	s.ID = SchemaID
	s.Title = "slipway release.json (release directory layout v1)"
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
