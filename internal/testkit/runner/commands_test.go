package runner

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCommandV2(t *testing.T) {
	for _, tc := range []struct {
		name      string
		line      string
		wantName  string
		wantProps map[string]string
		wantData  string
	}{
		{"plain", "::debug::hello", "debug", map[string]string{}, "hello"},
		{"leading whitespace trimmed", " \t ::add-mask::s3cret", "add-mask", map[string]string{}, "s3cret"},
		{"empty data", "::debug::", "debug", map[string]string{}, ""},
		{"name is case-insensitive", "::ERROR::boom", "ERROR", map[string]string{}, "boom"},
		{"data keeps later separators", "::notice::a::b", "notice", map[string]string{}, "a::b"},
		{
			"properties", "::error file=app.go,line=3,col=4,title=Bad%2C%20thing%3A x::msg",
			"error", map[string]string{"file": "app.go", "line": "3", "col": "4", "title": "Bad,%20thing: x"}, "msg", // %20 is not an escape
		},
		{"properties without value dropped", "::warning title=,=x,file=a::m", "warning", map[string]string{"file": "a"}, "m"},
		{"property names fold, first spelling kept", "::save-state NAME=a,name=b::v", "save-state", map[string]string{"NAME": "b"}, "v"},
		{"data unescapes CR LF percent only", "::error::50%25%0Aline%0D%3A%2C", "error", map[string]string{}, "50%\nline\r%3A%2C"},
		{"%25 is unescaped last", "::error::%250A", "error", map[string]string{}, "%0A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, ok := parseCommandV2(tc.line, isKnownCommand)
			require.True(t, ok)
			assert.Equal(t, tc.wantName, cmd.name)
			assert.Equal(t, tc.wantProps, cmd.props)
			assert.Equal(t, tc.wantData, cmd.data)
		})
	}
}

func TestParseCommandV2PropertyNamesAreNotTrimmed(t *testing.T) {
	cmd, ok := parseCommandV2("::error  line=3, col=4 ::m", isKnownCommand)
	require.True(t, ok)
	assert.Equal(t, "3", cmd.prop("line"), "the property list as a whole is trimmed")
	assert.Empty(t, cmd.prop("col"), "a name after \", \" keeps its leading space")
	assert.Equal(t, "4", cmd.prop(" col"))
}

func TestParseCommandV2NotACommand(t *testing.T) {
	for _, line := range []string{
		"plain text",
		"x ::debug::not at start",
		"::debug no closing separator",
		"::unknown-command::x",
		":: debug::x",
	} {
		_, ok := parseCommandV2(line, isKnownCommand)
		assert.False(t, ok, line)
	}
}

func TestParseCommandV1(t *testing.T) {
	cmd, ok := parseCommandV1("text before ##[warning title=a%3Bb%5D;line=3]msg%3B%5D%25%0Aend", isKnownCommand)
	require.True(t, ok)
	assert.Equal(t, "warning", cmd.name)
	assert.Equal(t, map[string]string{"title": "a;b]", "line": "3"}, cmd.props)
	assert.Equal(t, "msg;]%\nend", cmd.data)

	_, ok = parseCommandV1("##[group]x", func(string) bool { return false })
	assert.False(t, ok)
}

func TestMasker(t *testing.T) {
	var m masker
	m.add("")
	assert.Equal(t, "abc", m.mask("abc"), "an empty mask masks nothing")
	m.add("secret")
	m.add("cret-x")
	assert.Equal(t, "a *** b ***", m.mask("a secret b secret"))
	assert.Equal(t, "***!", m.mask("secret-x!"), "overlapping occurrences merge into one ***")
	assert.Equal(t, "***", m.mask("secretsecret"), "adjacent occurrences merge")
}

// newTestProcessor returns a command processor wired to a fresh result, as runStep wires it.
func newTestProcessor(debug bool) (*commandProcessor, *Result) {
	m := &masker{}
	res := &Result{Outputs: map[string]string{}, State: map[string]string{}}
	p := &commandProcessor{
		log: &logger{masker: m, debug: debug}, res: res,
		addMask: func(v string, fromCommand bool) {
			m.add(v)
			if fromCommand {
				res.Masks = append(res.Masks, v)
			}
		},
	}
	return p, res
}

func feed(p *commandProcessor, lines ...string) []string {
	for _, l := range lines {
		p.line(l)
	}
	return p.log.lines
}

func TestCommandsMaskLaterLines(t *testing.T) {
	p, res := newTestProcessor(false)
	log := feed(p,
		"before s3cr3t-value",
		"  ::add-mask::s3cr3t-value",
		"after s3cr3t-value and again s3cr3t-value",
		"::error title=t::failed with s3cr3t-value",
	)
	assert.Equal(t, []string{
		"before s3cr3t-value",
		"after *** and again ***",
		"Error: failed with ***",
	}, log)
	assert.Equal(t, []string{"s3cr3t-value"}, res.Masks)
	assert.Equal(t, []Annotation{{Level: "error", Message: "failed with ***", Props: map[string]string{"title": "t"}}}, res.Annotations)
}

func TestCommandsAddMaskEmpty(t *testing.T) {
	p, res := newTestProcessor(false)
	log := feed(p, "::add-mask::   ")
	assert.Equal(t, []string{"Warning: Can't add secret mask for empty string in ##[add-mask] command."}, log)
	assert.Empty(t, res.Masks)
	assert.False(t, res.Failed)
}

func TestCommandsStopCommands(t *testing.T) {
	p, res := newTestProcessor(false)
	log := feed(p,
		"::stop-commands::pause-token-1234",
		"::save-state name=registry_url::evil.example",
		"::set-output name=x::y",
		"::add-mask::not-a-mask",
		"::error::not an annotation",
		"##[warning]not a legacy annotation",
		"::pause-token-1234::",
		"::save-state name=server_id::srv-1",
		"not-a-mask",
	)
	assert.Equal(t, []string{
		"::stop-commands::***",
		"::save-state name=registry_url::evil.example",
		"::set-output name=x::y",
		"::add-mask::not-a-mask",
		"::error::not an annotation",
		"##[warning]not a legacy annotation",
		"::***::",
		"Warning: The `save-state` command is deprecated and will be disabled soon. Please upgrade to using Environment Files.",
		"not-a-mask",
	}, log)
	assert.Equal(t, map[string]string{"server_id": "srv-1"}, res.State, "only the save-state after resuming counts")
	assert.Empty(t, res.Outputs)
	assert.Empty(t, res.Masks)
	assert.False(t, res.Failed)
}

func TestCommandsStopCommandsShortTokenAndCase(t *testing.T) {
	p, res := newTestProcessor(false)
	log := feed(p, "::stop-commands::abc", "::save-state name=a::1", "::ABC::", "::save-state name=b::2")
	assert.Equal(t, "::stop-commands::abc", log[0], "a token of 6 characters or fewer is not masked")
	assert.Equal(t, "::ABC::", log[2], "the resume token compares case-insensitively")
	assert.Equal(t, map[string]string{"b": "2"}, res.State)
}

func TestCommandsStopCommandsRefusesUnsafeTokens(t *testing.T) {
	for _, token := range []string{"", "pause-logging", "Add-Mask", "save-state"} {
		t.Run(token, func(t *testing.T) {
			p, res := newTestProcessor(false)
			feed(p, "::stop-commands::"+token, "::save-state name=a::1")
			assert.True(t, res.Failed)
			assert.Equal(t, map[string]string{"a": "1"}, res.State, "processing did not pause")
		})
	}
}

func TestCommandsSetOutputAndSaveState(t *testing.T) {
	p, res := newTestProcessor(false)
	log := feed(p,
		"::set-output name=registry_url::ghcr.io",
		"##[set-output name=legacy;]old%3Bstyle",
		"::save-state name=operation_id::op-1",
		"::save-state name=OPERATION_ID::op-2",
		"::set-output::no name",
	)
	assert.Equal(t, map[string]string{"registry_url": "ghcr.io", "legacy": "old;style"}, res.Outputs)
	assert.Equal(t, map[string]string{"operation_id": "op-2"}, res.State, "state names fold, first spelling kept")
	assert.True(t, res.Failed, "set-output without a name fails the step")
	assert.Contains(t, log, "Error: Unable to process command '::set-output::no name' successfully.")
	assert.Contains(t, log, "Error: Required field 'name' is missing in ##[set-output] command.")
	assert.Contains(t, log, "Warning: The `set-output` command is deprecated and will be disabled soon. Please upgrade to using Environment Files.")
}

func TestCommandsRendering(t *testing.T) {
	for _, debug := range []bool{false, true} {
		p, res := newTestProcessor(debug)
		log := feed(p,
			"::debug::details",
			"::warning file=a.go,line=1::careful",
			"::notice::fyi",
			"::group::not emulated, shown as is",
			"",
		)
		want := []string{"Warning: careful", "Notice: fyi", "::group::not emulated, shown as is", ""}
		if debug {
			want = append([]string{"##[debug]details"}, want...)
		}
		assert.Equal(t, want, log, "debug=%v", debug)
		assert.Len(t, res.Annotations, 2)
		assert.False(t, res.Failed)
	}
}

func TestLineSplitter(t *testing.T) {
	var got []string
	var mu sync.Mutex
	w := &lineSplitter{mu: &mu, emit: func(l string) { got = append(got, l) }}
	for _, chunk := range []string{"a\r", "\nb\rc", "\n\nd"} {
		_, err := w.Write([]byte(chunk))
		require.NoError(t, err)
	}
	w.close()
	assert.Equal(t, []string{"a", "b", "c", "", "d"}, got, "CRLF split across writes is one line end")
	assert.Equal(t, "a\r\nb\rc\n\nd", string(w.bytes()))
}
