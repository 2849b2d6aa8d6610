package early

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// SysBlock is where the kernel lists block devices.
const SysBlock = "/sys/class/block"

// Partitions maps PARTLABELs to the names of the devices carrying them
// ("vda2"), sorted. A label on several devices is ambiguous.
type Partitions map[string][]string

// ScanPartitions reads the uevent file of every device in sysBlock (in
// sysfs: SysBlock) and collects PARTNAME= (the GPT partition label) and
// DEVNAME=. Devices without a label are left out.
func ScanPartitions(sysBlock string) (Partitions, error) {
	entries, err := os.ReadDir(sysBlock)
	if err != nil {
		return nil, fmt.Errorf("listing block devices: %w", err)
	}
	p := Partitions{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(sysBlock, e.Name(), "uevent"))
		if err != nil {
			continue // removed while scanning, or not a device
		}
		dev, label := ueventNames(data)
		if label != "" && dev != "" {
			p[label] = append(p[label], dev)
		}
	}
	for _, devs := range p {
		sort.Strings(devs)
	}
	return p, nil
}

func ueventNames(data []byte) (dev, label string) {
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		k, v, _ := strings.Cut(s.Text(), "=")
		switch k {
		case "DEVNAME":
			dev = v
		case "PARTNAME":
			label = v
		}
	}
	return dev, label
}

// Device returns /dev/NAME of the one partition labelled label.
func (p Partitions) Device(label string) (string, error) {
	switch devs := p[label]; len(devs) {
	case 0:
		return "", fmt.Errorf("no partition labelled %s", label)
	case 1:
		return "/dev/" + devs[0], nil
	default:
		return "", fmt.Errorf("PARTLABEL %s is on several devices (%s): remove the other disks", label, strings.Join(devs, ", "))
	}
}

// String lists label=device pairs, sorted by label.
func (p Partitions) String() string {
	var out []string
	for label, devs := range p {
		out = append(out, label+"="+strings.Join(devs, ","))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// WaitPartitions scans sysBlock until every label in need names exactly
// one device, or timeout passes (virtio and USB disks are probed
// asynchronously). The error names what is missing and what was found.
func WaitPartitions(ctx context.Context, sysBlock string, need []string, timeout time.Duration) (Partitions, error) {
	deadline := time.Now().Add(timeout)
	for {
		p, err := ScanPartitions(sysBlock)
		if err != nil {
			return nil, err
		}
		missing := missingLabels(p, need)
		if len(missing) == 0 {
			return p, nil
		}
		if time.Now().After(deadline) {
			return p, fmt.Errorf("after %s: %s (found: %s)", timeout, strings.Join(missing, "; "), orNone(p.String()))
		}
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func missingLabels(p Partitions, need []string) []string {
	var missing []string
	for _, l := range need {
		if _, err := p.Device(l); err != nil {
			missing = append(missing, err.Error())
		}
	}
	return missing
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
