// Command genschema writes the JSON Schema of the Release document, with
// the Go doc comments as descriptions. Run through go generate in spec/.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/invopop/jsonschema"

	"github.com/slipway-dev/slipway/spec"
)

func main() {
	out := flag.String("o", "release.schema.json", "output file")
	flag.Parse()
	b, err := spec.GenerateReleaseSchema(func(r *jsonschema.Reflector) error {
		return r.AddGoComments("github.com/slipway-dev/slipway/spec", ".")
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "generating schema:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
