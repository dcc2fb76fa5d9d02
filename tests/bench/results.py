"""bench/results.json: every runner (make bench, make loadtest) replaces its own entries only."""
import json
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results.json"


def keep_results(figures: list[dict], replaces: Callable[[dict], bool]) -> None:
    """Write `figures` after the earlier entries that `replaces` does not claim."""
    earlier = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps([entry for entry in earlier if not replaces(entry)]
                                  + list(figures), indent=2, ensure_ascii=False))
