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

// report is what one step did, as its section of the job summary says it:
// a heading, then a one-row table when a login or logout was started (its
// Registry is known), else the Note, then the Reason when it failed. Each
// role returns one; Run writes it.
type report struct {
	Title, Result                       string
	Registry, Type, Server, OperationID string
	Took                                time.Duration
	Note, Reason                        string
}

// maxReasonLines bounds the lines of a reason in the summary.
const maxReasonLines = 20

// markdown renders the report. Every string in it but the Note is untrusted:
// each is made one line, HTML-escaped and stripped of Markdown's active
// characters.
func (r report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", r.Title)
	switch {
	case r.Registry != "" && r.Title == loginTitle:
		b.WriteString("| Result | Registry | Type | Server | Operation | Duration |\n| --- | --- | --- | --- | --- | --- |\n")
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.Result, cell(r.Registry), cell(dash(r.Type)), cell(dash(r.Server)),
			code(r.OperationID), duration(r.Took))
	case r.Registry != "":
		b.WriteString("| Result | Registry | Server | Operation | Duration |\n| --- | --- | --- | --- | --- |\n")
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Result, cell(r.Registry), cell(dash(r.Server)), code(r.OperationID), duration(r.Took))
	default:
		fmt.Fprintf(&b, "%s\n", r.Note)
	}
	if r.Reason != "" {
		lines := strings.Split(strings.TrimSpace(r.Reason), "\n")
		if len(lines) > maxReasonLines {
			lines = append(lines[:maxReasonLines], "…")
		}
		if len(lines) == 1 {
			fmt.Fprintf(&b, "\n**Reason:** %s\n", text(lines[0]))
		} else {
			b.WriteString("\n**Reason:**\n\n")
			for _, l := range lines {
				fmt.Fprintf(&b, "- %s\n", text(l))
			}
		}
	}
	return b.String() // AddStepSummary adds the blank line that ends the section
}

// summarise appends the report to the job summary (GITHUB_STEP_SUMMARY).
// Without that file it does nothing; a write failure is only a warning.
func (s *step) summarise(r report) {
	if s.d.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return
	}
	if err := fileCommand(func() { s.gh.AddStepSummary(r.markdown()) }); err != nil {
		s.gh.Warningf("could not write the job summary: %v", err)
	}
}

// dash stands in for a value that is not known.
func dash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// duration formats a step's time as "0.3 s", or "–" when none was measured.
func duration(d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// code shows an operation ID as code, or "–" when there is none.
func code(id string) string {
	if id == "" {
		return "–"
	}
	return "`" + cell(id) + "`"
}

// cell makes untrusted text safe inside a Markdown table cell.
func cell(s string) string {
	s = html.EscapeString(untrusted.Line(s))
	return strings.NewReplacer("|", `\|`, "`", "'").Replace(s)
}

// markdownActive are the characters that could make text into links,
// images, emphasis, code or table cells; text escapes them with a backslash.
var markdownActive = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"|", `\|`, "~", `\~`)

// text makes untrusted text one safe line of Markdown prose.
func text(s string) string {
	return markdownActive.Replace(html.EscapeString(untrusted.Line(s)))
}
