package agent

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/slipway-dev/slipway/internal/progress"
	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/boot"
	"github.com/slipway-dev/slipway/node/early"
)

// Paths of a live node.
const (
	ESPMount     = "/efi"
	StateDir     = "/var/lib/slipway"
	ManifestsDir = "/etc/kubernetes/manifests"
	PKIDir       = "/etc/kubernetes/pki"
	OSRelease    = "/usr/lib/os-release"
)

// Node is one node disk and what the agent knows of the node around it.
type Node struct {
	Dev ab.Device
	// Booted is the slot that booted ("a" or "b").
	Booted string
	// Arch is the node's architecture (GOARCH names).
	Arch string
	// Live is set when the agent runs on the node itself: it may reboot,
	// snapshot etcd, swap manifests and record results on STATE.
	Live bool
	// Root prefixes the live node's paths (StateDir, ManifestsDir, ...);
	// "" is /. Tests point it at a directory.
	Root string
	// Log receives what the agent does, one line per step.
	Log io.Writer
	// Progress shows the slot write.
	Progress progress.Reporter
	// Reboot reboots the node (live only).
	Reboot func() error
	// EtcdEndpoint is the local etcd member's client URL; "" is
	// https://127.0.0.1:2379.
	EtcdEndpoint string
}

func (n *Node) path(p string) string { return filepath.Join(n.Root, p) }

func (n *Node) logf(format string, args ...any) {
	if n.Log != nil {
		fmt.Fprintf(n.Log, format+"\n", args...)
	}
}

// OpenLive opens the node the agent runs on: the ESP mounted at /efi,
// the slots found by their partition labels, the booted slot from the
// kernel command line that slipway-init mounted.
func OpenLive() (*Node, error) {
	cmdline, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return nil, err
	}
	booted := boot.SlotFromCmdline(string(cmdline))
	if booted == "" {
		return nil, fmt.Errorf("this system was not booted from a slipway slot (no %s on the kernel command line)", boot.SlotParam)
	}
	parts, err := early.ScanPartitions(early.SysBlock)
	if err != nil {
		return nil, err
	}
	slots := map[string]string{}
	for _, s := range []string{boot.SlotA, boot.SlotB} {
		if slots[s], err = parts.Device(boot.SlotLabel(s)); err != nil {
			return nil, err
		}
	}
	if err := checkMounted(ESPMount); err != nil {
		return nil, err
	}
	return &Node{
		Dev: &ab.Live{ESP: ESPMount, Slots: slots}, Booted: booted, Arch: runtime.GOARCH, Live: true,
		Log: os.Stderr, Progress: progress.New(os.Stderr),
		Reboot: func() error { return runCmd("systemctl", "reboot", "--no-block") },
	}, nil
}

// checkMounted fails unless dir is a mount point (the ESP must be there,
// or writes would land on the root's overlay).
func checkMounted(dir string) error {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) > 4 && fields[4] == dir {
			return nil
		}
	}
	return fmt.Errorf("the ESP is not mounted at %s (fstab mounts PARTLABEL=%s there)", dir, boot.LabelESP)
}

// OSVersions are the booted OS's version and Kubernetes version, from
// os-release (IMAGE_VERSION, SLIPWAY_KUBERNETES_VERSION).
func (n *Node) OSVersions() (osVersion, kubeVersion string) {
	b, err := os.ReadFile(n.path(OSRelease))
	if err != nil {
		return "", ""
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		k, v, _ := strings.Cut(string(line), "=")
		v = strings.Trim(v, `"`)
		switch k {
		case "IMAGE_VERSION":
			osVersion = v
		case "SLIPWAY_KUBERNETES_VERSION":
			kubeVersion = v
		}
	}
	return osVersion, kubeVersion
}
