package cluster

import (
	"strconv"
	"unicode/utf8"
)

// echoLimit is how much of a caller's input an error quotes: enough to
// recognise it, never the megabyte a request may carry.
const echoLimit = 64

// quoted is a caller's value as an error quotes it: Go-quoted (so control
// characters show), cut to echoLimit bytes with an ellipsis.
func quoted(s string) string {
	if len(s) <= echoLimit {
		return strconv.Quote(s)
	}
	cut := echoLimit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}

// clipText cuts a message that may repeat input (a cloud's error often
// does) to a readable length.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
