package main

import (
	"html"
	"strings"
	"unicode/utf8"
)

// renderSummary shows job-summary Markdown as a person sees it on the run's
// summary page, in plain text: headings underlined, tables aligned, escapes
// and code marks removed. It knows the Markdown the action writes (headings,
// one table, paragraphs, a bullet list, bold), not all of Markdown.
func renderSummary(md string) string {
	var out strings.Builder
	var table [][]string
	flush := func() {
		if len(table) > 0 {
			out.WriteString(alignTable(table))
			table = nil
		}
	}
	for _, line := range strings.Split(strings.TrimRight(md, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "|"):
			if cells := splitRow(line); !isDelimiterRow(cells) {
				table = append(table, cells)
			}
			continue
		case strings.HasPrefix(line, "#"):
			flush()
			title := plain(strings.TrimSpace(strings.TrimLeft(line, "#")))
			out.WriteString(title + "\n" + strings.Repeat("─", utf8.RuneCountInString(title)) + "\n")
		case strings.HasPrefix(line, "- "):
			flush()
			out.WriteString("  • " + plain(line[2:]) + "\n")
		default:
			flush()
			out.WriteString(plain(line) + "\n")
		}
	}
	flush()
	return out.String()
}

// splitRow splits a table row on the pipes that are not escaped.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	if strings.HasSuffix(line, "|") && !strings.HasSuffix(line, `\|`) {
		line = line[:len(line)-1]
	}
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line):
			cur.WriteByte(line[i])
			cur.WriteByte(line[i+1])
			i++
		case line[i] == '|':
			cells = append(cells, plain(strings.TrimSpace(cur.String())))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	return append(cells, plain(strings.TrimSpace(cur.String())))
}

func isDelimiterRow(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, "-: ") != "" {
			return false
		}
	}
	return true
}

// alignTable lays out rows in columns; the first row is the header.
func alignTable(rows [][]string) string {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	line := func(r []string) {
		var l strings.Builder
		for i, c := range r {
			l.WriteString(c + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)) + "  ")
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	for i, r := range rows {
		line(r)
		if i == 0 {
			rule := make([]string, len(widths))
			for j, w := range widths {
				rule[j] = strings.Repeat("─", w)
			}
			line(rule)
		}
	}
	return b.String()
}

// plain removes Markdown's backslash escapes, code and bold marks, and
// HTML character references.
func plain(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\`*_[]|~{}()#+-.!<>", s[i+1]) >= 0:
			b.WriteByte(s[i+1])
			i++
		case s[i] == '`':
		case s[i] == '*' && i+1 < len(s) && s[i+1] == '*':
			i++
		default:
			b.WriteByte(s[i])
		}
	}
	return html.UnescapeString(b.String())
}
