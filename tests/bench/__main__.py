"""`make bench`: builds the scale dataset and prints each figure as one line (bench/results.json)."""
import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from tests.conftest import make_app
from trainhub import demo
from trainhub.extensions import db

RESULTS = Path("bench/results.json")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_scale_build(n_smes: int, database_url: str) -> dict:
    """Time `demo --scale N` (target: N=5,000 in under 600 s on the 2-core machine)."""
    app = make_app(SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        counts = demo.build_scale(db.session, n_smes)
        seconds = time.perf_counter() - started
    return {"figure": "demo --scale", "smes": n_smes, "seconds": round(seconds, 1),
            "target_seconds": 600, "ratio_to_target": round(seconds / 600, 3),
            "peak_mb": round(_peak_mb()), **counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=int, default=5000, help="SMEs of the scale dataset")
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        results = [bench_scale_build(args.scale, url)]
    for result in results:
        print(" ".join(f"{key}={value}" for key, value in result.items()))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
