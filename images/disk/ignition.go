package disk

import (
	"encoding/json"
	"fmt"
	"strings"
)

// checkIgnition is a minimal check: JSON with an ignition.version of the
// 3.x spec. Full validation happens before the config reaches this package.
func checkIgnition(b []byte) error {
	var c struct {
		Ignition struct {
			Version string `json:"version"`
		} `json:"ignition"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("ignition: not JSON: %w", err)
	}
	if !strings.HasPrefix(c.Ignition.Version, "3.") {
		return fmt.Errorf("ignition: ignition.version %q is not a 3.x config version", c.Ignition.Version)
	}
	return nil
}
