"""Production settings and serving: check --deploy, secrets, whitenoise, gunicorn, proxies."""

import gzip
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client, override_settings

from certificates import pdf
from config.wsgi import ProxiedClientAddress, client_address, trusted_networks

ROOT = Path(settings.BASE_DIR)
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
PRODUCTION = {
    "DJANGO_SECRET_KEY": "x7Kp2-q9Zr_a4LmN8vB3cTfH6jWd0sYeRgUo1iPkXnMbVzAqE5tC",
    "DJANGO_ALLOWED_HOSTS": "bilim.example.org",
}


def environment(**values: str) -> dict[str, str]:
    """This process's environment without any Django or Bilim settings, plus the values given."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "BILIM_", "GUNICORN_", "FORWARDED_ALLOW_IPS"))
    }
    env.update(values)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args, "--settings=config.settings.production"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_with_the_required_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=environment(**PRODUCTION))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in result.stdout, output
    assert "WARNINGS" not in result.stderr, output


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_a_secret_or_hosts(missing):
    values = {name: value for name, value in PRODUCTION.items() if name != missing}
    result = manage("check", env=environment(**values))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} must be set in the environment" in result.stderr


def test_the_placeholder_secret_of_the_example_file_is_refused():
    result = manage("check", env=environment(**{**PRODUCTION, "DJANGO_SECRET_KEY": "change-me"}))
    assert result.returncode != 0
    assert "placeholder" in result.stderr


def test_a_redis_cache_without_the_redis_package_is_a_clear_error():
    try:
        import redis  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("redis is installed here")
    result = manage(
        "check", env=environment(**PRODUCTION, BILIM_CACHE_URL="redis://127.0.0.1:6379/1")
    )
    assert result.returncode != 0
    assert "pip install redis" in result.stderr


def test_production_settings_share_one_cache_and_log_to_stdout():
    code = (
        "from django.conf import settings as s;"
        "print(s.CACHES['default']['BACKEND']);"
        "print(s.STORAGES['staticfiles']['BACKEND']);"
        "print(s.LOGGING['handlers']['console']['stream']);"
        "print(s.DATABASES['default']['CONN_HEALTH_CHECKS'])"
    )
    result = manage("shell", "-v", "0", "-c", code, env=environment(**PRODUCTION))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.cache.backends.db.DatabaseCache",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "ext://sys.stdout",
        "True",
    ]


@pytest.mark.django_db  # the test client's request signals look at the connection
def test_whitenoise_serves_collected_hashed_compressed_files(tmp_path):
    """collectstatic with the production storage, then whitenoise serves the hashed file."""
    source = tmp_path / "source"
    (source / "css").mkdir(parents=True)
    (source / "img").mkdir()
    (source / "img" / "mark.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (source / "css" / "site.css").write_text(
        "body { background: url('../img/mark.svg'); }\n" + "p { color: #123456; }\n" * 50
    )
    collected = tmp_path / "staticfiles"
    with override_settings(
        STATICFILES_DIRS=[source],
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
        STATIC_ROOT=collected,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
        WHITENOISE_AUTOREFRESH=False,
        WHITENOISE_USE_FINDERS=False,
    ):
        call_command("collectstatic", "--noinput", verbosity=0)
        url = static("css/site.css")
        assert url != "/static/css/site.css"  # hashed name
        assert url.startswith("/static/css/site.") and url.endswith(".css")
        # The certificates' PDF fetcher finds hashed files in STATIC_ROOT.
        assert pdf.local_path(pdf.BASE_URL.rstrip("/") + url) == collected / url[8:]

        client = Client()
        response = client.get(url, headers={"accept-encoding": "gzip"})
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        assert "immutable" in response["Cache-Control"]
        body = b"".join(response.streaming_content)
        response.close()
        # url() references in CSS were rewritten to the hashed names too.
        assert re.search(r"img/mark\.[0-9a-f]{12}\.svg", gzip.decompress(body).decode())


def test_gunicorn_configuration_reads_the_environment(monkeypatch):
    for name in ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_TIMEOUT", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    config = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    assert config["wsgi_app"] == "config.wsgi:application"
    assert config["bind"] == ["127.0.0.1:8000"]
    assert config["workers"] == 2 * os.cpu_count() + 1
    assert config["accesslog"] == "-"
    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:9000")
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.0/8")
    config = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    assert (config["bind"], config["workers"]) == (["0.0.0.0:9000"], 3)
    assert config["forwarded_allow_ips"] == "10.0.0.0/8"


def test_gunicorn_accepts_the_configuration():
    result = subprocess.run(
        [GUNICORN, "--check-config", "-c", "config/gunicorn.conf.py"],
        cwd=ROOT,
        env=environment(**PRODUCTION, DJANGO_SETTINGS_MODULE="config.settings.production"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


class TestClientAddressBehindAProxy:
    local = trusted_networks("127.0.0.1,::1")

    def test_a_trusted_proxy_gives_the_address_it_saw(self):
        assert client_address("127.0.0.1", "203.0.113.7", self.local) == "203.0.113.7"

    def test_what_the_client_wrote_itself_is_not_believed(self):
        # The client sent "X-Forwarded-For: 1.1.1.1"; nginx appended the address it saw.
        assert client_address("127.0.0.1", "1.1.1.1, 203.0.113.7", self.local) == "203.0.113.7"

    def test_a_chain_of_trusted_proxies_is_walked_from_the_right(self):
        networks = trusted_networks("127.0.0.1, 10.0.0.0/8")
        forwarded = "1.1.1.1, 203.0.113.7, 10.0.0.5"
        assert client_address("127.0.0.1", forwarded, networks) == "203.0.113.7"

    def test_an_untrusted_peer_keeps_its_own_address(self):
        assert client_address("198.51.100.2", "1.1.1.1", self.local) == "198.51.100.2"

    def test_star_trusts_the_direct_peer_only(self):
        assert client_address("10.1.2.3", "1.1.1.1, 203.0.113.7", None) == "203.0.113.7"

    def test_the_middleware_rewrites_remote_addr(self):
        seen = {}

        def app(environ, start_response):
            seen["address"] = environ["REMOTE_ADDR"]
            return []

        wrapped = ProxiedClientAddress(app, self.local)
        wrapped({"REMOTE_ADDR": "::1", "HTTP_X_FORWARDED_FOR": "2001:db8::5"}, None)
        assert seen["address"] == "2001:db8::5"
        wrapped({"REMOTE_ADDR": "127.0.0.1"}, None)
        assert seen["address"] == "127.0.0.1"


def test_production_answers_with_the_security_headers_and_cookie_flags(tmp_path):
    """A page under the production settings, as the browser behind the HTTPS proxy gets it."""
    env = environment(**PRODUCTION, DJANGO_STATIC_ROOT=str(tmp_path))
    collected = manage("collectstatic", "--noinput", "-v", "0", env=env)
    assert collected.returncode == 0, collected.stderr
    code = (
        "from django.test import Client;"
        "r = Client().get('/accounts/login/', secure=True, HTTP_HOST='bilim.example.org');"
        "print(r.status_code);"
        "[print(f'{h}: {r[h]}') for h in ('Strict-Transport-Security', 'X-Frame-Options',"
        " 'X-Content-Type-Options', 'Referrer-Policy', 'Cross-Origin-Opener-Policy',"
        " 'Content-Security-Policy')];"
        "c = r.cookies['csrftoken'];"
        "print('csrf', bool(c['secure']), bool(c['httponly']), c['samesite'])"
    )
    result = manage("shell", "-v", "0", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "200"
    headers = dict(line.split(": ", 1) for line in lines[1:-1])
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert lines[-1] == "csrf True True Lax"


def test_production_redirects_plain_http_to_https():
    code = (
        "from django.test import Client;"
        "r = Client().get('/accounts/login/', HTTP_HOST='bilim.example.org');"
        "print(r.status_code, r['Location'])"
    )
    result = manage("shell", "-v", "0", "-c", code, env=environment(**PRODUCTION))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["301", "https://bilim.example.org/accounts/login/"]
