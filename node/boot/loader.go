package boot

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// LoaderPath is systemd-boot's configuration file on the ESP.
const LoaderPath = "loader/loader.conf"

// Loader is loader/loader.conf: the default entry (a glob over entry IDs,
// which for systemd 252 include the +N-M counter and ".conf") and the menu
// timeout in seconds (0: boot the default at once; a key press shows the
// menu).
type Loader struct {
	Default string `json:"default"`
	Timeout int    `json:"timeout"`
}

// DefaultLoader is the loader.conf Build writes: default slipway-*,
// timeout 0.
func DefaultLoader() Loader { return Loader{Default: "slipway-*", Timeout: 0} }

// Marshal encodes loader.conf. The timeout is always written.
func (l Loader) Marshal() []byte {
	var b bytes.Buffer
	if l.Default != "" {
		fmt.Fprintf(&b, "default %s\n", l.Default)
	}
	fmt.Fprintf(&b, "timeout %d\n", l.Timeout)
	return b.Bytes()
}

// ParseLoader decodes loader.conf. Unknown or repeated keys are errors; a
// missing timeout is 0.
func ParseLoader(b []byte) (Loader, error) {
	var l Loader
	seen := map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		key, val := splitKeyValue(line)
		if key == "" {
			continue
		}
		if seen[key] {
			return Loader{}, fmt.Errorf("parsing loader.conf: line %d: key %q repeated", i+1, key)
		}
		seen[key] = true
		switch key {
		case "default":
			l.Default = val
		case "timeout":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return Loader{}, fmt.Errorf("parsing loader.conf: line %d: timeout %q is not a number of seconds", i+1, val)
			}
			l.Timeout = n
		default:
			return Loader{}, fmt.Errorf("parsing loader.conf: line %d: unknown key %q", i+1, key)
		}
	}
	return l, nil
}
