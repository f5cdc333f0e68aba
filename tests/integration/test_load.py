# SPDX-License-Identifier: ISC
"""The short load-and-fault run (issue 9 point 11) of every integration
run: loadtest.py for 10 s with two SIGKILLs of random workers, against its
own lighttpd and SMTP catcher. script/loadtest runs the long one (60 s,
one kill every few seconds). Its verdicts are listed in loadtest.py."""

import unittest

import loadtest


class LoadAndFaults(unittest.TestCase):
    def test_short_run_loses_nothing(self):
        lines = []
        test = loadtest.LoadTest(seconds=10, kills=2, clients=6, seed=9,
                                 out=lines.append)
        good = test.run()
        self.assertTrue(good, "\n".join(lines))
        self.assertEqual(len(test.rec.kills), 2, "\n".join(lines))
