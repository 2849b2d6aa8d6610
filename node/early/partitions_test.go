package early

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeSysBlock writes a sysfs class/block tree: device name → uevent body.
func fakeSysBlock(t *testing.T, devs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, uevent := range devs {
		addDevice(t, dir, name, uevent)
	}
	return dir
}

func addDevice(t *testing.T, dir, name, uevent string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name, "uevent"), []byte(uevent), 0o644); err != nil {
		t.Fatal(err)
	}
}

func part(dev, label string) string {
	return "MAJOR=254\nMINOR=1\nDEVNAME=" + dev + "\nDEVTYPE=partition\nPARTN=1\nPARTNAME=" + label + "\n"
}

func TestScanPartitions(t *testing.T) {
	dir := fakeSysBlock(t, map[string]string{
		"vda":   "MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n",
		"vda1":  part("vda1", "esp"),
		"vda2":  part("vda2", "slipway-a"),
		"vda4":  part("vda4", "slipway-state"),
		"sdb2":  part("sdb2", "slipway-a"),
		"loop0": "MAJOR=7\nDEVNAME=loop0\n",
	})
	p, err := ScanPartitions(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.String(), "esp=vda1 slipway-a=sdb2,vda2 slipway-state=vda4"; got != want {
		t.Errorf("scan = %q, want %q", got, want)
	}
	if dev, err := p.Device("slipway-state"); err != nil || dev != "/dev/vda4" {
		t.Errorf("Device(slipway-state) = %q, %v", dev, err)
	}
	if _, err := p.Device("slipway-a"); err == nil || !strings.Contains(err.Error(), "sdb2, vda2") {
		t.Errorf("ambiguous label: err = %v", err)
	}
	if _, err := p.Device("slipway-b"); err == nil {
		t.Error("missing label: no error")
	}
}

func TestWaitPartitionsSeesLateDevices(t *testing.T) {
	dir := fakeSysBlock(t, map[string]string{"vda1": part("vda1", "esp")})
	go func() {
		time.Sleep(200 * time.Millisecond)
		addDevice(t, dir, "vda2", part("vda2", "slipway-b"))
	}()
	p, err := WaitPartitions(context.Background(), dir, []string{"slipway-b"}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if dev, _ := p.Device("slipway-b"); dev != "/dev/vda2" {
		t.Errorf("slipway-b on %q", dev)
	}
}

func TestWaitPartitionsTimesOutNamingWhatIsMissing(t *testing.T) {
	dir := fakeSysBlock(t, map[string]string{"vda1": part("vda1", "esp")})
	start := time.Now()
	_, err := WaitPartitions(context.Background(), dir, []string{"slipway-a", "slipway-state"}, 150*time.Millisecond)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"slipway-a", "slipway-state", "found: esp=vda1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("waited %s", d)
	}
}
