// Package format renders docker's --format templates for every rrun verb
// that lists or inspects things (ps, images, inspect, info, version, system
// df, stats, history, volume ls/inspect). Verbs hand it plain structs; it
// imports nothing of rrun but plugins/api (for its error kinds).
//
// The API:
//
//   - List(w, format, def, headers, rows) prints rows as docker's list verbs
//     do: format "" or "table" uses def (a "table ..." template); "table T"
//     prints a header line (field names turned into headers, see Header) and
//     aligns the columns; "json" prints one JSON object per row; any other T
//     prints T per row, each followed by a newline.
//   - Object(w, format, items) prints items as docker's inspect does: "" or
//     "json" an indented JSON array; any other T once per item.
//   - Parse(format) is the template alone (docker's functions, `\t` and `\n`
//     escapes), for verbs that print one value, such as version and info.
//
// Templates get docker's functions: json, table (as a directive), upper,
// lower, title, join, split, truncate, pad, and text/template's println.
package format

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"text/template"
	"unicode"

	"github.com/rrun-project/rrun/plugins/api"
)

// Funcs is docker's template function set (docker/cli templates.basicFunctions).
func Funcs() template.FuncMap {
	return template.FuncMap{
		"json": func(v any) string {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(v) // any value a template holds encodes; an error leaves the text empty as docker
			return strings.TrimSpace(buf.String())
		},
		"split": strings.Split,
		"join":  strings.Join,
		"title": func(s string) string {
			// strings.Title, as docker, without the deprecated call
			prev := ' '
			return strings.Map(func(r rune) rune {
				out := r
				if unicode.IsSpace(prev) || unicode.IsPunct(prev) {
					out = unicode.ToTitle(r)
				}
				prev = r
				return out
			}, s)
		},
		"lower":    strings.ToLower,
		"upper":    strings.ToUpper,
		"pad":      pad,
		"truncate": truncate,
	}
}

// headerFuncs are docker's functions for the header row: they return their
// first argument, so `{{upper .Names}}` heads its column with NAMES.
func headerFuncs() template.FuncMap {
	id := func(v string, _ ...any) string { return v }
	return template.FuncMap{
		"json": func(v any) any { return v }, "split": id, "join": func(v any, _ ...any) any { return v },
		"title": id, "lower": id, "upper": id, "pad": id, "truncate": id,
	}
}

func pad(s string, prefix, suffix int) string {
	if s == "" {
		return s
	}
	return strings.Repeat(" ", prefix) + s + strings.Repeat(" ", suffix)
}

func truncate(s string, n int) string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

// Parse parses a user's template with docker's functions, after turning the
// two-character escapes `\t` and `\n` into tab and newline as docker does.
func Parse(text string) (*template.Template, error) {
	t, err := template.New("format").Funcs(Funcs()).Parse(unescape(text))
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "see https://docs.docker.com/go/formatting/", "invalid --format template: %v", err)
	}
	return t, nil
}

func unescape(s string) string {
	return strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(s)
}

// Execute runs t on v and adds a newline, turning an error into one line
// that names the problem.
func Execute(w io.Writer, t *template.Template, v any) error {
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		return api.Errorf(api.ErrInvalidArgument, "", "template parsing error: %v", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// List prints rows (structs or maps) with format as docker's list verbs do;
// def is the verb's default "table ..." template, headers overrides the
// header of a field (default: the field name in capitals, words apart).
func List[T any](w io.Writer, format, def string, headers map[string]string, rows []T) error {
	format = strings.TrimSpace(format)
	switch format {
	case "", "table":
		format = def
	case "json":
		format = "{{json .}}"
	}
	body, isTable := strings.CutPrefix(format, "table")
	if !isTable {
		t, err := Parse(format)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := Execute(w, t, r); err != nil {
				return err
			}
		}
		return nil
	}
	return table(w, strings.TrimSpace(body), headerMap(rows, headers), rows)
}

// table prints a header row and rows, aligned as docker's tabwriter does.
func table[T any](w io.Writer, body string, headers map[string]string, rows []T) error {
	t, err := Parse(body)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	if h, err := template.New("header").Funcs(headerFuncs()).Parse(unescape(body)); err == nil {
		var buf bytes.Buffer
		if h.Execute(&buf, headers) == nil {
			fmt.Fprintln(tw, buf.String())
		}
	}
	for _, r := range rows {
		if err := Execute(tw, t, r); err != nil {
			return err
		}
	}
	return tw.Flush()
}

// headerMap is the header of every field of T (or of the keys of the first
// row when T is a map), overridden by headers.
func headerMap[T any](rows []T, headers map[string]string) map[string]string {
	out := map[string]string{}
	var zero T
	rt := reflect.TypeOf(zero)
	for rt != nil && rt.Kind() == reflect.Pointer {
		rt = rt.Elem()
	}
	switch {
	case rt != nil && rt.Kind() == reflect.Struct:
		for i := 0; i < rt.NumField(); i++ {
			out[rt.Field(i).Name] = Header(rt.Field(i).Name)
		}
	case len(rows) > 0:
		if m, ok := any(rows[0]).(map[string]any); ok {
			for k := range m {
				out[k] = Header(k)
			}
		}
	}
	for k, v := range headers {
		out[k] = v
	}
	return out
}

// Header is a field name as a column header: "RunningFor" is "RUNNING FOR".
func Header(field string) string {
	var b strings.Builder
	rs := []rune(field)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// Object prints items as docker's inspect does: "" or "json" is an indented
// JSON array; any other format is a template run once per item. A template
// that a typed item cannot satisfy (a field only its JSON has) is tried on
// the item's JSON form, as docker's inspect falls back to the raw JSON.
func Object[T any](w io.Writer, format string, items []T) error {
	if f := strings.TrimSpace(format); f == "" || f == "json" {
		if items == nil {
			items = []T{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "    ")
		enc.SetEscapeHTML(false)
		return enc.Encode(items)
	}
	t, err := Parse(format)
	if err != nil {
		return err
	}
	for _, it := range items {
		var buf bytes.Buffer
		if err := t.Execute(&buf, it); err != nil {
			buf.Reset()
			if err := t.Execute(&buf, rawJSON(it)); err != nil {
				return api.Errorf(api.ErrInvalidArgument, "", "template parsing error: %v", err)
			}
		}
		buf.WriteByte('\n')
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// rawJSON is v as encoding/json decodes its JSON (numbers kept as written).
func rawJSON(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out any
	if dec.Decode(&out) != nil {
		return v
	}
	return out
}
