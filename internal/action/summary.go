package action

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/reoclo/docker-auth/internal/untrusted"
)

// Results shown in the job summary.
const (
	resultLoggedIn     = "Logged in"
	resultFailed       = "Failed"
	resultLoggedOut    = "Logged out"
	resultNotLoggedOut = "Not logged out"
	resultLogoutSent   = "Logout sent"
)

// stepSummary is what one step (main or post) adds to the job summary: a
// heading, then a one-row table when a login or logout was started, else a
// sentence, then the reason when it failed.
type stepSummary struct {
	// Title is the heading: "Registry login" or "Registry logout".
	Title string
	// Result is one of the result* constants.
	Result string
	// Registry, Type, Server and OperationID fill the table; the table is
	// written only when Registry is known. Type is shown for a login only.
	Registry, Type, Server, OperationID string
	Took                                time.Duration
	// Note is the sentence written instead of a table.
	Note string
	// Reason is why it failed: an error's text, one paragraph a line.
	Reason string
}

// loginTable and logoutTable are the tables' headers.
const (
	loginTable  = "| Result | Registry | Type | Server | Operation | Duration |\n| --- | --- | --- | --- | --- | --- |\n"
	logoutTable = "| Result | Registry | Server | Operation | Duration |\n| --- | --- | --- | --- | --- |\n"
)

// maxReasonLines bounds the lines of a reason in the summary.
const maxReasonLines = 20

// markdown renders the summary. Every string in it is untrusted: each is
// made one line, HTML-escaped and stripped of Markdown's active characters.
func (s stepSummary) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", s.Title)
	switch {
	case s.Registry != "" && s.Title == loginTitle:
		b.WriteString(loginTable)
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", s.Result, cell(s.Registry), cell(dash(s.Type)), cell(dash(s.Server)),
			code(s.OperationID), duration(s.Took))
	case s.Registry != "":
		b.WriteString(logoutTable)
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", s.Result, cell(s.Registry), cell(dash(s.Server)),
			code(s.OperationID), duration(s.Took))
	default:
		fmt.Fprintf(&b, "%s\n", s.Note) // our own sentence, not untrusted
	}
	if s.Reason != "" {
		lines := strings.Split(strings.TrimSpace(s.Reason), "\n")
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

// Summary titles.
const (
	loginTitle  = "Registry login"
	logoutTitle = "Registry logout"
)

// finish writes the summary of a step that fails the job when *err is set,
// with *err's message as its reason. Steps defer it.
func (s *stepSummary) finish(gh *githubactions.Action, d Deps, err *error) {
	if *err != nil {
		s.Reason = (*err).Error()
	}
	s.write(gh, d)
}

// write appends the summary to the job summary (GITHUB_STEP_SUMMARY).
// Without that file it does nothing; a write failure is only a warning.
func (s stepSummary) write(gh *githubactions.Action, d Deps) {
	if d.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			gh.Warningf("could not write the job summary: %v", p)
		}
	}()
	gh.AddStepSummary(s.markdown())
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
	s = html.EscapeString(untrusted.Line(s, 200))
	return strings.NewReplacer("|", `\|`, "`", "'").Replace(s)
}

// markdownActive are the characters that could make text into links,
// images, emphasis, code or table cells; text escapes them with a backslash.
var markdownActive = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"|", `\|`, "~", `\~`)

// text makes untrusted text one safe line of Markdown prose.
func text(s string) string {
	return markdownActive.Replace(html.EscapeString(untrusted.Line(s, 2000)))
}
