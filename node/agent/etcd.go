package agent

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// EtcdClient says how to reach the node's local etcd member.
type EtcdClient struct {
	// Endpoint is the member's client URL (https://127.0.0.1:2379).
	Endpoint string
	// CA, Cert, Key are PEM files; kubeadm's etcd CA and healthcheck
	// client by default.
	CA, Cert, Key string
}

// localEtcd returns the client for a control-plane node with a local
// etcd static pod, or nil when the node has none.
func (n *Node) localEtcd() *EtcdClient {
	if _, err := os.Stat(n.path(filepath.Join(ManifestsDir, "etcd.yaml"))); err != nil {
		return nil
	}
	pki := n.path(filepath.Join(PKIDir, "etcd"))
	endpoint := n.EtcdEndpoint
	if endpoint == "" {
		endpoint = "https://127.0.0.1:2379"
	}
	return &EtcdClient{
		Endpoint: endpoint,
		CA:       filepath.Join(pki, "ca.crt"), Cert: filepath.Join(pki, "healthcheck-client.crt"), Key: filepath.Join(pki, "healthcheck-client.key"),
	}
}

// SnapshotEtcd saves a snapshot of the local etcd member to STATE before
// an upgrade writes anything; a control-plane node without one returns "".
func (n *Node) SnapshotEtcd(ctx context.Context) (string, error) {
	c := n.localEtcd()
	if c == nil {
		return "", nil
	}
	dst := n.path(filepath.Join(StateDir, "etcd", "snapshot-"+time.Now().UTC().Format("20060102T150405Z")+".db"))
	n.logf("etcd: saving a snapshot of the local member to %s", dst)
	size, err := c.Snapshot(ctx, dst)
	if err != nil {
		return "", fmt.Errorf("saving an etcd snapshot before upgrading (skip it with --skip-etcd-snapshot): %w", err)
	}
	n.logf("etcd: snapshot saved (%d bytes)", size)
	return dst, nil
}

// Snapshot streams a snapshot of the member into dst (temp file, synced,
// renamed) through etcd's gRPC gateway (POST /v3/maintenance/snapshot),
// and checks the SHA-256 etcd appends to every snapshot.
func (c *EtcdClient) Snapshot(ctx context.Context, dst string) (int64, error) {
	client, err := c.httpClient()
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.Endpoint, "/")+"/v3/maintenance/snapshot", strings.NewReader("{}"))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("etcd answered %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return 0, err
	}
	f, err := os.CreateTemp(filepath.Dir(dst), ".snapshot-")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	size, err := readSnapshotStream(resp.Body, f)
	if err == nil {
		err = checkSnapshot(f, size)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return size, os.Rename(f.Name(), dst)
}

// readSnapshotStream decodes the gateway's stream of JSON messages
// ({"result":{"remaining_bytes":"N","blob":"BASE64"}} or {"error":...}).
func readSnapshotStream(r io.Reader, w io.Writer) (int64, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	var total int64
	for {
		var msg struct {
			Result *struct {
				Blob []byte `json:"blob"`
			} `json:"result"`
			Error *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			return total, fmt.Errorf("reading the snapshot stream: %w", err)
		}
		if msg.Error != nil {
			return total, fmt.Errorf("etcd: %s", msg.Error.Message)
		}
		if msg.Result == nil {
			continue
		}
		n, err := w.Write(msg.Result.Blob)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// checkSnapshot verifies the SHA-256 of the snapshot's content that etcd
// appends as its last 32 bytes.
func checkSnapshot(f *os.File, size int64) error {
	if size <= sha256.Size {
		return errors.New("the snapshot is empty")
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size-sha256.Size)); err != nil {
		return err
	}
	want := make([]byte, sha256.Size)
	if _, err := f.ReadAt(want, size-sha256.Size); err != nil {
		return err
	}
	if !bytes.Equal(h.Sum(nil), want) {
		return errors.New("the snapshot's checksum does not match its content")
	}
	return nil
}

func (c *EtcdClient) httpClient() (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CA != "" {
		ca, err := os.ReadFile(c.CA)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("%s holds no certificate", c.CA)
		}
	}
	if c.Cert != "" {
		pair, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			return nil, err
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: 10 * time.Minute}, nil
}
