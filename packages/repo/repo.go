// Package repo publishes directories of built packages as signed package
// repositories laid out like pkgs.k8s.io: a flat apt repository (WriteAPT,
// consumed as "deb [signed-by=KEY] URL /") and a yum repository (WriteYUM,
// consumed through a .repo file with baseurl=URL).
//
// Both writers read only the packages in the directory and the Options; every
// timestamp they write comes from Options.Date and every list is sorted, so
// publishing the same packages with the same Date gives the same bytes. Each
// metadata file is written under a temporary name and renamed into place only
// after all of them were written, so a failure never leaves half-written
// metadata under a final name.
package repo

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slipway-dev/slipway/signing"
)

// Options configure WriteAPT and WriteYUM.
type Options struct {
	// Signer signs the metadata. Nil publishes an unsigned repository: no
	// InRelease, Release.gpg, Release.key, repomd.xml.asc or repomd.xml.key,
	// and any such files left from an earlier signed run are removed. The
	// signatures are stamped with Date, not with the Signer's own time.
	Signer *signing.Signer
	// Date stamps the apt Release Date, the yum revision and timestamps and
	// the signatures; pass SOURCE_DATE_EPOCH. Required.
	Date time.Time
	// Origin, Label, Suite, Codename and Description fill the apt Release
	// fields of the same names. They default to "slipway", "slipway",
	// "stable", Suite and "slipway packages". apt pins on Origin, Label and
	// Suite and asks for confirmation when one changes between updates.
	Origin, Label, Suite, Codename, Description string
}

// withDefaults returns o with empty fields defaulted, or every problem found.
func (o Options) withDefaults() (Options, error) {
	fill := func(s *string, def string) {
		if *s == "" {
			*s = def
		}
	}
	fill(&o.Origin, "slipway")
	fill(&o.Label, "slipway")
	fill(&o.Suite, "stable")
	fill(&o.Codename, o.Suite)
	fill(&o.Description, "slipway packages")

	var errs []error
	if o.Date.IsZero() {
		errs = append(errs, errors.New("options: Date is required"))
	}
	fields := []struct{ name, value string }{
		{"Origin", o.Origin}, {"Label", o.Label}, {"Suite", o.Suite},
		{"Codename", o.Codename}, {"Description", o.Description},
	}
	for _, f := range fields {
		if strings.ContainsAny(f.value, "\r\n") {
			errs = append(errs, fmt.Errorf("options: %s %q holds a line break", f.name, f.value))
		}
	}
	for _, f := range fields[2:4] {
		if strings.ContainsAny(f.value, " \t") {
			errs = append(errs, fmt.Errorf("options: %s %q holds white space", f.name, f.value))
		}
	}
	o.Date = o.Date.UTC().Truncate(time.Second)
	if o.Signer != nil {
		o.Signer = o.Signer.At(o.Date)
	}
	return o, errors.Join(errs...)
}
