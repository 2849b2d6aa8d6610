package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the CLI in-process and returns stdout, stderr and the exit
// status main would use.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := newRootCommand()
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs(args)
	code := exitCode(cmd.Execute(), &stderr)
	return stdout.String(), stderr.String(), code
}

func TestValidateExample(t *testing.T) {
	out, errOut, code := run(t, "spec", "validate", "-f", "../../examples/release.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `valid Release "example"`) {
		t.Errorf("stdout = %q", out)
	}
	// Debian's kubectl 1.20 is outside the skew policy for 1.33: a warning naming the rule.
	if !strings.Contains(errOut, "warning: spec.components[0].version: kubectl 1.20.2") ||
		!strings.Contains(errOut, "kubectl is supported within one minor version") {
		t.Errorf("stderr lacks the skew warning: %q", errOut)
	}
}

func TestValidateInvalidExits2(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.yaml")
	doc := "apiVersion: slipway.dev/v1alpha1\nkind: Release\nmetadata: {name: x}\nspec:\n  version: 1.0.0\n  kubernetesVersion: 1.33.0\n  architectures: [amd64, mips]\n  colour: blue\n"
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := run(t, "spec", "validate", "-f", p)
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{p + ":7:26: error: spec.architectures[1]: unknown architecture \"mips\"", p + ":8:3: error: spec.colour: unknown field"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	out, _, code := run(t, "spec", "validate", "-f", p, "--json")
	var rep struct {
		Valid    bool
		Problems []struct{ Line, Column int }
	}
	if code != 2 || json.Unmarshal([]byte(out), &rep) != nil || rep.Valid || len(rep.Problems) != 2 {
		t.Fatalf("--json: exit %d, %q", code, out)
	}
}

func TestBadFlagExits2(t *testing.T) {
	if _, _, code := run(t, "spec", "validate", "--no-such-flag"); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if _, _, code := run(t, "version", "extra"); code != 2 {
		t.Fatalf("exit %d", code)
	}
}

func TestSchema(t *testing.T) {
	out, _, code := run(t, "spec", "schema")
	var s map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s["$schema"] == nil {
		t.Fatalf("exit %d, not a JSON Schema: %.200s", code, out)
	}
}

func TestMissingSpecFileExits1(t *testing.T) {
	_, errOut, code := run(t, "spec", "validate", "-f", "/nonexistent.yaml")
	if code != 1 || !strings.Contains(errOut, "reading spec") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

func TestValidateCluster(t *testing.T) {
	out, errOut, code := run(t, "spec", "validate", "-f", "../../examples/cluster.yaml")
	if code != 0 || !strings.Contains(out, `valid Cluster "demo" (3 nodes, 1 control-plane)`) {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	out, _, code = run(t, "spec", "schema", "--kind", "Cluster")
	if code != 0 || !strings.Contains(out, `"controlPlaneEndpoint"`) {
		t.Fatalf("schema: exit %d", code)
	}
	if _, _, code := run(t, "spec", "schema", "--kind", "Pod"); code != 2 {
		t.Fatalf("unknown kind: exit %d, want 2", code)
	}
}

func TestPKICommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	f := "../../examples/cluster.yaml"
	if out, errOut, code := run(t, "pki", "init", "-f", f, "--pki-dir", dir); code != 0 || !strings.Contains(out, "files written") {
		t.Fatalf("init: exit %d %s%s", code, out, errOut)
	}
	if out, _, code := run(t, "pki", "init", "-f", f, "--pki-dir", dir); code != 0 || !strings.Contains(out, "0 files written") {
		t.Fatalf("second init rewrote files: exit %d %s", code, out)
	}
	if out, _, code := run(t, "pki", "check", "--pki-dir", dir); code != 0 || !strings.Contains(out, "nodes/cp1/apiserver.crt") {
		t.Fatalf("check: exit %d %s", code, out)
	}
	// Leaves live a year: a two-year threshold flags them.
	if _, errOut, code := run(t, "pki", "check", "--pki-dir", dir, "--threshold", "17520h"); code != 1 || !strings.Contains(errOut, "expire within") {
		t.Fatalf("check over threshold: exit %d %s", code, errOut)
	}
	if _, _, code := run(t, "pki", "rotate", "-f", f, "--pki-dir", dir, "--phase", "5"); code != 2 {
		t.Fatalf("rotate --phase 5: exit %d, want 2", code)
	}
	for phase := 1; phase <= 3; phase++ {
		if _, errOut, code := run(t, "pki", "rotate", "-f", f, "--pki-dir", dir, "--phase", fmt.Sprint(phase)); code != 0 {
			t.Fatalf("rotate phase %d: exit %d %s", phase, code, errOut)
		}
	}
	if _, errOut, code := run(t, "pki", "renew", "-f", f, "--pki-dir", dir, "apiserver"); code != 0 {
		t.Fatalf("renew: exit %d %s", code, errOut)
	}
}

func TestIgnitionGenerate(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "ign")
	stdout, errOut, code := run(t, "ignition", "generate", "-f", "../../examples/cluster.yaml", "--pki-dir", filepath.Join(tmp, "pki"), "-o", out)
	if code != 0 || !strings.Contains(stdout, "cp1.ign") {
		t.Fatalf("exit %d: %s%s", code, stdout, errOut)
	}
	for _, n := range []string{"cp1", "worker1", "worker2"} {
		st, err := os.Stat(filepath.Join(out, n+".ign"))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s.ign: %v %v", n, err, st)
		}
	}
	bad := filepath.Join(tmp, "bad.yaml")
	doc, _ := os.ReadFile("../../examples/cluster.yaml")
	os.WriteFile(bad, []byte(strings.Replace(string(doc), "version: 1.4.0", "version: 1.6.0", 1)), 0o644)
	out2 := filepath.Join(tmp, "ign2")
	if _, errOut, code := run(t, "ignition", "generate", "-f", bad, "--pki-dir", filepath.Join(tmp, "pki"), "-o", out2); code != 2 || !strings.Contains(errOut, "spec.nodes[0].butane") {
		t.Fatalf("bad Butane: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Fatal("output written for an invalid document")
	}
}
