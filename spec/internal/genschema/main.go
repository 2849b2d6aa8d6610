// Command genschema writes the JSON Schema of every document kind
// (release.schema.json, cluster.schema.json), with the Go doc comments as
// descriptions. Run through go generate in spec/.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/slipway-dev/slipway/spec"
)

func main() {
	for _, kind := range spec.Kinds {
		b, err := spec.GenerateSchema(kind, func(r *jsonschema.Reflector) error {
			return r.AddGoComments("github.com/slipway-dev/slipway/spec", ".")
		})
		if err == nil {
			err = os.WriteFile(strings.ToLower(kind)+".schema.json", b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "generating schema:", err)
			os.Exit(1)
		}
	}
}
