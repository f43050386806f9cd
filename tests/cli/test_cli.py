#!/usr/bin/env python3
"""Drives the built `kvps` binary as a user would: exit codes, the bytes on standard output,
the messages on standard error.

    python3 tests/cli/test_cli.py PATH/TO/kvps [unittest options]

Every test runs with a temporary HOME and without KVPS_STORE or XDG_DATA_HOME, so the user's
own default store is never touched.
"""
import fcntl
import json
import os
import pty
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import time
import unittest
import urllib.request

KVPS = os.environ.get("KVPS_CLI", "")


def file_url(path):
    return "file://" + path


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kvps-cli-")
        self.home = os.path.join(self.tmp, "home")
        os.mkdir(self.home)
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("KVPS_STORE", "XDG_DATA_HOME")}
        self.env["HOME"] = self.home
        # An encoded store: these tests use keys a pathmapped folder refuses ("a" and "a/b").
        self.store = file_url(os.path.join(self.tmp, "store")) + "?pathmapped=false"

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def kvps(self, *args, store=None, input=b"", env=None, rc=0):
        """Runs kvps [--store STORE] ARGS; checks the exit code when rc is not None."""
        command = [KVPS]
        if store is not None:
            command += ["--store", store]
        command += list(args)
        result = subprocess.run(command, input=input, capture_output=True, cwd=self.tmp,
                                env=env if env is not None else self.env, timeout=300)
        if rc is not None:
            self.assertEqual(result.returncode, rc,
                             f"{command[1:]}: exit {result.returncode}, stderr "
                             f"{result.stderr.decode(errors='replace')!r}")
        return result

    def put(self, key, data, store=None):
        self.kvps("put", "--", key, store=store or self.store, input=data)

    def get(self, key, store=None):
        return self.kvps("get", "--", key, store=store or self.store).stdout

    def keys(self, prefix=None, store=None):
        args = ["ls", "-r"] + ([prefix] if prefix is not None else [])
        out = self.kvps(*args, store=store or self.store).stdout.decode()
        return out.splitlines()

    def write_files(self, folder, values):
        """Writes values (key -> bytes) as the files of a pathmapped file:// store."""
        for key, data in values.items():
            path = os.path.join(folder, key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)

    def backends(self):
        return self.kvps("backends").stdout.decode()


class HelpAndVersion(CliTest):
    def test_help_documents_commands_and_exit_codes(self):
        out = self.kvps("--help").stdout.decode()
        for word in ("put ", "get ", "stat ", "rm ", "ls ", "cp ", "sync ", "alias ",
                     "backends", "--store", "KVPS_STORE", ".local/share/kvps/store",
                     "not found: KEY", "./dir /abs/dir ~/dir", "NAME:KEY", "130"):
            self.assertIn(word, out)
        for code in ("0", "1", "2", "3", "130"):
            self.assertRegex(out, rf"(?m)^\s+{code}\s+\w")

    def test_version(self):
        out = self.kvps("--version").stdout.decode()
        self.assertRegex(out, r"^kvps \d+\.\d+\.\d+")

    def test_bad_usage_is_exit_2_naming_the_culprit(self):
        cases = [
            (["--frobnicate"], "--frobnicate"),
            (["frob"], "frob"),
            ([], "no command"),
            (["put"], "put"),
            (["get", "a", "b", "c"], "'c'"),
            (["put", "-l", "k"], "-l"),
            (["--store"], "--store"),
            (["cp", "memory://", "memory://", "--jobs", "0"], "--jobs"),
            (["cp", "memory://", "memory://", "--jobs", "many"], "many"),
        ]
        for args, culprit in cases:
            with self.subTest(args=args):
                result = self.kvps(*args, rc=2)
                self.assertIn(culprit, result.stderr.decode())
                self.assertEqual(result.stdout, b"")


class Values(CliTest):
    def test_round_trip_of_binary_empty_and_large_values(self):
        rng = random.Random(5)
        values = {
            "binary": bytes(range(256)) * 4 + b"\0\0\0",
            "nul": b"\0",
            "empty": b"",
            "large": rng.randbytes(5 * 1024 * 1024 + 17),
            "dir/utf-8 é ✓ key": "grüße\n".encode(),
        }
        for key, data in values.items():
            with self.subTest(key=key):
                self.put(key, data)
                self.assertEqual(self.get(key), data)

    def test_put_and_get_with_files(self):
        source = os.path.join(self.tmp, "in.bin")
        target = os.path.join(self.tmp, "out.bin")
        data = random.Random(1).randbytes(3 * 1024 * 1024 + 1)
        with open(source, "wb") as f:
            f.write(data)
        self.kvps("put", "blob", source, store=self.store)
        self.kvps("get", "blob", target, store=self.store)
        with open(target, "rb") as f:
            self.assertEqual(f.read(), data)
        self.assertEqual(self.kvps("get", "blob", "-", store=self.store).stdout, data)
        self.kvps("put", "dash", "-", store=self.store, input=b"from stdin")
        self.assertEqual(self.get("dash"), b"from stdin")
        # No temporary file is left beside the target.
        self.assertEqual(sorted(os.listdir(self.tmp)), ["home", "in.bin", "out.bin", "store"])

    def test_put_replaces_the_value(self):
        self.put("k", b"first value")
        self.put("k", b"2nd")
        self.assertEqual(self.get("k"), b"2nd")

    def test_missing_key_is_exit_1_with_not_found(self):
        self.put("other", b"")
        for command in ("get", "stat"):
            with self.subTest(command=command):
                result = self.kvps(command, "nope", store=self.store, rc=1)
                self.assertEqual(result.stderr.decode().strip(), "not found: nope")
                self.assertEqual(result.stdout, b"")

    def test_get_of_a_missing_key_creates_no_file(self):
        self.put("other", b"")
        target = os.path.join(self.tmp, "out.bin")
        self.kvps("get", "nope", target, store=self.store, rc=1)
        self.assertFalse(os.path.exists(target))

    def test_get_into_a_missing_folder_is_a_storage_failure(self):
        self.put("k", b"v")
        target = os.path.join(self.tmp, "no", "such", "folder", "out")
        result = self.kvps("get", "k", target, store=self.store, rc=3)
        self.assertIn(target, result.stderr.decode())

    def test_put_of_a_missing_file_is_exit_2_and_writes_nothing(self):
        self.put("other", b"")
        missing = os.path.join(self.tmp, "missing.txt")
        result = self.kvps("put", "k", missing, store=self.store, rc=2)
        self.assertIn(missing, result.stderr.decode())
        self.kvps("get", "k", store=self.store, rc=1)

    def test_bad_keys_are_exit_2(self):
        for key in ("", "new\nline", "tab\tkey", "x" * 1025):
            with self.subTest(key=key[:20]):
                result = self.kvps("put", "--", key, store=self.store, input=b"v", rc=2)
                self.assertNotEqual(result.stderr, b"")
        self.assertEqual(self.keys(), [])

    def test_keys_starting_with_a_dash_after_double_dash(self):
        self.put("-dash", b"d")
        self.assertEqual(self.get("-dash"), b"d")
        self.assertEqual(self.keys(), ["-dash"])

    def test_stat(self):
        self.put("k", b"12345")
        before = time.time()
        out = self.kvps("stat", "k", store=self.store).stdout.decode()
        fields = dict(line.split(": ", 1) for line in out.splitlines())
        self.assertEqual(fields["size"], "5")
        self.assertRegex(fields["mtime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{9})?Z$")
        stamp = time.mktime(time.strptime(fields["mtime"][:19], "%Y-%m-%dT%H:%M:%S"))
        stamp -= time.timezone  # the stamp is UTC
        self.assertLess(abs(stamp - before), 120)
        self.assertNotEqual(fields["etag"], "")
        self.put("k", b"54321")
        again = self.kvps("stat", "k", store=self.store).stdout.decode()
        self.assertNotEqual(dict(l.split(": ", 1) for l in again.splitlines())["etag"],
                            fields["etag"])

    def test_rm_is_idempotent_and_takes_many_keys(self):
        for key in ("a", "b", "c"):
            self.put(key, key.encode())
        self.kvps("rm", "a", store=self.store)
        self.kvps("rm", "a", store=self.store)
        self.kvps("rm", "b", "c", "never-existed", store=self.store)
        self.assertEqual(self.keys(), [])
        self.kvps("get", "b", store=self.store, rc=1)
        self.kvps("rm", store=self.store, rc=2)

    def test_rm_of_a_bad_key_is_exit_2_and_removes_the_good_ones(self):
        self.put("a", b"1")
        result = self.kvps("rm", "a", "", store=self.store, rc=2)
        self.assertIn("key", result.stderr.decode())
        self.assertEqual(self.keys(), [])


class Listing(CliTest):
    def test_ls_is_in_byte_order_and_filters_by_prefix(self):
        keys = ["b", "a", "a/b", "A", "é", "ab", "a b", "a/a", "z", "~"]
        for key in keys:
            self.put(key, b"x" * len(key.encode()))
        self.assertEqual(self.keys(), sorted(keys, key=lambda k: k.encode()))
        self.assertEqual(self.keys("a/"), ["a/a", "a/b"])
        self.assertEqual(self.keys("a"), ["a", "a b", "a/a", "a/b", "ab"])
        self.assertEqual(self.keys("nothing"), [])

    def test_ls_long_adds_size_and_mtime(self):
        self.put("one", b"1")
        self.put("three", b"333")
        out = self.kvps("ls", "-l", store=self.store).stdout.decode().splitlines()
        rows = [line.split("\t") for line in out]
        self.assertEqual([r[0] for r in rows], ["one", "three"])
        self.assertEqual([r[1] for r in rows], ["1", "3"])
        for row in rows:
            self.assertEqual(len(row), 3)
            self.assertRegex(row[2], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        # -l in front of the prefix works too
        out = self.kvps("ls", "-l", "th", store=self.store).stdout.decode()
        self.assertTrue(out.startswith("three\t3\t"), out)


class Stores(CliTest):
    def test_store_flag_wins_over_the_environment(self):
        a = file_url(os.path.join(self.tmp, "a"))
        b = file_url(os.path.join(self.tmp, "b"))
        env = dict(self.env, KVPS_STORE=a)
        self.kvps("put", "k1", input=b"in a", env=env)
        self.kvps("put", "k2", "--store", b, input=b"in b", env=env)
        self.assertEqual(self.keys(store=a), ["k1"])
        self.assertEqual(self.keys(store=b), ["k2"])
        self.assertEqual(self.kvps("get", "k1", env=env).stdout, b"in a")
        self.assertEqual(self.kvps("--store=" + b, "get", "k2", env=env).stdout, b"in b")
        # Nothing went to the default store.
        self.assertFalse(os.path.exists(os.path.join(self.home, ".local")))

    def test_default_store_under_home(self):
        self.kvps("put", "greeting", input=b"hello")
        self.assertTrue(os.path.isdir(os.path.join(self.home, ".local/share/kvps/store")))
        self.assertEqual(self.kvps("get", "greeting").stdout, b"hello")
        self.assertEqual(self.kvps("ls").stdout, b"greeting\n")

    def test_default_store_under_xdg_data_home(self):
        xdg = os.path.join(self.tmp, "xdg data")  # a space: the URL must be encoded
        env = dict(self.env, XDG_DATA_HOME=xdg)
        self.kvps("put", "greeting", input=b"hello", env=env)
        self.assertTrue(os.path.isdir(os.path.join(xdg, "kvps", "store")))
        self.assertEqual(self.kvps("get", "greeting", env=env).stdout, b"hello")
        self.assertFalse(os.path.exists(os.path.join(self.home, ".local")))
        # A relative XDG_DATA_HOME is invalid by the XDG rules and ignored.
        env = dict(self.env, XDG_DATA_HOME="relative")
        self.kvps("put", "k", input=b"v", env=env)
        self.assertTrue(os.path.isdir(os.path.join(self.home, ".local/share/kvps/store")))

    def test_bad_store_urls_are_exit_2_with_the_library_message(self):
        cases = [
            ("no scheme here", "not a URL"),
            ("bogus://x", "unknown scheme"),
            ("memory://?frobnicate=1", "frobnicate"),
        ]
        for url, message in cases:
            for command in (["ls"], ["get", "k"], ["put", "k"], ["stat", "k"], ["rm", "k"]):
                with self.subTest(url=url, command=command):
                    result = self.kvps(*command, store=url, rc=2)
                    self.assertIn(message, result.stderr.decode())
        result = self.kvps("ls", store="bogus://x", rc=2)
        self.assertIn("memory://", result.stderr.decode())  # the known schemes are listed
        result = self.kvps("cp", "bogus://x", self.store, rc=2)
        self.assertIn("unknown scheme", result.stderr.decode())

    def test_backends_lists_schemes_descriptions_and_options(self):
        out = self.backends()
        self.assertRegex(out, r"(?m)^memory: \S")
        self.assertRegex(out, r"(?m)^  schemes: memory://")
        if re.search(r"(?m)^file: ", out):
            self.assertRegex(out, r"(?m)^    create\s+bool\s+default true\s+\S")
        if re.search(r"(?m)^s3: ", out):
            self.assertRegex(out, r"(?m)^    secret_access_key\s+secret\s")


class Verbose(CliTest):
    SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY"

    def test_verbose_logs_requests_without_secrets(self):
        result = self.kvps("-v", "put", "k", store=f"memory://user:{self.SECRET}@shared",
                           input=b"v")
        err = result.stderr.decode()
        self.assertIn("store: memory://", err)
        self.assertIn('"k"', err)  # a log line names the key
        self.assertNotIn(self.SECRET, err)

    def test_verbose_s3_never_shows_the_secret(self):
        if not re.search(r"(?m)^s3: ", self.backends()):
            self.skipTest("no s3:// backend in this build")
        url = ("s3://bucket?endpoint=http://127.0.0.1:9&region=us-east-1&path_style=true"
               f"&access_key_id=AKIAIOSFODNN7EXAMPLE&secret_access_key={self.SECRET}")
        result = self.kvps("-v", "get", "k", store=url, rc=None)
        self.assertEqual(result.returncode, 3, result.stderr)
        err = result.stderr.decode()
        self.assertIn("store: s3://", err)
        self.assertNotIn(self.SECRET, err)
        self.assertNotIn("AKIAIOSFODNN7EXAMPLE", err)


class Copy(CliTest):
    def test_copy_1000_keys_then_skip_them_all(self):
        # The source is a plain folder of files (pathmapped), the destination a default
        # (encoded) file:// store.
        rng = random.Random(1000)
        values = {}
        for i in range(1000):
            size = rng.choice([0, 1, 7, 100, 4096, 70000]) if i % 250 else 2 * 1024 * 1024 + i
            values[f"k/{i % 7}/{i:05d}"] = rng.randbytes(size)
        folder = os.path.join(self.tmp, "src")
        self.write_files(folder, values)
        src = file_url(folder) + "?pathmapped=true"
        dst = file_url(os.path.join(self.tmp, "dst"))
        self.assertEqual(len(self.keys(store=src)), 1000)

        result = self.kvps("cp", src, dst, "--jobs", "8")
        self.assertIn("copied 1000 keys", result.stderr.decode())
        self.assertEqual(self.keys(store=dst), sorted(values))
        # Every value, byte for byte: copied back out into a plain folder with one more cp (one
        # process, not a get each: under the sanitizers a process costs a third of a second).
        back = os.path.join(self.tmp, "back")
        self.kvps("cp", dst, file_url(back) + "?pathmapped=true", "-q")
        for key, data in values.items():
            with open(os.path.join(back, key), "rb") as f:
                self.assertEqual(f.read(), data, key)
        for key in sorted(values)[::250]:  # and a few through get
            self.assertEqual(self.get(key, store=dst), values[key], key)

        sample = sorted(values)[::97]
        etags = {key: self.kvps("stat", key, store=dst).stdout for key in sample}
        result = self.kvps("cp", src, dst)
        self.assertIn("copied 0 keys", result.stderr.decode())
        self.assertIn("skipped 1000 unchanged", result.stderr.decode())
        for key in sample:
            self.assertEqual(self.kvps("stat", key, store=dst).stdout, etags[key], key)

        # A value whose last byte changed in place (same size, past the first MiB) and a new
        # key: only those two are copied. The destination then holds 1001 keys: ls goes past
        # its first page.
        old = values["k/0/00000"]
        self.assertEqual(len(old), 2 * 1024 * 1024)
        changed = old[:-1] + bytes([old[-1] ^ 1])
        self.write_files(folder, {"k/0/00000": changed, "new": b"new value"})
        result = self.kvps("cp", src, dst, "-q")
        self.assertEqual(result.stderr, b"")
        self.assertEqual(self.get("k/0/00000", store=dst), changed)
        self.assertEqual(self.get("new", store=dst), b"new value")
        self.assertEqual(len(self.keys(store=dst)), 1001)
        result = self.kvps("cp", src, dst)
        self.assertIn("copied 0 keys", result.stderr.decode())
        self.assertIn("skipped 1001 unchanged", result.stderr.decode())

    def test_copy_with_a_prefix(self):
        src = file_url(os.path.join(self.tmp, "src"))
        dst = file_url(os.path.join(self.tmp, "dst"))
        for key in ("a/1", "a/2", "b/1"):
            self.put(key, key.encode(), store=src)
        result = self.kvps("cp", src, dst, "--prefix", "a/", "--jobs", "1")
        self.assertIn("copied 2 keys ", result.stderr.decode())
        self.assertEqual(self.keys(store=dst), ["a/1", "a/2"])
        self.assertEqual(self.get("a/2", store=dst), b"a/2")

    def test_copy_replaces_a_same_size_different_value(self):
        src = file_url(os.path.join(self.tmp, "src"))
        dst = file_url(os.path.join(self.tmp, "dst"))
        self.put("k", b"AAAA", store=src)
        self.put("k", b"BBBB", store=dst)
        result = self.kvps("cp", src, dst)
        self.assertIn("copied 1 key ", result.stderr.decode())
        self.assertEqual(self.get("k", store=dst), b"AAAA")

    def test_copy_between_backends(self):
        # memory:// lives in one process: an empty source copies nothing, and a file:// source
        # copies into it without error.
        self.put("k", b"v")
        result = self.kvps("cp", self.store, "memory://")
        self.assertIn("copied 1 key ", result.stderr.decode())
        result = self.kvps("cp", "memory://", self.store)
        self.assertIn("copied 0 keys", result.stderr.decode())


class PropertiesAndMove(CliTest):
    """put --content-type/--meta/--if-match/--create-only, stat, cp and mv keeping them."""

    def stat(self, key, store=None):
        out = self.kvps("stat", "--", key, store=store or self.store).stdout.decode()
        fields, meta = {}, {}
        for line in out.splitlines():
            name, _, value = line.partition(": ")
            if name == "meta":
                n, _, v = value.partition("=")
                meta[n] = v
            else:
                fields[name] = value
        return fields, meta

    def put_props(self, key, data, store=None):
        self.kvps("put", "--content-type", "text/csv", "--meta", "Owner=ops", "--meta",
                  "tier=gold", "--", key, store=store or self.store, input=data)

    def assert_props(self, key, store=None, size=None):
        fields, meta = self.stat(key, store)
        self.assertEqual(fields["content-type"], "text/csv", key)
        self.assertEqual(meta, {"owner": "ops", "tier": "gold"}, key)
        if size is not None:
            self.assertEqual(fields["size"], str(size))

    def test_put_options_and_stat(self):
        self.put_props("k", b"1,2")
        self.assert_props("k", size=3)
        fields, meta = self.stat("k")
        err = self.kvps("put", "--create-only", "k", store=self.store, input=b"x", rc=3).stderr
        self.assertIn(b"k", err)
        err = self.kvps("put", "--if-match", "no-such-etag", "k", store=self.store, input=b"x",
                        rc=3).stderr
        self.assertIn(b"k", err)
        self.assertEqual(self.get("k"), b"1,2")  # failed conditions changed nothing
        self.kvps("put", "--if-match", fields["etag"], "k", store=self.store, input=b"new")
        self.assertEqual(self.get("k"), b"new")
        self.assertEqual(self.stat("k")[0]["content-type"], "application/octet-stream")
        self.kvps("put", "--create-only", "fresh", store=self.store, input=b"f")
        self.kvps("put", "--create-only", "--if-match", "e", "x", store=self.store, input=b"x",
                  rc=2)
        self.kvps("put", "--meta", "novalue", "x", store=self.store, input=b"x", rc=2)
        self.kvps("put", "--meta", "bad name=v", "x", store=self.store, input=b"x", rc=2)
        self.assertNotIn("x", self.keys())

    def test_cp_within_a_store_keeps_properties(self):
        self.put_props("a", b"data")
        result = self.kvps("cp", "a", "b", store=self.store)
        self.assertIn("copied 1 key ", result.stderr.decode())
        self.assert_props("b", size=4)
        self.assertEqual(self.get("b"), b"data")
        result = self.kvps("cp", "a", "b", store=self.store)
        self.assertIn("skipped 1 unchanged", result.stderr.decode())

    def test_cp_between_stores_keeps_properties_and_compares_them(self):
        other = file_url(os.path.join(self.tmp, "other")) + "?pathmapped=false"
        self.put_props("dir/a", b"A" * 100)
        self.put("dir/plain", b"P")
        result = self.kvps("cp", "-r", self.store, other)
        self.assertIn("copied 2 keys", result.stderr.decode())
        self.assert_props("dir/a", store=other, size=100)
        fields, meta = self.stat("dir/plain", store=other)
        self.assertEqual((fields["content-type"], meta), ("application/octet-stream", {}))
        result = self.kvps("cp", "-r", self.store, other)
        self.assertIn("copied 0 keys", result.stderr.decode())
        self.assertIn("skipped 2 unchanged", result.stderr.decode())
        # Same bytes, other metadata: copied again.
        self.kvps("put", "--content-type", "text/csv", "--meta", "owner=dev", "dir/a",
                  store=self.store, input=b"A" * 100)
        result = self.kvps("cp", "-r", self.store, other)
        self.assertIn("copied 1 key ", result.stderr.decode())
        self.assertEqual(self.stat("dir/a", store=other)[1], {"owner": "dev"})
        # One key into a plain folder (extended attributes kept where the file system has them).
        folder = os.path.join(self.tmp, "plain")
        self.kvps("cp", "dir/plain", folder + "/", store=self.store)
        with open(os.path.join(folder, "plain"), "rb") as f:
            self.assertEqual(f.read(), b"P")

    def test_mv_within_a_store_renames(self):
        self.put_props("a", b"value")
        etag = self.stat("a")[0]["etag"]
        result = self.kvps("mv", "a", "sub/b", store=self.store)
        self.assertIn("moved 1 key ", result.stderr.decode())
        self.assertEqual(self.keys(), ["sub/b"])
        self.assertEqual(self.get("sub/b"), b"value")
        self.assert_props("sub/b", size=5)
        self.assertNotEqual(etag, "")
        # Onto an existing key: replaced; into a "folder": keeps the last segment.
        self.put("c", b"old")
        self.kvps("mv", "sub/b", "c", store=self.store)
        self.assertEqual(self.get("c"), b"value")
        self.kvps("mv", "c", "dir/", store=self.store)
        self.assertEqual(self.keys(), ["dir/c"])
        # A missing source is not found (exit 1), a prefix needs -r.
        err = self.kvps("mv", "missing", "x", store=self.store, rc=1).stderr.decode()
        self.assertIn("not found: missing", err)
        self.kvps("mv", "dir/", "x/", store=self.store, rc=2)
        # A key onto itself changes nothing.
        self.kvps("mv", "dir/c", "dir/c", store=self.store)
        self.assertEqual(self.get("dir/c"), b"value")

    def test_mv_recursive_within_a_store_and_dry_run(self):
        for key in ("in/a", "in/sub/b", "keep"):
            self.put(key, key.encode())
        out = self.kvps("mv", "-n", "-r", "in/", "out/", store=self.store).stdout.decode()
        self.assertEqual(sorted(out.splitlines()), ["move in/a -> out/a", "move in/sub/b -> out/sub/b"])
        self.assertEqual(self.keys(), ["in/a", "in/sub/b", "keep"])
        result = self.kvps("mv", "-r", "in", "out", store=self.store)
        self.assertIn("moved 2 keys", result.stderr.decode())
        self.assertEqual(self.keys(), ["keep", "out/a", "out/sub/b"])
        self.assertEqual(self.get("out/sub/b"), b"in/sub/b")

    def test_mv_between_stores_copies_verifies_then_removes(self):
        other = file_url(os.path.join(self.tmp, "other")) + "?pathmapped=false"
        self.put_props("a", b"A" * 3000)
        self.put("b/c", b"")
        result = self.kvps("mv", "a", other, store=self.store)
        self.assertIn("moved 1 key ", result.stderr.decode())
        self.assertEqual(self.keys(), ["b/c"])
        self.assertEqual(self.get("a", store=other), b"A" * 3000)
        self.assert_props("a", store=other, size=3000)
        # A whole store into another; an identical value already there is not rewritten.
        self.put("b/c", b"", store=other)
        before = self.stat("b/c", store=other)[0]["etag"]
        result = self.kvps("mv", self.store, other)
        self.assertIn("moved 1 key ", result.stderr.decode())
        self.assertEqual(self.keys(), [])
        self.assertEqual(self.stat("b/c", store=other)[0]["etag"], before)
        self.assertEqual(self.keys(store=other), ["a", "b/c"])
        # Into a plain folder and back out of it.
        folder = os.path.join(self.tmp, "folder")
        self.kvps("mv", "-r", other, folder)
        self.assertEqual(self.keys(store=other), [])
        self.assertEqual(sorted(n for n in os.listdir(folder) if not n.startswith(".")), ["a", "b"])
        self.assertEqual(self.stat("a", store=folder)[0]["size"], "3000")
        self.kvps("mv", os.path.join(folder, "a"), self.store)
        self.assertFalse(os.path.exists(os.path.join(folder, "a")))
        self.assertEqual(self.get("a"), b"A" * 3000)

    def test_mv_never_deletes_a_value_named_twice(self):
        # Two spellings of one folder are one store (a rename onto itself); nested stores that
        # name the same file are refused. The value survives both.
        folder = os.path.join(self.tmp, "same")
        self.write_files(folder, {"f": b"keep", "sub/x": b"also"})
        self.kvps("mv", "./same/f", file_url(folder) + "/")
        self.kvps("mv", "./same/f", file_url(folder) + "/./?pathmapped=true")
        self.assertEqual(self.get("f", store=folder), b"keep")
        err = self.kvps("mv", "sub/x", "./same/sub/", store=file_url(folder) + "?pathmapped=true",
                        rc=2).stderr.decode()
        self.assertIn("same value", err)
        self.assertEqual(self.get("x", store=os.path.join(folder, "sub")), b"also")


def s3_test_url(variable="KVPS_TEST_S3_URL"):
    """KVPS_TEST_S3_URL (or another server's URL variable) with a unique prefix after the
    bucket (az://: after the container), or None (a failure in CI)."""
    url = os.environ.get(variable)
    if not url:
        if os.environ.get("CI") == "true":
            raise AssertionError(f"CI=true but {variable} is not set")
        return None
    base, _, query = url.partition("?")
    scheme, _, path = base.partition("://")
    bucket, _, prefix = path.partition("/")
    unique = f"cli-{os.getpid()}-{time.time_ns()}"
    path = "/".join(p for p in (bucket, prefix.strip("/"), unique) if p)
    return f"{scheme}://{path}" + (f"?{query}" if query else "")


class Azure(CliTest):
    """kvps cp between az://, s3://, file:// and memory://, in both directions."""

    def setUp(self):
        super().setUp()
        self.az = s3_test_url("KVPS_TEST_AZ_URL")
        self.s3 = s3_test_url()
        if self.az is None or self.s3 is None:
            self.skipTest("KVPS_TEST_AZ_URL or KVPS_TEST_S3_URL is not set (scripts/test.sh starts the servers)")
        self.az_back = s3_test_url("KVPS_TEST_AZ_URL")

    def tearDown(self):
        for store in (getattr(self, "az", None), getattr(self, "az_back", None), getattr(self, "s3", None)):
            if store:
                keys = self.keys(store=store)
                if keys:
                    self.kvps("rm", "--", *keys, store=store)
        super().tearDown()

    def test_copy_between_az_s3_file_and_memory(self):
        rng = random.Random(11)
        values = {f"docs/{i:02d}.bin": rng.randbytes(rng.choice([0, 10, 5000])) for i in range(12)}
        values["big"] = rng.randbytes(9 * 1024 * 1024 + 3)  # past one block and one part
        folder = os.path.join(self.tmp, "folder")
        self.write_files(folder, values)
        src = file_url(folder) + "?pathmapped=true"
        hops = [(src, self.az), (self.az, self.s3), (self.s3, self.az_back)]
        for a, b in hops:
            result = self.kvps("cp", a, b, "--jobs", "4")
            self.assertIn(f"copied {len(values)} keys", result.stderr.decode(), (a, b))
            self.assertEqual(self.keys(store=b), sorted(values))
            self.assertEqual(self.get("big", store=b), values["big"])
        back = os.path.join(self.tmp, "back")  # a plain folder: its files are read directly
        result = self.kvps("cp", self.az_back, file_url(back) + "?pathmapped=true")
        self.assertIn(f"copied {len(values)} keys", result.stderr.decode())
        for key, data in values.items():
            with open(os.path.join(back, key), "rb") as f:
                self.assertEqual(f.read(), data, key)
        # memory:// lives in one process: each direction within one run of the tool.
        result = self.kvps("cp", self.az, "memory://")
        self.assertIn(f"copied {len(values)} keys", result.stderr.decode())
        result = self.kvps("cp", "memory://", self.az)
        self.assertIn("copied 0 keys", result.stderr.decode())


class S3(CliTest):
    """The migration story on a real S3 server: a folder to S3 and back by changing the URL."""

    def setUp(self):
        super().setUp()
        self.s3 = s3_test_url()
        if self.s3 is None:
            self.skipTest("KVPS_TEST_S3_URL is not set (scripts/test.sh starts the servers)")

    def tearDown(self):
        if getattr(self, "s3", None):
            keys = self.keys(store=self.s3)
            if keys:
                self.kvps("rm", "--", *keys, store=self.s3)
        super().tearDown()

    def test_copy_a_folder_to_s3_and_back(self):
        rng = random.Random(7)
        values = {f"docs/{i:03d}.bin": rng.randbytes(rng.choice([0, 10, 5000])) for i in range(40)}
        values["big"] = rng.randbytes(9 * 1024 * 1024 + 3)  # past one multipart part
        folder = os.path.join(self.tmp, "folder")
        self.write_files(folder, values)
        src = file_url(folder) + "?pathmapped=true"

        result = self.kvps("cp", src, self.s3, "--jobs", "4")
        self.assertIn(f"copied {len(values)} keys", result.stderr.decode())
        self.assertEqual(self.keys(store=self.s3), sorted(values))
        self.assertEqual(self.get("big", store=self.s3), values["big"])
        # Different backends: the etags cannot be compared, the bytes are.
        result = self.kvps("cp", src, self.s3)
        self.assertIn(f"skipped {len(values)} unchanged", result.stderr.decode())

        back = os.path.join(self.tmp, "back")  # a plain folder: its files are read directly
        result = self.kvps("cp", self.s3, file_url(back) + "?pathmapped=true", "--prefix", "docs/")
        self.assertIn("copied 40 keys", result.stderr.decode())
        copied = sorted(os.path.relpath(os.path.join(d, f), back).replace(os.sep, "/")
                        for d, _, files in os.walk(back) for f in files
                        if not d.startswith(os.path.join(back, ".kvps")) and not f.startswith(".kvps"))
        self.assertEqual(copied, sorted(k for k in values if k.startswith("docs/")))
        for key in copied:
            with open(os.path.join(back, key), "rb") as f:
                self.assertEqual(f.read(), values[key], key)

        out = self.kvps("stat", "big", store=self.s3).stdout.decode()
        self.assertIn(f"size: {len(values['big'])}", out)
        self.kvps("get", "missing", store=self.s3, rc=1)
        self.kvps("rm", "big", "big", store=self.s3)
        self.kvps("stat", "big", store=self.s3, rc=1)

    def test_cp_and_mv_keep_properties_on_s3(self):
        props = ["--content-type", "text/csv", "--meta", "Owner=ops"]
        self.kvps("put", *props, "a", store=self.s3, input=b"1,2,3")
        # Within one S3 store: server-side CopyObject, then a rename (copy + delete).
        self.kvps("cp", "a", "b", store=self.s3)
        self.kvps("mv", "b", "moved/c", store=self.s3)
        self.assertEqual(self.keys(store=self.s3), ["a", "moved/c"])
        out = self.kvps("stat", "moved/c", store=self.s3).stdout.decode()
        self.assertIn("content-type: text/csv\n", out)
        self.assertIn("meta: owner=ops\n", out)
        self.assertEqual(self.get("moved/c", store=self.s3), b"1,2,3")
        # S3 -> an encoded folder store -> S3, by mv: the properties travel both ways.
        self.kvps("mv", "-r", self.s3, self.store)
        self.assertEqual(self.keys(store=self.s3), [])
        out = self.kvps("stat", "moved/c", store=self.store).stdout.decode()
        self.assertIn("content-type: text/csv\n", out)
        self.assertIn("meta: owner=ops\n", out)
        self.kvps("mv", "-r", self.store, self.s3)
        self.assertEqual(self.keys(store=self.store), [])
        out = self.kvps("stat", "a", store=self.s3).stdout.decode()
        self.assertIn("content-type: text/csv\n", out)
        self.assertIn("meta: owner=ops\n", out)
        self.kvps("put", "--create-only", "a", store=self.s3, input=b"x", rc=3)

    def test_a_missing_bucket_is_a_store_error(self):
        base, _, query = self.s3.partition("?")
        url = "s3://kvps-no-such-bucket-" + str(os.getpid()) + "?" + query
        for args, input in ((["ls"], b""), (["ls", "-r"], b""), (["get", "k"], b""),
                            (["stat", "k"], b""), (["put", "k"], b"v"), (["rm", "k"], b""),
                            (["cp", url, self.store], b"")):
            with self.subTest(args=args):
                store = None if args[0] == "cp" else url
                err = self.kvps(*args, store=store, input=input, rc=3).stderr.decode()
                self.assertIn("does not exist", err)
                self.assertNotIn("secret", err)

    def test_ls_delimiter_and_presign(self):
        for key in ("a", "d/1", "d/2", "e/f/g"):
            self.put(key, key.encode(), store=self.s3)
        out = self.kvps("ls", "-d", "/", store=self.s3).stdout.decode().splitlines()
        self.assertEqual(out, ["a", "d/", "e/"])
        url = self.kvps("presign", "d/1", "--expires", "5m", store=self.s3).stdout.decode().strip()
        self.assertIn("X-Amz-Expires=300", url)
        with urllib.request.urlopen(url) as answer:
            self.assertEqual(answer.read(), b"d/1")
        put = self.kvps("presign", "--put", "d/3", store=self.s3).stdout.decode().strip()
        request = urllib.request.Request(put, data=b"via presigned PUT", method="PUT")
        with urllib.request.urlopen(request):
            pass
        self.assertEqual(self.get("d/3", store=self.s3), b"via presigned PUT")
        self.kvps("presign", "d/1", "--expires", "8d", store=self.s3, rc=2)

    def test_verbose_on_s3_logs_requests_without_secrets(self):
        result = self.kvps("-v", "put", "k", store=self.s3, input=b"v")
        err = result.stderr.decode()
        self.assertIn("store: s3://", err)
        self.assertRegex(err, r"PUT \S*k")
        for name in ("secret_access_key", "session_token"):
            match = re.search(name + r"=([^&]+)", self.s3)
            if match:
                self.assertNotIn(match.group(1), err)


class Interrupt(CliTest):
    def interrupted_put(self, key, data):
        """Feeds data to `kvps put KEY` through a pipe left open, then sends SIGINT."""
        proc = subprocess.Popen([KVPS, "--store", self.store, "put", key], env=self.env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        proc.stdin.write(data)
        proc.stdin.flush()
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        # Cleaned up, then ended by SIGINT itself (a shell sees 130 and stops its loop).
        self.assertEqual(proc.returncode, -signal.SIGINT, err)
        self.assertIn(b"interrupted", err)

    def test_sigint_during_a_slow_put_leaves_the_old_value(self):
        self.put("k", b"old value")
        self.interrupted_put("k", b"half-written " * 100000)
        self.assertEqual(self.get("k"), b"old value")

    def test_sigint_during_a_slow_put_of_a_new_key_leaves_nothing(self):
        self.interrupted_put("k", b"x" * 1000)
        self.kvps("get", "k", store=self.store, rc=1)
        self.assertEqual(self.keys(), [])

    def test_sigint_during_cp_leaves_only_complete_values_and_a_rerun_finishes(self):
        # Many small values, one at a time, each committed with fsync: long enough to be
        # interrupted on most machines. Whatever the timing, every value that reached the
        # destination must be complete.
        rng = random.Random(3)
        values = {f"v/{i:04d}": rng.randbytes(8192 + i) for i in range(600)}
        folder = os.path.join(self.tmp, "src")
        for key, data in values.items():
            os.makedirs(os.path.join(folder, "v"), exist_ok=True)
            with open(os.path.join(folder, key), "wb") as f:
                f.write(data)
        src = file_url(folder) + "?pathmapped=true"
        dst = file_url(os.path.join(self.tmp, "dst"))
        proc = subprocess.Popen([KVPS, "cp", src, dst, "--jobs", "1"], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.4)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        self.assertIn(proc.returncode, (0, -signal.SIGINT), err)

        def check_complete():
            rows = [line.split("\t") for line in
                    self.kvps("ls", "-lr", store=dst).stdout.decode().splitlines()]
            for key, size, _ in rows:
                self.assertEqual(int(size), len(values[key]), key)
            for key, _, _ in rows[::20]:
                self.assertEqual(self.get(key, store=dst), values[key], key)
            return len(rows)

        done = check_complete()
        if proc.returncode == -signal.SIGINT:
            self.assertIn(b"interrupted", err)
            self.assertLess(done, len(values))
        result = self.kvps("cp", src, dst, "--jobs", "4")
        self.assertIn(f"copied {len(values) - done} key", result.stderr.decode())
        self.assertEqual(check_complete(), len(values))


class Progress(CliTest):
    def run_on_terminal(self, *args):
        """Runs a slow put with standard error on a pseudo-terminal; returns what it showed."""
        master, slave = pty.openpty()
        proc = subprocess.Popen([KVPS, "--store", self.store, *args], env=self.env,
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        for _ in range(10):
            proc.stdin.write(b"x" * 100000)
            proc.stdin.flush()
            time.sleep(0.12)
        proc.stdin.close()
        self.assertEqual(proc.wait(timeout=30), 0)
        shown = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            shown += chunk
        os.close(master)
        return shown

    def test_progress_bar_on_a_terminal(self):
        shown = self.run_on_terminal("put", "k")
        self.assertIn(b"/s", shown)
        self.assertIn(b"keys 1/1", shown)
        self.assertEqual(self.get("k"), b"x" * 1000000)

    def test_no_progress_bar_with_quiet(self):
        self.assertEqual(self.run_on_terminal("-q", "put", "k"), b"")

    def test_no_progress_bar_when_stderr_is_not_a_terminal(self):
        proc = subprocess.Popen([KVPS, "--store", self.store, "put", "k"], env=self.env,
                                stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(8):
            proc.stdin.write(b"x" * 100000)
            proc.stdin.flush()
            time.sleep(0.1)
        _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(err, b"")

class Parsing(CliTest):
    def test_bundled_short_flags_and_values(self):
        self.put("big", b"x" * 3000)
        out = self.kvps("ls", "-lh", store=self.store).stdout.decode()
        self.assertEqual(out.split("\t")[:2], ["big", "2.9 KiB"])  # -h in a bundle: human sizes
        self.assertEqual(self.kvps("ls", "-rl", store=self.store).stdout.decode().split("\t")[1],
                         "3000")
        src = file_url(os.path.join(self.tmp, "dst"))
        for jobs in (["-j2"], ["-j", "2"], ["--jobs=2"], ["--jobs", "2"]):
            with self.subTest(jobs=jobs):
                self.kvps("cp", *jobs, "-q", self.store, src)
        self.kvps("--jobs=2", "cp", self.store, src, rc=2)  # a command's option before it
        self.kvps("ls", "--long=yes", store=self.store, rc=2)

    def test_double_dash_ends_options(self):
        self.put("-x", b"1")
        self.assertEqual(self.kvps("--store", self.store, "get", "--", "-x").stdout, b"1")
        self.kvps("--store", self.store, "rm", "--", "-x")
        self.assertEqual(self.keys(), [])

    def test_help_per_command_with_examples(self):
        for command in ("put", "get", "stat", "ls", "rm", "cp", "mv", "sync", "alias", "backends"):
            with self.subTest(command=command):
                a = self.kvps("help", command).stdout.decode()
                b = self.kvps(command, "--help").stdout.decode()
                self.assertEqual(a, b)
                self.assertIn(f"kvps [--store STORE] {command}", a)
                self.assertRegex(a, r"Examples?:\n  kvps ")
        self.assertIn("--include GLOB", self.kvps("help", "cp").stdout.decode())
        self.assertIn("-h, --human", self.kvps("ls", "-h", "--help").stdout.decode())
        self.kvps("help", "nope", rc=2)

    def test_unknown_option_names_the_command(self):
        err = self.kvps("rm", "-l", "k", store=self.store, rc=2).stderr.decode()
        self.assertIn("'-l'", err)
        self.assertIn("kvps help rm", err)


class PlainFolders(CliTest):
    """Plain paths as stores: pathmapped, and never written to when only read."""

    def setUp(self):
        super().setUp()
        self.photos = os.path.join(self.tmp, "photos")
        self.values = {"a.jpg": b"A" * 10, "2024/b.jpg": b"B" * 2000, "2024/c.png": b"C",
                       "2024/deep/d.jpg": b"D" * 5}
        self.write_files(self.photos, self.values)
        self.cwd = self.tmp

    def snapshot(self, folder):
        out = {}
        for root, dirs, files in os.walk(folder):
            for name in dirs + files:
                path = os.path.join(root, name)
                st = os.lstat(path)
                out[os.path.relpath(path, folder)] = (st.st_mode, st.st_size, st.st_mtime_ns)
        out["."] = os.stat(folder).st_mtime_ns
        return out

    def run_in(self, *args, rc=0, input=b""):
        result = subprocess.run([KVPS, *args], cwd=self.cwd, env=self.env, input=input,
                                capture_output=True, timeout=120)
        self.assertEqual(result.returncode, rc, (args, result.stderr))
        return result

    def test_reading_a_folder_changes_nothing_in_it(self):
        before = self.snapshot(self.photos)
        self.run_in("ls", "./photos")
        self.run_in("ls", "-r", "--json", "photos/", "--store", ".")
        self.run_in("ls", "./photos/2024/*.jpg")
        self.run_in("get", "./photos/2024/b.jpg")
        self.run_in("stat", "./photos/a.jpg")
        self.run_in("get", "./photos/nope.jpg", rc=1)
        self.run_in("cp", "./photos", "./copy")
        self.run_in("sync", "./photos", "./copy2")
        self.run_in("cp", "-n", "./photos", "./never")
        self.assertEqual(self.snapshot(self.photos), before)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "never")))
        for key, data in self.values.items():
            with open(os.path.join(self.tmp, "copy", key), "rb") as f:
                self.assertEqual(f.read(), data)

    def test_a_missing_folder_is_not_created_by_reading(self):
        missing = os.path.join(self.tmp, "new")
        for args in (["--store", file_url(missing), "ls"], ["ls", missing + "/"],
                     ["--store", missing, "get", "k"], ["cp", missing + "/", "./out"]):
            with self.subTest(args=args):
                err = self.run_in(*args, rc=3).stderr.decode()
                self.assertIn("does not exist", err)
                self.assertFalse(os.path.exists(missing))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "out")))
        # The default store is not made by reading it either.
        self.run_in("ls")
        self.run_in("get", "k", rc=1)
        self.assertFalse(os.path.exists(os.path.join(self.home, ".local")))

    def test_plain_paths_in_every_form(self):
        os.symlink(self.photos, os.path.join(self.home, "pics"))
        absolute = self.run_in("ls", "-r", self.photos).stdout
        self.assertEqual(absolute.decode().splitlines(), sorted(self.values))
        self.assertEqual(self.run_in("ls", "-r", "./photos").stdout, absolute)
        self.assertEqual(self.run_in("ls", "-r", "~/pics").stdout, absolute)
        self.cwd = self.photos
        self.assertEqual(self.run_in("ls", "-r", ".").stdout, absolute)
        self.assertEqual(self.run_in("ls", "-r", "../photos/").stdout, absolute)

    def test_file_urls_default_to_browsable_names(self):
        back = os.path.join(self.tmp, "back")
        self.run_in("cp", self.photos, file_url(back))
        self.assertTrue(os.path.isfile(os.path.join(back, "2024", "deep", "d.jpg")))
        # An existing encoded store keeps its layout.
        self.run_in("cp", self.photos, self.store)
        self.assertEqual(self.keys(), sorted(self.values))

    def test_single_files(self):
        self.run_in("cp", "./photos/a.jpg", "./single/")
        self.run_in("cp", "./photos/a.jpg", "./renamed.jpg")
        self.run_in("cp", "./photos/2024/b.jpg", "--store", self.store, "in/store.jpg")
        for path in ("single/a.jpg", "renamed.jpg"):
            with open(os.path.join(self.tmp, path), "rb") as f:
                self.assertEqual(f.read(), self.values["a.jpg"])
        self.assertEqual(self.get("in/store.jpg"), self.values["2024/b.jpg"])
        self.run_in("cp", "./photos/missing.jpg", "./x", rc=1)
        self.run_in("--store", "./photos", "cp", "2024/", "./x", rc=2)  # a prefix needs -r


class Listing2(CliTest):
    def setUp(self):
        super().setUp()
        for key in ("a.jpg", "2024/b.jpg", "2024/c.png", "2024/deep/d.jpg", "2025/e.jpg",
                    "x?y", "zz"):
            self.put(key, key.encode())

    def ls(self, *args):
        return self.kvps("ls", *args, store=self.store).stdout.decode().splitlines()

    def test_one_level_by_default(self):
        self.assertEqual(self.ls(), ["2024/", "2025/", "a.jpg", "x?y", "zz"])
        self.assertEqual(self.ls("2024/"), ["2024/b.jpg", "2024/c.png", "2024/deep/"])
        self.assertEqual(self.ls("2024/d"), ["2024/deep/"])
        self.assertEqual(self.ls("-r", "2024/"), ["2024/b.jpg", "2024/c.png", "2024/deep/d.jpg"])
        self.assertEqual(self.ls("-l", "2024/")[2], "2024/deep/\t-\t-")

    def test_globs(self):
        self.assertEqual(self.ls("2024/*.jpg"), ["2024/b.jpg"])
        self.assertEqual(self.ls("*/*.jpg"), ["2024/b.jpg", "2025/e.jpg"])
        self.assertEqual(self.ls("**.jpg"), ["2024/b.jpg", "2024/deep/d.jpg", "2025/e.jpg", "a.jpg"])
        self.assertEqual(self.ls("**/*.jpg"),
                         ["2024/b.jpg", "2024/deep/d.jpg", "2025/e.jpg", "a.jpg"])
        self.assertEqual(self.ls("202?/c.*"), ["2024/c.png"])
        self.assertEqual(self.ls("x\\?*"), ["x?y"])
        self.assertEqual(self.ls("nothing*"), [])

    def test_delimiter(self):
        self.assertEqual(self.ls("-d", "/"), ["2024/", "2025/", "a.jpg", "x?y", "zz"])
        self.assertEqual(self.ls("--delimiter", "."), ["2024/b.", "2024/c.", "2024/deep/d.", "2025/e.",
                                                       "a.", "x?y", "zz"])
        self.assertEqual(self.ls("-d", "/d", "2024/"), ["2024/b.jpg", "2024/c.png", "2024/deep/d"])
        self.kvps("ls", "-d", "/", "-r", store=self.store, rc=2)
        self.kvps("ls", "-d", "", store=self.store, rc=2)

    def test_presign_needs_a_store_that_signs(self):
        err = self.kvps("presign", "a.jpg", store=self.store, rc=3).stderr.decode()
        self.assertIn("presigned", err)
        self.kvps("presign", "a.jpg", "--expires", "soon", store=self.store, rc=2)

    def test_json_lines(self):
        rows = [json.loads(line) for line in self.ls("--json")]
        self.assertEqual(rows[0], {"prefix": "2024/"})
        entry = rows[2]
        self.assertEqual(sorted(entry), ["etag", "key", "mtime", "size"])
        self.assertEqual((entry["key"], entry["size"]), ("a.jpg", 5))
        self.assertRegex(entry["mtime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{9})?Z$")
        rows = [json.loads(line) for line in self.ls("-r", "--json")]
        self.assertEqual(len(rows), 7)


class Remove(CliTest):
    def setUp(self):
        super().setUp()
        self.all = ["2024/a.jpg", "2024/b.jpg", "2024/sub/c.png", "2025/d.jpg", "top"]
        for key in self.all:
            self.put(key, b"v")

    def test_a_prefix_needs_r(self):
        err = self.kvps("rm", "2024/", store=self.store, rc=2).stderr.decode()
        self.assertIn("rm -r", err)
        self.assertEqual(self.keys(), self.all)
        err = self.kvps("rm", "-r", "2024/", store=self.store).stderr.decode()
        self.assertIn("removed 3 keys", err)
        self.assertEqual(self.keys(), ["2025/d.jpg", "top"])

    def test_an_empty_prefix_needs_all(self):
        for args in (["-r"], ["-r", ""], ["--all"], ["-r", file_url(os.path.join(self.tmp, "store"))]):
            with self.subTest(args=args):
                self.kvps("rm", *args, store=self.store, rc=2)
        self.assertEqual(self.keys(), self.all)
        err = self.kvps("rm", "-r", "--all", store=self.store).stderr.decode()
        self.assertIn("removed 5 keys", err)
        self.assertEqual(self.keys(), [])

    def test_globs_and_several_keys(self):
        err = self.kvps("rm", "*/*.jpg", "top", "never", store=self.store).stderr.decode()
        self.assertIn("removed 5 keys", err)  # 3 matched + 2 named
        self.assertEqual(self.keys(), ["2024/sub/c.png"])


class CopyAndSync(CliTest):
    def setUp(self):
        super().setUp()
        self.src = os.path.join(self.tmp, "src")
        self.values = {"a.jpg": b"a", "b.txt": b"bb", "tmp/c.jpg": b"ccc", "sub/d.jpg": b"dddd"}
        self.write_files(self.src, self.values)
        self.dst = os.path.join(self.tmp, "dst")

    def dst_keys(self):
        return self.kvps("ls", "-r", self.dst).stdout.decode().splitlines()

    def test_include_exclude(self):
        self.kvps("cp", "-r", "--include", "*.jpg", "--exclude", "tmp/**", self.src, self.dst)
        self.assertEqual(self.dst_keys(), ["a.jpg", "sub/d.jpg"])

    def test_prefixes_are_folders(self):
        self.kvps("cp", "-r", self.src + "/sub", self.dst + "/x/")
        self.assertEqual(self.dst_keys(), ["x/d.jpg"])

    def test_dry_run_writes_nothing(self):
        out = self.kvps("cp", "-n", self.src, self.dst).stdout.decode().splitlines()
        self.assertEqual(sorted(out), sorted("copy " + k for k in self.values))
        self.assertFalse(os.path.exists(self.dst))

    def test_sync_copies_what_differs_and_deletes(self):
        result = self.kvps("sync", self.src, self.dst)
        self.assertRegex(result.stderr.decode(), r"copied 4 keys \(10 B\), skipped 0 unchanged")
        self.write_files(self.src, {"b.txt": b"BB", "new": b"n"})
        os.remove(os.path.join(self.src, "a.jpg"))
        out = self.kvps("sync", "-n", "--delete", self.src, self.dst).stdout.decode()
        self.assertEqual(sorted(out.splitlines()), ["copy b.txt", "copy new", "delete a.jpg"])
        self.assertIn("a.jpg", self.dst_keys())
        result = self.kvps("sync", "--delete", self.src, self.dst)
        self.assertRegex(result.stderr.decode(),
                         r"^copied 2 keys \(3 B\), skipped 2 unchanged, deleted 1, in \d+\.\d s\n$")
        self.assertEqual(self.dst_keys(), ["b.txt", "new", "sub/d.jpg", "tmp/c.jpg"])
        self.assertEqual(self.get("b.txt", store=self.dst), b"BB")


class Aliases(CliTest):
    def test_alias_set_use_list_remove(self):
        folder = os.path.join(self.tmp, "aliased")
        self.kvps("alias", "set", "box", file_url(folder) + "?fsync=false")
        config = os.path.join(self.home, ".config", "kvps", "aliases")
        self.assertEqual(os.stat(config).st_mode & 0o777, 0o600)
        self.kvps("put", "box:notes/a.txt", input=b"hello")
        self.assertEqual(self.kvps("get", "box:notes/a.txt").stdout, b"hello")
        self.assertEqual(self.kvps("--store", "box", "ls", "-r").stdout, b"notes/a.txt\n")
        self.assertEqual(self.kvps("ls", "box:").stdout, b"notes/\n")
        self.assertTrue(os.path.isfile(os.path.join(folder, "notes", "a.txt")))
        self.kvps("cp", "box:notes/a.txt", "./copied.txt")
        self.assertIn(b"box\tfile://", self.kvps("alias", "ls").stdout)
        self.kvps("alias", "rm", "box")
        self.kvps("alias", "rm", "box", rc=1)
        self.assertEqual(self.kvps("alias", "ls").stdout, b"")
        # Not an alias any more: "box:notes/a.txt" is a key of the current store.
        self.kvps("get", "box:notes/a.txt", rc=1)

    def test_xdg_config_home_and_secrets(self):
        xdg = os.path.join(self.tmp, "config")
        env = dict(self.env, XDG_CONFIG_HOME=xdg)
        url = ("s3://bucket?endpoint=http://127.0.0.1:9&access_key_id=AKIAEXAMPLE"
               "&secret_access_key=TOPSECRETVALUE")
        self.kvps("alias", "set", "s3x", url, env=env)
        path = os.path.join(xdg, "kvps", "aliases")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        out = self.kvps("alias", "ls", env=env).stdout.decode()
        self.assertIn("s3x\t", out)
        self.assertNotIn("TOPSECRETVALUE", out)
        self.kvps("alias", "set", "bad name", "memory://", env=env, rc=2)
        self.kvps("alias", "set", "x", "not-a-url", env=env, rc=2)


class ExitCodes(CliTest):
    def test_every_exit_code(self):
        self.put("k", b"v")
        self.assertEqual(self.kvps("get", "k", store=self.store, rc=0).stdout, b"v")
        self.kvps("get", "missing", store=self.store, rc=1)
        self.kvps("get", store=self.store, rc=2)
        self.kvps("--store", "bogus://x", "ls", rc=2)
        missing = file_url(os.path.join(self.tmp, "no-such-store"))
        self.kvps("ls", store=missing, rc=3)
        self.kvps("get", "k", store=missing, rc=3)
        # 130 (SIGINT): see Interrupt and Terminal; a folder that is a file is a store error.
        afile = os.path.join(self.tmp, "afile")
        open(afile, "w").close()
        self.kvps("put", "k", store=file_url(afile), input=b"v", rc=3)


class Terminal(CliTest):
    """kvps on a pseudo-terminal, as a shell runs it."""

    def run_shell(self, script, interrupt_after):
        """Runs script with bash on a new pseudo-terminal, types Ctrl-C after a delay."""
        master, slave = pty.openpty()

        def controlling_terminal():
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen(["bash", "-c", script], stdin=slave, stdout=slave, stderr=slave,
                                env=dict(self.env, KVPS=KVPS), cwd=self.tmp,
                                preexec_fn=controlling_terminal)
        os.close(slave)
        time.sleep(interrupt_after)
        os.write(master, b"\x03")  # the terminal sends SIGINT to its foreground group
        rc = proc.wait(timeout=60)
        shown = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        os.close(master)
        return rc, shown

    def test_ctrl_c_stops_a_shell_loop(self):
        store = os.path.join(self.tmp, "loop")
        script = ('for i in 1 2 3; do "$KVPS" --store ./loop put loop$i < /dev/zero; done; '
                  'echo loop-went-on')
        rc, shown = self.run_shell(script, 1.5)
        self.assertNotIn(b"loop-went-on", shown)
        self.assertIn(b"interrupted", shown)
        self.assertIn(b"MiB/s", shown)  # the progress bar was drawn meanwhile
        self.assertEqual(rc, -signal.SIGINT)  # bash itself ended by the interrupt
        # Nothing half-written became visible, and the loop never reached loop2.
        self.assertEqual(self.kvps("ls", "-r", store, rc=0).stdout, b"")
        self.assertFalse(os.path.exists(os.path.join(store, "loop2")))

    def test_shell_sees_130(self):
        script = '"$KVPS" --store ./s put k < /dev/zero; echo "status $?"'
        rc, shown = self.run_shell(script, 1.0)
        # bash -c with a command after kvps: bash got SIGINT too and stops.
        self.assertNotIn(b"status 0", shown)


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        KVPS = sys.argv.pop(1)
    if not KVPS or not os.access(KVPS, os.X_OK):
        sys.exit("usage: test_cli.py PATH/TO/kvps [unittest options] (or set KVPS_CLI)")
    KVPS = os.path.abspath(KVPS)
    # KVPS_CLI_EXCLUDE=Class,Class runs every other class (ctest runs the suite in two halves).
    excluded = set(filter(None, os.environ.get("KVPS_CLI_EXCLUDE", "").split(",")))
    if excluded and len(sys.argv) == 1:
        unknown = excluded - set(globals())
        if unknown:
            sys.exit(f"KVPS_CLI_EXCLUDE names no test class: {', '.join(sorted(unknown))}")
        classes = [c for name, c in globals().items() if isinstance(c, type) and
                   issubclass(c, CliTest) and c is not CliTest and name not in excluded]
        suite = unittest.TestSuite(unittest.defaultTestLoader.loadTestsFromTestCase(c)
                                   for c in classes)
        sys.exit(not unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful())
    unittest.main(verbosity=2)
