package action

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/reoclo/docker-auth/internal/untrusted"
)

// summaryRow is one login in the job summary.
type summaryRow struct {
	Registry, Type, Server, OperationID string
	Took                                time.Duration
}

// writeSummary appends the login to the job summary (GITHUB_STEP_SUMMARY).
// Without that file it does nothing; a write failure is only a warning.
func writeSummary(gh *githubactions.Action, d Deps, r summaryRow) {
	if d.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return
	}
	var b strings.Builder
	b.WriteString("### Registry login\n\n")
	b.WriteString("| Registry | Type | Server | Operation | Duration |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	fmt.Fprintf(&b, "| %s | %s | %s | `%s` | %.1f s |\n",
		cell(r.Registry), cell(r.Type), cell(r.Server), cell(r.OperationID), r.Took.Seconds())
	defer func() {
		if p := recover(); p != nil {
			gh.Warningf("%s", fmt.Sprintf("could not write the job summary: %v", p))
		}
	}()
	gh.AddStepSummary(b.String())
}

// cell makes untrusted text safe inside a Markdown table cell.
func cell(s string) string {
	s = html.EscapeString(untrusted.Line(s, 200))
	return strings.NewReplacer("|", `\|`, "`", "'").Replace(s)
}
