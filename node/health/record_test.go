package health

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"
)

func TestRecordRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "lib", "slipway", "health")
	if r, err := Last(dir); r != nil || err != nil {
		t.Fatalf("Last before any Record = %v, %v; want nil, nil", r, err)
	}
	if h, err := History(dir); len(h) != 0 || err != nil {
		t.Fatalf("History before any Record = %v, %v; want none", h, err)
	}
	at := time.Date(2025, 4, 23, 0, 0, 0, 0, time.UTC)
	var want []Result
	for i := range HistoryLen + 7 {
		r := Result{
			Passed: i%2 == 0, Time: at.Add(time.Duration(i) * time.Minute), Duration: "1.5s", Rounds: i + 1,
			Checks: []CheckResult{{Kind: KindUnit, Name: "kubelet.service", Passed: i%2 == 0, Detail: "try " + strconv.Itoa(i)}},
			Entry:  "slipway-b+2-1.conf", Version: "1.33." + strconv.Itoa(i),
		}
		if err := Record(dir, r); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	want = want[len(want)-HistoryLen:]
	last, err := Last(dir)
	if err != nil || last == nil || !reflect.DeepEqual(*last, want[len(want)-1]) {
		t.Errorf("Last = %+v, %v; want %+v", last, err, want[len(want)-1])
	}
	got, err := History(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("History kept %d results from %s to %s; want %d from %s to %s",
			len(got), got[0].Version, got[len(got)-1].Version, len(want), want[0].Version, want[len(want)-1].Version)
	}
	raw, err := os.ReadFile(filepath.Join(dir, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(raw, []byte("\n")); n != HistoryLen {
		t.Errorf("%s has %d lines, want %d", HistoryFile, n, HistoryLen)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestHistoryNamesBadLine(t *testing.T) {
	dir := t.TempDir()
	if err := Record(dir, Result{Passed: true}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, HistoryFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("{not json\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := History(dir); err == nil || !bytes.Contains([]byte(err.Error()), []byte("result 2")) {
		t.Errorf("History of a bad line: %v", err)
	}
}
