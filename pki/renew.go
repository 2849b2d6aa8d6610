package pki

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Renew reissues leaves and kubeconfigs with new keys, signed by the CAs
// already in dir (which are not changed). names selects what is renewed;
// empty (or "all") means everything. A name is a kubeadm name, renewed on
// every node it applies to ("apiserver", "etcd-server", "admin.conf",
// "kubelet.conf"), or one file's path relative to dir with or without its
// extension ("nodes/cp1/apiserver", "nodes/w1/kubelet.conf"). Leaves of
// an external CA cannot be renewed.
func Renew(ctx context.Context, dir string, cfg Config, names []string, opts ...Option) (*Result, error) {
	r, o, err := prepare(cfg, opts)
	if err != nil {
		return nil, err
	}
	ts, err := selectTargets(r.targets(), names)
	if err != nil {
		return nil, err
	}
	cas, err := loadAuthorities(dir)
	if err != nil {
		return nil, err
	}
	if err := requireSigners(cas, ts); err != nil {
		return nil, err
	}
	is := &issuer{r: r, cas: cas, now: o.now(), st: newStage()}
	if err := is.issueAll(ctx, o.workers, ts); err != nil {
		return nil, err
	}
	if err := is.st.commit(ctx, dir, o.workers); err != nil {
		return nil, err
	}
	res := &Result{Dir: dir}
	res.finish(cas, is.st)
	return res, nil
}

// selectTargets returns the targets names select, in table order.
func selectTargets(all []target, names []string) ([]target, error) {
	if len(names) == 0 || slices.Contains(names, "all") {
		return all, nil
	}
	used := map[string]bool{}
	var out []target
	for _, t := range all {
		for _, n := range names {
			if matches(t, n) {
				used[n] = true
				out = append(out, t)
				break
			}
		}
	}
	var unknown []string
	for _, n := range names {
		if !used[n] {
			unknown = append(unknown, fmt.Sprintf("%q", n))
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("selecting certificates: unknown name(s) %s", strings.Join(unknown, ", "))
	}
	return out, nil
}

func matches(t target, name string) bool {
	return name == t.spec.Name || name == t.base() || slices.Contains(t.files(), name)
}

// requireSigners checks that every target's CA is present with its key.
func requireSigners(cas map[string]*authority, ts []target) error {
	var errs []error
	seen := map[string]bool{}
	for _, t := range ts {
		name := t.spec.CA
		if seen[name] {
			continue
		}
		seen[name] = true
		switch a := cas[name]; {
		case a == nil:
			errs = append(errs, fmt.Errorf("%s: absent (run init first)", name))
		case a.external():
			errs = append(errs, fmt.Errorf("%s: external (no key), its leaves are supplied by its owner", name))
		}
	}
	return joinErrs(errs)
}
