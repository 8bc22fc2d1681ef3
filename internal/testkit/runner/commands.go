package runner

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// command is one parsed workflow command.
type command struct {
	name  string
	props map[string]string // keys as first written; look up with prop
	data  string
}

// prop returns the property named key, compared case-insensitively as the runner does.
func (c command) prop(key string) string {
	for k, v := range c.props {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// knownCommands are the commands this package processes. The runner knows a few more (set-env,
// add-path, echo, group, endgroup, add-matcher, remove-matcher); here they are plain text.
var knownCommands = []string{"stop-commands", "set-output", "save-state", "add-mask", "debug", "warning", "error", "notice"}

func isKnownCommand(name string) bool {
	return slices.ContainsFunc(knownCommands, func(k string) bool { return strings.EqualFold(k, name) })
}

// parseCommandV2 parses "::name k=v,k=v::data". Leading whitespace is ignored; the name must be
// registered (case-insensitively). Properties are separated by ",", each "key=value" with both
// parts non-empty (others are dropped); property values unescape %0D %0A %3A %2C %25, data unescapes
// %0D %0A %25.
func parseCommandV2(line string, registered func(string) bool) (command, bool) {
	msg := strings.TrimLeftFunc(line, unicode.IsSpace)
	if !strings.HasPrefix(msg, "::") {
		return command{}, false
	}
	end := strings.Index(msg[2:], "::")
	if end < 0 {
		return command{}, false
	}
	end += 2
	name, props, _ := strings.Cut(msg[2:end], " ")
	if !registered(name) {
		return command{}, false
	}
	return newCommand(name, strings.Split(strings.TrimSpace(props), ","), propertyEscapes, unescape(msg[end+2:], dataEscapes)), true
}

// parseCommandV1 parses the legacy "##[name k=v;k=v]data" form, which the runner still accepts
// anywhere in a line when the line is not a "::" command. Values unescape %3B %0D %0A %5D %25.
func parseCommandV1(line string, registered func(string) bool) (command, bool) {
	start := strings.Index(line, "##[")
	if start < 0 {
		return command{}, false
	}
	rb := strings.IndexByte(line[start:], ']')
	if rb < 0 {
		return command{}, false
	}
	rb += start
	name, props, _ := strings.Cut(line[start+3:rb], " ")
	if !registered(name) {
		return command{}, false
	}
	return newCommand(name, strings.Split(props, ";"), legacyEscapes, unescape(line[rb+1:], legacyEscapes)), true
}

// newCommand builds a command from its "key=value" properties; a later key that differs only in
// case replaces the value and keeps the first spelling.
func newCommand(name string, props, escapes []string, data string) command {
	cmd := command{name: name, props: map[string]string{}, data: data}
	for _, p := range props {
		if k, v, ok := strings.Cut(p, "="); ok && k != "" && v != "" {
			setFold(cmd.props, k, unescape(v, escapes))
		}
	}
	return cmd
}

// The runner's escape tables, applied in this order when unescaping (%25 last, so "%253A" stays "%3A").
var (
	dataEscapes     = []string{"%0D", "\r", "%0A", "\n", "%25", "%"}
	propertyEscapes = []string{"%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%"}
	legacyEscapes   = []string{"%3B", ";", "%0D", "\r", "%0A", "\n", "%5D", "]", "%25", "%"}
)

func unescape(s string, table []string) string {
	for i := 0; i+1 < len(table); i += 2 {
		s = strings.ReplaceAll(s, table[i], table[i+1])
	}
	return s
}

// commandProcessor handles the lines of one step's stdout and stderr like the runner's
// OutputManager and ActionCommandManager: commands are executed and not shown, other lines are
// logged as they are. The runner's echo of commands under step debug is not emulated.
type commandProcessor struct {
	log *logger
	res *Result
	// stopped and stopToken implement ::stop-commands::.
	stopped   bool
	stopToken string
	addMask   func(value string, fromCommand bool)
}

func (p *commandProcessor) registered(name string) bool {
	if p.stopped && strings.EqualFold(name, p.stopToken) {
		return true
	}
	return isKnownCommand(name)
}

// line handles one line of output.
func (p *commandProcessor) line(line string) {
	if line != "" && (strings.Contains(line, "##[") || strings.Contains(line, "::")) && p.try(line) {
		return
	}
	p.log.output(line)
}

// try processes line if it is a command, reporting whether it was consumed.
func (p *commandProcessor) try(line string) bool {
	cmd, ok := parseCommandV2(line, p.registered)
	if !ok {
		cmd, ok = parseCommandV1(line, p.registered)
	}
	if !ok {
		return false
	}
	name := strings.ToLower(cmd.name)
	switch {
	case p.stopped && name == strings.ToLower(p.stopToken):
		p.log.output(line)
		p.log.debugMsg("Resume processing commands")
		p.stopped, p.stopToken = false, ""
	case p.stopped:
		p.log.debugMsg(fmt.Sprintf("Process commands has been stopped and waiting for '##[%s]' to resume.", p.stopToken))
		return false
	case name == "stop-commands":
		if cmd.data == "" || strings.EqualFold(cmd.data, "pause-logging") || isKnownCommand(cmd.data) {
			p.fail(line, fmt.Sprintf("stop-commands token %q refused: it must not be empty, 'pause-logging' or a workflow command", cmd.data))
			return true
		}
		p.stopped, p.stopToken = true, cmd.data
		if len(cmd.data) > 6 {
			p.addMask(cmd.data, false)
		}
		p.log.output(line)
	case name == "add-mask":
		if strings.TrimSpace(cmd.data) == "" {
			addIssue(p.log, p.res, "warning", "Can't add secret mask for empty string in ##[add-mask] command.", nil)
			return true
		}
		p.addMask(cmd.data, true)
	case name == "debug":
		p.log.debugMsg(cmd.data)
	case name == "warning" || name == "error" || name == "notice":
		addIssue(p.log, p.res, name, cmd.data, cmd.props)
	default: // set-output, save-state: deprecated, still honoured
		addIssue(p.log, p.res, "warning", fmt.Sprintf("The `%s` command is deprecated and will be disabled soon. "+
			"Please upgrade to using Environment Files.", name), nil)
		if cmd.prop("name") == "" {
			p.fail(line, fmt.Sprintf("Required field 'name' is missing in ##[%s] command.", name))
			return true
		}
		if name == "set-output" {
			setFold(p.res.Outputs, cmd.prop("name"), cmd.data)
		} else {
			setFold(p.res.State, cmd.prop("name"), cmd.data)
		}
	}
	return true
}

// fail reports a command the runner could not process; it fails the step.
func (p *commandProcessor) fail(line, msg string) {
	addIssue(p.log, p.res, "error", fmt.Sprintf("Unable to process command '%s' successfully.", line), nil)
	addIssue(p.log, p.res, "error", msg, nil)
	p.res.Failed = true
}

// addIssue records an annotation and logs it as GitHub shows it ("Error: msg").
func addIssue(l *logger, res *Result, level, msg string, props map[string]string) {
	res.Annotations = append(res.Annotations, Annotation{Level: level, Message: l.masker.mask(msg), Props: props})
	l.write(strings.ToUpper(level[:1])+level[1:]+": ", msg)
}

// setFold sets m[key] = value, replacing a key that differs only in case but keeping its first
// spelling, like the runner's case-insensitive dictionaries for outputs, state and properties.
func setFold(m map[string]string, key, value string) {
	for k := range m {
		if strings.EqualFold(k, key) {
			m[k] = value
			return
		}
	}
	m[key] = value
}
