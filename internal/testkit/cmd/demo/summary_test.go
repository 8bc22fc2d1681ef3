package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRenderSummary(t *testing.T) {
	md := "### Registry login\n\n" +
		"| Result | Registry | Type | Server | Operation | Duration |\n| --- | --- | --- | --- | --- | --- |\n" +
		"| Failed | harbor.example.com | harbor | prod-api | `9d2f` | 0.4 s |\n\n" +
		"**Reason:** docker login failed: Get &#34;https://harbor.example.com/v2/&#34;: \\[denied\\] a\\|b \\*x\\* &lt;b&gt;\n\n" +
		"### Registry login\n\nFailed before any login started on the server.\n\n**Reason:**\n\n" +
		"- input server\\_id: must be a UUID\n- input timeout: must be a positive number\n\n"
	want := "Registry login\n" +
		"──────────────\n" +
		"\n" +
		"Result  Registry            Type    Server    Operation  Duration\n" +
		"──────  ──────────────────  ──────  ────────  ─────────  ────────\n" +
		"Failed  harbor.example.com  harbor  prod-api  9d2f       0.4 s\n" +
		"\n" +
		"Reason: docker login failed: Get \"https://harbor.example.com/v2/\": [denied] a|b *x* <b>\n" +
		"\n" +
		"Registry login\n" +
		"──────────────\n" +
		"\n" +
		"Failed before any login started on the server.\n" +
		"\n" +
		"Reason:\n" +
		"\n" +
		"  • input server_id: must be a UUID\n" +
		"  • input timeout: must be a positive number\n"
	assert.Equal(t, want, renderSummary(md))
}

func TestRenderSummaryKeepsEscapedPipesInCells(t *testing.T) {
	got := renderSummary("| A | B |\n| --- | --- |\n| x\\|y | `z` |\n")
	assert.Equal(t, "A    B\n───  ─\nx|y  z\n", got)
}
