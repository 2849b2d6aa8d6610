package early

import (
	"reflect"
	"testing"
)

func TestSanitizeIgnitionLog(t *testing.T) {
	out := `INFO     : Ignition Debian 2.14.0+ds1-1+b6
DEBUG    : parsed url from cmdline: ""
INFO     : failed to log systemd journal entry: write unixgram @b121f->/run/systemd/journal/socket: sendmsg: no such file or directory
DEBUG    : fetched config: {
  "passwd": {"users": [{"name": "core", "passwordHash": "$6$secret"}]}
}
DEBUG    : files: ensureUsers: op(1): executing: "useradd" "--password" "$6$secret" "core"
INFO     : files: ensureUsers: op(1): [finished] creating or modifying user "core"
WARNING  : something odd
CRITICAL : Ignition failed: failed to create users/groups
`
	want := []string{
		"INFO     : Ignition Debian 2.14.0+ds1-1+b6",
		`INFO     : files: ensureUsers: op(1): [finished] creating or modifying user "core"`,
		"WARNING  : something odd",
		"CRITICAL : Ignition failed: failed to create users/groups",
	}
	got := SanitizeIgnitionLog([]byte(out))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got := tail(want, 2); got != "  WARNING  : something odd\n  CRITICAL : Ignition failed: failed to create users/groups" {
		t.Errorf("tail = %q", got)
	}
	if got := tail(nil, 3); got != "  (no output)" {
		t.Errorf("tail(nil) = %q", got)
	}
}
