#!/usr/bin/env bash
# Smoke test of taskwatch-sim on its own: the DDS list and lookup with their
# filters, errors and quirks, the scenario timeline, the control API, faults,
# the webhook sink, scenario errors and a clean SIGTERM.  Checks use grep,
# not jq.  The whole run is bounded to 60 seconds.  TW_VALGRIND=1 runs the
# simulator under valgrind: a leak or memory error fails the SIGTERM check.
if [ -z "${SIM_SMOKE_TIMED:-}" ]; then
	SIM_SMOKE_TIMED=1 exec timeout 60 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

SIMBIN=$TOP/bin/taskwatch-sim

# The scenario: two jobs at start, one that appears, one that changes.
cat >"$TMP/scenario.yaml" <<'YAML'
project_id: 0549b4a43100d4f32f51c01c2fe4acdb
dds:
  jobs:
    - id: job-old
      name: RestartInstance
      instance_id: inst-1
      instance_name: dds-one
      status: Completed
      created: -10m
    - id: job-new
      name: CreateMongoDB
      instance_id: inst-2
      instance_name: dds-two
      status: Running
      progress: 10
      created: -1m
      at:
        - { after: 3s, progress: 60 }
        - { after: 3500ms, status: Failed, fail_reason: "Disk full" }
    - id: job-late
      name: SwitchPrimary
      status: Failed
      appear_after: 3s
YAML
if [ -n "${TW_VALGRIND:-}" ]; then
	valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect \
	    --show-leak-kinds=definite,indirect "$SIMBIN" --port 0 \
	    --port-file "$TMP/sim.port" --exit-after 120s \
	    --scenario "$TMP/scenario.yaml" >"$TMP/sim.log" 2>&1 &
	SIM_PID=$!
	wait_for 10 test -s "$TMP/sim.port" || { cat "$TMP/sim.log"; exit 1; }
	SIM="http://127.0.0.1:$(cat "$TMP/sim.port")"
else
	start_sim --scenario "$TMP/scenario.yaml"
fi

# ts OFFSET: a DDS query time ("+" encoded as %2B), OFFSET like "-1 hour".
ts() { date -u -d "${1:-now}" +%Y-%m-%dT%H:%M:%S%%2B0000; }
S=$(ts '-1 hour')
E=$(ts '+1 minute')
WIN="start_time=$S&end_time=$E"

# req METHOD PATH [CURL-ARGS...]: print status line, headers and body.
req() { curl -sS -m 5 -i -X "$1" "${@:3}" "$SIM$2" 2>&1; }
has() { grep -qF -- "$2" <<<"$1"; }
status_is() { head -n1 <<<"$1" | grep -q " $2 "; }
body() { sed '1,/^\r$/d' <<<"$1"; }

# --- DDS list: errors.
r=$(req GET "/v3.1/p/jobs?end_time=$E")
check "missing start_time is 400 DBS.200001" eval 'status_is "$r" 400 && has "$r" "\"error_code\":\"DBS.200001\"" && has "$r" "start_time is missing"'
raw=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%S+0000)
r=$(req GET "/v3.1/p/jobs?start_time=$raw&end_time=$E")
check "unencoded + decodes to a space: 400 with a hint" eval 'status_is "$r" 400 && has "$r" "send it as %2B"'
r=$(req GET "/v3.1/p/jobs?start_time=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%S%%2B00:00)&end_time=$E")
check "offset with a colon is 400" status_is "$r" 400
r=$(req GET "/v3.1/p/jobs?start_time=$E&end_time=$S")
check "end_time before start_time is 400" eval 'status_is "$r" 400 && has "$r" "later than start_time"'
r=$(req GET "/v3.1/p/jobs?start_time=$(ts '-31 days')&end_time=$E")
check "span over 30 days is 400" eval 'status_is "$r" 400 && has "$r" "30 days"'
for bad in limit=0 limit=101 limit=x offset=-1 offset=abc status=running; do
	r=$(req GET "/v3.1/p/jobs?$WIN&$bad")
	check "$bad is 400" eval 'status_is "$r" 400 && has "$r" DBS.200001'
done

# --- DDS list: answers.
r=$(req GET "/v3.1/p/jobs?$WIN")
check "list is 200" status_is "$r" 200
check "Content-Type application/json;charset=utf8" has "$r" "Content-Type: application/json;charset=utf8"
check "X-Request-Id is 32 hex digits" grep -qE '^X-Request-Id: [0-9a-f]{32}' <<<"$r"
check "total_count 2 before job-late appears" has "$r" '"total_count":2'
check "running job: progress 10%, empty ended_at" has "$r" '"id":"job-new","name":"CreateMongoDB","status":"Running","created_at":"'
check "running job fields" eval 'has "$r" "\"ended_at\":\"\",\"progress\":\"10%\",\"instance_id\":\"inst-2\",\"instance_name\":\"dds-two\",\"fail_reason\":\"\""'
check "times as yyyy-mm-ddThh:mm:ss+0000" grep -qE '"created_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+0000"' <<<"$r"
check "completed job: progress empty, ended_at set" grep -qE '"id":"job-old"[^}]*"ended_at":"[0-9-]+T[0-9:]+\+0000","progress":""' <<<"$r"
check "newest first" grep -qE '"id":"job-new".*"id":"job-old"' <<<"$r"
r=$(req GET "/v3.1/p/jobs?$WIN&limit=1")
check "limit=1: one job, total_count counts all" eval 'has "$r" "\"total_count\":2" && ! has "$r" job-old'
r=$(req GET "/v3.1/p/jobs?$WIN&limit=1&offset=1")
check "offset=1 skips the newest" eval 'has "$r" job-old && ! has "$r" job-new'
r=$(req GET "/v3.1/p/jobs?$WIN&status=Completed")
check "status filter" eval 'has "$r" job-old && has "$r" "\"total_count\":1"'
r=$(req GET "/v3.1/p/jobs?$WIN&name=CreateMongoDB")
check "name filter" eval 'has "$r" job-new && has "$r" "\"total_count\":1"'
r=$(req GET "/v3.1/p/jobs?$WIN&id=job-old")
check "id filter" eval 'has "$r" job-old && has "$r" "\"total_count\":1"'
r=$(req GET "/v3.1/p/jobs?start_time=$(ts '-5 min')&end_time=$E")
check "window excludes jobs created before start_time" eval 'has "$r" job-new && ! has "$r" job-old'

# --- DDS single job.
r=$(req GET "/v3/p/jobs?id=job-new")
check "lookup is 200 with the job shape" eval 'status_is "$r" 200 && has "$r" "{\"job\":{\"id\":\"job-new\",\"name\":\"CreateMongoDB\",\"status\":\"Running\",\"created\":\""'
check "lookup has instance{id,name}" has "$r" '"instance":{"id":"inst-2","name":"dds-two"},"fail_reason":""}}'
r=$(req GET "/v3/p/jobs?id=nope")
check "unknown job is 404 DBS.280238" eval 'status_is "$r" 404 && has "$r" "{\"error_code\":\"DBS.280238\",\"error_msg\":\"The job does not exist.\"}"'
r=$(req GET "/v3/p/jobs")
check "lookup without id is 400" eval 'status_is "$r" 400 && has "$r" DBS.200001'
r=$(req GET "/v3/p/jobs?id=job-late")
check "a job that has not appeared is 404" status_is "$r" 404

# --- Unknown paths and methods.
r=$(req GET "/v2/p/nothing")
check "unknown path is 404 APIG.0101 with request_id" grep -qE '"error_code":"APIG.0101".*"request_id":"[0-9a-f]{32}"' <<<"$r"
r=$(req POST "/v3.1/p/jobs" -d x)
check "wrong method is 405" eval 'status_is "$r" 405 && has "$r" APIG.0101'

# --- Timeline (job-late appears at 3 s, job-new fails at 3.5 s).
new_failed() { r=$(req GET "/v3.1/p/jobs?$WIN"); has "$r" '"fail_reason":"Disk full"'; }
wait_for 5 new_failed
check "job-late appeared" eval 'has "$r" job-late && has "$r" "\"total_count\":3"'
check "job-new failed with its reason" grep -qE '"id":"job-new"[^}]*"status":"Failed"[^}]*"ended_at":"[0-9-]+T[0-9:]+\+0000","progress":""[^}]*"fail_reason":"Disk full"' <<<"$r"

# --- Control API.
r=$(req POST /_sim/tasks -d '{"service":"dds","name":"RestartInstance","instance_id":"i9","instance_name":"dds-9","status":"Running","progress":25}')
id=$(body "$r" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
check "POST /_sim/tasks is 201 with an id" eval 'status_is "$r" 201 && [ -n "$id" ]'
check "generated id looks like a UUID" grep -qE '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' <<<"$id"
r=$(req GET "/v3/p/jobs?id=$id")
check "created task is served with progress 25%" has "$r" '"progress":"25%"'
r=$(req PATCH "/_sim/tasks/$id" -d '{"status":"Completed","progress":100}')
check "PATCH is 200 with the task" eval 'status_is "$r" 200 && has "$r" "\"status\":\"Completed\""'
r=$(req GET "/v3/p/jobs?id=$id")
check "patched task ended, progress empty" grep -qE '"status":"Completed","created":"[^"]+","ended":"[0-9-]+T[0-9:]+\+0000","progress":""' <<<"$r"
r=$(req DELETE "/_sim/tasks/$id")
check "DELETE is 204" status_is "$r" 204
r=$(req GET "/v3/p/jobs?id=$id")
check "deleted task is 404" status_is "$r" 404
r=$(req GET "/v3.1/p/jobs?$WIN")
check "deleted task is not listed" eval '! has "$r" "$id"'
r=$(req PATCH "/_sim/tasks/$id" -d '{"progress":1}')
check "PATCH of a deleted task is 404" status_is "$r" 404
r=$(req POST /_sim/tasks -d '{"service":"dds",')
check "bad JSON is 400" eval 'status_is "$r" 400 && has "$r" "\"error\":"'
r=$(req POST /_sim/tasks -d '{"service":"dds","colour":"red"}')
check "unknown key is 400" eval 'status_is "$r" 400 && has "$r" colour'
r=$(req POST /_sim/tasks -d '{"service":"dds","progress":101}')
check "progress 101 is 400" status_is "$r" 400
r=$(req POST /_sim/tasks -d '{"service":"nosuch"}')
check "unknown service is 400" status_is "$r" 400
r=$(req POST /_sim/tasks -d '{"service":"dds","id":"job-old"}')
check "duplicate id is 409" status_is "$r" 409
r=$(req POST /_sim/tasks -d '[1,2]')
check "non-object body is 400" status_is "$r" 400
r=$(req GET /_sim/tasks)
check "GET /_sim/tasks lists tasks" eval 'has "$r" "\"tasks\":[" && has "$r" "\"deleted\":true"'

# --- Request counters.
req DELETE /_sim/requests >/dev/null
req GET "/v3.1/p/jobs?$WIN" >/dev/null
req GET "/v3.1/p/jobs?$WIN" >/dev/null
req GET "/v3/p/jobs?id=job-old" >/dev/null
req GET "/_sink/x" >/dev/null
r=$(req GET /_sim/requests)
check "request counters by endpoint" has "$r" '{"total":3,"by_endpoint":{"dds.jobs":2,"dds.job":1},"unmatched":0}'

# --- Faults.
r=$(req POST /_sim/faults -d '{"endpoint":"dds.jobs","mode":"status","status":500,"count":1}')
check "POST /_sim/faults is 201" status_is "$r" 201
r=$(req GET "/v3.1/p/jobs?$WIN")
check "500 fault with the DBS body" eval 'status_is "$r" 500 && has "$r" "{\"error_code\":\"DBS.200000\",\"error_msg\":\"Internal error\"}"'
r=$(req GET "/v3.1/p/jobs?$WIN")
check "count 1: the next request is normal" status_is "$r" 200
req POST /_sim/faults -d '{"endpoint":"*","status":429,"count":1}' >/dev/null
r=$(req GET "/v3/p/jobs?id=job-old")
check "429 fault: APIG.0308 and Retry-After" eval 'status_is "$r" 429 && has "$r" APIG.0308 && has "$r" "Retry-After: 1"'
req POST /_sim/faults -d '{"endpoint":"dds.jobs","status":503,"body":"upstream down","count":1}' >/dev/null
r=$(req GET "/v3.1/p/jobs?$WIN")
check "status fault with a raw body" eval 'status_is "$r" 503 && [ "$(body "$r")" = "upstream down" ]'
req POST /_sim/faults -d '{"endpoint":"dds.jobs","mode":"malformed","count":1}' >/dev/null
r=$(req GET "/v3.1/p/jobs?$WIN")
check "malformed: 200 and not JSON" eval 'status_is "$r" 200 && body "$r" | grep -q "^{\"jobs\":\[{" && ! body "$r" | grep -q "}$"'
full=$(body "$(req GET "/v3.1/p/jobs?$WIN")")
req POST /_sim/faults -d '{"endpoint":"dds.jobs","mode":"truncated","count":1}' >/dev/null
r=$(body "$(req GET "/v3.1/p/jobs?$WIN")")
check "truncated: half the body" eval '[ ${#r} -eq $(( ${#full} / 2 )) ] && [ "${full:0:${#r}}" = "$r" ]'
req POST /_sim/faults -d '{"endpoint":"dds.*","mode":"latency","latency_ms":400,"count":1}' >/dev/null
t0=$(now_ms)
r=$(req GET "/v3.1/p/jobs?$WIN")
t1=$(now_ms)
check "latency: real answer after 400 ms ($((t1 - t0)) ms)" eval 'status_is "$r" 200 && [ $((t1 - t0)) -ge 400 ]'
req POST /_sim/faults -d '{"endpoint":"dds.job","mode":"latency","latency_ms":2000}' >/dev/null
curl -s -m 0.3 "$SIM/v3/p/jobs?id=job-old" >/dev/null 2>&1
r=$(req GET /_sim/faults)
check "GET /_sim/faults lists them" eval 'has "$r" "\"faults\":[" && has "$r" "\"mode\":\"latency\""'
r=$(req POST /_sim/faults -d '{"endpoint":"dds.nothing"}')
check "unknown fault endpoint is 400" status_is "$r" 400
r=$(req POST /_sim/faults -d '{"endpoint":"sink","mode":"sideways"}')
check "unknown fault mode is 400" status_is "$r" 400
r=$(req DELETE /_sim/faults)
check "DELETE /_sim/faults is 204" status_is "$r" 204
r=$(req GET /_sim/faults)
check "faults cleared" has "$r" '{"faults":[]}'
check "client that gave up on a held reply did not hurt" status_is "$(req GET "/v3/p/jobs?id=job-old")" 200

# --- Sink.
r=$(req GET /_sink/hook)
check "empty sink is []" eval 'status_is "$r" 200 && [ "$(body "$r")" = "[]" ]'
r=$(req POST /_sink/hook -H 'X-Team: dba' -H 'Content-Type: application/json' -d '{"event":"transition"}')
check "sink POST is 200 {\"ok\":true}" eval 'status_is "$r" 200 && has "$r" "{\"ok\":true}"'
r=$(req GET /_sink/hook)
check "sink keeps the body as a string" has "$r" '"body":"{\"event\":\"transition\"}"'
check "sink keeps headers" has "$r" '"X-Team":"dba"'
check "sink received_at has milliseconds" grep -qE '"received_at":"[0-9-]{10}T[0-9:]{8}\.[0-9]{3}Z"' <<<"$r"
req POST /_sim/faults -d '{"endpoint":"sink","status":503,"count":1}' >/dev/null
r=$(req GET /_sink/hook)
check "sink faults spare reading the sink" eval 'status_is "$r" 200 && has "$r" X-Team'
r=$(req POST /_sink/hook -d '{"n":2}')
check "sink fault answers 503" status_is "$r" 503
req POST /_sink/hook -d '{"n":3}' >/dev/null
r=$(req GET /_sink/hook)
check "a rejected delivery is not recorded" eval '! has "$r" "\\\"n\\\":2" && has "$r" "\\\"n\\\":3"'
head -c 1048577 /dev/zero | tr '\0' a >"$TMP/big"
r=$(req POST /_sink/hook --data-binary @"$TMP/big")
check "sink body over 1 MiB is 413" status_is "$r" 413
r=$(req DELETE /_sink/hook)
check "sink DELETE is 204" status_is "$r" 204
check "sink cleared" test "$(body "$(req GET /_sink/hook)")" = "[]"

# --- Scenario errors.
printf 'dds:\n  jobs:\n    - name: X\n      colour: red\n' >"$TMP/bad.yaml"
out=$("$SIMBIN" --scenario "$TMP/bad.yaml" 2>&1); rc=$?
check "unknown scenario key: exit 78" test "$rc" -eq 78
check "unknown scenario key: FILE:LINE:COL" test "$out" = "$TMP/bad.yaml:4:7: unknown key \"colour\" in a job"
printf 'dds:\n  jobs:\n    - name: X\n      at:\n        - { progress: 5 }\n' >"$TMP/bad2.yaml"
out=$("$SIMBIN" --scenario "$TMP/bad2.yaml" 2>&1); rc=$?
check "step without after: FILE:LINE:COL" eval '[ $rc -eq 78 ] && [ "$out" = "$TMP/bad2.yaml:5:11: a timed change needs \"after\"" ]'
printf 'dds: [\n' >"$TMP/bad3.yaml"
out=$("$SIMBIN" --scenario "$TMP/bad3.yaml" 2>&1); rc=$?
check "YAML syntax error: exit 78 with FILE:LINE:COL" eval '[ $rc -eq 78 ] && grep -q "^$TMP/bad3.yaml:[0-9]*:[0-9]*: " <<<"$out"'
demo_loads() { "$SIMBIN" --scenario "$TOP/conf/demo/scenario.yaml" --exit-after 10ms >/dev/null; }
check "conf/demo/scenario.yaml loads" demo_loads

# --- SIGTERM.
kill -TERM "$SIM_PID"
wait "$SIM_PID"
rc=$?
SIM_PID=
check "SIGTERM exits 0" test "$rc" -eq 0
finish
