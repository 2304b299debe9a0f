#!/usr/bin/env bash
# A morning summary of overdue conversations, posted to a team chat through its incoming
# webhook (Slack, Mattermost, Rocket.Chat and Google Chat accept {"text": ...}).
#
#   TANTO_WEBHOOK_URL=https://chat.example.com/hooks/XXXX examples/morning-summary.sh
#
# From cron on the jump host, at 9:00 on weekdays:
#   0 9 * * 1-5  TANTO_WEBHOOK_URL=... /path/to/morning-summary.sh
#
# Environment:
#   TANTO_WEBHOOK_URL  where to post; when unset, the message is printed instead (a dry run)
#   OVERDUE_HOURS      a conversation is overdue when its last customer mail is older (default 4)
#   TANTO              the tanto binary (default: tanto on the PATH); TANTO_CONFIG as usual
# Needs jq and curl. Uses only `tanto list --json`, whose fields are a stable contract.
set -euo pipefail

tanto=${TANTO:-tanto}
hours=${OVERDUE_HOURS:-4}
for tool in jq curl; do
    command -v "$tool" >/dev/null || { echo "morning-summary: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done

# Fresh data first: a sync that returns (the cache may be shared with the team).
"$tanto" sync --once >/dev/null

# New and in-progress conversations whose last customer mail is older than $hours.
summary=$(
    { "$tanto" list --status new --json; "$tanto" list --status wip --json; } |
    jq -rs --argjson hours "$hours" '
        add
        | (now - $hours * 3600) as $cutoff
        | map(select((.last_received | sub("\\.[0-9]+"; "") | sub("(?<z>[+-][0-9]{2}):(?<m>[0-9]{2})$"; "\(.z)\(.m)") | strptime("%Y-%m-%dT%H:%M:%S%z") | mktime) < $cutoff))
        | sort_by(.last_received)
        | if length == 0 then "Good morning: nothing is overdue."
          else "Good morning: \(length) conversation(s) waiting more than \($hours)h:\n"
             + (map("• \(.last_received[0:16]) \(.subject) — \(.from) (\(.assignee // "unassigned"), id \(.id[0:8]))") | join("\n"))
          end'
)

payload=$(jq -n --arg text "$summary" '{text: $text}')
if [ -z "${TANTO_WEBHOOK_URL:-}" ]; then
    printf '%s\n' "$payload"
    exit 0
fi
curl -fsS -X POST -H 'Content-Type: application/json' --data "$payload" "$TANTO_WEBHOOK_URL" >/dev/null
