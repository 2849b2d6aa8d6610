package disk

import (
	"context"
	"os"
	"testing"
)

func TestZZManual(t *testing.T) {
	in := fixture(t)
	os.Remove("/tmp/disk-work/m.raw")
	_, err := Build(context.Background(), "/tmp/disk-work/m.raw", in)
	if err != nil {
		t.Fatal(err)
	}
}
