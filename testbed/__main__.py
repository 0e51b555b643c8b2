"""``python -m testbed up|down|status|build``."""

from __future__ import annotations

import argparse
import sys
import time

from testbed.cluster import Testbed, TestbedError, build_binaries


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed")
    parser.add_argument("command", choices=["up", "down", "status", "build"])
    args = parser.parse_args()
    testbed = Testbed()
    try:
        if args.command == "build":
            started = time.monotonic()
            print(build_binaries())
            print(f"binaries ready in {time.monotonic() - started:.1f}s", file=sys.stderr)
        elif args.command == "up":
            started = time.monotonic()
            testbed.up()
            print(f"testbed-up took {time.monotonic() - started:.1f}s")
            print(testbed.usage())
        elif args.command == "down":
            testbed.down()
            print("testbed stopped and its state removed")
        else:
            print(testbed.usage() if testbed.is_up() else "the testbed is not running")
            return 0 if testbed.is_up() else 1
    except TestbedError as error:
        print(f"testbed: {error}", file=sys.stderr)
        return 1
    return 0


raise SystemExit(main())
