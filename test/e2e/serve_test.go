package e2e

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// serve serves dir over HTTP on 127.0.0.1 (never another address) until
// the test ends, returning the base URL. rewrite, when set, may replace a
// file's content by its URL path.
func serve(t *testing.T, dir string, rewrite func(path string, body []byte) []byte) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening on 127.0.0.1: %v", err)
	}
	files := http.FileServer(http.Dir(dir))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rewrite != nil {
			if body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(r.URL.Path))); err == nil {
				if out := rewrite(r.URL.Path, body); out != nil {
					w.Write(out)
					return
				}
			}
		}
		files.ServeHTTP(w, r)
	})
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}
