#!/usr/bin/env bash
# The hostile-input suite: every case is served to one watch (its own
# simulator, account and endpoint) while other watches keep polling.  For
# each case: the daemon stays up, watch_failed carries the expected class,
# the failure is logged once and then only at powers of two, no task
# vanishes, a healthy watch on the same simulator and the control watches
# keep their rhythm, and the watch recovers once the fault is cleared.
# Cases run in three batches, each with its own daemon; cases of a batch
# run at the same time.  A fourth batch runs four cases again with the
# daemon under valgrind.  TW_HOSTILE_CASES="id id ..." runs only those.
. "$(dirname "$0")/lib.sh"

PROJECT=0549b4a43100d4f32f51c01c2fe4acdb
CL=9f76c502-fc9c-4a52-8656-65d0da6e3d57 # DWS cluster in every simulator
HPC=ehpc-hz-hostile                      # E-HPC cluster in every simulator
CASE_MS=200                              # interval of the hostile watches
PEER_MS=500                              # interval of the healthy watches
WINDOW=$((10 * SLOW))                    # seconds a fault is served
# DNS failure: a 64-byte label.  glibc refuses it before any query is sent,
# so no DNS traffic leaves the machine (a plain x.invalid is sent to the
# configured nameserver).
LONG=$(printf 'a%.0s' $(seq 1 64))
TID=5e1ad8c2-0000-4000-8000-00000000f00d # the task each case starts with

declare -A XPID XURL LIVE # LIVE: the pids of the servers still running
hostile_cleanup() {
	local p
	for p in "${!LIVE[@]}"; do kill -TERM "$p" 2>/dev/null; done
}
trap 'hostile_cleanup; cleanup' EXIT
# stop_pid PID: stop a server started here, by its pid.
stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	unset "LIVE[$1]"
}

# xsim_start NAME: start a simulator in the background (see xsim_wait).
xsim_start() {
	rm -f "$TMP/$1.port"
	"$TOP/bin/taskwatch-sim" --port 0 --port-file "$TMP/$1.port" \
	    --exit-after 300s >"$TMP/$1.log" 2>&1 &
	XPID[$1]=$!
	LIVE[$!]=1
}
# xsim_wait NAME: wait for its port; sets XURL[NAME].
xsim_wait() {
	wait_for 5 test -s "$TMP/$1.port" || { echo "simulator $1 did not start"; exit 1; }
	XURL[$1]="http://127.0.0.1:$(cat "$TMP/$1.port")"
}
# xsim_stop NAME: stop it by its pid.
xsim_stop() { stop_pid "${XPID[$1]}"; }
# xs NAME METHOD PATH [JSON]: the control API of simulator NAME.
xs() {
	local url=${XURL[$1]}; shift
	if [ $# -ge 3 ]; then
		curl -sS -m 5 -X "$1" -H 'Content-Type: application/json' \
		    --data-binary "$3" "$url$2"
	else
		curl -sS -m 5 -X "$1" "$url$2"
	fi
}
# xcount NAME ENDPOINT: requests simulator NAME served for ENDPOINT.
xcount() { xs "$1" GET /_sim/requests | jq -r ".by_endpoint[\"$2\"] // 0"; }
# events JQ: the events of the current batch matching a jq condition.
events() { xs ctl GET /_sink/hook | jq -c ".[] | .body | fromjson | select($1)"; }
nevents() { events "$1" | wc -l; }

# The endpoint name the simulator counts for an API, and its service key.
ep_of() {
	case $1 in
	dds.jobs) echo dds.jobs ;; gaussdb.tasks) echo gaussdb.tasks ;;
	dws.actions) echo dws.actions ;; dws.logical_tasks) echo dws.logical ;;
	ehpc.tasks) echo ehpc.ListTasks ;;
	esac
}
svc_of() { case $1 in dds.*) echo dds ;; gaussdb.*) echo gaussdb ;; dws.*) echo dws ;; ehpc.*) echo ehpc ;; esac; }

# The cases.  hcase ID API CLASS DESCRIPTION FAULT [key=value ...]:
#   CLASS   the expected watch_failed class, or "none" (no watch_failed)
#   FAULT   the fault added to the case's simulator, "" for none
#   url=U   the endpoint (no simulator: refused, DNS, TLS, redirect)
#   timeout=D   the watch's timeout (default 2s)
#   recover=0   do not expect recovery after the fault is cleared
declare -A C_API C_CLASS C_DESC C_FAULT C_URL C_TIMEOUT C_RECOVER
hcase() {
	local id=$1 kv
	C_API[$id]=$2 C_CLASS[$id]=$3 C_DESC[$id]=$4 C_FAULT[$id]=$5
	C_URL[$id]="" C_TIMEOUT[$id]=2s C_RECOVER[$id]=1
	shift 5
	for kv in "$@"; do
		case $kv in
		url=*) C_URL[$id]=${kv#url=} ;;
		timeout=*) C_TIMEOUT[$id]=${kv#timeout=} ;;
		recover=*) C_RECOVER[$id]=${kv#recover=} ;;
		esac
	done
}
# fault ENDPOINT MODE-OR-STATUS [JSON-MEMBERS]: a fault document.
fault() { echo "{\"endpoint\":\"$1\",$2${3:+,$3}}"; }
# body ENDPOINT TEXT: a 200 that serves TEXT verbatim.
body() { jq -cn --arg e "$1" --arg b "$2" '{endpoint:$e,status:200,body:$b}'; }

# Bodies: every field of the right name with the wrong type, fields
# missing, numbers out of every range.
WRONG_TOP='{"jobs":{"id":"x"},"total_count":"many"}'
WRONG_ROWS='{"tasks":[{"instance_info":"g","job_id":7,"name":[],"status":{},"process":true,"fail_reason":1,"created_at":[],"ended_at":{}}],"total_count":1}'
WRONG_LC='{"logical_cluster_tasks":[{"type":5,"logical_cluster_name":[],"start_time":{},"end_time":true,"result":1,"log":[]}],"count":1}'
MISSING='{"total_count":1}'
MISSING_ROWS='{"Tasks":[{"Status":"Processing"},{}],"TotalCount":2,"PageNumber":1,"PageSize":10}'
HUGE_TOTAL='{"jobs":[],"total_count":1e400}'
HUGE_PAGES='{"jobs":[{"id":"'$TID'","name":"RestartInstance","status":"Running","created_at":"2022-09-05T06:24:14+0000","ended_at":"","progress":"10%","instance_id":"d-1","instance_name":"dds-1","fail_reason":""}],"total_count":9223372036854775807}'
HUGE_FIELDS='{"tasks":[{"instance_info":{"instance_id":"g-1","instance_name":"gauss-1","instance_status":"normal"},"job_id":"'$TID'","name":"BackupSnapshotGaussDBV5InInstance","status":"Running","process":"-99999999999999999999","fail_reason":null,"created_at":-9223372036854775808,"ended_at":1e308}],"total_count":1}'
NEG_TOTAL='{"tasks":[],"total_count":-5}'

hcase malformed dds.jobs parse "malformed JSON" "$(fault dds.jobs '"mode":"malformed"')"
hcase truncated gaussdb.tasks parse "truncated body" "$(fault gaussdb.tasks '"mode":"truncated"')"
hcase oversized dws.logical_tasks parse "body over max_response_bytes" "$(fault dws.logical '"mode":"oversized","bytes":4194304')"
hcase deep dds.jobs parse "1,000,000-deep nesting" "$(fault dds.jobs '"mode":"deep","depth":1000000')"
hcase utf8 gaussdb.tasks parse "invalid UTF-8 in strings" "$(fault gaussdb.tasks '"mode":"utf8"')"
hcase wrongtop dds.jobs parse "wrong JSON types (listing)" "$(body dds.jobs "$WRONG_TOP")"
hcase wrongrows gaussdb.tasks none "wrong JSON types (every task field)" "$(body gaussdb.tasks "$WRONG_ROWS")"
hcase wronglc dws.logical_tasks parse "wrong JSON types (DWS logical task fields)" "$(body dws.logical "$WRONG_LC")"
hcase missing dds.jobs parse "missing fields" "$(body dds.jobs "$MISSING")"
# The SDK marks the jobs/tasks arrays optional: left out with no rows
# announced, a listing is empty, not broken (total_count 1 above is).
hcase noarray dds.jobs none "no jobs array, no total_count (an empty list left out)" "$(body dds.jobs '{}')"
hcase noarray0 gaussdb.tasks none "no tasks array, total_count 0 (an empty list left out)" "$(body gaussdb.tasks '{"total_count":0}')"
hcase missingrows ehpc.tasks none "missing task fields" "$(body ehpc.ListTasks "$MISSING_ROWS")"
hcase huge dds.jobs parse "huge numbers (total_count 1e400)" "$(body dds.jobs "$HUGE_TOTAL")"
hcase hugepages dds.jobs parse "a total that never ends (2^63-1, the same page every time)" "$(body dds.jobs "$HUGE_PAGES")"
hcase negative gaussdb.tasks parse "negative numbers (total_count -5)" "$(body gaussdb.tasks "$NEG_TOTAL")"
hcase hugefields gaussdb.tasks none "huge and negative numbers in task fields" "$(body gaussdb.tasks "$HUGE_FIELDS")"
hcase empty dds.jobs parse "empty 200" "$(fault dds.jobs '"mode":"empty"')"
hcase emptydws dws.actions parse "empty 200 (DWS action)" "$(fault dws.actions '"mode":"empty"')"
hcase html gaussdb.tasks parse "HTML error page with 200" "$(fault gaussdb.tasks '"mode":"html"')"

hcase s500 dds.jobs http "HTTP 500" "$(fault dds.jobs '"status":500')"
hcase s502 gaussdb.tasks http "HTTP 502" "$(fault gaussdb.tasks '"status":502')"
hcase s503 dws.logical_tasks http "HTTP 503" "$(fault dws.logical '"status":503')"
hcase r429 dds.jobs throttled "429 with Retry-After" "$(fault dds.jobs '"status":429,"retry_after":2')"
hcase n429 gaussdb.tasks throttled "429 without Retry-After" \
    "$(fault gaussdb.tasks '"status":429,"body":"{\"error_code\":\"APIG.0308\",\"error_msg\":\"The throttling threshold has been reached\"}"')"
hcase ali400 ehpc.tasks throttled "Alibaba 400 Throttling" "$(fault ehpc.ListTasks '"status":429')"
hcase ali407 ehpc.tasks auth "407 NotAuthorized" "$(fault ehpc.ListTasks '"status":407')" recover=0
hcase dws403 dws.actions http "DWS 403 DWS.0015" "$(fault dws.actions '"status":403')"
hcase dws404 dws.actions none "404 on a DWS action (7 of the 8 actions are absent)" ""

hcase trickle dds.jobs network "1 byte per second trickle" "$(fault dds.jobs '"mode":"trickle","interval_ms":1000')" timeout=1s
hcase reset gaussdb.tasks network "connection reset mid-body" "$(fault gaussdb.tasks '"mode":"reset"')"
hcase refused dds.jobs network "connection refused" "" url=REFUSED recover=0
hcase dns gaussdb.tasks network "DNS failure" "" "url=http://$LONG.invalid" timeout=1s recover=0
hcase tls dds.jobs network "TLS to an untrusted certificate" "" url=TLS recover=0
hcase redirect gaussdb.tasks http "redirect loop" "" url=REDIRECT recover=0

BATCH_A="malformed truncated oversized utf8 wrongtop wrongrows wronglc missing noarray noarray0 missingrows huge hugepages negative hugefields empty emptydws html"
# Batch A runs with max_response_bytes: 64KiB, the others with the default
# 8MiB, which the 2 MB of 1,000,000-deep nesting fit.
BATCH_B="deep s500 s502 s503 r429 n429 ali400 ali407 dws403 dws404"
BATCH_C="trickle reset refused dns tls redirect"

# Servers for the cases that need no simulator.  These set *_PID and
# *_URL (not run in a subshell, so that the pids are known here).
REDIRECT_PID="" TLS_PID="" REDIRECT_URL="" TLS_URL="" CLOSED_URL=""
start_redirect() {
	command -v python3 >/dev/null || return 1
	python3 - "$TMP/redirect.port" "$TMP/redirect.log" <<'PY' >/dev/null 2>&1 &
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[2], "a") as f:
            f.write(self.path + "\n")
        self.send_response(302)
        self.send_header("Location", "http://127.0.0.1:%d/followed%s" % (self.server.server_port, self.path))
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.server_port)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
	REDIRECT_PID=$!
	LIVE[$!]=1
	wait_for 5 test -s "$TMP/redirect.port" || return 1
	: >>"$TMP/redirect.log"
	REDIRECT_URL="http://127.0.0.1:$(cat "$TMP/redirect.port")"
}
start_tls() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$TMP/tls.key" -out "$TMP/tls.crt" -days 1 \
	    -subj /CN=127.0.0.1 >/dev/null 2>&1 || return 1
	openssl s_server -accept 127.0.0.1:0 -cert "$TMP/tls.crt" \
	    -key "$TMP/tls.key" -www >"$TMP/tls.log" 2>&1 </dev/null &
	TLS_PID=$!
	LIVE[$!]=1
	wait_for 5 grep -q '^ACCEPT' "$TMP/tls.log" || return 1
	TLS_URL="https://127.0.0.1:$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$TMP/tls.log")"
}
# A port nobody listens on: a simulator's, once it has stopped.
closed_port() {
	xsim_start closed
	xsim_wait closed
	xsim_stop closed
	CLOSED_URL=${XURL[closed]}
}

# seed_case ID: declare the clusters and create one running task the
# case's watch sees before its fault.
seed_case() {
	local s=s-$1 api=${C_API[$1]}
	xs "$s" POST /_sim/clusters "{\"kind\":\"dws\",\"id\":\"$CL\",\"name\":\"dws-$1\"}" >/dev/null
	xs "$s" POST /_sim/clusters "{\"kind\":\"ehpc\",\"id\":\"$HPC\",\"name\":\"hpc-$1\",\"region\":\"cn-hangzhou\"}" >/dev/null
	case $api in
	dds.jobs) xs "$s" POST /_sim/tasks '{"service":"dds","id":"'$TID'","name":"RestartInstance","instance_id":"d-1","instance_name":"dds-1","status":"Running","progress":10}' ;;
	gaussdb.tasks) xs "$s" POST /_sim/tasks '{"service":"gaussdb","id":"'$TID'","name":"BackupSnapshotGaussDBV5InInstance","instance_id":"g-1","instance_name":"gauss-1","status":"Running","progress":10}' ;;
	dws.actions) xs "$s" POST /_sim/tasks "{\"service\":\"dws.actions\",\"id\":\"$TID\",\"instance_id\":\"$CL\",\"name\":\"SNAPSHOTTING\",\"status\":\"RUNNING\",\"progress\":20}" ;;
	dws.logical_tasks) xs "$s" POST /_sim/tasks "{\"service\":\"dws.logical\",\"id\":\"$TID\",\"instance_id\":\"$CL\",\"name\":\"Expand\",\"logical_cluster\":\"lc_sales\"}" ;;
	ehpc.tasks) xs "$s" POST /_sim/tasks "{\"service\":\"ehpc\",\"id\":\"$TID\",\"instance_id\":\"$HPC\",\"name\":\"AddComputes\",\"status\":\"Processing\",\"total_steps\":10,\"current_step\":3}" ;;
	esac >/dev/null
}

# account NAME API URL: an account block for one endpoint.
account() {
	if [ "$(svc_of "$2")" = ehpc ]; then
		printf '  - { name: %s, cloud: alibaba, region: cn-hangzhou, endpoints: { ehpc: %s } }\n' "$1" "$3"
	else
		printf '  - { name: %s, cloud: huawei, region: cn-north-4, project_id: %s, endpoints: { %s: %s } }\n' \
		    "$1" "$PROJECT" "$(svc_of "$2")" "$3"
	fi
}
# watch NAME ACCOUNT API INTERVAL TIMEOUT: a watch block.
watch() {
	local extra=
	case $3 in
	dds.jobs | gaussdb.tasks) extra=", lookback: 1d" ;;
	dws.*) extra=", clusters: [$CL]" ;;
	ehpc.tasks) extra=", clusters: [$HPC]" ;;
	esac
	printf '  - { name: %s, account: %s, api: %s, interval: %s, timeout: %s, fail_after: 2, stall_after: 0s%s }\n' \
	    "$1" "$2" "$3" "$4" "$5" "$extra"
}
# The healthy watch beside a case, on the same simulator.
peer_api() { if [ "${C_API[$1]}" = dds.jobs ]; then echo gaussdb.tasks; else echo dds.jobs; fi; }
has_sim() { [ -z "${C_URL[$1]}" ]; }

# within N EXPECTED: N is within 30% of EXPECTED.
within() { [ $(( $1 * 10 )) -ge $(( $2 * 7 )) ] && [ $(( $1 * 10 )) -le $(( $2 * 13 )) ]; }
# log2 N: floor of the base-2 logarithm (0 for 0 and 1).
log2() { local n=$1 r=0; while [ "$n" -gt 1 ]; do n=$((n / 2)); r=$((r + 1)); done; echo $r; }

# run_batch NAME ID...: one daemon, every case of the batch at once.
run_batch() {
	local batch=$1; shift
	local ids=() id url t0 t1 ms expect n limit polls first sum=0
	local -A BASE0 PEER0 BASE1 PEER1 URL
	for id in "$@"; do
		case " ${TW_HOSTILE_CASES:-$*} " in *" $id "*) ids+=("$id") ;; esac
	done
	[ ${#ids[@]} -gt 0 ] || return 0
	local tb=$(now_ms)
	xsim_start ctl
	for id in "${ids[@]}"; do has_sim "$id" && xsim_start "s-$id"; done
	xsim_wait ctl
	xs ctl POST /_sim/clusters "{\"kind\":\"ehpc\",\"id\":\"$HPC\",\"name\":\"hpc-ctl\",\"region\":\"cn-hangzhou\"}" >/dev/null
	for id in "${ids[@]}"; do
		if has_sim "$id"; then
			xsim_wait "s-$id"
			seed_case "$id"
			URL[$id]=${XURL[s-$id]}
		else
			URL[$id]=
			case ${C_URL[$id]} in
			REFUSED) closed_port && URL[$id]=$CLOSED_URL ;;
			TLS) start_tls && URL[$id]=$TLS_URL ;;
			REDIRECT) start_redirect && URL[$id]=$REDIRECT_URL ;;
			*) URL[$id]=${C_URL[$id]} ;;
			esac
		fi
	done
	{
		echo "daemon: { state_dir: $TMP/state-$batch, listen: \"\", shutdown_timeout: 5s${MAXBYTES[$batch]:+, max_response_bytes: ${MAXBYTES[$batch]}} }"
		echo "accounts:"
		account c-dds dds.jobs "${XURL[ctl]}"
		account c-gauss gaussdb.tasks "${XURL[ctl]}"
		account c-hpc ehpc.tasks "${XURL[ctl]}"
		for id in "${ids[@]}"; do
			[ -n "${URL[$id]}" ] || continue
			account "a-$id" "${C_API[$id]}" "${URL[$id]}"
			has_sim "$id" && account "b-$id" "$(peer_api "$id")" "${URL[$id]}"
		done
		echo "watches:"
		watch c-dds c-dds dds.jobs ${PEER_MS}ms 2s
		watch c-gauss c-gauss gaussdb.tasks ${PEER_MS}ms 2s
		watch c-hpc c-hpc ehpc.tasks ${PEER_MS}ms 2s
		for id in "${ids[@]}"; do
			[ -n "${URL[$id]}" ] || continue
			watch "w-$id" "a-$id" "${C_API[$id]}" ${CASE_MS}ms "${C_TIMEOUT[$id]}"
			has_sim "$id" && watch "p-$id" "b-$id" "$(peer_api "$id")" ${PEER_MS}ms 2s
		done
		echo "notifiers:"
		echo "  - { name: hook, type: webhook, url: ${XURL[ctl]}/_sink/hook, retry: { initial: 100ms, max: 1s, give_up_after: 10m } }"
	} >"$TMP/$batch.yaml"
	mkdir -p "$TMP/state-$batch"
	start_daemon "$TMP/$batch.yaml"
	# Debug logging off (-d turns it on) as soon as the signal handlers
	# are in place, so that the log holds what an operator sees.
	for n in $(seq 1 $((500 * SLOW))); do
		grep -q ' started: ' "$TMP/daemon.log" && break
		sleep 0.01
	done
	kill -USR2 "$DAEMON_PID"
	wait_for 5 grep -q 'debug logging off' "$TMP/daemon.log"
	# Every case's task is in its watch's baseline, saved, before the fault.
	for id in "${ids[@]}"; do
		has_sim "$id" || continue
		wait_for 10 grep -q "watch w-$id: baseline of 1 tasks" "$TMP/daemon.log" ||
		    notok "hostile: ${C_DESC[$id]}: baseline with its task"
		wait_for 10 grep -q "watch w-$id: baseline saved" "$TMP/daemon.log" ||
		    notok "hostile: ${C_DESC[$id]}: baseline saved"
	done
	# Counters are read in the same order at both ends of the window, so
	# each one covers t1 - t0.
	t0=$(now_ms)
	local cd0=$(xcount ctl dds.jobs) cg0=$(xcount ctl gaussdb.tasks) ch0=$(xcount ctl ehpc.ListTasks)
	for id in "${ids[@]}"; do
		has_sim "$id" || continue
		BASE0[$id]=$(xcount "s-$id" "$(ep_of "${C_API[$id]}")")
		PEER0[$id]=$(xcount "s-$id" "$(ep_of "$(peer_api "$id")")")
	done
	for id in "${ids[@]}"; do
		has_sim "$id" && [ -n "${C_FAULT[$id]}" ] && xs "s-$id" POST /_sim/faults "${C_FAULT[$id]}" >/dev/null
	done
	sleep $(( WINDOW - ($(now_ms) - t0) / 1000 ))
	t1=$(now_ms)
	ms=$((t1 - t0))
	local cd1=$(xcount ctl dds.jobs) cg1=$(xcount ctl gaussdb.tasks) ch1=$(xcount ctl ehpc.ListTasks)
	for id in "${ids[@]}"; do
		has_sim "$id" || continue
		BASE1[$id]=$(xcount "s-$id" "$(ep_of "${C_API[$id]}")")
		PEER1[$id]=$(xcount "s-$id" "$(ep_of "$(peer_api "$id")")")
	done
	# What was logged up to now, less the baselines before the faults.
	head -c "$(stat -c %s "$TMP/daemon.log")" "$TMP/daemon.log" |
	    grep -v -e ': baseline of ' -e ': baseline saved$' >"$TMP/$batch.window.log"
	# The per-watch figures (polls failed) from the SIGUSR1 summary.
	local soff=$(stat -c %s "$TMP/daemon.log")
	kill -USR1 "$DAEMON_PID"
	wait_for 5 sh -c "tail -c +$((soff + 1)) '$TMP/daemon.log' | grep -q 'watch c-hpc: api='"
	tail -c +$((soff + 1)) "$TMP/daemon.log" >"$TMP/$batch.summary.log"

	expect=$((ms / PEER_MS))
	check "hostile: ${VG}batch $batch (${ids[*]}): daemon alive" daemon_alive
	check "hostile: ${VG}batch $batch: control watches keep their rhythm (dds $((cd1 - cd0)), gaussdb $((cg1 - cg0)), ehpc $((ch1 - ch0)) polls in $ms ms, expected $expect +-30%)" \
	    eval 'within $((cd1 - cd0)) $expect && within $((cg1 - cg0)) $expect && within $((ch1 - ch0)) $expect'

	for id in "${ids[@]}"; do
		local d="hostile: $VG${C_DESC[$id]}"
		if [ -z "${URL[$id]}" ]; then
			ok "$d: # SKIP no server for it (python3 or openssl missing)"
			continue
		fi
		check "$d: daemon stays up" daemon_alive
		# Class of watch_failed, exactly one.
		local wf
		wf=$(events ".event==\"watch_failed\" and .watch==\"w-$id\"" | jq -r '.error.class' | tr '\n' ' ')
		if [ "${C_CLASS[$id]}" = none ]; then
			check "$d: no watch_failed (got: ${wf:-none})" test -z "$wf"
		else
			check "$d: watch_failed class ${C_CLASS[$id]} (got: ${wf:-none})" test "$wf" = "${C_CLASS[$id]} "
		fi
		if [ "$id" = html ]; then
			# Named as a page, never quoted; the streak travels along.
			local wfe
			wfe=$(events ".event==\"watch_failed\" and .watch==\"w-$id\"" | head -n1)
			check "$d: the error names the HTML page" test \
			    "$(jq -r .error.message <<<"$wfe")" = "HTTP 200: got text/html — a proxy or login page?"
			check "$d: watch_failed carries since, consecutive_failures, last_success" \
			    jq -e '(.since | test("Z$")) and .consecutive_failures == 2 and (.last_success | test("Z$"))' <<<"$wfe"
			check "$d: the transition to watch_failed is logged with its error" \
			    grep -q "watch w-$id: poll failed (parse): HTTP 200: got text/html — a proxy or login page?; watch_failed after 2 failed polls" "$TMP/daemon.log"
		fi
		check "$d: no vanished" test "$(nevents ".event==\"vanished\" and .watch==\"w-$id\"")" -eq 0
		# Log: one clear line, then only at powers of two.
		polls=$(sed -n "s/^.*: watch w-$id: .* polls_failed=\([0-9]*\) .*/\1/p" "$TMP/$batch.summary.log")
		polls=${polls:-0}
		n=$(grep -c -e "watch w-$id: " -e "account a-$id: " "$TMP/$batch.window.log")
		if [ "${C_CLASS[$id]}" = none ]; then
			polls=$((BASE1[$id] - BASE0[$id]))
			limit=$((1 + $(log2 "$polls")))
			check "$d: log rate-limited ($n lines for $polls requests, at most $limit)" \
			    test "$n" -le "$limit"
			sum=$((sum + limit))
		else
			limit=$((1 + $(log2 "$polls")))
			# Throttling and auth failures also say once that the
			# account is paused.
			case ${C_CLASS[$id]} in throttled | auth) limit=$((limit + 1)) ;; esac
			first=$(grep -m1 "watch w-$id: poll failed" "$TMP/$batch.window.log")
			check "$d: one clear line: ${first:0:160}" test -n "$first"
			check "$d: log rate-limited ($n lines for $polls failed polls, at most $limit)" \
			    test "$n" -ge 1 -a "$n" -le "$limit"
			sum=$((sum + limit))
		fi
		if has_sim "$id"; then
			local p=$((PEER1[$id] - PEER0[$id]))
			check "$d: healthy watch on the same simulator keeps its rhythm ($p polls in $ms ms, expected $expect +-30%)" \
			    within "$p" "$expect"
		fi
	done
	# Nothing else floods the log either (lines that name no watch).
	n=$(sed -n '/debug logging off/,$p' "$TMP/$batch.window.log" | tail -n +2 | wc -l)
	check "hostile: ${VG}batch $batch: $n log lines in all while the faults were served, at most $sum" \
	    test "$n" -le "$sum"
	case_checks_extra "${ids[@]}"

	# Clear the faults: the watches that can, recover.
	for id in "${ids[@]}"; do has_sim "$id" && xs "s-$id" DELETE /_sim/faults >/dev/null; done
	for id in "${ids[@]}"; do
		[ -n "${URL[$id]}" ] && [ "${C_CLASS[$id]}" != none ] && [ "${C_RECOVER[$id]}" = 1 ] || continue
		recovered() { test "$(nevents ".event==\"watch_recovered\" and .watch==\"w-$id\"")" -ge 1; }
		wait_for 10 recovered
		check "hostile: $VG${C_DESC[$id]}: watch_recovered once the fault is cleared" recovered
		if [ "$id" = html ]; then
			check "hostile: $VG${C_DESC[$id]}: the recovery says how long the outage was" \
			    eval 'events ".event==\"watch_recovered\" and .watch==\"w-$id\"" | jq -r .summary | grep -Eq "^w-$id: polling recovered after [0-9]+ (s|min), [0-9]+ failed polls$"'
		fi
	done
	check "hostile: ${VG}batch $batch: no vanished event at all" test "$(nevents '.event=="vanished"')" -eq 0
	check "hostile: ${VG}batch $batch: control watches never failed" test "$(nevents '.event=="watch_failed" and (.watch|startswith("c-") or startswith("p-"))')" -eq 0
	stop_daemon
	check "hostile: ${VG}batch $batch: SIGTERM exits 0 (got $DAEMON_RC${VG:+; 99 is a valgrind error})" test "$DAEMON_RC" -eq 0
	if [ "$FAILS" -ne 0 ]; then
		echo "--- batch $batch: daemon log (tail)"; tail -n 40 "$TMP/daemon.log"
	fi
	cp "$TMP/daemon.log" "$TMP/$batch.daemon.log"
	xsim_stop ctl
	for id in "${ids[@]}"; do has_sim "$id" && xsim_stop "s-$id"; done
	stop_pid "$TLS_PID"
	stop_pid "$REDIRECT_PID"
	TLS_PID="" REDIRECT_PID=""
	echo "# hostile: ${VG}batch $batch took $(( ($(now_ms) - tb) / 1000 )) s"
}

# Checks that only some cases have.
case_checks_extra() {
	local id
	for id in "$@"; do
		case $id in
		redirect)
			[ -s "$TMP/redirect.log" ] || continue
			check "hostile: ${VG}redirect loop: the Location was never followed" \
			    test "$(grep -c '^/followed' "$TMP/redirect.log")" -eq 0 ;;
		hugepages)
			# a repeated page ends the poll: 2 requests a poll, not
			# the 10,000-page cap
			check "hostile: ${VG}a total that never ends: no request storm ($((BASE1[$id] - BASE0[$id])) requests in the window)" \
			    test "$((BASE1[$id] - BASE0[$id]))" -le 200 ;;
		dws404)
			check "hostile: ${VG}404 on a DWS action: the listing still polled every action" \
			    test "$((BASE1[$id] - BASE0[$id]))" -ge 80 ;;
		esac
	done
}

declare -A MAXBYTES=([A]=64KiB [V]=4MiB)
VG=
T0=$(now_ms)
run_batch A $BATCH_A
run_batch B $BATCH_B
run_batch C $BATCH_C
# A few cases once more with the daemon under valgrind (memory errors or
# leaks make it exit 99), unless the whole run is already under valgrind
# or built with the sanitizers.
if [ -n "${TW_VALGRIND:-}" ] || [ "${SANITIZE:-}" = 1 ] || ! command -v valgrind >/dev/null; then
	echo "# hostile: valgrind batch skipped"
else
	C_FAULT[oversized]=$(fault dws.logical '"mode":"oversized","bytes":8388608')
	SLOW0=$SLOW VG="valgrind: " SLOW=$((SLOW * 4)) TW_VALGRIND=1
	run_batch V deep oversized utf8 reset
	VG="" SLOW=$SLOW0 TW_VALGRIND=""
fi
echo "# hostile: $(( ($(now_ms) - T0) / 1000 )) s in all"
finish
