package repo

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestCompareDebVersionsAgreesWithDpkg(t *testing.T) {
	cases := []struct {
		name, a, b string
		want       int
	}{
		{"equal", "1.0-1", "1.0-1", 0},
		{"implicit epoch", "0:1.0", "1.0", 0},
		{"epoch wins", "1:0.1", "2.0", 1},
		{"numeric not lexical", "1.10", "1.9", 1},
		{"leading zeros", "1.010", "1.10", 0},
		{"revision", "1.0", "1.0-1", -1},
		{"revision numeric", "1.0-10", "1.0-9", 1},
		{"tilde before release", "1.0~rc1", "1.0", -1},
		{"double tilde", "1.0~~", "1.0~", -1},
		{"letter after", "1.0a", "1.0", 1},
		{"plus after letter", "1.0+b1", "1.0a", 1},
		{"hyphen in upstream", "1.2-3-4", "1.2-3-10", -1},
		{"kubernetes", "1.31.10-1.1", "1.31.9-1.1", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := compareDebVersions(c.a, c.b); got != c.want {
				t.Errorf("compareDebVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
			}
			if got := -compareDebVersions(c.b, c.a); got != c.want {
				t.Errorf("compareDebVersions(%q, %q) not antisymmetric", c.b, c.a)
			}
			op := map[int]string{-1: "lt", 0: "eq", 1: "gt"}[c.want]
			if _, err := run(t, "", "dpkg", "--compare-versions", c.a, op, c.b); err != nil {
				t.Errorf("dpkg disagrees with the table: %v", err)
			}
		})
	}
}

func TestParseParagraph(t *testing.T) {
	cases := []struct {
		name, in string
		want     paragraph
		wantErr  bool
	}{
		{name: "simple", in: "Package: a\nVersion: 1\n",
			want: paragraph{{"Package", "a"}, {"Version", "1"}}},
		{name: "continuation and trailing blanks", in: "Description: short \n long line\n .\n\tmore\n",
			want: paragraph{{"Description", "short\n long line\n .\n\tmore"}}},
		{name: "empty first line", in: "Conffiles:\n /etc/a 123\n",
			want: paragraph{{"Conffiles", "\n /etc/a 123"}}},
		{name: "stops at blank line", in: "\n\nA: 1\r\n\nB: 2\n",
			want: paragraph{{"A", "1"}}},
		{name: "no final newline", in: "A: 1",
			want: paragraph{{"A", "1"}}},
		{name: "empty", in: "\n", wantErr: true},
		{name: "continuation first", in: " x\n", wantErr: true},
		{name: "no colon", in: "A 1\n", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseParagraph(bufio.NewReader(strings.NewReader(c.in)))
			if c.wantErr {
				if err == nil {
					t.Fatalf("parsed %q as %v, want an error", c.in, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("field %d = %q, want %q", i, got[i], c.want[i])
				}
			}
			var buf bytes.Buffer
			got.writeTo(&buf)
			again, err := parseParagraph(bufio.NewReader(&buf))
			if err != nil || len(again) != len(got) {
				t.Errorf("round trip of %q failed: %v %q", buf.String(), err, again)
			}
		})
	}
}

func TestOptionsDefaultsAndValidation(t *testing.T) {
	o, err := Options{Date: repoDate.In(time.FixedZone("X", 3600)).Add(time.Millisecond)}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Date: repoDate, Origin: "slipway", Label: "slipway", Suite: "stable", Codename: "stable", Description: "slipway packages"}
	if o != want {
		t.Errorf("defaults = %+v, want %+v", o, want)
	}
	if o, _ := (Options{Date: repoDate, Suite: "v1.31"}).withDefaults(); o.Codename != "v1.31" {
		t.Errorf("Codename = %q, want it to default to Suite", o.Codename)
	}

	_, err = Options{Suite: "a b", Label: "x\ny"}.withDefaults()
	if err == nil {
		t.Fatal("invalid options accepted")
	}
	for _, want := range []string{"Date is required", "Suite", "Label"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not report %q", err, want)
		}
	}
}

func TestXMLEscaping(t *testing.T) {
	cases := []struct{ name, in, text, attr string }{
		{"markup", `a<b>&"c"`, `a&lt;b&gt;&amp;"c"`, `a&lt;b&gt;&amp;&quot;c&quot;`},
		{"white space", "a\tb\nc\r", "a\tb\nc&#13;", "a&#9;b&#10;c&#13;"},
		{"control character", "a\x01b", "a\uFFFDb", "a\uFFFDb"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb", "a\uFFFDb"},
		{"unicode kept", "Grüße", "Grüße", "Grüße"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := escapeText(c.in); got != c.text {
				t.Errorf("escapeText(%q) = %q, want %q", c.in, got, c.text)
			}
			if got := escapeAttr(c.in); got != c.attr {
				t.Errorf("escapeAttr(%q) = %q, want %q", c.in, got, c.attr)
			}
		})
	}
}
