package repo

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The XML below is laid out byte for byte like createrepo_c's (libxml2
// serialization, two-space indent, no final newline in the data files) so
// the uncompressed files can be compared with its output.

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// primaryXML renders primary.xml; fileTime is the <time file=""> value.
func primaryXML(pkgs []*rpmPackage, fileTime int64) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	fmt.Fprintf(&b, `<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="%d">`+"\n", len(pkgs))
	for _, p := range pkgs {
		b.WriteString("<package type=\"rpm\">\n")
		textElem(&b, "  ", "name", p.name)
		textElem(&b, "  ", "arch", p.arch)
		versionElem(&b, p)
		fmt.Fprintf(&b, "  <checksum type=\"sha256\" pkgid=\"YES\">%s</checksum>\n", p.pkgid)
		textElem(&b, "  ", "summary", p.summary)
		textElem(&b, "  ", "description", p.description)
		textElem(&b, "  ", "packager", p.packager)
		textElem(&b, "  ", "url", p.url)
		fmt.Fprintf(&b, "  <time file=\"%d\" build=\"%d\"/>\n", fileTime, p.buildTime)
		fmt.Fprintf(&b, "  <size package=\"%d\" installed=\"%d\" archive=\"%d\"/>\n", p.size, p.installed, p.archive)
		fmt.Fprintf(&b, "  <location href=\"%s\"/>\n", escapeAttr(p.href))
		primaryFormat(&b, p)
		b.WriteString("</package>\n")
	}
	b.WriteString("</metadata>")
	return b.Bytes()
}

// primaryFormat renders a package's <format> element.
func primaryFormat(b *bytes.Buffer, p *rpmPackage) {
	b.WriteString("  <format>\n")
	textElem(b, "    ", "rpm:license", p.license)
	textElem(b, "    ", "rpm:vendor", p.vendor)
	textElem(b, "    ", "rpm:group", p.group)
	textElem(b, "    ", "rpm:buildhost", p.buildHost)
	textElem(b, "    ", "rpm:sourcerpm", p.sourceRPM)
	fmt.Fprintf(b, "    <rpm:header-range start=\"%d\" end=\"%d\"/>\n", p.headerStart, p.headerEnd)
	for _, k := range depKinds {
		deps := p.deps[k.element]
		if len(deps) == 0 {
			continue
		}
		fmt.Fprintf(b, "    <%s>\n", k.element)
		for _, d := range deps {
			depEntry(b, d)
		}
		fmt.Fprintf(b, "    </%s>\n", k.element)
	}
	for _, f := range p.files {
		if isPrimaryFile(f.path) {
			fileElem(b, "    ", f)
		}
	}
	b.WriteString("  </format>\n")
}

// depEntry renders one <rpm:entry>.
func depEntry(b *bytes.Buffer, d rpmDep) {
	fmt.Fprintf(b, "      <rpm:entry name=\"%s\"", escapeAttr(d.name))
	if d.flags != "" {
		fmt.Fprintf(b, " flags=\"%s\"", d.flags)
		for _, a := range [][2]string{{"epoch", d.epoch}, {"ver", d.ver}, {"rel", d.rel}} {
			if a[1] != "" {
				fmt.Fprintf(b, " %s=\"%s\"", a[0], escapeAttr(a[1]))
			}
		}
	}
	if d.pre {
		b.WriteString(` pre="1"`)
	}
	b.WriteString("/>\n")
}

// filelistsXML renders filelists.xml.
func filelistsXML(pkgs []*rpmPackage) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	fmt.Fprintf(&b, `<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="%d">`+"\n", len(pkgs))
	for _, p := range pkgs {
		packageOpen(&b, p)
		for _, f := range p.files {
			fileElem(&b, "  ", f)
		}
		b.WriteString("</package>\n")
	}
	b.WriteString("</filelists>")
	return b.Bytes()
}

// otherXML renders other.xml.
func otherXML(pkgs []*rpmPackage) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	fmt.Fprintf(&b, `<otherdata xmlns="http://linux.duke.edu/metadata/other" packages="%d">`+"\n", len(pkgs))
	for _, p := range pkgs {
		packageOpen(&b, p)
		for _, c := range p.changelogs {
			fmt.Fprintf(&b, "  <changelog author=\"%s\" date=\"%d\">%s</changelog>\n",
				escapeAttr(c.author), c.date, escapeText(c.text))
		}
		b.WriteString("</package>\n")
	}
	b.WriteString("</otherdata>")
	return b.Bytes()
}

// packageOpen renders the <package> start and <version> of filelists.xml
// and other.xml.
func packageOpen(b *bytes.Buffer, p *rpmPackage) {
	fmt.Fprintf(b, "<package pkgid=\"%s\" name=\"%s\" arch=\"%s\">\n", p.pkgid, escapeAttr(p.name), escapeAttr(p.arch))
	versionElem(b, p)
}

// versionElem renders a package's <version>.
func versionElem(b *bytes.Buffer, p *rpmPackage) {
	fmt.Fprintf(b, "  <version epoch=\"%s\" ver=\"%s\" rel=\"%s\"/>\n",
		escapeAttr(p.epoch), escapeAttr(p.version), escapeAttr(p.release))
}

// fileElem renders one <file>, with its type unless it is a regular file.
func fileElem(b *bytes.Buffer, indent string, f rpmFile) {
	if f.typ != "" {
		fmt.Fprintf(b, "%s<file type=\"%s\">%s</file>\n", indent, f.typ, escapeText(f.path))
		return
	}
	fmt.Fprintf(b, "%s<file>%s</file>\n", indent, escapeText(f.path))
}

// textElem renders <name>text</name> on its own line.
func textElem(b *bytes.Buffer, indent, name, text string) {
	fmt.Fprintf(b, "%s<%s>%s</%s>\n", indent, name, escapeText(text), name)
}

var (
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#13;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
		"\r", "&#13;", "\n", "&#10;", "\t", "&#9;")
)

// escapeText escapes s for XML character data as libxml2 does, after making
// it valid UTF-8 without characters XML 1.0 forbids.
func escapeText(s string) string { return textEscaper.Replace(xmlSafe(s)) }

// escapeAttr escapes s for a double-quoted XML attribute as libxml2 does.
func escapeAttr(s string) string { return attrEscaper.Replace(xmlSafe(s)) }

// xmlSafe replaces invalid UTF-8 and control characters XML 1.0 cannot
// represent with U+FFFD, so dnf's parser never rejects the file.
func xmlSafe(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, forbiddenInXML) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if forbiddenInXML(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func forbiddenInXML(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF
}
