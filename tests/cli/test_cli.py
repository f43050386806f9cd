#!/usr/bin/env python3
"""Drives the built `kvps` binary as a user would: exit codes, the bytes on standard output,
the messages on standard error.

    python3 tests/cli/test_cli.py PATH/TO/kvps [unittest options]

Every test runs with a temporary HOME and without KVPS_STORE or XDG_DATA_HOME, so the user's
own default store is never touched.
"""
import os
import pty
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

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
        self.store = file_url(os.path.join(self.tmp, "store"))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def kvps(self, *args, store=None, input=b"", env=None, rc=0):
        """Runs kvps [--store STORE] ARGS; checks the exit code when rc is not None."""
        command = [KVPS]
        if store is not None:
            command += ["--store", store]
        command += list(args)
        result = subprocess.run(command, input=input, capture_output=True,
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
        args = ["ls"] + ([prefix] if prefix is not None else [])
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
        for word in ("put KEY", "get KEY", "stat KEY", "rm KEY", "ls [PREFIX]", "cp SRC_URL",
                     "backends", "--store", "KVPS_STORE", ".local/share/kvps/store",
                     "not found: KEY"):
            self.assertIn(word, out)
        for code in ("0", "1", "2", "3"):
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
        for command in ("get", "stat"):
            with self.subTest(command=command):
                result = self.kvps(command, "nope", store=self.store, rc=1)
                self.assertEqual(result.stderr.decode().strip(), "not found: nope")
                self.assertEqual(result.stdout, b"")

    def test_get_of_a_missing_key_creates_no_file(self):
        target = os.path.join(self.tmp, "out.bin")
        self.kvps("get", "nope", target, store=self.store, rc=1)
        self.assertFalse(os.path.exists(target))

    def test_get_into_a_missing_folder_is_a_storage_failure(self):
        self.put("k", b"v")
        target = os.path.join(self.tmp, "no", "such", "folder", "out")
        result = self.kvps("get", "k", target, store=self.store, rc=3)
        self.assertIn(target, result.stderr.decode())

    def test_put_of_a_missing_file_is_exit_2_and_writes_nothing(self):
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
        self.kvps("ls", env=env)
        self.assertTrue(os.path.isdir(os.path.join(self.home, ".local/share/kvps/store")))

    def test_bad_store_urls_are_exit_2_with_the_library_message(self):
        cases = [
            ("no scheme here", "invalid URL"),
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
        for key, data in values.items():
            self.assertEqual(self.get(key, store=dst), data, key)

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


def s3_test_url():
    """KVPS_TEST_S3_URL with a unique prefix after the bucket, or None (a failure in CI)."""
    url = os.environ.get("KVPS_TEST_S3_URL")
    if not url:
        if os.environ.get("CI") == "true":
            raise AssertionError("CI=true but KVPS_TEST_S3_URL is not set")
        return None
    base, _, query = url.partition("?")
    scheme, _, path = base.partition("://")
    bucket, _, prefix = path.partition("/")
    unique = f"cli-{os.getpid()}-{time.time_ns()}"
    path = "/".join(p for p in (bucket, prefix.strip("/"), unique) if p)
    return f"{scheme}://{path}" + (f"?{query}" if query else "")


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

        back = file_url(os.path.join(self.tmp, "back"))
        result = self.kvps("cp", self.s3, back, "--prefix", "docs/")
        self.assertIn("copied 40 keys", result.stderr.decode())
        for key in self.keys(store=back):
            self.assertEqual(self.get(key, store=back), values[key], key)

        out = self.kvps("stat", "big", store=self.s3).stdout.decode()
        self.assertIn(f"size: {len(values['big'])}", out)
        self.kvps("get", "missing", store=self.s3, rc=1)
        self.kvps("rm", "big", "big", store=self.s3)
        self.kvps("stat", "big", store=self.s3, rc=1)

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
        self.assertEqual(proc.returncode, 130, err)
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
        self.assertIn(proc.returncode, (0, 130), err)

        def check_complete():
            rows = [line.split("\t") for line in
                    self.kvps("ls", "-l", store=dst).stdout.decode().splitlines()]
            for key, size, _ in rows:
                self.assertEqual(int(size), len(values[key]), key)
            for key, _, _ in rows[::20]:
                self.assertEqual(self.get(key, store=dst), values[key], key)
            return len(rows)

        done = check_complete()
        if proc.returncode == 130:
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


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        KVPS = sys.argv.pop(1)
    if not KVPS or not os.access(KVPS, os.X_OK):
        sys.exit("usage: test_cli.py PATH/TO/kvps [unittest options] (or set KVPS_CLI)")
    KVPS = os.path.abspath(KVPS)
    unittest.main(verbosity=2)
