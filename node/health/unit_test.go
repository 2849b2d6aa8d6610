package health

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestUnitState parses what `systemctl show -p LoadState,ActiveState,
// SubState,Result` prints (systemd 252, properties in its own order).
func TestUnitState(t *testing.T) {
	for _, tc := range []struct {
		name, show, want string
		active           bool
	}{
		{"running", "Result=success\nLoadState=loaded\nActiveState=active\nSubState=running\n", "active (running)", true},
		{"oneshot done", "Result=success\nLoadState=loaded\nActiveState=active\nSubState=exited\n", "active (exited)", true},
		{"crashed", "Result=exit-code\nLoadState=loaded\nActiveState=failed\nSubState=failed\n", "failed (failed, result exit-code)", false},
		{"starting", "Result=success\nLoadState=loaded\nActiveState=activating\nSubState=start-pre\n", "activating (start-pre)", false},
		{"restarting", "Result=exit-code\nLoadState=loaded\nActiveState=activating\nSubState=auto-restart\n", "activating (auto-restart, result exit-code)", false},
		{"not installed", "Result=success\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n", "inactive (dead, not-found)", false},
		{"masked", "LoadState=masked\nActiveState=inactive\nSubState=dead\nResult=success\n", "inactive (dead, masked)", false},
		{"bare", "ActiveState=inactive\n", "inactive", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := unitState(tc.show)
			if err != nil || got != tc.want || UnitActive(got) != tc.active {
				t.Errorf("unitState = %q, %v (active %v); want %q (active %v)", got, err, UnitActive(got), tc.want, tc.active)
			}
		})
	}
	if _, err := unitState("Failed to connect to bus\n"); err == nil {
		t.Error("unitState accepted output without ActiveState")
	}
}

// unitProber is a Prober of this test: each unit goes through a list of
// states, one per poll, staying at the last.
type unitProber struct {
	mu     sync.Mutex
	states map[string][]string
}

func (p *unitProber) Unit(_ context.Context, name string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.states[name]
	if !ok {
		return "", fmt.Errorf("running systemctl show %s: exit status 1", name)
	}
	if len(s) > 1 {
		p.states[name] = s[1:]
	}
	return s[0], nil
}

func (p *unitProber) HTTP(context.Context, HTTPCheck) error { return fmt.Errorf("not probed here") }
func (p *unitProber) File(string) error                     { return fmt.Errorf("not probed here") }

func TestRunUnits(t *testing.T) {
	p := &unitProber{states: map[string][]string{
		"containerd.service": {"activating (start)", "active (running)"},
		"kubelet.service":    {"activating (auto-restart, result exit-code)", "activating (start)", "active (running)"},
	}}
	c := Config{Deadline: 10 * time.Second, Interval: 10 * time.Millisecond, Units: []string{"containerd.service", "kubelet.service"}}
	res := Run(t.Context(), c, p, time.Now)
	if !res.Passed || res.Rounds != 3 {
		t.Errorf("want a pass in round 3, got %+v", res)
	}
	p = &unitProber{states: map[string][]string{"kubelet.service": {"active (running)", "failed (failed, result exit-code)"}}}
	c.Units, c.Deadline = []string{"kubelet.service", "containerd.service"}, 100*time.Millisecond
	res = Run(t.Context(), c, p, time.Now)
	want := []CheckResult{
		{Kind: KindUnit, Name: "kubelet.service", Detail: "failed (failed, result exit-code)"},
		{Kind: KindUnit, Name: "containerd.service", Detail: "running systemctl show containerd.service: exit status 1"},
	}
	if res.Passed {
		t.Fatalf("failed units passed: %+v", res)
	}
	assertChecks(t, res, want)
}
