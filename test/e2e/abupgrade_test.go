package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-dev/slipway/internal/testregistry"
)

// scenarioButane drives the A/B scenario from inside the guest: a unit
// that counts every boot before the health gate, and one that runs after
// the gate and does the next step for the version that booted. It reports on the console (E2E
// lines) and keeps its records on STATE (/var/lib/e2e), where the test
// reads them after power-off. The guest reaches the registry only
// through the restricted forward at 10.0.2.100.
const scenarioButane = `variant: fcos
version: 1.4.0
storage:
  files:
    - path: /etc/systemd/network/10-e2e.network
      contents:
        inline: |
          [Match]
          Name=en*
          [Network]
          Address=10.0.2.15/24
    - path: /etc/slipway-e2e-count.sh
      mode: 0755
      contents:
        inline: |
          #!/bin/sh
          # Every boot, before the health gate (which may reboot at once).
          S=/var/lib/e2e
          mkdir -p $S
          n=$(( $(cat $S/boots 2>/dev/null || echo 0) + 1 )); echo $n > $S/boots
          . /usr/lib/os-release
          slot=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^slipway.slot=//p')
          echo "E2E boot=$n version=$IMAGE_VERSION slot=$slot" > /dev/console
          sync
    - path: /etc/slipway-e2e.sh
      mode: 0755
      contents:
        inline: |
          #!/bin/sh
          S=/var/lib/e2e
          . /usr/lib/os-release
          say() { echo "E2E $*" > /dev/console; echo "$*" >> $S/log; sync; }
          upgrade() {
            for try in 1 2 3; do
              timeout 600 slipway-node upgrade --payload @REGISTRY@/e2e/payload:$1 --insecure --skip-etcd-snapshot 2>&1 |
                tee $S/upgrade-$1.txt > /dev/console
              grep -q "installed $1" $S/upgrade-$1.txt && break
              ip -br addr > /dev/console 2>&1
              sleep 5
            done
            grep -q "installed $1" $S/upgrade-$1.txt || { say "upgrade to $1 failed"; systemctl poweroff; exit 1; }
            say "upgraded to $1"
            sync; systemctl reboot
          }
          case "$IMAGE_VERSION" in
          1.0.0)
            cat $S/boots > $S/written-on-1.0.0
            upgrade 2.0.0 ;;
          2.0.0)
            if [ ! -e $S/upgrade-3.0.0.txt ]; then
              # systemd-bless-boot blesses the entry once the gate passed.
              for i in $(seq 120); do [ -e /efi/loader/entries/slipway-b.conf ] && break; sleep 1; done
              slipway-node status --json > $S/status-2.0.0.json 2>/dev/null
              say "blessed=$(test -e /efi/loader/entries/slipway-b.conf && echo yes || echo no)"
              upgrade 3.0.0
            else
              slipway-node status --json > $S/status-final.json 2>/dev/null
              slipway-node status > /dev/console 2>&1
              slipway-node validate --json > $S/validate.json 2>/dev/null; echo $? > $S/validate.exit
              slipway-node validate > /dev/console 2>&1
              # The destructive level on this test node: drills with 3.0.0
              # into slot a (rows on the console as they end).
              start=$(date +%s)
              { slipway-node validate --destructive --payload @REGISTRY@/e2e/payload:3.0.0 --insecure --json 2>&1 >$S/drill.json
                echo $? > $S/drill.exit; } | tee $S/drill.log > /dev/console
              say "drills took $(( $(date +%s) - start ))s"
              say "done=yes"
              sync; systemctl poweroff
            fi ;;
          *)
            say "waiting for the health gate" ;;
          esac
systemd:
  units:
    - name: systemd-networkd.service
      enabled: true
    - name: slipway-e2e-count.service
      enabled: true
      contents: |
        [Unit]
        Description=slipway e2e boot counter
        Before=slipway-health.service
        [Service]
        Type=oneshot
        ExecStart=/etc/slipway-e2e-count.sh
        [Install]
        WantedBy=multi-user.target
    - name: slipway-e2e.service
      enabled: true
      contents: |
        [Unit]
        Description=slipway e2e A/B scenario
        After=multi-user.target slipway-health.service systemd-networkd.service containerd.service
        [Service]
        Type=oneshot
        TimeoutStartSec=infinity
        ExecStart=/etc/slipway-e2e.sh
        StandardOutput=journal+console
        StandardError=journal+console
        [Install]
        WantedBy=multi-user.target
`

// derivedRelease writes the release of a version derived from the e2e
// node OS tree with a few changes (DESIGN.md "Test economy": no fresh
// mmdebstrap), and returns its spec.
func derivedRelease(t *testing.T, f *nodeOS, version string, change func(tree string)) string {
	t.Helper()
	dir := filepath.Join(tmpRoot, "ab-"+version)
	tree := filepath.Join(dir, "tree")
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, "cp", "-a", f.rootfs, tree); r.code != 0 {
		t.Fatalf("copying the node OS tree: %s", r.stderr)
	}
	change(tree)
	spec := filepath.Join(dir, "release.yaml")
	b, err := os.ReadFile(f.spec)
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(b), "    version: 1.0.0\n", fmt.Sprintf("    version: %s\n    rootfs: {directory: %s}\n", version, tree), 1)
	if doc == string(b) {
		t.Fatal("the e2e release has no os.version 1.0.0 line to derive from")
	}
	if err := os.WriteFile(spec, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return spec
}

func writeTreeFile(t *testing.T, tree, rel, content string) {
	t.Helper()
	p := filepath.Join(tree, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildPayloadLayout builds the payload of a release into an OCI layout.
func buildPayloadLayout(t *testing.T, f *nodeOS, spec, version string) string {
	t.Helper()
	out := filepath.Join(filepath.Dir(spec), "payload")
	start := time.Now()
	r := slipway(t, []string{"SOURCE_DATE_EPOCH=1700000000"}, "payload", "build", "-f", spec, "-o", out, "--cache-dir", f.cache)
	if r.code != 0 {
		t.Fatalf("payload build %s: exit %d\n%s", version, r.code, tail(r.stderr))
	}
	t.Logf("payload build %s: %s", version, time.Since(start).Round(time.Second))
	return filepath.Join(out, "e2e-"+version+"-amd64")
}

// pushPayload pushes a payload layout to registry/e2e/payload:version.
func pushPayload(t *testing.T, layout, version, registry string) {
	t.Helper()
	if r := slipway(t, nil, "payload", "push", "--from", layout, registry+"/e2e/payload:"+version); r.code != 0 {
		t.Fatalf("payload push %s: exit %d\n%s", version, r.code, tail(r.stderr))
	}
}

func linkTree(t *testing.T, tree, target, rel string) {
	t.Helper()
	p := filepath.Join(tree, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}

// nodeStatus is what slipway-node status --json reports.
type nodeStatus struct {
	Booted  string
	Default string
	Slots   []struct {
		Slot, Version, State, Entry, Reason string
		Booted, Default                     bool
	}
	LastHealth *struct {
		Passed  bool
		Version string
	}
}

func (s nodeStatus) slot(name string) (v, state, reason string) {
	for _, sl := range s.Slots {
		if sl.Slot == name {
			return sl.Version, sl.State, sl.Reason
		}
	}
	return "", "", ""
}

// TestABUpgradeAndRollback is the scenario in one QEMU machine
// (TCG) that reboots by itself: v1 boots from slot a and upgrades to v2
// from Debian's docker-registry on the host (reached only through the
// restricted forward); v2 boots from slot b, passes the health gate
// (containerd active, a real unit), systemd-bless-boot blesses it; it
// upgrades to v3, whose image ships a check on a unit that fails; v3 is
// tried until its 3 tries are spent, the gate marks it bad and the node
// is back on v2 by itself; status says why. Files on STATE survive every
// step, and the disk image, read offline afterwards, agrees.
func TestABUpgradeAndRollback(t *testing.T) {
	f := theNodeOS(t)
	needTools(t, "debugfs", "docker-registry")
	registry := testregistry.Start(t)
	_, port, _ := strings.Cut(registry, ":")
	var fwd int
	fmt.Sscan(port, &fwd)

	layouts := abPayloads(t, f)
	for v, l := range layouts {
		pushPayload(t, l, v, registry)
	}

	ign := scenarioIgnition(t, strings.ReplaceAll(scenarioButane, "@REGISTRY@", fmt.Sprintf("%s:%d", guestForwardAddr, fwd)))
	img := copyImage(t, f.image)
	m := newMachine(t, img)
	console := m.run(t, runOptions{fwcfg: ign, deadline: 25 * time.Minute, reboots: true, forward: fwd})

	var boots []string
	for _, line := range strings.Split(console, "\n") {
		if i := strings.Index(line, "E2E boot="); i >= 0 {
			boots = append(boots, strings.TrimSpace(strings.TrimRight(line[i+4:], "\r")))
		}
	}
	want := []string{
		"boot=1 version=1.0.0 slot=a", "boot=2 version=2.0.0 slot=b",
		"boot=3 version=3.0.0 slot=a", "boot=4 version=3.0.0 slot=a", "boot=5 version=3.0.0 slot=a",
		"boot=6 version=2.0.0 slot=b",
	}
	if strings.Join(boots, " | ") != strings.Join(want, " | ") {
		t.Errorf("boots:\n got %s\nwant %s", strings.Join(boots, " | "), strings.Join(want, " | "))
	}
	for _, s := range []string{"E2E blessed=yes", "E2E upgraded to 2.0.0", "E2E upgraded to 3.0.0", "E2E done=yes",
		"health gate: 3.0.0 on slot a is unhealthy with 2 tries left", "health gate: 3.0.0 on slot a is unhealthy on its last try"} {
		if !strings.Contains(console, s) {
			t.Errorf("the console lacks %q", s)
		}
	}

	// STATE kept every boot's files.
	if got := strings.TrimSpace(stateFile(t, img, "/lib/e2e/boots")); got != "6" {
		t.Errorf("boot counter on STATE = %q, want 6", got)
	}
	if got := strings.TrimSpace(stateFile(t, img, "/lib/e2e/written-on-1.0.0")); got != "1" {
		t.Errorf("the file written on 1.0.0 = %q", got)
	}
	var mid, final nodeStatus
	for p, st := range map[string]*nodeStatus{"/lib/e2e/status-2.0.0.json": &mid, "/lib/e2e/status-final.json": &final} {
		if err := json.Unmarshal([]byte(stateFile(t, img, p)), st); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	if v, state, _ := mid.slot("b"); mid.Booted != "b" || v != "2.0.0" || state != "good" || mid.LastHealth == nil || !mid.LastHealth.Passed {
		t.Errorf("status on 2.0.0 after the gate: %+v", mid)
	}
	vb, sb, _ := final.slot("b")
	va, sa, reason := final.slot("a")
	if final.Booted != "b" || final.Default != "b" || vb != "2.0.0" || sb != "good" || va != "3.0.0" || sa != "bad" {
		t.Errorf("final status: %+v", final)
	}
	if !strings.Contains(reason, "slipway-e2e-broken.service") || !strings.Contains(reason, "3 of its 3 tries") {
		t.Errorf("status does not say why 3.0.0 was abandoned: %q", reason)
	}

	// slipway-node validate on the node after the fallback: every check
	// passes (slot a is bad, and says why, but the node runs from b).
	var val struct {
		Checks []struct{ Name, Result, Detail string }
	}
	if err := json.Unmarshal([]byte(stateFile(t, img, "/lib/e2e/validate.json")), &val); err != nil {
		t.Fatalf("validate.json: %v", err)
	}
	names := map[string]string{}
	for _, c := range val.Checks {
		names[c.Name] = c.Result + " " + c.Detail
		if c.Result == "FAIL" {
			t.Errorf("slipway-node validate on the node: %s: %s", c.Name, c.Detail)
		}
	}
	for _, n := range []string{"layout: slot a", "slots: b", "health gate", "pki: expiry", "manifests"} {
		if !strings.HasPrefix(names[n], "pass") {
			t.Errorf("validate %s: %q, want pass", n, names[n])
		}
	}
	if !strings.Contains(names["manifests"], "kube-apiserver") || !strings.Contains(names["slots: a"], "slipway-e2e-broken.service") {
		t.Errorf("validate details: manifests %q, slot a %q", names["manifests"], names["slots: a"])
	}
	checkDrillsOnNode(t, img, console)
	if r := slipway(t, nil, "validate", "node", "--disk", img, "--booted", "b"); r.code != 0 || !strings.Contains(r.stdout, "validate node: pass") {
		t.Errorf("slipway validate node --disk: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The same disk, offline, through slipway node.
	r := slipway(t, nil, "node", "status", "--disk", img, "--booted", "b", "--json")
	var offline nodeStatus
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &offline) != nil {
		t.Fatalf("slipway node status --disk: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, sa, _ := offline.slot("a"); offline.Default != "b" || sa != "bad" {
		t.Errorf("offline status: %+v", offline)
	}
}

// checkDrillsOnNode: slipway-node validate --destructive ran on the
// node after the fallback, with the 3.0.0 payload from the registry,
// and every drill passed (slot a overwritten again and again, slot b
// still booted).
func checkDrillsOnNode(t *testing.T, img, console string) {
	t.Helper()
	if got := strings.TrimSpace(stateFile(t, img, "/lib/e2e/drill.exit")); got != "0" {
		t.Errorf("slipway-node validate --destructive on the node: exit %q\n%s", got, stateFile(t, img, "/lib/e2e/drill.log"))
	}
	var reps []struct {
		Level  string
		Checks []struct{ Name, Result, Detail string }
	}
	if err := json.Unmarshal([]byte(stateFile(t, img, "/lib/e2e/drill.json")), &reps); err != nil || len(reps) != 2 || reps[1].Level != "destructive" {
		t.Fatalf("drill.json: %v, %d reports", err, len(reps))
	}
	passed := 0
	for _, c := range reps[1].Checks {
		switch c.Result {
		case "pass":
			passed++
		case "FAIL":
			t.Errorf("drill on the node: %s: %s", c.Name, c.Detail)
		}
	}
	if passed != 14 {
		t.Errorf("%d drills passed on the node, want 14", passed)
	}
	if i := strings.Index(console, "E2E drills took "); i >= 0 {
		t.Logf("%s", strings.TrimSpace(strings.SplitN(console[i:], "\n", 2)[0]))
	}
}

// scenarioIgnition generates the control-plane node's Ignition config
// with butane merged in.
func scenarioIgnition(t *testing.T, butane string) string {
	t.Helper()
	dir := filepath.Join(tmpRoot, "ab-ign")
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cluster := qemuCluster(butane)
	spec := filepath.Join(dir, "cluster.yaml")
	if err := os.WriteFile(spec, []byte(cluster), 0o644); err != nil {
		t.Fatal(err)
	}
	r := slipway(t, nil, "ignition", "generate", "-f", spec, "--pki-dir", filepath.Join(dir, "pki"), "-o", filepath.Join(dir, "ign"))
	if r.code != 0 {
		t.Fatalf("ignition generate: exit %d\n%s", r.code, tail(r.stderr))
	}
	return filepath.Join(dir, "ign", "cp1.ign")
}

// stateFile reads a file from the powered-off image's STATE (debugfs;
// the path is relative to /var).
func stateFile(t *testing.T, img, path string) string {
	t.Helper()
	state := inspectDisk(t, img).Partitions[3]
	out, err := exec.Command("debugfs", "-R", "cat "+path, fmt.Sprintf("%s?offset=%d", img, state.Start)).Output()
	if err != nil {
		t.Fatalf("reading %s from STATE: %v", path, err)
	}
	return string(out)
}
