#!/usr/bin/env bash
# Smoke test of taskwatch-sim on its own: the five APIs (DDS, DWS actions
# and logical tasks, GaussDB, E-HPC) with their filters, paging, errors and
# quirks, checked against the vendors' example bodies; the scenario
# timeline, the control API, every fault mode, the webhook sink, bulk mode,
# authentication (Huawei AK/SK and IAM tokens, Alibaba V2 and V3), scenario
# errors and a clean SIGTERM.  The whole run is bounded to 150 seconds.
# TW_VALGRIND=1 runs the simulators under valgrind: a leak or memory error
# fails their SIGTERM checks.
if [ -z "${SIM_SMOKE_TIMED:-}" ]; then
	SIM_SMOKE_TIMED=1 exec timeout 150 bash "$0" "$@"
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
gaussdb:
  tasks:
    - id: g-run
      name: BackupSnapshotGaussDBV5InInstance
      instance_id: gi-1
      instance_name: gauss-1
      status: Running
      progress: 30
      created: -2m
      at:
        - { after: 3s, status: Failed, fail_reason: "OBS quota exceeded", instance_status: abnormal }
    - { id: g-old, name: CreateGaussDBV5Instance, instance_id: gi-2, instance_name: gauss-2, status: Completed, created: -2h }
dws:
  clusters:
    - id: dws-1
      name: cluster_779
      actions:
        - id: act-1
          name: SNAPSHOTTING
          status: RUNNING
          progress: 40
          step: BACKUP
          created: -1m
          at:
            - { after: 3s, name: SNAPSHOTTING_FAILED, status: FAILED, failed_step: INIT, error_code: "DWS.9105", fail_reason: "host down" }
      logical_tasks:
        - { id: lt-1, name: Grow, logical_cluster: elastic_group, status: success, fail_reason: "Expand from outside success", created: -3h, ended: -2h }
        - { id: lt-2, name: Create, logical_cluster: test_logical, status: failed, fail_reason: "list index out of range", created: -2h, ended: -90m }
        - { id: lt-3, name: Expand, logical_cluster: lc1, created: -1m }
ehpc:
  clusters:
    - id: ehpc-hz-1
      region: cn-hangzhou
      tasks:
        - id: E-RUN
          name: AddComputes
          total_steps: 35
          current_step: 16
          at:
            - { after: 3s, status: PartialFail, current_step: 35, error_code: NodeStartFailed, fail_reason: "2 nodes failed" }
        - { id: E-DONE, name: StopCluster, status: Success, total_steps: 10, current_step: 10, created: -1h }
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

# jget BODY FILTER: a jq value of a body, compact ("" if it is not JSON).
jget() { jq -c "$2" <<<"$1" 2>/dev/null; }
FIX=$TOP/../shared/fixtures
EH="Action=ListTasks&Version=2018-04-12"

# --- Before the timeline (changes at 3 s): DWS, GaussDB, E-HPC as they start.
r=$(req GET /v1/p/clusters/dws-1/actions/SNAPSHOTTING -H 'X-Language: en-us')
b=$(body "$r")
check "dws.actions: 200 in the vendor's key order" has "$b" '{"id":"act-1","status":"RUNNING","items":[{"item_name":"Create a snapshot","sub_items":[{"status":"RUNNING","detail":"{\"progressInfo\":\"{'
check "dws.actions: running end_time null, estimated_time -1" has "$b" '"end_time":null,"estimated_time":-1}]}],"action_name":"SNAPSHOTTING","cluster_name":"cluster_779","submit_time":"'
check "dws.actions: submit_time like 2025-05-19 09:05:10.0" grep -qE '"submit_time":"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.0"}$' <<<"$b"
pi=$(jget "$b" '.items[0].sub_items[0].detail | fromjson | .progressInfo | fromjson')
check "dws.actions: detail decodes twice to progressInfo" test "$(jget "$pi" '[.progress, .currentStep, .actionType, .actionEndTime]')" = '["40.00%","BACKUP","Backup",""]'
check "dws.actions: progressInfo times like 2025-05-19 09:07:28" grep -qE '"actionStartTime":"[0-9-]{10} [0-9:]{8}"' <<<"$pi"
if [ -f "$FIX/dws-actions-snapshotting-failed.json" ]; then
	f=$(cat "$FIX/dws-actions-snapshotting-failed.json")
	check "dws.actions: keys as in the vendor's example" test "$(jget "$b" '[keys_unsorted, (.items[0]|keys_unsorted), (.items[0].sub_items[0]|keys_unsorted)]')" = "$(jget "$f" '[keys_unsorted, (.items[0]|keys_unsorted), (.items[0].sub_items[0]|keys_unsorted)]')"
	check "dws.actions: progressInfo keys as in the example" test "$(jget "$pi" 'keys_unsorted')" = "$(jget "$f" '.items[0].sub_items[0].detail | fromjson | .progressInfo | fromjson | keys_unsorted')"
fi
r=$(req GET /v1/p/clusters/dws-1/actions/SNAPSHOTTING)
check "dws.actions: without X-Language: en-us the names are Chinese" has "$r" '"item_name":"创建快照"'
r=$(req GET /v3/p/tasks)
b=$(body "$r")
check "gaussdb.tasks: running process \"30\", null fail_reason and ended_at" test "$(jget "$b" '.tasks[0] | [.job_id, .process, .fail_reason, .ended_at]')" = '["g-run","30",null,null]'
check "gaussdb.tasks: completed process null" test "$(jget "$b" '.tasks[1] | [.job_id, .process, .status]')" = '["g-old",null,"Completed"]'
check "gaussdb.tasks: created_at like 2022-09-05T06:24:14+0000" grep -qE '"created_at":"[0-9-]{10}T[0-9:]{8}\+0000"' <<<"$b"
if [ -f "$FIX/gaussdb-tasks.json" ]; then
	check "gaussdb.tasks: the example's keys, in order, then created_at, ended_at" test "$(jget "$b" '[(.tasks[0]|keys_unsorted), (.tasks[0].instance_info|keys_unsorted), keys_unsorted]')" = "$(jget "$(cat "$FIX/gaussdb-tasks.json")" '[(.tasks[0]|keys_unsorted) + ["created_at","ended_at"], (.tasks[0].instance_info|keys_unsorted), keys_unsorted]')"
fi
r=$(req GET "/?$EH&ClusterId=ehpc-hz-1&Format=JSON")
b=$(body "$r")
check "ehpc: default lists only running tasks" test "$(jget "$b" '[.TotalCount, [.Tasks[].TaskId]]')" = '[1,["E-RUN"]]'
check "ehpc: steps, Errors \"[]\", JSON inside strings" test "$(jget "$b" '.Tasks[0] | [.TotalSteps, .CurrentStep, .Errors, (.Result|fromjson), (.Request|fromjson|.clusterId)]')" = '[35,16,"[]",{},"ehpc-hz-1"]'
if [ -f "$FIX/ehpc-list-tasks.json" ]; then
	f=$(cat "$FIX/ehpc-list-tasks.json")
	check "ehpc: keys as in the vendor's example" test "$(jget "$b" '[keys_unsorted, (.Tasks[0]|keys_unsorted)]')" = "$(jget "$f" '[keys_unsorted, (.Tasks[0]|keys_unsorted)]')"
fi
check "ehpc: RequestId is an upper-case UUID" grep -qE '"RequestId":"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}"' <<<"$b"

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

# --- DWS after the timeline: SNAPSHOTTING became SNAPSHOTTING_FAILED.
r=$(req GET /v1/p/clusters/dws-1/actions/SNAPSHOTTING)
check "dws.actions: the renamed action is 404 under its old name" eval 'status_is "$r" 404 && has "$r" "\"error_code\":\"DWS.0015\""'
r=$(req GET /v1/p/clusters/dws-1/actions/SNAPSHOTTING_FAILED -H 'X-Language: en-us')
b=$(body "$r")
check "dws.actions: same id under SNAPSHOTTING_FAILED, FAILED" test "$(jget "$b" '[.id, .status, .action_name, .items[0].sub_items[0].status]')" = '["act-1","FAILED","SNAPSHOTTING_FAILED","FAILED"]'
pi=$(jget "$b" '.items[0].sub_items[0].detail | fromjson | .progressInfo | fromjson')
check "dws.actions: failure in progressInfo" test "$(jget "$pi" '[.failedStep, .errorCode, .errorMsg, .currentStep]')" = '["INIT","DWS.9105","host down","BACKUP"]'
check "dws.actions: ended: end_time and actionEndTime set" eval 'grep -qE "\"end_time\":\"[0-9-]{10} [0-9:]{8}\.0\"" <<<"$b" && grep -qE "\"actionEndTime\":\"[0-9-]{10} [0-9:]{8}\"" <<<"$pi"'
r=$(req GET /v1/p/clusters/dws-1/actions/GROWING)
check "dws.actions: an absent action is 404 DWS.0015" eval 'status_is "$r" 404 && has "$r" "{\"error_code\":\"DWS.0015\",\"error_msg\":"'
r=$(req GET /v1/p/clusters/dws-1/actions/SLEEPING)
check "dws.actions: an unknown action name is 400 DWS.0001" eval 'status_is "$r" 400 && has "$r" "\"error_code\":\"DWS.0001\""'
r=$(req GET /v1/p/clusters/no-such/actions/GROWING)
check "dws.actions: an unknown cluster is 403 DWS.0015" eval 'status_is "$r" 403 && has "$r" "\"error_code\":\"DWS.0015\""'

# --- DWS logical tasks.
L=/v2/p/clusters/dws-1/logical-clusters/tasks
b=$(body "$(req GET $L)")
check "dws.logical: newest first, count is the total" test "$(jget "$b" '[.count, [.logical_cluster_tasks[].type]]')" = '[3,["Expand","Create","Grow"]]'
check "dws.logical: running task has result \"\" and end_time \"\"" test "$(jget "$b" '.logical_cluster_tasks[0] | [.result, .end_time, .logical_cluster_name]')" = '["","","lc1"]'
check "dws.logical: lower-case result, log, times like 2023-06-05 01:58:43" eval 'test "$(jget "$b" ".logical_cluster_tasks[2] | [.result, .log]")" = "[\"success\",\"Expand from outside success\"]" && grep -qE "\"start_time\":\"[0-9-]{10} [0-9:]{8}\",\"end_time\":\"[0-9-]{10} [0-9:]{8}\"" <<<"$b"'
if [ -f "$FIX/dws-logical-tasks.json" ]; then
	check "dws.logical: keys as in the vendor's example" test "$(jget "$b" '[keys_unsorted, (.logical_cluster_tasks[0]|keys_unsorted)]')" = "$(jget "$(cat "$FIX/dws-logical-tasks.json")" '[keys_unsorted, (.logical_cluster_tasks[0]|keys_unsorted)]')"
fi
b=$(body "$(req GET "$L?offset=1&limit=2")")
check "dws.logical: offset is a page index (offset=1&limit=2 is the 3rd task)" test "$(jget "$b" '[.count, [.logical_cluster_tasks[].type]]')" = '[3,["Grow"]]'
b=$(body "$(req GET "$L?offset=1&limit=1")")
check "dws.logical: offset=1&limit=1 is the 2nd task" test "$(jget "$b" '[.logical_cluster_tasks[].type]')" = '["Create"]'
b=$(body "$(req GET "$L?order_by=startTime&order=ASC&limit=1")")
check "dws.logical: order=ASC" test "$(jget "$b" '[.logical_cluster_tasks[].type]')" = '["Grow"]'
b=$(body "$(req GET "$L?type=Create&logical_cluster_name=test_logical")")
check "dws.logical: type and logical_cluster_name filters" test "$(jget "$b" '[.count, .logical_cluster_tasks[0].log]')" = '[1,"list index out of range"]'
for bad in limit=0 offset=-1 order=UP order_by=endTime; do
	r=$(req GET "$L?$bad")
	check "dws.logical: $bad is 400 DWS.0001" eval 'status_is "$r" 400 && has "$r" DWS.0001'
done
r=$(req GET /v2/p/clusters/no-such/logical-clusters/tasks)
check "dws.logical: an unknown cluster is 403" status_is "$r" 403

# --- GaussDB after the timeline, and its parameters.
b=$(body "$(req GET /v3/p/tasks)")
check "gaussdb.tasks: failed task: reason, process null, instance_status, ended_at" test "$(jget "$b" '.tasks[0] | [.status, .fail_reason, .process, .instance_info.instance_status, (.ended_at|type)]')" = '["Failed","OBS quota exceeded",null,"abnormal","string"]'
now=$(( $(date +%s) * 1000 ))
b=$(body "$(req GET "/v3/p/tasks?start_time=$((now - 3600000))&end_time=$((now + 60000))")")
check "gaussdb.tasks: epoch-millisecond window" test "$(jget "$b" '[.total_count, [.tasks[].job_id]]')" = '[1,["g-run"]]'
b=$(body "$(req GET "/v3/p/tasks?limit=1&offset=1")")
check "gaussdb.tasks: offset counts rows" test "$(jget "$b" '[.total_count, [.tasks[].job_id]]')" = '[2,["g-old"]]'
b=$(body "$(req GET "/v3/p/tasks?status=Completed")")
check "gaussdb.tasks: status filter" test "$(jget "$b" '[.tasks[].job_id]')" = '["g-old"]'
for bad in "start_time=2025-05-19T00:00:00Z" "end_time=x" limit=0 limit=101 offset=-1 status=running; do
	r=$(req GET "/v3/p/tasks?$bad")
	check "gaussdb.tasks: $bad is 400 DBS.200001" eval 'status_is "$r" 400 && has "$r" DBS.200001'
done
r=$(req GET "/v3/p/tasks?start_time=$now&end_time=$((now - 1))")
check "gaussdb.tasks: end_time before start_time is 400" status_is "$r" 400
req DELETE /_sim/requests >/dev/null
r=$(req GET "/v3/p/jobs?id=g-run")
check "gaussdb.job: the shared lookup path serves the GaussDB task" test "$(jget "$(body "$r")" '.job | [.id, .status, .instance.id, .fail_reason]')" = '["g-run","Failed","gi-1","OBS quota exceeded"]'
r=$(req GET "/v3/p/jobs?id=job-old")
check "gaussdb.job: a DDS id still goes to DDS" has "$r" '"id":"job-old"'
r=$(req GET /_sim/requests)
check "gaussdb.job and dds.job counted apart" has "$r" '"dds.job":1,"dws.actions":0,"dws.logical":0,"gaussdb.tasks":0,"gaussdb.job":1,'

# --- E-HPC after the timeline, formats and errors.
b=$(body "$(req GET "/?$EH&ClusterId=ehpc-hz-1&Format=JSON")")
check "ehpc: a finished task vanishes from the default list" test "$(jget "$b" '[.TotalCount, .Tasks]')" = '[0,[]]'
b=$(body "$(req GET "/?$EH&ClusterId=ehpc-hz-1&Format=JSON&Archived=true&RegionId=cn-hangzhou")")
check "ehpc: Archived=true lists it: PartialFail with Errors as JSON in a string" test "$(jget "$b" '[.TotalCount, (.Tasks[0] | [.TaskId, .Status, .CurrentStep, (.Errors|fromjson)])]')" = '[2,["E-RUN","PartialFail",35,[{"Code":"NodeStartFailed","Message":"2 nodes failed"}]]]'
b=$(body "$(req GET "/?$EH&ClusterId=ehpc-hz-1&Format=JSON&TaskId=E-DONE")")
check "ehpc: TaskId finds a finished task without Archived" test "$(jget "$b" '[.TotalCount, .Tasks[0].Status]')" = '[1,"Success"]'
b=$(body "$(req GET "/?$EH&ClusterId=ehpc-hz-1&Format=JSON&Archived=true&PageSize=1&PageNumber=2")")
check "ehpc: PageNumber from 1, PageSize" test "$(jget "$b" '[.PageSize, .PageNumber, .TotalCount, [.Tasks[].TaskId]]')" = '[1,2,2,["E-DONE"]]'
r=$(req GET "/?$EH&ClusterId=ehpc-hz-1&Archived=true")
check "ehpc: without Format=JSON the answer is XML" eval 'status_is "$r" 200 && has "$r" "Content-Type: text/xml" && has "$r" "<ListTasksResponse><PageSize>10</PageSize>" && has "$r" "<Tasks><TaskInfo><Status>"'
r=$(req GET "/?$EH&Format=JSON")
check "ehpc: missing ClusterId is 400 InvalidParams" eval 'status_is "$r" 400 && test "$(jget "$(body "$r")" "[.Code, (keys_unsorted)]")" = "[\"InvalidParams\",[\"RequestId\",\"HostId\",\"Code\",\"Message\"]]"'
r=$(req GET "/?$EH&ClusterId=nope&Format=JSON")
check "ehpc: unknown cluster is 404 ClusterNotFound" eval 'status_is "$r" 404 && has "$r" "\"Code\":\"ClusterNotFound\""'
r=$(req GET "/?$EH&ClusterId=ehpc-hz-1&RegionId=cn-beijing&Format=JSON")
check "ehpc: cluster in another region is 404" status_is "$r" 404
for bad in PageSize=51 PageSize=0 PageNumber=0 PageNumber=1000 Archived=maybe; do
	r=$(req GET "/?$EH&ClusterId=ehpc-hz-1&Format=JSON&$bad")
	check "ehpc: $bad is 400 InvalidParams" eval 'status_is "$r" 400 && has "$r" InvalidParams'
done
r=$(req GET "/?Action=ListTasks&Version=2017-01-01&ClusterId=ehpc-hz-1&Format=JSON")
check "ehpc: another Version is 400 InvalidVersion" has "$r" '"Code":"InvalidVersion"'
r=$(req GET "/?Action=ListTasks&ClusterId=ehpc-hz-1")
check "ehpc: missing Version is 400 MissingParameter, in XML" eval 'status_is "$r" 400 && has "$r" "<Error><RequestId>" && has "$r" "<Code>MissingParameter</Code>"'
r=$(req GET "/?Action=DescribeCluster&ClusterId=ehpc-hz-1&Format=JSON")
check "ehpc: another action is 404 InvalidAction.NotFound" eval 'status_is "$r" 404 && has "$r" InvalidAction.NotFound'
r=$(req GET "/?Version=2018-04-12&ClusterId=ehpc-hz-1&Archived=true" -H 'x-acs-action: ListTasks')
check "ehpc: V3 style (Action in x-acs-action) defaults to JSON" eval 'status_is "$r" 200 && has "$r" "\"TotalCount\":2"'

# --- Control API for the new services.
r=$(req POST /_sim/tasks -d '{"service":"dws.actions","name":"RESTORING"}')
check "POST dws.actions without instance_id is 400" status_is "$r" 400
r=$(req POST /_sim/tasks -d '{"service":"dws.actions","instance_id":"dws-2","name":"NAPPING"}')
check "POST dws.actions with a bad action name is 400" eval 'status_is "$r" 400 && has "$r" NAPPING'
r=$(req POST /_sim/tasks -d '{"service":"dds","step":"X"}')
check "POST with another service's key is 400" eval 'status_is "$r" 400 && has "$r" step'
r=$(req POST /_sim/tasks -d '{"service":"dws.actions","id":"act-2","instance_id":"dws-2","instance_name":"cluster_2","name":"RESTORING","progress":10}')
check "POST dws.actions creates the cluster too" eval 'status_is "$r" 201 && status_is "$(req GET /v1/p/clusters/dws-2/actions/RESTORING)" 200'
r=$(req PATCH /_sim/tasks/act-2 -d '{"name":"RESTORING_FAILED","status":"FAILED","fail_reason":"OBS unreachable","failed_step":"RESTORE"}')
check "PATCH renames a DWS action" eval 'status_is "$r" 200 && status_is "$(req GET /v1/p/clusters/dws-2/actions/RESTORING)" 404'
b=$(body "$(req GET /v1/p/clusters/dws-2/actions/RESTORING_FAILED)")
check "renamed action keeps its id" test "$(jget "$b" '[.id, .status, .cluster_name]')" = '["act-2","FAILED","cluster_2"]'
r=$(req PATCH /_sim/tasks/act-2 -d '{"instance_id":"x"}')
check "PATCH of instance_id is 400" status_is "$r" 400
r=$(req POST /_sim/tasks -d '{"service":"dws.logical","id":"lt-9","instance_id":"dws-1","name":"Shrink","logical_cluster":"lc9"}')
b=$(body "$(req GET "$L?type=Shrink")")
check "POST dws.logical is listed" eval 'status_is "$r" 201 && test "$(jget "$b" ".logical_cluster_tasks[0].logical_cluster_name")" = "\"lc9\""'
r=$(req POST /_sim/tasks -d '{"service":"gaussdb","id":"g-new","name":"EnlargeGaussDBV5Volume","instance_id":"gi-3","instance_status":"creating","progress":5}')
b=$(body "$(req GET "/v3/p/tasks?name=EnlargeGaussDBV5Volume")")
check "POST gaussdb is listed" test "$(jget "$b" '.tasks[0] | [.job_id, .process, .instance_info.instance_status]')" = '["g-new","5","creating"]'
r=$(req POST /_sim/tasks -d '{"service":"ehpc","id":"E-NEW","instance_id":"ehpc-2","name":"StartComputes","total_steps":4}')
r=$(req PATCH /_sim/tasks/E-NEW -d '{"current_step":2}')
b=$(body "$(req GET "/?$EH&ClusterId=ehpc-2&Format=JSON")")
check "POST/PATCH ehpc: steps and progress follow each other" eval 'test "$(jget "$b" ".Tasks[0] | [.TaskId, .CurrentStep, .TotalSteps]")" = "[\"E-NEW\",2,4]" && has "$r" "\"progress\":50"'
r=$(req POST /_sim/clusters -d '{"kind":"ehpc","id":"ehpc-empty","region":"cn-shanghai"}')
b=$(body "$(req GET "/?$EH&ClusterId=ehpc-empty&Format=JSON")")
check "POST /_sim/clusters declares an empty cluster" eval 'status_is "$r" 201 && test "$(jget "$b" .TotalCount)" = 0'
r=$(req GET /_sim/clusters)
check "GET /_sim/clusters lists them" eval 'has "$r" "\"id\":\"ehpc-empty\"" && has "$r" "\"kind\":\"dws\""'
r=$(req POST /_sim/clusters -d '{"kind":"rds","id":"x"}')
check "POST /_sim/clusters with a bad kind is 400" status_is "$r" 400

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
check "request counters by endpoint" has "$r" '{"total":3,"by_endpoint":{"dds.jobs":2,"dds.job":1,"dws.actions":0,"dws.logical":0,"gaussdb.tasks":0,"gaussdb.job":0,"ehpc.ListTasks":0,"ehpc.ListCommonLogs":0,"iam.tokens":0,"dws.clusters":0,"ehpc.ListClusters":0,"ehpc.ListClusters2":0},"unmatched":0,"auth_fail":{}}'

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
req POST /_sim/faults -d '{"endpoint":"dds.jobs","status":503,"every":2,"count":2}' >/dev/null
codes=""
for i in 1 2 3 4; do codes="$codes$(req GET "/v3.1/p/jobs?$WIN" | head -1 | awk '{print $2}') "; done
check "every 2: 503 and 200 by turns ($codes)" [ "$codes" = "503 200 503 200 " ]
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

# --- Faults of the new kinds.
fault() { req POST /_sim/faults -d "$1" >/dev/null; }
G="/v3/p/jobs?id=g-run"
normal=$(body "$(req GET "$G")")
fault '{"endpoint":"gaussdb.tasks","mode":"oversized","bytes":1000000,"count":1}'
curl -sS -m 10 "$SIM/v3/p/tasks" >"$TMP/big.json"
check "oversized: valid JSON over 1000000 bytes" eval '[ "$(wc -c <"$TMP/big.json")" -ge 1000000 ] && jq -e ".padding | length > 900" "$TMP/big.json" >/dev/null'
fault '{"endpoint":"gaussdb.tasks","mode":"oversized","count":1}'
n=$(curl -sS -m 30 -o /dev/null -w '%{size_download}' "$SIM/v3/p/tasks")
check "oversized: 16 MiB by default ($n bytes)" test "${n:-0}" -ge 16777216
fault '{"endpoint":"gaussdb.tasks","mode":"oversized","count":1}'
n=$(curl -sS -m 10 "$SIM/v3/p/tasks" 2>/dev/null | head -c 100000 | wc -c)
check "oversized: a client that stops reading does not hurt" eval '[ "$n" -eq 100000 ] && status_is "$(req GET "$G")" 200'
fault '{"endpoint":"gaussdb.job","mode":"deep","count":1}'
b=$(body "$(req GET "$G")")
check "deep: 1000000 brackets deep" eval '[ ${#b} -eq 2000000 ] && [ "${b:0:4}" = "[[[[" ] && [ "${b: -4}" = "]]]]" ]'
fault '{"endpoint":"gaussdb.job","mode":"utf8","count":1}'
curl -sS -m 5 "$SIM$G" >"$TMP/utf8"
check "utf8: invalid UTF-8 in an otherwise valid body" eval '! iconv -f UTF-8 -t UTF-8 "$TMP/utf8" >/dev/null 2>&1 && LC_ALL=C sed "s/\xff\xfe\xc3(//" "$TMP/utf8" | jq -e .job.id >/dev/null'
fault '{"endpoint":"gaussdb.job","mode":"trickle","interval_ms":5,"count":1}'
t0=$(now_ms)
r=$(req GET "$G")
t1=$(now_ms)
check "trickle: chunked, one byte per 5 ms ($((t1 - t0)) ms)" eval 'has "$r" "Transfer-Encoding: chunked" && [ "$(body "$r")" = "$normal" ] && [ $((t1 - t0)) -ge $(( ${#normal} * 5 )) ]'
fault '{"endpoint":"gaussdb.job","mode":"trickle","interval_ms":200,"count":1}'
curl -s -m 0.3 "$SIM$G" >/dev/null 2>&1
check "trickle: a client that gives up does not hurt" status_is "$(req GET "$G")" 200
fault '{"endpoint":"gaussdb.job","mode":"reset","count":1}'
curl -sS -m 5 -o "$TMP/reset" -D "$TMP/reset.h" "$SIM$G" 2>"$TMP/reset.err"; rc=$?
len=$(sed -n 's/^Content-Length: *\([0-9]*\).*/\1/p' "$TMP/reset.h")
check "reset: part of the announced body, then the connection drops (curl $rc)" eval '{ [ $rc -eq 18 ] || [ $rc -eq 56 ]; } && [ "$(wc -c <"$TMP/reset")" -lt "${len:-0}" ] && [ "${len:-0}" -eq ${#normal} ]'
fault '{"endpoint":"gaussdb.job","mode":"reset","bytes":10,"count":1}'
curl -sS -m 5 -o "$TMP/reset" "$SIM$G" 2>/dev/null
check "reset: bytes sets the prefix" test "$(wc -c <"$TMP/reset")" -le 10
fault '{"endpoint":"gaussdb.job","mode":"html","count":1}'
r=$(req GET "$G")
check "html: 200 with an HTML page" eval 'status_is "$r" 200 && has "$r" "Content-Type: text/html" && body "$r" | grep -q "^<!DOCTYPE html>"'
fault '{"endpoint":"gaussdb.job","mode":"empty","count":1}'
r=$(req GET "$G")
check "empty: 200 with an empty body" eval 'status_is "$r" 200 && has "$r" "Content-Length: 0" && [ -z "$(body "$r")" ]'
fault '{"endpoint":"ehpc.*","mode":"wrapped","count":1}'
b=$(body "$(req GET "/?$EH&ClusterId=ehpc-hz-1&Format=JSON&Archived=true")")
check "wrapped: E-HPC Tasks as {\"TaskInfo\": [...]}" test "$(jget "$b" '[.Tasks.TaskInfo[].TaskId]')" = '["E-RUN","E-DONE"]'
fault '{"endpoint":"dds.jobs","mode":"omit_empty","count":2}'
b=$(body "$(req GET "/v3.1/p/jobs?$WIN&offset=100000")")
check "omit_empty: an empty DDS page leaves out jobs ($b)" eval '[ "$(jget "$b" "has(\"jobs\")")" = false ] && [ "$(jget "$b" ".total_count > 0")" = true ]'
b=$(body "$(req GET "/v3.1/p/jobs?$WIN")")
check "omit_empty: a DDS page with rows keeps jobs" test "$(jget "$b" '.jobs | length > 0')" = true
fault '{"endpoint":"gaussdb.tasks","mode":"omit_empty","count":1}'
b=$(body "$(req GET "/v3/p/tasks?offset=100000")")
check "omit_empty: an empty GaussDB page leaves out tasks ($b)" test "$(jget "$b" 'has("tasks")')" = false
b=$(body "$(req GET "/v3/p/tasks?offset=100000")")
check "omit_empty: cleared, the empty GaussDB page has tasks: []" test "$(jget "$b" '.tasks')" = '[]'
fault '{"endpoint":"ehpc.ListTasks","status":429,"count":1}'
r=$(req GET "/?$EH&ClusterId=ehpc-hz-1&Format=JSON")
check "ehpc throttling is HTTP 400 Throttling.User" eval 'status_is "$r" 400 && has "$r" "\"Code\":\"Throttling.User\""'
fault '{"endpoint":"ehpc.ListTasks","status":407,"count":1}'
r=$(req GET "/?$EH&ClusterId=ehpc-hz-1&Format=JSON")
check "ehpc NotAuthorized is HTTP 407" eval 'status_is "$r" 407 && has "$r" "\"Code\":\"NotAuthorized\""'
fault '{"endpoint":"ehpc.ListTasks","status":400,"code":"Throttling","message":"Request was denied due to flow control.","count":1}'
r=$(req GET "/?$EH&ClusterId=ehpc-hz-1&Format=JSON")
check "ehpc fault with code and message" eval 'status_is "$r" 400 && has "$r" "\"Code\":\"Throttling\",\"Message\":\"Request was denied due to flow control.\""'
fault '{"endpoint":"dws.*","status":429,"count":1}'
r=$(req GET "$L")
check "dws 429: APIG.0308 with Retry-After" eval 'status_is "$r" 429 && has "$r" APIG.0308 && has "$r" "Retry-After: 1"'
fault '{"endpoint":"dws.actions","status":403,"count":1}'
r=$(req GET /v1/p/clusters/dws-1/actions/GROWING)
check "dws 403: DWS.0015" eval 'status_is "$r" 403 && has "$r" "\"error_code\":\"DWS.0015\""'
if [ -f "$FIX/gaussdb-tasks.json" ]; then
	fault "{\"endpoint\":\"gaussdb.tasks\",\"status\":200,\"body_file\":\"$FIX/gaussdb-tasks.json\",\"count\":1}"
	curl -sS -m 5 "$SIM/v3/p/tasks" >"$TMP/fixture"
	check "body_file serves a vendor example verbatim" cmp -s "$TMP/fixture" "$FIX/gaussdb-tasks.json"
fi
r=$(req POST /_sim/faults -d '{"endpoint":"gaussdb.job","mode":"trickle","interval_ms":0}')
check "interval_ms 0 is 400" status_is "$r" 400
r=$(req POST /_sim/faults -d '{"endpoint":"gaussdb.job","body_file":"/nonexistent"}')
check "unreadable body_file is 400" status_is "$r" 400
req DELETE /_sim/faults >/dev/null

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

# --- More simulators: bulk mode and authentication.  extra_sim NAME ARGS:
# start one (under valgrind with TW_VALGRIND); sets X_PID and X_URL.
EXTRA_PIDS=()
extra_sim() {
	local name=$1
	shift
	if [ -n "${TW_VALGRIND:-}" ]; then
		valgrind -q --error-exitcode=99 --leak-check=full \
		    --errors-for-leak-kinds=definite,indirect \
		    --show-leak-kinds=definite,indirect "$SIMBIN" --port 0 \
		    --port-file "$TMP/$name.port" --exit-after 140s "$@" \
		    >"$TMP/$name.log" 2>&1 &
	else
		"$SIMBIN" --port 0 --port-file "$TMP/$name.port" \
		    --exit-after 140s "$@" >"$TMP/$name.log" 2>&1 &
	fi
	X_PID=$!
	EXTRA_PIDS+=("$X_PID")
	wait_for 30 test -s "$TMP/$name.port" || { cat "$TMP/$name.log"; exit 1; }
	X_URL="http://127.0.0.1:$(cat "$TMP/$name.port")"
}
trap 'for p in "${EXTRA_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; cleanup' EXIT
# stop_extra NAME PID: SIGTERM, and the simulator must exit 0.
stop_extra() {
	kill -TERM "$2"
	wait "$2"
	check "$1: SIGTERM exits 0" test $? -eq 0
}
DAY="start_time=$(ts '-1 day')&end_time=$(ts '+1 minute')"

if [ -n "${TW_VALGRIND:-}" ]; then BULK=100x100 BULKN=10000; else BULK=1000x100 BULKN=100000; fi
extra_sim bulk --bulk "$BULK" --change-rate 5000/s
BULK_PID=$X_PID
read -r code secs < <(curl -sS -m 20 -o "$TMP/page" -w '%{http_code} %{time_total}\n' "$X_URL/v3.1/p/jobs?$DAY&offset=$((BULKN - 100))&limit=100")
check "bulk $BULK: the last page ($secs s)" eval '[ "$code" = 200 ] && test "$(jq -c "[.total_count, (.jobs|length)]" "$TMP/page")" = "[$BULKN,100]"'
if [ -z "${TW_VALGRIND:-}" ]; then
	# Sanitized builds run slower: the bound stretches with the deadlines.
	check "bulk $BULK: a page is served in under $((50 * SLOW)) ms" awk -v s="$secs" -v slow="$SLOW" 'BEGIN { exit !(s < 0.05 * slow) }'
fi
run1=$(curl -sS -m 20 "$X_URL/v3.1/p/jobs?$DAY&status=Running&limit=100")
# A change that ends a run leaves one fewer until the next starts one.
nrun=$(jget "$run1" .total_count)
check "bulk: a tenth of the tasks run ($nrun)" eval '[ "$nrun" -eq $((BULKN / 10)) ] || [ "$nrun" -eq $((BULKN / 10 - 1)) ]'
sleep 1
run2=$(curl -sS -m 20 "$X_URL/v3.1/p/jobs?$DAY&status=Running&limit=100")
check "bulk: --change-rate changes tasks" test "$run1" != "$run2"
ch=$(curl -sS -m 20 "$X_URL/_sim/changes")
check "bulk: /_sim/changes lists status changes with times" test "$(jget "$ch" '(.changes | length > 0) and all(.changes[]; (.id | length) == 36 and (.status | test("^(Running|Completed|Failed)$")) and .at_ms > 1700000000000)')" = true
cid=$(jq -r '.changes[-1].id' <<<"$ch")
cst=$(jq -r --arg id "$cid" '[.changes[] | select(.id == $id)][-1].status' <<<"$ch")
check "bulk: a task's last recorded change is its status" test "$(curl -sS -m 5 "$X_URL/_sim/tasks/$cid" | jq -r .status)" = "$cst"
check "bulk: /_sim/changes?since= filters by time" test "$(curl -sS -m 5 "$X_URL/_sim/changes?since=$(( $(jget "$ch" '.changes[-1].at_ms') + 3600000 ))" | jq '.changes | length')" = 0
stop_extra "bulk simulator" "$BULK_PID"
extra_sim bulk2 --bulk 20×50 --bulk-api ehpc
b=$(curl -sS -m 5 "$X_URL/?$EH&Format=JSON&ClusterId=bulk-00007&Archived=true&PageSize=50")
check "bulk ehpc (20×50): 50 tasks in cluster bulk-00007" test "$(jget "$b" '[.TotalCount, (.Tasks|length)]')" = '[50,50]'
b=$(curl -sS -m 5 "$X_URL/?$EH&Format=JSON&ClusterId=bulk-00007")
check "bulk ehpc: 5 of them running" test "$(jget "$b" .TotalCount)" = 5
b=$(curl -sS -m 5 "$X_URL/v2/p/clusters/bulk-00000/logical-clusters/tasks")
check "bulk ehpc: no DWS clusters" has "$b" DWS.0015
stop_extra "bulk ehpc simulator" "$X_PID"
extra_sim bulk3 --bulk 3x4 --bulk-api dws.logical
b=$(curl -sS -m 5 "$X_URL/v2/p/clusters/bulk-00002/logical-clusters/tasks")
check "bulk dws.logical (3x4)" test "$(jget "$b" .count)" = 4
stop_extra "bulk dws.logical simulator" "$X_PID"

# --lifecycles: every API gets tasks, more than a page of each scope, and
# the change log records each change with its API, state and time.
extra_sim life --lifecycles 7
sleep 3
cl=$(curl -sS -m 5 "$X_URL/_sim/clusters")
check "lifecycles: 3 DWS and 3 E-HPC clusters" test "$(jget "$cl" '[.clusters[].kind] | sort | join(",")')" = '"dws,dws,dws,ehpc,ehpc,ehpc"'
dws1=$(jget "$cl" '[.clusters[] | select(.kind=="dws")][0].id' | tr -d '"')
hpc1=$(jget "$cl" '[.clusters[] | select(.kind=="ehpc")][0].id' | tr -d '"')
b=$(curl -sS -m 5 "$X_URL/v3.1/p/jobs?$DAY")
check "lifecycles: DDS lists more than a page of 100 ($(jget "$b" .total_count))" test "$(jget "$b" .total_count)" -gt 100
b=$(curl -sS -m 5 "$X_URL/v2/p/clusters/$dws1/logical-clusters/tasks")
check "lifecycles: a DWS logical list is more than a page of 50 ($(jget "$b" .count))" test "$(jget "$b" .count)" -gt 50
b=$(curl -sS -m 5 "$X_URL/?$EH&Format=JSON&ClusterId=$hpc1&Archived=true&PageSize=50")
check "lifecycles: an E-HPC cluster has more than a page of 50 ($(jget "$b" .TotalCount))" test "$(jget "$b" .TotalCount)" -gt 50
ch=$(curl -sS -m 20 "$X_URL/_sim/changes")
check "lifecycles: changes on all five APIs" test "$(jget "$ch" '[.changes[].api] | unique | join(",")')" = '"dds.jobs,dws.actions,dws.logical_tasks,ehpc.tasks,gaussdb.tasks"'
check "lifecycles: every change has its fields, numbered from 1" test "$(jget "$ch" '(.changes[0].seq == 1) and all(.changes[]; (.seq > 0) and (.at_ms > 1700000000000) and (.cluster | length > 0) and (.id | length > 0) and (.type | length > 0) and (.what | test("^(appear|state|type|progress|vanish)$")) and (.state | test("^[A-Z_]+$")) and (.progress >= 0))')" = true
check "lifecycles: no UNKNOWN state" test "$(jget "$ch" '[.changes[] | select(.state == "UNKNOWN")] | length')" = 0
check "lifecycles: E-HPC task types as the SDK names them (ResetCompute)" test "$(jget "$ch" '[.changes[] | select(.api == "ehpc.tasks") | .type] | unique | join(",")')" = '"AddComputes,DeleteComputes,ResetCompute,StartComputes,StopComputes"'
st=$(curl -sS -m 5 "$X_URL/_sim/tasks" | jq -c '[.tasks[] | select(.service == "ehpc") | .status] | unique')
check "lifecycles: E-HPC failures end both Fail and Failed ($st)" eval 'jq -e "index(\"Fail\") and index(\"Failed\")" <<<"$st" >/dev/null'
last=$(jget "$ch" .last)
check "lifecycles: ?after= lists only later changes" test "$(curl -sS -m 5 "$X_URL/_sim/changes?after=$last" | jq '[.changes[] | select(.seq <= '"$last"')] | length')" = 0
check "lifecycles: ?limit= caps the answer" test "$(curl -sS -m 5 "$X_URL/_sim/changes?limit=5" | jq '.changes | length')" = 5
stop_extra "lifecycles simulator" "$X_PID"
for bad in "--bulk 10" "--bulk 0x5" "--bulk 10x10 --bulk-api dws.actions" "--change-rate 5/s" "--bulk 10x10 --change-rate fast" "--lifecycles -1" "--lifecycles 1 --lifecycle-tasks 0"; do
	"$SIMBIN" $bad --exit-after 10ms >/dev/null 2>&1
	check "bad bulk flags ($bad): exit 64" test $? -eq 64
done

# --- Authentication.
cat >"$TMP/auth.yaml" <<'YAML'
project_id: 0549b4a43100d4f32f51c01c2fe4acdb
accounts:
  - { name: hw, cloud: huawei, auth: aksk, ak: HWAK0000000000000001, sk: hw-secret-key-1 }
  - name: iam
    auth: token
    user: alice
    password: pw-alice-1
    domain: acme
    project_id: 05a1b2c3d4e5f60718293a4b5c6d7e8f
    token_lifetime: 1s
  - { name: ali, cloud: alibaba, auth: any, access_key_id: ALIAK0001, access_key_secret: ali-secret-1 }
ehpc:
  clusters:
    - id: ehpc-a
      tasks: [ { id: EA, name: AddComputes } ]
YAML
extra_sim auth --scenario "$TMP/auth.yaml"
AUTH_PID=$X_PID
A=$X_URL
CTL=$TOP/bin/taskwatchctl
umask 077
printf %s HWAK0000000000000001 >"$TMP/hw.ak"
printf %s hw-secret-key-1 >"$TMP/hw.sk"
printf %s wrong-secret >"$TMP/bad.sk"
printf %s ALIAK0001 >"$TMP/ali.ak"
printf %s ali-secret-1 >"$TMP/ali.sk"
printf %s NOSUCHKEY >"$TMP/nokey.ak"
umask 022
# signed SCHEME URL KEYFILE SECRETFILE [SIGN-ARGS]: send a request signed by
# taskwatchctl sign; print the status line, headers and body.
signed() {
	local scheme=$1 url=$2 key=$3 secret=$4 out h
	shift 4
	out=$("$CTL" sign "$scheme" --method GET --url "$url" \
	    --key-file "$key" --secret-file "$secret" "$@") || { echo "sign failed"; return 1; }
	SIGNED_URL=$(sed -n '/^--- url ---$/{n;p;}' <<<"$out")
	SIGNED_H=()
	while IFS= read -r h; do
		[ -n "$h" ] && SIGNED_H+=(-H "$h")
	done < <(sed -n '/^--- headers ---$/,/^--- url ---$/{/^---/d;p;}' <<<"$out")
	curl -sS -m 5 -i "${SIGNED_H[@]}" "$SIGNED_URL" 2>&1
}
# hw_openssl PATH QUERY: an SDK-HMAC-SHA256 Authorization computed here with
# openssl, independently of the sign module (QUERY already canonical).
hw_openssl() {
	local host=${A#http://} date canon hash sig
	date=$(date -u +%Y%m%dT%H%M%SZ)
	canon="GET\n$1/\n$2\nhost:$host\nx-sdk-date:$date\n\nhost;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	hash=$(printf '%b' "$canon" | openssl dgst -sha256 -hex | sed 's/.*= //')
	sig=$(printf '%b' "SDK-HMAC-SHA256\n$date\n$hash" | openssl dgst -sha256 -hmac hw-secret-key-1 -hex | sed 's/.*= //')
	HW_DATE=$date
	HW_AUTH="SDK-HMAC-SHA256 Access=HWAK0000000000000001, SignedHeaders=host;x-sdk-date, Signature=$sig"
}
curl -sS -m 5 -X DELETE "$A/_sim/requests" >/dev/null
r=$(signed huawei "$A/v3/p/tasks?limit=1&offset=0" "$TMP/hw.ak" "$TMP/hw.sk")
check "auth aksk: a good signature (taskwatchctl sign) is accepted" status_is "$r" 200
hw_openssl /v3/p/tasks "limit=1&offset=0"
r=$(curl -sS -m 5 -i -H "X-Sdk-Date: $HW_DATE" -H "Authorization: $HW_AUTH" "$A/v3/p/tasks?limit=1&offset=0")
check "auth aksk: a signature made with openssl is accepted" status_is "$r" 200
r=$(curl -sS -m 5 -i "$A/v3/p/tasks")
check "auth aksk: an unsigned request is 401 APIG.0301" eval 'status_is "$r" 401 && has "$r" "\"error_code\":\"APIG.0301\""'
r=$(signed huawei "$A/v3/p/tasks?limit=1" "$TMP/hw.ak" "$TMP/bad.sk")
check "auth aksk: a bad signature is 401 APIG.0301 verify aksk signature fail" eval 'status_is "$r" 401 && has "$r" "{\"error_code\":\"APIG.0301\",\"error_msg\":\"Incorrect IAM authentication information: verify aksk signature fail\",\"request_id\":\""'
signed huawei "$A/v3/p/tasks?limit=1" "$TMP/hw.ak" "$TMP/hw.sk" >/dev/null
r=$(curl -sS -m 5 -i "${SIGNED_H[@]}" "$SIGNED_URL&limit=2")
check "auth aksk: a query changed after signing is 401" status_is "$r" 401
r=$(signed huawei "$A/v3/p/tasks" "$TMP/hw.ak" "$TMP/hw.sk" --date "$(date -u -d '-20 min' +%Y%m%dT%H%M%SZ)")
check "auth aksk: X-Sdk-Date 20 minutes old is 401 (request time is expired)" eval 'status_is "$r" 401 && has "$r" "the request time is expired"'
r=$(signed huawei "$A/v3/p/tasks" "$TMP/nokey.ak" "$TMP/hw.sk")
check "auth aksk: an unknown AK is 401" status_is "$r" 401
TOKBODY='{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":"pw-alice-1","domain":{"name":"acme"}}}},"scope":{"project":{"name":"cn-north-4"}}}}'
r=$(curl -sS -m 5 -i -X POST -H 'Content-Type: application/json;charset=utf8' -d "$TOKBODY" "$A/v3/auth/tokens?nocatalog=true")
TOKEN=$(sed -n 's/^X-Subject-Token: \([^\r]*\).*/\1/p' <<<"$r")
check "auth token: issued with 201 and X-Subject-Token" eval 'status_is "$r" 201 && [ ${#TOKEN} -ge 1000 ]'
check "auth token: expires_at and project.id in the body" test "$(jget "$(body "$r")" '[(.token.expires_at | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{6}Z$")), .token.project.id]')" = '[true,"05a1b2c3d4e5f60718293a4b5c6d7e8f"]'
r=$(curl -sS -m 5 -i -H "X-Auth-Token: $TOKEN" "$A/v3/p/tasks")
check "auth token: accepted while valid" status_is "$r" 200
r=$(curl -sS -m 5 -i -H "X-Auth-Token: MIISnotatoken" "$A/v3/p/tasks")
check "auth token: an unknown token is 401 APIG.0301" eval 'status_is "$r" 401 && has "$r" APIG.0301'
r=$(curl -sS -m 5 -i -X POST -d "${TOKBODY/pw-alice-1/wrong}" "$A/v3/auth/tokens")
check "auth token: a wrong password is 401 IAM.0101" eval 'status_is "$r" 401 && has "$r" "\"error_code\":\"IAM.0101\"" && ! has "$r" X-Subject-Token'
sleep 1.2
r=$(curl -sS -m 5 -i -H "X-Auth-Token: $TOKEN" "$A/v3/p/tasks")
check "auth token: after token_lifetime it is 401 APIG.0301 token expires" eval 'status_is "$r" 401 && has "$r" "token expires"'
V2URL="$A/?$EH&ClusterId=ehpc-a&RegionId=cn-hangzhou"
signed alibaba-v2 "$V2URL" "$TMP/ali.ak" "$TMP/ali.sk" >"$TMP/out"
r=$(cat "$TMP/out")
check "auth v2: a good signature is accepted" eval 'status_is "$r" 200 && has "$r" "\"TaskId\":\"EA\""'
r=$(curl -sS -m 5 -i "$SIGNED_URL")
check "auth v2: a replayed nonce is 400 SignatureNonceUsed" eval 'status_is "$r" 400 && has "$r" "\"Code\":\"SignatureNonceUsed\""'
r=$(signed alibaba-v2 "$V2URL" "$TMP/ali.ak" "$TMP/bad.sk")
check "auth v2: a bad signature is 400 SignatureDoesNotMatch with the string to sign" eval 'status_is "$r" 400 && has "$r" "\"Code\":\"SignatureDoesNotMatch\"" && has "$r" "server string to sign is:GET&%2F&AccessKeyId%3DALIAK0001%26"'
r=$(signed alibaba-v2 "$V2URL" "$TMP/ali.ak" "$TMP/ali.sk" --date "$(date -u -d '-20 min' +%Y-%m-%dT%H:%M:%SZ)")
check "auth v2: a Timestamp 20 minutes old is 400 InvalidTimeStamp.Expired" eval 'status_is "$r" 400 && has "$r" InvalidTimeStamp.Expired'
r=$(curl -sS -m 5 -i "$V2URL&Format=JSON")
check "auth v2: an unsigned request is 400 MissingAccessKeyId" eval 'status_is "$r" 400 && has "$r" MissingAccessKeyId'
r=$(signed alibaba-v2 "$V2URL" "$TMP/nokey.ak" "$TMP/ali.sk")
check "auth v2: an unknown key is 404 InvalidAccessKeyId.NotFound" eval 'status_is "$r" 404 && has "$r" InvalidAccessKeyId.NotFound'
signed alibaba-v3 "$A/?$EH&ClusterId=ehpc-a" "$TMP/ali.ak" "$TMP/ali.sk" >"$TMP/out"
r=$(cat "$TMP/out")
check "auth v3: a good signature is accepted" eval 'status_is "$r" 200 && has "$r" "\"TaskId\":\"EA\""'
r=$(curl -sS -m 5 -i "${SIGNED_H[@]}" "$SIGNED_URL")
check "auth v3: a replayed nonce is 400 SignatureNonceUsed" eval 'status_is "$r" 400 && has "$r" SignatureNonceUsed'
r=$(signed alibaba-v3 "$A/?$EH&ClusterId=ehpc-a" "$TMP/ali.ak" "$TMP/bad.sk")
check "auth v3: a bad signature is 403 SignatureDoesNotMatch" eval 'status_is "$r" 403 && has "$r" "\"Code\":\"SignatureDoesNotMatch\"" && has "$r" "ACS3-HMAC-SHA256"'
r=$(curl -sS -m 5 "$A/_sim/requests")
check "auth failures are counted by code" test "$(jget "$r" '.auth_fail | [."APIG.0301", ."IAM.0101", .SignatureNonceUsed, .SignatureDoesNotMatch, ."InvalidTimeStamp.Expired", .MissingAccessKeyId, ."InvalidAccessKeyId.NotFound"]')" = '[7,1,2,2,1,1,1]'
check "no secret in the simulator's output" eval '! grep -qE "hw-secret-key-1|pw-alice-1|ali-secret-1" "$TMP/auth.log"'
stop_extra "auth simulator" "$AUTH_PID"

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
printf 'dws:\n  clusters:\n    - id: c1\n      actions:\n        - { name: NAPPING }\n' >"$TMP/bad4.yaml"
out=$("$SIMBIN" --scenario "$TMP/bad4.yaml" 2>&1); rc=$?
check "bad DWS action name: exit 78 with FILE:LINE:COL" eval '[ $rc -eq 78 ] && grep -q "^$TMP/bad4.yaml:5:[0-9]*: name \"NAPPING\" is not a DWS action" <<<"$out"'
printf 'ehpc:\n  clusters:\n    - id: c1\n      tasks:\n        - { name: AddComputes, instance_id: x }\n' >"$TMP/bad5.yaml"
out=$("$SIMBIN" --scenario "$TMP/bad5.yaml" 2>&1); rc=$?
check "instance_id in a cluster's task: exit 78" eval '[ $rc -eq 78 ] && has "$out" "unknown key \"instance_id\" in a task"'
printf 'gaussdb:\n  tasks:\n    - { name: X, step: Y }\n' >"$TMP/bad6.yaml"
out=$("$SIMBIN" --scenario "$TMP/bad6.yaml" 2>&1); rc=$?
check "a DWS key in a GaussDB task: exit 78" eval '[ $rc -eq 78 ] && has "$out" "unknown key \"step\""'
printf 'accounts:\n  - { name: a, cloud: alibaba, auth: aksk, access_key_id: k, access_key_secret: s }\n' >"$TMP/bad7.yaml"
out=$("$SIMBIN" --scenario "$TMP/bad7.yaml" 2>&1); rc=$?
check "an Alibaba account with auth aksk: exit 78" eval '[ $rc -eq 78 ] && has "$out" "auth: \"aksk\""'
printf 'accounts:\n  - { name: a, auth: token }\n' >"$TMP/bad8.yaml"
out=$("$SIMBIN" --scenario "$TMP/bad8.yaml" 2>&1); rc=$?
check "auth token without user and password: exit 78" eval '[ $rc -eq 78 ] && has "$out" "auth token needs user and password"'
printf 'ehpc:\n  tasks_shape: list\n' >"$TMP/bad9.yaml"
out=$("$SIMBIN" --scenario "$TMP/bad9.yaml" 2>&1); rc=$?
check "bad tasks_shape: exit 78" eval '[ $rc -eq 78 ] && has "$out" "tasks_shape must be array or wrapped"'
demo_loads() { "$SIMBIN" --scenario "$TOP/conf/demo/scenario.yaml" --exit-after 10ms >/dev/null; }
check "conf/demo/scenario.yaml loads" demo_loads

# --- SIGTERM.
kill -TERM "$SIM_PID"
wait "$SIM_PID"
rc=$?
SIM_PID=
check "SIGTERM exits 0" test "$rc" -eq 0
finish
