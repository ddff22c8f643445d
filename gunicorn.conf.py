"""Gunicorn settings, read when gunicorn starts in the project root.

The app is loaded once in the master and its workers are forked from it, so a
start or a restart costs one import of the app instead of one per worker. The
master also loads jieba, the screening word lists and the codebook before it
forks, so that no tablet waits a second for them on a worker's first request.
Database connections opened for that are closed before the fork: each worker
opens its own.
"""

preload_app = True


def when_ready(server):
    """Load the analysis word lists in the master, before any worker is forked."""
    _warm(server.app.wsgi())
    server.log.info("Analysis word lists loaded before forking workers")


def post_fork(server, worker):
    """Drop connections inherited from the master; the worker opens its own.

    Then start the worker's thread that expands received answers, so that
    answers left pending by a server that was killed are finished at once,
    not at the first request after the restart.
    """
    app = worker.app.wsgi()
    engine = _engine(app)
    if engine is not None:
        engine.dispose(close=False)
    processor = getattr(app, "extensions", {}).get("processor")
    if processor is not None and not app.config["SUBMISSIONS_INLINE"]:
        processor.notify()


def _warm(app):
    """Screen and theme one sentence, which loads everything analysis needs."""
    engine = _engine(app)
    if engine is None:
        return

    from analysis import operations
    from analysis.tokenize import tokenizer

    tokenizer()
    with app.app_context():
        operations.screen_and_theme(
            "放学路上的车开得太快了", operations.current_codebook()
        )
    engine.dispose()


def _engine(app):
    """Return the Tongsheng app's database engine, or None for another app."""
    return getattr(app, "extensions", {}).get("db_engine")
