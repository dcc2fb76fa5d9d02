"""pyproject.toml lists every sub-package, so a non-editable install ships all of them."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "trainhub").rglob("__init__.py")
    }
    mapped = set(config["package-dir"])
    assert on_disk <= listed, f"add to pyproject packages: {sorted(on_disk - listed)}"
    assert listed - on_disk <= mapped | {"trainhub.migrations.versions"}
