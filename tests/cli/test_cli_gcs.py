#!/usr/bin/env python3
"""kvps cp with gs:// (fake-gcs-server) on one side: file -> gs -> s3 -> gs -> file with a value
past one resumable chunk, gs <-> memory, and ls -d / presign on gs://. Uses the helpers of
test_cli.py.

    python3 tests/cli/test_cli_gcs.py PATH/TO/kvps [unittest options]

Needs KVPS_TEST_GCS_URL and KVPS_TEST_S3_URL (scripts/test.sh starts the servers); without them
the tests skip, or fail when CI=true.
"""
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli  # noqa: E402
from test_cli import CliTest, file_url, s3_test_url  # noqa: E402


class Gcs(CliTest):
    def setUp(self):
        super().setUp()
        self.gs = s3_test_url("KVPS_TEST_GCS_URL")
        self.s3 = s3_test_url()
        if self.gs is None or self.s3 is None:
            self.skipTest("KVPS_TEST_GCS_URL or KVPS_TEST_S3_URL is not set (scripts/test.sh starts the servers)")
        self.gs_back = s3_test_url("KVPS_TEST_GCS_URL")

    def tearDown(self):
        for store in (getattr(self, "gs", None), getattr(self, "gs_back", None), getattr(self, "s3", None)):
            if store:
                keys = self.keys(store=store)
                if keys:
                    self.kvps("rm", "--", *keys, store=store)
        super().tearDown()

    def test_copy_between_gs_s3_file_and_memory(self):
        rng = random.Random(23)
        values = {f"docs/{i:02d}.bin": rng.randbytes(rng.choice([0, 10, 5000])) for i in range(12)}
        values["big"] = rng.randbytes(9 * 1024 * 1024 + 3)  # past upload_threshold and one chunk
        folder = os.path.join(self.tmp, "folder")
        self.write_files(folder, values)
        src = file_url(folder) + "?pathmapped=true"
        hops = [(src, self.gs), (self.gs, self.s3), (self.s3, self.gs_back)]
        for a, b in hops:
            result = self.kvps("cp", a, b, "--jobs", "4")
            self.assertIn(f"copied {len(values)} keys", result.stderr.decode(), (a, b))
            self.assertEqual(self.keys(store=b), sorted(values))
            self.assertEqual(self.get("big", store=b), values["big"])
        back = file_url(os.path.join(self.tmp, "back"))
        result = self.kvps("cp", self.gs_back, back)
        self.assertIn(f"copied {len(values)} keys", result.stderr.decode())
        self.assertEqual(sorted(self.keys(store=back)), sorted(values))
        for key in self.keys(store=back):
            self.assertEqual(self.get(key, store=back), values[key], key)
        # memory:// lives in one process: each direction within one run of the tool.
        result = self.kvps("cp", self.gs, "memory://")
        self.assertIn(f"copied {len(values)} keys", result.stderr.decode())
        result = self.kvps("cp", "memory://", self.gs)
        self.assertIn("copied 0 keys", result.stderr.decode())
        # A second copy finds everything in place: nothing is sent again.
        result = self.kvps("cp", src, self.gs)
        self.assertIn("copied 0 keys", result.stderr.decode())
        self.assertIn(f"skipped {len(values)} unchanged", result.stderr.decode())

    def test_ls_delimiter_and_presign_refused_without_a_key(self):
        for key in ("a", "b/1", "b/2", "c/d/e", "z"):
            self.put(key, key.encode(), store=self.gs)
        out = self.kvps("ls", "-d", "/", store=self.gs).stdout.decode().splitlines()
        self.assertEqual(out, ["a", "b/", "c/", "z"])
        err = self.kvps("presign", "a", store=self.gs, rc=None)
        self.assertNotEqual(err.returncode, 0)
        self.assertIn("private key", err.stderr.decode())


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        test_cli.KVPS = sys.argv.pop(1)
    if not test_cli.KVPS or not os.access(test_cli.KVPS, os.X_OK):
        sys.exit("usage: test_cli_gcs.py PATH/TO/kvps [unittest options] (or set KVPS_CLI)")
    test_cli.KVPS = os.path.abspath(test_cli.KVPS)
    unittest.main(verbosity=2)
