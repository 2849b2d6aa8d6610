package health

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Default check directories: the image's checks, then the node's, which
// override the image's by file name.
const (
	ImageDir = "/usr/lib/slipway/health.d"
	NodeDir  = "/etc/slipway/health.d"
)

// Defaults of a check file's optional fields.
const (
	// DefaultDeadline is how long the gate waits for all checks to pass
	// when no file sets a deadline.
	DefaultDeadline = 5 * time.Minute
	// DefaultInterval is the poll interval when no file sets one.
	DefaultInterval = 2 * time.Second
	// DefaultStatus is the HTTP status a check expects unless it says
	// otherwise.
	DefaultStatus = 200
)

// Config is the merged checks of every check file.
type Config struct {
	// Deadline is the largest deadline of all files, a file that sets
	// none counting as DefaultDeadline (each file's deadline is how long
	// its own checks may need): so the gate waits DefaultDeadline unless
	// a file asks for longer, or every file for less.
	Deadline time.Duration `json:"deadline"`
	// Interval is the smallest poll interval of all files;
	// DefaultInterval when none sets one.
	Interval time.Duration `json:"interval"`
	// Units must be active (systemd's ActiveState), e.g. containerd.service.
	Units []string `json:"units,omitempty"`
	// HTTP endpoints must answer with their status.
	HTTP []HTTPCheck `json:"http,omitempty"`
	// Files must exist.
	Files []string `json:"files,omitempty"`
	// Sources are the files read, in the order merged (by name).
	Sources []string `json:"sources,omitempty"`
}

// HTTPCheck is one endpoint that must answer a GET with Status.
type HTTPCheck struct {
	// URL is an http or https URL, e.g. http://127.0.0.1:10248/healthz.
	URL string `json:"url"`
	// Status is the expected status code; DefaultStatus (200) when zero.
	Status int `json:"status,omitempty"`
	// CAFile verifies an https server; the system roots when empty.
	CAFile string `json:"caFile,omitempty"`
	// CertFile and KeyFile are a client certificate, both or neither.
	CertFile string `json:"certFile,omitempty"`
	KeyFile  string `json:"keyFile,omitempty"`
	// InsecureSkipVerify skips verifying the server's certificate.
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// checkFile is one check file as written.
type checkFile struct {
	// Deadline and Interval are Go durations: "5m", "2s".
	Deadline *string     `json:"deadline,omitempty"`
	Interval *string     `json:"interval,omitempty"`
	Units    []string    `json:"units,omitempty"`
	HTTP     []HTTPCheck `json:"http,omitempty"`
	Files    []string    `json:"files,omitempty"`

	deadline, interval time.Duration // parsed; zero when not set
}

// parseFile decodes one check file strictly (unknown fields are errors)
// and validates it, reporting every problem prefixed with name.
func parseFile(name string, data []byte) (checkFile, error) {
	var f checkFile
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return f, fmt.Errorf("%s: %s", name, decodeProblem(err))
	}
	var errs []error
	for _, p := range f.problems() {
		errs = append(errs, fmt.Errorf("%s: %s", name, p))
	}
	return f, errors.Join(errs...)
}

// decodeProblem words a decoding error for the file's author: the
// field and what it should hold, without the layers of Go types and
// YAML-to-JSON conversion.
func decodeProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "the document"
		}
		return fmt.Sprintf("%s must be %s, not %s", field, kindName(te.Type), te.Value)
	}
	msg := err.Error()
	for _, p := range []string{"error converting YAML to JSON: ", "error unmarshaling JSON: ", "while decoding JSON: ", "json: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

// kindName names a Go type the way YAML speaks.
func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "a number"
	case reflect.Pointer:
		return kindName(t.Elem())
	}
	return "a " + t.Kind().String()
}

// problems lists everything wrong in a decoded file, and parses its
// durations.
func (f *checkFile) problems() []string {
	var out []string
	for _, d := range []struct {
		field string
		raw   *string
		dst   *time.Duration
	}{{"deadline", f.Deadline, &f.deadline}, {"interval", f.Interval, &f.interval}} {
		if d.raw == nil {
			continue
		}
		v, err := time.ParseDuration(*d.raw)
		switch {
		case err != nil:
			out = append(out, fmt.Sprintf("%s: %q is not a duration like \"5m\" or \"2s\"", d.field, *d.raw))
		case v <= 0:
			out = append(out, d.field+" must be positive")
		default:
			*d.dst = v
		}
	}
	for i, u := range f.Units {
		if strings.TrimSpace(u) == "" || strings.ContainsAny(u, " /") {
			out = append(out, fmt.Sprintf("units[%d]: %q is not a unit name", i, u))
		}
	}
	for i, h := range f.HTTP {
		for _, p := range h.problems() {
			out = append(out, fmt.Sprintf("http[%d]: %s", i, p))
		}
	}
	for i, p := range f.Files {
		if !filepath.IsAbs(p) {
			out = append(out, fmt.Sprintf("files[%d]: %q is not an absolute path", i, p))
		}
	}
	return out
}

func (h HTTPCheck) problems() []string {
	var out []string
	u, err := url.Parse(h.URL)
	switch {
	case h.URL == "":
		out = append(out, "url is required")
	case err != nil:
		out = append(out, err.Error())
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		out = append(out, fmt.Sprintf("url %q is not an http:// or https:// URL", h.URL))
	}
	if h.Status != 0 && (h.Status < 100 || h.Status > 599) {
		out = append(out, fmt.Sprintf("status %d is not an HTTP status code", h.Status))
	}
	if (h.CertFile == "") != (h.KeyFile == "") {
		out = append(out, "certFile and keyFile go together")
	}
	for _, p := range []string{h.CAFile, h.CertFile, h.KeyFile} {
		if p != "" && !filepath.IsAbs(p) {
			out = append(out, fmt.Sprintf("%q is not an absolute path", p))
		}
	}
	return out
}

// merge combines check files in order: the largest deadline (a file
// without one needs DefaultDeadline), the smallest interval set, and the units, HTTP checks and files of all, each
// once, in first-seen order.
func merge(files []checkFile, sources []string) Config {
	c := Config{Sources: sources}
	for _, f := range files {
		d := DefaultDeadline
		if f.deadline > 0 {
			d = f.deadline
		}
		c.Deadline = max(c.Deadline, d)
		if f.interval > 0 && (c.Interval == 0 || f.interval < c.Interval) {
			c.Interval = f.interval
		}
		c.Units = appendNew(c.Units, f.Units...)
		c.Files = appendNew(c.Files, f.Files...)
		for _, h := range f.HTTP {
			if h.Status == 0 {
				h.Status = DefaultStatus
			}
			c.HTTP = appendNew(c.HTTP, h)
		}
	}
	if c.Deadline == 0 {
		c.Deadline = DefaultDeadline
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	return c
}

func appendNew[T comparable](list []T, items ...T) []T {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}
