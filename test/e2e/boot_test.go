package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// nodeOS is the disk image of a small release and a control-plane node's
// Ignition config, built once per run and shared by the boot tests.
type nodeOS struct {
	dir, spec, cache, image, ign string
	// rootfs is the cached tree; slot the slot filesystem's digest.
	rootfs, slot string
	slotSize     int64
}

// diskBuild is what `slipway disk build --json` reports.
type diskBuild struct {
	Rootfs string
	Disk   struct {
		Slot struct {
			Digest string
			Size   int64
		}
	}
}

var (
	osOnce sync.Once
	osFx   *nodeOS
	osErr  error
)

// probeButane is the node's Butane snippet: a unit, enabled through
// Ignition's presets, that reports what the tests check on the serial
// console and powers the machine off.
const probeButane = `variant: fcos
version: 1.4.0
storage:
  files:
    - path: /etc/slipway-probe.sh
      mode: 0755
      contents:
        inline: |
          #!/bin/sh
          # The report goes to the console and, whole, to STATE, where the
          # test reads it back from the disk image after power-off.
          n=$(( $(cat /var/lib/slipway-probe/boots 2>/dev/null || echo 0) + 1 ))
          mkdir -p /var/lib/slipway-probe && echo $n > /var/lib/slipway-probe/boots
          v=/sys/firmware/efi/efivars/LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
          {
          echo "PROBE entry=$(cat $v | tail -c +5 | tr -d '\000')"
          . /etc/os-release; echo "PROBE version=$IMAGE_VERSION"
          echo "PROBE manifests=$(ls /etc/kubernetes/manifests | tr '\n' ' ')"
          echo "PROBE pki-mode=$(stat -c %a /etc/kubernetes/pki/ca.key /etc/kubernetes/pki/apiserver.key | sort -u | tr '\n' ' ')"
          echo "PROBE kubelet-config=$(test -s /var/lib/kubelet/config.yaml && echo yes || echo no)"
          echo "PROBE containerd=$(systemctl is-active containerd)"
          echo "PROBE root=$(findmnt -no OPTIONS / | cut -d, -f1)"
          echo "PROBE root-write=$(touch /probe-write 2>/dev/null && echo allowed || echo refused)"
          echo "PROBE esp-config=$(test -e /efi/slipway/config.ign && echo present || echo absent)"
          echo "PROBE esp-mounted=$(findmnt -no FSTYPE /efi)"
          echo "PROBE boots=$n"
          echo "PROBE done=yes"
          } > /var/lib/slipway-probe/report-$n
          sync
          cat /var/lib/slipway-probe/report-$n
          systemctl poweroff --no-block
systemd:
  units:
    - name: slipway-probe.service
      enabled: true
      contents: |
        [Unit]
        Description=slipway e2e probe
        After=multi-user.target containerd.service
        [Service]
        Type=oneshot
        ExecStart=/etc/slipway-probe.sh
        # /dev/console, not the tty: serial-getty's vhangup() cuts off
        # other writers to ttyS0.
        StandardOutput=journal+console
        [Install]
        WantedBy=multi-user.target
`

// theNodeOS builds the shared disk image: a release of Debian's kubectl
// and CNI plugins over the default Debian node OS, and a one-node
// cluster whose control plane carries the probe.
func theNodeOS(t *testing.T) *nodeOS {
	t.Helper()
	slipwayBin(t)
	needTools(t, "mmdebstrap", "mksquashfs", "qemu-img")
	osOnce.Do(func() { osFx, osErr = buildNodeOS(t) })
	if osErr != nil {
		t.Fatalf("building the node OS: %v", osErr)
	}
	return osFx
}

func buildNodeOS(t *testing.T) (*nodeOS, error) {
	root := repoRoot(t)
	f := &nodeOS{dir: filepath.Join(tmpRoot, "nodeos"), cache: filepath.Join(tmpRoot, "nodeos-cache")}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return nil, err
	}
	in := filepath.Join(root, "build", "inputs", "amd64")
	f.spec = filepath.Join(f.dir, "release.yaml")
	rel := fmt.Sprintf(`apiVersion: slipway.dev/v1alpha1
kind: Release
metadata: {name: e2e}
spec:
  version: 0.1.0
  kubernetesVersion: 1.33.0
  architectures: [amd64]
  components:
    - {name: kubectl, version: 1.20.2, sources: {amd64: {url: "file://%[1]s/usr/bin/kubectl"}}}
    - {name: cni-plugins, version: 1.1.1, sources: {amd64: {url: "file://%[1]s/usr/lib/cni"}}}
  os:
    version: 1.0.0
    disk: {esp: 128Mi, slot: 1Gi, state: 256Mi, formats: [raw, qcow2]}
`, in)
	cluster := qemuCluster(probeButane)
	for p, s := range map[string]string{f.spec: rel, filepath.Join(f.dir, "cluster.yaml"): cluster} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	r := slipway(t, []string{"SOURCE_DATE_EPOCH=1700000000"}, "disk", "build", "-f", f.spec, "-o", filepath.Join(f.dir, "disk"), "--cache-dir", f.cache, "--json")
	if r.code != 0 {
		return nil, fmt.Errorf("disk build: exit %d\n%s", r.code, tail(r.stderr))
	}
	t.Logf("slipway disk build (cold): %s", time.Since(start).Round(time.Second))
	var built diskBuild
	if err := json.Unmarshal([]byte(r.stdout), &built); err != nil || built.Disk.Slot.Digest == "" {
		return nil, fmt.Errorf("disk build --json: %v\n%s", err, r.stdout)
	}
	f.rootfs, f.slot, f.slotSize = built.Rootfs, built.Disk.Slot.Digest, built.Disk.Slot.Size
	f.image = filepath.Join(f.dir, "disk", "e2e-1.0.0-amd64.raw")
	r = slipway(t, nil, "ignition", "generate", "-f", filepath.Join(f.dir, "cluster.yaml"), "--pki-dir", filepath.Join(f.dir, "pki"), "-o", filepath.Join(f.dir, "ign"))
	if r.code != 0 {
		return nil, fmt.Errorf("ignition generate: exit %d\n%s", r.code, tail(r.stderr))
	}
	f.ign = filepath.Join(f.dir, "ign", "cp1.ign")
	return f, nil
}

// qemuCluster is a one-node cluster whose control plane cp1 (10.0.2.15,
// QEMU user networking's guest address) carries butane.
func qemuCluster(butane string) string {
	indented := "        " + strings.ReplaceAll(strings.TrimRight(butane, "\n"), "\n", "\n        ")
	return `apiVersion: slipway.dev/v1alpha1
kind: Cluster
metadata: {name: e2e}
spec:
  kubernetesVersion: 1.33.0
  controlPlaneEndpoint: cp1.e2e.internal:6443
  pki: {keyAlgorithm: ECDSA-P256}
  nodes:
    - name: cp1
      role: control-plane
      address: 10.0.2.15
      butane: |
` + indented + "\n"
}

// copyImage gives a test its own sparse copy of the disk image.
func copyImage(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if out, err := exec.Command("cp", "--sparse=always", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("copying the image: %v: %s", err, out)
	}
	return dst
}

// TestBootFirstAndSecond boots the disk image in QEMU with the node's
// Ignition config on fw_cfg, then again without: slipway-init's steps,
// systemd reaching multi-user, the Ignition files in place (static pods,
// 0600 keys, kubelet config), containerd active, the read-only root; on
// the second boot Ignition does not run and first-boot files persist.
func TestBootFirstAndSecond(t *testing.T) {
	fx := theNodeOS(t)
	m := newMachine(t, copyImage(t, fx.image))
	first := m.boot(t, fx.ign, 10*time.Minute)
	for _, want := range []string{"slipway-init: modules: ok", "slipway-init: partitions: ok", "slipway-init: sysroot: ok",
		"slipway-init: state: ok", "slipway-init: etc: ok", "slipway-init: ignition: ok (", "slipway-init: switch-root: ok",
		"Multi-User System"} {
		if !strings.Contains(first, want) {
			t.Errorf("first boot: console lacks %q", want)
		}
	}
	if strings.Contains(first, "ignition: ok (skipped") {
		t.Error("first boot: slipway-init skipped Ignition")
	}
	p := probe(t, first, m.disk, 1)
	expect(t, p, map[string]string{
		"entry": "slipway-a.conf", "version": "1.0.0", "pki-mode": "600",
		"manifests":      "etcd.yaml kube-apiserver.yaml kube-controller-manager.yaml kube-scheduler.yaml",
		"kubelet-config": "yes", "containerd": "active", "root": "ro", "root-write": "refused",
		"esp-config": "absent", "esp-mounted": "vfat", "boots": "1",
	})
	second := m.boot(t, "", 10*time.Minute)
	if !strings.Contains(second, "slipway-init: ignition: ok (skipped: not first boot)") {
		t.Errorf("second boot: slipway-init did not skip Ignition")
	}
	p = probe(t, second, m.disk, 2)
	expect(t, p, map[string]string{
		"entry": "slipway-a.conf", "version": "1.0.0", "pki-mode": "600", "root": "ro", "root-write": "refused",
		"manifests":      "etcd.yaml kube-apiserver.yaml kube-controller-manager.yaml kube-scheduler.yaml",
		"kubelet-config": "yes", "containerd": "active", "esp-config": "absent", "boots": "2",
	})
	if t.Failed() {
		t.Logf("first boot console:\n%s", tailN(first, 5000))
	}
}

// TestBootPersonalized: the same config written onto a copy's ESP by
// `slipway disk personalize` is applied on first boot and deleted from the
// ESP afterwards (disk inspect and mtools agree).
func TestBootPersonalized(t *testing.T) {
	fx := theNodeOS(t)
	img := filepath.Join(t.TempDir(), "cp1.raw")
	if r := slipway(t, nil, "disk", "personalize", fx.image, "--ignition", fx.ign, "-o", img); r.code != 0 {
		t.Fatalf("disk personalize: exit %d\n%s", r.code, r.stderr)
	}
	if info := inspectDisk(t, img); !info.Ignition {
		t.Fatal("disk inspect: no config on the personalized image's ESP")
	}
	p := probe(t, newMachine(t, img).boot(t, "", 10*time.Minute), img, 1)
	expect(t, p, map[string]string{
		"manifests": "etcd.yaml kube-apiserver.yaml kube-controller-manager.yaml kube-scheduler.yaml",
		"pki-mode":  "600", "kubelet-config": "yes", "boots": "1", "esp-config": "absent",
	})
	if info := inspectDisk(t, img); info.Ignition {
		t.Error("the config is still on the ESP after a successful first boot")
	}
}

type diskInfo struct {
	Ignition   bool
	Partitions []struct {
		Number      int
		Label, Type string
		Start, Size int64
	}
	Entries []struct {
		File, Slot string
		Blessed    bool
		Entry      struct{ Linux, Initrd, Version string }
	}
	Default *struct{ File string }
	Files   []struct {
		Path string
		Size int64
	}
}

func inspectDisk(t *testing.T, img string) diskInfo {
	t.Helper()
	r := slipway(t, nil, "disk", "inspect", img, "--json")
	if r.code != 0 {
		t.Fatalf("disk inspect: exit %d\n%s", r.code, r.stderr)
	}
	var info diskInfo
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil {
		t.Fatalf("disk inspect --json: %v\n%s", err, r.stdout)
	}
	return info
}
