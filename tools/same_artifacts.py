"""Check two packaged SAM templates deploy the same artifacts, bucket name aside.

    python -m tools.same_artifacts packaged-dev.yaml packaged-prod.yaml DEV_BUCKET PROD_BUCKET

`sam package` names each uploaded artifact by its content hash, so the one build packaged into two
buckets gives two templates that differ only in the bucket name. Anything else differing (a
rebuilt function, another template) means the stages would not run the same code: exit 1.
"""

from __future__ import annotations

import sys
from pathlib import Path


def same_artifacts(first: str, second: str, first_bucket: str, second_bucket: str) -> bool:
    if not first_bucket or not second_bucket:
        raise ValueError("both bucket names are required")
    return first.replace(first_bucket, "<bucket>") == second.replace(second_bucket, "<bucket>")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    first, second = (Path(p).read_text(encoding="utf-8") for p in args[:2])
    if not same_artifacts(first, second, args[2], args[3]):
        print(f"{args[0]} and {args[1]} differ beyond the bucket name", file=sys.stderr)
        return 1
    print(f"{args[0]} and {args[1]} name the same artifacts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
