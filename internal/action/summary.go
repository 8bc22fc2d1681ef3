package action

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/reoclo/docker-auth/internal/untrusted"
)

// Summary titles and results.
const (
	loginTitle         = "Registry login"
	logoutTitle        = "Registry logout"
	resultLoggedIn     = "Logged in"
	resultFailed       = "Failed"
	resultLoggedOut    = "Logged out"
	resultNotLoggedOut = "Not logged out"
	resultLogoutSent   = "Logout sent"
)

// report is what a step did, as the job summary says it: a heading, a
// one-row table once a login or logout started (Registry), else the Note,
// then the Reason. Each role returns one; Run writes it.
type report struct {
	Title, Result                       string
	Registry, Type, Server, OperationID string
	Took                                time.Duration
	Note, Reason                        string
}

// markdown renders the report; every string in it but the Note is untrusted
// and made one safe line.
func (r report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", r.Title)
	switch {
	case r.Registry == "":
		fmt.Fprintf(&b, "%s\n", r.Note)
	case r.Title == loginTitle:
		b.WriteString("| Result | Registry | Type | Server | Operation | Duration |\n| --- | --- | --- | --- | --- | --- |\n")
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.Result, cell(r.Registry), cell(r.Type), cell(r.Server),
			code(r.OperationID), duration(r.Took))
	default:
		b.WriteString("| Result | Registry | Server | Operation | Duration |\n| --- | --- | --- | --- | --- |\n")
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Result, cell(r.Registry), cell(r.Server), code(r.OperationID), duration(r.Took))
	}
	lines := strings.Split(strings.TrimSpace(r.Reason), "\n")
	if len(lines) > 20 {
		lines = append(lines[:20], "…")
	}
	switch {
	case r.Reason == "":
	case len(lines) == 1:
		fmt.Fprintf(&b, "\n**Reason:** %s\n", text(lines[0]))
	default:
		b.WriteString("\n**Reason:**\n\n")
		for _, l := range lines {
			fmt.Fprintf(&b, "- %s\n", text(l))
		}
	}
	return b.String() // AddStepSummary adds the blank line that ends the section
}

// summarise appends the report to the job summary, when the runner gave one;
// a failure to write it is only a warning.
func (s *step) summarise(r report) {
	if s.getenv("GITHUB_STEP_SUMMARY") == "" {
		return
	}
	if err := fileCommand(func() { s.gh.AddStepSummary(r.markdown()) }); err != nil {
		s.gh.Warningf("could not write the job summary: %v", err)
	}
}

// duration formats a step's time as "0.3 s", or "–" when none was measured.
func duration(d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// code shows an operation ID as code, or "–".
func code(id string) string {
	if id == "" {
		return "–"
	}
	return "`" + cell(id) + "`"
}

// cell makes untrusted text safe in a Markdown table cell, "–" when empty.
func cell(s string) string {
	if s = html.EscapeString(untrusted.Line(s)); s == "" {
		return "–"
	}
	return strings.NewReplacer("|", `\|`, "`", "'").Replace(s)
}

// markdownActive escapes the characters that could make text into links,
// images, emphasis, code or table cells.
var markdownActive = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"|", `\|`, "~", `\~`)

// text makes untrusted text one safe line of Markdown prose.
func text(s string) string { return markdownActive.Replace(html.EscapeString(untrusted.Line(s))) }
