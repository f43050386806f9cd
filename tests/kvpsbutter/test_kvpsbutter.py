#!/usr/bin/env python3
"""kvps opens what KVPSButter opens: its encoded folder layout, its file URL rule, its option
names (with the kvps tool, as a user migrating would).

    python3 tests/kvpsbutter/test_kvpsbutter.py PATH/TO/kvps

The data set is made the way KVPSButter's KVPSEncoded class writes it (facts from its source,
KVPSButter/Filesystem/KVPSEncoded.cs): one file per key in one folder, the file name the
standard base64 (with '=' padding) of the key's UTF-8 bytes, the value the file's bytes.
With KVPS_TEST_S3_URL set (scripts/test.sh starts the servers), KVPSButter's S3 connection
string form is opened against the real server too.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

KVPS = ""

# Keys with every base64 ending (0, 1 and 2 '=' signs), '+' in the name, Unicode, spaces and
# slashes in the key (not in the name), and values of several sizes, empty included.
DATA = {
    "a": b"",
    "ab": b"x",
    "abc": bytes(range(256)) * 3,
    "~~~": b"plus in the name",
    "folder/key with spaces.txt": b"hello KVPSButter\n",
    "\u00e6\u00f8\u00e5/\u65e5\u672c": os.urandom(70000),
    "z": b"last",
}


def butter_name(key):
    return base64.b64encode(key.encode("utf-8")).decode("ascii")


def write_like_kvpsbutter(folder, data, mtime_base=1_600_000_000):
    """Writes data as KVPSButter's KVPSEncoded.WriteAsync does: File.OpenWrite(base64 name)."""
    os.makedirs(folder, exist_ok=True)
    for i, (key, value) in enumerate(sorted(data.items())):
        path = os.path.join(folder, butter_name(key))
        with open(path, "wb") as f:
            f.write(value)
        os.utime(path, (mtime_base + i, mtime_base + i))


class KvpsButterTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvps-butter-")
        self.env = {k: v for k, v in os.environ.items() if k not in ("KVPS_STORE", "XDG_DATA_HOME")}
        self.env["HOME"] = self.tmp

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def kvps(self, *args, rc=0, input=b"", cwd=None):
        done = subprocess.run([KVPS, *args], input=input, capture_output=True, env=self.env,
                              cwd=cwd or self.tmp, timeout=120)
        if rc is not None:
            self.assertEqual(done.returncode, rc, f"kvps {args}: {done.stderr.decode(errors='replace')}")
        return done

    def listing(self, store):
        out = self.kvps("--store", store, "ls", "-r", "--json").stdout.decode()
        return {e["key"]: e for e in map(json.loads, out.splitlines())}

    def test_reads_a_folder_written_by_kvpsbutter(self):
        old = os.path.join(self.tmp, "old")
        write_like_kvpsbutter(old, DATA)
        store = f"file://{old}?layout=kvpsbutter"
        entries = self.listing(store)
        self.assertEqual(list(entries), sorted(DATA, key=lambda k: k.encode()))  # byte order
        for i, key in enumerate(sorted(DATA)):
            self.assertEqual(entries[key]["size"], len(DATA[key]), key)
            self.assertEqual(self.kvps("--store", store, "get", key).stdout, DATA[key], key)
            stat = self.kvps("--store", store, "stat", key).stdout.decode()
            self.assertIn(f"size: {len(DATA[key])}", stat)
            self.assertIn(f"mtime: 2020-09-13T12:{26 + (40 + i) // 60:02d}:{(40 + i) % 60:02d}", stat)
        # Reading wrote nothing: no marker, no staging folder.
        self.assertEqual(sorted(os.listdir(old)), sorted(butter_name(k) for k in DATA))

    def test_writes_as_kvpsbutter_reads_them_atomically_and_without_a_marker(self):
        folder = os.path.join(self.tmp, "shared")
        write_like_kvpsbutter(folder, {"a": b"old"})
        store = f"file://{folder}?layout=kvpsbutter"
        self.kvps("--store", store, "put", "a", input=b"new value")
        self.kvps("--store", store, "put", "fresh/key", input=b"\x00\x01")
        with open(os.path.join(folder, butter_name("a")), "rb") as f:
            self.assertEqual(f.read(), b"new value")
        with open(os.path.join(folder, butter_name("fresh/key")), "rb") as f:
            self.assertEqual(f.read(), b"\x00\x01")
        files = [n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n))]
        # Every file KVPSButter enumerates decodes as base64: no marker file was added.
        self.assertEqual(sorted(files), sorted([butter_name("a"), butter_name("fresh/key")]))
        self.kvps("--store", store, "rm", "a")
        self.assertFalse(os.path.exists(os.path.join(folder, butter_name("a"))))

    def test_a_key_whose_base64_holds_a_slash_is_refused(self):
        store = f"file://{self.tmp}/s?layout=kvpsbutter"
        self.assertIn("/", butter_name("???"))
        done = self.kvps("--store", store, "put", "???", input=b"x", rc=2)
        self.assertIn("'/'", done.stderr.decode())
        self.assertIn("???", done.stderr.decode())

    def test_migration_recipe_copies_every_key(self):
        old = os.path.join(self.tmp, "old")
        write_like_kvpsbutter(old, DATA)
        new = os.path.join(self.tmp, "new")
        self.kvps("cp", f"file://{old}?layout=kvpsbutter", f"file://{new}")
        for key, value in DATA.items():
            self.assertEqual(self.kvps("--store", f"file://{new}", "get", key).stdout, value, key)
        self.assertEqual(len(self.listing(f"file://{new}")), len(DATA))

    def test_file_url_with_a_host_is_a_relative_path(self):
        # KVPSButter reads everything after :// as a path: file://kb/plain is ./kb/plain.
        table = {
            "file://kb/plain?pathmapped=true": os.path.join(self.tmp, "kb", "plain"),
            "file://./dot/rel?pathmapped=true": os.path.join(self.tmp, "dot", "rel"),
            "local://kb/other?pathmapped=true": os.path.join(self.tmp, "kb", "other"),
            f"file://{self.tmp}/abs?pathmapped=true": os.path.join(self.tmp, "abs"),
            f"file://localhost{self.tmp}/lh?pathmapped=true": os.path.join(self.tmp, "lh"),
        }
        for url, folder in table.items():
            self.kvps("--store", url, "put", "k", input=url.encode())
            with open(os.path.join(folder, "k"), "rb") as f:
                self.assertEqual(f.read(), url.encode(), url)

    def test_layout_option_errors_name_the_culprit(self):
        done = self.kvps("--store", f"file://{self.tmp}/x?layout=kvpsbuter", "ls", rc=2)
        self.assertIn("layout", done.stderr.decode())
        self.assertIn("kvpsbuter", done.stderr.decode())
        done = self.kvps("--store", f"file://{self.tmp}/x?layout=kvpsbutter&pathmapped=true", "ls", rc=2)
        self.assertIn("disagree", done.stderr.decode())
        done = self.kvps("--store", f"file://{self.tmp}/x?pathmaped=true", "ls", rc=2)
        self.assertIn('did you mean "pathmapped"', done.stderr.decode())

    def test_kvpsbutter_booleans(self):
        for word, expect in [("yes", True), ("ON", True), ("1", True), ("no", False), ("OfF", False), ("0", False)]:
            folder = os.path.join(self.tmp, f"b-{word}")
            self.kvps("--store", f"file://{folder}?pathmapped={word}", "put", "k", input=b"1")
            self.assertEqual(os.path.exists(os.path.join(folder, "k")), expect, word)

    def test_backends_shows_the_aliases(self):
        out = self.kvps("backends").stdout.decode()
        for alias in ("username", "password", "serviceurl", "forcepathstyle"):
            self.assertIn(alias, out)

    def test_s3_connection_string_of_kvpsbutter(self):
        base = os.environ.get("KVPS_TEST_S3_URL")
        if not base:
            if os.environ.get("CI") == "true":
                self.fail("KVPS_TEST_S3_URL is not set (CI=true: a missing server is a failure)")
            self.skipTest("KVPS_TEST_S3_URL is not set")
        head, _, query = base.partition("?")
        q = dict(urllib.parse.parse_qsl(query))
        bucket = head.split("://", 1)[1].split("/")[0]
        prefix = f"butter-{os.getpid()}-"
        user, secret = urllib.parse.quote(q["access_key_id"]), urllib.parse.quote(q["secret_access_key"])
        # The form of KVPSButter.S3's README: no host, bucket and credentials as options.
        butter = (f"s3://?username={user}&password={secret}&bucket={bucket}&prefix={prefix}"
                  f"&serviceurl={q['endpoint']}&forcepathstyle=true&region={q.get('region', 'us-east-1')}"
                  f"&disablechunkedencoding=true")
        self.kvps("--store", butter, "put", "k1", input=b"from kvps")
        # KVPSButter's rule: object name = prefix + key, no '/' added.
        native = f"{head}?{query}"
        self.assertEqual(self.kvps("--store", native, "get", prefix + "k1").stdout, b"from kvps")
        entries = self.listing(butter)
        self.assertEqual(list(entries), ["k1"])
        # The migration: a KVPSButter S3 store copied to a kvps folder.
        moved = os.path.join(self.tmp, "moved")
        self.kvps("cp", butter, f"file://{moved}")
        self.assertEqual(self.kvps("--store", f"file://{moved}", "get", "k1").stdout, b"from kvps")
        out = self.kvps("--store", butter, "get", "nope", rc=1)
        self.assertNotIn(q["secret_access_key"], out.stderr.decode())
        self.kvps("--store", butter, "rm", "k1")


if __name__ == "__main__":
    KVPS = os.path.abspath(sys.argv.pop(1))
    unittest.main()
