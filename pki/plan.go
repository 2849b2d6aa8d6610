package pki

import (
	"errors"
	"fmt"
	"slices"
)

// planLeaves sorts every target into kept or missing. Absent leaves of an
// external CA make a *MissingFilesError; invalid present leaves are
// errors naming each file.
func (is *issuer) planLeaves(dir string, res *Result) ([]target, error) {
	var missing []target
	var absent []string
	var errs []error
	for _, t := range is.r.targets() {
		files, err := is.inspect(dir, t)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w (renew it)", t.base(), err))
		case len(files) == 0:
			res.Kept = append(res.Kept, t.files()...)
		case is.cas[t.spec.CA].external():
			absent = append(absent, files...)
		default:
			missing = append(missing, t)
		}
	}
	if len(errs) > 0 {
		return nil, joinErrs(errs)
	}
	if len(absent) > 0 {
		slices.Sort(absent)
		return nil, &MissingFilesError{Files: absent}
	}
	return missing, nil
}

// inspect returns the files of t that are absent, or an error when t is
// present but unusable.
func (is *issuer) inspect(dir string, t target) ([]string, error) {
	if t.isKubeconfig() {
		return is.inspectKubeconfig(dir, t)
	}
	crt, err := readOptional(dir, t.base()+".crt")
	if err != nil {
		return nil, err
	}
	keyPEM, err := readOptional(dir, t.base()+".key")
	if err != nil {
		return nil, err
	}
	var absent []string
	if crt == nil {
		absent = append(absent, t.base()+".crt")
	}
	if keyPEM == nil {
		absent = append(absent, t.base()+".key")
	}
	if len(absent) > 0 {
		return absent, nil
	}
	certs, err := parseCerts(crt)
	if err != nil {
		return nil, fmt.Errorf("parsing certificate: %w", err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("parsing key: %w", err)
	}
	return nil, is.verifyLeaf(t, certs[0], keyMatches(key, certs[0]))
}

func (is *issuer) inspectKubeconfig(dir string, t target) ([]string, error) {
	data, err := readOptional(dir, t.base())
	if err != nil || data == nil {
		return []string{t.base()}, err
	}
	kc, err := parseKubeconfig(data)
	if err != nil {
		return nil, err
	}
	if err := is.checkKubeconfigTarget(t, kc); err != nil {
		return nil, err
	}
	cert, key, err := kc.client()
	if err != nil {
		return nil, err
	}
	return nil, is.verifyLeaf(t, cert, keyMatches(key, cert))
}

// checkKubeconfigTarget compares a kubeconfig's server and CA data with
// what Init would write, as kubeadm's validateKubeConfig.
func (is *issuer) checkKubeconfigTarget(t target, kc *kubeconfig) error {
	server := is.r.server(t)
	if got := kc.Clusters[0].Cluster.Server; got != server {
		return fmt.Errorf("server is %s, want %s", got, server)
	}
	if kc.Clusters[0].Cluster.CertificateAuthorityData != b64.EncodeToString(is.cas[CAKubernetes].bundlePEM()) {
		return errors.New("certificate-authority-data is not ca.crt")
	}
	return nil
}
