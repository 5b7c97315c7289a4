#!/usr/bin/env bash
# taskwatchctl sign reproduces the published vectors of signing.md from
# the command line (H1 Huawei, A1 Alibaba V2, A2 Alibaba V3), reads secrets
# only from mode-checked files or the environment, and exits 64 on usage
# errors, 1 on unreadable secrets.
. "$(dirname "$0")/lib.sh"

CTL="$TOP/bin/taskwatchctl"
printf 'QTWAOYTTINDUT2QVKYUC\n' >"$TMP/h1.ak"
printf 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc\n' >"$TMP/h1.sk"
chmod 600 "$TMP/h1.ak" "$TMP/h1.sk"

# H1: the Huawei signing guide example.
out=$(timeout 10 "$CTL" sign huawei --method GET \
    --url 'https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0' \
    -H 'Content-Type: application/json' --date 20191115T033655Z \
    --key-file "$TMP/h1.ak" --secret-file "$TMP/h1.sk")
rc=$?
check "sign huawei H1 exits 0" test $rc -eq 0
check "sign huawei H1 Authorization" test "$(printf '%s\n' "$out" | grep '^Authorization: ')" = \
    'Authorization: SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe'
check "sign huawei H1 canonical request hash" test "$(printf '%s\n' "$out" | sed -n '/^--- string to sign ---$/,/^---/p' | sed -n 4p)" = \
    b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a
check "sign huawei H1 canonical URI has the trailing slash" \
    grep -qx '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/' <<<"$out"
# The same with an RFC 3339 date.
out2=$(timeout 10 "$CTL" sign huawei --method GET \
    --url 'https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0' \
    -H 'Content-Type: application/json' --date 2019-11-15T03:36:55Z \
    --key-file "$TMP/h1.ak" --secret-file "$TMP/h1.sk")
check "sign huawei accepts an RFC 3339 --date" test "$out" = "$out2"

# A1: Alibaba V2 (secrets from the environment).
out=$(AK=testid SK=testsecret timeout 10 "$CTL" sign alibaba-v2 --method GET \
    --url 'https://ecs.aliyuncs.com/?Action=DescribeRegions&Format=XML&Version=2014-05-26' \
    --date 2016-02-23T12:46:24Z --nonce 3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf \
    --key-env AK --secret-env SK)
rc=$?
check "sign alibaba-v2 A1 exits 0" test $rc -eq 0
check "sign alibaba-v2 A1 string to sign" grep -qxF \
    'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26' <<<"$out"
check "sign alibaba-v2 A1 signature" grep -qxF 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=' <<<"$out"
check "sign alibaba-v2 A1 signed URL" grep -qE '&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D$' <<<"$out"

# A2: Alibaba V3.
out=$(AK=YourAccessKeyId SK=YourAccessKeySecret timeout 10 "$CTL" sign alibaba-v3 --method POST \
    --url 'https://ecs.cn-shanghai.aliyuncs.com/?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai' \
    -H 'x-acs-action: RunInstances' -H 'x-acs-version: 2014-05-26' \
    --date 2023-10-26T10:22:32Z --nonce 3156853299f313e23d1673dc12e1703d \
    --key-env AK --secret-env SK)
rc=$?
check "sign alibaba-v3 A2 exits 0" test $rc -eq 0
check "sign alibaba-v3 A2 canonical request hash" grep -qx \
    7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259 <<<"$out"
check "sign alibaba-v3 A2 Authorization" test "$(printf '%s\n' "$out" | grep '^Authorization: ')" = \
    'Authorization: ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0'

# Without --nonce two runs differ; secrets never appear in the output.
a=$(AK=id SK=s3cr3t-value timeout 10 "$CTL" sign alibaba-v2 --url 'https://h/?Action=X' --key-env AK --secret-env SK)
b=$(AK=id SK=s3cr3t-value timeout 10 "$CTL" sign alibaba-v2 --url 'https://h/?Action=X' --key-env AK --secret-env SK)
check "sign without --nonce uses a fresh nonce" test "$a" != "$b"
check "sign never prints the secret" test "$(printf '%s\n%s\n' "$a" "$out" | grep -c -e s3cr3t-value -e YourAccessKeySecret -e MFyfvK41)" -eq 0

# Errors: a readable-by-others secret file, usage.
chmod 644 "$TMP/h1.sk"
timeout 10 "$CTL" sign huawei --url https://h/ --key-file "$TMP/h1.ak" --secret-file "$TMP/h1.sk" >/dev/null 2>"$TMP/err"
rc=$?
check "sign refuses a group/world-readable secret file (exit 1)" test $rc -eq 1
check "sign says how to fix the mode" grep -q 'chmod 600' "$TMP/err"
check "sign error never holds the secret" test "$(grep -c MFyfvK41 "$TMP/err")" -eq 0
timeout 10 "$CTL" sign huawei --url https://h/ --key-file "$TMP/h1.ak" >/dev/null 2>&1
check "sign without a secret exits 64" test $? -eq 64
timeout 10 "$CTL" sign md5 --url https://h/ >/dev/null 2>&1
check "sign with an unknown scheme exits 64" test $? -eq 64
timeout 10 "$CTL" sign huawei --url https://h/ --key-env A --secret-env B --date yesterday >/dev/null 2>&1
check "sign with a bad --date exits 64" test $? -eq 64
finish
