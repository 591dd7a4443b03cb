# Reads `go test -v` output and prints one line per skipped test: package,
# test name and the reason the test gave. With -v the reason is streamed as
# a log line of the test before its "--- SKIP" line, possibly after other
# tests' lines (parallel tests), so each log line is credited to the test the
# last "=== RUN/CONT/NAME" header named.
function flush(pkg,    i) {
	sub(/^github\.com\/skyfold\/skyfold\//, "", pkg)
	for (i = 1; i <= n; i++) print "   " pkg " " skipped[i]
	n = 0
	delete last
}
/^=== (RUN|CONT|NAME) / { cur = $3; next }
/^[ \t]+[^ \t]+\.go:[0-9]+: / {
	if (cur != "") {
		msg = $0
		sub(/^[ \t]+[^ \t]+\.go:[0-9]+: /, "", msg)
		last[cur] = msg
	}
	next
}
/^[ \t]*--- SKIP: / {
	name = $3
	skipped[++n] = name ": " ((name in last) ? last[name] : "(no reason given)")
	next
}
/^(ok|FAIL)[ \t]+[^ \t]+/ { flush($2) }
END { if (n > 0) flush("") }
