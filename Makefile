# Bilim: `make run` serves the demo, `make test` runs ruff and the whole suite.
# Both create .venv and install what is needed on first use; nothing is needed beforehand but
# Python 3.11+ with venv, and make.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# make bench measures at each of SIZES participations; SIZE=n measures at n only.
SIZES ?= $(or $(SIZE),100000 300000)
HOST ?= 127.0.0.1:8000
export UV_PYTHON_DOWNLOADS := never
export VIRTUAL_ENV := $(abspath $(VENV))

.PHONY: install run serve test test-db lint format bench lock messages clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet -r requirements.lock
	$(BIN)/uv pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

# The web server and a background-job worker side by side; both stop together (Ctrl-C, or when
# the server stops). The worker finishes or abandons its current job a second after the server.
BESIDE_WORKER = trap 'kill $$web 2>/dev/null; sleep 1; kill $$worker 2>/dev/null; wait' EXIT; \
	trap 'exit 130' INT TERM; wait $$web

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py db_worker & worker=$$!; \
	$(BIN)/python manage.py runserver $(HOST) & web=$$!; \
	$(BESIDE_WORKER)

# As in production (DEBUG off, gunicorn, whitenoise's hashed statics, the database cache) but over
# plain HTTP on $(HOST), with a local-only key: to try the production set-up and for load tests.
# Any of these variables set in the environment wins.
SERVE_ENV := DJANGO_SETTINGS_MODULE=config.settings.production \
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-bilim-make-serve-on-this-machine-only-not-a-secret-0123456789} \
	DJANGO_ALLOWED_HOSTS=$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost} \
	DJANGO_SECURE_SSL_REDIRECT=$${DJANGO_SECURE_SSL_REDIRECT:-false} \
	GUNICORN_BIND=$${GUNICORN_BIND:-$(HOST)}

serve: install
	export $(SERVE_ENV); set -e; \
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0; \
	$(BIN)/python manage.py migrate --noinput; \
	$(BIN)/python manage.py createcachetable; \
	$(BIN)/python manage.py db_worker & worker=$$!; \
	$(BIN)/gunicorn -c config/gunicorn.conf.py & web=$$!; \
	$(BESIDE_WORKER)

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

# The suite alone, e.g. once more against PostgreSQL: DATABASE_URL=postgres://... make test-db
test-db: install
	$(BIN)/pytest --create-db

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every figure of issue 6's table, at each size: on SQLite, or on PostgreSQL with DATABASE_URL.
# The pages under load first, while nothing else of the bench has run.
bench: install
	set -e; for n in $(SIZES); do $(BIN)/python bench/load.py --size $$n; done
	set -e; for n in $(SIZES); do $(BIN)/python bench/imports_and_stats.py --size $$n; done
	set -e; for n in $(SIZES); do $(BIN)/python bench/stats.py --size $$n; done
	set -e; for n in $(SIZES); do $(BIN)/python bench/workbook.py --size $$n; done
	$(BIN)/python bench/certificates.py

# Re-pin every dependency after changing pyproject.toml.
lock: | $(BIN)/uv
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev -o requirements.lock

# Refresh locale/{ru,ky} from the templates and code, then compile the .mo files (both are
# committed, so `make run` needs no gettext). Needs GNU gettext (Debian: apt-get install gettext).
MESSAGES_IGNORE := --ignore=.venv --ignore=staticfiles --ignore=media --ignore=bench \
	--ignore=tests --ignore=bilim.egg-info
messages: install
	$(BIN)/python manage.py makemessages -l ru -l ky --no-obsolete $(MESSAGES_IGNORE)
	$(BIN)/python manage.py compilemessages -l ru -l ky $(MESSAGES_IGNORE)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
