package pki

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// kubeconfig is the subset of clientcmd's v1 Config that kubeadm writes.
type kubeconfig struct {
	APIVersion     string         `yaml:"apiVersion"`
	Kind           string         `yaml:"kind"`
	Clusters       []namedCluster `yaml:"clusters"`
	Contexts       []namedContext `yaml:"contexts"`
	CurrentContext string         `yaml:"current-context"`
	Preferences    struct{}       `yaml:"preferences"`
	Users          []namedUser    `yaml:"users"`
}

type namedCluster struct {
	Cluster struct {
		CertificateAuthorityData string `yaml:"certificate-authority-data"`
		Server                   string `yaml:"server"`
	} `yaml:"cluster"`
	Name string `yaml:"name"`
}

type namedContext struct {
	Context struct {
		Cluster string `yaml:"cluster"`
		User    string `yaml:"user"`
	} `yaml:"context"`
	Name string `yaml:"name"`
}

type namedUser struct {
	Name string `yaml:"name"`
	User struct {
		ClientCertificateData string `yaml:"client-certificate-data"`
		ClientKeyData         string `yaml:"client-key-data"`
	} `yaml:"user"`
}

var b64 = base64.StdEncoding

// newKubeconfig builds a kubeconfig like kubeadm's: one cluster named
// cluster, one user named user, context "user@cluster".
func newKubeconfig(cluster, server, user string, caPEM, certPEM, keyPEM []byte) *kubeconfig {
	k := &kubeconfig{APIVersion: "v1", Kind: "Config"}
	var c namedCluster
	c.Name = cluster
	c.Cluster.Server = server
	c.Cluster.CertificateAuthorityData = b64.EncodeToString(caPEM)
	var ctx namedContext
	ctx.Name = user + "@" + cluster
	ctx.Context.Cluster, ctx.Context.User = cluster, user
	var u namedUser
	u.Name = user
	u.User.ClientCertificateData = b64.EncodeToString(certPEM)
	u.User.ClientKeyData = b64.EncodeToString(keyPEM)
	k.Clusters, k.Contexts, k.Users = []namedCluster{c}, []namedContext{ctx}, []namedUser{u}
	k.CurrentContext = ctx.Name
	return k
}

func (k *kubeconfig) marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(k); err != nil {
		return nil, fmt.Errorf("encoding kubeconfig: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding kubeconfig: %w", err)
	}
	return buf.Bytes(), nil
}

func parseKubeconfig(data []byte) (*kubeconfig, error) {
	var k kubeconfig
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("decoding kubeconfig: %w", err)
	}
	if len(k.Clusters) != 1 || len(k.Users) != 1 {
		return nil, errors.New("decoding kubeconfig: want exactly one cluster and one user")
	}
	return &k, nil
}

// setCA replaces the CA bundle the kubeconfig trusts.
func (k *kubeconfig) setCA(caPEM []byte) {
	k.Clusters[0].Cluster.CertificateAuthorityData = b64.EncodeToString(caPEM)
}

// client decodes the embedded client certificate and key.
func (k *kubeconfig) client() (*x509.Certificate, crypto.Signer, error) {
	certPEM, err := b64.DecodeString(k.Users[0].User.ClientCertificateData)
	if err != nil {
		return nil, nil, fmt.Errorf("decoding client-certificate-data: %w", err)
	}
	certs, err := parseCerts(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing client-certificate-data: %w", err)
	}
	keyPEM, err := b64.DecodeString(k.Users[0].User.ClientKeyData)
	if err != nil {
		return nil, nil, errors.New("decoding client-key-data: invalid base64")
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, nil, errors.New("parsing client-key-data: not a PEM private key")
	}
	return certs[0], key, nil
}
