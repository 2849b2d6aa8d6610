package early

import "testing"

func TestChooseSource(t *testing.T) {
	esp := "/run/esp/slipway/config.ign"
	for _, tc := range []struct {
		name  string
		facts Facts
		want  Source
	}{
		{"nothing", Facts{}, Source{}},
		{"ESP wins over everything", Facts{ESPConfig: esp, FwCfg: true, Platform: "aws"}, Source{"file", esp}},
		{"fw_cfg before the command line", Facts{FwCfg: true, Platform: "metal"}, Source{Platform: "qemu"}},
		{"command line platform", Facts{Platform: "metal"}, Source{Platform: "metal"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ChooseSource(tc.facts); got != tc.want {
				t.Errorf("ChooseSource(%+v) = %+v, want %+v", tc.facts, got, tc.want)
			}
		})
	}
}

func TestSourceString(t *testing.T) {
	for s, want := range map[Source]string{
		{}:                     "no Ignition config",
		{Platform: "qemu"}:     "platform qemu",
		{"file", "/run/x.ign"}: "platform file (/run/x.ign)",
	} {
		if got := s.String(); got != want {
			t.Errorf("%+v: %q, want %q", s, got, want)
		}
	}
}
