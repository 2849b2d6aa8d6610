package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/slipway-dev/slipway/node/skew"
)

// kubeconfig is the part of a kubeconfig file the agent reads.
type kubeconfig struct {
	CurrentContext string `json:"current-context"`
	Contexts       []struct {
		Name    string `json:"name"`
		Context struct {
			Cluster string `json:"cluster"`
			User    string `json:"user"`
		} `json:"context"`
	} `json:"contexts"`
	Clusters []struct {
		Name    string `json:"name"`
		Cluster struct {
			Server                   string `json:"server"`
			CertificateAuthority     string `json:"certificate-authority"`
			CertificateAuthorityData string `json:"certificate-authority-data"`
		} `json:"cluster"`
	} `json:"clusters"`
	Users []struct {
		Name string `json:"name"`
		User struct {
			ClientCertificate     string `json:"client-certificate"`
			ClientCertificateData string `json:"client-certificate-data"`
			ClientKey             string `json:"client-key"`
			ClientKeyData         string `json:"client-key-data"`
			Token                 string `json:"token"`
		} `json:"user"`
	} `json:"users"`
}

// APIServerVersion asks the kube-apiserver of the kubeconfig's current
// context for its version (GET /version): what upgrade compares with the
// payload's Kubernetes version under the skew policy.
func APIServerVersion(ctx context.Context, path string) (skew.Version, error) {
	client, server, token, err := kubeClient(path)
	if err != nil {
		return skew.Version{}, fmt.Errorf("reading kubeconfig %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(server, "/")+"/version", nil)
	if err != nil {
		return skew.Version{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return skew.Version{}, fmt.Errorf("asking the kube-apiserver for its version: %w", err)
	}
	defer resp.Body.Close()
	var v struct {
		GitVersion string `json:"gitVersion"`
	}
	if resp.StatusCode != http.StatusOK {
		return skew.Version{}, fmt.Errorf("asking the kube-apiserver for its version: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return skew.Version{}, fmt.Errorf("reading the kube-apiserver's version: %w", err)
	}
	// "v1.33.0" or "v1.33.0-eks-1234": the policy compares minors.
	s, _, _ := strings.Cut(strings.TrimPrefix(v.GitVersion, "v"), "-")
	return skew.Parse(s)
}

func kubeClient(path string) (*http.Client, string, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", "", err
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(b, &kc); err != nil {
		return nil, "", "", err
	}
	var clusterName, userName string
	for _, c := range kc.Contexts {
		if c.Name == kc.CurrentContext {
			clusterName, userName = c.Context.Cluster, c.Context.User
		}
	}
	if clusterName == "" {
		return nil, "", "", fmt.Errorf("no context %q", kc.CurrentContext)
	}
	base := filepath.Dir(path)
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	server := ""
	for _, c := range kc.Clusters {
		if c.Name != clusterName {
			continue
		}
		server = c.Cluster.Server
		ca, err := dataOrFile(c.Cluster.CertificateAuthorityData, c.Cluster.CertificateAuthority, base)
		if err != nil {
			return nil, "", "", err
		}
		if ca != nil {
			tc.RootCAs = x509.NewCertPool()
			if !tc.RootCAs.AppendCertsFromPEM(ca) {
				return nil, "", "", fmt.Errorf("cluster %s: no certificate in its certificate authority", clusterName)
			}
		}
	}
	if server == "" {
		return nil, "", "", fmt.Errorf("no cluster %q with a server", clusterName)
	}
	token := ""
	for _, u := range kc.Users {
		if u.Name != userName {
			continue
		}
		token = u.User.Token
		cert, err := dataOrFile(u.User.ClientCertificateData, u.User.ClientCertificate, base)
		if err != nil {
			return nil, "", "", err
		}
		key, err := dataOrFile(u.User.ClientKeyData, u.User.ClientKey, base)
		if err != nil {
			return nil, "", "", err
		}
		if cert != nil && key != nil {
			pair, err := tls.X509KeyPair(cert, key)
			if err != nil {
				return nil, "", "", fmt.Errorf("user %s: %w", userName, err)
			}
			tc.Certificates = []tls.Certificate{pair}
		}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}, server, token, nil
}

func dataOrFile(data, file, base string) ([]byte, error) {
	if data != "" {
		return base64.StdEncoding.DecodeString(data)
	}
	if file == "" {
		return nil, nil
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(base, file)
	}
	return os.ReadFile(file)
}

// KubeGet sends GET path to the kube-apiserver of the kubeconfig's
// current context and returns the body; a status other than 200 is an
// error with the body's start.
func KubeGet(ctx context.Context, kubeconfig, path string) ([]byte, error) {
	client, server, token, err := kubeClient(kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig %s: %w", kubeconfig, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(server, "/")+path, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(b[:min(len(b), 300)])))
	}
	return b, nil
}
