# The application image: production dependencies only.
# SecantusDB (GPL-2.0-only, beta) lives in the `embedded`/`dev` extras and is never installed here;
# the database is the MongoDB named by MONGODB_URI (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/zhicheng

# Dependencies first, read from pyproject.toml's [project].dependencies, so that a code change
# does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The package itself. The source tree stays in the working directory because the app reads
# fixtures/ (and later templates_docx/) beside its package; uvicorn imports app/ from here.
COPY . .
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info

RUN useradd --system --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin zhicheng
USER zhicheng

ENV ZC_ENV=prod
EXPOSE 8000
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
