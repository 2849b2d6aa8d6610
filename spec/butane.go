package spec

import (
	"fmt"
	"strings"

	butane "github.com/coreos/butane/config"
	"github.com/coreos/butane/config/common"
	ign33 "github.com/coreos/ignition/v2/config/v3_3"
	"github.com/coreos/ignition/v2/config/v3_3/types"
	"github.com/coreos/vcontext/report"
)

// TranslateButane turns a node's Butane snippet into an Ignition 3.3.0
// config: the newest spec Debian's Ignition 2.14 reads, so Butane variants
// fcos up to 1.4.0 and flatcar 1.0.0. Storage other than files,
// directories and links is refused: first boot runs only Ignition's fetch
// and files stages. Problems carry the snippet's own line and column.
func TranslateButane(snippet string) (types.Config, []ButaneProblem) {
	out, rep, err := butane.TranslateBytes([]byte(snippet), common.TranslateBytesOptions{Raw: true})
	problems := butaneProblems(rep)
	if err != nil {
		if len(problems) == 0 || !rep.IsFatal() {
			problems = append(problems, ButaneProblem{Message: butaneError(err)})
		}
		return types.Config{}, problems
	}
	cfg, rep, err := ign33.Parse(out)
	if err != nil {
		return types.Config{}, append(problems, ButaneProblem{Message: fmt.Sprintf(
			"the snippet produces an Ignition config newer than 3.3.0 (%v): use variant fcos with version up to 1.4.0, or flatcar 1.0.0", err)})
	}
	problems = append(problems, butaneProblems(rep)...)
	return cfg, append(problems, storageProblems(cfg)...)
}

// ButaneProblem is one problem in a Butane snippet; Line and Column count
// from 1 within the snippet (0: unknown).
type ButaneProblem struct {
	Line, Column int
	Warning      bool
	Message      string
}

func butaneProblems(rep report.Report) []ButaneProblem {
	var out []ButaneProblem
	for _, e := range rep.Entries {
		if e.Kind != report.Error && e.Kind != report.Warn {
			continue
		}
		p := ButaneProblem{Warning: e.Kind == report.Warn, Message: e.Message}
		if e.Marker.StartP != nil {
			p.Line, p.Column = int(e.Marker.StartP.Line), int(e.Marker.StartP.Column)
		}
		if ctx := e.Context.String(); ctx != "" && ctx != "$" {
			p.Message = strings.TrimPrefix(ctx, "$.") + ": " + p.Message
		}
		out = append(out, p)
	}
	return out
}

func butaneError(err error) string { return "translating Butane: " + err.Error() }

// storageProblems refuses what first boot cannot do.
func storageProblems(cfg types.Config) []ButaneProblem {
	var out []ButaneProblem
	refuse := func(what string, n int) {
		if n > 0 {
			out = append(out, ButaneProblem{Message: fmt.Sprintf(
				"storage.%s is not supported: nodes run only Ignition's fetch and files stages, so a snippet may write files, directories and links", what)})
		}
	}
	refuse("disks", len(cfg.Storage.Disks))
	refuse("raid", len(cfg.Storage.Raid))
	refuse("filesystems", len(cfg.Storage.Filesystems))
	refuse("luks", len(cfg.Storage.Luks))
	return out
}
