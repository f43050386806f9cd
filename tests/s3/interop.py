#!/usr/bin/env python3
"""Interop of kvps's s3 backend with boto3, a client no one here wrote.

    interop.py HELPER URL

HELPER is the built tests/s3/interop_helper.c; URL is a store URL as tests/s3/servers.sh
prints (s3://BUCKET?endpoint=...&access_key_id=...). boto3 reads what kvps wrote and kvps reads
(and lists) what boto3 wrote, for keys with every character SigV4 encodes specially; and each
sees the content type and user metadata (Content-Type, x-amz-meta-*) the other wrote, also
through kvps's server-side copy. Everything lives under a prefix unique to the run and is
deleted at the end.
"""
import os
import subprocess
import sys
import time
import urllib.parse

import boto3
from botocore.config import Config

KEYS = [
    "plain",
    "space in key",
    "plus+plus",
    "percent%25and%",
    "tilde~",
    "star*",
    "quote'",
    "unicode-\u00e9\u65e5\u672c\U0001f389",
    "slash/in/key",
    "all + % ~ * ' \u00e9/end",
]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    helper, url = sys.argv[1], sys.argv[2]
    parsed = urllib.parse.urlsplit(url)
    options = dict(urllib.parse.parse_qsl(parsed.query))
    bucket = parsed.hostname
    prefix = "kvps-interop-%d-%d" % (os.getpid(), time.time())
    # The same store, seen by kvps under the prefix.
    store_url = "s3://%s/%s?%s" % (bucket, prefix, parsed.query)
    s3 = boto3.client(
        "s3",
        endpoint_url=options["endpoint"],
        region_name=options.get("region", "us-east-1"),
        aws_access_key_id=options["access_key_id"],
        aws_secret_access_key=options["secret_access_key"],
        config=Config(s3={"addressing_style": "path"}),
    )

    def kvps(command, key, data=None, *more):
        return subprocess.run([helper, store_url, command, key, *more], input=data,
                              capture_output=True, check=False)

    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAILED: " + what)

    for key in KEYS:
        value = ("kvps wrote %r" % key).encode()
        r = kvps("put", "kvps/" + key, value)
        check(r.returncode == 0, "kvps put %r: %s" % (key, r.stderr.decode()))
        try:
            body = s3.get_object(Bucket=bucket, Key=prefix + "/kvps/" + key)["Body"].read()
            check(body == value, "boto3 read %r for kvps's %r" % (body, key))
        except Exception as e:  # noqa: BLE001 - any boto3 failure is a failed check
            check(False, "boto3 get of kvps's %r: %s" % (key, e))

        value = ("boto3 wrote %r" % key).encode()
        s3.put_object(Bucket=bucket, Key=prefix + "/boto/" + key, Body=value)
        r = kvps("get", "boto/" + key)
        check(r.returncode == 0 and r.stdout == value,
              "kvps get of boto3's %r: rc %d, %r %s" % (key, r.returncode, r.stdout, r.stderr.decode()))

    # Listings agree both ways.
    r = kvps("list", "boto/")
    listed = r.stdout.decode().splitlines() if r.returncode == 0 else []
    check(sorted(listed) == sorted("boto/" + k for k in KEYS),
          "kvps lists boto3's keys as %r" % listed)
    seen = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/kvps/"):
        seen += [o["Key"][len(prefix) + 1:] for o in page.get("Contents", [])]
    check(sorted(seen) == sorted("kvps/" + k for k in KEYS), "boto3 lists kvps's keys as %r" % seen)

    # Content type and user metadata, both ways (names case-insensitive: lower case on read).
    meta = {"owner": "ops-team", "build": "1234"}
    r = kvps("put", "props/by-kvps", b"a,b\n", "text/csv", "Owner=ops-team", "build=1234")
    check(r.returncode == 0, "kvps put with properties: %s" % r.stderr.decode())
    r = kvps("copy", "props/by-kvps", None, "props/kvps-copy")
    check(r.returncode == 0, "kvps copy: %s" % r.stderr.decode())
    for key in ("props/by-kvps", "props/kvps-copy"):
        try:
            head = s3.head_object(Bucket=bucket, Key=prefix + "/" + key)
            check(head["ContentType"] == "text/csv", "boto3 sees %r's content type as %r"
                  % (key, head["ContentType"]))
            user = {k: v for k, v in head["Metadata"].items() if not k.startswith("kvps-")}
            check(user == meta, "boto3 sees %r's metadata as %r" % (key, head["Metadata"]))
        except Exception as e:  # noqa: BLE001 - any boto3 failure is a failed check
            check(False, "boto3 head of kvps's %r: %s" % (key, e))
    s3.put_object(Bucket=bucket, Key=prefix + "/props/by-boto", Body=b"{}",
                  ContentType="application/json", Metadata={"Color": "blue", "size-class": "s"})
    r = kvps("stat", "props/by-boto")
    check(r.returncode == 0 and r.stdout.decode().splitlines() ==
          ["content-type: application/json", "meta: color=blue", "meta: size-class=s"],
          "kvps stat of boto3's properties: rc %d, %r %s" % (r.returncode, r.stdout, r.stderr.decode()))
    r = kvps("copy", "props/by-boto", None, "props/boto-copy")
    check(r.returncode == 0, "kvps copy of boto3's object: %s" % r.stderr.decode())
    try:
        head = s3.head_object(Bucket=bucket, Key=prefix + "/props/boto-copy")
        check(head["ContentType"] == "application/json" and
              head["Metadata"] == {"color": "blue", "size-class": "s"},
              "boto3 sees kvps's copy of its object as %r %r" % (head["ContentType"], head["Metadata"]))
    except Exception as e:  # noqa: BLE001 - any boto3 failure is a failed check
        check(False, "boto3 head of kvps's copy: %s" % e)

    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for o in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=o["Key"])

    print("interop %s: %d passed, %d failed" % (options["endpoint"], passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
