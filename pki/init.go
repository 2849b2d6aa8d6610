package pki

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Result tells what Init, Renew or Rotate did.
type Result struct {
	// Dir is the PKI directory.
	Dir string
	// ExternalCA is true when ca.crt is present without ca.key: the
	// controller manager cannot sign (run it without
	// --cluster-signing-cert-file/--cluster-signing-key-file), and every
	// leaf signed by the CA was supplied.
	ExternalCA bool
	// ExternalCAs names every CA used without its key (ca,
	// front-proxy-ca, etcd-ca), sorted.
	ExternalCAs []string
	// Written lists the files written, relative to Dir, sorted.
	Written []string
	// Kept lists existing files used as they were, relative to Dir, sorted.
	Kept []string
}

// MissingFilesError is returned when CAs are external and files they would
// have signed are absent.
type MissingFilesError struct {
	// Files are the absent paths relative to the PKI dir, sorted.
	Files []string
}

// Error lists the missing files.
func (e *MissingFilesError) Error() string {
	return fmt.Sprintf("external CA: %d file(s) must be supplied: %s", len(e.Files), strings.Join(e.Files, ", "))
}

// Init creates the PKI in dir for cfg: missing CAs, sa.key/sa.pub, leaves
// and kubeconfigs are generated; existing CAs are never regenerated and
// valid existing leaves are kept. An existing leaf that is invalid
// (expired, signed by another CA, key mismatch, SANs missing) is an error:
// Renew replaces it. Keys are generated in parallel; nothing is written
// unless the whole run succeeds.
func Init(ctx context.Context, dir string, cfg Config, opts ...Option) (*Result, error) {
	r, o, err := prepare(cfg, opts)
	if err != nil {
		return nil, err
	}
	cas, err := loadAuthorities(dir)
	if err != nil {
		return nil, err
	}
	if err := r.checkMode(cas); err != nil {
		return nil, err
	}
	is := &issuer{r: r, cas: cas, now: o.now(), st: newStage()}
	res := &Result{Dir: dir}
	if err := is.generateRoots(ctx, dir, o.workers, res); err != nil {
		return nil, err
	}
	missing, err := is.planLeaves(dir, res)
	if err != nil {
		return nil, err
	}
	if err := is.issueAll(ctx, o.workers, missing); err != nil {
		return nil, err
	}
	if err := is.st.commit(ctx, dir, o.workers); err != nil {
		return nil, err
	}
	res.finish(cas, is.st)
	return res, nil
}

func prepare(cfg Config, opts []Option) (*resolved, *options, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("applying options: %w", err)
	}
	r, err := cfg.resolve()
	if err != nil {
		return nil, nil, fmt.Errorf("validating pki config: %w", err)
	}
	return r, o, nil
}

// checkMode enforces Config.Mode against the CAs found.
func (r *resolved) checkMode(cas map[string]*authority) error {
	ca := cas[CAKubernetes]
	switch {
	case r.Mode == ModeBYOCA && (ca == nil || ca.external()):
		return errors.New("mode byo-ca: ca.crt and ca.key must be in the PKI directory")
	case r.Mode == ModeExternalCA && (ca == nil || !ca.external()):
		return errors.New("mode external-ca: ca.crt must be in the PKI directory without ca.key")
	case r.Mode == ModeGenerate || r.Mode == ModeAuto:
	}
	return nil
}

// generateRoots generates the absent CAs and service-account key pair in
// parallel and stages them.
func (is *issuer) generateRoots(ctx context.Context, dir string, workers int, res *Result) error {
	var jobs []func(context.Context) error
	fresh := make([]*authority, len(caTable))
	for i, spec := range caTable {
		if a := is.cas[spec.Name]; a != nil {
			res.Kept = append(res.Kept, spec.Base+".crt")
			if !a.external() {
				res.Kept = append(res.Kept, spec.Base+".key")
			}
			continue
		}
		jobs = append(jobs, func(ctx context.Context) (err error) {
			fresh[i], err = generateAuthority(ctx, spec, is.r.KeyAlgorithm, is.now, is.r.CAValidity)
			return err
		})
	}
	saJob, err := is.planServiceAccount(dir, res)
	if err != nil {
		return err
	}
	if saJob != nil {
		jobs = append(jobs, saJob)
	}
	if err := parallel(ctx, workers, jobs); err != nil {
		return err
	}
	for _, a := range fresh {
		if a != nil {
			is.cas[a.spec.Name] = a
			if err := stageAuthority(is.st, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// planServiceAccount keeps sa.key, derives a missing sa.pub from it, or
// returns a job generating both.
func (is *issuer) planServiceAccount(dir string, res *Result) (func(context.Context) error, error) {
	keyPEM, err := readOptional(dir, "sa.key")
	if err != nil {
		return nil, err
	}
	pubPEM, err := readOptional(dir, "sa.pub")
	if err != nil {
		return nil, err
	}
	if keyPEM == nil && pubPEM != nil {
		return nil, errors.New("sa.pub is present without sa.key")
	}
	if keyPEM == nil {
		return func(context.Context) error {
			key, err := newKey(is.r.KeyAlgorithm)
			if err != nil {
				return fmt.Errorf("generating sa.key: %w", err)
			}
			return stageServiceAccount(is.st, key)
		}, nil
	}
	res.Kept = append(res.Kept, "sa.key")
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("parsing sa.key: %w", err)
	}
	if pubPEM != nil {
		res.Kept = append(res.Kept, "sa.pub")
		return nil, nil
	}
	pub, err := encodePublic(key.Public())
	if err != nil {
		return nil, err
	}
	is.st.put("sa.pub", pub, modeCert)
	return nil, nil
}

func stageServiceAccount(st *stage, key crypto.Signer) error {
	keyPEM, err := encodeKey(key)
	if err != nil {
		return err
	}
	pub, err := encodePublic(key.Public())
	if err != nil {
		return err
	}
	st.put("sa.key", keyPEM, modeKey)
	st.put("sa.pub", pub, modeCert)
	return nil
}

// finish fills the sorted file lists of res.
func (res *Result) finish(cas map[string]*authority, st *stage) {
	res.Written = st.paths()
	slices.Sort(res.Kept)
	res.Kept = slices.Compact(res.Kept)
	for _, spec := range caTable {
		if a := cas[spec.Name]; a != nil && a.external() {
			res.ExternalCAs = append(res.ExternalCAs, spec.Name)
		}
	}
	slices.Sort(res.ExternalCAs)
	res.ExternalCA = slices.Contains(res.ExternalCAs, CAKubernetes)
}
