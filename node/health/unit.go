package health

import (
	"fmt"
	"strings"
)

// unitProperties are the properties `systemctl show` reports for a unit
// check: whether it is active, and the details of why not.
var unitProperties = []string{"LoadState", "ActiveState", "SubState", "Result"}

// UnitActive reports whether a state from Prober.Unit is systemd's
// "active" (the ActiveState, before any details).
func UnitActive(state string) bool {
	active, _, _ := strings.Cut(state, " ")
	return active == "active"
}

// unitState parses the "Key=Value" lines of `systemctl show -p ...` into
// a Prober.Unit state: the ActiveState, then the sub-state, a load state
// other than "loaded" (not-found, masked, bad-setting) and a result other
// than "success", e.g. "failed (failed, result exit-code)" or "inactive
// (dead, not-found)".
func unitState(show string) (string, error) {
	props := map[string]string{}
	for _, l := range strings.Split(show, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok {
			props[k] = v
		}
	}
	active := props["ActiveState"]
	if active == "" {
		return "", fmt.Errorf("systemctl show reported no ActiveState: %q", strings.TrimSpace(show))
	}
	var details []string
	if s := props["SubState"]; s != "" {
		details = append(details, s)
	}
	if l := props["LoadState"]; l != "" && l != "loaded" {
		details = append(details, l)
	}
	if r := props["Result"]; r != "" && r != "success" {
		details = append(details, "result "+r)
	}
	if len(details) == 0 {
		return active, nil
	}
	return active + " (" + strings.Join(details, ", ") + ")", nil
}
