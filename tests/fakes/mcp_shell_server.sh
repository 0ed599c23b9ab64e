#!/bin/bash
# A minimal MCP server in bash (stdio, one JSON-RPC message per line), for the sandbox tests: it
# needs nothing but bash, so it runs inside bubblewrap where Deno's cache is hidden. Its one tool,
# `probe`, reports whether it could write $PROBE_OUTSIDE and see $PROBE_HIDDEN, and $HERALD_PROBE.
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9][0-9]*\).*/\1/p')
  case "$line" in
  *'"method":"initialize"'*)
    version=$(printf '%s' "$line" | sed -n 's/.*"protocolVersion":"\([^"]*\)".*/\1/p')
    printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"%s","capabilities":{"tools":{}},"serverInfo":{"name":"shell-probe","version":"1"}}}\n' "$id" "$version"
    ;;
  *'"method":"tools/list"'*)
    printf '{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"probe","description":"Reports what the server can reach.","inputSchema":{"type":"object","properties":{}},"annotations":{"readOnlyHint":true}}]}}\n' "$id"
    ;;
  *'"method":"tools/call"'*)
    if touch "$PROBE_OUTSIDE" 2>/dev/null; then write=wrote; else write=refused; fi
    if [ -e "$PROBE_HIDDEN" ]; then hidden=visible; else hidden=hidden; fi
    printf '{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"outside-write=%s hidden-file=%s env=%s"}]}}\n' "$id" "$write" "$hidden" "${HERALD_PROBE:-unset}"
    ;;
  *'"id":'*)
    printf '{"jsonrpc":"2.0","id":%s,"result":{}}\n' "$id"
    ;;
  esac
done
