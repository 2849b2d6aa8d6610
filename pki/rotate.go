package pki

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// RotationFile records a CA rotation in progress, relative to the PKI dir.
const RotationFile = "rotation.json"

// ErrRotationOrder is returned when a rotation phase is not the next one.
var ErrRotationOrder = errors.New("rotation phases run in order 1, 2, 3")

// rotation is the content of RotationFile.
type rotation struct {
	Phase int      `json:"phase"`
	CAs   []string `json:"cas"`
}

// Rotate runs one phase of a CA rotation; each CA that has its key
// rotates (an external ca refuses). Phase 1 generates a new CA of each
// kind, keeps the old one as <base>.old.crt/.old.key, makes <base>.crt the
// trust bundle new+old and points every kubeconfig at that bundle; leaves
// are unchanged and still valid. Phase 2 reissues every leaf and
// kubeconfig with the new CAs (the bundle stays new+old). Phase 3 removes
// the old CAs from the bundles and kubeconfigs and deletes the .old files
// and RotationFile. Deploy the directory to the nodes between phases.
func Rotate(ctx context.Context, dir string, cfg Config, phase int, opts ...Option) (*Result, error) {
	r, o, err := prepare(cfg, opts)
	if err != nil {
		return nil, err
	}
	state, err := loadRotation(dir)
	if err != nil {
		return nil, err
	}
	if phase != state.Phase+1 || phase > 3 {
		return nil, fmt.Errorf("rotating phase %d after phase %d: %w", phase, state.Phase, ErrRotationOrder)
	}
	cas, err := loadAuthorities(dir)
	if err != nil {
		return nil, err
	}
	is := &issuer{r: r, cas: cas, now: o.now(), st: newStage()}
	switch phase {
	case 1:
		err = is.rotateStart(ctx, dir, o.workers, state)
	case 2:
		err = is.rotateLeaves(ctx, o.workers, state)
	case 3:
		err = is.rotateFinish(dir, state)
	}
	if err != nil {
		return nil, fmt.Errorf("rotating phase %d: %w", phase, err)
	}
	if err := is.st.commit(ctx, dir, o.workers); err != nil {
		return nil, err
	}
	res := &Result{Dir: dir}
	res.finish(cas, is.st)
	return res, nil
}

func loadRotation(dir string) (*rotation, error) {
	data, err := readOptional(dir, RotationFile)
	if err != nil || data == nil {
		return &rotation{}, err
	}
	var st rotation
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", RotationFile, err)
	}
	return &st, nil
}

func (is *issuer) stageRotation(st *rotation) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", RotationFile, err)
	}
	is.st.put(RotationFile, append(data, '\n'), modeCert)
	return nil
}

// rotateStart is phase 1.
func (is *issuer) rotateStart(ctx context.Context, dir string, workers int, st *rotation) error {
	if a := is.cas[CAKubernetes]; a == nil || a.external() {
		return errors.New("ca is absent or external: only its owner can rotate it")
	}
	var olds []*authority
	for _, spec := range caTable {
		a := is.cas[spec.Name]
		if a == nil || a.external() {
			continue
		}
		if len(a.bundle) > 1 {
			return fmt.Errorf("%s.crt already holds %d certificates", spec.Base, len(a.bundle))
		}
		olds = append(olds, a)
		st.CAs = append(st.CAs, spec.Name)
	}
	fresh := make([]*authority, len(olds))
	jobs := make([]func(context.Context) error, len(olds))
	for i, old := range olds {
		jobs[i] = func(ctx context.Context) (err error) {
			fresh[i], err = generateAuthority(ctx, old.spec, is.r.KeyAlgorithm, is.now, is.r.CAValidity)
			return err
		}
	}
	if err := parallel(ctx, workers, jobs); err != nil {
		return err
	}
	for i, old := range olds {
		if err := is.stageSuccession(old, fresh[i]); err != nil {
			return err
		}
	}
	st.Phase = 1
	if err := is.restageKubeconfigCAs(dir); err != nil {
		return err
	}
	return is.stageRotation(st)
}

// stageSuccession keeps old as <base>.old.* and makes next the signer with
// the bundle next+old.
func (is *issuer) stageSuccession(old, next *authority) error {
	oldKey, err := encodeKey(old.key)
	if err != nil {
		return err
	}
	is.st.put(old.spec.Base+".old.crt", encodeCerts(old.cert), modeCert)
	is.st.put(old.spec.Base+".old.key", oldKey, modeKey)
	next.bundle = []*x509.Certificate{next.cert, old.cert}
	is.cas[old.spec.Name] = next
	return stageAuthority(is.st, next)
}

// rotateLeaves is phase 2.
func (is *issuer) rotateLeaves(ctx context.Context, workers int, st *rotation) error {
	var ts []target
	for _, t := range is.r.targets() {
		if slices.Contains(st.CAs, t.spec.CA) {
			ts = append(ts, t)
		}
	}
	if err := requireSigners(is.cas, ts); err != nil {
		return err
	}
	if err := is.issueAll(ctx, workers, ts); err != nil {
		return err
	}
	st.Phase = 2
	return is.stageRotation(st)
}

// rotateFinish is phase 3.
func (is *issuer) rotateFinish(dir string, st *rotation) error {
	for _, name := range st.CAs {
		a := is.cas[name]
		if a == nil || a.external() {
			return fmt.Errorf("%s: absent or without key", name)
		}
		a.bundle = []*x509.Certificate{a.cert}
		is.st.put(a.spec.Base+".crt", a.bundlePEM(), modeCert)
		is.st.remove(a.spec.Base + ".old.crt")
		is.st.remove(a.spec.Base + ".old.key")
	}
	is.st.remove(RotationFile)
	return is.restageKubeconfigCAs(dir)
}

// restageKubeconfigCAs rewrites the CA data of every existing kubeconfig
// to the current ca bundle, keeping its client certificate.
func (is *issuer) restageKubeconfigCAs(dir string) error {
	bundle := is.cas[CAKubernetes].bundlePEM()
	for _, t := range is.r.targets() {
		if !t.isKubeconfig() {
			continue
		}
		data, err := readOptional(dir, t.base())
		if err != nil {
			return err
		}
		if data == nil {
			continue
		}
		kc, err := parseKubeconfig(data)
		if err != nil {
			return fmt.Errorf("%s: %w", t.base(), err)
		}
		kc.setCA(bundle)
		out, err := kc.marshal()
		if err != nil {
			return err
		}
		is.st.put(t.base(), out, modeKey)
	}
	return nil
}
