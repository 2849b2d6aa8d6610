package skew

import (
	"strings"
	"testing"
)

func TestCheckUpgrade(t *testing.T) {
	cases := []struct {
		name     string
		cp       bool
		from, to string
		apis     []string
		want     Rule
	}{
		{"cp patch", true, "1.32.0", "1.32.4", nil, ""},
		{"cp one minor", true, "1.32.4", "1.33.0", nil, ""},
		{"cp two minors", true, "1.32.4", "1.34.0", nil, RuleControlPlaneUpgrade},
		{"cp minor downgrade", true, "1.33.0", "1.32.9", nil, RuleControlPlaneDowngrade},
		{"cp patch downgrade", true, "1.33.2", "1.33.1", nil, ""},
		{"cp other major", true, "1.33.0", "2.0.0", nil, RuleControlPlaneUpgrade},
		{"ha peers one behind", true, "1.32.0", "1.33.0", []string{"1.32.5", "1.32.5"}, ""},
		{"ha peer two behind", true, "1.32.0", "1.33.0", []string{"1.33.0", "1.31.9"}, RuleHAWithinOne},
		{"ha peer two ahead", true, "1.31.0", "1.31.1", []string{"1.33.0"}, RuleHAWithinOne},
		{"worker same", false, "1.32.0", "1.32.1", []string{"1.32.1"}, ""},
		{"worker catches up", false, "1.30.0", "1.33.0", []string{"1.33.0"}, ""},
		{"worker newer than apiserver", false, "1.32.0", "1.33.0", []string{"1.32.4"}, RuleKubeletNotNewer},
		{"worker newer than one ha apiserver", false, "1.32.0", "1.33.0", []string{"1.33.0", "1.32.4"}, RuleKubeletNotNewer},
		{"worker 3 older", false, "1.29.0", "1.30.0", []string{"1.33.0"}, ""},
		{"worker 4 older", false, "1.28.0", "1.29.0", []string{"1.33.0"}, RuleKubeletMaxOlder},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := Upgrade{ControlPlane: c.cp, From: mustParse(t, c.from), To: mustParse(t, c.to)}
			for _, a := range c.apis {
				u.APIServers = append(u.APIServers, mustParse(t, a))
			}
			err := CheckUpgrade(u)
			got := Rule("")
			if err != nil {
				got = err.Rule
				if !strings.Contains(err.Error(), string(err.Rule)) || !strings.Contains(err.Error(), c.to) {
					t.Errorf("message %q lacks the rule or the version", err)
				}
			}
			if got != c.want {
				t.Fatalf("CheckUpgrade(%+v) = %q, want %q", u, got, c.want)
			}
		})
	}
}
