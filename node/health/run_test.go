package health

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// quick is a Config that polls fast.
func quick(deadline time.Duration, http []HTTPCheck, files ...string) Config {
	return Config{Deadline: deadline, Interval: 100 * time.Millisecond, HTTP: http, Files: files}
}

func TestRunPassesAgainstEtcd(t *testing.T) {
	addr := freePort(t)
	startEtcd(t, addr, nil)
	present := filepath.Join(t.TempDir(), "config.yaml")
	writeFile(t, present, "kind: KubeletConfiguration\n")
	res := Run(t.Context(), quick(20*time.Second, []HTTPCheck{{URL: "http://" + addr + "/health"}}, present), SystemProber(), time.Now)
	if !res.Passed {
		t.Fatalf("Run did not pass: %+v", res)
	}
	want := []CheckResult{
		{Kind: KindHTTP, Name: "http://" + addr + "/health", Passed: true, Detail: "status 200"},
		{Kind: KindFile, Name: present, Passed: true, Detail: "present"},
	}
	assertChecks(t, res, want)
	t.Logf("passed after %d rounds in %s", res.Rounds, res.Duration)
}

func TestRunFailsAtDeadline(t *testing.T) {
	closed := "http://" + freePort(t) + "/health"
	missing := filepath.Join(t.TempDir(), "missing")
	start := time.Now()
	res := Run(t.Context(), quick(time.Second, []HTTPCheck{{URL: closed}}, missing), SystemProber(), time.Now)
	took := time.Since(start)
	if res.Passed {
		t.Fatalf("Run passed with a closed port and a missing file: %+v", res)
	}
	if took < time.Second || took > 3*time.Second {
		t.Errorf("Run took %s with a 1s deadline", took)
	}
	if res.Rounds < 5 {
		t.Errorf("Run polled %d times in 1s at 100ms intervals", res.Rounds)
	}
	if len(res.Checks) != 2 || !strings.Contains(res.Checks[0].Detail, "connection refused") ||
		!strings.Contains(res.Checks[1].Detail, "no such file or directory") {
		t.Errorf("details do not say why: %+v", res.Checks)
	}
	if res.Time.Before(start) || res.Duration == "" {
		t.Errorf("result time %s, duration %q", res.Time, res.Duration)
	}
}

// TestRunPolls starts etcd after the gate started: only polling passes.
func TestRunPolls(t *testing.T) {
	addr := freePort(t)
	done := make(chan Result)
	go func() {
		done <- Run(t.Context(), quick(30*time.Second, []HTTPCheck{{URL: "http://" + addr + "/health"}}), SystemProber(), time.Now)
	}()
	time.Sleep(time.Second)
	startEtcd(t, addr, nil)
	res := <-done
	if !res.Passed || res.Rounds < 5 {
		t.Fatalf("Run did not pass after polling (%d rounds): %+v", res.Rounds, res)
	}
	t.Logf("passed after %d rounds in %s", res.Rounds, res.Duration)
}

func TestRunHTTPSAgainstEtcd(t *testing.T) {
	tls := newEtcdTLS(t)
	addr := freePort(t)
	startEtcd(t, addr, tls)
	url := "https://" + addr + "/health"
	good := HTTPCheck{URL: url, CAFile: tls.ca, CertFile: tls.clientCert, KeyFile: tls.clientKey}
	insecure := HTTPCheck{URL: url, InsecureSkipVerify: true, CertFile: tls.clientCert, KeyFile: tls.clientKey}
	res := Run(t.Context(), quick(20*time.Second, []HTTPCheck{good, insecure}), SystemProber(), time.Now)
	if !res.Passed {
		t.Fatalf("https checks did not pass: %+v", res)
	}
	for _, tc := range []struct {
		name  string
		check HTTPCheck
		want  string
	}{
		// TLS 1.3 reports the server's refusal as an alert or, when the
		// request was already on its way, as a broken connection.
		{"no client certificate", HTTPCheck{URL: url, CAFile: tls.ca}, "bad certificate|broken pipe|connection reset"},
		{"unknown authority", HTTPCheck{URL: url, CertFile: tls.clientCert, KeyFile: tls.clientKey}, "unknown authority"},
		{"wrong status", HTTPCheck{URL: url, Status: 204, CAFile: tls.ca, CertFile: tls.clientCert, KeyFile: tls.clientKey}, "status 200 OK, want 204"},
		{"missing CA file", HTTPCheck{URL: url, CAFile: tls.ca + ".missing"}, "reading the CA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Run(t.Context(), quick(0, []HTTPCheck{tc.check}), SystemProber(), time.Now)
			if res.Passed || res.Rounds != 1 || !regexp.MustCompile(tc.want).MatchString(res.Checks[0].Detail) {
				t.Errorf("want one failed round saying %q, got %+v", tc.want, res)
			}
		})
	}
}

func TestRunStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	res := Run(ctx, quick(time.Minute, nil, "/nonexistent"), SystemProber(), time.Now)
	if res.Passed || res.Stopped == "" {
		t.Errorf("a cancelled run should fail saying why: %+v", res)
	}
}

func assertChecks(t *testing.T, res Result, want []CheckResult) {
	t.Helper()
	if len(res.Checks) != len(want) {
		t.Fatalf("checks %+v, want %+v", res.Checks, want)
	}
	for i := range want {
		if res.Checks[i] != want[i] {
			t.Errorf("check %d: %+v, want %+v", i, res.Checks[i], want[i])
		}
	}
}
