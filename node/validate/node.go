package validate

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/node/ab"
	"github.com/slipway-dev/slipway/node/agent"
	"github.com/slipway-dev/slipway/node/boot"
	"github.com/slipway-dev/slipway/node/health"
)

// ExpiryWarning is how close to expiry a certificate fails validate node.
const ExpiryWarning = 30 * 24 * time.Hour

// Node checks one node: its disk (both slots reachable, loader.conf, the
// booted and default entries, every entry bootable), and on a live node
// its health gate's last result, the PKI's expiry and the static-pod
// manifests. now is the time certificates are judged at.
func Node(n *agent.Node, now time.Time) *Report {
	r := &Report{Level: "node"}
	for _, s := range []string{boot.SlotA, boot.SlotB} {
		dev, err := n.Dev.Slot(s)
		detail := ""
		if err == nil {
			detail = fmt.Sprintf("%d MiB", dev.Size()>>20)
			dev.Close()
		}
		r.add("layout: slot "+s, err, detail)
	}
	d, err := ab.ReadDisk(n.Dev)
	r.add("layout: ESP boot entries", err, fmt.Sprintf("%d entries", len(d.Entries)))
	if err != nil {
		return r
	}
	r.add("boot: loader.conf default", loaderDefault(d), d.Loader.Default)
	st, err := n.Status()
	if err != nil {
		r.add("slots: status", err, "")
		return r
	}
	checkSlots(r, st)
	if !n.Live {
		r.skip("health gate", "offline: results live on the node's STATE")
		r.skip("pki: expiry", "offline")
		r.skip("manifests", "offline")
		return r
	}
	checkHealth(r, st.LastHealth)
	checkPKI(r, n.Root, now)
	checkManifests(r, n.Root)
	return r
}

func loaderDefault(d ab.Disk) error {
	if !strings.HasPrefix(d.Loader.Default, "slipway-") {
		return fmt.Errorf("default %q does not pick slipway's entries (slipway-*)", d.Loader.Default)
	}
	return nil
}

func checkSlots(r *Report, st *agent.Status) {
	for _, s := range st.Slots {
		var err error
		switch {
		case s.Booted && s.State != agent.SlotGood && s.State != agent.SlotTrying:
			err = fmt.Errorf("booted slot %s is %s", s.Slot, s.State)
		case s.State == agent.SlotUnbootable:
			err = fmt.Errorf("entry %s names a kernel or initrd that is missing", s.Entry)
		}
		detail := fmt.Sprintf("%s %s", s.State, s.Version)
		if s.State == agent.SlotBad {
			// The node fell back from it: it runs, but say why.
			detail += ": " + s.Reason
		}
		if s.Booted {
			detail += ", booted"
		}
		if s.Default {
			detail += ", default"
		}
		r.add("slots: "+s.Slot, err, strings.TrimSpace(detail))
	}
	if st.Default == "" {
		r.add("boot: default entry", errors.New("nothing on the ESP is bootable"), "")
	}
}

func checkHealth(r *Report, h *health.Result) {
	switch {
	case h == nil:
		r.add("health gate", errors.New("no result recorded (slipway-health.service did not run)"), "")
	case !h.Passed:
		var failed []string
		for _, c := range h.Checks {
			if !c.Passed {
				failed = append(failed, c.Kind+" "+c.Name+": "+c.Detail)
			}
		}
		r.add("health gate", fmt.Errorf("failed on %s: %s", h.Version, strings.Join(failed, "; ")), "")
	default:
		r.add("health gate", nil, fmt.Sprintf("passed on %s at %s", h.Version, h.Time.UTC().Format(time.RFC3339)))
	}
}

// checkPKI fails on a certificate in /etc/kubernetes/pki that expires
// within ExpiryWarning (or has expired).
func checkPKI(r *Report, root string, now time.Time) {
	dir := filepath.Join(root, agent.PKIDir)
	var certs []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".crt") {
			certs = append(certs, p)
		}
		return nil
	})
	if len(certs) == 0 {
		r.skip("pki: expiry", "no certificates in "+agent.PKIDir)
		return
	}
	sort.Strings(certs)
	var soonest time.Time
	var problems []string
	for _, p := range certs {
		b, err := os.ReadFile(p)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		for rest := b; ; {
			var blk *pem.Block
			if blk, rest = pem.Decode(rest); blk == nil {
				break
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", p, err))
				continue
			}
			rel, _ := filepath.Rel(dir, p)
			if c.NotAfter.Sub(now) < ExpiryWarning {
				problems = append(problems, fmt.Sprintf("%s expires %s", rel, c.NotAfter.UTC().Format("2006-01-02")))
			}
			if soonest.IsZero() || c.NotAfter.Before(soonest) {
				soonest = c.NotAfter
			}
		}
	}
	var err error
	if len(problems) > 0 {
		err = fmt.Errorf("%s (renew with slipway pki renew)", strings.Join(problems, "; "))
	}
	r.add("pki: expiry", err, fmt.Sprintf("%d certificates, the first expires %s", len(certs), soonest.UTC().Format("2006-01-02")))
}

// checkManifests parses every static-pod manifest as a Pod.
func checkManifests(r *Report, root string) {
	dir := filepath.Join(root, agent.ManifestsDir)
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) == 0 {
		r.skip("manifests", "no static pods (a worker)")
		return
	}
	var names, problems []string
	for _, e := range ents {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		var head struct {
			APIVersion, Kind string
			Metadata         struct{ Name string }
		}
		if err == nil {
			err = yaml.Unmarshal(b, &head)
		}
		if err == nil && (head.Kind != "Pod" || head.Metadata.Name == "") {
			err = fmt.Errorf("not a named Pod")
		}
		if err != nil {
			problems = append(problems, e.Name()+": "+err.Error())
			continue
		}
		names = append(names, head.Metadata.Name)
	}
	var ferr error
	if len(problems) > 0 {
		ferr = errors.New(strings.Join(problems, "; "))
	}
	r.add("manifests", ferr, strings.Join(names, " "))
}
