"""Models and databases of release 0.1 keep answering after the upgrade.

tests/fixtures/release_0_1 was made by tools/make_release_fixture.sh with the code of tag v0.1.0:
600 generated customers, `train` (a format 2 artifact: a joblib pickle naming `segmentation.*`
classes), its SQLite store, and what `ask --json` answered then.
"""

from __future__ import annotations

import io
import json
import pickle
import shutil
import zlib
from pathlib import Path

import pytest

from smartcart.engine.errors import ModelError
from smartcart.engine.model.artifact import live_version, load_live_model, load_model, model_path

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "release_0_1"


@pytest.fixture
def release_0_1(tmp_path: Path) -> Path:
    folder = tmp_path / "old"
    shutil.copytree(FIXTURE, folder)
    return folder


def answered_then(name: str) -> dict:
    return json.loads((FIXTURE / f"answer_{name}.json").read_text())


def use_release_store(monkeypatch, folder: Path) -> None:
    monkeypatch.setenv("SMARTCART_MODEL_DIR", str(folder / "models"))
    monkeypatch.setenv("SMARTCART_DATABASE_URL", f"sqlite:///{folder / 'smartcart.db'}")


def ask(tmp_path, monkeypatch, folder, text: str) -> dict:
    from click.testing import CliRunner

    from smartcart.cli import main

    use_release_store(monkeypatch, folder)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["ask", "--json", text])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_previous_release_answers_the_same_after_db_upgrade(tmp_path, monkeypatch, release_0_1):
    use_release_store(monkeypatch, release_0_1)
    from click.testing import CliRunner

    from smartcart.cli import main

    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    for text, name in (("customer 42", "customer_42"), ("summary", "summary"), ("model", "model")):
        now = ask(tmp_path, monkeypatch, release_0_1, text)
        then = answered_then(name)
        assert now["text"] == then["text"], text
        assert now["blocks"][0] == then["blocks"][0], text


def test_a_format_2_model_is_converted_to_data_on_first_load(release_0_1):
    models = release_0_1 / "models"
    version = live_version(models)
    assert model_path(models, version).suffix == ".joblib"
    first = load_live_model(models)
    converted = model_path(models, version)
    assert converted.suffix == ".model"
    again = load_model(converted)
    assert again.card == first.card
    assert again.segments == first.segments


def test_model_upgrade_converts_every_stored_model(tmp_path, monkeypatch, release_0_1):
    use_release_store(monkeypatch, release_0_1)
    from click.testing import CliRunner

    from smartcart.cli import main

    result = CliRunner().invoke(main, ["model", "upgrade", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"converted": [live_version(release_0_1 / "models")]}
    assert json.loads(CliRunner().invoke(main, ["model", "upgrade", "--json"]).output) == {
        "converted": []
    }


def test_a_pickle_naming_other_code_is_refused_not_run(tmp_path):
    class Payload:
        def __reduce__(self):
            return (shutil.rmtree, (str(tmp_path / "victim"),))

    (tmp_path / "victim").mkdir()
    path = tmp_path / "evil.joblib"
    path.write_bytes(zlib.compress(pickle.dumps({"format": 2, "model": Payload()})))
    with pytest.raises(ModelError, match="shutil.rmtree, which is not a type a model may hold"):
        load_model(path)
    assert (tmp_path / "victim").exists()


def test_a_format_3_model_holds_no_pickle(tmp_path, monkeypatch, release_0_1):
    import zipfile

    import numpy as np

    model = load_live_model(release_0_1 / "models")
    with zipfile.ZipFile(model_path(release_0_1 / "models", model.version)) as archive:
        assert sorted(archive.namelist()) == ["arrays.npz", "model.json"]
        document = json.loads(archive.read("model.json"))
        with np.load(io.BytesIO(archive.read("arrays.npz")), allow_pickle=False) as arrays:
            assert all(arrays[key].dtype != object for key in arrays.files)
    assert document["format"] == 3
    assert "segmentation" not in json.dumps(document)


def test_an_unreadable_live_model_is_one_line_that_says_train(tmp_path, monkeypatch, release_0_1):
    models = release_0_1 / "models"
    version = live_version(models)
    model_path(models, version).write_bytes(b"not a model")
    answer = ask(tmp_path, monkeypatch, release_0_1, "customer 42")
    assert "Something went wrong" not in answer["text"]
    assert "An admin needs to run `smartcart train`" in answer["text"]
    use_release_store(monkeypatch, release_0_1)
    from click.testing import CliRunner

    from smartcart.cli import main

    result = CliRunner().invoke(main, ["model"])
    assert result.exit_code != 0
    assert "smartcart train" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
