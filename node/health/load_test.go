package health

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// checkDirs makes an image dir and a node dir holding files (name ->
// content; "@/dev/null" makes a symlink to /dev/null).
func checkDirs(t *testing.T, image, node map[string]string) (string, string) {
	t.Helper()
	root := t.TempDir()
	usr, etc := filepath.Join(root, "usr"), filepath.Join(root, "etc")
	for dir, files := range map[string]map[string]string{usr: image, etc: node} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range files {
			p := filepath.Join(dir, name)
			var err error
			if target, ok := strings.CutPrefix(content, "@"); ok {
				err = os.Symlink(target, p)
			} else {
				err = os.WriteFile(p, []byte(content), 0o644)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return usr, etc
}

const nodeChecks = "units: [containerd.service]\nfiles: [/var/lib/kubelet/config.yaml]\n"

func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name        string
		image, node map[string]string
		want        Config
		sources     []string // relative to the test's root: usr/..., etc/...
	}{
		{
			name: "defaults without files",
			want: Config{Deadline: DefaultDeadline, Interval: DefaultInterval},
		},
		{
			name:    "image checks",
			image:   map[string]string{"10-node.yaml": nodeChecks, "README": "not a check", "20-x.yml": "bogus: 1"},
			want:    Config{Deadline: DefaultDeadline, Interval: DefaultInterval, Units: []string{"containerd.service"}, Files: []string{"/var/lib/kubelet/config.yaml"}},
			sources: []string{"usr/10-node.yaml"},
		},
		{
			name:    "node file replaces the image's",
			image:   map[string]string{"10-node.yaml": nodeChecks},
			node:    map[string]string{"10-node.yaml": "units: [kubelet.service]\n"},
			want:    Config{Deadline: DefaultDeadline, Interval: DefaultInterval, Units: []string{"kubelet.service"}},
			sources: []string{"etc/10-node.yaml"},
		},
		{
			name:  "empty node file masks",
			image: map[string]string{"10-node.yaml": nodeChecks},
			node:  map[string]string{"10-node.yaml": "\n"},
			want:  Config{Deadline: DefaultDeadline, Interval: DefaultInterval},
		},
		{
			name:  "symlink to /dev/null masks",
			image: map[string]string{"10-node.yaml": nodeChecks},
			node:  map[string]string{"10-node.yaml": "@/dev/null"},
			want:  Config{Deadline: DefaultDeadline, Interval: DefaultInterval},
		},
		{
			name:  "merged in name order across dirs, duplicates once",
			image: map[string]string{"20-b.yaml": "units: [b.service, a.service]\nhttp: [{url: 'http://127.0.0.1:1/b'}]\n"},
			node:  map[string]string{"10-a.yaml": "units: [a.service]\nhttp: [{url: 'https://127.0.0.1:2/a', status: 204, insecureSkipVerify: true}]\n"},
			want: Config{Deadline: DefaultDeadline, Interval: DefaultInterval, Units: []string{"a.service", "b.service"},
				HTTP: []HTTPCheck{{URL: "https://127.0.0.1:2/a", Status: 204, InsecureSkipVerify: true}, {URL: "http://127.0.0.1:1/b", Status: 200}}},
			sources: []string{"etc/10-a.yaml", "usr/20-b.yaml"},
		},
		{
			name:    "largest deadline, smallest interval",
			image:   map[string]string{"10-a.yaml": "deadline: 1m\ninterval: 5s\n", "20-b.yaml": "deadline: 10m\ninterval: 500ms\n"},
			node:    map[string]string{"30-c.yaml": "deadline: 30s\n"},
			want:    Config{Deadline: 10 * time.Minute, Interval: 500 * time.Millisecond},
			sources: []string{"usr/10-a.yaml", "usr/20-b.yaml", "etc/30-c.yaml"},
		},
		{
			name:    "shorter deadline only when every file asks",
			image:   map[string]string{"10-a.yaml": "deadline: 1m\n", "20-b.yaml": "deadline: 30s\n"},
			want:    Config{Deadline: time.Minute, Interval: DefaultInterval},
			sources: []string{"usr/10-a.yaml", "usr/20-b.yaml"},
		},
		{
			name:    "a file without deadline needs the default",
			image:   map[string]string{"10-a.yaml": "deadline: 1m\n", "20-b.yaml": "units: [x.service]\n"},
			want:    Config{Deadline: DefaultDeadline, Interval: DefaultInterval, Units: []string{"x.service"}},
			sources: []string{"usr/10-a.yaml", "usr/20-b.yaml"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			usr, etc := checkDirs(t, tc.image, tc.node)
			got, err := Load(usr, etc, filepath.Join(etc, "missing"))
			if err != nil {
				t.Fatal(err)
			}
			root := filepath.Dir(usr)
			for _, s := range tc.sources {
				tc.want.Sources = append(tc.want.Sources, filepath.Join(root, s))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Load:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestLoadErrorsNameFiles(t *testing.T) {
	usr, etc := checkDirs(t,
		map[string]string{
			"10-node.yaml": nodeChecks,
			"20-typo.yaml": "units: [containerd.service]\nhtpp: []\n",
			"30-bad.yaml":  "deadline: soon\n",
		},
		map[string]string{"40-values.yaml": "interval: 0s\nfiles: [relative/path]\nhttp:\n  - url: ftp://x/\n    certFile: /c.crt\n    status: 42\n"},
	)
	got, err := Load(usr, etc)
	if err == nil {
		t.Fatal("Load accepted bad files")
	}
	for _, want := range []string{
		filepath.Join(usr, "20-typo.yaml") + `: unknown field "htpp"`,
		filepath.Join(usr, "30-bad.yaml") + `: `,
		`deadline: "soon" is not a duration like "5m" or "2s"`,
		filepath.Join(etc, "40-values.yaml") + ": interval must be positive",
		filepath.Join(etc, "40-values.yaml") + `: files[0]: "relative/path" is not an absolute path`,
		filepath.Join(etc, "40-values.yaml") + `: http[0]: url "ftp://x/" is not an http:// or https:// URL`,
		filepath.Join(etc, "40-values.yaml") + `: http[0]: status 42 is not an HTTP status code`,
		filepath.Join(etc, "40-values.yaml") + `: http[0]: certFile and keyFile go together`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if want := []string{"containerd.service"}; !reflect.DeepEqual(got.Units, want) {
		t.Errorf("Load kept units %v from the valid files, want %v", got.Units, want)
	}
}
