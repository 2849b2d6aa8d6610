package ab

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/slipway-dev/slipway/node/boot"
)

func upgrade(t *testing.T, d Disk, booted, version string) Plan {
	t.Helper()
	p, err := PlanUpgrade(d, booted, version, boot.DefaultCmdline)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func applyAll(d Disk, p Plan) Disk {
	for _, op := range p.Ops {
		d = d.Apply(op)
	}
	return d
}

func TestPlanUpgrade(t *testing.T) {
	fresh := Fresh("1.0.0")
	p := upgrade(t, fresh, "a", "2.0.0")
	var got []string
	for _, op := range p.Ops {
		got = append(got, op.String())
	}
	want := "write-slot b (2.0.0) | write-file slipway/b/vmlinuz (2.0.0) | write-file slipway/b/initrd (2.0.0) | write-entry loader/entries/slipway-b+3.conf"
	if strings.Join(got, " | ") != want {
		t.Errorf("plan from a fresh disk:\n got %s\nwant %s", strings.Join(got, " | "), want)
	}
	// From b, with v2 on b blessed: a's old entry goes first.
	d := applyAll(fresh, p).Bless("b")
	p = upgrade(t, d, "b", "3.0.0")
	if p.Target != "a" || p.Ops[0].Kind != RemoveEntry || p.Ops[0].Path != "loader/entries/slipway-a.conf" {
		t.Errorf("plan from b: %+v", p.Ops)
	}
	if _, err := PlanUpgrade(d, "c", "3.0.0", ""); !errors.Is(err, ErrUnknownSlot) {
		t.Errorf("booted slot c: err = %v", err)
	}
}

// scenarios are disks an upgrade starts from, with the slot that booted.
func scenarios(t *testing.T) map[string]struct {
	disk   Disk
	booted string
} {
	v2 := applyAll(Fresh("1.0.0"), upgrade(t, Fresh("1.0.0"), "a", "2.0.0"))
	v2blessed := v2.Bless("b")
	v2trying, _, _, _ := v2.Boot() // booted b once, not blessed yet
	return map[string]struct {
		disk   Disk
		booted string
	}{
		"fresh disk, a boots":          {Fresh("1.0.0"), "a"},
		"v2 blessed on b, b boots":     {v2blessed, "b"},
		"v2 on b being tried, b boots": {v2trying, "b"},
		"v2 on b not booted, a boots":  {v2, "a"},
	}
}

// TestPowerCutAtEveryStep: after every prefix of an upgrade's writes, and
// with the power cut inside each write (a torn slot, an ESP rename that
// did not happen), the disk boots an entry whose slot, kernel and initrd
// hold its version, and keeps doing so on the following boots.
func TestPowerCutAtEveryStep(t *testing.T) {
	for name, s := range scenarios(t) {
		t.Run(name, func(t *testing.T) {
			p := upgrade(t, s.disk, s.booted, "9.0.0")
			d := s.disk
			for k := 0; k <= len(p.Ops); k++ {
				states := map[string]Disk{fmt.Sprintf("after %d writes", k): d}
				if k < len(p.Ops) {
					states[fmt.Sprintf("cut during %s", p.Ops[k])] = d.Cut(p.Ops[k])
				}
				for what, st := range states {
					checkBoots(t, what, st, 6)
				}
				if k < len(p.Ops) {
					d = d.Apply(p.Ops[k])
				}
			}
		})
	}
}

// checkBoots boots the disk n times without blessing anything: every boot
// must be consistent.
func checkBoots(t *testing.T, what string, d Disk, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		next, e, consistent, ok := d.Boot()
		if !ok {
			t.Fatalf("%s, boot %d: nothing bootable", what, i+1)
		}
		if !consistent {
			t.Fatalf("%s, boot %d: %s boots slot %s, which holds %q (kernel %q), not %s", what, i+1, e.FileName(), e.Slot(),
				d.Slots[e.Slot()], d.Files[trim(e.Linux)], e.Version)
		}
		d = next
	}
}

// TestFallbackWhenNeverBlessed: a new version that never passes the health
// gate is tried boot.DefaultTries times, then the previous version boots
// by itself and keeps booting; a blessed one keeps booting.
func TestFallbackWhenNeverBlessed(t *testing.T) {
	d := Fresh("2.0.0")
	d = applyAll(d, upgrade(t, d, "a", "3.0.0"))
	var seq []string
	for i := 0; i < boot.DefaultTries+2; i++ {
		var e boot.Entry
		d, e, _, _ = d.Boot()
		seq = append(seq, e.Version)
	}
	if got := strings.Join(seq, " "); got != "3.0.0 3.0.0 3.0.0 2.0.0 2.0.0" {
		t.Fatalf("boots without blessing: %s", got)
	}

	d = Fresh("2.0.0")
	d = applyAll(d, upgrade(t, d, "a", "3.0.0"))
	d, e, _, _ := d.Boot()
	d = d.Bless(e.Slot())
	for i := 0; i < 5; i++ {
		if d, e, _, _ = d.Boot(); e.Version != "3.0.0" {
			t.Fatalf("boot %d after blessing booted %s", i+2, e.Version)
		}
	}
}
