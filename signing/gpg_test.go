package signing

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireTool returns the path of a command the test cannot run without.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("this test needs %s installed: %v", name, err)
	}
	return p
}

// gnupgHome returns a private GNUPGHOME, short enough for gpg-agent's socket
// path, whose agent is stopped at cleanup.
func gnupgHome(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		kill := exec.Command("gpgconf", "--kill", "all")
		kill.Env = append(os.Environ(), "GNUPGHOME="+dir)
		_ = kill.Run()
		os.RemoveAll(dir)
	})
	return dir
}

// runGPG runs a GnuPG tool with GNUPGHOME=home and returns its stdout.
func runGPG(t *testing.T, home string, stdin []byte, tool string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(requireTool(t, tool), args...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+home, "LC_ALL=C")
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w\n%s", tool, strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// gpgvVerify runs gpgv against keyring the way apt does and returns the
// VALIDSIG status line.
func gpgvVerify(t *testing.T, keyring string, files ...string) (string, error) {
	t.Helper()
	args := append([]string{"--status-fd", "1", "--keyring", keyring}, files...)
	out, err := runGPG(t, gnupgHome(t), nil, "gpgv", args...)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "[GNUPG:] VALIDSIG ") {
			return line, nil
		}
	}
	return "", fmt.Errorf("gpgv printed no VALIDSIG:\n%s", out)
}

func TestGPGVAcceptsSignatures(t *testing.T) {
	s := newTestSigner(t)
	dir := t.TempDir()
	keyring := writeFile(t, dir, "key.gpg", s.PublicKey())
	data := writeFile(t, dir, "Release", []byte(message))
	tampered := writeFile(t, dir, "Tampered", []byte(message+"Suite: evil\n"))
	wantStatus := fmt.Sprintf(" %d ", s.Time().Unix())

	detached, err := s.DetachSign(strings.NewReader(message))
	if err != nil {
		t.Fatal(err)
	}
	armored, err := s.DetachSignArmored(strings.NewReader(message))
	if err != nil {
		t.Fatal(err)
	}
	clear, err := s.ClearSign([]byte(message))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		files []string
		ok    bool
	}{
		{"detached", []string{writeFile(t, dir, "Release.gpg", detached), data}, true},
		{"armored", []string{writeFile(t, dir, "Release.asc", armored), data}, true},
		{"clearsigned", []string{writeFile(t, dir, "InRelease", clear)}, true},
		{"detached over tampered data", []string{filepath.Join(dir, "Release.gpg"), tampered}, false},
		{"tampered clearsigned", []string{writeFile(t, dir, "BadInRelease",
			bytes.Replace(clear, []byte("Label: slipway"), []byte("Label: evil"), 1))}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, err := gpgvVerify(t, keyring, c.files...)
			if !c.ok {
				if err == nil {
					t.Fatalf("gpgv accepted a bad signature: %s", status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(status, s.Fingerprint()) || !strings.Contains(status, wantStatus) {
				t.Errorf("status %q lacks fingerprint %s or time%s", status, s.Fingerprint(), wantStatus)
			}
		})
	}
}

func TestGPGReadsClearsignedText(t *testing.T) {
	s := newTestSigner(t)
	home := gnupgHome(t)
	if _, err := runGPG(t, home, s.PublicKey(), "gpg", "--batch", "--import"); err != nil {
		t.Fatal(err)
	}
	clear, err := s.ClearSign([]byte(message))
	if err != nil {
		t.Fatal(err)
	}
	out, err := runGPG(t, home, clear, "gpg", "--batch", "--decrypt")
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != message {
		t.Errorf("gpg --decrypt InRelease = %q, want %q", out, message)
	}
}

// TestLoadGPGKey loads a passphrase-protected key exported by gpg, with a
// separate signing subkey, and checks gpgv accepts what it signs.
func TestLoadGPGKey(t *testing.T) {
	home := gnupgHome(t)
	pass := []string{"--batch", "--pinentry-mode", "loopback", "--passphrase", "hunter2"}
	gen := append(pass, "--quick-gen-key", "GPG Made <gpg@slipway.invalid>", "rsa3072", "cert", "never")
	if _, err := runGPG(t, home, nil, "gpg", gen...); err != nil {
		t.Fatal(err)
	}
	fpr, err := runGPG(t, home, nil, "gpg", "--batch", "--with-colons", "--list-keys")
	if err != nil {
		t.Fatal(err)
	}
	primary := colonField(string(fpr), "fpr")
	addSub := append(pass, "--quick-add-key", primary, "rsa3072", "sign", "never")
	if _, err := runGPG(t, home, nil, "gpg", addSub...); err != nil {
		t.Fatal(err)
	}
	secret, err := runGPG(t, home, nil, "gpg", append(pass, "--armor", "--export-secret-keys")...)
	if err != nil {
		t.Fatal(err)
	}
	public, err := runGPG(t, home, nil, "gpg", "--batch", "--export")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, err := Load(writeFile(t, dir, "secret.asc", secret), []byte("hunter2"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.Fingerprint() != primary {
		t.Errorf("Fingerprint() = %s, gpg says %s", s.Fingerprint(), primary)
	}
	sig, err := s.DetachSign(strings.NewReader(message))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{writeFile(t, dir, "Release.gpg", sig), writeFile(t, dir, "Release", []byte(message))}
	if _, err := gpgvVerify(t, writeFile(t, dir, "gpg-export.gpg", public), files...); err != nil {
		t.Errorf("gpgv with gpg's export: %v", err)
	}
	if _, err := gpgvVerify(t, writeFile(t, dir, "ours.gpg", s.PublicKey()), files...); err != nil {
		t.Errorf("gpgv with Signer.PublicKey: %v", err)
	}
}

// colonField returns field 10 of the first record of type typ in gpg
// --with-colons output (the fingerprint for "fpr" records).
func colonField(out, typ string) string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, ":")
		if f[0] == typ && len(f) > 9 {
			return f[9]
		}
	}
	return ""
}

// TestRPMImportsKey checks rpm (which dnf asks to import repository keys)
// accepts the generated public key.
func TestRPMImportsKey(t *testing.T) {
	s := newTestSigner(t)
	dir := t.TempDir()
	key := writeFile(t, dir, "key.asc", s.PublicKeyArmored())
	db := filepath.Join(dir, "rpmdb")
	rpmkeys := requireTool(t, "rpmkeys")
	if out, err := exec.Command(rpmkeys, "--dbpath", db, "--import", key).CombinedOutput(); err != nil {
		t.Fatalf("rpmkeys --import: %v\n%s", err, out)
	}
	out, err := exec.Command(requireTool(t, "rpm"), "--dbpath", db, "-q", "gpg-pubkey", "--qf", "%{version}").CombinedOutput()
	if err != nil {
		t.Fatalf("rpm -q gpg-pubkey: %v\n%s", err, out)
	}
	if want := strings.ToLower(fmt.Sprintf("%08X", uint32(s.KeyID()))); string(out) != want {
		t.Errorf("imported gpg-pubkey version = %q, want %q", out, want)
	}
}

// TestGPGVAcceptsRaisedTime signs "before" the key existed: the signature is
// stamped with the key's creation time instead, which gpgv accepts.
func TestGPGVAcceptsRaisedTime(t *testing.T) {
	s := newTestSigner(t).At(keyCreated.AddDate(-1, 0, 0))
	sig, err := s.DetachSign(strings.NewReader(message))
	if err != nil {
		t.Fatalf("DetachSign: %v", err)
	}
	dir := t.TempDir()
	status, err := gpgvVerify(t, writeFile(t, dir, "key.gpg", s.PublicKey()),
		writeFile(t, dir, "Release.gpg", sig), writeFile(t, dir, "Release", []byte(message)))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(" %d ", keyCreated.Unix()); !strings.Contains(status, want) {
		t.Errorf("status %q lacks the key creation time%s", status, want)
	}
}
