package runner

import (
	"fmt"
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

// setProp sets a property, replacing a case-insensitive duplicate but keeping its first spelling.
func (c *command) setProp(key, value string) {
	for k := range c.props {
		if strings.EqualFold(k, key) {
			c.props[k] = value
			return
		}
	}
	c.props[key] = value
}

// knownCommands are the commands the runner registers (internal-set-repo-path is for its plugins only).
var knownCommands = []string{
	"stop-commands", "set-env", "set-output", "save-state", "add-mask", "add-path", "add-matcher",
	"remove-matcher", "debug", "warning", "error", "notice", "group", "endgroup", "echo",
}

func isKnownCommand(name string) bool {
	for _, k := range knownCommands {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
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
	info := msg[2:end]
	name, props, hasProps := strings.Cut(info, " ")
	if !registered(name) {
		return command{}, false
	}
	cmd := command{name: name, props: map[string]string{}}
	if hasProps && name != "" {
		for _, p := range strings.Split(strings.TrimSpace(props), ",") {
			if k, v, ok := strings.Cut(p, "="); ok && k != "" && v != "" {
				cmd.setProp(k, unescape(v, propertyEscapes))
			}
		}
	}
	cmd.data = unescape(msg[end+2:], dataEscapes)
	return cmd, true
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
	info := line[start+3 : rb]
	name, props, hasProps := strings.Cut(info, " ")
	if !registered(name) {
		return command{}, false
	}
	cmd := command{name: name, props: map[string]string{}}
	if hasProps && name != "" {
		for _, p := range strings.Split(props, ";") {
			if k, v, ok := strings.Cut(p, "="); ok && k != "" && v != "" {
				cmd.setProp(k, unescape(v, legacyEscapes))
			}
		}
	}
	cmd.data = unescape(line[rb+1:], legacyEscapes)
	return cmd, true
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
// OutputManager and ActionCommandManager: commands are executed and not shown (unless echo is on),
// other lines are logged as they are.
type commandProcessor struct {
	log *logger
	res *Result
	// echo is the runner's EchoOnActionCommand: on with step debug, or after ::echo::on.
	echo bool
	// stopped and stopToken implement ::stop-commands::.
	stopped   bool
	stopToken string
	// allowUnsecure is ACTIONS_ALLOW_UNSECURE_COMMANDS, allowUnsecureStop is
	// ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS, read from the step's env context.
	allowUnsecure     bool
	allowUnsecureStop bool
	stepID            string
	addMask           func(value string, fromCommand bool)
	setEnv            func(name, value string)
	addPath           func(path string)
}

func (p *commandProcessor) registered(name string) bool {
	if p.stopped && p.stopToken != "" && strings.EqualFold(name, p.stopToken) {
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
	if p.stopped {
		if strings.EqualFold(cmd.name, p.stopToken) {
			p.log.output(line)
			p.log.debugMsg("Resume processing commands")
			p.stopped, p.stopToken = false, ""
			return true
		}
		p.log.debugMsg(fmt.Sprintf("Process commands has been stopped and waiting for '##[%s]' to resume.", p.stopToken))
		return false
	}
	if strings.EqualFold(cmd.name, "stop-commands") {
		if err := p.validateStopToken(cmd.data); err != nil {
			p.issue("error", err.Error(), nil)
			p.res.Failed = true
			return true
		}
		p.stopped, p.stopToken = true, cmd.data
		if len(cmd.data) > 6 {
			p.addMask(cmd.data, false)
		}
		p.log.output(line)
		p.log.debugMsg("Paused processing commands until the token you called ::stopCommands:: with is received")
		return true
	}
	h := commandHandlers[strings.ToLower(cmd.name)]
	if p.echo && !h.omitEcho {
		p.log.output(line)
	}
	if err := h.run(p, cmd); err != nil {
		info := line
		if h.omitEcho {
			info = cmd.name
		}
		p.issue("error", fmt.Sprintf("Unable to process command '%s' successfully.", info), nil)
		p.issue("error", err.Error(), nil)
		p.res.Failed = true
	}
	return true
}

func (p *commandProcessor) validateStopToken(token string) error {
	if p.allowUnsecureStop {
		return nil
	}
	if token == "" || strings.EqualFold(token, "pause-logging") || isKnownCommand(token) {
		return fmt.Errorf("stop-commands token %q refused: it must not be empty, 'pause-logging' or a workflow command "+
			"(unless ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS is true)", token)
	}
	return nil
}

// issue records an annotation and logs it as GitHub shows it ("Error: msg").
func (p *commandProcessor) issue(level, msg string, props map[string]string) {
	addIssue(p.log, p.res, level, msg, props)
}

func addIssue(l *logger, res *Result, level, msg string, props map[string]string) {
	res.Annotations = append(res.Annotations, Annotation{Level: level, Message: l.masker.mask(msg), Props: props})
	l.write(issuePrefix[level], msg)
}

var issuePrefix = map[string]string{"error": "Error: ", "warning": "Warning: ", "notice": "Notice: "}

type commandHandler struct {
	omitEcho bool
	run      func(p *commandProcessor, c command) error
}

var commandHandlers map[string]commandHandler

func init() {
	issueHandler := func(level string) commandHandler {
		return commandHandler{omitEcho: true, run: func(p *commandProcessor, c command) error {
			p.issue(level, c.data, c.props)
			return nil
		}}
	}
	commandHandlers = map[string]commandHandler{
		"set-env":        {run: runSetEnv},
		"add-path":       {run: runAddPath},
		"set-output":     {run: runSetOutput},
		"save-state":     {run: runSaveState},
		"add-mask":       {omitEcho: true, run: runAddMask},
		"debug":          {omitEcho: true, run: func(p *commandProcessor, c command) error { p.log.debugMsg(c.data); return nil }},
		"warning":        issueHandler("warning"),
		"error":          issueHandler("error"),
		"notice":         issueHandler("notice"),
		"group":          {run: func(p *commandProcessor, c command) error { p.log.output("##[group]" + c.data); return nil }},
		"endgroup":       {run: func(p *commandProcessor, _ command) error { p.log.output("##[endgroup]"); return nil }},
		"echo":           {run: runEcho},
		"add-matcher":    {run: ignoreMatcher},
		"remove-matcher": {run: ignoreMatcher},
	}
}

// runnerError is a message the runner logs when it cannot process a command. It keeps the runner's
// wording (capitalised, ending in a full stop), which is why it is not an errors.New value.
type runnerError string

func (e runnerError) Error() string { return string(e) }

func unsecureDisabled(name string) error {
	return runnerError(fmt.Sprintf("The `%s` command is disabled. Please upgrade to using Environment Files or opt "+
		"into unsecure command execution by setting the `ACTIONS_ALLOW_UNSECURE_COMMANDS` environment variable to `true`.", name))
}

func missingName(name string) error {
	return runnerError(fmt.Sprintf("Required field 'name' is missing in ##[%s] command.", name))
}

func runSetEnv(p *commandProcessor, c command) error {
	if !p.allowUnsecure {
		return unsecureDisabled("set-env")
	}
	name := c.prop("name")
	if name == "" {
		return missingName("set-env")
	}
	if strings.EqualFold(name, "NODE_OPTIONS") {
		p.issue("error", "Can't update NODE_OPTIONS environment variable using ::set-env:: command.", nil)
		return nil
	}
	p.setEnv(name, c.data)
	p.log.debugMsg(fmt.Sprintf("%s='%s'", name, c.data))
	return nil
}

func runAddPath(p *commandProcessor, c command) error {
	if !p.allowUnsecure {
		return unsecureDisabled("add-path")
	}
	if c.data == "" {
		return runnerError("Parameter 'path' cannot be null or empty.")
	}
	p.addPath(c.data)
	return nil
}

func deprecatedCommand(p *commandProcessor, name string) {
	p.issue("warning", fmt.Sprintf("The `%s` command is deprecated and will be disabled soon. "+
		"Please upgrade to using Environment Files.", name), nil)
}

func runSetOutput(p *commandProcessor, c command) error {
	deprecatedCommand(p, "set-output")
	name := c.prop("name")
	if name == "" {
		return missingName("set-output")
	}
	setFold(p.res.Outputs, name, c.data)
	p.log.debugMsg(fmt.Sprintf("steps.%s.outputs.%s='%s'", p.stepID, name, c.data))
	return nil
}

func runSaveState(p *commandProcessor, c command) error {
	deprecatedCommand(p, "save-state")
	name := c.prop("name")
	if name == "" {
		return missingName("save-state")
	}
	setFold(p.res.State, name, c.data)
	p.log.debugMsg(fmt.Sprintf("Save intra-action state %s = %s", name, c.data))
	return nil
}

func runAddMask(p *commandProcessor, c command) error {
	if strings.TrimSpace(c.data) == "" {
		p.issue("warning", "Can't add secret mask for empty string in ##[add-mask] command.", nil)
		return nil
	}
	if p.echo {
		p.log.output("::add-mask::" + maskText)
	}
	p.addMask(c.data, true)
	return nil
}

func runEcho(p *commandProcessor, c command) error {
	switch strings.ToUpper(strings.TrimSpace(c.data)) {
	case "ON":
		p.echo = true
		p.log.debugMsg("Setting echo command value to 'on'")
	case "OFF":
		p.echo = false
		p.log.debugMsg("Setting echo command value to 'off'")
	default:
		return runnerError(fmt.Sprintf("Invalid echo command value. Possible values can be: 'on', 'off'. Current value is: '%s'.", c.data))
	}
	return nil
}

func ignoreMatcher(p *commandProcessor, c command) error {
	p.log.debugMsg("problem matchers are not emulated; ignored ::" + c.name + "::")
	return nil
}

// setFold sets m[key] = value, replacing a key that differs only in case but keeping its first
// spelling, like the runner's case-insensitive dictionaries for outputs and state.
func setFold(m map[string]string, key, value string) {
	for k := range m {
		if strings.EqualFold(k, key) {
			m[k] = value
			return
		}
	}
	m[key] = value
}
