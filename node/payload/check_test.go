package payload

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const goodMetadata = `{"schemaVersion":1,"name":"n","version":"1.0.0","kubernetesVersion":"1.33.0","arch":"amd64",
"kernelVersion":"6.1.0","slotFilesystem":"squashfs",
"slot":{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},
"kernel":{"digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":2},
"initrd":{"digest":"sha256:2222222222222222222222222222222222222222222222222222222222222222","size":3}}`

func TestParseMetadata(t *testing.T) {
	if m, err := ParseMetadata([]byte(goodMetadata)); err != nil || m.Initrd.Size != 3 {
		t.Fatalf("ParseMetadata(good) = %+v, %v", m, err)
	}
	for name, c := range map[string]struct{ old, new, want string }{
		"unknown field":  {`"arch"`, `"extra":1,"arch"`, "unknown field"},
		"schema version": {`"schemaVersion":1`, `"schemaVersion":2`, "schemaVersion 2"},
		"bad digest":     {`sha256:1111`, `sha512:1111`, "kernel"},
		"empty size":     {`"size":3`, `"size":0`, "initrd"},
		"slot fs":        {`"squashfs"`, `"ext4"`, "ext4"},
		"no version":     {`"version":"1.0.0"`, `"version":""`, "version is empty"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseMetadata([]byte(strings.Replace(goodMetadata, c.old, c.new, 1)))
			if !errors.Is(err, ErrDigest) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ParseMetadata = %v, want ErrDigest mentioning %q", err, c.want)
			}
		})
	}
}

// TestSchemeGuard: plain HTTP goes to loopback registries, and to others
// only when insecure.
func TestSchemeGuard(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	g := &schemeGuard{next: http.DefaultTransport}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v2/", nil)
	resp, err := g.RoundTrip(req)
	if err != nil {
		t.Fatalf("loopback over plain HTTP: %v", err)
	}
	resp.Body.Close()
	req, _ = http.NewRequest(http.MethodGet, "http://10.0.2.100:5000/v2/", nil)
	if _, err := g.RoundTrip(req); !errors.Is(err, errPlainHTTP) {
		t.Errorf("10.0.2.100 over plain HTTP without insecure: %v, want errPlainHTTP", err)
	}
}
