"""deploy/: the compose file and systemd units name real commands, flags and settings.

No Docker engine runs in the tests: the files are checked for structure and for consistency
with the `ketnoi` CLI and `bot.config.Settings`, which is where they break when the code moves.
"""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
README = (DEPLOY.parent / "README.md").read_text(encoding="utf-8")
SETTINGS = {f"KETNOI_{name.upper()}" for name in Settings.model_fields}


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return data


def assert_real_command(argv: list[str]) -> None:
    """`ketnoi ...` with only options the command declares."""
    assert Path(argv[0]).name == "ketnoi", argv
    words = [a for a in argv[1:] if not a.startswith("-")]
    options = [a.split("=")[0] for a in argv[1:] if a.startswith("--")]
    path = words[:2] if words[:1] in (["db"], ["run"], ["telegram"]) else words[:1]
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, (argv, result.output)
    for option in options:
        assert option in result.output, f"{option} is not an option of ketnoi {' '.join(path)}"


def test_compose_has_the_stores_the_bot_and_a_proxy() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "bot", "proxy"} <= set(services)
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
    assert services["bot"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully")
    assert "replicas" in services["bot"]["deploy"]
    named = {v.split(":")[0] for s in services.values() for v in s.get("volumes", [])
             if not v.startswith(".")}
    assert named <= set(compose()["volumes"])


def test_compose_commands_and_settings_are_real() -> None:
    services = compose()["services"]
    assert services["bot"]["command"][:2] == ["ketnoi", "serve"]
    assert services["migrate"]["command"] == ["ketnoi", "db", "upgrade"]
    for name in ("bot", "migrate"):
        assert_real_command(services[name]["command"])
        env = services[name]["environment"]
        assert set(env) <= SETTINGS, set(env) - SETTINGS
        assert env["KETNOI_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgres:5432/" in env["KETNOI_DATABASE_URL"]
        assert env["KETNOI_REDIS_URL"].startswith("redis://redis:6379")
    port = services["bot"]["environment"]["KETNOI_PORT"]
    assert services["bot"]["command"][-1] == port
    assert f"127.0.0.1:{port}/healthz" in " ".join(services["bot"]["healthcheck"]["test"])


def test_proxy_forwards_the_webhook_and_health_but_not_metrics() -> None:
    conf = (DEPLOY / "nginx.conf").read_text()
    port = compose()["services"]["bot"]["environment"]["KETNOI_PORT"]
    assert re.search(rf"server bot:{port}\b", conf)
    for path in ("/telegram/webhook", "/healthz"):
        block = re.search(rf"location = {re.escape(path)} \{{(.*?)\}}", conf, re.S)
        assert block and "proxy_pass http://ketnoi_bot" in block.group(1), path
    metrics = re.search(r"location = /metrics \{(.*?)\}", conf, re.S)
    assert metrics and "return 404" in metrics.group(1)
    mounts = compose()["services"]["proxy"]["volumes"]
    assert any(m.startswith("./nginx.conf:") for m in mounts)


@pytest.mark.parametrize("unit", sorted(p.name for p in (DEPLOY / "systemd").glob("*.service")))
def test_systemd_units_run_real_commands(unit: str) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / unit)
    assert {"Unit", "Service", "Install"} <= set(parser.sections())
    service = parser["Service"]
    argv = shlex.split(service["ExecStart"].replace("%i", "8080"))
    assert_real_command(argv)
    assert service["EnvironmentFile"] == "/etc/ketnoi/ketnoi.env"
    for required in parser["Unit"].get("Requires", "").split():
        assert (DEPLOY / "systemd" / required).exists(), required


def test_example_settings_are_real_and_documented() -> None:
    for example in (DEPLOY / "systemd" / "ketnoi.env.example", DEPLOY / "compose.env.example"):
        keys = {line.split("=")[0] for line in example.read_text().splitlines()
                if line and not line.startswith("#")}
        ketnoi = {k for k in keys if k.startswith("KETNOI_")}
        assert ketnoi <= SETTINGS, ketnoi - SETTINGS
        for key in ketnoi:
            assert f"`{key}`" in README, f"{key} is not in the README's settings table"
    assert "deploy/" in README and "/metrics" in README and "KETNOI_REDIS_URL" in README
