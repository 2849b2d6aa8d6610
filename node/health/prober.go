package health

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Timeouts of the system prober's probes.
const (
	// HTTPTimeout bounds one HTTP check request, connection included.
	HTTPTimeout = 5 * time.Second
	// UnitTimeout bounds one `systemctl show`.
	UnitTimeout = 10 * time.Second
)

// SystemProber returns the Prober of a running node: units through
// `systemctl show`, HTTP through net/http (no proxy, HTTPTimeout per
// request, the check's TLS options), files through os.Stat.
func SystemProber() Prober { return systemProber{} }

type systemProber struct{}

var _ Prober = systemProber{}

// Unit runs `systemctl show -p LoadState,ActiveState,SubState,Result NAME`.
func (systemProber) Unit(ctx context.Context, name string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, UnitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "systemctl", "show", "--no-pager", "-p", strings.Join(unitProperties, ","), "--", name)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("running systemctl show %s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return unitState(string(out))
}

// HTTP GETs the check's URL and compares the status.
func (systemProber) HTTP(ctx context.Context, c HTTPCheck) error {
	client, err := httpClient(c)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	want := c.Status
	if want == 0 {
		want = DefaultStatus
	}
	if resp.StatusCode != want {
		return fmt.Errorf("status %s, want %d: %s", resp.Status, want, strings.TrimSpace(string(body)))
	}
	return nil
}

// File stats the file.
func (systemProber) File(name string) error {
	_, err := os.Stat(name)
	return err
}

// httpClient builds a client for one check: its own transport (no
// proxy, no idle connections kept between rounds) and TLS settings.
func httpClient(c HTTPCheck) (*http.Client, error) {
	// InsecureSkipVerify only when the check file asks for it.
	cfg := &tls.Config{InsecureSkipVerify: c.InsecureSkipVerify}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading the CA: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("reading the CA: %s holds no PEM certificate", c.CAFile)
		}
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading the client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	// HTTP/1.1: health endpoints serve it, and with HTTP/2 a server that
	// refuses the client's certificate under TLS 1.3 shows up only as
	// "http2: client conn could not be established", hiding the reason.
	tr := &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}
	return &http.Client{Transport: tr, Timeout: HTTPTimeout}, nil
}
